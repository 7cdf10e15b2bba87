// The keyring: one AES-256 data key per term. The newest term encrypts; every
// term decrypts, so data written before a rotation stays readable. Each term
// counts its encryptions so the barrier can rotate long before random 96-bit
// nonces risk repeating (NIST SP 800-38D: at most 2^32 per key).
//
// Serialized form (kept in locked memory, stored encrypted by the root key):
//   "CKR1" | active term (4) | count (4) | count x [term (4) |
//   encryptions (8) | key (32)], integers big-endian.
//
// Thread-compatible.
#ifndef COFFER_LIB_SEAL_KEYRING_H_
#define COFFER_LIB_SEAL_KEYRING_H_

#include <cstdint>
#include <map>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/aead.h"
#include "crypto/secure_buffer.h"

namespace coffer::seal {

class Keyring {
 public:
  // A keyring with one fresh random key, term 1.
  static absl::StatusOr<Keyring> Create();
  // Parses Serialize()'s output. kDataLoss when malformed.
  static absl::StatusOr<Keyring> Parse(absl::string_view bytes);

  crypto::SecureBuffer Serialize() const;

  // Adds a fresh random key as term active_term()+1 and makes it active.
  absl::Status Rotate();

  uint32_t active_term() const { return active_term_; }
  // The active key's cipher. REQUIRES: the keyring is not empty.
  const crypto::Aes256Gcm& active() const;
  // The cipher for `term`, or nullptr if the keyring has none.
  const crypto::Aes256Gcm* ForTerm(uint32_t term) const;
  size_t size() const { return terms_.size(); }

  uint64_t active_encryptions() const;
  void CountEncryption();
  // Adds `n` to the active term's count (an unseal assumes the worst about
  // encryptions made since the count was last stored).
  void AddEncryptions(uint64_t n);

 private:
  struct Term {
    crypto::SecureBuffer key;
    crypto::Aes256Gcm cipher;
    uint64_t encryptions = 0;
  };
  absl::Status AddTerm(uint32_t term, crypto::SecureBuffer key,
                       uint64_t encryptions);

  uint32_t active_term_ = 0;
  std::map<uint32_t, Term> terms_;
};

}  // namespace coffer::seal

#endif  // COFFER_LIB_SEAL_KEYRING_H_
