// The C ABI of operator snapshots: Node::SnapshotSave/SnapshotSaveTo,
// SnapshotRestore/SnapshotRestoreFrom, and InspectSnapshot.
#include "coffer/snapshot.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "capi/internal.h"
#include "capi/node.h"

namespace coffer::capi {
namespace {

absl::Status CallbackError(int rc, const char* what) {
  auto code = rc > 0 && rc <= COFFER_UNAUTHENTICATED
                  ? static_cast<absl::StatusCode>(rc)
                  : absl::StatusCode::kUnknown;
  return absl::Status(code, absl::StrCat("capi: the snapshot ", what,
                                         " callback failed with code ", rc));
}

coffer_snapshot_restore_options_t RestoreDefaults() {
  coffer_snapshot_restore_options_t o{};
  o.struct_size = sizeof(o);
  return o;
}

// The C++ options; the shares are copies, wiped by the caller.
absl::StatusOr<SnapshotRestoreOptions> ToRestoreOptions(
    const coffer_snapshot_restore_options_t* options) {
  coffer_snapshot_restore_options_t o = RestoreDefaults();
  if (options != nullptr) {
    COFFER_RETURN_IF_ERROR(
        ReadVersioned(options, &o, RestoreDefaults(), "options"));
  }
  SnapshotRestoreOptions r;
  r.force = o.force != 0;
  if (o.num_unseal_keys > 0) {
    COFFER_RETURN_IF_ERROR(NotNull(o.unseal_keys, "options->unseal_keys"));
  }
  for (size_t i = 0; i < o.num_unseal_keys; ++i) {
    if (o.unseal_keys[i] == nullptr) {
      for (std::string& k : r.unseal_keys) WipeString(k);
      return absl::InvalidArgumentError(
          absl::StrCat("capi: options->unseal_keys[", i, "] is NULL"));
    }
    r.unseal_keys.emplace_back(o.unseal_keys[i]);
  }
  return r;
}

absl::Status Restore(
    coffer_node_t* node, const coffer_snapshot_restore_options_t* options,
    const std::function<absl::Status(Node&, const SnapshotRestoreOptions&)>&
        run) {
  COFFER_RETURN_IF_ERROR(NotNull(node, "node"));
  COFFER_ASSIGN_OR_RETURN(SnapshotRestoreOptions o, ToRestoreOptions(options));
  absl::Status status = run(*node->node, o);
  for (std::string& k : o.unseal_keys) WipeString(k);
  return status;
}

uint64_t* CopyIds(const std::vector<uint64_t>& ids) {
  auto* out = NewArray<uint64_t>(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) out[i] = ids[i];
  return out;
}

}  // namespace
}  // namespace coffer::capi

using namespace coffer::capi;  // NOLINT: the C entry points below

