#include "kv/records.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "kv/load_record.h"

namespace coffer::kv {
namespace {

absl::Status Corrupt(absl::string_view what, absl::string_view key,
                     absl::string_view reason) {
  return absl::DataLossError(
      absl::StrCat("kv: corrupt ", what, " record at ", key, ": ", reason));
}

// Each Check* returns what is wrong with a parsed record, or "" if nothing.
std::string CheckMountTable(const kvpb::MountTable& table) {
  if (table.format_version() != kFormatVersion) return "unknown format";
  for (int i = 0; i < table.mounts_size(); ++i) {
    const kvpb::MountEntry& m = table.mounts(i);
    if (i > 0 && table.mounts(i - 1).path() >= m.path()) {
      return "mounts out of order";
    }
    if (m.path().empty() || m.path().back() != '/') return "bad mount path";
    if (m.id() == 0 || m.id() >= table.next_mount_id()) return "bad mount id";
    if (m.config().delete_version_after_nanos() < 0) {
      return "negative delete_version_after";
    }
  }
  for (int i = 0; i < table.purging_ids_size(); ++i) {
    uint64_t id = table.purging_ids(i);
    if (i > 0 && table.purging_ids(i - 1) >= id) return "purging out of order";
    if (id == 0 || id >= table.next_mount_id()) return "bad purging id";
    for (const kvpb::MountEntry& m : table.mounts()) {
      if (m.id() == id) return "purging an enabled mount";
    }
  }
  return "";
}

std::string CheckKeyMetadata(const kvpb::KeyMetadata& meta) {
  if (meta.format_version() != kFormatVersion) return "unknown format";
  if (meta.delete_version_after_nanos() < 0) {
    return "negative delete_version_after";
  }
  for (int i = 1; i < meta.custom_metadata_size(); ++i) {
    if (meta.custom_metadata(i - 1).name() >= meta.custom_metadata(i).name()) {
      return "custom metadata out of order";
    }
  }
  const int n = meta.versions_size();
  if (n == 0) return meta.current_version() == 0 ? "" : "versions missing";
  if (meta.versions(0).version() == 0) return "version 0";
  for (int i = 1; i < n; ++i) {
    if (meta.versions(i).version() != meta.versions(i - 1).version() + 1) {
      return "versions not contiguous";
    }
  }
  if (meta.versions(n - 1).version() != meta.current_version()) {
    return "current version not last";
  }
  return "";
}

std::string CheckVersionData(const kvpb::VersionData& data) {
  if (data.format_version() != kFormatVersion) return "unknown format";
  for (int i = 0; i < data.fields_size(); ++i) {
    if (data.fields(i).name().empty()) return "empty field name";
    if (i > 0 && data.fields(i - 1).name() >= data.fields(i).name()) {
      return "fields out of order";
    }
  }
  return "";
}

}  // namespace

std::string MountIdString(uint64_t mount_id) {
  return absl::StrFormat("%016x", mount_id);
}

std::string MountPrefix(uint64_t mount_id) {
  return absl::StrCat("logical/", MountIdString(mount_id), "/");
}

std::string MetadataPrefix(uint64_t mount_id) {
  return absl::StrCat(MountPrefix(mount_id), "meta/");
}

std::string MetadataKey(uint64_t mount_id, absl::string_view path) {
  return absl::StrCat(MetadataPrefix(mount_id), path);
}

std::string DataKey(uint64_t mount_id, absl::string_view path,
                    uint64_t version) {
  return absl::StrCat(MountPrefix(mount_id), "data/", path,
                      absl::StrFormat("/%016x", version));
}

std::string Encode(const google::protobuf::MessageLite& message) {
  std::string out;
  // ByteSizeLong caches the sizes that SerializeWithCachedSizes relies on.
  out.reserve(message.ByteSizeLong());
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeWithCachedSizes(&coded);
  }  // The streams flush into `out` when destroyed.
  return out;
}

absl::StatusOr<kvpb::MountTable> LoadMountTable(Reader* txn) {
  COFFER_ASSIGN_OR_RETURN(
      std::optional<kvpb::MountTable> table,
      LoadRecord<kvpb::MountTable>(txn, kMountTableKey, "kv", "mount table",
                                   &CheckMountTable));
  if (table.has_value()) return *std::move(table);
  kvpb::MountTable empty;
  empty.set_format_version(kFormatVersion);
  empty.set_next_mount_id(1);
  return empty;
}

