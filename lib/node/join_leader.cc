// Joining, on the members: a follower points the joining node to the
// leader; the leader checks who asks, issues the join challenge, verifies
// the answer (in constant time) and adds the node as a learner, marked to
// be promoted once caught up (autopilot.cc).
//
// The challenge is stateless for the leader: the nonce and its issue time
// are encrypted by the barrier for the path join-challenge/<id>, and the
// joining node answers with the ciphertext and its plaintext. Any leader of
// the cluster (the keyring is the cluster's) can verify it, so a join
// survives a change of leader while the operator gathers the shares.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/coding.h"
#include "base/status_macros.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "node/codec.h"
#include "node/membership.h"

namespace coffer::node {
namespace {

constexpr size_t kNonceBytes = 32;

bool InConf(const raftpb::ConfState& conf, uint64_t id) {
  auto in = [id](const auto& ids) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
  };
  return in(conf.voters()) || in(conf.learners()) ||
         in(conf.voters_outgoing()) || in(conf.learners_next());
}

int64_t UnixMillis(absl::Time t) { return absl::ToUnixMillis(t); }

}  // namespace

void Membership::SendJoinResponse(uint64_t to, nodepb::JoinResponse resp) {
  nodepb::Frame f;
  *f.mutable_join_response() = std::move(resp);
  host_->SendFrame(to, std::move(f));
}

void Membership::OnJoinRequest(const nodepb::Frame& frame) {
  const uint64_t from = frame.from();
  const nodepb::JoinRequest& req = frame.join_request();
  nodepb::JoinResponse resp;
  resp.set_attempt(req.attempt());
  auto refuse = [&](const absl::Status& s) {
    resp.set_code(static_cast<int32_t>(s.code()));
    resp.set_message(std::string(s.message()));
    SendJoinResponse(from, resp);
  };
  if (from == 0 || from == loop_->options.id) return;
  if (loop_->soft.role != raft::Role::kLeader) {
    if (loop_->soft.lead != 0 && loop_->soft.lead != from) {
      resp.set_leader_id(loop_->soft.lead);
      resp.set_leader_address(AddressOf(loop_->soft.lead));
    }
    return refuse(pipeline_->NotLeaderError());
  }
  if (!LeaderReady()) {
    return refuse(absl::UnavailableError(
        "node: the leader is not ready yet (applying its first entry)"));
  }
  const bool answering = !req.challenge().empty();
  if (absl::Status s = CheckJoiner(from, frame.from_address(), answering);
      !s.ok()) {
    return refuse(s);
  }
  if (!answering) {
    absl::StatusOr<nodepb::JoinChallenge> ch = MakeJoinChallenge(from);
    if (!ch.ok()) return refuse(Annotate(ch.status()));
    *resp.mutable_challenge() = *std::move(ch);
    return SendJoinResponse(from, std::move(resp));
  }
  if (absl::Status s = VerifyJoinAnswer(from, req); !s.ok()) return refuse(s);
  const raftpb::ConfState conf = loop_->raft->GetStatus().conf_state;
  if (InConf(conf, from)) {
    // Admitted before; the answer to that was lost.
    resp.set_admitted(true);
    return SendJoinResponse(from, std::move(resp));
  }
  if (!join_in_flight_.insert(from).second) return;  // answered once applied
  learned_addresses_[from] = frame.from_address();
  ProposePeerChange(
      raftpb::CONF_ADD_LEARNER, from, req.voter(),
      [this, from, resp](absl::StatusOr<nodepb::OpResult> r) mutable {
        join_in_flight_.erase(from);
        if (r.ok()) {
          resp.set_admitted(true);
        } else {
          // Retryable: another change in flight, a change of leader.
          resp.set_code(static_cast<int32_t>(absl::StatusCode::kUnavailable));
          resp.set_message(std::string(r.status().message()));
        }
        SendJoinResponse(from, std::move(resp));
      });
}

absl::Status Membership::CheckJoiner(uint64_t id, const std::string& address,
                                     bool answering) const {
  if (address.empty() || address.size() > 1024) {
    return absl::InvalidArgumentError(
        "node: a joining node needs an address of 1..1024 bytes");
  }
  if (auto it = removed_ids_.find(id); it != removed_ids_.end()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "node: node ", id,
        " was removed from the cluster and its id is never admitted again; "
        "join with a new id and an empty data directory"));
  }
  const raftpb::ConfState conf = loop_->raft->GetStatus().conf_state;
  if (InConf(conf, id)) {
    const std::string current = AddressOf(id);
    if (current != address) {
      return absl::AlreadyExistsError(absl::StrCat(
          "node: id ", id, " is in use by the member at \"", current, "\""));
    }
    // The answer of an admitted node: let it through (it is told so).
    if (!answering) {
      return absl::AlreadyExistsError(
          absl::StrCat("node: node ", id, " is already a member"));
    }
  }
  for (const auto& [other, other_address] : peer_records_) {
    if (other != id && other_address == address && InConf(conf, other)) {
      return absl::AlreadyExistsError(absl::StrCat(
          "node: address \"", address, "\" is in use by member ", other));
    }
  }
  absl::StatusOr<bool> initialized = loop_->barrier->Initialized();
  if (!initialized.ok()) return Annotate(initialized.status());
  if (!*initialized) {
    return absl::FailedPreconditionError(
        "node: the cluster is not initialized; initialize it before nodes "
        "join");
  }
  if (loop_->barrier->sealed()) {
    return absl::UnavailableError(absl::StrCat(
        "node: the leader (node ", loop_->options.id,
        ") is sealed; it can issue join challenges once unsealed"));
  }
  return absl::OkStatus();
}

