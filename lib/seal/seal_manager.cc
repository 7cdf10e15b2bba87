#include "seal/seal_manager.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "coffer/version.h"
#include "crypto/random.h"
#include "seal/envelope.h"
#include "seal/shamir.h"

namespace coffer {

Kms::~Kms() = default;

}  // namespace coffer

namespace coffer::seal {
namespace {

constexpr absl::string_view kConfigPath = "core/seal-config";
constexpr absl::string_view kRootKeyPath = "core/root-key";
constexpr absl::string_view kWrappedRootKeyPath = "core/wrapped-root-key";
constexpr absl::string_view kRecoveryCheckPath = "core/recovery-check";
constexpr absl::string_view kRecoveryCheckValue = "coffer recovery key check";
constexpr absl::string_view kShamir = "shamir";
constexpr absl::string_view kAuto = "auto";
constexpr size_t kKeySize = 32;
constexpr size_t kShareSize = kKeySize + 1;

absl::Status CheckShareCounts(int shares, int threshold,
                              absl::string_view what) {
  if (shares < 1 || shares > kMaxShares || threshold < 1 ||
      threshold > shares || (threshold == 1 && shares > 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "seal: ", what,
        " needs 1 <= threshold <= shares <= 255, and a "
        "threshold of at least 2 when there is more than one share"));
  }
  return absl::OkStatus();
}

absl::Status KmsError(absl::string_view op, const absl::Status& s) {
  return absl::UnavailableError(
      absl::StrCat("seal: the KMS failed to ", op, ": ", s.message()));
}

absl::StatusOr<crypto::Aes256Gcm> CipherFor(const crypto::SecureBuffer& key) {
  return crypto::Aes256Gcm::Create(key.view());
}

}  // namespace

SealManager::SealManager(PhysicalStore* store, Barrier* barrier, Kms* kms,
                         Kms* migrate_from)
    : store_(store),
      barrier_(barrier),
      kms_(kms),
      migrate_from_(migrate_from) {}

absl::StatusOr<sealpb::SealConfig> SealManager::LoadConfig() const {
  COFFER_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                          store_->Get(kConfigPath));
  sealpb::SealConfig config;
  if (!bytes.has_value()) return config;  // format_version 0: uninitialized
  if (!config.ParseFromString(*bytes) || config.format_version() != 1 ||
      (config.type() != kShamir && config.type() != kAuto)) {
    return absl::DataLossError("seal: stored seal configuration is corrupt");
  }
  return config;
}

absl::Status SealManager::StoreConfig(const sealpb::SealConfig& config) {
  return store_->Put(kConfigPath, config.SerializeAsString());
}

bool SealManager::MigrationPending(const sealpb::SealConfig& config) const {
  return config.format_version() != 0 &&
         (config.type() == kAuto) != (kms_ != nullptr);
}

absl::StatusOr<crypto::SecureBuffer> SealManager::DecodeShare(
    absl::string_view share) {
  std::string decoded;
  if (share.size() == kShareSize) {
    return crypto::SecureBuffer::CopyOf(share);
  }
  if (share.size() == 2 * kShareSize &&
      share.find_first_not_of("0123456789abcdefABCDEF") ==
          absl::string_view::npos) {
    decoded = absl::HexStringToBytes(share);
  } else if (!absl::Base64Unescape(share, &decoded) ||
             decoded.size() != kShareSize) {
    crypto::Wipe(decoded.data(), decoded.size());
    return absl::InvalidArgumentError(
        "seal: a key share must be 33 bytes, raw, hex or base64");
  }
  crypto::SecureBuffer out = crypto::SecureBuffer::CopyOf(decoded);
  crypto::Wipe(decoded.data(), decoded.size());
  return out;
}

