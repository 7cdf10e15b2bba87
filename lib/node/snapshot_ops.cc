#include "node/snapshot_ops.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace coffer::node {

snapshot::VerifyOptions RaftVerify() {
  snapshot::VerifyOptions v;
  v.mac_key = std::string(kRaftSnapshotMacKey);
  v.cluster_id = std::string(kRaftSnapshotCluster);
  return v;
}

std::string StagingPrefix(uint64_t restore_id) {
  return absl::StrCat(kStagingPrefix, absl::Hex(restore_id, absl::kZeroPad16),
                      "/");
}

bool IsKeptOnRestore(absl::string_view key) {
  if (absl::StartsWith(key, "node/")) return !IsTransient(key);
  return key == kClusterIdPath || key == "core/seal-config" ||
         key == "core/root-key" || key == "core/wrapped-root-key" ||
         key == "core/recovery-check";
}

bool IsTransient(absl::string_view key) {
  return absl::StartsWith(key, kStagingPrefix) || key == kRestoreCommitKey;
}

std::optional<nodepb::SnapshotRestoreCommit> RestoreCommitOf(
    const storage::WriteSet& writes, size_t from) {
  if (writes.ops().size() != from + 1) return std::nullopt;
  const storage::WriteSet::Op& op = writes.ops()[from];
  if (op.key != kRestoreCommitKey) return std::nullopt;
  nodepb::SnapshotRestoreCommit commit;
  if (!op.value.has_value() || !commit.ParseFromString(*op.value)) {
    commit.Clear();  // version 0: reported as corrupt when applied
  }
  return commit;
}

}  // namespace coffer::node
