// The leader's view of one follower (Raft paper Figure 2, "nextIndex[]" and
// "matchIndex[]"), with the flow control that etcd's raft popularised:
//
//   kProbe      the leader does not know where the logs diverge; it sends
//               one AppendEntries per heartbeat interval and waits.
//   kReplicate  the logs agree up to match; the leader streams entries
//               optimistically (next runs ahead of match), bounded by an
//               in-flight window.
//   kSnapshot   the follower needs entries the leader has compacted; the
//               leader streams a snapshot in chunks and sends nothing else.
//
// Thread-safety: thread-compatible value types.
#ifndef COFFER_LIB_RAFT_PROGRESS_H_
#define COFFER_LIB_RAFT_PROGRESS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace coffer::raft {

// A ring of in-flight AppendEntries, each remembered by its last index and
// byte size. Full when either the message count or the byte budget is used.
class Inflights {
 public:
  Inflights(size_t max_msgs, uint64_t max_bytes)
      : max_msgs_(max_msgs), max_bytes_(max_bytes) {}

  // REQUIRES: !Full(); `last_index` above every index already added.
  void Add(uint64_t last_index, uint64_t bytes);
  // Frees every message whose last index is <= `index` (acknowledged).
  void FreeLE(uint64_t index);
  // Frees the oldest message, so that one more may be sent.
  void FreeFirstOne() {
    if (count_ > 0) FreeLE(ring_[start_].index);
  }
  bool Full() const {
    return count_ == max_msgs_ || (max_bytes_ != 0 && bytes_ >= max_bytes_);
  }
  size_t Count() const { return count_; }
  void Reset() { count_ = start_ = 0, bytes_ = 0; }

 private:
  struct Item {
    uint64_t index;
    uint64_t bytes;
  };
  size_t max_msgs_;
  uint64_t max_bytes_;
  std::vector<Item> ring_;  // grows up to max_msgs_ on demand
  size_t start_ = 0;
  size_t count_ = 0;
  uint64_t bytes_ = 0;
};

enum class ProgressState { kProbe, kReplicate, kSnapshot };

const char* ProgressStateName(ProgressState s);

struct Progress {
  Progress(size_t max_inflight_msgs, uint64_t max_inflight_bytes)
      : inflights(max_inflight_msgs, max_inflight_bytes) {}

  // Invariant: match < next.
  uint64_t match = 0;
  uint64_t next = 1;
  ProgressState state = ProgressState::kProbe;
  // kProbe: an AppendEntries is outstanding; wait for a reply or heartbeat.
  bool probe_sent = false;
  // kSnapshot: the snapshot being sent, and the next byte offset to send.
  uint64_t pending_snapshot = 0;
  uint64_t snapshot_offset = 0;
  // Heard from since the last check-quorum round (thesis 6.2).
  bool recent_active = false;
  bool is_learner = false;
  Inflights inflights;

  void BecomeProbe();
  void BecomeReplicate();
  void BecomeSnapshot(uint64_t snapshot_index);

  // An acknowledgement of `index`: returns false when it is stale.
  bool MaybeUpdate(uint64_t index);
  // Entries up to `last` were just sent in kReplicate.
  void OptimisticUpdate(uint64_t last) { next = last + 1; }
  // The follower rejected AppendEntries at `rejected`; `hint` is the highest
  // index that may still match (fast backtracking, paper 5.3 end). Returns
  // false when the rejection is stale.
  bool MaybeDecrTo(uint64_t rejected, uint64_t hint);
  // Whether the leader must not send more entries now.
  bool IsPaused() const;
};

}  // namespace coffer::raft

#endif  // COFFER_LIB_RAFT_PROGRESS_H_
