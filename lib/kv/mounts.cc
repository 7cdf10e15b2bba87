// The engine's mount operations (declared in kv/engine.h).
#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "kv/engine.h"
#include "kv/key_state.h"
#include "kv/records.h"
#include "kv/validate.h"

namespace coffer::kv {
namespace {

absl::Status ValidateMountConfig(const MountConfig& config) {
  return ValidateDeleteVersionAfter(config.delete_version_after);
}

MountInfo ToMountInfo(const kvpb::MountEntry& entry) {
  MountInfo info;
  info.path = entry.path();
  info.id = MountIdString(entry.id());
  info.created_time = FromNanos(entry.created_time_nanos());
  info.config = ToMountConfig(entry.config());
  return info;
}

// Encodes the table, checks its size, buffers the write.
absl::Status StoreMountTable(Txn* txn, const kvpb::MountTable& table,
                             size_t max_entry_bytes) {
  std::string bytes = Encode(table);
  COFFER_RETURN_IF_ERROR(
      CheckEntrySize("mount table", bytes.size(), max_entry_bytes));
  txn->Put(kMountTableKey, bytes);
  return absl::OkStatus();
}

}  // namespace

absl::Status Engine::EnableMount(Txn* txn, absl::Time now,
                                 absl::string_view path,
                                 const MountConfig& config) const {
  COFFER_ASSIGN_OR_RETURN(std::string canonical, CanonicalMountPath(path));
  COFFER_RETURN_IF_ERROR(ValidateMountConfig(config));
  COFFER_ASSIGN_OR_RETURN(kvpb::MountTable table, LoadMountTable(txn));
  for (const kvpb::MountEntry& entry : table.mounts()) {
    // Both paths end in '/', so a prefix test is a test of whole segments.
    if (absl::StartsWith(entry.path(), canonical) ||
        absl::StartsWith(canonical, entry.path())) {
      return absl::InvalidArgumentError(
          absl::StrCat("kv: path ", canonical, " conflicts with the mount at ",
                       entry.path()));
    }
  }
  kvpb::MountEntry entry;
  entry.set_path(canonical);
  entry.set_id(table.next_mount_id());
  entry.set_created_time_nanos(ToNanos(now));
  *entry.mutable_config() = ToRecord(config);
  table.set_next_mount_id(table.next_mount_id() + 1);
  // Keep the table sorted by path: insert, then rotate into place.
  auto* mounts = table.mutable_mounts();
  *mounts->Add() = std::move(entry);
  auto pos =
      std::upper_bound(mounts->begin(), mounts->end() - 1, canonical,
                       [](const std::string& p, const kvpb::MountEntry& e) {
                         return p < e.path();
                       });
  std::rotate(pos, mounts->end() - 1, mounts->end());
  return StoreMountTable(txn, table, options_.max_entry_bytes);
}

absl::Status Engine::DisableMount(Txn* txn, absl::string_view path) const {
  COFFER_ASSIGN_OR_RETURN(Mount mount, FindMount(txn, path));
  COFFER_ASSIGN_OR_RETURN(kvpb::MountTable table, LoadMountTable(txn));
  COFFER_ASSIGN_OR_RETURN(std::vector<std::string> keys,
                          txn->List(MountPrefix(mount.id)));
  auto* mounts = table.mutable_mounts();
  auto it = std::find_if(
      mounts->begin(), mounts->end(),
      [&](const kvpb::MountEntry& e) { return e.id() == mount.id; });
  mounts->erase(it);  // FindMount found it, so it is there.
  COFFER_RETURN_IF_ERROR(StoreMountTable(txn, table, options_.max_entry_bytes));
  for (const std::string& key : keys) txn->Delete(key);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<MountInfo>> Engine::ListMounts(Reader* txn) const {
  COFFER_ASSIGN_OR_RETURN(kvpb::MountTable table, LoadMountTable(txn));
  std::vector<MountInfo> out;
  out.reserve(table.mounts_size());
  for (const kvpb::MountEntry& entry : table.mounts()) {
    out.push_back(ToMountInfo(entry));
  }
  return out;
}

absl::StatusOr<MountConfig> Engine::ReadMountConfig(
    Reader* txn, absl::string_view path) const {
  COFFER_ASSIGN_OR_RETURN(Mount mount, FindMount(txn, path));
  return ToMountConfig(mount.config);
}

absl::Status Engine::WriteMountConfig(Txn* txn, absl::string_view path,
                                      const MountConfigUpdate& update) const {
  if (update.delete_version_after.has_value()) {
    COFFER_RETURN_IF_ERROR(
        ValidateDeleteVersionAfter(*update.delete_version_after));
  }
  COFFER_ASSIGN_OR_RETURN(Mount mount, FindMount(txn, path));
  COFFER_ASSIGN_OR_RETURN(kvpb::MountTable table, LoadMountTable(txn));
  for (kvpb::MountEntry& entry : *table.mutable_mounts()) {
    if (entry.id() != mount.id) continue;
    kvpb::MountConfig* config = entry.mutable_config();
    if (update.max_versions.has_value()) {
      config->set_max_versions(*update.max_versions);
    }
    if (update.cas_required.has_value()) {
      config->set_cas_required(*update.cas_required);
    }
    if (update.delete_version_after.has_value()) {
      config->set_delete_version_after_nanos(
          ToNanos(*update.delete_version_after));
    }
  }
  return StoreMountTable(txn, table, options_.max_entry_bytes);
}

}  // namespace coffer::kv
