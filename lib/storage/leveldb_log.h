// storage::LevelDbLog: the durable raft log, hard state and log snapshot
// metadata, in the node's LevelDB database (storage::Db). It implements
// raft::WritableLogStorage exactly as raft/log_storage.h documents it.
//
// Layout and recovery. Entries live under "L"+be64(index); a LogStart record
// names the entry before the first one (index and term), so Term(first-1) is
// always answerable. Open() reads and validates the whole log: every record
// must decode, indices must be contiguous from the start, terms must not
// decrease, and the hard state's commit must not pass the last index.
// Anything else is kDataLoss naming the record; nothing is repaired.
//
// Compaction. Compact() and ApplySnapshot() only move LogStart (one small
// synced write). The entries they cut off are deleted later, in bounded
// batches, by TrimLog(), which the node calls off the hot path (e.g. when
// its loop is idle). Entries below LogStart found at open are such leftovers.
//
// Snapshot files. The data of the snapshot with index i and term t is the
// file SnapshotPath(snapshot_dir, i, t) (written by lib/snapshot);
// ReadSnapshotChunk() serves it. ApplySnapshot() requires it to exist.
//
// Order for a Ready that carries a snapshot: restore the state machine,
// ApplySnapshot(), then Save() the hard state and entries. Saving a commit
// index the log does not reach yet makes the next Open() fail.
//
// Thread-safety: thread-compatible (one thread drives it, as the core does).
// The Db is borrowed and must outlive the log.
#ifndef COFFER_LIB_STORAGE_LEVELDB_LOG_H_
#define COFFER_LIB_STORAGE_LEVELDB_LOG_H_

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "proto/raft.pb.h"
#include "raft/log_storage.h"
#include "storage/db.h"

namespace coffer::storage {

// The path of the snapshot file for (index, term) under `dir`.
std::string SnapshotPath(absl::string_view dir, uint64_t index, uint64_t term);

class LevelDbLog final : public raft::WritableLogStorage {
 public:
  // Loads and validates the log in `db`. `snapshot_dir` holds snapshot
  // files (see SnapshotPath). Errors: kDataLoss naming the bad record,
  // kUnavailable for I/O errors.
  static absl::StatusOr<std::unique_ptr<LevelDbLog>> Open(
      Db* db, std::string snapshot_dir);

  LevelDbLog(const LevelDbLog&) = delete;
  LevelDbLog& operator=(const LevelDbLog&) = delete;

  // raft::LogStorage.
  absl::StatusOr<raft::InitialState> LoadInitialState() override;
  absl::StatusOr<std::vector<raftpb::Entry>> Entries(
      uint64_t lo, uint64_t hi, uint64_t max_bytes) override;
  absl::StatusOr<uint64_t> Term(uint64_t index) override;
  uint64_t FirstIndex() override { return start_index_ + 1; }
  uint64_t LastIndex() override { return last_index_; }
  raftpb::SnapshotMetadata Snapshot() override { return snapshot_; }
  absl::StatusOr<raft::SnapshotChunk> ReadSnapshotChunk(
      uint64_t snapshot_index, uint64_t offset, uint64_t max_bytes) override;

  // raft::WritableLogStorage. Beyond the interface's contract: entries that
  // are not contiguous, or that would leave a gap after the last index, are
  // kInvalidArgument; entries at or below the log start are skipped. A
  // failed write is sticky (see storage::Db). Save with sync=false is for
  // tests and benchmarks: LevelDB may lose an unsynced write while keeping
  // a later synced one, which the next Open() reports as a gap (kDataLoss).
  absl::Status Save(const raftpb::HardState& hard_state,
                    absl::Span<const raftpb::Entry> entries,
                    bool sync) override;
  // Save's writes staged into `group` (see storage::Db): the log changes
  // when the group commits. Errors as Save's argument checks.
  absl::Status StageSave(const raftpb::HardState& hard_state,
                         absl::Span<const raftpb::Entry> entries,
                         WriteGroup* group);
  absl::Status ApplySnapshot(const raftpb::SnapshotMetadata& metadata) override;
  absl::Status Compact(uint64_t compact_index) override;

