#include "raft/log.h"

#include <algorithm>
#include <string>

#include "base/check.h"

namespace coffer::raft {
namespace {

// The core cannot return a Status from Tick or Step: a storage that fails to
// read a record it claims to hold is a broken environment and aborts.
void CheckStorage(const absl::Status& s) {
  COFFER_CHECK_MSG(s.ok() || raft::IsCompacted(s) || raft::IsUnavailable(s),
                   std::string(s.message()).c_str());
}

}  // namespace

// ---------------------------------------------------------------- Unstable

std::optional<uint64_t> Unstable::MaybeFirstIndex() const {
  if (snapshot_) return snapshot_->index() + 1;
  return std::nullopt;
}

std::optional<uint64_t> Unstable::MaybeLastIndex() const {
  if (!entries_.empty()) return offset_ + entries_.size() - 1;
  if (snapshot_) return snapshot_->index();
  return std::nullopt;
}

std::optional<uint64_t> Unstable::MaybeTerm(uint64_t index) const {
  if (index < offset_) {
    if (snapshot_ && snapshot_->index() == index) return snapshot_->term();
    return std::nullopt;
  }
  std::optional<uint64_t> last = MaybeLastIndex();
  if (!last || index > *last) return std::nullopt;
  return entries_[index - offset_].term();
}

void Unstable::StableTo(uint64_t index, uint64_t term) {
  std::optional<uint64_t> t = MaybeTerm(index);
  // A mismatch means the entry was replaced after the Ready was taken.
  if (!t || *t != term || index < offset_) return;
  entries_.erase(entries_.begin(), entries_.begin() + (index + 1 - offset_));
  offset_ = index + 1;
}

void Unstable::StableSnapTo(uint64_t index) {
  if (snapshot_ && snapshot_->index() == index) snapshot_.reset();
}

void Unstable::Restore(const raftpb::SnapshotMetadata& snapshot) {
  offset_ = snapshot.index() + 1;
  entries_.clear();
  snapshot_ = snapshot;
}

void Unstable::TruncateAndAppend(std::vector<raftpb::Entry>&& entries) {
  if (entries.empty()) return;
  uint64_t after = entries.front().index();
  if (after == offset_ + entries_.size()) {
    if (entries_.empty()) {
      entries_ = std::move(entries);
    } else {
      entries_.insert(entries_.end(), std::make_move_iterator(entries.begin()),
                      std::make_move_iterator(entries.end()));
    }
  } else if (after <= offset_) {
    // Replaces the whole unstable tail (and, once saved, part of storage).
    offset_ = after;
    entries_ = std::move(entries);
  } else {
    entries_.resize(after - offset_);
    entries_.insert(entries_.end(), std::make_move_iterator(entries.begin()),
                    std::make_move_iterator(entries.end()));
  }
}

// ----------------------------------------------------------------- RaftLog

RaftLog::RaftLog(LogStorage* storage) : storage_(storage) {
  uint64_t first = storage_->FirstIndex();
  unstable_.offset_ = storage_->LastIndex() + 1;
  committed_ = applied_ = first - 1;
}

uint64_t RaftLog::FirstIndex() const {
  if (auto i = unstable_.MaybeFirstIndex()) return *i;
  return storage_->FirstIndex();
}

uint64_t RaftLog::LastIndex() const {
  if (auto i = unstable_.MaybeLastIndex()) return *i;
  return storage_->LastIndex();
}

uint64_t RaftLog::LastTerm() const { return TermOrZero(LastIndex()); }

absl::StatusOr<uint64_t> RaftLog::Term(uint64_t index) const {
  uint64_t dummy = FirstIndex() - 1;
  if (index < dummy) return CompactedError(index, dummy + 1);
  if (index > LastIndex()) return UnavailableError(index, LastIndex());
  if (auto t = unstable_.MaybeTerm(index)) return *t;
  absl::StatusOr<uint64_t> t = storage_->Term(index);
  CheckStorage(t.status());
  return t;
}

uint64_t RaftLog::TermOrZero(uint64_t index) const {
  absl::StatusOr<uint64_t> t = Term(index);
  return t.ok() ? *t : 0;
}

bool RaftLog::MatchTerm(uint64_t index, uint64_t term) const {
  absl::StatusOr<uint64_t> t = Term(index);
  return t.ok() && *t == term;
}

bool RaftLog::IsUpToDate(uint64_t last_index, uint64_t term) const {
  uint64_t our_term = LastTerm();
  return term > our_term || (term == our_term && last_index >= LastIndex());
}

std::optional<uint64_t> RaftLog::MaybeAppend(uint64_t index, uint64_t log_term,
                                             uint64_t leader_commit,
                                             EntryList* entries) {
  if (!MatchTerm(index, log_term)) return std::nullopt;
  uint64_t last_new = index + entries->size();
  uint64_t ci = FindConflict(*entries);
  if (ci != 0) {
    // Figure 2, receiver step 3: a committed entry never conflicts.
    COFFER_CHECK_MSG(ci > committed_, "raft: conflict with a committed entry");
    std::vector<raftpb::Entry> tail;
    tail.reserve(entries->size() - (ci - (index + 1)));
    for (auto it = entries->begin() + (ci - (index + 1)); it != entries->end();
         ++it) {
      tail.push_back(std::move(*it));
    }
    unstable_.TruncateAndAppend(std::move(tail));
  }
  // Figure 2, receiver step 5.
  CommitTo(std::min(leader_commit, last_new));
  return last_new;
}

uint64_t RaftLog::Append(std::vector<raftpb::Entry>&& entries) {
  if (entries.empty()) return LastIndex();
  COFFER_CHECK(entries.front().index() > committed_);
  unstable_.TruncateAndAppend(std::move(entries));
  return LastIndex();
}

uint64_t RaftLog::Append(raftpb::Entry&& entry) {
  COFFER_CHECK(entry.index() > committed_);
  if (entry.index() == unstable_.offset_ + unstable_.entries_.size()) {
    unstable_.AppendOne(std::move(entry));
  } else {
    std::vector<raftpb::Entry> one;
    one.push_back(std::move(entry));
    unstable_.TruncateAndAppend(std::move(one));
  }
  return LastIndex();
}

uint64_t RaftLog::FindConflict(const EntryList& entries) const {
  for (const raftpb::Entry& e : entries) {
    if (!MatchTerm(e.index(), e.term())) return e.index();
  }
  return 0;
}

std::pair<uint64_t, uint64_t> RaftLog::FindConflictByTerm(uint64_t index,
                                                          uint64_t term) const {
  for (; index > 0; --index) {
    absl::StatusOr<uint64_t> t = Term(index);
    if (!t.ok()) return {index, 0};
    if (*t <= term) return {index, *t};
  }
  return {0, 0};
}

absl::StatusOr<std::vector<raftpb::Entry>> RaftLog::Slice(
    uint64_t lo, uint64_t hi, uint64_t max_bytes) const {
  COFFER_CHECK(lo <= hi);
  if (lo < FirstIndex()) return CompactedError(lo, FirstIndex());
  COFFER_CHECK_MSG(hi <= LastIndex() + 1, "raft: slice past the last index");
  std::vector<raftpb::Entry> out;
  if (lo == hi) return out;
  uint64_t size = 0;
  if (lo < unstable_.offset_) {
    absl::StatusOr<std::vector<raftpb::Entry>> stored =
        storage_->Entries(lo, std::min(hi, unstable_.offset_), max_bytes);
    CheckStorage(stored.status());
    if (!stored.ok()) return stored.status();
    out = *std::move(stored);
    for (const raftpb::Entry& e : out) size += e.ByteSizeLong();
    // Storage stopped early because of max_bytes.
    if (out.size() < std::min(hi, unstable_.offset_) - lo) return out;
  }
  if (hi > unstable_.offset_) {
    out.reserve(out.size() +
                std::min<uint64_t>(hi - std::max(lo, unstable_.offset_), 4096));
  }
  for (uint64_t i = std::max(lo, unstable_.offset_); i < hi; ++i) {
    const raftpb::Entry& e = unstable_.entries_[i - unstable_.offset_];
    size += e.ByteSizeLong();
    if (!out.empty() && size > max_bytes) break;
    out.push_back(e);
  }
  return out;
}

bool RaftLog::MaybeCommit(uint64_t max_index, uint64_t term) {
  // Figure 8: only entries of the leader's current term are committed by
  // counting replicas; earlier ones are committed indirectly.
  if (max_index > committed_ && TermOrZero(max_index) == term) {
    CommitTo(max_index);
    return true;
  }
  return false;
}

void RaftLog::CommitTo(uint64_t index) {
  if (index <= committed_) return;
  COFFER_CHECK_MSG(index <= LastIndex(), "raft: commit past the last index");
  committed_ = index;
}

void RaftLog::AppliedTo(uint64_t index) {
  if (index == 0) return;
  COFFER_CHECK(index <= committed_ && index >= applied_);
  applied_ = index;
}

bool RaftLog::HasNextCommittedEntries() const {
  if (unstable_.snapshot_) return false;
  return committed_ > std::max(applied_, FirstIndex() - 1);
}

std::vector<raftpb::Entry> RaftLog::NextCommittedEntries(
    uint64_t max_bytes) const {
  if (!HasNextCommittedEntries()) return {};
  uint64_t lo = std::max(applied_ + 1, FirstIndex());
  absl::StatusOr<std::vector<raftpb::Entry>> out =
      Slice(lo, committed_ + 1, max_bytes);
  COFFER_CHECK_MSG(out.ok(), "raft: committed entries are unavailable");
  return *std::move(out);
}

void RaftLog::Restore(const raftpb::SnapshotMetadata& snapshot) {
  committed_ = snapshot.index();
  unstable_.Restore(snapshot);
}

}  // namespace coffer::raft
