// Requests: where a client operation runs (leader or forwarded), how its
// logical work becomes a proposed WriteSet, and how it completes.
#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "node/codec.h"
#include "node/node_impl.h"
#include "node/snapshot_ops.h"

namespace coffer::node {
namespace {

bool IsRead(const nodepb::Op& op) {
  if (op.has_get_raw() || op.has_snapshot_read_index()) return true;
  if (!op.has_kv()) return false;
  switch (op.kv().kind()) {
    case nodepb::KvOp::LIST_MOUNTS:
    case nodepb::KvOp::GET:
    case nodepb::KvOp::READ_METADATA:
    case nodepb::KvOp::LIST:
      return true;
    default:
      return false;
  }
}

bool NeedsUnsealed(const nodepb::Op& op) {
  return op.has_put_raw() || op.has_delete_raw() || op.has_get_raw() ||
         op.has_kv() || op.has_rotate_key() || op.has_rekey() ||
         op.has_snapshot_prepare() || op.has_snapshot_read_index() ||
         op.has_snapshot_stage() || op.has_snapshot_commit() ||
         op.has_snapshot_discard();
}

absl::Status CheckOp(const nodepb::Op& op) {
  switch (op.op_case()) {
    case nodepb::Op::kPutRaw:
      return CheckRawPath(op.put_raw().path());
    case nodepb::Op::kDeleteRaw:
      return CheckRawPath(op.delete_raw().path());
    case nodepb::Op::kGetRaw:
      return CheckRawPath(op.get_raw().path());
    case nodepb::Op::kKv:
      // The engine checks the rest.
      if (!nodepb::KvOp::Kind_IsValid(op.kv().kind()) ||
          op.kv().kind() == nodepb::KvOp::KIND_UNSPECIFIED) {
        return absl::InvalidArgumentError("node: an unknown KV operation");
      }
      return absl::OkStatus();
    case nodepb::Op::kInitialize:
      return absl::OkStatus();  // the seal checks the share counts
    case nodepb::Op::kAddPeer:
      if (op.add_peer().id() == 0 || op.add_peer().address().empty()) {
        return absl::InvalidArgumentError("node: AddPeer needs id and address");
      }
      return absl::OkStatus();
    case nodepb::Op::kRemovePeer:
      if (op.remove_peer().id() == 0) {
        return absl::InvalidArgumentError("node: RemovePeer of id 0");
      }
      return absl::OkStatus();
    case nodepb::Op::kTransferLeadership:
    case nodepb::Op::kRotateKey:
    case nodepb::Op::kRekey:
    case nodepb::Op::kSealMigrate:
      return CheckOpsOp(op);
    case nodepb::Op::kSnapshotPrepare:
    case nodepb::Op::kSnapshotReadIndex:
      return absl::OkStatus();
    case nodepb::Op::kSnapshotStage:
    case nodepb::Op::kSnapshotCommit:
    case nodepb::Op::kSnapshotDiscard:
      if ((op.has_snapshot_stage() ? op.snapshot_stage().restore_id()
           : op.has_snapshot_commit()
               ? op.snapshot_commit().restore_id()
               : op.snapshot_discard().restore_id()) == 0) {
        return absl::InvalidArgumentError("node: a restore id of 0");
      }
      return absl::OkStatus();
    case nodepb::Op::OP_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("node: an empty request");
}

}  // namespace

size_t NodeImpl::PendingRequests() const {
  return leader_queue_.size() + proposals_.size() + reads_.size() +
         forwards_.size();
}

absl::Status NodeImpl::NotLeaderError() const {
  if (soft_.lead == 0) {
    return absl::UnavailableError("node: no leader is known");
  }
  return absl::UnavailableError(
      absl::StrCat("node: not the leader; the leader is node ", soft_.lead,
                   " at \"", AddressOf(soft_.lead), "\""));
}

absl::Status NodeImpl::SealedError() const {
  return absl::FailedPreconditionError(
      absl::StrCat("node: node ", options_.id, " is sealed"));
}

void NodeImpl::StartOp(nodepb::Op op, uint64_t deadline, Done done,
                       bool local) {
  if (local) done = ObserveRequest(std::move(done));
  if (!fatal_.ok()) return done(fatal_);
  if (removed_) return done(RemovedError());
  if (absl::Status s = CheckOp(op); !s.ok()) return done(s);
  if (PendingRequests() >= static_cast<size_t>(options_.max_pending)) {
    return done(absl::ResourceExhaustedError(
        "node: too many requests in flight on this node"));
  }
  // A sealed node serves no data, even by forwarding (as in Vault).
  if (local && NeedsUnsealed(op) && barrier_->sealed()) {
    return done(SealedError());
  }
  if (soft_.role == raft::Role::kLeader) {
    if (IsRead(op)) return StartRead(std::move(op), deadline, std::move(done));
    leader_queue_.push_back(Queued{std::move(op), deadline, std::move(done)});
    return;
  }
  // Only a caller's own request is forwarded, never one forwarded to us:
  // no request travels more than one hop.
  if (!local || soft_.lead == 0) return done(NotLeaderError());
  if (IsRead(op) && !op.has_snapshot_read_index()) {
    return StartFollowerRead(std::move(op), deadline, std::move(done));
  }
  const uint64_t id = ++next_forward_;
  Forwarded& f = forwards_[id];
  f = Forwarded{deadline, std::move(done), std::move(op), 0, 0};
  SendForward(id, f);
}

void NodeImpl::SendForward(uint64_t id, Forwarded& f) {
  if (f.leader == 0 || !f.op.has_transfer_leadership()) f.leader = soft_.lead;
  nodepb::ForwardRequest* req = ForwardBatchFor(f.leader).add_requests();
  req->set_id(id);
  req->set_session(session_);
  const uint64_t ticks = f.deadline > now_tick_ ? f.deadline - now_tick_ : 1;
  req->set_timeout_ms(static_cast<uint64_t>(
      absl::ToInt64Milliseconds(options_.tick * static_cast<int64_t>(ticks))));
  *req->mutable_op() = f.op;
  f.next_resend = now_tick_ + static_cast<uint64_t>(options_.election_ticks);
  outbox_[f.leader].second += req->ByteSizeLong();
  FlushForwardsTo(f.leader);  // when large
}

nodepb::ForwardBatch& NodeImpl::ForwardBatchFor(uint64_t to) {
  return outbox_[to].first;
}

void NodeImpl::FlushForwardsTo(uint64_t to) {
  auto it = outbox_.find(to);
  // Small batches wait for the end of the turn; 1 MiB goes at once.
  if (it == outbox_.end() || it->second.second < (size_t{1} << 20)) return;
  nodepb::Frame frame;
  *frame.mutable_forward_batch() = std::move(it->second.first);
  outbox_.erase(it);
  SendFrame(to, std::move(frame));
}

void NodeImpl::FlushForwards() {
  std::map<uint64_t, std::pair<nodepb::ForwardBatch, size_t>> outbox;
  outbox.swap(outbox_);
  for (auto& [to, batch] : outbox) {
    nodepb::Frame frame;
    *frame.mutable_forward_batch() = std::move(batch.first);
    SendFrame(to, std::move(frame));
  }
}

void NodeImpl::ResendForwards() {
  if (soft_.lead == 0 && !forwards_.empty() &&
      now_tick_ >=
          leaderless_since_ + static_cast<uint64_t>(options_.election_ticks)) {
    FailForwards([](const Forwarded&) { return true; },
                 "no leader was heard for an election timeout");
  }
  for (auto& [id, f] : forwards_) {
    // A transfer stays with the leader that runs it (see Forwarded).
    const uint64_t to = f.op.has_transfer_leadership() ? f.leader : soft_.lead;
    if (to == 0 || to == options_.id) continue;
    if (f.next_resend <= now_tick_) SendForward(id, f);
  }
}

void NodeImpl::FailForwards(const std::function<bool(const Forwarded&)>& lost,
                            absl::string_view why) {
  // Taken out first: a callback may start another request.
  std::vector<Done> failed;
  for (auto it = forwards_.begin(); it != forwards_.end();) {
    // A transfer is answered by the leader that ran it (see Forwarded).
    if (it->second.op.has_transfer_leadership() || !lost(it->second)) {
      ++it;
      continue;
    }
    failed.push_back(std::move(it->second.done));
    it = forwards_.erase(it);
  }
  const absl::Status s = absl::UnavailableError(absl::StrCat(
      "node: ", why, "; the request may or may not have been applied"));
  for (Done& done : failed) done(s);
}

void NodeImpl::ExecuteQueued() {
  while (!leader_queue_.empty() && LeaderReady() &&
         state_->AppliedIndex() >= restore_hold_index_) {
    Queued q = std::move(leader_queue_.front());
    leader_queue_.pop_front();
    ExecuteOnLeader(std::move(q.op), q.deadline, std::move(q.done));
    if (!fatal_.ok()) return;
  }
}

void NodeImpl::ExecuteOnLeader(nodepb::Op op, uint64_t deadline, Done done) {
  if (op.has_snapshot_commit()) {
    return ExecuteRestoreCommit(op, deadline, std::move(done));
  }
  if (op.has_add_peer() || op.has_remove_peer()) {
    const raftpb::ConfState conf = raft_->GetStatus().conf_state;
    auto in = [](const auto& ids, uint64_t id) {
      return std::find(ids.begin(), ids.end(), id) != ids.end();
    };
    const uint64_t target =
        op.has_add_peer() ? op.add_peer().id() : op.remove_peer().id();
    const bool voter = in(conf.voters(), target);
    const bool learner = in(conf.learners(), target);
    if (op.has_add_peer() && removed_ids_.count(target) != 0) {
      return done(absl::FailedPreconditionError(absl::StrCat(
          "node: node ", target,
          " was removed from the cluster and its id is never admitted "
          "again")));
    }
    if (op.has_add_peer() && (op.add_peer().voter() ? voter : learner)) {
      return done(absl::FailedPreconditionError(
          absl::StrCat("node: node ", target, " is already a member")));
    }
    if (op.has_remove_peer() && !voter && !learner) {
      return done(absl::FailedPreconditionError(
          absl::StrCat("node: node ", target, " is not a member")));
    }
    raftpb::ConfChange cc;
    raftpb::ConfChangeSingle* ch = cc.add_changes();
    if (op.has_add_peer()) {
      const nodepb::PeerChange& p = op.add_peer();
      ch->set_type(p.voter() ? raftpb::CONF_ADD_VOTER
                             : raftpb::CONF_ADD_LEARNER);
      ch->set_node_id(p.id());
      nodepb::PeerContext ctx;
      ctx.set_version(kPeerContextVersion);
      ctx.set_address(p.address());
      cc.set_context(ctx.SerializeAsString());
      // Reachable before the change is applied: the leader must send it
      // the log to commit the change.
      learned_addresses_[p.id()] = p.address();
    } else {
      ch->set_type(raftpb::CONF_REMOVE_NODE);
      ch->set_node_id(op.remove_peer().id());
    }
    absl::StatusOr<raft::EntryId> id = raft_->ProposeConfChange(cc);
    if (!id.ok()) return done(Annotate(id.status()));
    AddProposal(id->index, Proposal{id->term, deadline, nodepb::OpResult(),
                                    std::move(done)});
    return;
  }
  if (op.has_kv() && (op.kv().kind() == nodepb::KvOp::DISABLE_MOUNT ||
                      op.kv().kind() == nodepb::KvOp::PURGE)) {
    done = ContinuePurge(std::move(done));
  }
  if (op.has_transfer_leadership()) {
    return StartTransfer(op.transfer_leadership().to(), deadline,
                         std::move(done));
  }
  if (op.has_seal_migrate()) done = SealUnlessApplied(std::move(done));
  const bool was_sealed = barrier_->sealed();
  view_->BeginRequest();
  absl::StatusOr<nodepb::OpResult> result = RunLogical(op);
  storage::WriteSet writes = view_->EndRequest();
  if (!result.ok()) {
    // A failed Initialize must not leave a Kms-unsealed barrier holding a
    // keyring that was never replicated. (Only one that was sealed before:
    // a repeated Initialize on an initialized, unsealed leader must not
    // seal it.)
    if (op.has_initialize() && was_sealed) seal_->Seal();
    return done(Annotate(result.status()));
  }
  if (writes.empty()) return done(std::move(result));
  ProposeWrites(writes, *std::move(result), deadline, std::move(done));
}

absl::StatusOr<nodepb::OpResult> NodeImpl::RunLogical(const nodepb::Op& op) {
  if (NeedsUnsealed(op) && barrier_->sealed()) {
    return absl::FailedPreconditionError(
        absl::StrCat("node: the leader (node ", options_.id, ") is sealed"));
  }
  if (op.has_put_raw()) {
    COFFER_RETURN_IF_ERROR(
        barrier_->Put(op.put_raw().path(), op.put_raw().value()));
    return nodepb::OpResult();
  }
  if (op.has_delete_raw()) {
    COFFER_RETURN_IF_ERROR(barrier_->Delete(op.delete_raw().path()));
    return nodepb::OpResult();
  }
  if (op.has_kv()) {
    nodepb::OpResult out;
    COFFER_ASSIGN_OR_RETURN(*out.mutable_kv(), RunKv(op.kv()));
    return out;
  }
  if (op.has_rotate_key() || op.has_rekey() || op.has_seal_migrate()) {
    return RunOps(op);
  }
  if (op.has_snapshot_prepare() || op.has_snapshot_stage() ||
      op.has_snapshot_discard()) {
    return RunSnapshotOp(op);
  }
  if (op.has_initialize()) {
    seal::InitOptions o;
    o.secret_shares = op.initialize().secret_shares();
    o.secret_threshold = op.initialize().secret_threshold();
    o.recovery_shares = op.initialize().recovery_shares();
    o.recovery_threshold = op.initialize().recovery_threshold();
    COFFER_ASSIGN_OR_RETURN(seal::InitResult r, seal_->Initialize(o));
    COFFER_ASSIGN_OR_RETURN(std::string token_bytes, crypto::RandomString(32));
    const std::string token = absl::BytesToHexString(token_bytes);
    const crypto::Digest hash = crypto::Sha256::Hash(token);
    COFFER_RETURN_IF_ERROR(view_->Put(
        kRootTokenHashPath, absl::BytesToHexString(crypto::DigestView(hash))));
    nodepb::OpResult out;
    nodepb::InitializeResult* init = out.mutable_initialize();
    for (const std::string& k : r.keys) {
      init->add_keys(absl::BytesToHexString(k));
    }
    for (const std::string& k : r.recovery_keys) {
      init->add_recovery_keys(absl::BytesToHexString(k));
    }
    init->set_root_token(token);
    return out;
  }
  return absl::InternalError("node: not a write request");
}

void NodeImpl::ProposeWrites(const storage::WriteSet& writes,
                             nodepb::OpResult result, uint64_t deadline,
                             Done done) {
  std::string data = EncodeCommand(options_.id, ++next_request_, writes);
  if (data.size() > options_.max_entry_bytes) {
    return done(absl::ResourceExhaustedError(absl::StrCat(
        "node: the request's writes take ", data.size(),
        " bytes; options.max_entry_bytes is ", options_.max_entry_bytes)));
  }
  absl::StatusOr<raft::EntryId> id = raft_->Propose(std::move(data));
  if (!id.ok()) return done(Annotate(id.status()));
  view_->AddInFlight(id->index, writes);
  AddProposal(id->index,
              Proposal{id->term, deadline, std::move(result), std::move(done)});
}

void NodeImpl::AddProposal(uint64_t index, Proposal p) {
  auto [it, inserted] = proposals_.try_emplace(index, std::move(p));
  if (inserted) return;
  // An older proposal still waits at this index: the log was cut below it
  // by another leader and this node, leading again, reused the index.
  Done lost = std::move(it->second.done);
  it->second = std::move(p);
  lost(absl::UnavailableError(
      "node: the request was lost in a change of leader; it was not "
      "applied"));
}

void NodeImpl::OnEntryApplied(const raftpb::Entry& e) {
  auto it = proposals_.find(e.index());
  if (it == proposals_.end()) return;
  Proposal p = std::move(it->second);
  proposals_.erase(it);
  if (p.term == e.term()) {
    p.done(std::move(p.result));
  } else {
    p.done(absl::UnavailableError(
        "node: the request was lost in a change of leader; it was not "
        "applied"));
  }
}

void NodeImpl::StartRead(nodepb::Op op, uint64_t deadline, Done done) {
  if (barrier_->sealed()) {
    return done(absl::FailedPreconditionError(
        absl::StrCat("node: the leader (node ", options_.id, ") is sealed")));
  }
  const uint64_t seq = ++next_read_;
  std::string ctx(8, '\0');
  for (int i = 0; i < 8; ++i) ctx[i] = static_cast<char>(seq >> (56 - 8 * i));
  absl::Status s = raft_->ReadIndex(std::move(ctx));
  if (!s.ok()) return done(Annotate(s));
  reads_[seq] = Read{std::move(op), deadline, 0, false, std::move(done)};
}

void NodeImpl::StartFollowerRead(nodepb::Op op, uint64_t deadline, Done done) {
  const uint64_t seq = ++next_read_;
  reads_[seq] = Read{std::move(op), deadline, 0, false, std::move(done)};
  follower_reads_waiting_.push_back(seq);
  RequestFollowerReadIndex();
}

void NodeImpl::RequestFollowerReadIndex() {
  if (follower_read_index_in_flight_ || follower_reads_waiting_.empty()) {
    return;
  }
  std::vector<uint64_t> batch = std::move(follower_reads_waiting_);
  follower_reads_waiting_.clear();
  // Fails the reads of `batch` still waiting (none expired) with `s`.
  auto fail = [this](const std::vector<uint64_t>& batch, absl::Status s) {
    for (uint64_t seq : batch) {
      auto it = reads_.find(seq);
      if (it == reads_.end()) continue;
      Done done = std::move(it->second.done);
      reads_.erase(it);
      done(s);
    }
  };
  if (!fatal_.ok()) return fail(batch, fatal_);
  if (soft_.role == raft::Role::kLeader || soft_.lead == 0) {
    return fail(batch, NotLeaderError());
  }
  uint64_t deadline = now_tick_;
  for (uint64_t seq : batch) {
    auto it = reads_.find(seq);
    if (it != reads_.end()) deadline = std::max(deadline, it->second.deadline);
  }
  follower_read_index_in_flight_ = true;
  Done on_index = [this, batch, fail](absl::StatusOr<nodepb::OpResult> r) {
    follower_read_index_in_flight_ = false;
    absl::Status s = r.status();
    if (s.ok()) {
      s = CheckResult(*r, nodepb::OpResult::kReadIndex, "read index");
    }
    if (!s.ok()) {
      fail(batch, s);
    } else {
      for (uint64_t seq : batch) {
        auto it = reads_.find(seq);
        if (it == reads_.end()) continue;  // expired
        it->second.index = r->read_index();
        it->second.ready = true;
      }
      ServeReads();
    }
    RequestFollowerReadIndex();
  };
  nodepb::Op op;
  op.mutable_snapshot_read_index();
  const uint64_t id = ++next_forward_;
  Forwarded& f = forwards_[id];
  f = Forwarded{deadline, std::move(on_index), std::move(op), 0, 0};
  SendForward(id, f);
}

void NodeImpl::ServeReads() {
  const uint64_t applied = state_->AppliedIndex();
  for (auto it = reads_.begin(); it != reads_.end();) {
    if (!it->second.ready || it->second.index > applied) {
      ++it;
      continue;
    }
    Read r = std::move(it->second);
    it = reads_.erase(it);
    if (barrier_->sealed()) {
      r.done(SealedError());
    } else {
      r.done(ServeRead(r.op));
    }
  }
}

absl::StatusOr<nodepb::OpResult> NodeImpl::ServeRead(const nodepb::Op& op) {
  nodepb::OpResult out;
  if (op.has_kv()) {
    COFFER_ASSIGN_OR_RETURN(*out.mutable_kv(), RunKv(op.kv()));
  } else if (op.has_snapshot_read_index()) {
    return RunSnapshotOp(op);
  } else {
    COFFER_ASSIGN_OR_RETURN(*out.mutable_value(),
                            ReadRaw(op.get_raw().path()));
  }
  return out;
}

absl::StatusOr<std::string> NodeImpl::ReadRaw(absl::string_view path) {
  // Outside a request the view is the applied state alone.
  absl::StatusOr<std::optional<std::string>> v = barrier_->Get(path);
  if (!v.ok()) return Annotate(v.status());
  if (!v->has_value()) {
    return absl::NotFoundError(
        absl::StrCat("node: no value at \"", path, "\""));
  }
  return **std::move(v);
}

void NodeImpl::OnForwardRequest(uint64_t from,
                                const nodepb::ForwardRequest& req) {
  const auto key = std::make_tuple(from, req.session(), req.id());
  if (auto it = served_.find(key); it != served_.end()) {
    if (it->second.answered) {
      *ForwardBatchFor(from).add_responses() = it->second.response;
    }
    return;  // a resent or duplicated request runs once
  }
  const uint64_t ms = std::min<uint64_t>(req.timeout_ms(), 3600 * 1000);
  const uint64_t deadline =
      now_tick_ + TicksFor(absl::Milliseconds(static_cast<int64_t>(ms)));
  served_[key].deadline = deadline;
  served_expiry_.emplace(deadline, key);
  Done reply = [this, key](absl::StatusOr<nodepb::OpResult> r) {
    const uint64_t to = std::get<0>(key);
    nodepb::ForwardResponse* resp = ForwardBatchFor(to).add_responses();
    resp->set_id(std::get<2>(key));
    resp->set_session(std::get<1>(key));
    StatusToResponse(r, resp);
    if (auto it = served_.find(key); it != served_.end()) {
      it->second.answered = true;
      it->second.response = *resp;
      // Answered past its deadline: it goes at the next tick.
      if (it->second.deadline < now_tick_)
        served_expiry_.emplace(now_tick_, key);
    }
    outbox_[to].second += resp->ByteSizeLong();
    FlushForwardsTo(to);  // when large
  };
  StartOp(req.op(), deadline, std::move(reply), /*local=*/false);
}

void NodeImpl::OnForwardResponse(uint64_t from,
                                 const nodepb::ForwardResponse& r) {
  auto it = forwards_.find(r.id());
  // A duplicate, one given up on, or one for an earlier opening of this
  // node (its ids started from 1 again); only the node the request went
  // to answers it.
  if (it == forwards_.end() || r.session() != session_ ||
      it->second.leader != from) {
    return;
  }
  Done done = std::move(it->second.done);
  forwards_.erase(it);
  done(ResponseToStatus(r));
}

void NodeImpl::ExpireRequests() {
  const absl::Status late =
      absl::DeadlineExceededError("node: the request timed out");
  auto expire = [&](auto& map) {
    for (auto it = map.begin(); it != map.end();) {
      if (it->second.deadline >= now_tick_) {
        ++it;
        continue;
      }
      Done done = std::move(it->second.done);
      it = map.erase(it);
      done(late);
    }
  };
  expire(proposals_);
  expire(reads_);
  expire(forwards_);
  while (!served_expiry_.empty() && served_expiry_.begin()->first < now_tick_) {
    auto it = served_.find(served_expiry_.begin()->second);
    served_expiry_.erase(served_expiry_.begin());
    // A running request stays until it answers (it has its own deadline);
    // the answer queues it again.
    if (it != served_.end() && it->second.answered) served_.erase(it);
  }
  for (auto it = leader_queue_.begin(); it != leader_queue_.end();) {
    if (it->deadline >= now_tick_) {
      ++it;
      continue;
    }
    Done done = std::move(it->done);
    it = leader_queue_.erase(it);
    done(late);
  }
}

void NodeImpl::AbandonLeaderWork(const absl::Status& s) {
  std::deque<Queued> queue;
  queue.swap(leader_queue_);
  for (Queued& q : queue) q.done(s);
  std::map<uint64_t, Read> reads;
  reads.swap(reads_);
  for (auto& [seq, r] : reads) r.done(s);
  // Proposals stay: they may still commit, and complete (or are found lost)
  // when their index is applied. Only their overlay goes.
  view_->ClearInFlight();
}

}  // namespace coffer::node
