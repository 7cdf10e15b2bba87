// Value types of coffer's KV version 2 secrets engine, as a user sees them.
//
// Concepts (as in HashiCorp Vault's kv-v2 engine). A mount is a named engine
// instance ("secret/") with its own configuration. Inside a mount, a key
// ("app/db") holds a sequence of versions 1, 2, 3, ...; each version is a
// whole SecretData map. A version can be soft-deleted (its data hidden,
// recoverable by undelete), or destroyed (its data erased for good; only its
// metadata stays). Key metadata records the versions, limits and the user's
// custom metadata. Check-and-set (cas) makes a write conditional on the
// key's current version: 0 means "only if the key has no version yet".
//
// Every time below is the leader's clock at the moment the operation was
// applied; a zero-length delete_version_after means "never".
//
// Thread-safety: plain values; thread-compatible.
// This header compiles as C++17.
#ifndef COFFER_KV_H_
#define COFFER_KV_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/time/time.h"

namespace coffer {

// The fields of one secret version: field name -> value. Names are non-empty;
// values are arbitrary bytes. std::map keeps the fields in byte order, which
// makes encodings deterministic.
using SecretData = std::map<std::string, std::string>;

// Non-secret user annotations on a key: at most 64 entries, names of 1..128
// bytes, values of at most 512 bytes (Vault's limits).
using CustomMetadata = std::map<std::string, std::string>;

// What Vault reports about one version.
struct VersionMetadata {
  uint64_t version = 0;     // 1, 2, ...
  absl::Time created_time;  // when the version was written
  // When the version became or becomes deleted: set by a soft delete, or at
  // write time to created_time + the effective delete_version_after. The
  // version counts as deleted once now >= deletion_time. Cleared by undelete.
  std::optional<absl::Time> deletion_time;
  bool destroyed = false;          // the data is gone for good
  CustomMetadata custom_metadata;  // the key's, at the time of the read
};

// What Vault reports about a key (its "metadata" endpoint).
struct KeyMetadata {
  absl::Time created_time;       // first write of a version or of metadata
  absl::Time updated_time;       // last write of a version or of metadata
  uint64_t current_version = 0;  // 0 until a version is written
  // The oldest version still recorded; 0 if none. (Vault reports 0 until it
  // first removes a version.)
  uint64_t oldest_version = 0;
  // The key's own settings. max_versions and delete_version_after: 0 / zero
  // mean "use the mount's". cas_required: true requires cas for this key
  // even where the mount does not.
  uint32_t max_versions = 0;
  bool cas_required = false;
  absl::Duration delete_version_after = absl::ZeroDuration();
  CustomMetadata custom_metadata;
  // Every recorded version, oldest first; each entry's custom_metadata is
  // left empty (it is above). Versions removed by max_versions are no
  // longer listed; deleted and destroyed ones are.
  std::map<uint64_t, VersionMetadata> versions;
};

// A mount's configuration.
struct MountConfig {
  // Versions kept per key before the oldest are removed on the next write;
  // 0 means the default, 10.
  uint32_t max_versions = 0;
  // Every write to the mount must carry a cas value.
  bool cas_required = false;
  // A new version is deleted this long after its creation; zero = never.
  // Must be finite and not negative.
  absl::Duration delete_version_after = absl::ZeroDuration();
};

// A partial update of a MountConfig: only the fields that are set change.
struct MountConfigUpdate {
  std::optional<uint32_t> max_versions;
  std::optional<bool> cas_required;
  std::optional<absl::Duration> delete_version_after;
};

// One enabled mount, as listed.
struct MountInfo {
  std::string path;  // with a trailing '/', e.g. "secret/"
  std::string id;    // unique over the store's life, never reused
  absl::Time created_time;
  MountConfig config;
};

// Options of a write (put or patch) of a new version.
struct WriteOptions {
  // Check-and-set: write only if the key's current version equals *cas
  // (0: only if the key has no version: never written, or removed by
  // delete-metadata). Deleted and destroyed versions count: they are still
  // the current version. Required when the mount or key has cas_required.
  std::optional<uint64_t> cas;
  // The fields this write sets (Put's data, Patch's set) whose values are
  // JSON text rather than bytes: a Vault client's numbers, booleans, nulls,
  // arrays and objects, which a host keeps as their JSON text. The library
  // stores the mark beside the value and reports it on reads
  // (KvReadResult::json_fields); it never parses the value. A patch keeps
  // the marks of the fields it keeps. kInvalidArgument for a name that the
  // write does not set. (Initialized, so that WriteOptions{cas} raises no
  // missing-initializer warning.)
  std::set<std::string> json_fields = {};
};

// A patch: the fields to set (added or replaced) and the names to remove
// from the latest version's data. A name in both is an invalid argument.
struct SecretPatch {
  SecretData set;
  std::set<std::string> remove;
};

// A partial update of a key's metadata: only the fields that are set change.
// custom_metadata, when set, replaces the whole map.
struct KeyMetadataUpdate {
  std::optional<uint32_t> max_versions;  // 0: use the mount's
  std::optional<bool> cas_required;
  std::optional<absl::Duration> delete_version_after;  // zero: the mount's
  std::optional<CustomMetadata> custom_metadata;
};

}  // namespace coffer

#endif  // COFFER_KV_H_
