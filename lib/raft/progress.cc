#include "raft/progress.h"

#include <algorithm>

#include "base/check.h"

namespace coffer::raft {

void Inflights::Add(uint64_t last_index, uint64_t bytes) {
  COFFER_CHECK(!Full());
  if (ring_.size() < max_msgs_ && count_ == ring_.size()) {
    // Grow by rotating the live items to the front first.
    std::rotate(ring_.begin(), ring_.begin() + start_, ring_.end());
    start_ = 0;
    ring_.resize(std::min(max_msgs_, std::max<size_t>(4, ring_.size() * 2)));
  }
  size_t pos = (start_ + count_) % ring_.size();
  ring_[pos] = Item{last_index, bytes};
  ++count_;
  bytes_ += bytes;
}

void Inflights::FreeLE(uint64_t index) {
  while (count_ > 0 && ring_[start_].index <= index) {
    bytes_ -= ring_[start_].bytes;
    start_ = (start_ + 1) % ring_.size();
    --count_;
  }
  if (count_ == 0) start_ = 0;
}

const char* ProgressStateName(ProgressState s) {
  switch (s) {
    case ProgressState::kProbe:
      return "probe";
    case ProgressState::kReplicate:
      return "replicate";
    case ProgressState::kSnapshot:
      return "snapshot";
  }
  return "?";
}

void Progress::BecomeProbe() {
  // Coming back from a snapshot, the follower holds at least the snapshot.
  if (state == ProgressState::kSnapshot) {
    next = std::max(match + 1, pending_snapshot + 1);
  } else {
    next = match + 1;
  }
  state = ProgressState::kProbe;
  probe_sent = false;
  pending_snapshot = 0;
  snapshot_offset = 0;
  inflights.Reset();
}

void Progress::BecomeReplicate() {
  state = ProgressState::kReplicate;
  next = match + 1;
  probe_sent = false;
  pending_snapshot = 0;
  snapshot_offset = 0;
  inflights.Reset();
}

void Progress::BecomeSnapshot(uint64_t snapshot_index) {
  state = ProgressState::kSnapshot;
  probe_sent = false;
  pending_snapshot = snapshot_index;
  snapshot_offset = 0;
  inflights.Reset();
}

bool Progress::MaybeUpdate(uint64_t index) {
  bool updated = false;
  if (match < index) {
    match = index;
    updated = true;
    probe_sent = false;
  }
  next = std::max(next, index + 1);
  return updated;
}

bool Progress::MaybeDecrTo(uint64_t rejected, uint64_t hint) {
  if (state == ProgressState::kReplicate) {
    // Stale: the rejection is for an index already known to match.
    if (rejected <= match) return false;
    next = match + 1;
    return true;
  }
  // In kProbe only a rejection of the last probe counts.
  if (next - 1 != rejected) return false;
  next = std::max(std::min(rejected, hint + 1), match + 1);
  probe_sent = false;
  return true;
}

bool Progress::IsPaused() const {
  switch (state) {
    case ProgressState::kProbe:
      return probe_sent;
    case ProgressState::kReplicate:
      return inflights.Full();
    case ProgressState::kSnapshot:
      return true;
  }
  return true;
}

}  // namespace coffer::raft
