// AES-256-GCM through BoringSSL's EVP_AEAD interface.
//
// Seal encrypts and authenticates a plaintext together with additional data
// that is authenticated but not encrypted; Open reverses it and fails unless
// the key, nonce, ciphertext, tag and additional data are exactly those that
// were sealed. Nonces are 12 bytes and must never repeat under one key: the
// caller draws them at random and rotates the key long before 2^32 uses.
//
// Thread-safety: Seal and Open are const and may run concurrently on one
// Aes256Gcm. The expanded key lives in locked memory and is wiped on
// destruction.
#ifndef COFFER_LIB_CRYPTO_AEAD_H_
#define COFFER_LIB_CRYPTO_AEAD_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/secure_buffer.h"

namespace coffer::crypto {

class Aes256Gcm {
 public:
  static constexpr size_t kKeySize = 32;
  static constexpr size_t kNonceSize = 12;
  static constexpr size_t kTagSize = 16;

  // kInvalidArgument unless key is 32 bytes; kFailedPrecondition if BoringSSL
  // cannot be loaded. The key bytes are not retained beyond the schedule.
  static absl::StatusOr<Aes256Gcm> Create(absl::string_view key);

  Aes256Gcm(Aes256Gcm&&) noexcept;
  Aes256Gcm& operator=(Aes256Gcm&&) noexcept;
  ~Aes256Gcm();

  // ciphertext || 16-byte tag. kInvalidArgument for a nonce that is not 12
  // bytes.
  absl::StatusOr<std::string> Seal(absl::string_view nonce,
                                   absl::string_view plaintext,
                                   absl::string_view additional_data) const;

  // The plaintext. kDataLoss when authentication fails (wrong key, altered
  // ciphertext, tag or additional data); kInvalidArgument for a bad nonce
  // length or an input shorter than a tag.
  absl::StatusOr<std::string> Open(absl::string_view nonce,
                                   absl::string_view sealed,
                                   absl::string_view additional_data) const;

  // As Open, for plaintexts that are themselves key material.
  absl::StatusOr<SecureBuffer> OpenSecret(
      absl::string_view nonce, absl::string_view sealed,
      absl::string_view additional_data) const;

 private:
  Aes256Gcm() = default;
  // Shared by Open and OpenSecret: decrypts into `out` (sized by the caller
  // to sealed.size() - kTagSize) and reports the length written.
  absl::Status OpenTo(absl::string_view nonce, absl::string_view sealed,
                      absl::string_view additional_data, uint8_t* out,
                      size_t* out_len) const;

  SecureBuffer ctx_;  // holds an initialized EVP_AEAD_CTX
};

}  // namespace coffer::crypto

#endif  // COFFER_LIB_CRYPTO_AEAD_H_
