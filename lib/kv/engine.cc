// The engine's version writes and reads: Put, Patch, Get.
#include "kv/engine.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/check.h"
#include "base/status_macros.h"
#include "kv/key_state.h"
#include "kv/records.h"
#include "kv/validate.h"

namespace coffer::kv {
namespace {

// Vault's rules for a write's cas option against the key's current version.
absl::Status CheckCas(const KeyState& key, const WriteOptions& options) {
  const kvpb::KeyMetadata empty;
  const kvpb::KeyMetadata& meta = key.meta.has_value() ? *key.meta : empty;
  if (!options.cas.has_value()) {
    if (EffectiveCasRequired(key.mount.config, meta)) {
      return absl::InvalidArgumentError(
          "kv: check-and-set parameter (cas) is required for this key");
    }
    return absl::OkStatus();
  }
  if (*options.cas != meta.current_version()) {
    return absl::AbortedError(
        absl::StrCat("kv: check-and-set mismatch: cas is ", *options.cas,
                     ", current version is ", meta.current_version()));
  }
  return absl::OkStatus();
}

// Why the version at `v` cannot be read at `now`, or "" if it can.
const char* Unreadable(const kvpb::VersionMeta& v, absl::Time now) {
  if (v.destroyed()) return "destroyed";
  if (IsDeleted(v, now)) return "deleted";
  return "";
}

// Appends version current+1 holding `data` to the key, prunes versions
// beyond max_versions and buffers every write. The caller has checked cas.
absl::StatusOr<VersionMetadata> WriteVersion(Txn* txn, absl::Time now,
                                             KeyState key,
                                             const VersionFields& fields,
                                             size_t max_entry_bytes) {
  std::string data_bytes = EncodeVersionData(fields);
  COFFER_RETURN_IF_ERROR(
      CheckEntrySize("version data", data_bytes.size(), max_entry_bytes));

  if (!key.meta.has_value()) {
    key.meta.emplace();
    key.meta->set_format_version(kFormatVersion);
    key.meta->set_created_time_nanos(ToNanos(now));
  }
  kvpb::KeyMetadata& meta = *key.meta;
  if (meta.current_version() == UINT64_MAX) {  // only a forged record gets here
    return absl::ResourceExhaustedError("kv: the key's versions are exhausted");
  }
  const uint64_t version = meta.current_version() + 1;
  kvpb::VersionMeta* v = meta.add_versions();
  v->set_version(version);
  v->set_created_time_nanos(ToNanos(now));
  absl::Duration after = EffectiveDeleteVersionAfter(key.mount.config, meta);
  if (after > absl::ZeroDuration()) {
    v->set_has_deletion_time(true);
    v->set_deletion_time_nanos(ToNanos(now + after));
  }
  meta.set_current_version(version);
  meta.set_updated_time_nanos(ToNanos(now));
  VersionMetadata result = ToVersionMetadata(*v, meta);

  // Remove the oldest versions beyond the limit: their data and entries.
  const uint32_t max_versions = EffectiveMaxVersions(key.mount.config, meta);
  std::vector<std::string> pruned;
  int excess = meta.versions_size() - static_cast<int>(max_versions);
  if (excess > 0) {
    for (int i = 0; i < excess; ++i) {
      const kvpb::VersionMeta& old = meta.versions(i);
      if (!old.destroyed()) {
        pruned.push_back(DataKey(key.mount.id, key.path, old.version()));
      }
    }
    meta.mutable_versions()->DeleteSubrange(0, excess);
  }

  std::string meta_bytes = Encode(meta);
  COFFER_RETURN_IF_ERROR(
      CheckEntrySize("key metadata", meta_bytes.size(), max_entry_bytes));
  txn->Put(DataKey(key.mount.id, key.path, version), data_bytes);
  for (const std::string& k : pruned) txn->Delete(k);
  txn->Put(key.meta_key, meta_bytes);
  return result;
}

}  // namespace

absl::Status ValidateEngineOptions(const EngineOptions& options) {
  if (options.max_entry_bytes < 4096) {
    return absl::InvalidArgumentError(
        "kv: EngineOptions.max_entry_bytes must be at least 4096");
  }
  if (options.purge_batch_records < 1) {
    return absl::InvalidArgumentError(
        "kv: EngineOptions.purge_batch_records must be at least 1");
  }
  return absl::OkStatus();
}

Engine::Engine(EngineOptions options) : options_(options) {
  COFFER_CHECK_MSG(ValidateEngineOptions(options_).ok(),
                   "kv::Engine built with invalid EngineOptions");
}

absl::StatusOr<VersionMetadata> Engine::Put(Txn* txn, absl::Time now,
                                            absl::string_view mount,
                                            absl::string_view path,
                                            const SecretData& data,
                                            const WriteOptions& options) const {
  COFFER_RETURN_IF_ERROR(ValidateSecretData(data));
  COFFER_RETURN_IF_ERROR(ValidateJsonFields(data, options.json_fields));
  COFFER_ASSIGN_OR_RETURN(KeyState key, LoadKey(txn, mount, path));
  COFFER_RETURN_IF_ERROR(CheckCas(key, options));
  return WriteVersion(txn, now, std::move(key),
                      VersionFields{data, options.json_fields},
                      options_.max_entry_bytes);
}

GetResult Engine::Get(Reader* txn, absl::Time now, absl::string_view mount,
                      absl::string_view path, uint64_t version) const {
  GetResult result;
  absl::StatusOr<KeyState> key = LoadKey(txn, mount, path);
  if (!key.ok()) {
    result.status = key.status();
    return result;
  }
  if (!key->meta.has_value() || key->meta->current_version() == 0) {
    result.status = absl::NotFoundError("kv: the key has no version");
    return result;
  }
  const kvpb::KeyMetadata& meta = *key->meta;
  if (version == 0) version = meta.current_version();
  const kvpb::VersionMeta* v = FindVersion(meta, version);
  if (v == nullptr) {
    result.status = absl::NotFoundError(
        absl::StrCat("kv: version ", version, " does not exist"));
    return result;
  }
  result.metadata = ToVersionMetadata(*v, meta);
  if (const char* why = Unreadable(*v, now); *why != '\0') {
    result.status =
        absl::NotFoundError(absl::StrCat("kv: version ", version, " is ", why));
    return result;
  }
  absl::StatusOr<VersionFields> fields =
      LoadVersionData(txn, DataKey(key->mount.id, key->path, version));
  if (!fields.ok()) {
    result.status = fields.status();
    result.metadata.reset();
    return result;
  }
  result.data = std::move(fields->data);
  result.json_fields = std::move(fields->json);
  return result;
}

absl::StatusOr<VersionMetadata> Engine::Patch(
    Txn* txn, absl::Time now, absl::string_view mount, absl::string_view path,
    const SecretPatch& patch, const WriteOptions& options) const {
  COFFER_RETURN_IF_ERROR(ValidateSecretData(patch.set));
  COFFER_RETURN_IF_ERROR(ValidateJsonFields(patch.set, options.json_fields));
  for (const std::string& name : patch.remove) {
    if (patch.set.contains(name)) {
      return absl::InvalidArgumentError(
          "kv: invalid patch: a field is both set and removed");
    }
  }
  COFFER_ASSIGN_OR_RETURN(KeyState key, LoadKey(txn, mount, path));
  if (!key.meta.has_value() || key.meta->current_version() == 0) {
    return absl::NotFoundError("kv: the key has no version to patch");
  }
  const uint64_t latest = key.meta->current_version();
  const kvpb::VersionMeta* v = FindVersion(*key.meta, latest);
  COFFER_CHECK(v != nullptr);  // the record check keeps current recorded
  if (const char* why = Unreadable(*v, now); *why != '\0') {
    return absl::NotFoundError(
        absl::StrCat("kv: the latest version (", latest, ") is ", why));
  }
  COFFER_RETURN_IF_ERROR(CheckCas(key, options));
  COFFER_ASSIGN_OR_RETURN(
      VersionFields fields,
      LoadVersionData(txn, DataKey(key.mount.id, key.path, latest)));
  for (const std::string& name : patch.remove) {
    fields.data.erase(name);
    fields.json.erase(name);
  }
  for (const auto& [name, value] : patch.set) {
    fields.data.insert_or_assign(name, value);
    if (options.json_fields.contains(name)) {
      fields.json.insert(name);
    } else {
      fields.json.erase(name);
    }
  }
  return WriteVersion(txn, now, std::move(key), fields,
                      options_.max_entry_bytes);
}

}  // namespace coffer::kv
