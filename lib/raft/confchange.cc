#include "raft/confchange.h"

#include <algorithm>
#include <iterator>

namespace coffer::raft {
namespace {

// Number of ids in exactly one of a and b.
size_t SymmetricDifference(const IdSet& a, const IdSet& b) {
  size_t n = 0;
  for (uint64_t id : a) n += b.count(id) == 0;
  for (uint64_t id : b) n += a.count(id) == 0;
  return n;
}

absl::Status ApplyChanges(Configuration* c, const raftpb::ConfChange& cc) {
  for (const raftpb::ConfChangeSingle& ch : cc.changes()) {
    uint64_t id = ch.node_id();
    if (id == 0) return absl::InvalidArgumentError("raft: node id 0");
    switch (ch.type()) {
      case raftpb::CONF_ADD_VOTER:
        c->learners.erase(id);
        c->learners_next.erase(id);
        c->voters.incoming.insert(id);
        break;
      case raftpb::CONF_ADD_LEARNER:
        c->voters.incoming.erase(id);
        // An outgoing voter keeps voting until the joint config is left.
        if (c->voters.outgoing.count(id) > 0) {
          c->learners_next.insert(id);
        } else {
          c->learners.insert(id);
        }
        break;
      case raftpb::CONF_REMOVE_NODE:
        c->voters.incoming.erase(id);
        c->learners.erase(id);
        c->learners_next.erase(id);
        break;
      default:
        return absl::InvalidArgumentError("raft: unknown change type");
    }
  }
  if (c->voters.incoming.empty()) {
    return absl::InvalidArgumentError("raft: the change removes all voters");
  }
  return absl::OkStatus();
}

}  // namespace

IdSet Configuration::AllIds() const {
  IdSet ids = voters.Ids();
  ids.insert(learners.begin(), learners.end());
  ids.insert(learners_next.begin(), learners_next.end());
  return ids;
}

raftpb::ConfState Configuration::ToConfState() const {
  raftpb::ConfState cs;
  for (uint64_t id : voters.incoming) cs.add_voters(id);
  for (uint64_t id : voters.outgoing) cs.add_voters_outgoing(id);
  for (uint64_t id : learners) cs.add_learners(id);
  for (uint64_t id : learners_next) cs.add_learners_next(id);
  cs.set_auto_leave(auto_leave);
  return cs;
}

Configuration Configuration::FromConfState(const raftpb::ConfState& cs) {
  Configuration c;
  c.voters.incoming.insert(cs.voters().begin(), cs.voters().end());
  c.voters.outgoing.insert(cs.voters_outgoing().begin(),
                           cs.voters_outgoing().end());
  c.learners.insert(cs.learners().begin(), cs.learners().end());
  c.learners_next.insert(cs.learners_next().begin(), cs.learners_next().end());
  c.auto_leave = cs.auto_leave();
  return c;
}

bool Configuration::operator==(const Configuration& o) const {
  return voters.incoming == o.voters.incoming &&
         voters.outgoing == o.voters.outgoing && learners == o.learners &&
         learners_next == o.learners_next && auto_leave == o.auto_leave;
}

absl::StatusOr<Configuration> ApplyConfChange(const Configuration& cur,
                                              const raftpb::ConfChange& cc) {
  Configuration next = cur;
  if (IsLeaveJoint(cc)) {
    if (!cur.IsJoint()) {
      return absl::FailedPreconditionError(
          "raft: not in a joint configuration");
    }
    next.voters.outgoing.clear();
    for (uint64_t id : next.learners_next) next.learners.insert(id);
    next.learners_next.clear();
    next.auto_leave = false;
    return next;
  }
  if (cur.IsJoint()) {
    return absl::FailedPreconditionError(
        "raft: a joint configuration must be left first");
  }
  if (absl::Status s = ApplyChanges(&next, cc); !s.ok()) return s;
  size_t diff = SymmetricDifference(cur.voters.incoming, next.voters.incoming);
  bool joint = cc.transition() != raftpb::TRANSITION_AUTO || diff > 1;
  if (!joint) return next;
  // Thesis 4.3: C_old,new. The outgoing half is the old voter set.
  next.voters.outgoing = cur.voters.incoming;
  // Re-apply so that demoted outgoing voters land in learners_next.
  next.learners = cur.learners;
  next.learners_next = cur.learners_next;
  next.voters.incoming = cur.voters.incoming;
  if (absl::Status s = ApplyChanges(&next, cc); !s.ok()) return s;
  next.auto_leave = cc.transition() != raftpb::TRANSITION_JOINT_EXPLICIT;
  return next;
}

}  // namespace coffer::raft
