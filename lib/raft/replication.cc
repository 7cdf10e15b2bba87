// The leader: log replication with flow control (Raft paper 5.3), the commit
// rule (5.4.2), InstallSnapshot in chunks (Figure 13), ReadIndex (thesis
// 6.4), leadership transfer (thesis 3.10) and proposals.
#include <algorithm>
#include <utility>

#include "base/check.h"
#include "raft/raft.h"

namespace coffer::raft {

// --------------------------------------------------------------- proposals

absl::StatusOr<EntryId> Raft::Propose(std::string data) {
  if (absl::Status s = CheckCanPropose(); !s.ok()) return s;
  raftpb::Entry e;
  e.set_data(std::move(data));
  if (!AppendEntry(std::move(e))) {
    return absl::ResourceExhaustedError(
        "raft: too many uncommitted bytes; retry later");
  }
  // Batching: proposals made before the next Ready share AppendEntries.
  broadcast_pending_ = true;
  return EntryId{term_, log_.LastIndex()};
}

absl::StatusOr<EntryId> Raft::ProposeConfChange(const raftpb::ConfChange& cc) {
  if (absl::Status s = CheckCanPropose(); !s.ok()) return s;
  // Thesis 4.1: one change at a time; the previous one must be applied.
  if (pending_conf_index_ > log_.applied()) {
    return absl::FailedPreconditionError(
        "raft: a configuration change is already in progress");
  }
  absl::StatusOr<Configuration> next = ApplyConfChange(config_, cc);
  if (!next.ok()) return next.status();
  for (const raftpb::ConfChangeSingle& ch : cc.changes()) {
    if (ch.type() != raftpb::CONF_ADD_VOTER) continue;
    auto it = progress_.find(ch.node_id());
    if (it == progress_.end() || !it->second.is_learner) continue;
    // Thesis 4.2.1: a learner becomes a voter only once caught up, so that
    // the new quorum does not wait for it.
    if (it->second.match < log_.committed()) {
      return absl::FailedPreconditionError(
          "raft: learner " + std::to_string(ch.node_id()) +
          " has not caught up (match " + std::to_string(it->second.match) +
          ", commit " + std::to_string(log_.committed()) + ")");
    }
  }
  raftpb::Entry e;
  e.set_type(raftpb::ENTRY_CONF_CHANGE);
  e.set_data(cc.SerializeAsString());
  if (!AppendEntry(std::move(e))) {
    return absl::ResourceExhaustedError(
        "raft: too many uncommitted bytes; retry later");
  }
  pending_conf_index_ = log_.LastIndex();
  broadcast_pending_ = true;
  return EntryId{term_, log_.LastIndex()};
}

bool Raft::AppendEntry(raftpb::Entry&& entry) {
  uint64_t payload = entry.data().size();
  // Always admit a proposal when nothing is outstanding, so that one large
  // entry cannot be refused forever.
  if (max_uncommitted_size_ != 0 && uncommitted_size_ > 0 &&
      uncommitted_size_ + payload > max_uncommitted_size_) {
    return false;
  }
  uncommitted_size_ += payload;
  entry.set_term(term_);
  entry.set_index(log_.LastIndex() + 1);
  log_.Append(std::move(entry));
  // The leader's own copy counts toward a quorum once it is durable
  // (Advance), so the embedder may send it to the followers while writing
  // it (Ready::send_before_save).
  return true;
}

// ------------------------------------------------------------ replication

void Raft::StepLeader(const raftpb::Message& m) {
  auto it = progress_.find(m.from());
  if (it == progress_.end()) return;  // not (or no longer) a member
  Progress& pr = it->second;
  switch (m.type()) {
    case raftpb::MSG_APP_RESP:
      pr.recent_active = true;
      HandleAppendResponse(m, pr);
      break;
    case raftpb::MSG_HEARTBEAT_RESP:
      pr.recent_active = true;
      HandleHeartbeatResponse(m, pr);
      break;
    case raftpb::MSG_SNAP_RESP:
      pr.recent_active = true;
      HandleSnapshotResponse(m, pr);
      break;
    default:
      break;
  }
}

void Raft::HandleAppendResponse(const raftpb::Message& m, Progress& pr) {
  if (m.reject()) {
    // Paper 5.3 (end): skip a whole term per round trip. The follower sent
    // the highest index that may match and its term there; find the last
    // index of ours with a term no higher.
    uint64_t hint = m.reject_hint();
    if (m.log_term() > 0)
      hint = log_.FindConflictByTerm(hint, m.log_term()).first;
    if (pr.MaybeDecrTo(m.index(), hint)) {
      if (pr.state == ProgressState::kReplicate) pr.BecomeProbe();
      MaybeSendAppend(m.from(), false);
    }
    return;
  }
  if (!pr.MaybeUpdate(m.index())) return;
  switch (pr.state) {
    case ProgressState::kProbe:
      pr.BecomeReplicate();
      break;
    case ProgressState::kSnapshot:
      // The follower installed the snapshot (or caught up otherwise).
      if (pr.match >= pr.pending_snapshot) {
        pr.BecomeProbe();
        pr.BecomeReplicate();
      }
      break;
    case ProgressState::kReplicate:
      pr.inflights.FreeLE(m.index());
      break;
  }
  // The new commit index reaches followers with the next Ready's appends.
  if (MaybeCommit()) broadcast_pending_ = true;
  // Keep the window full while there is more to send.
  while (MaybeSendAppend(m.from(), false)) {
  }
  if (m.from() == lead_transferee_ && pr.match == log_.LastIndex()) {
    SendTimeoutNow(m.from());
  }
}

void Raft::HandleHeartbeatResponse(const raftpb::Message& m, Progress& pr) {
  pr.probe_sent = false;
  if (pr.state == ProgressState::kSnapshot) {
    // Resend the current chunk in case it (or its ack) was lost.
    SendSnapshotChunk(m.from(), pr);
  } else if (pr.match < log_.LastIndex()) {
    // Appends may have been lost: let one through a full window, and send
    // even an empty one so that a follower with a gap rejects it and the
    // leader falls back to probing.
    if (pr.state == ProgressState::kReplicate && pr.inflights.Full()) {
      pr.inflights.FreeFirstOne();
    }
    MaybeSendAppend(m.from(), true);
  }
  if (read_only_option_ != ReadOnlyOption::kSafe || m.context().empty()) return;
  uint64_t seq = ReadOnly::DecodeSeq(m.context());
  for (ReadState& rs : read_only_.Ack(seq, m.from(), config_.voters)) {
    read_states_.push_back(std::move(rs));
  }
}

void Raft::HandleSnapshotResponse(const raftpb::Message& m, Progress& pr) {
  if (pr.state != ProgressState::kSnapshot ||
      m.index() != pr.pending_snapshot) {
    return;
  }
  if (m.reject()) {
    // The follower does not need it any more; find out where it is.
    pr.BecomeProbe();
    MaybeSendAppend(m.from(), false);
    return;
  }
  // The follower tells the next offset it expects (a duplicate or a restart
  // after its crash both fall out of this). An answer that changes nothing
  // is a duplicate: resending on it would multiply the chunks in flight;
  // heartbeat responses already resend a lost chunk.
  if (m.snapshot_offset() == pr.snapshot_offset) return;
  pr.snapshot_offset = m.snapshot_offset();
  SendSnapshotChunk(m.from(), pr);
}

bool Raft::MaybeSendAppend(uint64_t to, bool send_if_empty) {
  if (to == id_) return false;
  Progress& pr = progress_.at(to);
  if (pr.IsPaused()) return false;
  uint64_t prev = pr.next - 1;
  absl::StatusOr<uint64_t> prev_term = log_.Term(prev);
  absl::StatusOr<std::vector<raftpb::Entry>> ents =
      prev_term.ok() ? log_.Slice(pr.next, log_.LastIndex() + 1, max_msg_size_)
                     : prev_term.status();
  if (!prev_term.ok() || !ents.ok()) {
    // The entries are compacted: send the snapshot instead (Figure 13).
    if (!pr.recent_active) return false;
    raftpb::SnapshotMetadata snap = log_.storage()->Snapshot();
    COFFER_CHECK_MSG(snap.index() >= prev, "raft: no snapshot covers a gap");
    pr.BecomeSnapshot(snap.index());
    SendSnapshotChunk(to, pr);
    return false;
  }
  if (ents->empty() && !send_if_empty) return false;
  raftpb::Message m;
  m.set_type(raftpb::MSG_APP);
  m.set_to(to);
  m.set_index(prev);
  m.set_log_term(*prev_term);
  m.set_commit(log_.committed());
  if (!ents->empty()) {
    uint64_t last = ents->back().index();
    uint64_t bytes = 0;
    for (const raftpb::Entry& e : *ents) bytes += e.data().size();
    if (pr.state == ProgressState::kReplicate) {
      // Optimistic pipelining: assume it will be accepted.
      pr.OptimisticUpdate(last);
      pr.inflights.Add(last, bytes);
    } else {
      pr.probe_sent = true;
    }
    m.mutable_entries()->Reserve(static_cast<int>(ents->size()));
    for (raftpb::Entry& e : *ents) *m.add_entries() = std::move(e);
  } else if (pr.state == ProgressState::kProbe) {
    pr.probe_sent = true;
  }
  Send(std::move(m));
  return true;
}

void Raft::SendSnapshotChunk(uint64_t to, Progress& pr) {
  LogStorage* storage = log_.storage();
  absl::StatusOr<SnapshotChunk> chunk = storage->ReadSnapshotChunk(
      pr.pending_snapshot, pr.snapshot_offset, max_chunk_bytes_);
  if (!chunk.ok() &&
      chunk.status().code() == absl::StatusCode::kFailedPrecondition) {
    // A newer snapshot replaced the one being sent: start over with it.
    pr.BecomeSnapshot(storage->Snapshot().index());
    chunk =
        storage->ReadSnapshotChunk(pr.pending_snapshot, 0, max_chunk_bytes_);
  }
  if (!chunk.ok()) {
    // Out of range (the follower named a bad offset): restart from zero on
    // the next heartbeat response.
    pr.snapshot_offset = 0;
    return;
  }
  raftpb::Message m;
  m.set_type(raftpb::MSG_SNAP);
  m.set_to(to);
  *m.mutable_snapshot() = storage->Snapshot();
  m.set_snapshot_offset(pr.snapshot_offset);
  m.set_snapshot_data(std::move(chunk->data));
  m.set_snapshot_done(chunk->last);
  Send(std::move(m));
}

void Raft::SendHeartbeat(uint64_t to, const std::string& ctx) {
  const Progress& pr = progress_.at(to);
  raftpb::Message m;
  m.set_type(raftpb::MSG_HEARTBEAT);
  m.set_to(to);
  // The follower may not have the entries up to our commit index yet.
  m.set_commit(std::min(pr.match, log_.committed()));
  m.set_context(ctx);
  Send(std::move(m));
}

void Raft::BroadcastAppend() {
  for (auto& [id, pr] : progress_) {
    if (id == id_) continue;
    // Pipelining: fill the follower's in-flight window.
    if (MaybeSendAppend(id, true)) {
      while (MaybeSendAppend(id, false)) {
      }
    }
  }
}

void Raft::BroadcastHeartbeat() {
  uint64_t seq = read_only_.LastSeq();
  std::string ctx = seq == 0 ? std::string() : ReadOnly::EncodeSeq(seq);
  for (auto& [id, pr] : progress_) {
    if (id != id_) SendHeartbeat(id, ctx);
  }
}

bool Raft::MaybeCommit() {
  uint64_t mci = config_.voters.Committed([this](uint64_t id) {
    auto it = progress_.find(id);
    return it == progress_.end() ? 0 : it->second.match;
  });
  bool first_in_term = !CommittedEntryInCurrentTerm();
  if (!log_.MaybeCommit(mci, term_)) return false;
  if (first_in_term) ReleasePendingReads();
  return true;
}

bool Raft::CommittedEntryInCurrentTerm() const {
  return log_.TermOrZero(log_.committed()) == term_;
}

bool Raft::QuorumActive() {
  std::map<uint64_t, bool> active;
  for (auto& [id, pr] : progress_) {
    if (id == id_) {
      active[id] = true;
    } else if (!pr.is_learner) {
      active[id] = pr.recent_active;
    }
    pr.recent_active = false;
  }
  return config_.voters.Vote(active) == VoteResult::kWon;
}

// --------------------------------------------------------------- ReadIndex

absl::Status Raft::ReadIndex(std::string context) {
  if (role_ != Role::kLeader) {
    if (config_.IsRemoved(id_)) {
      return absl::FailedPreconditionError("raft: node was removed");
    }
    if (lead_ == 0) return absl::UnavailableError("raft: no leader");
    return absl::UnavailableError("raft: not the leader; leader is " +
                                  std::to_string(lead_));
  }
  // Thesis 6.4 step 1: until the leader has committed an entry of its own
  // term it does not know the commit index.
  if (!CommittedEntryInCurrentTerm()) {
    pending_reads_.push_back(std::move(context));
    return absl::OkStatus();
  }
  bool single =
      config_.voters.Ids().size() == 1 && config_.voters.Contains(id_);
  if (single || read_only_option_ == ReadOnlyOption::kLeaseBased) {
    // Thesis 6.4.1: with check-quorum the leader holds a lease.
    read_states_.push_back(ReadState{log_.committed(), std::move(context)});
    return absl::OkStatus();
  }
  // Steps 2-3: record the commit index, then confirm leadership.
  uint64_t seq = read_only_.Add(log_.committed(), std::move(context), id_);
  std::string ctx = ReadOnly::EncodeSeq(seq);
  for (auto& [id, pr] : progress_) {
    if (id != id_) SendHeartbeat(id, ctx);
  }
  return absl::OkStatus();
}

void Raft::ReleasePendingReads() {
  std::vector<std::string> reads = std::move(pending_reads_);
  pending_reads_.clear();
  for (std::string& ctx : reads) {
    absl::Status s = ReadIndex(std::move(ctx));
    COFFER_CHECK(s.ok());
  }
}

// ----------------------------------------------------- leadership transfer

absl::Status Raft::TransferLeadership(uint64_t transferee) {
  if (role_ != Role::kLeader) {
    return absl::UnavailableError("raft: not the leader");
  }
  if (transferee == id_) return absl::OkStatus();
  auto it = progress_.find(transferee);
  if (it == progress_.end() || it->second.is_learner) {
    return absl::InvalidArgumentError(
        "raft: transferee " + std::to_string(transferee) + " is not a voter");
  }
  if (lead_transferee_ == transferee) return absl::OkStatus();
  lead_transferee_ = transferee;
  // The transfer is abandoned after one election timeout.
  election_elapsed_ = 0;
  if (it->second.match == log_.LastIndex()) {
    SendTimeoutNow(transferee);
  } else {
    MaybeSendAppend(transferee, true);
  }
  return absl::OkStatus();
}

void Raft::SendTimeoutNow(uint64_t to) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_TIMEOUT_NOW);
  m.set_to(to);
  Send(std::move(m));
}

}  // namespace coffer::raft
