// The KV version 2 secrets engine: Vault's kv-v2 semantics as a pure,
// deterministic function of (stored records, operation, timestamp).
//
// Each method runs one logical operation against a Txn: it reads records,
// decides, and buffers the writes. The node runs write operations on the
// leader only, one at a time, takes the txn's write set and replicates it;
// read operations run against any consistent view. The engine never reads a
// clock: `now` is the leader's time for the operation, and the same records,
// operation and `now` always produce the same result and byte-identical
// writes. The storage layout is in kv/records.h.
//
// Txn and Reader arguments are borrowed for the call only. No method blocks,
// keeps state between calls or calls anything but the Txn/Reader.
//
// Errors (the node's code map, STYLE.md); every message starts with "kv: "
// and never holds a secret value or field name:
//   kNotFound           no such mount, key or version; a deleted or destroyed
//                       version (Get; see GetResult)
//   kInvalidArgument    a bad path, field name, setting or option; a write
//                       without cas where cas is required
//   kAborted            check-and-set mismatch ("kv: check-and-set mismatch")
//   kResourceExhausted  a record would exceed EngineOptions::max_entry_bytes
//   kDataLoss           a stored record is corrupt (the message names it)
//   other               the Txn's own read errors, unchanged
// On any error the engine has buffered no write in the txn, so the txn can
// be discarded or reused as is.
//
// Thread-safety: an Engine holds only its options and is immutable, so it is
// thread-safe; a Txn is not, so one txn is used by one thread at a time.
#ifndef COFFER_LIB_KV_ENGINE_H_
#define COFFER_LIB_KV_ENGINE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "coffer/kv.h"
#include "kv/txn.h"

namespace coffer::kvpb {
class MountTable;
class VersionMeta;
}  // namespace coffer::kvpb

namespace coffer::kv {

struct EngineOptions {
  // The largest encoded record (a version's data, a key's metadata, the
  // mount table) the engine writes, in bytes. Default 1 MiB; at least 4096.
  size_t max_entry_bytes = size_t{1} << 20;
  // Records of a disabled mount deleted per txn (DisableMount,
  // PurgeDisabledMounts), which bounds those write sets. Default 10000;
  // at least 1.
  size_t purge_batch_records = 10000;
};

// kInvalidArgument naming the first field out of range.
absl::Status ValidateEngineOptions(const EngineOptions& options);

// The default of MountConfig::max_versions == 0.
inline constexpr uint32_t kDefaultMaxVersions = 10;

// The outcome of reading one version. Vault answers a read of a deleted or
// destroyed version with a 404 whose body still holds the version's metadata;
// this carries the same.
struct GetResult {
  // OK, kNotFound, or another error of the list above.
  absl::Status status;
  // Set when status is OK, and when it is kNotFound because the version is
  // deleted or destroyed (the message says which).
  std::optional<VersionMetadata> metadata;
  // Set if and only if status is OK.
  std::optional<SecretData> data;
  // The fields of `data` written as JSON text.
  std::set<std::string> json_fields;
};

// A full logical path split at its mount.
struct MountedPath {
  std::string mount;  // the enabled mount's path, e.g. "secret/"
  std::string path;   // the rest, e.g. "app/db"; may be empty
};

class Engine {
 public:
  // REQUIRES: ValidateEngineOptions(options).ok().
  explicit Engine(EngineOptions options = {});

  // --- Mounts. A mount path is one or more segments ("secret", "team/a"),
  // given with or without a trailing '/' and reported with one. Mounts may not
  // nest: kInvalidArgument if `path` equals, contains or lies inside an enabled
  // mount's path.

  // Enables a kv-v2 mount with a new id, created at `now`.
  absl::Status EnableMount(Txn* txn, absl::Time now, absl::string_view path,
                           const MountConfig& config) const;
  // Disables a mount: it leaves the table at once, so nothing of it can be
  // read or written any more, and its records are deleted, at most
  // purge_batch_records of them in this txn. kNotFound if no mount is
  // enabled at `path`.
  absl::Status DisableMount(Txn* txn, absl::string_view path) const;
  // Deletes up to purge_batch_records more records of disabled mounts.
  // Returns whether some remain: the node calls it again, in a new txn,
  // until it returns false. Leftover records are harmless meanwhile (mount
  // ids are never reused), only space.
  absl::StatusOr<bool> PurgeDisabledMounts(Txn* txn) const;
  // The enabled mounts, sorted by path.
  absl::StatusOr<std::vector<MountInfo>> ListMounts(Reader* txn) const;
  absl::StatusOr<MountConfig> ReadMountConfig(Reader* txn,
                                              absl::string_view path) const;
  absl::Status WriteMountConfig(Txn* txn, absl::string_view mount,
                                const MountConfigUpdate& update) const;
  // Splits `full_path` ("secret/app/db") at the enabled mount that holds it,
  // for callers that address secrets by one path. kNotFound if no mount
  // holds it. Validates no more than it must: the parts are checked when
  // used.
  absl::StatusOr<MountedPath> ResolvePath(Reader* txn,
                                          absl::string_view full_path) const;

