#include "raft/read_only.h"

#include <utility>

#include "base/coding.h"

namespace coffer::raft {

uint64_t ReadOnly::Add(uint64_t index, std::string context, uint64_t self) {
  Request r{next_seq_++, ReadState{index, std::move(context)}, {}};
  r.acks[self] = true;
  queue_.push_back(std::move(r));
  return queue_.back().seq;
}

std::vector<ReadState> ReadOnly::Ack(uint64_t seq, uint64_t from,
                                     const JointConfig& voters) {
  std::vector<ReadState> released;
  size_t pos = 0;
  while (pos < queue_.size() && queue_[pos].seq != seq) ++pos;
  if (pos == queue_.size()) return released;
  Request& r = queue_[pos];
  r.acks[from] = true;
  if (voters.Vote(r.acks) != VoteResult::kWon) return released;
  for (size_t i = 0; i <= pos; ++i) {
    released.push_back(std::move(queue_.front().state));
    queue_.pop_front();
  }
  return released;
}

std::string ReadOnly::EncodeSeq(uint64_t seq) {
  std::string out;
  base::PutBigEndian64(&out, seq);
  return out;
}

uint64_t ReadOnly::DecodeSeq(const std::string& ctx) {
  if (ctx.size() != 8) return 0;
  return base::GetBigEndian64(ctx);
}

}  // namespace coffer::raft
