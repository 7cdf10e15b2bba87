// Snapshots of a coffer cluster's state, as an operator handles them
// (Vault's `operator raft snapshot save / restore / inspect`).
//
// Concepts. A snapshot file holds a header (format version, the id of the
// cluster that made it, the raft index and term it reflects, the membership
// at that point), every record of the replicated state in key order (still
// encrypted by the barrier: a snapshot holds no plaintext secret), and a
// trailer: a SHA-256 over the whole file and an HMAC keyed by a secret of
// the cluster that made it. Node::SnapshotSave writes one; Node::
// SnapshotRestore replaces the cluster's data with one; InspectSnapshot
// (below) reads one without any key.
//
// Thread-safety: plain values and free functions with no shared state;
// thread-safe.
// This header compiles as C++17.
#ifndef COFFER_SNAPSHOT_H_
#define COFFER_SNAPSHOT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "coffer/export.h"

namespace coffer {

// How Node::SnapshotRestore treats a snapshot.
struct SnapshotRestoreOptions {
  // Accept a snapshot made by another cluster (Vault's snapshot-force):
  // that cluster's data replaces this cluster's, and this cluster's own
  // unseal shares keep working. Without it such a snapshot is refused
  // (kFailedPrecondition).
  bool force = false;
  // With `force` and another cluster's snapshot: a threshold of that
  // cluster's unseal shares (raw, hex or base64), which unlock its keyring
  // so it can be re-wrapped under this cluster's root key. Ignored for this
  // cluster's own snapshots.
  std::vector<std::string> unseal_keys;
};

struct SnapshotPrefixStats {
  uint64_t records = 0;
  uint64_t bytes = 0;  // keys plus values
};

// What InspectSnapshot reports.
struct SnapshotInspection {
  uint32_t format_version = 0;
  std::string cluster_id;  // the cluster that made the snapshot
  uint64_t index = 0;      // last raft index the snapshot reflects
  uint64_t term = 0;       // the term of that entry
  // The cluster's membership at that index, by node id.
  std::vector<uint64_t> voters;
  std::vector<uint64_t> learners;
  std::vector<uint64_t> voters_outgoing;  // non-empty only when joint
  uint64_t records = 0;
  uint64_t file_bytes = 0;
  uint64_t key_bytes = 0;
  uint64_t value_bytes = 0;
  // Records by the first segment of their storage path ("core", "logical",
  // "node", ...). At most 1000 distinct prefixes are named; any more are
  // summed under "(other)".
  std::map<std::string, SnapshotPrefixStats> by_prefix;
};

// Reads the snapshot at `path` front to back and checks its framing and
// SHA-256 (the HMAC needs the cluster's key: restore checks it). Needs no
// key and no node. Memory stays bounded whatever the file's size. Errors:
// kNotFound (no such file), kDataLoss (truncated or corrupt),
// kFailedPrecondition (an unsupported format version), kUnavailable (I/O).
// Blocks on disk I/O.
COFFER_EXPORT absl::StatusOr<SnapshotInspection> InspectSnapshot(
    const std::string& path);

// The inspection as text, one fact per line.
COFFER_EXPORT std::string SnapshotInspectionText(
    const SnapshotInspection& inspection);
// The inspection as one JSON object (strings escaped; bytes outside
// printable ASCII as \u00XX).
COFFER_EXPORT std::string SnapshotInspectionJson(
    const SnapshotInspection& inspection);

}  // namespace coffer

#endif  // COFFER_SNAPSHOT_H_
