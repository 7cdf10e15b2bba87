// coffer/snapshot.h's InspectSnapshot and renderers, over inspect.h.
#include <utility>

#include "coffer/snapshot.h"
#include "snapshot/inspect.h"

namespace coffer {
namespace {

snapshot::Inspection ToInternal(const SnapshotInspection& in) {
  snapshot::Inspection out;
  out.format_version = in.format_version;
  out.header.cluster_id = in.cluster_id;
  out.header.index = in.index;
  out.header.term = in.term;
  raftpb::ConfState& cs = out.header.conf_state;
  for (uint64_t id : in.voters) cs.add_voters(id);
  for (uint64_t id : in.learners) cs.add_learners(id);
  for (uint64_t id : in.voters_outgoing) cs.add_voters_outgoing(id);
  out.records = in.records;
  out.file_bytes = in.file_bytes;
  out.key_bytes = in.key_bytes;
  out.value_bytes = in.value_bytes;
  for (const auto& [prefix, stats] : in.by_prefix) {
    out.by_prefix[prefix] = {stats.records, stats.bytes};
  }
  return out;
}

}  // namespace

absl::StatusOr<SnapshotInspection> InspectSnapshot(const std::string& path) {
  absl::StatusOr<snapshot::Inspection> in = snapshot::InspectSnapshot(path);
  if (!in.ok()) return in.status();
  SnapshotInspection out;
  out.format_version = in->format_version;
  out.cluster_id = std::move(in->header.cluster_id);
  out.index = in->header.index;
  out.term = in->header.term;
  const raftpb::ConfState& cs = in->header.conf_state;
  out.voters.assign(cs.voters().begin(), cs.voters().end());
  out.learners.assign(cs.learners().begin(), cs.learners().end());
  out.voters_outgoing.assign(cs.voters_outgoing().begin(),
                             cs.voters_outgoing().end());
  out.records = in->records;
  out.file_bytes = in->file_bytes;
  out.key_bytes = in->key_bytes;
  out.value_bytes = in->value_bytes;
  for (const auto& [prefix, stats] : in->by_prefix) {
    out.by_prefix[prefix] = {stats.records, stats.bytes};
  }
  return out;
}

std::string SnapshotInspectionText(const SnapshotInspection& inspection) {
  return snapshot::InspectionText(ToInternal(inspection));
}

std::string SnapshotInspectionJson(const SnapshotInspection& inspection) {
  return snapshot::InspectionJson(ToInternal(inspection));
}

}  // namespace coffer
