// The engine's version-state and metadata operations: delete, undelete,
// destroy, metadata read/write/delete, and list.
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "kv/engine.h"
#include "kv/key_state.h"
#include "kv/records.h"
#include "kv/validate.h"

namespace coffer::kv {
namespace {

absl::Status CheckVersionList(absl::Span<const uint64_t> versions) {
  if (versions.empty()) {
    return absl::InvalidArgumentError("kv: no version given");
  }
  return absl::OkStatus();
}

// Encodes the key's metadata, checks its size, buffers the write.
absl::Status StoreMetadata(Txn* txn, const KeyState& key, size_t max_bytes) {
  std::string bytes = Encode(*key.meta);
  COFFER_RETURN_IF_ERROR(
      CheckEntrySize("key metadata", bytes.size(), max_bytes));
  txn->Put(key.meta_key, bytes);
  return absl::OkStatus();
}

// Soft-deletes `v` at `now` unless it is destroyed or already deleted.
// Returns whether it changed.
bool SoftDelete(kvpb::VersionMeta* v, absl::Time now) {
  if (v->destroyed() || IsDeleted(*v, now)) return false;
  v->set_has_deletion_time(true);
  v->set_deletion_time_nanos(ToNanos(now));
  return true;
}

}  // namespace

absl::Status Engine::DeleteLatest(Txn* txn, absl::Time now,
                                  absl::string_view mount,
                                  absl::string_view path) const {
  COFFER_ASSIGN_OR_RETURN(KeyState key, LoadKey(txn, mount, path));
  if (!key.meta.has_value()) return absl::OkStatus();
  kvpb::VersionMeta* v = FindVersion(&*key.meta, key.meta->current_version());
  if (v == nullptr || !SoftDelete(v, now)) return absl::OkStatus();
  return StoreMetadata(txn, key, options_.max_entry_bytes);
}

absl::Status Engine::DeleteVersions(Txn* txn, absl::Time now,
                                    absl::string_view mount,
                                    absl::string_view path,
                                    absl::Span<const uint64_t> versions) const {
  COFFER_RETURN_IF_ERROR(CheckVersionList(versions));
  COFFER_ASSIGN_OR_RETURN(KeyState key, LoadKey(txn, mount, path));
  if (!key.meta.has_value()) return absl::OkStatus();
  bool changed = false;
  for (uint64_t version : versions) {
    kvpb::VersionMeta* v = FindVersion(&*key.meta, version);
    if (v != nullptr && SoftDelete(v, now)) changed = true;
  }
  if (!changed) return absl::OkStatus();
  return StoreMetadata(txn, key, options_.max_entry_bytes);
}

absl::Status Engine::UndeleteVersions(
    Txn* txn, absl::string_view mount, absl::string_view path,
    absl::Span<const uint64_t> versions) const {
  COFFER_RETURN_IF_ERROR(CheckVersionList(versions));
  COFFER_ASSIGN_OR_RETURN(KeyState key, LoadKey(txn, mount, path));
  if (!key.meta.has_value()) return absl::OkStatus();
  bool changed = false;
  for (uint64_t version : versions) {
    kvpb::VersionMeta* v = FindVersion(&*key.meta, version);
    // As in Vault, undelete also cancels a deletion scheduled by
    // delete_version_after.
    if (v == nullptr || v->destroyed() || !v->has_deletion_time()) continue;
    v->clear_has_deletion_time();
    v->clear_deletion_time_nanos();
    changed = true;
  }
  if (!changed) return absl::OkStatus();
  return StoreMetadata(txn, key, options_.max_entry_bytes);
}

absl::Status Engine::DestroyVersions(
    Txn* txn, absl::string_view mount, absl::string_view path,
    absl::Span<const uint64_t> versions) const {
  COFFER_RETURN_IF_ERROR(CheckVersionList(versions));
  COFFER_ASSIGN_OR_RETURN(KeyState key, LoadKey(txn, mount, path));
  if (!key.meta.has_value()) return absl::OkStatus();
  std::set<uint64_t> destroyed;
  for (uint64_t version : versions) {
    kvpb::VersionMeta* v = FindVersion(&*key.meta, version);
    if (v == nullptr || v->destroyed()) continue;
    v->set_destroyed(true);
    destroyed.insert(version);
  }
  if (destroyed.empty()) return absl::OkStatus();
  COFFER_RETURN_IF_ERROR(StoreMetadata(txn, key, options_.max_entry_bytes));
  for (uint64_t version : destroyed) {
    txn->Delete(DataKey(key.mount.id, key.path, version));
  }
  return absl::OkStatus();
}

absl::StatusOr<KeyMetadata> Engine::ReadMetadata(Reader* txn,
                                                 absl::string_view mount,
                                                 absl::string_view path) const {
  COFFER_ASSIGN_OR_RETURN(KeyState key, LoadKey(txn, mount, path));
  if (!key.meta.has_value()) {
    return absl::NotFoundError("kv: the key has no metadata");
  }
  return ToKeyMetadata(*key.meta);
}

absl::Status Engine::WriteMetadata(Txn* txn, absl::Time now,
                                   absl::string_view mount,
                                   absl::string_view path,
                                   const KeyMetadataUpdate& update) const {
  if (update.delete_version_after.has_value()) {
    COFFER_RETURN_IF_ERROR(
        ValidateDeleteVersionAfter(*update.delete_version_after));
  }
  if (update.custom_metadata.has_value()) {
    COFFER_RETURN_IF_ERROR(ValidateCustomMetadata(*update.custom_metadata));
  }
  COFFER_ASSIGN_OR_RETURN(KeyState key, LoadKey(txn, mount, path));
  if (!key.meta.has_value()) {
    key.meta.emplace();
    key.meta->set_format_version(kFormatVersion);
    key.meta->set_created_time_nanos(ToNanos(now));
  }
  kvpb::KeyMetadata& meta = *key.meta;
  if (update.max_versions.has_value()) {
    meta.set_max_versions(*update.max_versions);
  }
  if (update.cas_required.has_value()) {
    meta.set_cas_required(*update.cas_required);
  }
  if (update.delete_version_after.has_value()) {
    meta.set_delete_version_after_nanos(ToNanos(*update.delete_version_after));
  }
  if (update.custom_metadata.has_value()) {
    SetCustomMetadata(*update.custom_metadata, &meta);
  }
  meta.set_updated_time_nanos(ToNanos(now));
  return StoreMetadata(txn, key, options_.max_entry_bytes);
}

absl::Status Engine::DeleteMetadata(Txn* txn, absl::string_view mount,
                                    absl::string_view path) const {
  COFFER_ASSIGN_OR_RETURN(KeyState key, LoadKey(txn, mount, path));
  if (!key.meta.has_value()) return absl::OkStatus();
  for (const kvpb::VersionMeta& v : key.meta->versions()) {
    if (!v.destroyed())
      txn->Delete(DataKey(key.mount.id, key.path, v.version()));
  }
  txn->Delete(key.meta_key);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> Engine::List(
    Reader* txn, absl::string_view mount, absl::string_view folder) const {
  COFFER_ASSIGN_OR_RETURN(std::string canonical, CanonicalFolder(folder));
  COFFER_ASSIGN_OR_RETURN(Mount m, FindMount(txn, mount));
  const std::string prefix = MetadataPrefix(m.id) + canonical;
  COFFER_ASSIGN_OR_RETURN(std::vector<std::string> keys, txn->List(prefix));
  // Cutting each key after its first '/' keeps byte order (the cut is a
  // prefix, and keys that share it are adjacent), so dropping adjacent
  // duplicates leaves the sorted entries of this level.
  std::vector<std::string> entries;
  for (const std::string& key : keys) {
    absl::string_view rest = absl::string_view(key).substr(prefix.size());
    size_t slash = rest.find('/');
    absl::string_view entry =
        slash == absl::string_view::npos ? rest : rest.substr(0, slash + 1);
    if (entries.empty() || entries.back() != entry) {
      entries.emplace_back(entry);
    }
  }
  return entries;
}

}  // namespace coffer::kv
