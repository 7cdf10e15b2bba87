// Linearizable reads without writing to the log (Raft thesis 6.4, "ReadIndex").
//
// The leader records its commit index as the read index of a request, then
// confirms that it is still the leader with one round of heartbeats. Each
// heartbeat round carries the sequence number of the newest request; an
// acknowledgement from a quorum releases that request and every older one,
// because those were recorded before the round began.
//
// Thread-safety: thread-compatible.
#ifndef COFFER_LIB_RAFT_READ_ONLY_H_
#define COFFER_LIB_RAFT_READ_ONLY_H_

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "raft/quorum.h"

namespace coffer::raft {

// A read the embedder may serve once its applied index reaches `index`.
struct ReadState {
  uint64_t index = 0;
  std::string context;  // the caller's ctx, as given to ReadIndex
};

class ReadOnly {
 public:
  // Queues a read at `index`; returns the sequence number heartbeats carry.
  uint64_t Add(uint64_t index, std::string context, uint64_t self);
  // Records that `from` acknowledged the round of `seq`; returns the reads
  // released by this acknowledgement, oldest first.
  std::vector<ReadState> Ack(uint64_t seq, uint64_t from,
                             const JointConfig& voters);
  // Sequence number of the newest pending read, 0 when none.
  uint64_t LastSeq() const { return queue_.empty() ? 0 : queue_.back().seq; }
  size_t Pending() const { return queue_.size(); }
  void Reset() { queue_.clear(); }

  static std::string EncodeSeq(uint64_t seq);
  static uint64_t DecodeSeq(const std::string& ctx);  // 0 when malformed

 private:
  struct Request {
    uint64_t seq;
    ReadState state;
    std::map<uint64_t, bool> acks;
  };
  std::deque<Request> queue_;
  uint64_t next_seq_ = 1;
};

}  // namespace coffer::raft

#endif  // COFFER_LIB_RAFT_READ_ONLY_H_
