// Driving the raft core: ticks, received frames, the loop's pass over the
// Readies (ReadyDriver carries each out), and what the applied records
// change in this node (ReadyDriver::Host).
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "node/codec.h"
#include "node/node_impl.h"
#include "node/run_on_loop.h"
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
  if (driver_->stalled()) {
    // A full disk (ready_driver.h): the core gets no tick; the driver
    // retries, and requests waiting on the log time out meanwhile.
    if (absl::Status s = driver_->OnStallTick(); !s.ok()) return Stop(s);
    pipeline_->OnTick();
    return;
  }
  if (!loop_.fatal.ok()) return;
  // A removed node takes no part: it never campaigns (join_removal.cc).
  if (!membership_->removed()) loop_.raft->Tick();
  membership_->JoinTick();
  membership_->AutopilotTick();
  pipeline_->OnTick();
  auth_->OnTick();
  methods_->OnTick();
  if (loop_.log->PendingTrim() > 0) {
    // Deletes entries compacted by a snapshot, a bounded batch per tick.
    absl::StatusOr<uint64_t> left = loop_.log->TrimLog(1024);
    if (!left.ok() && !driver_->StallIfDiskFull(left.status())) {
      Stop(Annotate(left.status()));
    }
  }
}

void NodeImpl::OnFrame(const nodepb::Frame& frame) {
  if (!loop_.fatal.ok()) return;
  if (membership_->removed()) return;  // a removed node takes no part
  if (!frame.from_address().empty() && frame.from_address().size() <= 1024) {
    membership_->Learn(frame.from(), frame.from_address());
  }
  membership_->NoteContact(frame.from());
  switch (frame.body_case()) {
    case nodepb::Frame::kJoinRequest:
      membership_->OnJoinRequest(frame);
      break;
    case nodepb::Frame::kJoinResponse:
      membership_->OnJoinResponse(frame);
      break;
    case nodepb::Frame::kJoinNotMember:
      membership_->OnJoinNotMember(frame);
      break;
    case nodepb::Frame::kRaft:
      if (membership_->MaybeTellNotMember(frame.from())) break;
      // Only a member's leader sends raft traffic to a joining node.
      if (membership_->joining()) membership_->OnJoinAdmitted();
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
  loop_.options.transport->Send(to, membership_->AddressOf(to),
                                frame.SerializeAsString());
}

void NodeImpl::Drive() {
  // A Ready kept by a full disk comes first (ready_driver.h); a stall
  // sets loop_.fatal, which ends these loops.
  while (loop_.fatal.ok() &&
         (driver_->has_kept_ready() || loop_.raft->HasReady())) {
    absl::Status s = driver_->HandleReady();
    if (!s.ok()) {
      Stop(s);
      return;
    }
  }
  if (!loop_.fatal.ok()) return;
  if (absl::Status s = log_snapshots_->MaybeSnapshot(); !s.ok()) {
    if (!driver_->StallIfDiskFull(s)) Stop(s);
    return;
  }
  pipeline_->ExecuteQueued();
  membership_->MaybeRecordPeers();
  snapshots_->MaybeDiscardAbandonedStaging();
  // Work started above may have produced a Ready (proposals, reads).
  while (loop_.fatal.ok() &&
         (driver_->has_kept_ready() || loop_.raft->HasReady())) {
    absl::Status s = driver_->HandleReady();
    if (!s.ok()) {
      Stop(s);
      return;
    }
  }
}

void NodeImpl::OnSoftState(const raft::SoftState& ss) {
  const raft::SoftState prev = loop_.soft;
  loop_.soft = ss;
  observer_.ObserveSoftState(prev, ss, membership_->AddressOf(ss.lead));
  // Policies read from a leader's writes in flight are forgotten with them.
  if (ss.role != prev.role) auth_->InvalidatePolicies();
  if (ss.role == raft::Role::kLeader && prev.role != raft::Role::kLeader) {
    snapshots_->OnBecameLeader();
    membership_->OnBecameLeader();
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
  ops_->CheckTransfers();  // fails them with loop_.fatal
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

void NodeImpl::OnLogSynced(const absl::Status& s, LogSyncer::Entry last) {
  if (!loop_.fatal.ok() && !driver_->stalled()) return;
  if (absl::Status st = driver_->OnLogSynced(s, last); !st.ok()) Stop(st);
}

// --- ReadyDriver::Host
// --------------------------------------------------------

absl::Status NodeImpl::OnPeersApplied() {
  return membership_->LoadPeerRecords();
}

void NodeImpl::OnEntryApplied(const raftpb::Entry& e) {
  log_snapshots_->OnApplied(e.data().size());
}

void NodeImpl::OnCoreApplied() {
  TryAutoUnseal();
  ReloadKeyring();
  membership_->MaybeUnsealJoined();
}

absl::Status NodeImpl::InstallSnapshotChunks(const raft::Ready& rd) {
  COFFER_ASSIGN_OR_RETURN(bool installed, log_snapshots_->Receive(rd));
  if (!installed) return absl::OkStatus();
  COFFER_RETURN_IF_ERROR(membership_->LoadPeerRecords());
  TryAutoUnseal();
  ReloadKeyring();  // the snapshot may hold a rotation this node missed
  auth_->InvalidatePolicies();
  audit_->Invalidate();
  observer_.ObserveSnapshot(/*installed=*/true, rd.snapshot->index());
  return absl::OkStatus();
}

void NodeImpl::OnAdvanced() { membership_->OnAdvanced(); }

absl::Status NodeImpl::ApplyRestore(const std::vector<raftpb::Entry>& entries,
                                    ReadyDriver::Applied applied) {
  while (applied.restore.has_value()) {
    const raftpb::Entry& e = entries[applied.restore_pos];
    COFFER_RETURN_IF_ERROR(snapshots_->ApplyCommit(e, *applied.restore));
    pipeline_->OnApplied(e);
    membership_->MaybeUnsealJoined();
    // The entries after the swap, in a write of their own.
    ReadyDriver::Applied next;
    storage::WriteGroup group;
    COFFER_RETURN_IF_ERROR(driver_->StageCommitted(entries, &group, &next));
    if (!group.empty()) {
      absl::Status s =
          loop_.db->Commit(&group, loop_.options.sync && next.last != 0);
      if (!s.ok()) return Annotate(s);
    }
    COFFER_RETURN_IF_ERROR(driver_->FinishApply(entries, next));
    applied = std::move(next);
  }
  return absl::OkStatus();
}

absl::Status NodeImpl::RunOnLoopAndWait(std::function<absl::Status()> fn) {
  return RunOnLoop<bool>([fn = std::move(fn)]() -> absl::StatusOr<bool> {
           COFFER_RETURN_IF_ERROR(fn());
           return true;
         })
      .status();
}

absl::Status NodeImpl::OnStateReplaced() {
  COFFER_RETURN_IF_ERROR(membership_->LoadPeerRecords());
  auth_->InvalidatePolicies();
  audit_->Invalidate();
  // The keyring is the snapshot's now (under this cluster's root key): an
  // unsealed node adopts it; one that cannot is sealed, and says why when
  // unsealed again.
  if (!loop_.barrier->sealed() && !loop_.barrier->AdoptStoredKeyring().ok()) {
    loop_.barrier->Seal();
  }
  TryAutoUnseal();
  return absl::OkStatus();
}

}  // namespace coffer::node
