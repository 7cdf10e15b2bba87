// The seal: protects the root key and runs initialize, unseal, seal, rekey
// and seal migration over a Barrier, as Vault's sys/init, sys/unseal,
// sys/seal, sys/rekey and seal migration do.
//
// Stored records (plaintext paths in the physical store):
//   core/seal-config        sealpb::SealConfig: type, shares, thresholds
//   core/root-key           Shamir seal: root key under the unseal key
//   core/wrapped-root-key   auto seal: sealpb::WrappedKey from the Kms
//   core/recovery-check     auto seal: a known value under the recovery key
//
// Shares. A share is a Shamir part of a 32-byte key: 33 bytes. Operators may
// submit it raw (33 bytes), as hex (66 characters) or base64 (44). Unseal
// takes one share per call and reports progress; the same share twice counts
// once; a complete set that does not open the root key is an "invalid key"
// (kPermissionDenied), resets progress and unseals nothing.
//
// Migration. The configured seal (a Kms, or none for Shamir) is given at
// construction. When the stored seal differs, status reports migration and
// unseal requires `migrate`: shares of the stored seal (unseal shares going
// to auto, recovery shares going to Shamir) authorise it; the root key is
// kept, so all data stays readable; as in Vault, the same shares then serve
// as recovery shares (to auto) or unseal shares (to Shamir).
//
// Thread-compatible; may call the Kms (which may block).
#ifndef COFFER_LIB_SEAL_SEAL_MANAGER_H_
#define COFFER_LIB_SEAL_SEAL_MANAGER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "coffer/seal.h"
#include "crypto/secure_buffer.h"
#include "proto/seal.pb.h"
#include "seal/barrier.h"
#include "seal/physical.h"

namespace coffer::seal {

struct InitOptions {
  int secret_shares = 5;       // Shamir seal: 1..255
  int secret_threshold = 3;    // Shamir seal: 1..shares (2.. if shares > 1)
  int recovery_shares = 5;     // auto seal
  int recovery_threshold = 3;  // auto seal
};

struct InitResult {
  std::vector<std::string> keys;           // unseal shares (Shamir seal)
  std::vector<std::string> recovery_keys;  // recovery shares (auto seal)
};

class SealManager {
 public:
  // `store` and `barrier` are borrowed and must outlive this object; `kms` is
  // borrowed too and null for the Shamir seal. `migrate_from` is the Kms the
  // stored auto seal used, needed only to migrate away from it (Vault's
  // disabled seal stanza); null otherwise.
  SealManager(PhysicalStore* store, Barrier* barrier, Kms* kms,
              Kms* migrate_from = nullptr);

  // Creates the root key and keyring and the shares that protect them. With
  // a Kms the barrier is unsealed at once; with Shamir it stays sealed.
  // kFailedPrecondition if already initialized; kInvalidArgument for bad
  // share counts; Kms errors as kUnavailable with the Kms's message.
  // `first_records`, if set, writes the first records behind the barrier
  // (the root token): it is called once the barrier is initialized and
  // unsealed for the call (a Shamir barrier is sealed again after it); an
  // error from it fails Initialize.
  absl::StatusOr<InitResult> Initialize(
      const InitOptions& options,
      const std::function<absl::Status()>& first_records = nullptr);

  absl::StatusOr<SealStatus> Status() const;

  // Adds one share to the current unseal attempt. Returns the status after
  // it. kInvalidArgument for a malformed share (progress kept);
  // kPermissionDenied when a complete set is wrong (progress reset);
  // kFailedPrecondition if not initialized, if a migration is pending and
  // `migrate` is false, or with an auto seal and no pending migration.
  absl::StatusOr<SealStatus> SubmitUnsealKey(absl::string_view share,
                                             bool migrate = false);
  // Forgets the shares of the current attempt.
  void ResetUnseal();

  // Unseals through the Kms. kFailedPrecondition with no Kms, before init or
  // when a migration is pending; kUnavailable when the Kms fails;
  // kPermissionDenied when what it returns does not open the keyring.
  absl::Status AutoUnseal();

  // Seals the barrier and forgets any unseal progress.
  void Seal();

  // Replaces the unseal shares (Shamir) or recovery shares (auto) with new
  // ones for the same root key, authorised by a threshold of the current
  // ones; the old shares stop working. Errors as SubmitUnsealKey.
  absl::StatusOr<std::vector<std::string>> Rekey(
      absl::Span<const std::string> current_shares, int new_shares,
      int new_threshold);

  // Decodes an operator's share: raw, hex or base64 (see above).
  static absl::StatusOr<crypto::SecureBuffer> DecodeShare(
      absl::string_view share);

 private:
  absl::StatusOr<sealpb::SealConfig> LoadConfig() const;
  absl::Status StoreConfig(const sealpb::SealConfig& config);
  bool MigrationPending(const sealpb::SealConfig& config) const;
  // Combines shares into the 32-byte key they protect and checks it against
  // the stored record for `config` (the unseal key or the recovery key).
  absl::StatusOr<crypto::SecureBuffer> RecoverKey(
      const sealpb::SealConfig& config,
      absl::Span<const absl::string_view> shares) const;
  absl::StatusOr<crypto::SecureBuffer> RootKeyFromUnsealKey(
      const crypto::SecureBuffer& unseal_key) const;
  absl::StatusOr<crypto::SecureBuffer> RootKeyFromKms(Kms& kms) const;
  absl::Status StoreRootKeyUnderUnsealKey(const crypto::SecureBuffer& root,
                                          const crypto::SecureBuffer& key);
  absl::Status StoreRootKeyWithKms(const crypto::SecureBuffer& root);
  absl::Status StoreRecoveryCheck(const crypto::SecureBuffer& recovery_key);
  // Runs the pending migration with the recovered key, then unseals.
  absl::Status Migrate(const sealpb::SealConfig& config,
                       const crypto::SecureBuffer& key);
  // Migrate's steps after the barrier is unsealed with the root key.
  absl::Status MigrateUnsealed(const sealpb::SealConfig& config,
                               const crypto::SecureBuffer& key,
                               const crypto::SecureBuffer& root);

  PhysicalStore* const store_;
  Barrier* const barrier_;
  Kms* const kms_;
  Kms* const migrate_from_;
  // The current unseal attempt: decoded shares and its nonce.
  std::vector<crypto::SecureBuffer> progress_;
  std::string nonce_;
};

}  // namespace coffer::seal

#endif  // COFFER_LIB_SEAL_SEAL_MANAGER_H_