absl::StatusOr<nodepb::JoinChallenge> Membership::MakeJoinChallenge(
    uint64_t id) {
  COFFER_ASSIGN_OR_RETURN(crypto::SecureBuffer nonce,
                          crypto::RandomSecret(kNonceBytes));
  std::string plain(nonce.view());
  base::PutBigEndian64(&plain,
                       static_cast<uint64_t>(UnixMillis(LoopState::Now())));
  nodepb::JoinChallenge ch;
  // Inside a request: the records include keyring changes in flight, and
  // the barrier may checkpoint its encryption count (proposed below).
  loop_->view->BeginRequest();
  absl::StatusOr<std::string> sealed =
      loop_->barrier->Encrypt(JoinChallengePath(id), plain);
  crypto::Wipe(plain.data(), plain.size());
  absl::Status s = sealed.status();
  for (absl::string_view path : kJoinSealRecords) {
    if (!s.ok()) break;
    absl::StatusOr<std::optional<std::string>> v = loop_->view->Get(path);
    if (!v.ok()) {
      s = v.status();
    } else if (v->has_value()) {
      nodepb::Write* w = ch.add_records();
      w->set_key(std::string(path));
      w->set_value(**v);
    }
  }
  storage::WriteSet writes = loop_->view->EndRequest();
  if (!s.ok()) return s;
  if (!writes.empty()) {
    pipeline_->Propose(writes, nodepb::OpResult(), loop_->RequestDeadline(),
                       [](absl::StatusOr<nodepb::OpResult>) {});
  }
  ch.set_ciphertext(*std::move(sealed));
  return ch;
}

absl::Status Membership::VerifyJoinAnswer(uint64_t id,
                                          const nodepb::JoinRequest& req) {
  const absl::Status wrong = absl::PermissionDeniedError(
      "node: the answer to the join challenge is wrong (the joining node "
      "does not hold this cluster's seal)");
  absl::StatusOr<std::string> plain =
      loop_->barrier->Decrypt(JoinChallengePath(id), req.challenge());
  if (!plain.ok() || plain->size() != kNonceBytes + 8) return wrong;
  const bool equal = crypto::ConstantTimeEquals(*plain, req.answer());
  const int64_t issued = static_cast<int64_t>(
      base::GetBigEndian64(absl::string_view(*plain).substr(kNonceBytes)));
  crypto::Wipe(plain->data(), plain->size());
  if (!equal) return wrong;
  if (UnixMillis(LoopState::Now()) - issued > kJoinChallengeTtlSeconds * 1000) {
    return absl::PermissionDeniedError(
        "node: the join challenge expired; the node asks for a new one");
  }
  return absl::OkStatus();
}

void Membership::ExecutePeerChange(const nodepb::Op& op, uint64_t deadline,
                                   Done done) {
  const raftpb::ConfState conf = loop_->raft->GetStatus().conf_state;
  auto in = [](const auto& ids, uint64_t id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
  };
  const uint64_t target =
      op.has_add_peer() ? op.add_peer().id() : op.remove_peer().id();
  const bool voter = in(conf.voters(), target);
  const bool learner = in(conf.learners(), target);
  if (op.has_add_peer() && WasRemoved(target)) {
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
    ch->set_type(p.voter() ? raftpb::CONF_ADD_VOTER : raftpb::CONF_ADD_LEARNER);
    ch->set_node_id(p.id());
    nodepb::PeerContext ctx;
    ctx.set_version(kPeerContextVersion);
    ctx.set_address(p.address());
    cc.set_context(ctx.SerializeAsString());
    // Reachable before the change is applied: the leader must send it
    // the log to commit the change.
    Learn(p.id(), p.address());
  } else {
    ch->set_type(raftpb::CONF_REMOVE_NODE);
    ch->set_node_id(op.remove_peer().id());
  }
  absl::StatusOr<raft::EntryId> id = loop_->raft->ProposeConfChange(cc);
  if (!id.ok()) return done(Annotate(id.status()));
  pipeline_->AddProposal(*id, deadline, std::move(done));
}

void Membership::ProposePeerChange(raftpb::ConfChangeType type, uint64_t id,
                                   bool join_as_voter, Done done) {
  raftpb::ConfChange cc;
  raftpb::ConfChangeSingle* ch = cc.add_changes();
  ch->set_type(type);
  ch->set_node_id(id);
  if (type != raftpb::CONF_REMOVE_NODE) {
    nodepb::PeerContext ctx;
    ctx.set_version(kPeerContextVersion);
    ctx.set_address(AddressOf(id));
    ctx.set_join_as_voter(join_as_voter);
    cc.set_context(ctx.SerializeAsString());
  }
  absl::StatusOr<raft::EntryId> e = loop_->raft->ProposeConfChange(cc);
  if (!e.ok()) return done(Annotate(e.status()));
  pipeline_->AddProposal(*e, loop_->RequestDeadline(), std::move(done));
}

}  // namespace coffer::node
