#include "node/kv_service.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "base/status_macros.h"
#include "kv/records.h"
#include "kv/txn.h"
#include "kv/validate.h"
#include "node/barrier_txn.h"
#include "proto/kv.pb.h"

namespace coffer::node {
namespace {

template <typename Fields>
void SetFields(const SecretData& data, const std::set<std::string>& json,
               Fields* out) {
  for (const auto& [name, value] : data) {
    kvpb::Field* f = out->Add();
    f->set_name(name);
    f->set_value(value);
    if (json.contains(name)) f->set_json(true);
  }
}

template <typename Fields>
SecretData ToSecretData(const Fields& fields) {
  SecretData out;
  for (const kvpb::Field& f : fields) out[f.name()] = f.value();
  return out;
}

template <typename Fields>
std::set<std::string> JsonNames(const Fields& fields) {
  std::set<std::string> out;
  for (const kvpb::Field& f : fields) {
    if (f.json()) out.insert(f.name());
  }
  return out;
}

template <typename Entries>
void SetCustom(const CustomMetadata& custom, Entries* out) {
  for (const auto& [name, value] : custom) {
    kvpb::CustomEntry* e = out->Add();
    e->set_name(name);
    e->set_value(value);
  }
}

template <typename Entries>
CustomMetadata ToCustom(const Entries& entries) {
  CustomMetadata out;
  for (const kvpb::CustomEntry& e : entries) out[e.name()] = e.value();
  return out;
}

kvpb::VersionMeta ToVersionMeta(const VersionMetadata& v) {
  kvpb::VersionMeta out;
  out.set_version(v.version);
  out.set_created_time_nanos(kv::ToNanos(v.created_time));
  if (v.deletion_time.has_value()) {
    out.set_has_deletion_time(true);
    out.set_deletion_time_nanos(kv::ToNanos(*v.deletion_time));
  }
  out.set_destroyed(v.destroyed);
  return out;
}

void SetVersion(const VersionMetadata& v, nodepb::KvResult* out) {
  *out->mutable_version() = ToVersionMeta(v);
  SetCustom(v.custom_metadata, out->mutable_version_custom());
}

VersionMetadata VersionOf(const nodepb::KvResult& r) {
  VersionMetadata out;
  out.version = r.version().version();
  out.created_time = kv::FromNanos(r.version().created_time_nanos());
  if (r.version().has_deletion_time()) {
    out.deletion_time = kv::FromNanos(r.version().deletion_time_nanos());
  }
  out.destroyed = r.version().destroyed();
  out.custom_metadata = ToCustom(r.version_custom());
  return out;
}

kvpb::KeyMetadata ToKeyRecord(const KeyMetadata& m) {
  kvpb::KeyMetadata out;
  out.set_format_version(kv::kFormatVersion);
  out.set_current_version(m.current_version);
  out.set_created_time_nanos(kv::ToNanos(m.created_time));
  out.set_updated_time_nanos(kv::ToNanos(m.updated_time));
  out.set_max_versions(m.max_versions);
  out.set_cas_required(m.cas_required);
  out.set_delete_version_after_nanos(kv::ToNanos(m.delete_version_after));
  kv::SetCustomMetadata(m.custom_metadata, &out);
  for (const auto& [version, v] : m.versions) {
    *out.add_versions() = ToVersionMeta(v);
  }
  return out;
}

WriteOptions ToWriteOptions(const nodepb::KvOp& op) {
  WriteOptions out;
  if (op.has_cas()) out.cas = op.cas();
  out.json_fields = JsonNames(op.data());
  return out;
}

nodepb::KvOp MakeOp(nodepb::KvOp::Kind kind, absl::string_view mount,
                    absl::string_view path) {
  nodepb::KvOp op;
  op.set_kind(kind);
  op.set_mount(std::string(mount));
  op.set_path(std::string(path));
  return op;
}

void SetCas(const WriteOptions& options, nodepb::KvOp* op) {
  if (options.cas.has_value()) {
    op->set_has_cas(true);
    op->set_cas(*options.cas);
  }
}

void SetVersions(const std::vector<uint64_t>& versions, nodepb::KvOp* op) {
  for (uint64_t v : versions) op->add_versions(v);
}

// Durations cross the wire as nanoseconds, which cannot hold an infinity.
absl::Status CheckFinite(absl::Duration d) {
  if (d == absl::InfiniteDuration() || d == -absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        "node: delete_version_after must be finite");
  }
  return absl::OkStatus();
}

// The settings a mount and a key share (max_versions, cas_required,
// delete_version_after) of a MountConfigUpdate or KeyMetadataUpdate, into
// and out of an op's has_* fields.
template <typename Update>
absl::Status SetSettings(const Update& u, nodepb::KvOp* op) {
  if (u.max_versions.has_value()) {
    op->set_has_max_versions(true);
    op->set_max_versions(*u.max_versions);
  }
  if (u.cas_required.has_value()) {
    op->set_has_cas_required(true);
    op->set_cas_required(*u.cas_required);
  }
  if (u.delete_version_after.has_value()) {
    COFFER_RETURN_IF_ERROR(CheckFinite(*u.delete_version_after));
    op->set_has_delete_version_after(true);
    op->set_delete_version_after_nanos(kv::ToNanos(*u.delete_version_after));
  }
  return absl::OkStatus();
}

template <typename Update>
void GetSettings(const nodepb::KvOp& op, Update* u) {
  if (op.has_max_versions()) u->max_versions = op.max_versions();
  if (op.has_cas_required()) u->cas_required = op.cas_required();
  if (op.has_delete_version_after()) {
    u->delete_version_after =
        absl::Nanoseconds(op.delete_version_after_nanos());
  }
}

// Engine limits that keep each KV proposal within max_entry_bytes: records
// up to max_entry_bytes (at least the engine's 4096; Propose still refuses
// a larger entry), and purge batches whose deletes (keys up to about
// 1.1 KiB) fill at most half an entry.
kv::EngineOptions EngineOptionsFor(const NodeOptions& options) {
  // A purged record's key: "logical/<16 hex>/data/" + a path of at most
  // kv::kMaxPathBytes + "/<16 hex>", plus the Command's framing.
  constexpr uint64_t kMaxPurgedKeyBytes = 1200;
  static_assert(kv::kMaxPathBytes + 64 <= kMaxPurgedKeyBytes);
  kv::EngineOptions out;
  out.max_entry_bytes =
      std::max<size_t>(4096, static_cast<size_t>(options.max_entry_bytes));
  out.purge_batch_records = static_cast<size_t>(
      std::clamp<uint64_t>(options.max_entry_bytes / 2 / kMaxPurgedKeyBytes, 1,
                           kv::EngineOptions().purge_batch_records));
  return out;
}

// Adds `m` to a LIST_MOUNTS or FIND_MOUNT result.
absl::Status AddMountEntry(const MountInfo& m, nodepb::KvResult* out) {
  kvpb::MountEntry* e = out->add_mounts();
  e->set_path(m.path);
  uint64_t id = 0;
  if (!absl::SimpleHexAtoi(m.id, &id)) {
    return absl::InternalError("node: a mount id that is not hex");
  }
  e->set_id(id);
  e->set_created_time_nanos(kv::ToNanos(m.created_time));
  *e->mutable_config() = kv::ToRecord(m.config);
  return absl::OkStatus();
}

MountInfo MountInfoOf(const kvpb::MountEntry& e) {
  MountInfo m;
  m.path = e.path();
  m.id = kv::MountIdString(e.id());
  m.created_time = kv::FromNanos(e.created_time_nanos());
  m.config = kv::ToMountConfig(e.config());
  return m;
}

}  // namespace