  // --- Secrets. `mount` names an enabled mount (kNotFound otherwise) and
  // `path` a key inside it (kv/validate.h has the rules).

  // Writes `data` as the key's next version. Checks cas (see WriteOptions),
  // then removes the oldest versions beyond the effective max_versions.
  // Returns the new version's metadata. kInvalidArgument for an empty field
  // name.
  absl::StatusOr<VersionMetadata> Put(Txn* txn, absl::Time now,
                                      absl::string_view mount,
                                      absl::string_view path,
                                      const SecretData& data,
                                      const WriteOptions& options) const;
  // Reads version `version` of the key, or its current version if 0. A
  // version is deleted once now >= its deletion_time. kNotFound without
  // metadata for a key without versions, a version above the current one
  // or one removed by max_versions; with metadata for a deleted or
  // destroyed version.
  [[nodiscard]] GetResult Get(Reader* txn, absl::Time now,
                              absl::string_view mount, absl::string_view path,
                              uint64_t version) const;
  // Writes a new version: the latest version's data with `patch` applied.
  // kNotFound if the key has no version or its latest is deleted or
  // destroyed; cas as for Put.
  absl::StatusOr<VersionMetadata> Patch(Txn* txn, absl::Time now,
                                        absl::string_view mount,
                                        absl::string_view path,
                                        const SecretPatch& patch,
                                        const WriteOptions& options) const;

  // Soft-deletes the current version (deletion_time = now). A missing key,
  // a version already deleted or destroyed: nothing happens, OK.
  absl::Status DeleteLatest(Txn* txn, absl::Time now, absl::string_view mount,
                            absl::string_view path) const;
  // Soft-deletes, undeletes, destroys the listed versions. Versions the key
  // does not record are skipped; destroyed versions stay destroyed.
  // kInvalidArgument if `versions` is empty.
  absl::Status DeleteVersions(Txn* txn, absl::Time now, absl::string_view mount,
                              absl::string_view path,
                              absl::Span<const uint64_t> versions) const;
  absl::Status UndeleteVersions(Txn* txn, absl::string_view mount,
                                absl::string_view path,
                                absl::Span<const uint64_t> versions) const;
  absl::Status DestroyVersions(Txn* txn, absl::string_view mount,
                               absl::string_view path,
                               absl::Span<const uint64_t> versions) const;

  // --- Metadata.
  // kNotFound if the key has no metadata.
  absl::StatusOr<KeyMetadata> ReadMetadata(Reader* txn, absl::string_view mount,
                                           absl::string_view path) const;
  // Changes the fields set in `update`, creating the key's metadata (with no
  // version) if absent. Pruning to a lower max_versions happens at the next
  // write of a version, as in Vault.
  absl::Status WriteMetadata(Txn* txn, absl::Time now, absl::string_view mount,
                             absl::string_view path,
                             const KeyMetadataUpdate& update) const;
  // Removes the key: its metadata and every version's data. A missing key:
  // nothing happens, OK.
  absl::Status DeleteMetadata(Txn* txn, absl::string_view mount,
                              absl::string_view path) const;

  // The entries of one folder ("" = the mount's root), in byte order: key
  // names ("a") and sub-folders ("b/"). A key is listed while it has
  // metadata, even if every version is deleted or destroyed (as in Vault).
  // An empty or missing folder gives an empty list. Cost: one scan of every
  // key under the folder, including those of sub-folders.
  absl::StatusOr<std::vector<std::string>> List(Reader* txn,
                                                absl::string_view mount,
                                                absl::string_view folder) const;

  const EngineOptions& options() const { return options_; }

 private:
  // The versions a ChangeVersions call changed, and where their data lives.
  struct ChangedVersions {
    uint64_t mount_id = 0;
    std::string path;
    std::vector<uint64_t> versions;  // ascending, each once
  };
  // Shared by delete, undelete and destroy of listed versions: loads the
  // key, applies `change` to each listed version it has (change returns
  // whether it changed the version), and stores the metadata if any did.
  // kInvalidArgument for an empty list; an absent key changes nothing.
  absl::StatusOr<ChangedVersions> ChangeVersions(
      Txn* txn, absl::string_view mount, absl::string_view path,
      absl::Span<const uint64_t> versions,
      absl::FunctionRef<bool(kvpb::VersionMeta*)> change) const;

  // Deletes up to purge_batch_records records of the mounts in `table`'s
  // purging list, drops the ids it finishes, stores the table. Returns
  // whether records remain.
  absl::StatusOr<bool> Purge(Txn* txn, kvpb::MountTable* table) const;

  const EngineOptions options_;
};

}  // namespace coffer::kv

#endif  // COFFER_LIB_KV_ENGINE_H_
