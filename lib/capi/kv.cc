// The C ABI of coffer::Node's KV version 2 calls.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "capi/internal.h"
#include "capi/node.h"

namespace coffer::capi {
namespace {

absl::Status CheckKey(const char* mount, const char* path,
                      const char* path_name = "path") {
  COFFER_RETURN_IF_ERROR(NotNull(mount, "mount"));
  return NotNull(path, path_name);
}

int64_t Nanos(absl::Time t) { return absl::ToUnixNanos(t); }
int64_t Nanos(absl::Duration d) { return absl::ToInt64Nanoseconds(d); }

// Fills a zeroed struct (which its free function releases if this throws).
void FillVersion(coffer_version_metadata_t& r, const VersionMetadata& m) {
  r.version = m.version;
  r.created_time_ns = Nanos(m.created_time);
  r.has_deletion_time = m.deletion_time.has_value();
  if (m.deletion_time) r.deletion_time_ns = Nanos(*m.deletion_time);
  r.destroyed = m.destroyed;
  r.custom_metadata = FromSecretData(m.custom_metadata);
  r.num_custom_metadata = m.custom_metadata.size();
}

coffer_version_metadata_t* NewVersion(const VersionMetadata& m) {
  std::unique_ptr<coffer_version_metadata_t,
                  void (*)(coffer_version_metadata_t*)>
      r(New<coffer_version_metadata_t>(), coffer_version_metadata_free);
  FillVersion(*r, m);
  return r.release();
}

// The result of a write (put, patch): an optional version metadata.
using WriteResult = Result<coffer_version_metadata_t>;

absl::Status ReturnVersion(WriteResult& out,
                           const absl::StatusOr<VersionMetadata>& m) {
  if (!m.ok()) return m.status();
  if (out.wanted()) FillVersion(*out.get(), *m);
  return absl::OkStatus();
}

WriteResult NewWriteResult(coffer_version_metadata_t** out) {
  return WriteResult(out, coffer_version_metadata_free, WriteResult::kOptional);
}

WriteOptions ToWriteOptions(const uint64_t* cas) {
  WriteOptions options;
  if (cas != nullptr) options.cas = *cas;
  return options;
}

absl::StatusOr<std::vector<uint64_t>> ToVersions(const uint64_t* versions,
                                                 size_t num_versions) {
  if (num_versions > 0) COFFER_RETURN_IF_ERROR(NotNull(versions, "versions"));
  return std::vector<uint64_t>(versions, versions + num_versions);
}

}  // namespace
}  // namespace coffer::capi

using namespace coffer::capi;  // NOLINT: the C entry points below
using coffer::Node;

