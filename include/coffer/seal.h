// Seal types shared by the Node API and the C ABI.
//
// Concepts (as in HashiCorp Vault). Stored data is encrypted by the barrier
// with a keyring of data keys; the keyring is encrypted by the root key; the
// root key is protected by the seal:
//   - the Shamir seal encrypts it with an unseal key that exists only as
//     Shamir shares held by operators; unsealing means submitting a threshold
//     of shares, one at a time;
//   - an auto-unseal seal has a host-supplied Kms wrap the root key, so a node
//     unseals without an operator. Operations that need an operator quorum
//     (rekey, seal migration) are then authorised by recovery shares.
// A sealed node holds no key material at all.
//
// Thread-safety: SealStatus is a plain value. Kms implementations are called
// from one coffer thread at a time, but possibly from different threads over
// time; they must not call back into coffer.
#ifndef COFFER_SEAL_H_
#define COFFER_SEAL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "coffer/export.h"

namespace coffer {

// What Vault's sys/seal-status reports.
struct SealStatus {
  std::string type;  // "shamir", or the Kms's Type() for auto-unseal
  bool initialized = false;
  bool sealed = true;
  int threshold = 0;       // t: shares (or recovery shares) needed
  int shares = 0;          // n: shares handed out at init or rekey
  int progress = 0;        // distinct valid-looking shares submitted so far
  std::string nonce;       // identifies the current unseal attempt; "" if none
  std::string version;     // coffer's version
  bool migration = false;  // the stored seal differs from the configured one
  bool recovery_seal = false;  // shares are recovery shares (auto-unseal)
  // This node applied its own removal from the cluster (or was told so by
  // a member that did): it takes no part in the cluster any more and
  // cannot join again with its data (as Vault 1.19's seal-status).
  bool removed_from_cluster = false;
};

// A key-management service that wraps and unwraps the root key for
// auto-unseal: a cloud KMS, a PKCS#11 HSM, another cluster's transit engine.
// coffer stores only what Wrap returns.
class COFFER_EXPORT Kms {
 public:
  virtual ~Kms();

  // A short name for status output, such as "awskms" or "pkcs11".
  virtual std::string Type() const = 0;
  // The key new wraps use. Unwrap receives the id recorded at wrap time.
  virtual std::string KeyId() const = 0;

  // Encrypts `plaintext` (key material: do not log or keep it) under
  // `key_id`. Any error fails the calling operation and changes nothing.
  // May block.
  virtual absl::StatusOr<std::string> Wrap(absl::string_view key_id,
                                           absl::string_view plaintext) = 0;
  // Reverses Wrap. A wrong result is caught by coffer's own authentication
  // and reported as an error; the node stays sealed.
  virtual absl::StatusOr<std::string> Unwrap(absl::string_view key_id,
                                             absl::string_view ciphertext) = 0;
};

}  // namespace coffer

#endif  // COFFER_SEAL_H_