KvService::KvService(const NodeOptions& options, Submit submit,
                     seal::Barrier* barrier)
    : engine_(EngineOptionsFor(options)),
      submit_(std::move(submit)),
      barrier_(barrier) {}

absl::StatusOr<nodepb::KvResult> KvService::Run(const nodepb::KvOp& op,
                                                absl::Time now) const {
  BarrierReader reader(barrier_);
  kv::BufferedTxn txn(&reader);
  const std::vector<uint64_t> versions(op.versions().begin(),
                                       op.versions().end());
  nodepb::KvResult out;
  switch (op.kind()) {
    case nodepb::KvOp::ENABLE_MOUNT:
      COFFER_RETURN_IF_ERROR(engine_.EnableMount(
          &txn, now, op.mount(), kv::ToMountConfig(op.mount_config())));
      break;
    case nodepb::KvOp::DISABLE_MOUNT:
      COFFER_RETURN_IF_ERROR(engine_.DisableMount(&txn, op.mount()));
      out.set_more(true);  // a PURGE batch finds out whether records remain
      break;
    case nodepb::KvOp::TUNE_MOUNT: {
      MountConfigUpdate u;
      GetSettings(op, &u);
      COFFER_RETURN_IF_ERROR(engine_.WriteMountConfig(&txn, op.mount(), u));
      break;
    }
    case nodepb::KvOp::PURGE: {
      COFFER_ASSIGN_OR_RETURN(bool more, engine_.PurgeDisabledMounts(&txn));
      out.set_more(more);
      break;
    }
    case nodepb::KvOp::LIST_MOUNTS: {
      COFFER_ASSIGN_OR_RETURN(std::vector<MountInfo> mounts,
                              engine_.ListMounts(&txn));
      for (const MountInfo& m : mounts) {
        COFFER_RETURN_IF_ERROR(AddMountEntry(m, &out));
      }
      break;
    }
    case nodepb::KvOp::FIND_MOUNT: {
      COFFER_ASSIGN_OR_RETURN(std::vector<MountInfo> mounts,
                              engine_.ListMounts(&txn));
      // Vault's router: the longest mount path that prefixes the path
      // (taken as a folder, so "secret" finds "secret/").
      std::string probe = op.path();
      if (!absl::EndsWith(probe, "/")) probe.push_back('/');
      const MountInfo* best = nullptr;
      for (const MountInfo& m : mounts) {
        if (absl::StartsWith(probe, m.path) &&
            (best == nullptr || m.path.size() > best->path.size())) {
          best = &m;
        }
      }
      if (best != nullptr) COFFER_RETURN_IF_ERROR(AddMountEntry(*best, &out));
      break;
    }
    case nodepb::KvOp::PUT: {
      COFFER_ASSIGN_OR_RETURN(
          VersionMetadata v,
          engine_.Put(&txn, now, op.mount(), op.path(), ToSecretData(op.data()),
                      ToWriteOptions(op)));
      SetVersion(v, &out);
      break;
    }
    case nodepb::KvOp::GET: {
      kv::GetResult r =
          engine_.Get(&txn, now, op.mount(), op.path(), op.version());
      // A deleted or destroyed version travels as an OK result with its
      // metadata and no data; any other error as the error.
      if (!r.status.ok() && !(absl::IsNotFound(r.status) && r.metadata)) {
        return r.status;
      }
      SetVersion(*r.metadata, &out);
      if (r.data.has_value()) {
        out.set_has_data(true);
        SetFields(*r.data, r.json_fields, out.mutable_data());
      }
      break;
    }
    case nodepb::KvOp::PATCH: {
      SecretPatch patch;
      patch.set = ToSecretData(op.data());
      patch.remove.insert(op.remove().begin(), op.remove().end());
      COFFER_ASSIGN_OR_RETURN(VersionMetadata v,
                              engine_.Patch(&txn, now, op.mount(), op.path(),
                                            patch, ToWriteOptions(op)));
      SetVersion(v, &out);
      break;
    }
    case nodepb::KvOp::DELETE_LATEST:
      COFFER_RETURN_IF_ERROR(
          engine_.DeleteLatest(&txn, now, op.mount(), op.path()));
      break;
    case nodepb::KvOp::DELETE_VERSIONS:
      COFFER_RETURN_IF_ERROR(
          engine_.DeleteVersions(&txn, now, op.mount(), op.path(), versions));
      break;
    case nodepb::KvOp::UNDELETE:
      COFFER_RETURN_IF_ERROR(
          engine_.UndeleteVersions(&txn, op.mount(), op.path(), versions));
      break;
    case nodepb::KvOp::DESTROY:
      COFFER_RETURN_IF_ERROR(
          engine_.DestroyVersions(&txn, op.mount(), op.path(), versions));
      break;
    case nodepb::KvOp::READ_METADATA: {
      COFFER_ASSIGN_OR_RETURN(
          KeyMetadata m, engine_.ReadMetadata(&txn, op.mount(), op.path()));
      *out.mutable_metadata() = ToKeyRecord(m);
      break;
    }
    case nodepb::KvOp::WRITE_METADATA: {
      KeyMetadataUpdate u;
      GetSettings(op, &u);
      if (op.has_custom_metadata()) {
        u.custom_metadata = ToCustom(op.custom_metadata());
      }
      COFFER_RETURN_IF_ERROR(
          engine_.WriteMetadata(&txn, now, op.mount(), op.path(), u));
      break;
    }
    case nodepb::KvOp::DELETE_METADATA:
      COFFER_RETURN_IF_ERROR(
          engine_.DeleteMetadata(&txn, op.mount(), op.path()));
      break;
    case nodepb::KvOp::LIST: {
      COFFER_ASSIGN_OR_RETURN(std::vector<std::string> entries,
                              engine_.List(&txn, op.mount(), op.path()));
      for (std::string& e : entries) out.add_entries(std::move(e));
      break;
    }
    default:
      return absl::InvalidArgumentError("node: an unknown KV operation");
  }
  // Reads buffer nothing; a write's records go through the barrier into
  // the StateView request (ExecuteOnLeader proposes them).
  COFFER_RETURN_IF_ERROR(WriteThrough(&txn, barrier_));
  return out;
}