absl::StatusOr<std::optional<kvpb::KeyMetadata>> LoadKeyMetadata(
    Reader* txn, absl::string_view key) {
  return LoadRecord<kvpb::KeyMetadata>(txn, key, "kv", "key metadata",
                                       &CheckKeyMetadata);
}

absl::StatusOr<VersionFields> LoadVersionData(Reader* txn,
                                              absl::string_view key) {
  COFFER_ASSIGN_OR_RETURN(
      std::optional<kvpb::VersionData> record,
      LoadRecord<kvpb::VersionData>(txn, key, "kv", "version data",
                                    &CheckVersionData));
  if (!record.has_value()) return Corrupt("version data", key, "missing");
  VersionFields out;
  for (kvpb::Field& field : *record->mutable_fields()) {
    if (field.json()) out.json.emplace_hint(out.json.end(), field.name());
    out.data.emplace_hint(out.data.end(), std::move(*field.mutable_name()),
                          std::move(*field.mutable_value()));
  }
  return out;
}

std::string EncodeVersionData(const VersionFields& fields) {
  kvpb::VersionData record;
  record.set_format_version(kFormatVersion);
  for (const auto& [name, value] : fields.data) {
    kvpb::Field* field = record.add_fields();
    field->set_name(name);
    field->set_value(value);
    if (fields.json.contains(name)) field->set_json(true);
  }
  return Encode(record);
}

absl::Time FromNanos(int64_t nanos) { return absl::FromUnixNanos(nanos); }
int64_t ToNanos(absl::Time t) { return absl::ToUnixNanos(t); }
int64_t ToNanos(absl::Duration d) { return absl::ToInt64Nanoseconds(d); }

MountConfig ToMountConfig(const kvpb::MountConfig& config) {
  MountConfig out;
  out.max_versions = config.max_versions();
  out.cas_required = config.cas_required();
  out.delete_version_after =
      absl::Nanoseconds(config.delete_version_after_nanos());
  return out;
}

kvpb::MountConfig ToRecord(const MountConfig& config) {
  kvpb::MountConfig out;
  out.set_max_versions(config.max_versions);
  out.set_cas_required(config.cas_required);
  out.set_delete_version_after_nanos(ToNanos(config.delete_version_after));
  return out;
}

CustomMetadata ToCustomMetadata(const kvpb::KeyMetadata& meta) {
  CustomMetadata out;
  for (const kvpb::CustomEntry& e : meta.custom_metadata()) {
    out.emplace_hint(out.end(), e.name(), e.value());
  }
  return out;
}

void SetCustomMetadata(const CustomMetadata& custom, kvpb::KeyMetadata* meta) {
  meta->clear_custom_metadata();
  for (const auto& [name, value] : custom) {
    kvpb::CustomEntry* e = meta->add_custom_metadata();
    e->set_name(name);
    e->set_value(value);
  }
}

VersionMetadata ToVersionMetadata(const kvpb::VersionMeta& version,
                                  const kvpb::KeyMetadata& meta) {
  VersionMetadata out;
  out.version = version.version();
  out.created_time = FromNanos(version.created_time_nanos());
  if (version.has_deletion_time()) {
    out.deletion_time = FromNanos(version.deletion_time_nanos());
  }
  out.destroyed = version.destroyed();
  out.custom_metadata = ToCustomMetadata(meta);
  return out;
}

KeyMetadata ToKeyMetadata(const kvpb::KeyMetadata& meta) {
  KeyMetadata out;
  out.created_time = FromNanos(meta.created_time_nanos());
  out.updated_time = FromNanos(meta.updated_time_nanos());
  out.current_version = meta.current_version();
  out.oldest_version = meta.versions().empty() ? 0 : meta.versions(0).version();
  out.max_versions = meta.max_versions();
  out.cas_required = meta.cas_required();
  out.delete_version_after =
      absl::Nanoseconds(meta.delete_version_after_nanos());
  out.custom_metadata = ToCustomMetadata(meta);
  for (const kvpb::VersionMeta& v : meta.versions()) {
    VersionMetadata vm = ToVersionMetadata(v, meta);
    vm.custom_metadata.clear();  // stated once, in out.custom_metadata
    out.versions.emplace_hint(out.versions.end(), v.version(), std::move(vm));
  }
  return out;
}

}  // namespace coffer::kv