absl::StatusOr<InitResult> SealManager::Initialize(
    const InitOptions& options,
    const std::function<absl::Status()>& first_records) {
  COFFER_ASSIGN_OR_RETURN(sealpb::SealConfig existing, LoadConfig());
  COFFER_ASSIGN_OR_RETURN(bool barrier_initialized, barrier_->Initialized());
  if (existing.format_version() != 0 || barrier_initialized) {
    return absl::FailedPreconditionError("seal: already initialized");
  }
  sealpb::SealConfig config;
  config.set_format_version(1);
  if (kms_ == nullptr) {
    COFFER_RETURN_IF_ERROR(CheckShareCounts(
        options.secret_shares, options.secret_threshold, "the Shamir seal"));
    config.set_type(std::string(kShamir));
    config.set_secret_shares(options.secret_shares);
    config.set_secret_threshold(options.secret_threshold);
  } else {
    COFFER_RETURN_IF_ERROR(CheckShareCounts(
        options.recovery_shares, options.recovery_threshold, "recovery"));
    config.set_type(std::string(kAuto));
    config.set_recovery_shares(options.recovery_shares);
    config.set_recovery_threshold(options.recovery_threshold);
    config.set_kms_type(kms_->Type());
  }

  COFFER_ASSIGN_OR_RETURN(crypto::SecureBuffer root,
                          crypto::RandomSecret(kKeySize));
  // The key the operators' shares protect: unseal key or recovery key.
  COFFER_ASSIGN_OR_RETURN(crypto::SecureBuffer share_key,
                          crypto::RandomSecret(kKeySize));
  InitResult result;
  if (kms_ == nullptr) {
    COFFER_ASSIGN_OR_RETURN(
        result.keys, SplitSecret(share_key.view(), config.secret_shares(),
                                 config.secret_threshold()));
    COFFER_RETURN_IF_ERROR(StoreRootKeyUnderUnsealKey(root, share_key));
  } else {
    COFFER_ASSIGN_OR_RETURN(
        result.recovery_keys,
        SplitSecret(share_key.view(), config.recovery_shares(),
                    config.recovery_threshold()));
    COFFER_RETURN_IF_ERROR(StoreRootKeyWithKms(root));
    COFFER_RETURN_IF_ERROR(StoreRecoveryCheck(share_key));
  }
  COFFER_RETURN_IF_ERROR(barrier_->Initialize(root));
  if (first_records) {
    COFFER_RETURN_IF_ERROR(barrier_->Unseal(root));
    absl::Status s = first_records();
    if (kms_ == nullptr || !s.ok()) barrier_->Seal();
    COFFER_RETURN_IF_ERROR(s);
  }
  // The configuration goes last: until it is stored, the node reads as
  // uninitialized and a failed init can simply be retried.
  COFFER_RETURN_IF_ERROR(StoreConfig(config));
  if (kms_ != nullptr && barrier_->sealed()) {
    COFFER_RETURN_IF_ERROR(barrier_->Unseal(root));
  }
  return result;
}

absl::StatusOr<SealStatus> SealManager::Status() const {
  COFFER_ASSIGN_OR_RETURN(sealpb::SealConfig config, LoadConfig());
  SealStatus status;
  status.version = COFFER_VERSION_STRING;
  status.initialized = config.format_version() != 0;
  status.sealed = barrier_->sealed();
  status.migration = MigrationPending(config);
  const bool stored_auto = config.type() == kAuto;
  status.recovery_seal = stored_auto;
  if (kms_ != nullptr) {
    status.type = kms_->Type();
  } else {
    status.type = std::string(kShamir);
  }
  status.threshold =
      stored_auto ? config.recovery_threshold() : config.secret_threshold();
  status.shares =
      stored_auto ? config.recovery_shares() : config.secret_shares();
  status.progress = static_cast<int>(progress_.size());
  status.nonce = nonce_;
  return status;
}

