// The storage interface between the raft core and whoever persists its log.
//
// The core only *reads* through LogStorage: entries, terms, the bounds of the
// log and the latest snapshot. It never writes: the embedder (coffer::Node,
// the simulator, a test) persists what a Ready hands it through the write
// half, WritableLogStorage, before it calls Advance(). Two implementations
// exist: raft::MemoryStorage (tests, simulation) and storage::LevelDbLog (the
// durable one in lib/storage).
//
// Log layout. The log holds the entries first_index .. last_index. Everything
// before first_index is covered by the latest snapshot, whose index is
// first_index - 1 (0 when there is none). An empty log has
// last_index == first_index - 1.
//
// Errors. Reads below first_index fail with kOutOfRange ("compacted"); reads
// above last_index fail with kNotFound ("unavailable"); IsCompacted() and
// IsUnavailable() test for them. A record that fails to decode is kDataLoss.
// Term(first_index - 1) is the snapshot's term and never an error.
//
// Thread-safety: implementations are thread-compatible. The core calls them
// from the one thread that drives it.
#ifndef COFFER_LIB_RAFT_LOG_STORAGE_H_
#define COFFER_LIB_RAFT_LOG_STORAGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "proto/raft.pb.h"

namespace coffer::raft {

// What a restarting node recovers before it rebuilds its core.
struct InitialState {
  raftpb::HardState hard_state;  // zero when nothing was ever saved
  raftpb::ConfState conf_state;  // as of the latest snapshot, or empty
};

// A piece of the latest snapshot's data, for InstallSnapshot in chunks.
struct SnapshotChunk {
  std::string data;   // at most the max_bytes asked for
  bool last = false;  // true when data ends at the end of the snapshot
};

class LogStorage {
 public:
  virtual ~LogStorage() = default;

  // The hard state and configuration saved last.
  virtual absl::StatusOr<InitialState> LoadInitialState() = 0;

  // Entries with lo <= index < hi, in order. Stops early once their total
  // size (sum of Entry::ByteSizeLong) exceeds max_bytes, but always returns
  // at least one entry when lo < hi. REQUIRES: lo <= hi.
  // Errors: IsCompacted if lo < first_index, IsUnavailable if hi > last+1.
  virtual absl::StatusOr<std::vector<raftpb::Entry>> Entries(
      uint64_t lo, uint64_t hi, uint64_t max_bytes) = 0;

  // The term of the entry at `index`, for first_index-1 <= index <= last.
  virtual absl::StatusOr<uint64_t> Term(uint64_t index) = 0;

  virtual uint64_t FirstIndex() = 0;
  virtual uint64_t LastIndex() = 0;

  // Metadata of the latest snapshot; index 0 when there is none.
  virtual raftpb::SnapshotMetadata Snapshot() = 0;

  // Reads up to max_bytes of the latest snapshot's data starting at byte
  // `offset`. `snapshot_index` names the snapshot the reader started on: if a
  // newer snapshot replaced it meanwhile, fails with kFailedPrecondition so
  // the sender restarts from the new one. An offset past the end is
  // kOutOfRange. The core calls this to send InstallSnapshot chunks.
  virtual absl::StatusOr<SnapshotChunk> ReadSnapshotChunk(
      uint64_t snapshot_index, uint64_t offset, uint64_t max_bytes) = 0;
};

// The write half, driven by the embedder from a Ready (see raft/ready.h).
class WritableLogStorage : public LogStorage {
 public:
  // Persists `entries` and `hard_state` together, atomically: after a crash
  // either both are on disk or neither. Entries must be contiguous; any saved
  // entry with index >= entries.front().index is replaced (a follower's
  // conflicting suffix, Raft paper 5.3). An empty `entries` or a zero
  // hard_state (term == 0) leaves that part unchanged. With `sync` the call
  // returns only once the data is durable (one fsync for the whole batch).
  virtual absl::Status Save(const raftpb::HardState& hard_state,
                            absl::Span<const raftpb::Entry> entries,
                            bool sync) = 0;

  // Records that the state machine now holds the snapshot `metadata`
  // describes: drops every entry up to metadata.index (all entries, when the
  // log does not contain metadata.index with metadata.term) and makes
  // metadata the latest snapshot. The snapshot's data must already be where
  // ReadSnapshotChunk finds it. A snapshot older than the current one is
  // kFailedPrecondition and changes nothing.
  virtual absl::Status ApplySnapshot(
      const raftpb::SnapshotMetadata& metadata) = 0;

  // Discards entries with index < compact_index. REQUIRES: compact_index is
  // covered by a snapshot or applied (the caller's rule); compact_index <=
  // last_index + 1. Compacting to or below first_index is a no-op.
  virtual absl::Status Compact(uint64_t compact_index) = 0;
};

inline absl::Status CompactedError(uint64_t index, uint64_t first) {
  return absl::OutOfRangeError("raft: index " + std::to_string(index) +
                               " is compacted (first index " +
                               std::to_string(first) + ")");
}
inline absl::Status UnavailableError(uint64_t index, uint64_t last) {
  return absl::NotFoundError("raft: index " + std::to_string(index) +
                             " is past the last index " + std::to_string(last));
}
inline bool IsCompacted(const absl::Status& s) {
  return s.code() == absl::StatusCode::kOutOfRange;
}
inline bool IsUnavailable(const absl::Status& s) {
  return s.code() == absl::StatusCode::kNotFound;
}

}  // namespace coffer::raft

#endif  // COFFER_LIB_RAFT_LOG_STORAGE_H_
