#include "raft/quorum.h"

#include <algorithm>
#include <vector>

namespace coffer::raft {

uint64_t MajorityCommitted(const IdSet& voters,
                           absl::FunctionRef<uint64_t(uint64_t)> match) {
  if (voters.empty()) return std::numeric_limits<uint64_t>::max();
  // Small clusters: a fixed buffer keeps this allocation-free.
  uint64_t buf[16];
  std::vector<uint64_t> heap;
  uint64_t* m = buf;
  if (voters.size() > 16) {
    heap.resize(voters.size());
    m = heap.data();
  }
  size_t n = 0;
  for (uint64_t id : voters) m[n++] = match(id);
  std::sort(m, m + n);
  // With n sorted ascending, the entry at n - (n/2 + 1) is held by a majority.
  return m[n - (n / 2 + 1)];
}

VoteResult MajorityVote(const IdSet& voters,
                        const std::map<uint64_t, bool>& votes) {
  if (voters.empty()) return VoteResult::kWon;
  size_t yes = 0, missing = 0;
  for (uint64_t id : voters) {
    auto it = votes.find(id);
    if (it == votes.end()) {
      ++missing;
    } else if (it->second) {
      ++yes;
    }
  }
  size_t quorum = voters.size() / 2 + 1;
  if (yes >= quorum) return VoteResult::kWon;
  if (yes + missing >= quorum) return VoteResult::kPending;
  return VoteResult::kLost;
}

IdSet JointConfig::Ids() const {
  IdSet ids = incoming;
  ids.insert(outgoing.begin(), outgoing.end());
  return ids;
}

uint64_t JointConfig::Committed(
    absl::FunctionRef<uint64_t(uint64_t)> match) const {
  return std::min(MajorityCommitted(incoming, match),
                  MajorityCommitted(outgoing, match));
}

VoteResult JointConfig::Vote(const std::map<uint64_t, bool>& votes) const {
  VoteResult a = MajorityVote(incoming, votes);
  VoteResult b = MajorityVote(outgoing, votes);
  if (a == b) return a;
  if (a == VoteResult::kLost || b == VoteResult::kLost)
    return VoteResult::kLost;
  return VoteResult::kPending;
}

}  // namespace coffer::raft