extern "C" {

void coffer_mount_config_init(coffer_mount_config_t* config,
                              size_t struct_size) {
  InitSized(config, struct_size, ZeroDefaults<coffer_mount_config_t>());
}

int coffer_kv_enable_mount(coffer_node_t* node, const char* token,
                           const char* path,
                           const coffer_mount_config_t* config) {
  return RunOnNode(node, [&](Node& n) -> absl::Status {
    COFFER_RETURN_IF_ERROR(NotNull(path, "path"));
    coffer_mount_config_t c;
    COFFER_RETURN_IF_ERROR(ReadOptional(
        config, &c, ZeroDefaults<coffer_mount_config_t>(), "config"));
    coffer::MountConfig mc;
    mc.max_versions = c.max_versions;
    mc.cas_required = c.cas_required != 0;
    mc.delete_version_after = absl::Nanoseconds(c.delete_version_after_ns);
    return n.EnableKvMount(AsCaller(token), path, mc);
  });
}

void coffer_mount_config_update_init(coffer_mount_config_update_t* update,
                                     size_t struct_size) {
  InitSized(update, struct_size, ZeroDefaults<coffer_mount_config_update_t>());
}

int coffer_kv_tune_mount(coffer_node_t* node, const char* token,
                         const char* path,
                         const coffer_mount_config_update_t* update) {
  return RunOnNode(node, [&](Node& n) -> absl::Status {
    COFFER_RETURN_IF_ERROR(NotNull(path, "path"));
    coffer_mount_config_update_t u;
    COFFER_RETURN_IF_ERROR(ReadVersioned(
        update, &u, ZeroDefaults<coffer_mount_config_update_t>(), "update"));
    coffer::MountConfigUpdate up;
    if (u.set_max_versions) up.max_versions = u.max_versions;
    if (u.set_cas_required) up.cas_required = u.cas_required != 0;
    if (u.set_delete_version_after) {
      up.delete_version_after = absl::Nanoseconds(u.delete_version_after_ns);
    }
    return n.TuneKvMount(AsCaller(token), path, up);
  });
}

int coffer_kv_disable_mount(coffer_node_t* node, const char* token,
                            const char* path) {
  return RunOnNode(node, [&](Node& n) -> absl::Status {
    COFFER_RETURN_IF_ERROR(NotNull(path, "path"));
    return n.DisableKvMount(AsCaller(token), path);
  });
}

namespace {

void FillMount(const coffer::MountInfo& in, coffer_mount_info_t* m) {
  m->path = CopyBytes(in.path);
  m->id = CopyBytes(in.id);
  m->created_time_ns = Nanos(in.created_time);
  m->max_versions = in.config.max_versions;
  m->cas_required = in.config.cas_required;
  m->delete_version_after_ns = Nanos(in.config.delete_version_after);
}

}  // namespace

int coffer_kv_list_mounts(coffer_node_t* node, const char* token,
                          coffer_mount_list_t** out, int consistency) {
  return RunOnNode(
      node, Result(out, coffer_mount_list_free),
      [&](Node& n, Result<coffer_mount_list_t>& r) -> absl::Status {
        COFFER_RETURN_IF_ERROR(CheckConsistency(consistency));
        COFFER_ASSIGN_OR_RETURN(
            std::vector<coffer::MountInfo> mounts,
            n.ListKvMounts(AsCaller(token),
                           static_cast<coffer::ReadConsistency>(consistency)));
        r->mounts = NewArray<coffer_mount_info_t*>(mounts.size());
        r->num_mounts = mounts.size();
        for (size_t i = 0; i < mounts.size(); ++i) {
          FillMount(mounts[i], r->mounts[i] = New<coffer_mount_info_t>());
        }
        return absl::OkStatus();
      });
}

int coffer_kv_find_mount(coffer_node_t* node, const char* token,
                         coffer_mount_info_t** out, const char* path,
                         int consistency) {
  return RunOnNode(
      node, Result(out, coffer_mount_info_free),
      [&](Node& n, Result<coffer_mount_info_t>& r) -> absl::Status {
        COFFER_RETURN_IF_ERROR(NotNull(path, "path"));
        COFFER_RETURN_IF_ERROR(CheckConsistency(consistency));
        COFFER_ASSIGN_OR_RETURN(
            coffer::MountInfo m,
            n.FindKvMount(AsCaller(token), path,
                          static_cast<coffer::ReadConsistency>(consistency)));
        FillMount(m, r.get());
        return absl::OkStatus();
      });
}

void coffer_mount_info_free(coffer_mount_info_t* mount) {
  if (mount == nullptr) return;
  coffer_free(mount->path);
  coffer_free(mount->id);
  coffer_free(mount);
}

void coffer_mount_list_free(coffer_mount_list_t* list) {
  if (list == nullptr) return;
  FreeArray(list->mounts, list->num_mounts, coffer_mount_info_free);
  coffer_free(list);
}

void coffer_version_metadata_free(coffer_version_metadata_t* metadata) {
  if (metadata == nullptr) return;
  FreeFields(metadata->custom_metadata, metadata->num_custom_metadata);
  coffer_free(metadata);
}

void coffer_kv_result_free(coffer_kv_result_t* result) {
  if (result == nullptr) return;
  coffer_version_metadata_free(result->metadata);
  FreeFields(result->fields, result->num_fields);
  coffer_free(result);
}

int coffer_kv_put(coffer_node_t* node, const char* token,
                  coffer_version_metadata_t** out, const char* mount,
                  const char* path, const coffer_kv_field_t* fields,
                  size_t num_fields, const uint64_t* cas) {
  return RunOnNode(
      node, NewWriteResult(out), [&](Node& n, WriteResult& r) -> absl::Status {
        COFFER_RETURN_IF_ERROR(CheckKey(mount, path));
        COFFER_ASSIGN_OR_RETURN(coffer::SecretData data,
                                ToSecretData(fields, num_fields, "fields"));
        WipeOnExit<coffer::SecretData> wipe(data);
        return ReturnVersion(r, n.KvPut(AsCaller(token), mount, path, data,
                                        ToWriteOptions(cas)));
      });
}

int coffer_kv_get(coffer_node_t* node, const char* token,
                  coffer_kv_result_t** out, const char* mount, const char* path,
                  uint64_t version, int consistency) {
  return RunOnNode(
      node, Result(out, coffer_kv_result_free),
      [&](Node& n, Result<coffer_kv_result_t>& r) -> absl::Status {
        COFFER_RETURN_IF_ERROR(CheckKey(mount, path));
        COFFER_RETURN_IF_ERROR(CheckConsistency(consistency));
        COFFER_ASSIGN_OR_RETURN(
            coffer::KvReadResult read,
            n.KvGet(AsCaller(token), mount, path, version,
                    static_cast<coffer::ReadConsistency>(consistency)));
        coffer::SecretData none;
        WipeOnExit<coffer::SecretData> wipe(read.data ? *read.data : none);
        r->metadata = NewVersion(read.metadata);
        r->has_data = read.data.has_value();
        if (read.data) {
          r->fields = FromSecretData(*read.data);
          r->num_fields = read.data->size();
        }
        return absl::OkStatus();
      });
}

int coffer_kv_patch(coffer_node_t* node, const char* token,
                    coffer_version_metadata_t** out, const char* mount,
                    const char* path, const coffer_kv_field_t* set,
                    size_t num_set, const char* const* remove,
                    size_t num_remove, const uint64_t* cas) {
  return RunOnNode(
      node, NewWriteResult(out), [&](Node& n, WriteResult& r) -> absl::Status {
        COFFER_RETURN_IF_ERROR(CheckKey(mount, path));
        if (num_remove > 0) COFFER_RETURN_IF_ERROR(NotNull(remove, "remove"));
        coffer::SecretPatch patch;
        for (size_t i = 0; i < num_remove; ++i) {
          if (remove[i] == nullptr) {
            return absl::InvalidArgumentError(
                absl::StrCat("capi: remove[", i, "] is NULL"));
          }
          patch.remove.insert(remove[i]);
        }
        COFFER_ASSIGN_OR_RETURN(patch.set, ToSecretData(set, num_set, "set"));
        WipeOnExit<coffer::SecretData> wipe(patch.set);
        return ReturnVersion(r, n.KvPatch(AsCaller(token), mount, path, patch,
                                          ToWriteOptions(cas)));
      });
}

int coffer_kv_delete(coffer_node_t* node, const char* token, const char* mount,
                     const char* path) {
  return RunOnNode(node, [&](Node& n) -> absl::Status {
    COFFER_RETURN_IF_ERROR(CheckKey(mount, path));
    return n.KvDelete(AsCaller(token), mount, path);
  });
}

namespace {

// The version operations (delete, undelete, destroy) share their checks.
using VersionsMethod = absl::Status (coffer::Node::*)(
    const coffer::Caller&, absl::string_view, absl::string_view,
    const std::vector<uint64_t>&);

int ChangeVersions(coffer_node_t* node, const char* token, const char* mount,
                   const char* path, const uint64_t* versions,
                   size_t num_versions, VersionsMethod method) {
  return RunOnNode(node, [&](Node& n) -> absl::Status {
    COFFER_RETURN_IF_ERROR(CheckKey(mount, path));
    COFFER_ASSIGN_OR_RETURN(auto v, ToVersions(versions, num_versions));
    return (n.*method)(AsCaller(token), mount, path, v);
  });
}

}  // namespace

int coffer_kv_delete_versions(coffer_node_t* node, const char* token,
                              const char* mount, const char* path,
                              const uint64_t* versions, size_t num_versions) {
  return ChangeVersions(node, token, mount, path, versions, num_versions,
                        &coffer::Node::KvDeleteVersions);
}

int coffer_kv_undelete(coffer_node_t* node, const char* token,
                       const char* mount, const char* path,
                       const uint64_t* versions, size_t num_versions) {
  return ChangeVersions(node, token, mount, path, versions, num_versions,
                        &coffer::Node::KvUndelete);
}

int coffer_kv_destroy(coffer_node_t* node, const char* token, const char* mount,
                      const char* path, const uint64_t* versions,
                      size_t num_versions) {
  return ChangeVersions(node, token, mount, path, versions, num_versions,
                        &coffer::Node::KvDestroy);
}

int coffer_kv_read_metadata(coffer_node_t* node, const char* token,
                            coffer_key_metadata_t** out, const char* mount,
                            const char* path, int consistency) {
  return RunOnNode(
      node, Result(out, coffer_key_metadata_free),
      [&](Node& n, Result<coffer_key_metadata_t>& r) -> absl::Status {
        COFFER_RETURN_IF_ERROR(CheckKey(mount, path));
        COFFER_RETURN_IF_ERROR(CheckConsistency(consistency));
        COFFER_ASSIGN_OR_RETURN(
            coffer::KeyMetadata m,
            n.KvReadMetadata(
                AsCaller(token), mount, path,
                static_cast<coffer::ReadConsistency>(consistency)));
        r->created_time_ns = Nanos(m.created_time);
        r->updated_time_ns = Nanos(m.updated_time);
        r->current_version = m.current_version;
        r->oldest_version = m.oldest_version;
        r->max_versions = m.max_versions;
        r->cas_required = m.cas_required;
        r->delete_version_after_ns = Nanos(m.delete_version_after);
        r->custom_metadata = FromSecretData(m.custom_metadata);
        r->num_custom_metadata = m.custom_metadata.size();
        r->versions = NewArray<coffer_version_metadata_t*>(m.versions.size());
        r->num_versions = m.versions.size();
        size_t i = 0;
        for (const auto& [number, version] : m.versions) {
          r->versions[i++] = NewVersion(version);
        }
        return absl::OkStatus();
      });
}

void coffer_key_metadata_free(coffer_key_metadata_t* metadata) {
  if (metadata == nullptr) return;
  FreeFields(metadata->custom_metadata, metadata->num_custom_metadata);
  FreeArray(metadata->versions, metadata->num_versions,
            coffer_version_metadata_free);
  coffer_free(metadata);
}

void coffer_key_metadata_update_init(coffer_key_metadata_update_t* update,
                                     size_t struct_size) {
  InitSized(update, struct_size, ZeroDefaults<coffer_key_metadata_update_t>());
}

int coffer_kv_write_metadata(coffer_node_t* node, const char* token,
                             const char* mount, const char* path,
                             const coffer_key_metadata_update_t* update) {
  return RunOnNode(node, [&](Node& n) -> absl::Status {
    COFFER_RETURN_IF_ERROR(CheckKey(mount, path));
    coffer_key_metadata_update_t u;
    COFFER_RETURN_IF_ERROR(ReadVersioned(
        update, &u, ZeroDefaults<coffer_key_metadata_update_t>(), "update"));
    coffer::KeyMetadataUpdate up;
    if (u.set_max_versions) up.max_versions = u.max_versions;
    if (u.set_cas_required) up.cas_required = u.cas_required != 0;
    if (u.set_delete_version_after) {
      up.delete_version_after = absl::Nanoseconds(u.delete_version_after_ns);
    }
    if (u.set_custom_metadata) {
      COFFER_ASSIGN_OR_RETURN(
          up.custom_metadata,
          ToSecretData(u.custom_metadata, u.num_custom_metadata,
                       "update->custom_metadata"));
    }
    return n.KvWriteMetadata(AsCaller(token), mount, path, up);
  });
}

int coffer_kv_delete_metadata(coffer_node_t* node, const char* token,
                              const char* mount, const char* path) {
  return RunOnNode(node, [&](Node& n) -> absl::Status {
    COFFER_RETURN_IF_ERROR(CheckKey(mount, path));
    return n.KvDeleteMetadata(AsCaller(token), mount, path);
  });
}

int coffer_kv_list(coffer_node_t* node, const char* token,
                   coffer_string_list_t** out, const char* mount,
                   const char* folder, int consistency) {
  return RunOnNode(
      node, Result(out, coffer_string_list_free),
      [&](Node& n, Result<coffer_string_list_t>& r) -> absl::Status {
        COFFER_RETURN_IF_ERROR(CheckKey(mount, folder, "folder"));
        COFFER_RETURN_IF_ERROR(CheckConsistency(consistency));
        COFFER_ASSIGN_OR_RETURN(
            std::vector<std::string> names,
            n.KvList(AsCaller(token), mount, folder,
                     static_cast<coffer::ReadConsistency>(consistency)));
        FillStringList(*r.get(), names);
        return absl::OkStatus();
      });
}

}  // extern "C"
