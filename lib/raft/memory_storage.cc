#include "raft/memory_storage.h"

#include <algorithm>
#include <utility>

namespace coffer::raft {

MemoryStorage::MemoryStorage() : entries_(1) {}

absl::StatusOr<InitialState> MemoryStorage::LoadInitialState() {
  return InitialState{hard_state_, snapshot_.conf_state()};
}

uint64_t MemoryStorage::FirstIndex() { return entries_[0].index() + 1; }

uint64_t MemoryStorage::LastIndex() {
  return entries_[0].index() + entries_.size() - 1;
}

absl::StatusOr<std::vector<raftpb::Entry>> MemoryStorage::Entries(
    uint64_t lo, uint64_t hi, uint64_t max_bytes) {
  if (lo < FirstIndex()) return CompactedError(lo, FirstIndex());
  if (hi > LastIndex() + 1) return UnavailableError(hi - 1, LastIndex());
  std::vector<raftpb::Entry> out;
  out.reserve(std::min<uint64_t>(hi - lo, 4096));
  uint64_t offset = entries_[0].index();
  uint64_t size = 0;
  for (uint64_t i = lo; i < hi; ++i) {
    const raftpb::Entry& e = entries_[i - offset];
    size += e.ByteSizeLong();
    if (!out.empty() && size > max_bytes) break;
    out.push_back(e);
  }
  return out;
}

absl::StatusOr<uint64_t> MemoryStorage::Term(uint64_t index) {
  uint64_t offset = entries_[0].index();
  if (index < offset) return CompactedError(index, FirstIndex());
  if (index > LastIndex()) return UnavailableError(index, LastIndex());
  return entries_[index - offset].term();
}

raftpb::SnapshotMetadata MemoryStorage::Snapshot() { return snapshot_; }

absl::StatusOr<SnapshotChunk> MemoryStorage::ReadSnapshotChunk(
    uint64_t snapshot_index, uint64_t offset, uint64_t max_bytes) {
  if (snapshot_index != snapshot_.index()) {
    return absl::FailedPreconditionError(
        "raft: snapshot " + std::to_string(snapshot_index) +
        " was replaced by " + std::to_string(snapshot_.index()));
  }
  if (offset > snapshot_data_.size()) {
    return absl::OutOfRangeError("raft: snapshot offset past the end");
  }
  SnapshotChunk chunk;
  chunk.data = snapshot_data_.substr(offset, max_bytes);
  chunk.last = offset + chunk.data.size() == snapshot_data_.size();
  return chunk;
}

absl::Status MemoryStorage::Save(const raftpb::HardState& hard_state,
                                 absl::Span<const raftpb::Entry> entries,
                                 bool sync) {
  if (!sync && !entries.empty() && !unsynced_) {
    unsynced_ = true;
    durable_last_ = LastIndex();
    durable_hard_state_ = hard_state_;
  }
  if (sync) unsynced_ = false;
  if (unsynced_ && !entries.empty()) {
    durable_last_ = std::min(durable_last_, entries.front().index() - 1);
  }
  if (hard_state.term() != 0) hard_state_ = hard_state;
  if (entries.empty()) return absl::OkStatus();
  uint64_t first = entries.front().index();
  if (first + entries.size() - 1 < FirstIndex()) return absl::OkStatus();
  if (first < FirstIndex()) {
    // Already covered by the snapshot: keep only the tail.
    entries = entries.subspan(FirstIndex() - first);
    first = entries.front().index();
  }
  if (first > LastIndex() + 1) {
    return absl::InvalidArgumentError("raft: gap before saved entries");
  }
  entries_.resize(first - entries_[0].index());
  entries_.insert(entries_.end(), entries.begin(), entries.end());
  return absl::OkStatus();
}

void MemoryStorage::LoseUnsynced() {
  if (!unsynced_) return;
  unsynced_ = false;
  hard_state_ = durable_hard_state_;
  const uint64_t offset = entries_[0].index();
  if (durable_last_ >= offset && durable_last_ <= LastIndex()) {
    entries_.resize(durable_last_ - offset + 1);
  }
}

absl::Status MemoryStorage::ApplySnapshot(
    const raftpb::SnapshotMetadata& metadata) {
  unsynced_ = false;  // a snapshot is written durably
  if (metadata.index() < snapshot_.index()) {
    return absl::FailedPreconditionError("raft: snapshot is out of date");
  }
  uint64_t offset = entries_[0].index();
  bool keep = metadata.index() >= offset && metadata.index() <= LastIndex() &&
              entries_[metadata.index() - offset].term() == metadata.term();
  if (keep) {
    entries_.erase(entries_.begin(),
                   entries_.begin() + (metadata.index() - offset));
  } else {
    entries_.assign(1, raftpb::Entry());
  }
  entries_[0].set_index(metadata.index());
  entries_[0].set_term(metadata.term());
  entries_[0].clear_data();
  snapshot_ = metadata;
  snapshot_data_ = std::move(pending_data_);
  pending_data_.clear();
  return absl::OkStatus();
}

absl::Status MemoryStorage::Compact(uint64_t compact_index) {
  unsynced_ = false;  // compaction follows a durable snapshot
  uint64_t offset = entries_[0].index();
  if (compact_index <= offset + 1) return absl::OkStatus();
  if (compact_index > LastIndex() + 1) {
    return absl::InvalidArgumentError("raft: compact past the last index");
  }
  // The new dummy is the entry at compact_index - 1.
  uint64_t k = compact_index - 1 - offset;
  entries_.erase(entries_.begin(), entries_.begin() + k);
  entries_[0].clear_data();
  return absl::OkStatus();
}

void MemoryStorage::SetPendingSnapshotData(std::string data) {
  pending_data_ = std::move(data);
}

absl::Status MemoryStorage::CreateSnapshot(uint64_t index,
                                           const raftpb::ConfState& conf_state,
                                           std::string data) {
  if (index <= snapshot_.index()) {
    return absl::FailedPreconditionError("raft: snapshot is out of date");
  }
  if (index > LastIndex()) {
    return absl::InvalidArgumentError("raft: snapshot past the last index");
  }
  snapshot_.set_index(index);
  snapshot_.set_term(entries_[index - entries_[0].index()].term());
  *snapshot_.mutable_conf_state() = conf_state;
  snapshot_data_ = std::move(data);
  return absl::OkStatus();
}

}  // namespace coffer::raft
