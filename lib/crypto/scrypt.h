// scrypt (RFC 7914), BoringSSL's EVP_PBE_scrypt: the password hash of the
// userpass auth method (lib/auth/scrypt.h picks its parameters).
//
// Thread-safety: a stateless function. It blocks for as long as the
// parameters make it take (Vault's N=32768, r=8, p=1: 32 MiB and tens of
// milliseconds); never call it on the node's loop thread.
#ifndef COFFER_LIB_CRYPTO_SCRYPT_H_
#define COFFER_LIB_CRYPTO_SCRYPT_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/secure_buffer.h"

namespace coffer::crypto {

// `key_len` bytes of scrypt(password, salt, n, r, p), in locked memory.
// kInvalidArgument for parameters BoringSSL refuses (n not a power of two
// above 1, r or p zero, p * r >= 2^30); kResourceExhausted when the memory
// it needs (about 128 * n * r bytes) is above `max_mem_bytes`.
absl::StatusOr<SecureBuffer> Scrypt(absl::string_view password,
                                    absl::string_view salt, uint64_t n,
                                    uint32_t r, uint32_t p, size_t key_len,
                                    size_t max_mem_bytes);

}  // namespace coffer::crypto

#endif  // COFFER_LIB_CRYPTO_SCRYPT_H_
