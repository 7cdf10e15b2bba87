#include "seal/barrier.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/check.h"
#include "base/status_macros.h"
#include "seal/envelope.h"

namespace coffer::seal {
namespace {

uint64_t CountCheckpoint(const BarrierOptions& options) {
  return std::max<uint64_t>(1, options.rotate_after_encryptions / 64);
}

}  // namespace

Barrier::Barrier(PhysicalStore* store, BarrierOptions options)
    : store_(store), options_(options) {
  COFFER_CHECK(store_ != nullptr);
}

absl::StatusOr<bool> Barrier::Initialized() const {
  COFFER_ASSIGN_OR_RETURN(std::optional<std::string> ring,
                          store_->Get(kKeyringPath));
  return ring.has_value();
}

absl::Status Barrier::Initialize(const crypto::SecureBuffer& root_key) {
  COFFER_ASSIGN_OR_RETURN(bool initialized, Initialized());
  if (initialized) {
    return absl::FailedPreconditionError("barrier: already initialized");
  }
  COFFER_ASSIGN_OR_RETURN(crypto::Aes256Gcm root,
                          crypto::Aes256Gcm::Create(root_key.view()));
  COFFER_ASSIGN_OR_RETURN(Keyring keyring, Keyring::Create());
  crypto::SecureBuffer bytes = keyring.Serialize();
  COFFER_ASSIGN_OR_RETURN(std::string sealed,
                          SealEnvelope(root, 0, kKeyringPath, bytes.view()));
  return store_->Put(kKeyringPath, sealed);
}

absl::StatusOr<Keyring> Barrier::LoadKeyring(
    const crypto::Aes256Gcm& root) const {
  COFFER_ASSIGN_OR_RETURN(std::optional<std::string> stored,
                          store_->Get(kKeyringPath));
  if (!stored.has_value()) {
    return absl::FailedPreconditionError("barrier: not initialized");
  }
  absl::StatusOr<crypto::SecureBuffer> bytes =
      OpenSecretEnvelope(root, kKeyringPath, *stored);
  if (!bytes.ok()) {
    return absl::PermissionDeniedError(
        "barrier: the root key does not open the keyring");
  }
  return Keyring::Parse(bytes->view());
}

absl::Status Barrier::Unseal(const crypto::SecureBuffer& root_key) {
  COFFER_ASSIGN_OR_RETURN(crypto::Aes256Gcm root,
                          crypto::Aes256Gcm::Create(root_key.view()));
  COFFER_ASSIGN_OR_RETURN(Keyring keyring, LoadKeyring(root));
  keyring.AddEncryptions(CountCheckpoint(options_));
  root_ = std::move(root);
  keyring_ = std::move(keyring);
  return absl::OkStatus();
}

absl::Status Barrier::Reload() {
  COFFER_RETURN_IF_ERROR(CheckUnsealed());
  absl::StatusOr<Keyring> stored = LoadKeyring(*root_);
  if (!stored.ok()) {
    return absl::DataLossError(
        absl::StrCat("barrier: cannot reload the stored keyring: ",
                     stored.status().message()));
  }
  if (stored->active_term() > keyring_->active_term()) {
    stored->AddEncryptions(CountCheckpoint(options_));
    keyring_ = *std::move(stored);
  }
  return absl::OkStatus();
}

absl::Status Barrier::AdoptStoredKeyring() {
  COFFER_RETURN_IF_ERROR(CheckUnsealed());
  COFFER_ASSIGN_OR_RETURN(Keyring stored, LoadKeyring(*root_));
  stored.AddEncryptions(CountCheckpoint(options_));
  keyring_ = std::move(stored);
  return absl::OkStatus();
}

absl::StatusOr<std::string> Barrier::SealKeyringOf(const Barrier& other) const {
  COFFER_RETURN_IF_ERROR(CheckUnsealed());
  COFFER_RETURN_IF_ERROR(other.CheckUnsealed());
  crypto::SecureBuffer bytes = other.keyring_->Serialize();
  return SealEnvelope(*root_, 0, kKeyringPath, bytes.view());
}

void Barrier::Seal() {
  keyring_.reset();  // SecureBuffers wipe the keys as they are destroyed
  root_.reset();
}

absl::Status Barrier::CheckUnsealed() const {
  if (sealed()) return absl::FailedPreconditionError("barrier: sealed");
  return absl::OkStatus();
}

absl::Status Barrier::StoreKeyring() {
  crypto::SecureBuffer bytes = keyring_->Serialize();
  COFFER_ASSIGN_OR_RETURN(std::string sealed,
                          SealEnvelope(*root_, 0, kKeyringPath, bytes.view()));
  return store_->Put(kKeyringPath, sealed);
}

absl::StatusOr<std::string> Barrier::Encrypt(absl::string_view path,
                                             absl::string_view plaintext) {
  COFFER_RETURN_IF_ERROR(CheckUnsealed());
  if (keyring_->active_encryptions() >= options_.rotate_after_encryptions) {
    if (options_.replicated) {
      // Once: not while a stored rotation waits to be adopted.
      COFFER_ASSIGN_OR_RETURN(Keyring stored, LoadForRotation());
      if (stored.active_term() <= keyring_->active_term()) {
        COFFER_RETURN_IF_ERROR(StoreRotated(std::move(stored)).status());
      }
    } else {
      COFFER_RETURN_IF_ERROR(Rotate().status());
    }
  }
  COFFER_ASSIGN_OR_RETURN(
      std::string out, SealEnvelope(keyring_->active(), keyring_->active_term(),
                                    path, plaintext));
  keyring_->CountEncryption();
  if (keyring_->active_encryptions() % CountCheckpoint(options_) == 0) {
    // A stored rotation not adopted yet (StoreRotation) must not be
    // overwritten by this older keyring: skip the checkpoint then (the
    // count only matters for the term being replaced).
    COFFER_ASSIGN_OR_RETURN(Keyring stored, LoadKeyring(*root_));
    if (stored.active_term() <= keyring_->active_term()) {
      COFFER_RETURN_IF_ERROR(StoreKeyring());
    }
  }
  return out;
}

absl::StatusOr<std::string> Barrier::Decrypt(
    absl::string_view path, absl::string_view ciphertext) const {
  COFFER_RETURN_IF_ERROR(CheckUnsealed());
  COFFER_ASSIGN_OR_RETURN(uint32_t term, EnvelopeTerm(ciphertext));
  const crypto::Aes256Gcm* key = keyring_->ForTerm(term);
  if (key == nullptr) {
    return absl::DataLossError(absl::StrCat(
        "barrier: ciphertext at \"", path, "\" names unknown key term ", term));
  }
  return OpenEnvelope(*key, path, ciphertext);
}

absl::Status Barrier::Put(absl::string_view path, absl::string_view plaintext) {
  COFFER_ASSIGN_OR_RETURN(std::string sealed, Encrypt(path, plaintext));
  return store_->Put(path, sealed);
}

absl::StatusOr<std::optional<std::string>> Barrier::Get(
    absl::string_view path) const {
  COFFER_RETURN_IF_ERROR(CheckUnsealed());
  COFFER_ASSIGN_OR_RETURN(std::optional<std::string> stored, store_->Get(path));
  if (!stored.has_value()) return std::nullopt;
  COFFER_ASSIGN_OR_RETURN(std::string plain, Decrypt(path, *stored));
  return plain;
}

absl::Status Barrier::Delete(absl::string_view path) {
  COFFER_RETURN_IF_ERROR(CheckUnsealed());
  return store_->Delete(path);
}

absl::StatusOr<std::vector<std::string>> Barrier::List(
    absl::string_view prefix) const {
  COFFER_RETURN_IF_ERROR(CheckUnsealed());
  return store_->List(prefix);
}

absl::StatusOr<uint32_t> Barrier::Rotate() {
  COFFER_RETURN_IF_ERROR(CheckUnsealed());
  COFFER_ASSIGN_OR_RETURN(Keyring candidate,
                          Keyring::Parse(keyring_->Serialize().view()));
  COFFER_RETURN_IF_ERROR(candidate.Rotate());
  std::swap(candidate, *keyring_);
  if (absl::Status s = StoreKeyring(); !s.ok()) {
    std::swap(candidate, *keyring_);  // not stored: keep the old keyring
    return s;
  }
  return keyring_->active_term();
}

absl::StatusOr<uint32_t> Barrier::StoreRotation() {
  COFFER_RETURN_IF_ERROR(CheckUnsealed());
  COFFER_ASSIGN_OR_RETURN(Keyring stored, LoadForRotation());
  return StoreRotated(std::move(stored));
}

absl::StatusOr<Keyring> Barrier::LoadForRotation() const {
  absl::StatusOr<Keyring> stored = LoadKeyring(*root_);
  if (!stored.ok()) {
    return absl::DataLossError(
        absl::StrCat("barrier: cannot read the stored keyring to rotate it: ",
                     stored.status().message()));
  }
  return stored;
}

absl::StatusOr<uint32_t> Barrier::StoreRotated(Keyring stored) {
  COFFER_RETURN_IF_ERROR(stored.Rotate());
  crypto::SecureBuffer bytes = stored.Serialize();
  COFFER_ASSIGN_OR_RETURN(std::string sealed,
                          SealEnvelope(*root_, 0, kKeyringPath, bytes.view()));
  COFFER_RETURN_IF_ERROR(store_->Put(kKeyringPath, sealed));
  return stored.active_term();
}

uint32_t Barrier::active_term() const {
  COFFER_CHECK(!sealed());
  return keyring_->active_term();
}

uint64_t Barrier::active_encryptions() const {
  COFFER_CHECK(!sealed());
  return keyring_->active_encryptions();
}

}  // namespace coffer::seal