  // Records a snapshot of this node's own state (Vault's trailing_logs):
  // like ApplySnapshot, but when the log holds the snapshot's entry it
  // keeps up to `keep_entries` entries before it, so that a follower a
  // little behind is sent entries rather than the whole snapshot. The log
  // start then lies below the snapshot index; it never moves back, and it
  // never goes below the last membership change at or before the snapshot,
  // so that the configuration at the log start is the snapshot's (what
  // LoadInitialState reports). keep_entries == 0 is ApplySnapshot.
  absl::Status ApplySnapshotKeeping(const raftpb::SnapshotMetadata& metadata,
                                    uint64_t keep_entries);

  // Recovery of a cluster that lost its quorum for good (node/recover.h),
  // on a stopped node's log: makes `conf` the configuration of the whole
  // log. Every membership-change entry the log holds becomes an empty
  // normal entry of the same index and term (a no-op when applied), and the
  // snapshot metadata's configuration (the one at the log start) becomes
  // `conf`, in one synced write. The raft core then recovers `conf` at
  // start-up, and so does any node that later receives these entries or
  // this snapshot. Entries, terms, the hard state and the snapshot index
  // are unchanged. Running it again with the same `conf` changes nothing
  // more. Returns the node ids the log's history named (the old
  // configuration and the replaced entries). Errors: kDataLoss for an
  // entry that does not decode, a write's error (storage::Db).
  // REQUIRES: `conf` is a usable configuration (at least one voter).
  absl::StatusOr<std::set<uint64_t>> ReplaceConfiguration(
      const raftpb::ConfState& conf);

  // Compaction by entry count: when the log holds more than `max_entries`
  // entries, compacts it down to that many, but never past
  // `applied_index` + 1 (entries not yet applied stay). Like Compact, only
  // moves the log start; TrimLog deletes. REQUIRES: max_entries > 0.
  absl::Status CompactToLimit(uint64_t applied_index, uint64_t max_entries);

  // Deletes up to `max_entries` compacted entries still on disk, in one
  // unsynced batch (a lost deletion only leaves garbage for the next call).
  // Returns how many remain to delete.
  absl::StatusOr<uint64_t> TrimLog(uint64_t max_entries);

  // Compacted entries still on disk.
  uint64_t PendingTrim() const { return start_index_ + 1 - trim_from_; }

  const std::string& snapshot_dir() const { return snapshot_dir_; }

  // After Db::Reopen: OK if what the log keeps in memory (hard state, log
  // start, snapshot metadata, last entry) reads back the same from the
  // database, else kDataLoss saying what differs (an acknowledged write
  // did not survive the reopen).
  absl::Status CheckMatchesDisk();

 private:
  LevelDbLog(Db* db, std::string snapshot_dir);
  absl::Status Load();
  absl::StatusOr<raftpb::Entry> ReadEntry(uint64_t index);

  // After entries from `first_new` on were written (0: none), with
  // membership changes at `confs`: replaces conf_changes_ from `first_new`
  // with `confs`, and forgets those outside the log.
  void TrackConfChanges(uint64_t first_new, const std::vector<uint64_t>& confs);

  Db* const db_;
  const std::string snapshot_dir_;
  // Indexes of the membership-change entries in the log (start .. last].
  std::set<uint64_t> conf_changes_;
  raftpb::HardState hard_state_;
  raftpb::SnapshotMetadata snapshot_;
  // Invariant: start_index_ <= last_index_; snapshot_.index() <=
  // start_index_, or (trailing entries kept) start_index_ <
  // snapshot_.index() <= last_index_.
  uint64_t start_index_ = 0;  // first_index - 1
  uint64_t start_term_ = 0;
  uint64_t last_index_ = 0;
  uint64_t last_term_ = 0;
  // Lowest entry index still on disk; trim_from_ <= start_index_ + 1.
  uint64_t trim_from_ = 1;
};

}  // namespace coffer::storage

#endif  // COFFER_LIB_STORAGE_LEVELDB_LOG_H_
