// Driving the raft core: ticks, received frames, and the Ready contract of
// raft/ready.h carried out against the LevelDB log and state store.
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "node/codec.h"
#include "node/node_impl.h"
#include "node/snapshot_ops.h"

namespace coffer::node {

absl::Status NodeImpl::CreateRaft(
    const std::vector<uint64_t>& bootstrap_voters) {
  raft::Config c;
  c.id = loop_.options.id;
  c.election_tick = loop_.options.election_ticks;
  c.heartbeat_tick = loop_.options.heartbeat_ticks;
  c.storage = loop_.log.get();
  c.random = loop_.random.get();
  c.pre_vote = loop_.options.pre_vote;
  c.check_quorum = loop_.options.check_quorum;
  // A cluster starting at once spreads its first campaigns (raft/config.h).
  c.slow_first_election = true;
  // A leader accepts at most this much uncommitted data (beyond it,
  // kResourceExhausted), so a stalled quorum cannot grow memory unbounded.
  c.max_uncommitted_entries_size = 64 * loop_.options.max_entry_bytes;
  c.bootstrap_voters = bootstrap_voters;
  absl::StatusOr<std::unique_ptr<raft::Raft>> r = raft::Raft::Create(c);
  if (!r.ok()) return Annotate(r.status());
  loop_.raft = *std::move(r);
  loop_.soft = raft::SoftState{loop_.raft->lead(), loop_.raft->role()};
  return absl::OkStatus();
}

void NodeImpl::OnTick() {
  ++loop_.now_tick;
  if (!loop_.fatal.ok()) return;
  // A removed node takes no part: it never campaigns (join_removal.cc).
  if (!removed_) loop_.raft->Tick();
  JoinTick();
  AutopilotTick();
  pipeline_->OnTick();
  if (loop_.log->PendingTrim() > 0) {
    // Deletes entries compacted by a snapshot, a bounded batch per tick.
    absl::StatusOr<uint64_t> left = loop_.log->TrimLog(1024);
    if (!left.ok()) Stop(Annotate(left.status()));
  }
}

void NodeImpl::OnFrame(const nodepb::Frame& frame) {
  if (!loop_.fatal.ok()) return;
  if (removed_) return;  // a removed node takes no part
  if (!frame.from_address().empty() && frame.from_address().size() <= 1024) {
    learned_addresses_[frame.from()] = frame.from_address();
  }
  NoteContact(frame.from());
  switch (frame.body_case()) {
    case nodepb::Frame::kJoinRequest:
      OnJoinRequest(frame);
      break;
    case nodepb::Frame::kJoinResponse:
      OnJoinResponse(frame);
      break;
    case nodepb::Frame::kJoinNotMember:
      OnJoinNotMember(frame);
      break;
    case nodepb::Frame::kRaft:
      if (MaybeTellNotMember(frame.from())) break;
      // Only a member's leader sends raft traffic to a joining node.
      if (join_ != nullptr) OnJoinAdmitted();
      // Stale messages are dropped by the core (OK): the sender recovers by
      // the protocol. A refused one is malformed (damaged on the way, or a
      // buggy peer): counted, and logged at 1, 2, 4, 8, ... refusals.
      if (absl::Status s = loop_.raft->Step(frame.raft()); !s.ok()) {
        observer_.Count("raft.messages_refused");
        ++refused_messages_;
        if ((refused_messages_ & (refused_messages_ - 1)) == 0) {
          observer_.Log(LogLevel::kWarning,
                        absl::StrCat(s.message(), " (", refused_messages_,
                                     " refused so far)"));
        }
      }
      break;
    case nodepb::Frame::kForwardRequest:
      // Only members forward their callers' requests (a joining node asks
      // with a JoinRequest): a request from anyone else is dropped.
      if (loop_.raft->configuration().Contains(frame.from())) {
        pipeline_->OnForwardRequest(frame.from(), frame.forward_request());
      }
      break;
    case nodepb::Frame::kForwardResponse:
      pipeline_->OnForwardResponse(frame.from(), frame.forward_response());
      break;
    case nodepb::Frame::kForwardBatch:
      if (loop_.raft->configuration().Contains(frame.from())) {
        for (const nodepb::ForwardRequest& r :
             frame.forward_batch().requests()) {
          pipeline_->OnForwardRequest(frame.from(), r);
        }
      }
      for (const nodepb::ForwardResponse& r :
           frame.forward_batch().responses()) {
        pipeline_->OnForwardResponse(frame.from(), r);
      }
      break;
    case nodepb::Frame::BODY_NOT_SET:
      break;
  }
}

void NodeImpl::SendFrame(uint64_t to, nodepb::Frame frame) {
  frame.set_version(kFrameVersion);
  frame.set_from(loop_.options.id);
  frame.set_from_address(loop_.options.address);
  frame.set_to(to);
  loop_.options.transport->Send(to, AddressOf(to), frame.SerializeAsString());
}

void NodeImpl::SendMessages(std::vector<raftpb::Message>& messages) {
  for (raftpb::Message& m : messages) {
    nodepb::Frame f;
    const uint64_t to = m.to();
    *f.mutable_raft() = std::move(m);
    SendFrame(to, std::move(f));
  }
}

void NodeImpl::OnLogSynced(const absl::Status& s, LogSyncer::Entry last) {
  if (!loop_.fatal.ok()) return;
  if (!s.ok()) return Stop(Annotate(s));
  observer_.Count("storage.log_syncs");
  loop_.raft->Persisted(last.index, last.term);
}

void NodeImpl::Drive() {
  while (loop_.fatal.ok() && loop_.raft->HasReady()) {
    absl::Status s = HandleReady();
    if (!s.ok()) {
      Stop(s);
      return;
    }
  }
  if (!loop_.fatal.ok()) return;
  if (absl::Status s = MaybeSnapshot(); !s.ok()) return Stop(s);
  pipeline_->ExecuteQueued();
  MaybeRecordPeers();
  MaybeDiscardAbandonedStaging();
  // Work started above may have produced a Ready (proposals, reads).
  while (loop_.fatal.ok() && loop_.raft->HasReady()) {
    absl::Status s = HandleReady();
    if (!s.ok()) {
      Stop(s);
      return;
    }
  }
}

absl::Status NodeImpl::HandleReady() {
  raft::Ready rd = loop_.raft->GetReady();
  if (rd.soft_state.has_value()) OnSoftState(*rd.soft_state);
  // Steps 1-2.
  COFFER_RETURN_IF_ERROR(InstallSnapshotChunks(rd));
  // A leader sends first: the followers write the entries while it does.
  if (rd.send_before_save) SendMessages(rd.messages);
  // An apply needs no sync of its own: the log holds its entries durably,
  // storage::Db keeps writes in order, so a crash loses only the last
  // applies, and a restart applies them again from the log. When every
  // committed entry is already in the log (a leader's usual case), step 5
  // comes first, in a write of its own: the requests they finish are
  // answered without waiting for the fsync of the new entries.
  const bool apply_first =
      !rd.committed_entries.empty() &&
      (rd.entries.empty() ||
       rd.committed_entries.back().index() < rd.entries.front().index());
  if (apply_first) {
    storage::WriteGroup group;
    Applied applied;
    COFFER_RETURN_IF_ERROR(
        StageCommitted(rd.committed_entries, &group, &applied));
    COFFER_RETURN_IF_ERROR(CommitStep(&group, /*sync=*/false, 0, applied));
    COFFER_RETURN_IF_ERROR(FinishCommitted(rd.committed_entries, applied));
  }
  // Step 3, with step 5's writes otherwise: the new entries, the hard state
  // (and the committed entries' records) go in one write, synced when the
  // core asks (new entries, term or vote), before any message of this Ready
  // leaves (but a leader's). Applying before sending is allowed: committed
  // entries are in this write or already in the log.
  storage::WriteGroup group;
  if (rd.hard_state.has_value() || !rd.entries.empty()) {
    absl::Status s = loop_.log->StageSave(
        rd.hard_state.value_or(raftpb::HardState()), rd.entries, &group);
    if (!s.ok()) return Annotate(s);
  }
  Applied applied;
  if (!apply_first) {
    COFFER_RETURN_IF_ERROR(
        StageCommitted(rd.committed_entries, &group, &applied));
  }
  // A leader's entries are made durable by the log syncer while the loop
  // goes on; they count for it once they are (Raft::Persisted).
  const bool sync = loop_.options.sync && rd.must_sync;
  const bool sync_later = sync && rd.send_before_save && !rd.entries.empty();
  COFFER_RETURN_IF_ERROR(
      CommitStep(&group, sync && !sync_later, rd.entries.size(), applied));
  // Step 4.
  if (!rd.send_before_save) SendMessages(rd.messages);
  // Step 5: what the applied records change in memory.
  if (!apply_first) {
    COFFER_RETURN_IF_ERROR(FinishCommitted(rd.committed_entries, applied));
  }
  // Step 6.
  pipeline_->OnReadStates(rd.read_states);
  pipeline_->ServeReads();
  // Step 7.
  if (sync_later) {
    // rd.entries is a view into the core: read it before Advance.
    const LogSyncer::Entry last{rd.entries.back().index(),
                                rd.entries.back().term()};
    loop_.raft->AdvanceWithoutPersisting();
    log_syncer_->Request(last);
  } else {
    loop_.raft->Advance();
  }
  if (self_removed_at_ != 0) FinishSelfRemoval();
  if (loop_.soft.role == raft::Role::kLeader && leader_start_index_ == 0) {
    // The first Ready of a term carries the leader's empty entry.
    leader_start_index_ = loop_.raft->log().LastIndex();
  }
  return absl::OkStatus();
}

absl::Status NodeImpl::CommitStep(storage::WriteGroup* group, bool sync,
                                  size_t entries, const Applied& applied) {
  if (group->empty()) return absl::OkStatus();
  const absl::Time start = loop_.options.metrics ? Now() : absl::InfinitePast();
  absl::Status s = loop_.db->Commit(group, sync);
  if (!s.ok()) return Annotate(s);
  observer_.Timing("storage.write_latency", start);
  if (loop_.options.metrics != nullptr) {
    observer_.Count("storage.writes");
    if (sync) observer_.Count("storage.synced_writes");
    if (entries != 0) observer_.Count("raft.entries_written", entries);
    if (applied.count != 0)
      observer_.Count("raft.entries_applied", applied.count);
  }
  return absl::OkStatus();
}

absl::Status NodeImpl::FinishCommitted(
    const std::vector<raftpb::Entry>& entries, const Applied& applied) {
  COFFER_RETURN_IF_ERROR(FinishApply(entries, applied));
  // A snapshot restore's swap, then the entries after it
  // (snapshot_restore.cc).
  if (applied.restore.has_value()) {
    COFFER_RETURN_IF_ERROR(ApplyRestore(entries, applied));
  }
  return absl::OkStatus();
}

absl::Status NodeImpl::StageCommitted(const std::vector<raftpb::Entry>& entries,
                                      storage::WriteGroup* group,
                                      Applied* applied) {
  storage::WriteSet writes;
  for (size_t pos = 0; pos < entries.size(); ++pos) {
    const raftpb::Entry& e = entries[pos];
    // After a restart the core hands out entries the state store already
    // holds (it applied them atomically with its applied index).
    if (e.index() <= loop_.state->AppliedIndex()) continue;
    if (e.type() == raftpb::ENTRY_CONF_CHANGE) {
      COFFER_RETURN_IF_ERROR(ApplyConfChange(e, &writes));
      applied->conf_changed = true;
    } else if (!e.data().empty()) {  // empty: a new leader's no-op
      const size_t before = writes.ops().size();
      COFFER_RETURN_IF_ERROR(DecodeCommand(e.data(), e.index(), &writes));
      std::optional<nodepb::SnapshotRestoreCommit> restore =
          RestoreCommitOf(writes, before);
      if (restore.has_value()) {
        // A snapshot restore replaces the whole state at this entry: the
        // entries before it are staged now, the swap and the entries after
        // it run once those are durable (ApplyRestore).
        storage::WriteSet earlier;
        for (size_t i = 0; i < before; ++i) {
          const storage::WriteSet::Op& op = writes.ops()[i];
          if (op.value.has_value()) {
            earlier.Put(op.key, *op.value);
          } else {
            earlier.Delete(op.key);
          }
        }
        writes = std::move(earlier);
        applied->restore_pos = pos;
        applied->restore = *std::move(restore);
        break;
      }
      for (size_t i = before; i < writes.ops().size(); ++i) {
        const std::string& key = writes.ops()[i].key;
        if (absl::StartsWith(key, "core/")) applied->core_changed = true;
        if (absl::StartsWith(key, kPeersPrefix)) applied->conf_changed = true;
      }
    }
    applied->last = e.index();
    ++applied->count;
  }
  if (applied->last == 0) return absl::OkStatus();
  absl::Status s = loop_.state->StageApply(writes, applied->last, group);
  return s.ok() ? s : Annotate(s);
}

absl::Status NodeImpl::FinishApply(const std::vector<raftpb::Entry>& entries,
                                   const Applied& applied) {
  if (applied.last == 0) return absl::OkStatus();
  loop_.view->ReleaseInFlight(applied.last);
  if (applied.conf_changed) COFFER_RETURN_IF_ERROR(LoadPeerRecords());
  for (const raftpb::Entry& e : entries) {
    if (e.index() > applied.last) break;  // a restore's swap comes first
    applied_bytes_since_snapshot_ += e.data().size();
    pipeline_->OnApplied(e);
  }
  if (applied.core_changed) {
    TryAutoUnseal();
    ReloadKeyring();
    MaybeUnsealJoined();
  }
  return absl::OkStatus();
}

absl::Status NodeImpl::ApplyConfChange(const raftpb::Entry& e,
                                       storage::WriteSet* writes) {
  raftpb::ConfChange cc;
  if (!cc.ParseFromString(e.data())) {
    return absl::DataLossError(absl::StrCat(
        "node: log entry ", e.index(), " is not a valid membership change"));
  }
  nodepb::PeerContext ctx;
  const bool has_ctx = !cc.context().empty();
  if (has_ctx && (!ctx.ParseFromString(cc.context()) ||
                  ctx.version() != kPeerContextVersion)) {
    return absl::DataLossError(absl::StrCat("node: log entry ", e.index(),
                                            " has a malformed peer context"));
  }
  observer_.ObserveConfChange(e.index(), cc);
  // Only what the entry itself says is applied, so that every replica
  // derives the same records (bootstrap entries carry no address; the first
  // leader records those, see MaybeRecordPeers).
  for (const raftpb::ConfChangeSingle& ch : cc.changes()) {
    ApplyJoinRecords(ch, has_ctx ? &ctx : nullptr, e.index(), writes);
    if (ch.type() == raftpb::CONF_REMOVE_NODE) {
      writes->Delete(PeerKey(ch.node_id()));
    } else if (has_ctx && !ctx.address().empty()) {
      nodepb::PeerRecord rec;
      rec.set_id(ch.node_id());
      rec.set_address(ctx.address());
      writes->Put(PeerKey(ch.node_id()), rec.SerializeAsString());
    }
  }
  return absl::OkStatus();
}

void NodeImpl::OnSoftState(const raft::SoftState& ss) {
  const raft::SoftState prev = loop_.soft;
  loop_.soft = ss;
  observer_.ObserveSoftState(prev, ss, AddressOf(ss.lead));
  if (ss.role == raft::Role::kLeader && prev.role != raft::Role::kLeader) {
    leader_start_index_ = 0;  // set after this Ready (HandleReady)
    restore_hold_index_ = 0;
    peers_recorded_ = false;
    staging_checked_ = false;
  }
  pipeline_->OnSoftState(prev);
}

void NodeImpl::Stop(absl::Status s) {
  observer_.Log(LogLevel::kError, absl::StrCat("stopped: ", s.ToString()));
  loop_.fatal = s;
  {
    absl::MutexLock lock(&mu_);
    stopped_ = s;
  }
  pipeline_->FailAll(s);
  CheckTransfers();  // fails them with loop_.fatal
}

void NodeImpl::ReloadKeyring() {
  if (loop_.barrier->sealed()) return;
  // A keyring this node cannot read would leave it unable to decrypt new
  // data: sealing says so plainly, and unsealing again reports why.
  if (!loop_.barrier->Reload().ok()) loop_.barrier->Seal();
}

void NodeImpl::TryAutoUnseal() {
  if (loop_.options.kms == nullptr || !loop_.barrier->sealed()) return;
  absl::StatusOr<bool> initialized = loop_.barrier->Initialized();
  if (!initialized.ok() || !*initialized) return;
  // Failures (the Kms is down, a migration is pending) leave the node
  // sealed; GetSealStatus shows it, and the next change to core/ retries.
  if (absl::Status s = loop_.seal->AutoUnseal(); !s.ok()) {
    observer_.Log(LogLevel::kWarning,
                  absl::StrCat("auto-unseal failed: ", s.message()));
  }
}

}  // namespace coffer::node
