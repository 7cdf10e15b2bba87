// The raft log as the core sees it: the entries in LogStorage (persisted)
// followed by the unstable tail (appended by the core, handed to the
// embedder in a Ready, not yet acknowledged by Advance). An incoming snapshot
// also waits in the unstable part until the embedder has installed it.
//
//   storage: [first_index ......... stable_last]
//   unstable:                                   [offset ...... last_index]
//
// Invariant: applied <= committed <= last_index.
//
// Thread-safety: thread-compatible.
#ifndef COFFER_LIB_RAFT_LOG_H_
#define COFFER_LIB_RAFT_LOG_H_

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/types/span.h"
#include "raft/log_storage.h"

namespace coffer::raft {

using EntryList = google::protobuf::RepeatedPtrField<raftpb::Entry>;

class Unstable {
 public:
  std::optional<uint64_t> MaybeFirstIndex() const;
  std::optional<uint64_t> MaybeLastIndex() const;
  std::optional<uint64_t> MaybeTerm(uint64_t index) const;

  // Entries up to `index` with `term` were persisted.
  void StableTo(uint64_t index, uint64_t term);
  void StableSnapTo(uint64_t index);
  void Restore(const raftpb::SnapshotMetadata& snapshot);
  // Appends `entries`, replacing any unstable entry at or after the first.
  void TruncateAndAppend(std::vector<raftpb::Entry>&& entries);
  // REQUIRES: entry follows the last unstable entry (or offset_).
  void AppendOne(raftpb::Entry&& entry) {
    entries_.push_back(std::move(entry));
  }

  // Invariant: entries_[i].index() == offset_ + i.
  std::optional<raftpb::SnapshotMetadata> snapshot_;
  std::vector<raftpb::Entry> entries_;
  uint64_t offset_ = 1;
};

class RaftLog {
 public:
  explicit RaftLog(LogStorage* storage);

  uint64_t FirstIndex() const;
  uint64_t LastIndex() const;
  uint64_t LastTerm() const;
  // kOutOfRange below first_index - 1, kNotFound past last_index.
  absl::StatusOr<uint64_t> Term(uint64_t index) const;
  uint64_t TermOrZero(uint64_t index) const;
  bool MatchTerm(uint64_t index, uint64_t term) const;
  // Paper 5.4.1: a log is at least as up-to-date as ours.
  bool IsUpToDate(uint64_t last_index, uint64_t term) const;

  // The follower side of AppendEntries (Figure 2, receiver steps 2-5).
  // Returns the index of the last new entry, or nullopt when the log does
  // not contain an entry at `index` with `log_term`. New entries are moved
  // out of `entries`.
  std::optional<uint64_t> MaybeAppend(uint64_t index, uint64_t log_term,
                                      uint64_t leader_commit,
                                      EntryList* entries);
  // Appends at the end of the log (leader), returns the new last index.
  uint64_t Append(std::vector<raftpb::Entry>&& entries);
  uint64_t Append(raftpb::Entry&& entry);
  // The index of the first entry whose term conflicts or which is new; 0
  // when every entry is already in the log.
  uint64_t FindConflict(const EntryList& entries) const;
  // The largest index <= `index` whose term is <= `term`, and that term
  // (fast backtracking; a compacted index is returned as is).
  std::pair<uint64_t, uint64_t> FindConflictByTerm(uint64_t index,
                                                   uint64_t term) const;

  // Entries in [lo, hi), at most max_bytes but at least one.
  absl::StatusOr<std::vector<raftpb::Entry>> Slice(uint64_t lo, uint64_t hi,
                                                   uint64_t max_bytes) const;

  // Commits `max_index` if it is from `term` (paper 5.4.2, Figure 8).
  bool MaybeCommit(uint64_t max_index, uint64_t term);
  void CommitTo(uint64_t index);
  void AppliedTo(uint64_t index);

  bool HasNextCommittedEntries() const;
  std::vector<raftpb::Entry> NextCommittedEntries(uint64_t max_bytes) const;
  bool HasUnstable() const { return !unstable_.entries_.empty(); }
  // The last index in storage (persisted): before the unstable entries.
  uint64_t StableLastIndex() const {
    return HasUnstable() ? unstable_.offset_ - 1 : LastIndex();
  }
  const std::vector<raftpb::Entry>& UnstableEntries() const {
    return unstable_.entries_;
  }
  const std::optional<raftpb::SnapshotMetadata>& UnstableSnapshot() const {
    return unstable_.snapshot_;
  }
  void StableTo(uint64_t index, uint64_t term) {
    unstable_.StableTo(index, term);
  }
  void StableSnapTo(uint64_t index) { unstable_.StableSnapTo(index); }
  // Replaces the log by `snapshot` (a follower installing one).
  void Restore(const raftpb::SnapshotMetadata& snapshot);

  uint64_t committed() const { return committed_; }
  uint64_t applied() const { return applied_; }
  LogStorage* storage() const { return storage_; }
  // Used once on restart: the persisted commit index.
  void set_committed(uint64_t c) { committed_ = c; }

 private:
  LogStorage* storage_;
  Unstable unstable_;
  uint64_t committed_;
  uint64_t applied_;
};

}  // namespace coffer::raft

#endif  // COFFER_LIB_RAFT_LOG_H_
