#include "node/request_pipeline.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "node/codec.h"
#include "node/op_table.h"

namespace coffer::node {
namespace {

absl::Status LostInLeaderChange() {
  return absl::UnavailableError(
      "node: the request was lost in a change of leader; it was not "
      "applied");
}

}  // namespace

RequestPipeline::RequestPipeline(const LoopState* loop, Host* host,
                                 uint64_t session)
    : loop_(loop), host_(host), session_(session) {}

absl::Status RequestPipeline::NotLeaderError() const {
  const uint64_t lead = loop_->soft.lead;
  if (lead == 0) return absl::UnavailableError("node: no leader is known");
  return absl::UnavailableError(
      absl::StrCat("node: not the leader; the leader is node ", lead, " at \"",
                   host_->AddressOf(lead), "\""));
}

void RequestPipeline::Start(nodepb::Op op, uint64_t deadline, Done done,
                            bool local) {
  if (local) done = host_->Observe(std::move(done));
  if (!loop_->fatal.ok()) return done(loop_->fatal);
  if (absl::Status s = host_->Refusal(); !s.ok()) return done(s);
  if (absl::Status s = CheckOp(op); !s.ok()) return done(s);
  if (pending() >= static_cast<size_t>(loop_->options.max_pending)) {
    return done(absl::ResourceExhaustedError(
        "node: too many requests in flight on this node"));
  }
  // A sealed node serves no data, even by forwarding (as in Vault).
  if (local && NeedsUnsealed(op) && loop_->barrier->sealed()) {
    return done(loop_->SealedError());
  }
  if (loop_->leading()) {
    if (IsRead(op)) return StartRead(std::move(op), deadline, std::move(done));
    leader_queue_.push_back(Queued{std::move(op), deadline, std::move(done)});
    return;
  }
  // Only a caller's own request is forwarded, never one forwarded to us:
  // no request travels more than one hop.
  if (!local || loop_->soft.lead == 0) return done(NotLeaderError());
  if (IsRead(op) && !op.has_snapshot_read_index()) {
    return StartFollowerRead(std::move(op), deadline, std::move(done));
  }
  Forward(std::move(op), deadline, std::move(done));
}

void RequestPipeline::Enqueue(nodepb::Op op, Done done) {
  leader_queue_.push_back(
      Queued{std::move(op), loop_->RequestDeadline(), std::move(done)});
}

void RequestPipeline::ExecuteQueued() {
  while (!leader_queue_.empty() && host_->MayExecute()) {
    Queued q = std::move(leader_queue_.front());
    leader_queue_.pop_front();
    host_->Execute(std::move(q.op), q.deadline, std::move(q.done));
    if (!loop_->fatal.ok()) return;
  }
}

void RequestPipeline::Propose(const storage::WriteSet& writes,
                              nodepb::OpResult result, uint64_t deadline,
                              Done done) {
  const NodeOptions& options = loop_->options;
  std::string data = EncodeCommand(options.id, ++next_request_, writes);
  if (data.size() > options.max_entry_bytes) {
    return done(absl::ResourceExhaustedError(absl::StrCat(
        "node: the request's writes take ", data.size(),
        " bytes; options.max_entry_bytes is ", options.max_entry_bytes)));
  }
  absl::StatusOr<raft::EntryId> id = loop_->raft->Propose(std::move(data));
  if (!id.ok()) return done(Annotate(id.status()));
  loop_->view->AddInFlight(id->index, writes);
  AddProposal(id->index,
              Proposal{id->term, deadline, std::move(result), std::move(done)});
}

void RequestPipeline::AddProposal(raft::EntryId id, uint64_t deadline,
                                  Done done) {
  AddProposal(id.index,
              Proposal{id.term, deadline, nodepb::OpResult(), std::move(done)});
}

void RequestPipeline::AddProposal(uint64_t index, Proposal p) {
  auto [it, inserted] = proposals_.try_emplace(index, std::move(p));
  if (inserted) return;
  // An older proposal still waits at this index: the log was cut below it
  // by another leader and this node, leading again, reused the index.
  Done lost = std::move(it->second.done);
  it->second = std::move(p);
  lost(LostInLeaderChange());
}

void RequestPipeline::OnApplied(const raftpb::Entry& e) {
  auto it = proposals_.find(e.index());
  if (it == proposals_.end()) return;
  Proposal p = std::move(it->second);
  proposals_.erase(it);
  if (p.term == e.term()) {
    p.done(std::move(p.result));
  } else {
    p.done(LostInLeaderChange());
  }
}

// --- Reads -------------------------------------------------------------------

void RequestPipeline::StartRead(nodepb::Op op, uint64_t deadline, Done done) {
  // (An Authorize before Initialize may run sealed: access.h.)
  if (NeedsUnsealed(op) && loop_->barrier->sealed()) {
    return done(absl::FailedPreconditionError(absl::StrCat(
        "node: the leader (node ", loop_->options.id, ") is sealed")));
  }
  Read r;
  r.op = std::move(op);
  r.deadline = deadline;
  r.done = std::move(done);
  AddLeaderRead(std::move(r));
}

void RequestPipeline::AnswerWhenConfirmed(
    absl::StatusOr<nodepb::OpResult> answer, uint64_t deadline, Done done) {
  Read r;
  r.deadline = deadline;
  r.done = std::move(done);
  r.answer = std::move(answer);
  r.min_index = loop_->raft->log().LastIndex();
  AddLeaderRead(std::move(r));
}

void RequestPipeline::AddLeaderRead(Read read) {
  const uint64_t seq = ++next_read_;
  std::string ctx(8, '\0');
  for (int i = 0; i < 8; ++i) ctx[i] = static_cast<char>(seq >> (56 - 8 * i));
  absl::Status s = loop_->raft->ReadIndex(std::move(ctx));
  if (!s.ok()) return read.done(Annotate(s));
  reads_[seq] = std::move(read);
}

void RequestPipeline::OnReadStates(const std::vector<raft::ReadState>& states) {
  for (const raft::ReadState& rs : states) {
    if (rs.context.size() != 8) continue;
    uint64_t seq = 0;
    for (char c : rs.context) seq = (seq << 8) | static_cast<uint8_t>(c);
    auto it = reads_.find(seq);
    if (it == reads_.end()) continue;
    it->second.index = std::max(rs.index, it->second.min_index);
    it->second.ready = true;
  }
}

void RequestPipeline::StartFollowerRead(nodepb::Op op, uint64_t deadline,
                                        Done done) {
  const uint64_t seq = ++next_read_;
  Read& r = reads_[seq];
  r.op = std::move(op);
  r.deadline = deadline;
  r.done = std::move(done);
  follower_reads_waiting_.push_back(seq);
  RequestFollowerReadIndex();
}

void RequestPipeline::RequestFollowerReadIndex() {
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
  if (!loop_->fatal.ok()) return fail(batch, loop_->fatal);
  if (loop_->leading() || loop_->soft.lead == 0) {
    return fail(batch, NotLeaderError());
  }
  uint64_t deadline = loop_->now_tick;
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
  Forward(std::move(op), deadline, std::move(on_index));
}

void RequestPipeline::ServeReads() {
  const uint64_t applied = loop_->state->AppliedIndex();
  for (auto it = reads_.begin(); it != reads_.end();) {
    if (!it->second.ready || it->second.index > applied) {
      ++it;
      continue;
    }
    Read r = std::move(it->second);
    it = reads_.erase(it);
    if (r.answer.has_value()) {
      r.done(*std::move(r.answer));
    } else if (loop_->barrier->sealed() && NeedsUnsealed(r.op)) {
      r.done(loop_->SealedError());
    } else {
      r.done(host_->Read(r.op));  // Read checks its own caller and seal
    }
  }
}

// --- Forwarding --------------------------------------------------------------

void RequestPipeline::Forward(nodepb::Op op, uint64_t deadline, Done done) {
  const uint64_t id = ++next_forward_;
  Forwarded& f = forwards_[id];
  f = Forwarded{deadline, std::move(done), std::move(op), 0, 0};
  SendForward(id, f);
}

void RequestPipeline::SendForward(uint64_t id, Forwarded& f) {
  if (f.leader == 0 || !f.op.has_transfer_leadership()) {
    f.leader = loop_->soft.lead;
  }
  nodepb::ForwardRequest* req = BatchFor(f.leader).add_requests();
  req->set_id(id);
  req->set_session(session_);
  const uint64_t now = loop_->now_tick;
  const uint64_t ticks = f.deadline > now ? f.deadline - now : 1;
  req->set_timeout_ms(static_cast<uint64_t>(absl::ToInt64Milliseconds(
      loop_->options.tick * static_cast<int64_t>(ticks))));
  *req->mutable_op() = f.op;
  f.next_resend = now + static_cast<uint64_t>(loop_->options.election_ticks);
  outbox_[f.leader].second += req->ByteSizeLong();
  FlushIfLarge(f.leader);
}

void RequestPipeline::FlushIfLarge(uint64_t to) {
  auto it = outbox_.find(to);
  // Small batches wait for the end of the turn; 1 MiB goes at once.
  if (it == outbox_.end() || it->second.second < (size_t{1} << 20)) return;
  nodepb::Frame frame;
  *frame.mutable_forward_batch() = std::move(it->second.first);
  outbox_.erase(it);
  host_->SendFrame(to, std::move(frame));
}

void RequestPipeline::Flush() {
  std::map<uint64_t, std::pair<nodepb::ForwardBatch, size_t>> outbox;
  outbox.swap(outbox_);
  for (auto& [to, batch] : outbox) {
    nodepb::Frame frame;
    *frame.mutable_forward_batch() = std::move(batch.first);
    host_->SendFrame(to, std::move(frame));
  }
}

void RequestPipeline::ResendForwards() {
  const uint64_t now = loop_->now_tick;
  const uint64_t election =
      static_cast<uint64_t>(loop_->options.election_ticks);
  if (loop_->soft.lead == 0 && !forwards_.empty() &&
      now >= leaderless_since_ + election) {
    FailForwards([](const Forwarded&) { return true; },
                 "no leader was heard for an election timeout");
  }
  for (auto& [id, f] : forwards_) {
    // A transfer stays with the leader that runs it (see Forwarded).
    const uint64_t to =
        f.op.has_transfer_leadership() ? f.leader : loop_->soft.lead;
    if (to == 0 || to == loop_->options.id) continue;
    if (f.next_resend <= now) SendForward(id, f);
  }
}

void RequestPipeline::FailForwards(
    const std::function<bool(const Forwarded&)>& lost, absl::string_view why) {
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

void RequestPipeline::OnForwardRequest(uint64_t from,
                                       const nodepb::ForwardRequest& req) {
  const auto key = std::make_tuple(from, req.session(), req.id());
  if (auto it = served_.find(key); it != served_.end()) {
    if (it->second.answered) {
      *BatchFor(from).add_responses() = it->second.response;
    }
    return;  // a resent or duplicated request runs once
  }
  const uint64_t ms = std::min<uint64_t>(req.timeout_ms(), 3600 * 1000);
  const uint64_t deadline =
      loop_->now_tick +
      loop_->TicksFor(absl::Milliseconds(static_cast<int64_t>(ms)));
  served_[key].deadline = deadline;
  served_expiry_.emplace(deadline, key);
  Done reply = [this, key](absl::StatusOr<nodepb::OpResult> r) {
    const uint64_t to = std::get<0>(key);
    nodepb::ForwardResponse* resp = BatchFor(to).add_responses();
    resp->set_id(std::get<2>(key));
    resp->set_session(std::get<1>(key));
    StatusToResponse(r, resp);
    if (auto it = served_.find(key); it != served_.end()) {
      it->second.answered = true;
      it->second.response = *resp;
      // Answered past its deadline: it goes at the next tick.
      if (it->second.deadline < loop_->now_tick) {
        served_expiry_.emplace(loop_->now_tick, key);
      }
    }
    outbox_[to].second += resp->ByteSizeLong();
    FlushIfLarge(to);
  };
  Start(req.op(), deadline, std::move(reply), /*local=*/false);
}

void RequestPipeline::OnForwardResponse(uint64_t from,
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

// --- Time and leadership -----------------------------------------------------

void RequestPipeline::OnTick() {
  ExpireRequests();
  ResendForwards();
}

void RequestPipeline::ExpireRequests() {
  const uint64_t now = loop_->now_tick;
  const absl::Status late =
      absl::DeadlineExceededError("node: the request timed out");
  auto expire = [&](auto& map) {
    for (auto it = map.begin(); it != map.end();) {
      if (it->second.deadline >= now) {
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
  while (!served_expiry_.empty() && served_expiry_.begin()->first < now) {
    auto it = served_.find(served_expiry_.begin()->second);
    served_expiry_.erase(served_expiry_.begin());
    // A running request stays until it answers (it has its own deadline);
    // the answer queues it again.
    if (it != served_.end() && it->second.answered) served_.erase(it);
  }
  for (auto it = leader_queue_.begin(); it != leader_queue_.end();) {
    if (it->deadline >= now) {
      ++it;
      continue;
    }
    Done done = std::move(it->done);
    it = leader_queue_.erase(it);
    done(late);
  }
}

void RequestPipeline::OnSoftState(const raft::SoftState& prev) {
  const raft::SoftState& now = loop_->soft;
  if (prev.role == raft::Role::kLeader && now.role != raft::Role::kLeader) {
    AbandonLeaderWork(absl::UnavailableError(
        "node: this node lost the leadership; the request may or may not "
        "have been applied"));
  }
  if (prev.lead == now.lead) return;
  if (now.lead == 0) {
    // Touch with the leader is lost (a pre-vote, an election): its
    // forwards wait, since it may be heard again and answer them (a
    // resend is deduped). ResendForwards fails them if it is not.
    leaderless_since_ = loop_->now_tick;
  } else {
    // Another leader may never answer what was sent to the old one, and
    // cannot tell a resend from a new request.
    FailForwards([&](const Forwarded& f) { return f.leader != now.lead; },
                 "the leader changed");
  }
}

void RequestPipeline::AbandonLeaderWork(const absl::Status& s) {
  FailUnstarted(s);
  // Proposals stay: they may still commit, and complete (or are found lost)
  // when their index is applied. Only their overlay goes.
  loop_->view->ClearInFlight();
}

void RequestPipeline::FailWaiting(const absl::Status& s) {
  AbandonLeaderWork(s);
  std::map<uint64_t, Forwarded> forwards;
  forwards.swap(forwards_);
  for (auto& [id, f] : forwards) f.done(s);
}

void RequestPipeline::FailUnstarted(const absl::Status& s) {
  std::deque<Queued> queue;
  queue.swap(leader_queue_);
  for (Queued& q : queue) q.done(s);
  std::map<uint64_t, Read> reads;
  reads.swap(reads_);
  for (auto& [seq, r] : reads) r.done(s);
}

void RequestPipeline::FailAll(const absl::Status& s) {
  FailWaiting(s);
  std::map<uint64_t, Proposal> proposals;
  proposals.swap(proposals_);
  for (auto& [index, p] : proposals) p.done(s);
}

void RequestPipeline::Clear() {
  leader_queue_.clear();
  proposals_.clear();
  reads_.clear();
  forwards_.clear();
}

}  // namespace coffer::node
