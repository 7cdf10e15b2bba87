// Membership configurations and the rules for changing them (Raft thesis 4:
// single-server changes in 4.1, joint consensus in 4.3, learners in 4.2.1).
//
// A change with at most one voter added or removed is applied directly
// ("simple"). Anything larger goes through a joint configuration in which
// every decision needs a majority of both the outgoing and the incoming
// voters; a second, empty ConfChange leaves it. Learners receive the log but
// neither vote nor count for commitment. A voter demoted to learner while it
// is still an outgoing voter waits in learners_next until the joint
// configuration is left.
//
// Thread-safety: pure functions and value types.
#ifndef COFFER_LIB_RAFT_CONFCHANGE_H_
#define COFFER_LIB_RAFT_CONFCHANGE_H_

#include "absl/status/statusor.h"
#include "proto/raft.pb.h"
#include "raft/quorum.h"

namespace coffer::raft {

struct Configuration {
  JointConfig voters;
  IdSet learners;
  IdSet learners_next;
  // Leave the joint configuration without being asked (thesis 4.3).
  bool auto_leave = false;

  bool IsJoint() const { return voters.IsJoint(); }
  bool Contains(uint64_t id) const {
    return voters.Contains(id) || learners.count(id) > 0 ||
           learners_next.count(id) > 0;
  }
  bool Empty() const {
    return voters.incoming.empty() && voters.outgoing.empty() &&
           learners.empty() && learners_next.empty();
  }
  // True when a configuration exists and `id` is not part of it.
  bool IsRemoved(uint64_t id) const { return !Empty() && !Contains(id); }
  // Voters and learners of every kind, ascending.
  IdSet AllIds() const;
  raftpb::ConfState ToConfState() const;
  static Configuration FromConfState(const raftpb::ConfState& cs);
  bool operator==(const Configuration& o) const;
};

// True when `cc` leaves a joint configuration (it has no changes).
inline bool IsLeaveJoint(const raftpb::ConfChange& cc) {
  return cc.changes_size() == 0;
}

// Returns the configuration that results from applying `cc` to `cur`.
// Errors (the change is refused, `cur` is unchanged):
//   kFailedPrecondition  entering a joint configuration while in one, a
//                        simple change while joint, leaving while not joint
//   kInvalidArgument     a simple change of more than one voter, a change
//                        that leaves no voter, or a zero node id
absl::StatusOr<Configuration> ApplyConfChange(const Configuration& cur,
                                              const raftpb::ConfChange& cc);

}  // namespace coffer::raft

#endif  // COFFER_LIB_RAFT_CONFCHANGE_H_
