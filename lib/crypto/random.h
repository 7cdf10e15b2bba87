// Cryptographic randomness from BoringSSL's RAND_bytes (the kernel's getrandom
// underneath). This is the only randomness that may reach a key, a nonce or a
// Shamir coefficient; test generators are a different type and cannot.
//
// Fails closed: a failure of the generator is an error, never fewer or weaker
// bytes. Thread-safe.
#ifndef COFFER_LIB_CRYPTO_RANDOM_H_
#define COFFER_LIB_CRYPTO_RANDOM_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "crypto/secure_buffer.h"

namespace coffer::crypto {

// Fills `out` with random bytes. kInternal if the generator fails.
absl::Status RandomBytes(absl::Span<uint8_t> out);

// `n` random bytes in locked memory (keys).
absl::StatusOr<SecureBuffer> RandomSecret(size_t n);

// `n` random bytes in an ordinary string (nonces, identifiers).
absl::StatusOr<std::string> RandomString(size_t n);

}  // namespace coffer::crypto

#endif  // COFFER_LIB_CRYPTO_RANDOM_H_