extern "C" {

void coffer_snapshot_restore_options_init(
    coffer_snapshot_restore_options_t* options, size_t struct_size) {
  InitSized(options, struct_size, RestoreDefaults());
}

int coffer_node_snapshot_save(coffer_node_t* node, const char* path) {
  return Run([&]() -> absl::Status {
    COFFER_RETURN_IF_ERROR(NotNull(node, "node"));
    COFFER_RETURN_IF_ERROR(NotNull(path, "path"));
    return node->node->SnapshotSave(path);
  });
}

int coffer_node_snapshot_save_to(coffer_node_t* node, coffer_write_fn write,
                                 void* user_data) {
  return Run([&]() -> absl::Status {
    COFFER_RETURN_IF_ERROR(NotNull(node, "node"));
    COFFER_RETURN_IF_ERROR(NotNull(write, "write"));
    return node->node->SnapshotSaveTo(
        [&](absl::string_view bytes) -> absl::Status {
          int rc = write(user_data, bytes.data(), bytes.size());
          return rc == COFFER_OK ? absl::OkStatus()
                                 : CallbackError(rc, "write");
        });
  });
}

int coffer_node_snapshot_restore(
    coffer_node_t* node, const char* path,
    const coffer_snapshot_restore_options_t* options) {
  return Run([&]() -> absl::Status {
    COFFER_RETURN_IF_ERROR(NotNull(path, "path"));
    return Restore(
        node, options,
        [&](coffer::Node& n, const coffer::SnapshotRestoreOptions& o) {
          return n.SnapshotRestore(path, o);
        });
  });
}

int coffer_node_snapshot_restore_from(
    coffer_node_t* node, coffer_read_fn read, void* user_data,
    const coffer_snapshot_restore_options_t* options) {
  return Run([&]() -> absl::Status {
    COFFER_RETURN_IF_ERROR(NotNull(read, "read"));
    auto source = [&](char* buf, size_t cap) -> absl::StatusOr<size_t> {
      size_t n = 0;
      int rc = read(user_data, buf, cap, &n);
      if (rc != COFFER_OK) return CallbackError(rc, "read");
      if (n > cap) {
        return absl::InvalidArgumentError(
            absl::StrCat("capi: the snapshot read callback reported ", n,
                         " bytes for a buffer of ", cap));
      }
      return n;
    };
    return Restore(
        node, options,
        [&](coffer::Node& n, const coffer::SnapshotRestoreOptions& o) {
          return n.SnapshotRestoreFrom(source, o);
        });
  });
}

int coffer_snapshot_inspect(coffer_snapshot_inspection_t** out,
                            const char* path) {
  if (out != nullptr) *out = nullptr;
  return Run([&]() -> absl::Status {
    COFFER_RETURN_IF_ERROR(NotNull(out, "out"));
    COFFER_RETURN_IF_ERROR(NotNull(path, "path"));
    COFFER_ASSIGN_OR_RETURN(coffer::SnapshotInspection s,
                            coffer::InspectSnapshot(path));
    Owned<coffer_snapshot_inspection_t, coffer_snapshot_inspection_free> r(
        New<coffer_snapshot_inspection_t>());
    r->format_version = s.format_version;
    r->cluster_id = CopyBytes(s.cluster_id);
    r->index = s.index;
    r->term = s.term;
    r->voters = CopyIds(s.voters);
    r->num_voters = s.voters.size();
    r->learners = CopyIds(s.learners);
    r->num_learners = s.learners.size();
    r->voters_outgoing = CopyIds(s.voters_outgoing);
    r->num_voters_outgoing = s.voters_outgoing.size();
    r->records = s.records;
    r->file_bytes = s.file_bytes;
    r->key_bytes = s.key_bytes;
    r->value_bytes = s.value_bytes;
    r->prefixes = NewArray<coffer_snapshot_prefix_stats_t*>(s.by_prefix.size());
    r->num_prefixes = s.by_prefix.size();
    size_t i = 0;
    for (const auto& [prefix, stats] : s.by_prefix) {
      coffer_snapshot_prefix_stats_t* p = r->prefixes[i++] =
          New<coffer_snapshot_prefix_stats_t>();
      p->prefix = CopyBytes(prefix);
      p->records = stats.records;
      p->bytes = stats.bytes;
    }
    r->text = CopyBytes(coffer::SnapshotInspectionText(s));
    r->json = CopyBytes(coffer::SnapshotInspectionJson(s));
    *out = r.release();
    return absl::OkStatus();
  });
}

void coffer_snapshot_inspection_free(coffer_snapshot_inspection_t* s) {
  if (s == nullptr) return;
  coffer_free(s->cluster_id);
  coffer_free(s->voters);
  coffer_free(s->learners);
  coffer_free(s->voters_outgoing);
  for (size_t i = 0; s->prefixes != nullptr && i < s->num_prefixes; ++i) {
    if (s->prefixes[i] == nullptr) continue;
    coffer_free(s->prefixes[i]->prefix);
    coffer_free(s->prefixes[i]);
  }
  coffer_free(s->prefixes);
  coffer_free(s->text);
  coffer_free(s->json);
  coffer_free(s);
}

}  // extern "C"
