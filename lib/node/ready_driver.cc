#include "node/ready_driver.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "auth/records.h"
#include "base/status_macros.h"
#include "node/codec.h"
#include "node/snapshot_ops.h"
#include "storage/db.h"

namespace coffer::node {

void ReadyDriver::SendMessages(std::vector<raftpb::Message>& messages) {
  for (raftpb::Message& m : messages) {
    nodepb::Frame f;
    const uint64_t to = m.to();
    *f.mutable_raft() = std::move(m);
    host_->SendFrame(to, std::move(f));
  }
}

absl::Status ReadyDriver::OnLogSynced(const absl::Status& s,
                                      LogSyncer::Entry last) {
  // A failed fsync is fatal; a sync refused because an earlier write found
  // the disk full (storage::Db's sticky error) stalls the node.
  if (!s.ok() && !storage::IsDiskFull(s)) return Annotate(s);
  if (!s.ok() && !stalled_) StallIfDiskFull(s);
  if (stalled_ || kept_.has_value()) {
    // The core takes no Persisted while a Ready is kept: `last` is synced
    // (again) once the stall is over.
    if (!resync_.has_value() || resync_->index < last.index) resync_ = last;
    return absl::OkStatus();
  }
  observer_->Count("storage.log_syncs");
  loop_->raft->Persisted(last.index, last.term);
  return absl::OkStatus();
}

absl::Status ReadyDriver::HandleReady() {
  if (!kept_.has_value()) {
    kept_.emplace();
    kept_->rd = loop_->raft->GetReady();
  }
  absl::Status s = CarryOut(*kept_);
  if (!s.ok() && kept_->retryable && StallIfDiskFull(s)) {
    return absl::OkStatus();  // kept for OnStallTick's retry
  }
  kept_.reset();
  if (!s.ok()) return s;
  if (backoff_ != 0) {
    backoff_ = 0;
    observer_->Log(LogLevel::kInfo,
                   "storage: the write that failed for a full disk succeeded "
                   "on retry");
  }
  Resync();
  return absl::OkStatus();
}

absl::Status ReadyDriver::CarryOut(Kept& k) {
  raft::Ready& rd = k.rd;
  k.retryable = false;
  if (!k.soft_done && rd.soft_state.has_value()) {
    if (rd.soft_state->role == raft::Role::kLeader && !loop_->leading()) {
      leader_start_index_ = 0;  // set after this Ready
    }
    host_->OnSoftState(*rd.soft_state);
  }
  k.soft_done = true;
  // Steps 1-2.
  if (!k.chunks_done) COFFER_RETURN_IF_ERROR(host_->InstallSnapshotChunks(rd));
  k.chunks_done = true;
  // A leader sends first: the followers write the entries while it does.
  if (rd.send_before_save && !k.sent_early) SendMessages(rd.messages);
  k.sent_early = true;
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
  if (apply_first && !k.applied_first) {
    storage::WriteGroup group;
    Applied applied;
    COFFER_RETURN_IF_ERROR(
        StageCommitted(rd.committed_entries, &group, &applied));
    k.retryable = true;
    COFFER_RETURN_IF_ERROR(CommitStep(&group, /*sync=*/false, 0, applied));
    k.retryable = false;
    k.applied_first = true;
    COFFER_RETURN_IF_ERROR(FinishCommitted(rd.committed_entries, applied));
  }
  // Step 3, with step 5's writes otherwise: the new entries, the hard state
  // (and the committed entries' records) go in one write, synced when the
  // core asks (new entries, term or vote), before any message of this Ready
  // leaves (but a leader's). Applying before sending is allowed: committed
  // entries are in this write or already in the log.
  storage::WriteGroup group;
  if (rd.hard_state.has_value() || !rd.entries.empty()) {
    absl::Status s = loop_->log->StageSave(
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
  const bool sync = loop_->options.sync && rd.must_sync;
  const bool sync_later = sync && rd.send_before_save && !rd.entries.empty();
  k.retryable = true;
  COFFER_RETURN_IF_ERROR(
      CommitStep(&group, sync && !sync_later, rd.entries.size(), applied));
  k.retryable = false;
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
    loop_->raft->AdvanceWithoutPersisting();
    log_syncer_->Request(last);
  } else {
    loop_->raft->Advance();
  }
  host_->OnAdvanced();
  if (loop_->leading() && leader_start_index_ == 0) {
    // The first Ready of a term carries the leader's empty entry.
    leader_start_index_ = loop_->raft->log().LastIndex();
  }
  return absl::OkStatus();
}

bool ReadyDriver::StallIfDiskFull(const absl::Status& s) {
  if (!storage::IsDiskFull(s)) return false;
  if (!stalled_) {
    stalled_ = true;
    stalled_since_ = loop_->now_tick;
    tries_ = 0;
    stall_error_ = absl::ResourceExhaustedError(absl::StrCat(
        "node: node ", loop_->options.id, " cannot write to its disk (",
        s.message(),
        "); it takes no requests until space is freed, and resumes by "
        "itself"));
    loop_->fatal = stall_error_;
    observer_->Count("storage.disk_full_stalls");
    observer_->Log(LogLevel::kError,
                   absl::StrCat(s.message(),
                                ": the node stalls, retrying as the disk "
                                "frees up; nothing unwritten is acknowledged"));
    pipeline_->FailUnstarted(stall_error_);
  }
  ScheduleRetry();
  return true;
}

void ReadyDriver::ScheduleRetry() {
  const uint64_t max = loop_->TicksFor(absl::Seconds(1));
  backoff_ = backoff_ == 0 ? 1 : std::min(2 * backoff_, max);
  retry_tick_ = loop_->now_tick + backoff_;
}

absl::Status ReadyDriver::OnStallTick() {
  if (!stalled_ || loop_->now_tick < retry_tick_) return absl::OkStatus();
  if (!(loop_->fatal == stall_error_)) {
    // Stopped meanwhile for another reason: that stands.
    stalled_ = false;
    return absl::OkStatus();
  }
  ++tries_;
  if (!loop_->db->write_error().ok()) {
    absl::Status s = loop_->db->Reopen();
    if (!s.ok()) {
      // Still full, or an iterator (a snapshot being written or streamed)
      // holds the database open: later.
      if (!storage::IsDiskFull(s) &&
          !(s.code() == absl::StatusCode::kFailedPrecondition &&
            loop_->db->open_iterators() > 0)) {
        return Annotate(s);
      }
      if ((tries_ & (tries_ - 1)) == 0) {
        observer_->Log(LogLevel::kWarning,
                       absl::StrCat("storage: still stalled after ", tries_,
                                    " tries: ", s.message()));
      }
      ScheduleRetry();
      return absl::OkStatus();
    }
    // What the log and the state store acknowledged must have survived.
    COFFER_RETURN_IF_ERROR(Annotate(loop_->log->CheckMatchesDisk()));
    COFFER_RETURN_IF_ERROR(Annotate(loop_->state->CheckMatchesDisk()));
  }
  stalled_ = false;
  loop_->fatal = absl::OkStatus();
  observer_->Count("storage.disk_full_recoveries");
  observer_->Log(LogLevel::kWarning,
                 absl::StrCat("storage: the database reopened after ",
                              loop_->now_tick - stalled_since_,
                              " ticks stalled on a full disk; the node "
                              "resumes"));
  if (!kept_.has_value()) {
    backoff_ = 0;
    Resync();
  }
  return absl::OkStatus();
}

void ReadyDriver::Resync() {
  if (!resync_.has_value() || log_syncer_ == nullptr) return;
  log_syncer_->Request(*resync_);
  resync_.reset();
}

absl::Status ReadyDriver::CommitStep(storage::WriteGroup* group, bool sync,
                                     size_t entries, const Applied& applied) {
  if (group->empty()) return absl::OkStatus();
  const absl::Time start =
      loop_->options.metrics ? LoopState::Now() : absl::InfinitePast();
  absl::Status s = loop_->db->Commit(group, sync);
  if (!s.ok()) return Annotate(s);
  observer_->Timing("storage.write_latency", start);
  if (loop_->options.metrics != nullptr) {
    observer_->Count("storage.writes");
    if (sync) observer_->Count("storage.synced_writes");
    if (entries != 0) observer_->Count("raft.entries_written", entries);
    if (applied.count != 0)
      observer_->Count("raft.entries_applied", applied.count);
  }
  return absl::OkStatus();
}

absl::Status ReadyDriver::FinishCommitted(
    const std::vector<raftpb::Entry>& entries, const Applied& applied) {
  COFFER_RETURN_IF_ERROR(FinishApply(entries, applied));
  // A snapshot restore's swap, then the entries after it
  // (snapshot_restore.cc).
  if (applied.restore.has_value()) {
    COFFER_RETURN_IF_ERROR(host_->ApplyRestore(entries, applied));
  }
  return absl::OkStatus();
}

absl::Status ReadyDriver::StageCommitted(
    const std::vector<raftpb::Entry>& entries, storage::WriteGroup* group,
    Applied* applied) {
  storage::WriteSet writes;
  for (size_t pos = 0; pos < entries.size(); ++pos) {
    const raftpb::Entry& e = entries[pos];
    // After a restart the core hands out entries the state store already
    // holds (it applied them atomically with its applied index).
    if (e.index() <= loop_->state->AppliedIndex()) continue;
    if (e.type() == raftpb::ENTRY_CONF_CHANGE) {
      COFFER_RETURN_IF_ERROR(StageConfChange(e, &writes));
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
        if (absl::StartsWith(key, kPolicyPrefix)) {
          applied->policies_changed = true;
        }
        if (absl::StartsWith(key, kAuditPrefix)) applied->audit_changed = true;
        if (absl::StartsWith(key, auth::kTokenPrefix)) {
          applied->tokens_changed = true;
        }
        if (absl::StartsWith(key, kPeersPrefix)) applied->conf_changed = true;
      }
    }
    applied->last = e.index();
    ++applied->count;
  }
  if (applied->last == 0) return absl::OkStatus();
  absl::Status s = loop_->state->StageApply(writes, applied->last, group);
  return s.ok() ? s : Annotate(s);
}

absl::Status ReadyDriver::FinishApply(const std::vector<raftpb::Entry>& entries,
                                      const Applied& applied) {
  if (applied.last == 0) return absl::OkStatus();
  loop_->view->ReleaseInFlight(applied.last);
  if (applied.conf_changed) COFFER_RETURN_IF_ERROR(host_->OnPeersApplied());
  // Before the requests complete: a policy write is acknowledged only once
  // no cached copy of the old one can be used.
  if (applied.policies_changed) host_->OnPoliciesApplied();
  if (applied.tokens_changed) host_->OnTokensApplied();
  if (applied.audit_changed) host_->OnAuditApplied();
  for (const raftpb::Entry& e : entries) {
    if (e.index() > applied.last) break;  // a restore's swap comes first
    pipeline_->OnApplied(e);
    host_->OnEntryApplied(e);
  }
  if (applied.core_changed) host_->OnCoreApplied();
  return absl::OkStatus();
}

absl::Status ReadyDriver::StageConfChange(const raftpb::Entry& e,
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
  observer_->ObserveConfChange(e.index(), cc);
  // Only what the entry itself says is applied, so that every replica
  // derives the same records (bootstrap entries carry no address; the first
  // leader records those, see MaybeRecordPeers).
  for (const raftpb::ConfChangeSingle& ch : cc.changes()) {
    host_->StageJoinRecords(ch, has_ctx ? &ctx : nullptr, e.index(), writes);
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

}  // namespace coffer::node
