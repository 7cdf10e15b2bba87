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

// The C++ options; the shares are copies, wiped by the caller.
absl::StatusOr<SnapshotRestoreOptions> ToRestoreOptions(
    const coffer_snapshot_restore_options_t* options) {
  coffer_snapshot_restore_options_t o;
  COFFER_RETURN_IF_ERROR(ReadOptional(
      options, &o, ZeroDefaults<coffer_snapshot_restore_options_t>(),
      "options"));
  SnapshotRestoreOptions r;
  r.force = o.force != 0;
  COFFER_ASSIGN_OR_RETURN(
      r.unseal_keys,
      CopyStrings(o.unseal_keys, o.num_unseal_keys, "options->unseal_keys"));
  return r;
}

// Runs `restore` with the C++ form of `options`, then wipes its shares.
template <typename Restore>
absl::Status RestoreWith(const coffer_snapshot_restore_options_t* options,
                         Restore&& restore) {
  COFFER_ASSIGN_OR_RETURN(SnapshotRestoreOptions o, ToRestoreOptions(options));
  WipeOnExit<std::vector<std::string>> wipe(o.unseal_keys);
  return restore(o);
}

uint64_t* CopyIds(const std::vector<uint64_t>& ids) {
  auto* out = NewArray<uint64_t>(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) out[i] = ids[i];
  return out;
}

}  // namespace
}  // namespace coffer::capi

using namespace coffer::capi;  // NOLINT: the C entry points below
using coffer::Node;
using coffer::SnapshotRestoreOptions;

extern "C" {

void coffer_snapshot_restore_options_init(
    coffer_snapshot_restore_options_t* options, size_t struct_size) {
  InitSized(options, struct_size,
            ZeroDefaults<coffer_snapshot_restore_options_t>());
}

int coffer_node_snapshot_save(coffer_node_t* node, const char* token,
                              const char* path) {
  return RunOnNode(node, [&](Node& n) -> absl::Status {
    COFFER_RETURN_IF_ERROR(NotNull(path, "path"));
    return n.SnapshotSave(AsCaller(token), path);
  });
}

int coffer_node_snapshot_save_to(coffer_node_t* node, const char* token,
                                 coffer_write_fn write, void* user_data) {
  return RunOnNode(node, [&](Node& n) -> absl::Status {
    COFFER_RETURN_IF_ERROR(NotNull(write, "write"));
    return n.SnapshotSaveTo(
        AsCaller(token), [&](absl::string_view bytes) -> absl::Status {
          int rc = write(user_data, bytes.data(), bytes.size());
          return rc == COFFER_OK ? absl::OkStatus()
                                 : CallbackError(rc, "snapshot write");
        });
  });
}

int coffer_node_snapshot_restore(
    coffer_node_t* node, const char* token, const char* path,
    const coffer_snapshot_restore_options_t* options) {
  return RunOnNode(node, [&](Node& n) -> absl::Status {
    COFFER_RETURN_IF_ERROR(NotNull(path, "path"));
    return RestoreWith(options, [&](const SnapshotRestoreOptions& o) {
      return n.SnapshotRestore(AsCaller(token), path, o);
    });
  });
}

int coffer_node_snapshot_restore_from(
    coffer_node_t* node, const char* token, coffer_read_fn read,
    void* user_data, const coffer_snapshot_restore_options_t* options) {
  return RunOnNode(node, [&](Node& n) -> absl::Status {
    COFFER_RETURN_IF_ERROR(NotNull(read, "read"));
    auto source = [&](char* buf, size_t cap) -> absl::StatusOr<size_t> {
      size_t len = 0;
      int rc = read(user_data, buf, cap, &len);
      if (rc != COFFER_OK) return CallbackError(rc, "snapshot read");
      if (len > cap) {
        return absl::InvalidArgumentError(
            absl::StrCat("capi: the snapshot read callback reported ", len,
                         " bytes for a buffer of ", cap));
      }
      return len;
    };
    return RestoreWith(options, [&](const SnapshotRestoreOptions& o) {
      return n.SnapshotRestoreFrom(AsCaller(token), source, o);
    });
  });
}

int coffer_snapshot_inspect(coffer_snapshot_inspection_t** out,
                            const char* path) {
  return Run(Result(out, coffer_snapshot_inspection_free),
             [&](Result<coffer_snapshot_inspection_t>& r) -> absl::Status {
               COFFER_RETURN_IF_ERROR(NotNull(path, "path"));
               COFFER_ASSIGN_OR_RETURN(coffer::SnapshotInspection s,
                                       coffer::InspectSnapshot(path));
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
               r->prefixes = NewArray<coffer_snapshot_prefix_stats_t*>(
                   s.by_prefix.size());
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
               return absl::OkStatus();
             });
}

void coffer_snapshot_inspection_free(coffer_snapshot_inspection_t* s) {
  if (s == nullptr) return;
  coffer_free(s->cluster_id);
  coffer_free(s->voters);
  coffer_free(s->learners);
  coffer_free(s->voters_outgoing);
  FreeArray(
      s->prefixes, s->num_prefixes, +[](coffer_snapshot_prefix_stats_t* p) {
        if (p == nullptr) return;
        coffer_free(p->prefix);
        coffer_free(p);
      });
  coffer_free(s->text);
  coffer_free(s->json);
  coffer_free(s);
}

}  // extern "C"