absl::StatusOr<crypto::SecureBuffer> SealManager::RecoverKey(
    const sealpb::SealConfig& config,
    absl::Span<const absl::string_view> shares) const {
  absl::StatusOr<crypto::SecureBuffer> key = CombineParts(shares);
  if (!key.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("seal: invalid key: ", key.status().message()));
  }
  if (config.type() == kShamir) {
    // The unseal key is right when it opens the stored root key.
    COFFER_RETURN_IF_ERROR(RootKeyFromUnsealKey(*key).status());
    return key;
  }
  COFFER_ASSIGN_OR_RETURN(std::optional<std::string> check,
                          store_->Get(kRecoveryCheckPath));
  if (!check.has_value()) {
    return absl::DataLossError("seal: the recovery key check is missing");
  }
  COFFER_ASSIGN_OR_RETURN(crypto::Aes256Gcm cipher, CipherFor(*key));
  absl::StatusOr<std::string> value =
      OpenEnvelope(cipher, kRecoveryCheckPath, *check);
  if (!value.ok() || *value != kRecoveryCheckValue) {
    return absl::PermissionDeniedError("seal: invalid recovery key");
  }
  return key;
}

absl::StatusOr<crypto::SecureBuffer> SealManager::RootKeyFromUnsealKey(
    const crypto::SecureBuffer& unseal_key) const {
  COFFER_ASSIGN_OR_RETURN(std::optional<std::string> stored,
                          store_->Get(kRootKeyPath));
  if (!stored.has_value()) {
    return absl::DataLossError("seal: the encrypted root key is missing");
  }
  COFFER_ASSIGN_OR_RETURN(crypto::Aes256Gcm cipher, CipherFor(unseal_key));
  absl::StatusOr<crypto::SecureBuffer> root =
      OpenSecretEnvelope(cipher, kRootKeyPath, *stored);
  if (!root.ok()) return absl::PermissionDeniedError("seal: invalid key");
  return root;
}

absl::StatusOr<crypto::SecureBuffer> SealManager::RootKeyFromKms(
    Kms& kms) const {
  COFFER_ASSIGN_OR_RETURN(std::optional<std::string> stored,
                          store_->Get(kWrappedRootKeyPath));
  sealpb::WrappedKey wrapped;
  if (!stored.has_value() || !wrapped.ParseFromString(*stored) ||
      wrapped.format_version() != 1) {
    return absl::DataLossError(
        "seal: the wrapped root key is missing or corrupt");
  }
  absl::StatusOr<std::string> root =
      kms.Unwrap(wrapped.kms_key_id(), wrapped.ciphertext());
  if (!root.ok()) return KmsError("unwrap the root key", root.status());
  crypto::SecureBuffer key = crypto::SecureBuffer::CopyOf(*root);
  crypto::Wipe(root->data(), root->size());
  if (key.size() != kKeySize) {
    return absl::PermissionDeniedError(
        "seal: the KMS returned a root key of the wrong size");
  }
  return key;
}

absl::Status SealManager::StoreRootKeyUnderUnsealKey(
    const crypto::SecureBuffer& root, const crypto::SecureBuffer& key) {
  COFFER_ASSIGN_OR_RETURN(crypto::Aes256Gcm cipher, CipherFor(key));
  COFFER_ASSIGN_OR_RETURN(std::string sealed,
                          SealEnvelope(cipher, 0, kRootKeyPath, root.view()));
  return store_->Put(kRootKeyPath, sealed);
}

absl::Status SealManager::StoreRootKeyWithKms(
    const crypto::SecureBuffer& root) {
  sealpb::WrappedKey wrapped;
  wrapped.set_format_version(1);
  wrapped.set_kms_key_id(kms_->KeyId());
  absl::StatusOr<std::string> blob =
      kms_->Wrap(wrapped.kms_key_id(), root.view());
  if (!blob.ok()) return KmsError("wrap the root key", blob.status());
  wrapped.set_ciphertext(*blob);
  return store_->Put(kWrappedRootKeyPath, wrapped.SerializeAsString());
}

absl::Status SealManager::StoreRecoveryCheck(
    const crypto::SecureBuffer& recovery_key) {
  COFFER_ASSIGN_OR_RETURN(crypto::Aes256Gcm cipher, CipherFor(recovery_key));
  COFFER_ASSIGN_OR_RETURN(
      std::string sealed,
      SealEnvelope(cipher, 0, kRecoveryCheckPath, kRecoveryCheckValue));
  return store_->Put(kRecoveryCheckPath, sealed);
}

