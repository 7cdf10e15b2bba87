// Helpers the engine's operations share: resolving a mount, loading a key's
// metadata, and the effective settings and version states that Vault's rules
// derive from mount and key. Internal to lib/kv.
// Thread-safety: stateless functions over caller-owned values.
#ifndef COFFER_LIB_KV_KEY_STATE_H_
#define COFFER_LIB_KV_KEY_STATE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "kv/txn.h"
#include "proto/kv.pb.h"

namespace coffer::kv {

// An enabled mount.
struct Mount {
  std::string path;  // canonical, trailing '/'
  uint64_t id = 0;
  kvpb::MountConfig config;
};

// The mount at `path` (canonicalized). kInvalidArgument for a bad path,
// kNotFound if no mount is enabled there.
absl::StatusOr<Mount> FindMount(Reader* txn, absl::string_view path);

// A key of a mount and its metadata record, if any.
struct KeyState {
  Mount mount;
  std::string path;      // the key's path inside the mount
  std::string meta_key;  // where its metadata record lives
  std::optional<kvpb::KeyMetadata> meta;
};

// Validates `path`, resolves `mount` and loads the key's metadata (nullopt
// if the key has none). kInvalidArgument for a bad path, kNotFound for no
// such mount, kDataLoss for a corrupt mount table or metadata record.
absl::StatusOr<KeyState> LoadKey(Reader* txn, absl::string_view mount,
                                 absl::string_view path);

// kResourceExhausted if a record of `size` bytes exceeds `max`.
absl::Status CheckEntrySize(absl::string_view what, size_t size, size_t max);

// Vault's rules for combining key and mount settings.
uint32_t EffectiveMaxVersions(const kvpb::MountConfig& mount,
                              const kvpb::KeyMetadata& meta);
bool EffectiveCasRequired(const kvpb::MountConfig& mount,
                          const kvpb::KeyMetadata& meta);
absl::Duration EffectiveDeleteVersionAfter(const kvpb::MountConfig& mount,
                                           const kvpb::KeyMetadata& meta);

// The entry of `version` in `meta`, or nullptr if not recorded.
kvpb::VersionMeta* FindVersion(kvpb::KeyMetadata* meta, uint64_t version);
const kvpb::VersionMeta* FindVersion(const kvpb::KeyMetadata& meta,
                                     uint64_t version);

// Whether the version counts as deleted at `now`.
bool IsDeleted(const kvpb::VersionMeta& version, absl::Time now);

}  // namespace coffer::kv

#endif  // COFFER_LIB_KV_KEY_STATE_H_
