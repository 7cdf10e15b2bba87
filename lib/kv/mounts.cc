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
  auto* mounts = table.mutable_mounts();
  mounts->erase(std::find_if(mounts->begin(), mounts->end(),
                             [&](const kvpb::MountEntry& e) {
                               return e.id() == mount.id;
                             }));  // FindMount found it, so it is there.
  auto* purging = table.mutable_purging_ids();
  purging->Add(mount.id);
  std::sort(purging->begin(), purging->end());
  return Purge(txn, &table).status();
}

absl::StatusOr<bool> Engine::PurgeDisabledMounts(Txn* txn) const {
  COFFER_ASSIGN_OR_RETURN(kvpb::MountTable table, LoadMountTable(txn));
  if (table.purging_ids().empty()) return false;
  return Purge(txn, &table);
}

absl::StatusOr<bool> Engine::Purge(Txn* txn, kvpb::MountTable* table) const {
  // Read everything first, so that an error leaves the txn untouched.
  std::vector<std::string> doomed;
  int finished = 0;  // leading purging ids whose records all go now
  for (uint64_t id : table->purging_ids()) {
    const size_t budget = options_.purge_batch_records - doomed.size();
    if (budget == 0) break;
    COFFER_ASSIGN_OR_RETURN(std::vector<std::string> keys,
                            txn->List(MountPrefix(id)));
    const size_t n = std::min(budget, keys.size());
    doomed.insert(doomed.end(), std::make_move_iterator(keys.begin()),
                  std::make_move_iterator(keys.begin() + n));
    if (n < keys.size()) break;
    ++finished;
  }
  table->mutable_purging_ids()->erase(
      table->mutable_purging_ids()->begin(),
      table->mutable_purging_ids()->begin() + finished);
  COFFER_RETURN_IF_ERROR(
      StoreMountTable(txn, *table, options_.max_entry_bytes));
  for (const std::string& key : doomed) txn->Delete(key);
  return !table->purging_ids().empty();
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

absl::StatusOr<MountedPath> Engine::ResolvePath(
    Reader* txn, absl::string_view full_path) const {
  COFFER_ASSIGN_OR_RETURN(kvpb::MountTable table, LoadMountTable(txn));
  // Mounts do not nest, so at most one mount path is a prefix.
  for (const kvpb::MountEntry& entry : table.mounts()) {
    absl::string_view dir = entry.path();
    if (absl::StartsWith(full_path, dir)) {
      return MountedPath{entry.path(),
                         std::string(full_path.substr(dir.size()))};
    }
    dir.remove_suffix(1);  // the mount itself, named without its '/'
    if (full_path == dir) return MountedPath{entry.path(), ""};
  }
  return absl::NotFoundError("kv: no mount holds the path");
}

}  // namespace coffer::kv
