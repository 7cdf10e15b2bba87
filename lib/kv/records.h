// The KV engine's storage layout and record codecs.
//
// Layout (all keys are plaintext here; the node encrypts values with the
// barrier, which binds each to its key):
//   core/mounts                              MountTable
//   logical/<id>/meta/<key path>             KeyMetadata of one key
//   logical/<id>/data/<key path>/<version>   VersionData of one version
// <id> is the mount id as 16 lower-case hex digits and <version> the version
// as 16 hex digits, so that byte order is numeric order. A data key cannot
// collide with another key's data key: its suffix "/<16 hex>" is fixed-size.
// Mount ids are never reused, so a re-enabled mount starts empty.
//
// Encoding is deterministic: repeated fields are written in sorted order and
// protobuf's deterministic serialization is used. Decoders check the format
// version and that order; any failure is kDataLoss naming the record's key.
// Thread-safety: stateless functions.
#ifndef COFFER_LIB_KV_RECORDS_H_
#define COFFER_LIB_KV_RECORDS_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "coffer/kv.h"
#include "google/protobuf/message_lite.h"
#include "kv/txn.h"
#include "proto/kv.pb.h"

namespace coffer::kv {

inline constexpr absl::string_view kMountTableKey = "core/mounts";
inline constexpr uint32_t kFormatVersion = 1;

// The 16-hex-digit form of a mount id, as in keys and MountInfo::id.
std::string MountIdString(uint64_t mount_id);
// "logical/<id>/": every record of the mount starts with it.
std::string MountPrefix(uint64_t mount_id);
// "logical/<id>/meta/": key metadata records of the mount.
std::string MetadataPrefix(uint64_t mount_id);
std::string MetadataKey(uint64_t mount_id, absl::string_view path);
std::string DataKey(uint64_t mount_id, absl::string_view path,
                    uint64_t version);

// Deterministic protobuf serialization.
std::string Encode(const google::protobuf::MessageLite& message);

// The mount table; an empty table (next id 1) when none is stored.
absl::StatusOr<kvpb::MountTable> LoadMountTable(Reader* txn);

// The key metadata at `key`, or nullopt if there is none.
absl::StatusOr<std::optional<kvpb::KeyMetadata>> LoadKeyMetadata(
    Reader* txn, absl::string_view key);

// A version's fields: the data, and the names of those whose values are
// JSON text (WriteOptions::json_fields).
struct VersionFields {
  SecretData data;
  std::set<std::string> json;
};

// The fields of one version. kDataLoss if the record is missing (metadata
// says it exists) or corrupt.
absl::StatusOr<VersionFields> LoadVersionData(Reader* txn,
                                              absl::string_view key);

// The encoded VersionData of `fields`.
std::string EncodeVersionData(const VersionFields& fields);

// Conversions between records and public values.
absl::Time FromNanos(int64_t nanos);
int64_t ToNanos(absl::Time t);
int64_t ToNanos(absl::Duration d);
MountConfig ToMountConfig(const kvpb::MountConfig& config);
kvpb::MountConfig ToRecord(const MountConfig& config);
CustomMetadata ToCustomMetadata(const kvpb::KeyMetadata& meta);
void SetCustomMetadata(const CustomMetadata& custom, kvpb::KeyMetadata* meta);
VersionMetadata ToVersionMetadata(const kvpb::VersionMeta& version,
                                  const kvpb::KeyMetadata& meta);
KeyMetadata ToKeyMetadata(const kvpb::KeyMetadata& meta);

}  // namespace coffer::kv

#endif  // COFFER_LIB_KV_RECORDS_H_
