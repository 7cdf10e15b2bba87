// The barrier's ciphertext layout (DESIGN.md, "Seal and barrier"):
//
//   term (4 bytes, big-endian) | version (1 byte) | nonce (12 bytes) |
//   AES-256-GCM ciphertext and 16-byte tag
//
// with the storage path as additional data, so that a ciphertext moved to
// another path does not decrypt. Term 0 is the root key (it protects the
// keyring); the seal uses the same layout for the root key under the unseal
// key and for the recovery check. Terms 1.. are the keyring's data keys.
#ifndef COFFER_LIB_SEAL_ENVELOPE_H_
#define COFFER_LIB_SEAL_ENVELOPE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/aead.h"
#include "crypto/secure_buffer.h"

namespace coffer::seal {

inline constexpr uint8_t kEnvelopeVersion = 1;
inline constexpr size_t kEnvelopeHeaderSize = 4 + 1 + 12;
inline constexpr size_t kEnvelopeOverhead =
    kEnvelopeHeaderSize + crypto::Aes256Gcm::kTagSize;

// Encrypts with a fresh random nonce. kInternal if randomness fails.
absl::StatusOr<std::string> SealEnvelope(const crypto::Aes256Gcm& key,
                                         uint32_t term, absl::string_view path,
                                         absl::string_view plaintext);

// The term an envelope names. kDataLoss if it is too short or of an unknown
// version.
absl::StatusOr<uint32_t> EnvelopeTerm(absl::string_view envelope);

// Decrypts an envelope made for `path`. kDataLoss if it is malformed or fails
// authentication.
absl::StatusOr<std::string> OpenEnvelope(const crypto::Aes256Gcm& key,
                                         absl::string_view path,
                                         absl::string_view envelope);

// As OpenEnvelope, for envelopes whose plaintext is key material.
absl::StatusOr<crypto::SecureBuffer> OpenSecretEnvelope(
    const crypto::Aes256Gcm& key, absl::string_view path,
    absl::string_view envelope);

}  // namespace coffer::seal

#endif  // COFFER_LIB_SEAL_ENVELOPE_H_
