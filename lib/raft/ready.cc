// Ready / Advance (see raft/ready.h), status and invariants.
#include <algorithm>
#include <utility>

#include "base/check.h"
#include "raft/raft.h"

namespace coffer::raft {

bool Raft::HasReady() const {
  if (broadcast_pending_) return true;
  if (!(SoftState{lead_, role_} == prev_soft_)) return true;
  if (term_ != prev_hard_.term() || vote_ != prev_hard_.voted_for() ||
      log_.committed() != prev_hard_.commit()) {
    return true;
  }
  return log_.UnstableSnapshot().has_value() || log_.HasUnstable() ||
         !msgs_.empty() || !read_states_.empty() || !chunks_.empty() ||
         log_.HasNextCommittedEntries();
}

Ready Raft::GetReady() {
  COFFER_CHECK_MSG(!in_flight_, "raft: Ready taken twice without Advance");
  if (broadcast_pending_) {
    broadcast_pending_ = false;
    if (role_ == Role::kLeader) BroadcastAppend();
  }
  Ready rd;
  InFlightReady fl;
  SoftState ss{lead_, role_};
  if (!(ss == prev_soft_)) {
    rd.soft_state = ss;
    prev_soft_ = ss;
  }
  raftpb::HardState hs;
  hs.set_term(term_);
  hs.set_voted_for(vote_);
  hs.set_commit(log_.committed());
  bool term_or_vote = hs.term() != prev_hard_.term() ||
                      hs.voted_for() != prev_hard_.voted_for();
  if (term_or_vote || hs.commit() != prev_hard_.commit()) {
    rd.hard_state = hs;
    prev_hard_ = hs;
  }
  if (const auto& snap = log_.UnstableSnapshot()) {
    rd.snapshot = *snap;
    fl.snapshot_index = snap->index();
  }
  rd.entries = log_.UnstableEntries();
  if (!rd.entries.empty()) {
    fl.last_index = rd.entries.back().index();
    fl.last_term = rd.entries.back().term();
  }
  rd.committed_entries = log_.NextCommittedEntries(
      max_committed_size_per_ready_ == 0 ? UINT64_MAX
                                         : max_committed_size_per_ready_);
  for (const raftpb::Entry& e : rd.committed_entries) {
    fl.committed_payload += e.data().size();
    if (e.type() == raftpb::ENTRY_CONF_CHANGE) fl.conf_entries.push_back(e);
  }
  if (!rd.committed_entries.empty()) {
    fl.applied = rd.committed_entries.back().index();
  }
  rd.messages = std::move(msgs_);
  msgs_.clear();
  rd.read_states = std::move(read_states_);
  read_states_.clear();
  rd.snapshot_chunks = std::move(chunks_);
  chunks_.clear();
  // Paper Figure 2: currentTerm, votedFor and log[] are persistent state;
  // the commit index alone may be lost and relearned.
  rd.must_sync = term_or_vote || !rd.entries.empty() || rd.snapshot;
  // A leader's messages carry no vote and no term it has not made durable,
  // and its entries count for it only after Advance.
  rd.send_before_save = role_ == Role::kLeader && !term_or_vote;
  in_flight_ = std::move(fl);
  return rd;
}

void Raft::Advance() { AdvanceReady(/*persisted=*/true); }

void Raft::AdvanceWithoutPersisting() { AdvanceReady(/*persisted=*/false); }

void Raft::Persisted(uint64_t index, uint64_t term) {
  if (role_ != Role::kLeader || !log_.MatchTerm(index, term)) return;
  if (progress_.at(id_).MaybeUpdate(std::min(index, log_.StableLastIndex())) &&
      MaybeCommit()) {
    broadcast_pending_ = true;
  }
}

void Raft::AdvanceReady(bool persisted) {
  COFFER_CHECK_MSG(in_flight_, "raft: Advance without a Ready");
  InFlightReady fl = std::move(*in_flight_);
  in_flight_.reset();
  if (fl.snapshot_index != 0) {
    log_.StableSnapTo(fl.snapshot_index);
    log_.AppliedTo(fl.snapshot_index);
  }
  if (fl.last_index != 0) {
    log_.StableTo(fl.last_index, fl.last_term);
    // Thesis 10.2.1: the leader's entries count toward a quorum only once
    // they are on its own disk; a single voter commits here.
    if (persisted && role_ == Role::kLeader &&
        progress_.at(id_).MaybeUpdate(log_.StableLastIndex()) &&
        MaybeCommit()) {
      broadcast_pending_ = true;
    }
  }
  if (fl.applied != 0) log_.AppliedTo(fl.applied);
  for (const raftpb::Entry& e : fl.conf_entries) ApplyConfChangeEntry(e);
  if (role_ == Role::kLeader) {
    uncommitted_size_ -= std::min(uncommitted_size_, fl.committed_payload);
  }
  MaybeAutoLeaveJoint();
  DebugCheck();
}

Status Raft::GetStatus() const {
  Status s;
  s.id = id_;
  s.term = term_;
  s.voted_for = vote_;
  s.lead = lead_;
  s.role = role_;
  s.commit_index = log_.committed();
  s.applied = log_.applied();
  s.last_index = log_.LastIndex();
  s.first_index = log_.FirstIndex();
  s.lead_transferee = lead_transferee_;
  s.conf_state = config_.ToConfState();
  for (const auto& [id, pr] : progress_) {
    s.progress[id] = PeerStatus{pr.match, pr.next, pr.state, pr.is_learner,
                                pr.recent_active};
  }
  return s;
}

void Raft::CheckInvariants() const { CheckInvariants(/*replay_log=*/true); }

bool Raft::ReplayDue() const {
  const uint64_t length = log_.LastIndex() + 1 - log_.FirstIndex();
  return length <= kReplayEntries ||
         ++debug_checks_ % (length / kReplayEntries) == 0;
}

void Raft::CheckInvariants(bool replay_log) const {
  const uint64_t last = log_.LastIndex();
  COFFER_CHECK(log_.committed() <= last);
  COFFER_CHECK(log_.applied() <= log_.committed());
  COFFER_CHECK(log_.LastTerm() <= term_);
  COFFER_CHECK(conf_index_ <= log_.committed());
  switch (role_) {
    case Role::kLeader: {
      COFFER_CHECK(lead_ == id_);
      COFFER_CHECK(vote_ == id_ || vote_ == 0 || log_.LastTerm() == term_);
      COFFER_CHECK(config_.voters.Contains(id_));
      // Its own entries count once durable (Advance or Persisted).
      COFFER_CHECK(progress_.at(id_).match <= log_.StableLastIndex());
      for (const auto& [id, pr] : progress_) {
        COFFER_CHECK(config_.Contains(id));
        COFFER_CHECK(pr.match < pr.next);
        COFFER_CHECK(pr.match <= last);
        COFFER_CHECK(pr.next <= last + 1);
        COFFER_CHECK(pr.is_learner == !config_.voters.Contains(id));
      }
      COFFER_CHECK(progress_.size() == config_.AllIds().size());
      break;
    }
    case Role::kCandidate:
      COFFER_CHECK(vote_ == id_);
      COFFER_CHECK(lead_ == 0);
      break;
    case Role::kPreCandidate:
      COFFER_CHECK(lead_ == 0);
      break;
    case Role::kFollower:
      COFFER_CHECK(lead_ != id_);
      break;
  }
  if (role_ != Role::kLeader) COFFER_CHECK(progress_.empty());
  if (!replay_log) return;

  // Replay the log from its base: indexes contiguous, terms monotone, and
  // the configuration equal to the last applied configuration entry's.
  const uint64_t base = log_.FirstIndex() - 1;
  raftpb::ConfState base_conf;
  if (const auto& unstable = log_.UnstableSnapshot()) {
    base_conf = unstable->conf_state();
  } else {
    raftpb::SnapshotMetadata snap = log_.storage()->Snapshot();
    // Compacted past the snapshot: the configuration at base is unknown.
    if (snap.index() != base) return;
    base_conf = snap.conf_state();
  }
  Configuration c = Configuration::FromConfState(base_conf);
  uint64_t prev_term = log_.TermOrZero(base);
  uint64_t upto = std::max(conf_index_, log_.applied());
  uint64_t next = base + 1;
  if (upto < next) {
    COFFER_CHECK(c == config_);
    return;
  }
  absl::StatusOr<std::vector<raftpb::Entry>> ents =
      log_.Slice(next, last + 1, UINT64_MAX);
  COFFER_CHECK(ents.ok());
  for (const raftpb::Entry& e : *ents) {
    COFFER_CHECK(e.index() == next);
    COFFER_CHECK(e.term() >= prev_term);
    prev_term = e.term();
    ++next;
    if (e.index() <= upto && e.type() == raftpb::ENTRY_CONF_CHANGE) {
      COFFER_CHECK_MSG(e.index() <= conf_index_,
                       "raft: an applied configuration entry was skipped");
      raftpb::ConfChange cc;
      COFFER_CHECK(cc.ParseFromString(e.data()));
      absl::StatusOr<Configuration> n = ApplyConfChange(c, cc);
      if (n.ok()) c = *std::move(n);
    }
  }
  COFFER_CHECK_MSG(c == config_, "raft: configuration differs from the log's");
}

}  // namespace coffer::raft
