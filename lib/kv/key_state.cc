#include "kv/key_state.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "kv/engine.h"
#include "kv/records.h"
#include "kv/validate.h"

namespace coffer::kv {

absl::StatusOr<Mount> FindMount(Reader* txn, absl::string_view path) {
  COFFER_ASSIGN_OR_RETURN(std::string canonical, CanonicalMountPath(path));
  COFFER_ASSIGN_OR_RETURN(kvpb::MountTable table, LoadMountTable(txn));
  for (const kvpb::MountEntry& entry : table.mounts()) {
    if (entry.path() == canonical) {
      return Mount{canonical, entry.id(), entry.config()};
    }
  }
  return absl::NotFoundError(
      absl::StrCat("kv: no mount is enabled at ", canonical));
}

absl::StatusOr<KeyState> LoadKey(Reader* txn, absl::string_view mount,
                                 absl::string_view path) {
  COFFER_RETURN_IF_ERROR(ValidateKeyPath(path));
  KeyState key;
  COFFER_ASSIGN_OR_RETURN(key.mount, FindMount(txn, mount));
  key.path = std::string(path);
  key.meta_key = MetadataKey(key.mount.id, path);
  COFFER_ASSIGN_OR_RETURN(key.meta, LoadKeyMetadata(txn, key.meta_key));
  return key;
}

absl::Status CheckEntrySize(absl::string_view what, size_t size, size_t max) {
  if (size <= max) return absl::OkStatus();
  return absl::ResourceExhaustedError(
      absl::StrCat("kv: ", what, " of ", size,
                   " bytes exceeds the maximum entry size of ", max, " bytes"));
}

uint32_t EffectiveMaxVersions(const kvpb::MountConfig& mount,
                              const kvpb::KeyMetadata& meta) {
  if (meta.max_versions() > 0) return meta.max_versions();
  if (mount.max_versions() > 0) return mount.max_versions();
  return kDefaultMaxVersions;
}

bool EffectiveCasRequired(const kvpb::MountConfig& mount,
                          const kvpb::KeyMetadata& meta) {
  return mount.cas_required() || meta.cas_required();
}

absl::Duration EffectiveDeleteVersionAfter(const kvpb::MountConfig& mount,
                                           const kvpb::KeyMetadata& meta) {
  int64_t nanos = meta.delete_version_after_nanos() > 0
                      ? meta.delete_version_after_nanos()
                      : mount.delete_version_after_nanos();
  return absl::Nanoseconds(nanos);
}

namespace {

// The index of `version` in meta.versions(), or -1. Versions are contiguous
// (checked when the record was loaded), so it follows from the oldest one.
int VersionIndex(const kvpb::KeyMetadata& meta, uint64_t version) {
  if (meta.versions().empty()) return -1;
  const uint64_t oldest = meta.versions(0).version();
  if (version < oldest || version > meta.current_version()) return -1;
  return static_cast<int>(version - oldest);
}

}  // namespace

const kvpb::VersionMeta* FindVersion(const kvpb::KeyMetadata& meta,
                                     uint64_t version) {
  int i = VersionIndex(meta, version);
  return i < 0 ? nullptr : &meta.versions(i);
}

kvpb::VersionMeta* FindVersion(kvpb::KeyMetadata* meta, uint64_t version) {
  int i = VersionIndex(*meta, version);
  return i < 0 ? nullptr : meta->mutable_versions(i);
}

bool IsDeleted(const kvpb::VersionMeta& version, absl::Time now) {
  return version.has_deletion_time() &&
         now >= FromNanos(version.deletion_time_nanos());
}

}  // namespace coffer::kv
