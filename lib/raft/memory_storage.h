// raft::MemoryStorage: a WritableLogStorage held in memory, for tests, the
// simulator and benchmarks. "Persisted" means "saved here": a simulated crash
// keeps a MemoryStorage and loses everything else.
//
// Thread-safety: thread-compatible.
#ifndef COFFER_LIB_RAFT_MEMORY_STORAGE_H_
#define COFFER_LIB_RAFT_MEMORY_STORAGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "raft/log_storage.h"

namespace coffer::raft {

class MemoryStorage : public WritableLogStorage {
 public:
  MemoryStorage();

  absl::StatusOr<InitialState> LoadInitialState() override;
  absl::StatusOr<std::vector<raftpb::Entry>> Entries(
      uint64_t lo, uint64_t hi, uint64_t max_bytes) override;
  absl::StatusOr<uint64_t> Term(uint64_t index) override;
  uint64_t FirstIndex() override;
  uint64_t LastIndex() override;
  raftpb::SnapshotMetadata Snapshot() override;
  absl::StatusOr<SnapshotChunk> ReadSnapshotChunk(uint64_t snapshot_index,
                                                  uint64_t offset,
                                                  uint64_t max_bytes) override;

  absl::Status Save(const raftpb::HardState& hard_state,
                    absl::Span<const raftpb::Entry> entries,
                    bool sync) override;
  absl::Status ApplySnapshot(const raftpb::SnapshotMetadata& metadata) override;
  absl::Status Compact(uint64_t compact_index) override;

  // Sets the data that the next ApplySnapshot installs (the embedder's
  // "pending snapshot file"). Call before ApplySnapshot.
  void SetPendingSnapshotData(std::string data);

  // Makes a snapshot of the local state machine at `index` (which must be in
  // the log) with `conf_state` and `data`, without dropping entries; call
  // Compact afterwards to drop them. A snapshot at or below the current one
  // is kFailedPrecondition.
  absl::Status CreateSnapshot(uint64_t index,
                              const raftpb::ConfState& conf_state,
                              std::string data);

  // Durability, for simulations: entries saved without sync are lost by
  // LoseUnsynced() (a crash), with the hard state of the last synced Save,
  // until a synced Save, a snapshot, a compaction or MarkSynced() makes
  // them durable (writes become durable in order, as storage::Db's do).
  void MarkSynced() { unsynced_ = false; }
  void LoseUnsynced();

  // The latest snapshot's data.
  const std::string& snapshot_data() const { return snapshot_data_; }
  const raftpb::HardState& hard_state() const { return hard_state_; }

 private:
  raftpb::HardState hard_state_;
  raftpb::SnapshotMetadata snapshot_;
  std::string snapshot_data_;
  std::string pending_data_;
  // Invariant: entries_[0] is a dummy holding snapshot_'s index and term;
  // entries_[i].index == entries_[0].index + i.
  std::vector<raftpb::Entry> entries_;
  // Entries after durable_last_ (and hard_state_ since durable_hard_state_)
  // are not durable yet.
  bool unsynced_ = false;
  uint64_t durable_last_ = 0;
  raftpb::HardState durable_hard_state_;
};

}  // namespace coffer::raft

#endif  // COFFER_LIB_RAFT_MEMORY_STORAGE_H_
