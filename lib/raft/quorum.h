// Quorum arithmetic for majority and joint configurations (Raft paper 5.2,
// 5.3; thesis 4.3: in a joint configuration a decision needs a majority of
// both the old and the new voters).
//
// Thread-safety: pure functions and value types.
#ifndef COFFER_LIB_RAFT_QUORUM_H_
#define COFFER_LIB_RAFT_QUORUM_H_

#include <cstdint>
#include <limits>
#include <map>
#include <set>

#include "absl/functional/function_ref.h"

namespace coffer::raft {

using IdSet = std::set<uint64_t>;

enum class VoteResult { kPending, kLost, kWon };

// Returns the largest index that `match` reports for a majority of `voters`
// (Figure 2, "commitIndex" rule for leaders). An empty set returns the
// maximum uint64 so that it never limits a joint configuration.
uint64_t MajorityCommitted(const IdSet& voters,
                           absl::FunctionRef<uint64_t(uint64_t)> match);

// Tallies `votes` (id -> granted) among `voters`. An empty set has won.
VoteResult MajorityVote(const IdSet& voters,
                        const std::map<uint64_t, bool>& votes);

// A configuration of one or two majorities. Outside a joint configuration
// `outgoing` is empty.
struct JointConfig {
  IdSet incoming;
  IdSet outgoing;

  bool IsJoint() const { return !outgoing.empty(); }
  bool Contains(uint64_t id) const {
    return incoming.count(id) > 0 || outgoing.count(id) > 0;
  }
  // Every voter of either half, ascending.
  IdSet Ids() const;
  uint64_t Committed(absl::FunctionRef<uint64_t(uint64_t)> match) const;
  VoteResult Vote(const std::map<uint64_t, bool>& votes) const;
};

}  // namespace coffer::raft

#endif  // COFFER_LIB_RAFT_QUORUM_H_