absl::StatusOr<bool> KvService::Exists(const nodepb::KvOp& op) const {
  BarrierReader reader(barrier_);
  absl::StatusOr<KeyMetadata> m =
      engine_.ReadMetadata(&reader, op.mount(), op.path());
  if (absl::IsNotFound(m.status())) return false;
  if (!m.ok()) return m.status();
  return true;
}

absl::Status KvService::EnableMount(const Caller& caller,
                                    absl::string_view path,
                                    const MountConfig& config) {
  COFFER_RETURN_IF_ERROR(CheckFinite(config.delete_version_after));
  nodepb::KvOp op = MakeOp(nodepb::KvOp::ENABLE_MOUNT, path, "");
  *op.mutable_mount_config() = kv::ToRecord(config);
  return Write(caller, std::move(op)).status();
}

absl::Status KvService::DisableMount(const Caller& caller,
                                     absl::string_view path) {
  return Write(caller, MakeOp(nodepb::KvOp::DISABLE_MOUNT, path, "")).status();
}

absl::Status KvService::TuneMount(const Caller& caller, absl::string_view path,
                                  const MountConfigUpdate& update) {
  nodepb::KvOp op = MakeOp(nodepb::KvOp::TUNE_MOUNT, path, "");
  COFFER_RETURN_IF_ERROR(SetSettings(update, &op));
  return Write(caller, std::move(op)).status();
}

