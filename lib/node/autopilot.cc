// Autopilot, on the leader (as Vault's autopilot): promotes a learner that
// joined to become a voter once it has caught up, and, when enabled, removes
// dead voters. Also the leader's view of each peer's last contact.
//
// Caught up: the learner's match index reached the leader's commit index
// (the raft core refuses an earlier promotion anyway). Dead: no frame from
// the voter for dead_server_last_contact_threshold, counted from when this
// node became leader at the earliest; it is removed only if min_quorum
// voters remain, one change at a time.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "node/codec.h"
#include "node/membership.h"

namespace coffer::node {

absl::Duration Membership::LastContact(uint64_t id) const {
  if (id == loop_->options.id || loop_->soft.role != raft::Role::kLeader) {
    return absl::ZeroDuration();
  }
  uint64_t heard = leader_since_;
  if (auto it = last_heard_.find(id); it != last_heard_.end()) {
    heard = std::max(heard, it->second);
  }
  const uint64_t ticks = loop_->now_tick > heard ? loop_->now_tick - heard : 0;
  return loop_->options.tick * static_cast<int64_t>(ticks);
}

void Membership::AutopilotTick() {
  if (loop_->soft.role != raft::Role::kLeader || removed_) {
    leader_since_ = 0;
    autopilot_in_flight_.clear();
    return;
  }
  if (leader_since_ == 0) leader_since_ = loop_->now_tick;
  if (!LeaderReady() || !autopilot_in_flight_.empty()) return;
  const raft::Status st = loop_->raft->GetStatus();
  auto in = [](const auto& ids, uint64_t id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
  };
  // Not during a joint configuration: one simple change at a time.
  if (st.conf_state.voters_outgoing_size() != 0) return;
  auto propose = [&](raftpb::ConfChangeType type, uint64_t id) {
    autopilot_in_flight_.insert(id);
    ProposePeerChange(type, id, /*join_as_voter=*/false,
                      [this, id](absl::StatusOr<nodepb::OpResult>) {
                        // A refused or lost change is tried again later.
                        autopilot_in_flight_.erase(id);
                      });
  };
  for (uint64_t id : voters_to_be_) {
    if (!in(st.conf_state.learners(), id)) continue;
    auto it = st.progress.find(id);
    if (it == st.progress.end() || it->second.match < st.commit_index) {
      continue;
    }
    return propose(raftpb::CONF_ADD_VOTER, id);
  }
  if (!loop_->options.cleanup_dead_servers) return;
  const int voters = st.conf_state.voters_size();
  if (voters - 1 < loop_->options.min_quorum) return;
  for (uint64_t id : st.conf_state.voters()) {
    if (id == loop_->options.id) continue;
    if (LastContact(id) < loop_->options.dead_server_last_contact_threshold) {
      continue;
    }
    return propose(raftpb::CONF_REMOVE_NODE, id);
  }
}

}  // namespace coffer::node