absl::StatusOr<SealStatus> SealManager::SubmitUnsealKey(absl::string_view share,
                                                        bool migrate) {
  COFFER_ASSIGN_OR_RETURN(sealpb::SealConfig config, LoadConfig());
  if (config.format_version() == 0) {
    return absl::FailedPreconditionError("seal: not initialized");
  }
  const bool pending = MigrationPending(config);
  if (pending && !migrate) {
    return absl::FailedPreconditionError(
        "seal: the configured seal differs from the stored one; unseal with "
        "migrate to migrate it");
  }
  if (!pending && config.type() == kAuto) {
    return absl::FailedPreconditionError(
        "seal: an auto-unseal node unseals through its KMS, not with shares");
  }
  if (!barrier_->sealed()) return Status();
  COFFER_ASSIGN_OR_RETURN(crypto::SecureBuffer decoded, DecodeShare(share));
  for (const crypto::SecureBuffer& seen : progress_) {
    if (seen.Equals(decoded)) return Status();  // the same share counts once
  }
  if (progress_.empty()) {
    COFFER_ASSIGN_OR_RETURN(std::string nonce, crypto::RandomString(16));
    nonce_ = absl::BytesToHexString(nonce);
  }
  progress_.push_back(std::move(decoded));
  const int threshold = config.type() == kAuto ? config.recovery_threshold()
                                               : config.secret_threshold();
  if (static_cast<int>(progress_.size()) < threshold) return Status();

  std::vector<absl::string_view> views;
  for (const crypto::SecureBuffer& s : progress_) views.push_back(s.view());
  absl::StatusOr<crypto::SecureBuffer> key = RecoverKey(config, views);
  ResetUnseal();  // a complete attempt ends here, right or wrong
  if (!key.ok()) return key.status();
  if (pending) {
    COFFER_RETURN_IF_ERROR(Migrate(config, *key));
  } else {
    COFFER_ASSIGN_OR_RETURN(crypto::SecureBuffer root,
                            RootKeyFromUnsealKey(*key));
    COFFER_RETURN_IF_ERROR(barrier_->Unseal(root));
  }
  return Status();
}

absl::Status SealManager::Migrate(const sealpb::SealConfig& config,
                                  const crypto::SecureBuffer& key) {
  crypto::SecureBuffer root;
  if (config.type() == kShamir) {
    COFFER_ASSIGN_OR_RETURN(root, RootKeyFromUnsealKey(key));
  } else {
    if (migrate_from_ == nullptr) {
      return absl::FailedPreconditionError(
          "seal: migrating away from auto-unseal needs the old KMS to unwrap "
          "the root key; configure it as the migration source");
    }
    COFFER_ASSIGN_OR_RETURN(root, RootKeyFromKms(*migrate_from_));
  }
  // Unsealing first proves the root key before anything stored changes.
  COFFER_RETURN_IF_ERROR(barrier_->Unseal(root));
  absl::Status s = MigrateUnsealed(config, key, root);
  if (!s.ok()) barrier_->Seal();
  return s;
}

absl::Status SealManager::MigrateUnsealed(const sealpb::SealConfig& config,
                                          const crypto::SecureBuffer& key,
                                          const crypto::SecureBuffer& root) {
  // As in Vault, the shares keep working in their new role: unseal shares
  // become recovery shares, and recovery shares become unseal shares.
  sealpb::SealConfig next = config;
  std::vector<absl::string_view> old_records;
  if (config.type() == kShamir) {
    COFFER_RETURN_IF_ERROR(StoreRootKeyWithKms(root));
    COFFER_RETURN_IF_ERROR(StoreRecoveryCheck(key));
    next.set_type(std::string(kAuto));
    next.set_recovery_shares(config.secret_shares());
    next.set_recovery_threshold(config.secret_threshold());
    next.set_secret_shares(0);
    next.set_secret_threshold(0);
    next.set_kms_type(kms_->Type());
    old_records = {kRootKeyPath};
  } else {
    COFFER_RETURN_IF_ERROR(StoreRootKeyUnderUnsealKey(root, key));
    next.set_type(std::string(kShamir));
    next.set_secret_shares(config.recovery_shares());
    next.set_secret_threshold(config.recovery_threshold());
    next.set_recovery_shares(0);
    next.set_recovery_threshold(0);
    next.clear_kms_type();
    old_records = {kWrappedRootKeyPath, kRecoveryCheckPath};
  }
  // Commit point: the new configuration. Before it is stored the old seal
  // still works; after it the new one does.
  COFFER_RETURN_IF_ERROR(StoreConfig(next));
  for (absl::string_view path : old_records) {
    COFFER_RETURN_IF_ERROR(store_->Delete(path));
  }
  return absl::OkStatus();
}