absl::StatusOr<std::vector<MountInfo>> KvService::ListMounts(
    const Caller& caller, ReadConsistency consistency) {
  COFFER_ASSIGN_OR_RETURN(
      nodepb::KvResult r,
      submit_(MakeOp(nodepb::KvOp::LIST_MOUNTS, "", ""), caller, consistency));
  std::vector<MountInfo> out;
  for (const kvpb::MountEntry& e : r.mounts()) out.push_back(MountInfoOf(e));
  return out;
}

absl::StatusOr<MountInfo> KvService::FindMount(const Caller& caller,
                                               absl::string_view path,
                                               ReadConsistency consistency) {
  if (path.empty()) return absl::InvalidArgumentError("node: path is empty");
  COFFER_ASSIGN_OR_RETURN(
      nodepb::KvResult r,
      submit_(MakeOp(nodepb::KvOp::FIND_MOUNT, "", path), caller, consistency));
  if (r.mounts_size() != 1) {
    return absl::InternalError("node: a mount lookup without its mount");
  }
  return MountInfoOf(r.mounts(0));
}

absl::StatusOr<VersionMetadata> KvService::Put(const Caller& caller,
                                               absl::string_view mount,
                                               absl::string_view path,
                                               const SecretData& data,
                                               const WriteOptions& options) {
  // Checked here: the op marks fields, so it could not carry a stray name.
  COFFER_RETURN_IF_ERROR(kv::ValidateJsonFields(data, options.json_fields));
  nodepb::KvOp op = MakeOp(nodepb::KvOp::PUT, mount, path);
  SetFields(data, options.json_fields, op.mutable_data());
  SetCas(options, &op);
  COFFER_ASSIGN_OR_RETURN(nodepb::KvResult r, Write(caller, std::move(op)));
  return VersionOf(r);
}

