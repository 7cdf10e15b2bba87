// Membership changes take effect when their entry is applied (as in etcd;
// thesis 4.1 lets them act on append, but then a truncated entry must roll
// the configuration back). One change in flight at a time keeps this safe:
// any two consecutive configurations share a quorum (thesis 4.1, 4.3).
#include <utility>

#include "base/check.h"
#include "raft/raft.h"

namespace coffer::raft {

void Raft::ApplyConfiguration(const Configuration& c) {
  config_ = c;
  if (role_ != Role::kLeader) return;
  if (!config_.voters.Contains(id_)) {
    // Thesis 4.2.2: a leader that is not part of the new configuration
    // steps down once that configuration is committed.
    BecomeFollower(term_, 0);
    return;
  }
  uint64_t last = log_.LastIndex();
  for (auto it = progress_.begin(); it != progress_.end();) {
    if (!config_.Contains(it->first)) {
      it = progress_.erase(it);
    } else {
      ++it;
    }
  }
  for (uint64_t id : config_.AllIds()) {
    auto it = progress_.find(id);
    if (it == progress_.end()) {
      Progress pr(max_inflight_msgs_, max_inflight_bytes_);
      pr.next = last + 1;
      pr.recent_active = true;
      it = progress_.emplace(id, std::move(pr)).first;
    }
    it->second.is_learner = !config_.voters.Contains(id);
  }
  if (lead_transferee_ != 0 && !config_.voters.Contains(lead_transferee_)) {
    AbortLeaderTransfer();
  }
  // The quorum changed: the commit index may move.
  if (MaybeCommit()) {
    BroadcastAppend();
  } else {
    for (auto& [id, pr] : progress_) {
      if (id != id_ && pr.match == 0) MaybeSendAppend(id, true);
    }
  }
}

void Raft::ApplyConfChangeEntry(const raftpb::Entry& e) {
  // Already applied while recovering the configuration at start-up.
  if (e.index() <= conf_index_) return;
  raftpb::ConfChange cc;
  COFFER_CHECK_MSG(cc.ParseFromString(e.data()),
                   "raft: a committed configuration entry does not parse");
  conf_index_ = e.index();
  absl::StatusOr<Configuration> next = ApplyConfChange(config_, cc);
  // Leaders validate a change before proposing it, and only one is in
  // flight, so a refused change is one every node refuses the same way.
  if (!next.ok()) return;
  ApplyConfiguration(*next);
}

bool Raft::HasUnappliedConfChange() const {
  uint64_t lo = std::max(log_.applied(), conf_index_) + 1;
  uint64_t hi = log_.committed() + 1;
  if (lo >= hi || lo < log_.FirstIndex()) return false;
  absl::StatusOr<std::vector<raftpb::Entry>> ents = log_.Slice(lo, hi, 1 << 30);
  if (!ents.ok()) return false;
  for (const raftpb::Entry& e : *ents) {
    if (e.type() == raftpb::ENTRY_CONF_CHANGE) return true;
  }
  return false;
}

void Raft::MaybeAutoLeaveJoint() {
  // Thesis 4.3: once C_old,new is committed the leader moves on to C_new.
  if (role_ != Role::kLeader || !config_.IsJoint() || !config_.auto_leave) {
    return;
  }
  if (pending_conf_index_ > log_.applied()) return;
  // A failure (a transfer in progress, a full backlog) is retried on the
  // next Advance.
  (void)ProposeConfChange(raftpb::ConfChange());
}

}  // namespace coffer::raft
