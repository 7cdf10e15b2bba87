// Names shared by the node's snapshot code (log_snapshots.cc,
// snapshot_save.cc, snapshot_restore.cc) and its hooks in raft_driver.cc.
//
// Thread-safety: constants and pure functions; thread-safe.
#ifndef COFFER_LIB_NODE_SNAPSHOT_OPS_H_
#define COFFER_LIB_NODE_SNAPSHOT_OPS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "proto/node.pb.h"
#include "snapshot/restore.h"
#include "storage/state_store.h"

namespace coffer::node {

// Raft snapshots (made and checked by sealed nodes too) use a fixed, public
// HMAC key and cluster id: see log_snapshots.h.
inline constexpr absl::string_view kRaftSnapshotCluster = "coffer-raft";
inline constexpr absl::string_view kRaftSnapshotMacKey =
    "coffer raft snapshot v1";
snapshot::VerifyOptions RaftVerify();

// Plaintext: the cluster's id, written by the first SnapshotPrepare.
inline constexpr absl::string_view kClusterIdPath = "core/cluster-id";
// Through the barrier: the HMAC key of operator snapshots (32 bytes).
inline constexpr absl::string_view kSnapshotKeyPath = "core/snapshot-hmac-key";
// A restore's records wait under node/staging/<restore id, 16 hex digits>/.
inline constexpr absl::string_view kStagingPrefix = "node/staging/";
// The key of the one write of a restore's commit entry (never stored).
inline constexpr absl::string_view kRestoreCommitKey = "node/restore-commit";
inline constexpr uint32_t kRestoreCommitVersion = 1;

std::string StagingPrefix(uint64_t restore_id);

// Records of the live cluster that a restore keeps, whatever the snapshot
// holds: membership and addresses (node/, but not the staging area), the
// cluster id and the seal's records, so that this cluster's shares (or
// Kms) keep unsealing it.
bool IsKeptOnRestore(absl::string_view key);
// Records an operator snapshot leaves out: restore staging areas.
bool IsTransient(absl::string_view key);

// The restore commit of a Command whose writes start at `from` in
// `writes`, or nullopt if it is an ordinary Command. A malformed marker
// comes back with version 0 (ApplyRestoreCommit reports it).
std::optional<nodepb::SnapshotRestoreCommit> RestoreCommitOf(
    const storage::WriteSet& writes, size_t from);

}  // namespace coffer::node

#endif  // COFFER_LIB_NODE_SNAPSHOT_OPS_H_