absl::StatusOr<KvReadResult> KvService::Get(const Caller& caller,
                                            absl::string_view mount,
                                            absl::string_view path,
                                            uint64_t version,
                                            ReadConsistency consistency) {
  nodepb::KvOp op = MakeOp(nodepb::KvOp::GET, mount, path);
  op.set_version(version);
  COFFER_ASSIGN_OR_RETURN(nodepb::KvResult r,
                          submit_(std::move(op), caller, consistency));
  KvReadResult out;
  out.metadata = VersionOf(r);
  if (r.has_data()) {
    out.data = ToSecretData(r.data());
    out.json_fields = JsonNames(r.data());
  }
  return out;
}

absl::StatusOr<VersionMetadata> KvService::Patch(const Caller& caller,
                                                 absl::string_view mount,
                                                 absl::string_view path,
                                                 const SecretPatch& patch,
                                                 const WriteOptions& options) {
  COFFER_RETURN_IF_ERROR(
      kv::ValidateJsonFields(patch.set, options.json_fields));
  nodepb::KvOp op = MakeOp(nodepb::KvOp::PATCH, mount, path);
  SetFields(patch.set, options.json_fields, op.mutable_data());
  for (const std::string& name : patch.remove) op.add_remove(name);
  SetCas(options, &op);
  COFFER_ASSIGN_OR_RETURN(nodepb::KvResult r, Write(caller, std::move(op)));
  return VersionOf(r);
}

absl::Status KvService::Delete(const Caller& caller, absl::string_view mount,
                               absl::string_view path) {
  return Write(caller, MakeOp(nodepb::KvOp::DELETE_LATEST, mount, path))
      .status();
}

absl::Status KvService::DeleteVersions(const Caller& caller,
                                       absl::string_view mount,
                                       absl::string_view path,
                                       const std::vector<uint64_t>& versions) {
  nodepb::KvOp op = MakeOp(nodepb::KvOp::DELETE_VERSIONS, mount, path);
  SetVersions(versions, &op);
  return Write(caller, std::move(op)).status();
}

absl::Status KvService::Undelete(const Caller& caller, absl::string_view mount,
                                 absl::string_view path,
                                 const std::vector<uint64_t>& versions) {
  nodepb::KvOp op = MakeOp(nodepb::KvOp::UNDELETE, mount, path);
  SetVersions(versions, &op);
  return Write(caller, std::move(op)).status();
}

absl::Status KvService::Destroy(const Caller& caller, absl::string_view mount,
                                absl::string_view path,
                                const std::vector<uint64_t>& versions) {
  nodepb::KvOp op = MakeOp(nodepb::KvOp::DESTROY, mount, path);
  SetVersions(versions, &op);
  return Write(caller, std::move(op)).status();
}

absl::StatusOr<KeyMetadata> KvService::ReadMetadata(
    const Caller& caller, absl::string_view mount, absl::string_view path,
    ReadConsistency consistency) {
  COFFER_ASSIGN_OR_RETURN(
      nodepb::KvResult r,
      submit_(MakeOp(nodepb::KvOp::READ_METADATA, mount, path), caller,
              consistency));
  return kv::ToKeyMetadata(r.metadata());
}

absl::Status KvService::WriteMetadata(const Caller& caller,
                                      absl::string_view mount,
                                      absl::string_view path,
                                      const KeyMetadataUpdate& update) {
  nodepb::KvOp op = MakeOp(nodepb::KvOp::WRITE_METADATA, mount, path);
  COFFER_RETURN_IF_ERROR(SetSettings(update, &op));
  if (update.custom_metadata.has_value()) {
    op.set_has_custom_metadata(true);
    SetCustom(*update.custom_metadata, op.mutable_custom_metadata());
  }
  return Write(caller, std::move(op)).status();
}

absl::Status KvService::DeleteMetadata(const Caller& caller,
                                       absl::string_view mount,
                                       absl::string_view path) {
  return Write(caller, MakeOp(nodepb::KvOp::DELETE_METADATA, mount, path))
      .status();
}

absl::StatusOr<std::vector<std::string>> KvService::List(
    const Caller& caller, absl::string_view mount, absl::string_view folder,
    ReadConsistency consistency) {
  COFFER_ASSIGN_OR_RETURN(
      nodepb::KvResult r,
      submit_(MakeOp(nodepb::KvOp::LIST, mount, folder), caller, consistency));
  return std::vector<std::string>(r.entries().begin(), r.entries().end());
}

}  // namespace coffer::node