void SealManager::ResetUnseal() {
  progress_.clear();
  nonce_.clear();
}

absl::Status SealManager::AutoUnseal() {
  if (kms_ == nullptr) {
    return absl::FailedPreconditionError("seal: no KMS is configured");
  }
  COFFER_ASSIGN_OR_RETURN(sealpb::SealConfig config, LoadConfig());
  if (config.format_version() == 0) {
    return absl::FailedPreconditionError("seal: not initialized");
  }
  if (MigrationPending(config)) {
    return absl::FailedPreconditionError(
        "seal: a seal migration is pending; unseal with migrate and the "
        "unseal shares");
  }
  if (!barrier_->sealed()) return absl::OkStatus();
  COFFER_ASSIGN_OR_RETURN(crypto::SecureBuffer root, RootKeyFromKms(*kms_));
  return barrier_->Unseal(root);
}

void SealManager::Seal() {
  ResetUnseal();
  barrier_->Seal();
}

absl::StatusOr<std::vector<std::string>> SealManager::Rekey(
    absl::Span<const std::string> current_shares, int new_shares,
    int new_threshold) {
  COFFER_ASSIGN_OR_RETURN(sealpb::SealConfig config, LoadConfig());
  if (config.format_version() == 0) {
    return absl::FailedPreconditionError("seal: not initialized");
  }
  if (MigrationPending(config)) {
    return absl::FailedPreconditionError(
        "seal: finish the pending seal migration before a rekey");
  }
  COFFER_RETURN_IF_ERROR(CheckShareCounts(new_shares, new_threshold, "rekey"));
  const bool is_auto = config.type() == kAuto;
  const int threshold =
      is_auto ? config.recovery_threshold() : config.secret_threshold();
  std::vector<crypto::SecureBuffer> decoded;
  std::vector<absl::string_view> views;
  for (const std::string& share : current_shares) {
    COFFER_ASSIGN_OR_RETURN(crypto::SecureBuffer d, DecodeShare(share));
    decoded.push_back(std::move(d));
  }
  for (const crypto::SecureBuffer& d : decoded) views.push_back(d.view());
  if (static_cast<int>(views.size()) < threshold) {
    return absl::InvalidArgumentError(
        absl::StrCat("seal: rekey needs ", threshold, " current shares, got ",
                     views.size()));
  }
  COFFER_ASSIGN_OR_RETURN(crypto::SecureBuffer old_key,
                          RecoverKey(config, views));
  COFFER_ASSIGN_OR_RETURN(crypto::SecureBuffer new_key,
                          crypto::RandomSecret(kKeySize));
  COFFER_ASSIGN_OR_RETURN(
      std::vector<std::string> shares,
      SplitSecret(new_key.view(), new_shares, new_threshold));
  if (is_auto) {
    COFFER_RETURN_IF_ERROR(StoreRecoveryCheck(new_key));
    config.set_recovery_shares(new_shares);
    config.set_recovery_threshold(new_threshold);
  } else {
    COFFER_ASSIGN_OR_RETURN(crypto::SecureBuffer root,
                            RootKeyFromUnsealKey(old_key));
    COFFER_RETURN_IF_ERROR(StoreRootKeyUnderUnsealKey(root, new_key));
    config.set_secret_shares(new_shares);
    config.set_secret_threshold(new_threshold);
  }
  COFFER_RETURN_IF_ERROR(StoreConfig(config));
  ResetUnseal();
  return shares;
}

}  // namespace coffer::seal
