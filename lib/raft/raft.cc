// Roles, elections and message dispatch (Raft paper 5.2, thesis 3.4, 9.6).
#include "raft/raft.h"

#include <utility>

#include "base/check.h"
#include "base/status_macros.h"

namespace coffer::raft {

const char* RoleName(Role r) {
  switch (r) {
    case Role::kFollower:
      return "follower";
    case Role::kPreCandidate:
      return "pre-candidate";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
  }
  return "?";
}

absl::Status Config::Validate() const {
  auto bad = [](const char* what) {
    return absl::InvalidArgumentError(std::string("raft: invalid ") + what);
  };
  if (id == 0) return bad("id (must be >= 1)");
  if (heartbeat_tick <= 0) return bad("heartbeat_tick (must be >= 1)");
  if (election_tick <= heartbeat_tick) {
    return bad("election_tick (must exceed heartbeat_tick)");
  }
  if (storage == nullptr) return bad("storage (required)");
  if (random == nullptr) return bad("random (required)");
  if (max_inflight_msgs == 0) return bad("max_inflight_msgs (must be >= 1)");
  if (max_snapshot_chunk_bytes == 0) {
    return bad("max_snapshot_chunk_bytes (must be >= 1)");
  }
  if (read_only_option == ReadOnlyOption::kLeaseBased && !check_quorum) {
    return bad("read_only_option (lease reads need check_quorum)");
  }
  for (uint64_t v : bootstrap_voters) {
    if (v == 0) return bad("bootstrap_voters (id 0)");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Raft>> Raft::Create(const Config& config) {
  if (absl::Status s = config.Validate(); !s.ok()) return s;
  absl::StatusOr<InitialState> init = config.storage->LoadInitialState();
  if (!init.ok()) return init.status();
  std::unique_ptr<Raft> r(new Raft(config, config.storage));
  const raftpb::HardState& hs = init->hard_state;
  bool empty = hs.term() == 0 && config.storage->LastIndex() == 0 &&
               init->conf_state.voters_size() == 0;
  if (empty && !config.bootstrap_voters.empty()) {
    r->Bootstrap(config.bootstrap_voters);
  } else {
    if (hs.commit() > r->log_.LastIndex()) {
      return absl::DataLossError("raft: saved commit index " +
                                 std::to_string(hs.commit()) +
                                 " is past the saved log");
    }
    // A snapshot installed after the hard state was saved covers more.
    if (hs.commit() > r->log_.committed()) r->log_.set_committed(hs.commit());
    r->term_ = hs.term();
    r->vote_ = hs.voted_for();
    r->RecoverConfiguration(init->conf_state);
  }
  r->prev_hard_ = hs;
  r->BecomeFollower(r->term_, 0);
  return r;
}

Raft::Raft(const Config& c, LogStorage* storage)
    : id_(c.id),
      election_timeout_(c.election_tick),
      heartbeat_timeout_(c.heartbeat_tick),
      random_(c.random),
      max_msg_size_(c.max_size_per_msg),
      max_inflight_msgs_(c.max_inflight_msgs),
      max_inflight_bytes_(c.max_inflight_bytes),
      max_uncommitted_size_(c.max_uncommitted_entries_size),
      max_committed_size_per_ready_(c.max_committed_size_per_ready),
      max_chunk_bytes_(c.max_snapshot_chunk_bytes),
      pre_vote_(c.pre_vote),
      check_quorum_(c.check_quorum),
      read_only_option_(c.read_only_option),
      slow_first_election_(c.slow_first_election),
      log_(storage) {}

void Raft::Bootstrap(const std::vector<uint64_t>& voters) {
  // Like etcd: one configuration entry per initial voter at term 1, already
  // committed, so that a node joining later replays the same history.
  std::vector<raftpb::Entry> entries;
  for (uint64_t v : voters) {
    raftpb::ConfChange cc;
    raftpb::ConfChangeSingle* ch = cc.add_changes();
    ch->set_type(raftpb::CONF_ADD_VOTER);
    ch->set_node_id(v);
    raftpb::Entry e;
    e.set_term(1);
    e.set_index(entries.size() + 1);
    e.set_type(raftpb::ENTRY_CONF_CHANGE);
    e.set_data(cc.SerializeAsString());
    entries.push_back(std::move(e));
  }
  log_.Append(std::move(entries));
  term_ = 1;
  log_.CommitTo(log_.LastIndex());
  RecoverConfiguration(raftpb::ConfState());
}

void Raft::RecoverConfiguration(const raftpb::ConfState& snapshot_conf) {
  // Thesis 4.1 uses the latest configuration in the log; coffer applies a
  // configuration once it is committed (as etcd does), so it replays the
  // committed configuration entries after the snapshot.
  config_ = Configuration::FromConfState(snapshot_conf);
  conf_index_ = log_.FirstIndex() - 1;
  uint64_t lo = log_.FirstIndex();
  uint64_t hi = log_.committed() + 1;
  while (lo < hi) {
    absl::StatusOr<std::vector<raftpb::Entry>> ents =
        log_.Slice(lo, hi, 1 << 20);
    COFFER_CHECK_MSG(ents.ok(), "raft: committed entries are unavailable");
    for (const raftpb::Entry& e : *ents) {
      if (e.type() == raftpb::ENTRY_CONF_CHANGE) ApplyConfChangeEntry(e);
    }
    lo = ents->back().index() + 1;
  }
}

// ------------------------------------------------------------------- roles

void Raft::Reset(uint64_t term) {
  if (term_ != term) {
    term_ = term;
    vote_ = 0;
  }
  lead_ = 0;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  ResetRandomizedElectionTimeout();
  AbortLeaderTransfer();
  votes_.clear();
  progress_.clear();
  read_only_.Reset();
  pending_reads_.clear();
  uncommitted_size_ = 0;
  pending_conf_index_ = 0;
  broadcast_pending_ = false;
}

void Raft::ResetRandomizedElectionTimeout() {
  // Paper 5.2: randomized timeouts make split votes rare.
  const int base = slow_first_election_ && !leader_known_
                       ? 2 * election_timeout_
                       : election_timeout_;
  randomized_election_timeout_ =
      base + static_cast<int>(random_->Uniform(static_cast<uint64_t>(base)));
}

void Raft::NoteLeaderKnown() {
  if (leader_known_ || lead_ == 0) return;
  leader_known_ = true;
  if (slow_first_election_) ResetRandomizedElectionTimeout();
}

void Raft::BecomeFollower(uint64_t term, uint64_t lead) {
  Reset(term);
  role_ = Role::kFollower;
  lead_ = lead;
}

void Raft::BecomePreCandidate() {
  COFFER_CHECK_MSG(role_ != Role::kLeader, "raft: leader to pre-candidate");
  // Thesis 9.6: a pre-candidate changes neither its term nor its vote.
  role_ = Role::kPreCandidate;
  votes_.clear();
  lead_ = 0;
}

void Raft::BecomeCandidate() {
  COFFER_CHECK_MSG(role_ != Role::kLeader, "raft: leader to candidate");
  Reset(term_ + 1);
  vote_ = id_;
  role_ = Role::kCandidate;
}

void Raft::BecomeLeader() {
  COFFER_CHECK_MSG(role_ != Role::kFollower, "raft: follower to leader");
  Reset(term_);
  role_ = Role::kLeader;
  lead_ = id_;
  uint64_t last = log_.LastIndex();
  for (uint64_t peer : config_.AllIds()) {
    Progress pr(max_inflight_msgs_, max_inflight_bytes_);
    pr.next = last + 1;
    pr.recent_active = true;
    pr.is_learner = !config_.voters.Contains(peer);
    progress_.emplace(peer, std::move(pr));
  }
  Progress& self = progress_.at(id_);
  // Entries still unstable count once they are durable (Advance).
  self.match = log_.StableLastIndex();
  self.BecomeReplicate();
  // Any configuration entry in the log may still be uncommitted.
  pending_conf_index_ = last;
  // Paper 5.4.2 / thesis 6.4: an entry of the new term lets the leader learn
  // what is committed; it is a no-op for the state machine.
  AppendEntry(raftpb::Entry());
}

bool Raft::Promotable() const {
  return config_.voters.Contains(id_) && !log_.UnstableSnapshot();
}

bool Raft::PastElectionTimeout() const {
  return election_elapsed_ >= randomized_election_timeout_;
}

// ------------------------------------------------------------------ clock

void Raft::Tick() {
  if (role_ == Role::kLeader) {
    TickHeartbeat();
  } else {
    TickElection();
  }
  NoteLeaderKnown();
  DebugCheck();
}

void Raft::TickElection() {
  ++election_elapsed_;
  if (Promotable() && PastElectionTimeout()) {
    election_elapsed_ = 0;
    Hup(pre_vote_ ? CampaignType::kPreElection : CampaignType::kElection);
  }
}

void Raft::TickHeartbeat() {
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  if (election_elapsed_ >= election_timeout_) {
    election_elapsed_ = 0;
    // Thesis 6.2: step down without a quorum, so that clients of a
    // partitioned leader fail over.
    if (check_quorum_ && !QuorumActive()) {
      BecomeFollower(term_, 0);
      return;
    }
    // Thesis 3.10: give up a transfer that did not finish in time.
    AbortLeaderTransfer();
  }
  if (heartbeat_elapsed_ >= heartbeat_timeout_) {
    heartbeat_elapsed_ = 0;
    BroadcastHeartbeat();
  }
}

// --------------------------------------------------------------- elections

void Raft::Hup(CampaignType t) {
  if (role_ == Role::kLeader) return;
  if (!Promotable()) return;
  // A committed but unapplied configuration change could change who votes.
  if (HasUnappliedConfChange()) return;
  Campaign(t);
}

void Raft::Campaign(CampaignType t) {
  uint64_t term;
  raftpb::MessageType type;
  if (t == CampaignType::kPreElection) {
    BecomePreCandidate();
    type = raftpb::MSG_PRE_VOTE;
    term = term_ + 1;
  } else {
    BecomeCandidate();
    type = raftpb::MSG_VOTE;
    term = term_;
  }
  if (Poll(id_, true) == VoteResult::kWon) {
    // A single voter wins at once.
    if (t == CampaignType::kPreElection) {
      Campaign(CampaignType::kElection);
    } else {
      BecomeLeader();
    }
    return;
  }
  for (uint64_t peer : config_.voters.Ids()) {
    if (peer == id_) continue;
    raftpb::Message m;
    m.set_type(type);
    m.set_to(peer);
    m.set_term(term);
    m.set_index(log_.LastIndex());
    m.set_log_term(log_.LastTerm());
    if (t == CampaignType::kTransfer) m.set_context("transfer");
    Send(std::move(m));
  }
}

VoteResult Raft::Poll(uint64_t from, bool granted) {
  votes_.emplace(from, granted);  // the first answer counts
  return config_.voters.Vote(votes_);
}

// ------------------------------------------------------------------- step

absl::Status Raft::Step(raftpb::Message m) {
  if (m.to() != id_) {
    return absl::InvalidArgumentError("raft: message for another node");
  }
  if (m.type() == raftpb::MSG_UNKNOWN ||
      !raftpb::MessageType_IsValid(m.type())) {
    return absl::InvalidArgumentError("raft: unknown message type");
  }
  COFFER_RETURN_IF_ERROR(CheckMessage(m));
  const bool is_vote =
      m.type() == raftpb::MSG_VOTE || m.type() == raftpb::MSG_PRE_VOTE;
  if (m.term() > term_) {
    if (is_vote) {
      bool force = m.context() == "transfer";
      // Thesis 4.2.3: a node that heard from a leader within the minimum
      // election timeout ignores votes, so a removed or partitioned server
      // cannot disrupt a working cluster.
      bool in_lease =
          check_quorum_ && lead_ != 0 && election_elapsed_ < election_timeout_;
      if (!force && in_lease) return absl::OkStatus();
    }
    if (m.type() == raftpb::MSG_PRE_VOTE) {
      // Never change the term on a pre-vote.
    } else if (m.type() == raftpb::MSG_PRE_VOTE_RESP && !m.reject()) {
      // The term in a granted pre-vote is the one we would campaign with.
    } else if (m.type() == raftpb::MSG_APP ||
               m.type() == raftpb::MSG_HEARTBEAT ||
               m.type() == raftpb::MSG_SNAP) {
      BecomeFollower(m.term(), m.from());
    } else {
      BecomeFollower(m.term(), 0);
    }
  } else if (m.term() < term_) {
    if ((check_quorum_ || pre_vote_) &&
        (m.type() == raftpb::MSG_APP || m.type() == raftpb::MSG_HEARTBEAT)) {
      // A stale leader learns our term and steps down. Without this, a node
      // whose term was raised by a lost election could be ignored forever
      // once pre-vote keeps it from campaigning.
      raftpb::Message r;
      r.set_type(raftpb::MSG_APP_RESP);
      r.set_to(m.from());
      Send(std::move(r));
    } else if (m.type() == raftpb::MSG_PRE_VOTE) {
      raftpb::Message r;
      r.set_type(raftpb::MSG_PRE_VOTE_RESP);
      r.set_to(m.from());
      r.set_reject(true);
      Send(std::move(r));
    }
    return absl::OkStatus();
  }

  if (is_vote) {
    StepVote(m);
  } else {
    switch (role_) {
      case Role::kLeader:
        StepLeader(m);
        break;
      case Role::kCandidate:
      case Role::kPreCandidate:
        StepCandidate(m);
        break;
      case Role::kFollower:
        StepFollower(m);
        break;
    }
  }
  NoteLeaderKnown();
  DebugCheck();
  return absl::OkStatus();
}

void Raft::StepVote(const raftpb::Message& m) {
  // Figure 2, RequestVote receiver: one vote per term, and only for a log at
  // least as up-to-date as ours (5.4.1).
  bool can_vote = vote_ == m.from() || (vote_ == 0 && lead_ == 0) ||
                  (m.type() == raftpb::MSG_PRE_VOTE && m.term() > term_);
  bool grant = can_vote && log_.IsUpToDate(m.index(), m.log_term());
  raftpb::Message r;
  r.set_type(m.type() == raftpb::MSG_VOTE ? raftpb::MSG_VOTE_RESP
                                          : raftpb::MSG_PRE_VOTE_RESP);
  r.set_to(m.from());
  r.set_reject(!grant);
  // A granted pre-vote carries the proposed term, so the pre-candidate
  // accepts it; a rejection carries ours.
  r.set_term(grant ? m.term() : term_);
  if (grant && m.type() == raftpb::MSG_VOTE) {
    election_elapsed_ = 0;
    vote_ = m.from();
  }
  Send(std::move(r));
}

void Raft::StepCandidate(raftpb::Message& m) {
  raftpb::MessageType my_resp = role_ == Role::kPreCandidate
                                    ? raftpb::MSG_PRE_VOTE_RESP
                                    : raftpb::MSG_VOTE_RESP;
  switch (m.type()) {
    case raftpb::MSG_APP:
      BecomeFollower(m.term(), m.from());
      HandleAppendEntries(m);
      return;
    case raftpb::MSG_HEARTBEAT:
      BecomeFollower(m.term(), m.from());
      HandleHeartbeat(m);
      return;
    case raftpb::MSG_SNAP:
      BecomeFollower(m.term(), m.from());
      HandleSnapshotChunk(m);
      return;
    default:
      break;
  }
  if (m.type() != my_resp) return;
  switch (Poll(m.from(), !m.reject())) {
    case VoteResult::kWon:
      if (role_ == Role::kPreCandidate) {
        Campaign(CampaignType::kElection);
      } else {
        BecomeLeader();
        BroadcastAppend();
      }
      break;
    case VoteResult::kLost:
      // A pre-candidate's term is unchanged; a rejection with a higher term
      // was handled above.
      BecomeFollower(term_, 0);
      break;
    case VoteResult::kPending:
      break;
  }
}

void Raft::StepFollower(raftpb::Message& m) {
  switch (m.type()) {
    case raftpb::MSG_APP:
      election_elapsed_ = 0;
      lead_ = m.from();
      HandleAppendEntries(m);
      break;
    case raftpb::MSG_HEARTBEAT:
      election_elapsed_ = 0;
      lead_ = m.from();
      HandleHeartbeat(m);
      break;
    case raftpb::MSG_SNAP:
      election_elapsed_ = 0;
      lead_ = m.from();
      HandleSnapshotChunk(m);
      break;
    case raftpb::MSG_TIMEOUT_NOW:
      // Thesis 3.10: the leader asks us to start an election at once; the
      // vote is forced past the lease check of the voters.
      if (Promotable() && !HasUnappliedConfChange()) {
        Campaign(CampaignType::kTransfer);
      }
      break;
    default:
      break;
  }
}

void Raft::Send(raftpb::Message m) {
  m.set_from(id_);
  // Vote responses and pre-votes carry their own term; everything else ours.
  if (m.type() != raftpb::MSG_VOTE_RESP && m.type() != raftpb::MSG_PRE_VOTE &&
      m.type() != raftpb::MSG_PRE_VOTE_RESP && m.type() != raftpb::MSG_VOTE) {
    m.set_term(term_);
  }
  msgs_.push_back(std::move(m));
}

absl::Status Raft::CheckCanPropose() const {
  if (config_.IsRemoved(id_)) {
    return absl::FailedPreconditionError("raft: node " + std::to_string(id_) +
                                         " was removed from the cluster");
  }
  if (role_ != Role::kLeader) {
    if (lead_ == 0) return absl::UnavailableError("raft: no leader");
    return absl::UnavailableError("raft: not the leader; leader is " +
                                  std::to_string(lead_));
  }
  if (lead_transferee_ != 0) {
    return absl::UnavailableError("raft: leadership transfer to " +
                                  std::to_string(lead_transferee_) +
                                  " in progress");
  }
  return absl::OkStatus();
}

}  // namespace coffer::raft
