// Joining, on the joining node: Join and retry_join (Vault's `operator raft
// join` and retry_join stanza), the join challenge answered with the
// operator's unseal shares or this node's Kms, and the unseal once caught
// up. The members' side is join_leader.cc.
//
// Phases (JoinState::Phase): kAsking sends JoinRequest to every known peer
// on an exponential backoff with jitter; a follower's leader hint is
// followed at once. A challenge with an auto seal is answered at once (the
// Kms unwraps the root key); with the Shamir seal the node waits for a
// threshold of unseal shares (kAwaitingKeys), then answers (kAnswering)
// until admitted. The first raft message from the cluster also proves
// admission: the leader only sends one once the node is a member.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "crypto/random.h"
#include "node/codec.h"
#include "node/membership.h"
#include "proto/seal.pb.h"

namespace coffer::node {
namespace {

constexpr uint64_t kMaxBackoffFactor = 16;

absl::Status Prefixed(absl::StatusCode code, absl::string_view message) {
  return Annotate(absl::Status(code, message));
}

}  // namespace

bool Membership::HasRaftState() const {
  return loop_->raft->log().LastIndex() != 0 || loop_->raft->term() != 0;
}

void Membership::StartJoin(std::vector<Peer> peers, bool retry,
                           StatusDone done) {
  auto fail = [&](absl::Status s) {
    if (done) done(s);
  };
  if (!loop_->fatal.ok()) return fail(loop_->fatal);
  if (removed_) return fail(RemovedError());
  if (HasRaftState()) {
    return fail(absl::FailedPreconditionError(
        "node: this node already has raft state (it is a member or was "
        "bootstrapped); only a node with an empty data directory can join"));
  }
  if (join_ != nullptr) {
    return fail(absl::FailedPreconditionError(
        "node: a join is already in progress on this node"));
  }
  if (peers.empty()) {
    return fail(absl::InvalidArgumentError("node: Join needs known peers"));
  }
  for (const Peer& p : peers) {
    if (p.id == 0 || p.id == loop_->options.id) {
      return fail(absl::InvalidArgumentError(absl::StrCat(
          "node: Join's peers need ids >= 1 other than this node's (got ", p.id,
          ")")));
    }
    if (p.address.empty() || p.address.size() > 1024) {
      return fail(absl::InvalidArgumentError(absl::StrCat(
          "node: Join needs an address of 1..1024 bytes for peer ", p.id)));
    }
  }
  auto j = std::make_unique<JoinState>();
  while (j->attempt == 0) j->attempt = loop_->random->Next();
  for (const Peer& p : peers) learned_addresses_[p.id] = p.address;
  j->peers = std::move(peers);
  j->retry = retry;
  j->waiting = std::move(done);
  if (!retry) j->deadline = loop_->RequestDeadline();
  join_ = std::move(j);
  join_->next_send = loop_->now_tick + NextJoinBackoff();
  SendJoinRequests();
}

uint64_t Membership::NextJoinBackoff() {
  // Exponential backoff, capped, with up to 50% jitter from the node's
  // seeded generator (a cluster restarted at once does not ask in step).
  const uint64_t base = loop_->TicksFor(loop_->options.retry_join_interval);
  join_->backoff = join_->backoff == 0
                       ? base
                       : std::min(join_->backoff * 2, base * kMaxBackoffFactor);
  return join_->backoff + loop_->random->Uniform(join_->backoff / 2 + 1);
}

void Membership::SendJoinRequests() {
  nodepb::Frame f;
  nodepb::JoinRequest* req = f.mutable_join_request();
  req->set_attempt(join_->attempt);
  req->set_voter(true);
  if (join_->phase == JoinState::Phase::kAnswering) {
    req->set_challenge(join_->ciphertext);
    req->set_answer(std::string(join_->answer.view()));
  }
  // To every known peer and the leader hint: the leader may have changed
  // or died since it answered; followers point to the new one, and the
  // leader admits a node once however often it is asked.
  for (const Peer& p : join_->peers) host_->SendFrame(p.id, f);
  if (join_->leader != 0 &&
      std::none_of(join_->peers.begin(), join_->peers.end(),
                   [&](const Peer& p) { return p.id == join_->leader; })) {
    host_->SendFrame(join_->leader, f);
  }
}

void Membership::JoinTick() {
  MaybeUnsealJoined();
  if (join_ == nullptr) return;
  if (join_->unseal_waiting && loop_->now_tick >= join_->unseal_deadline) {
    SealDone w = std::move(join_->unseal_waiting);
    join_->unseal_waiting = nullptr;
    w(absl::DeadlineExceededError(absl::StrCat(
        "node: the leader did not admit this node within request_timeout; "
        "it keeps answering the join challenge",
        join_->last_error.ok()
            ? ""
            : absl::StrCat(" (last: ", join_->last_error.message(), ")"))));
  }
  // An explicit Join gives up once its caller's wait is over; after the
  // challenge of a Shamir seal, the node waits for the operator instead.
  if (join_->deadline != 0 && loop_->now_tick >= join_->deadline &&
      (join_->waiting || join_->phase == JoinState::Phase::kAsking)) {
    absl::Status late = absl::DeadlineExceededError(absl::StrCat(
        "node: no leader admitted or challenged this node within "
        "request_timeout",
        join_->last_error.ok()
            ? ""
            : absl::StrCat(" (last: ", join_->last_error.message(), ")")));
    StatusDone w = std::move(join_->waiting);
    join_.reset();
    if (w) w(late);
    return;
  }
  if (join_->phase == JoinState::Phase::kAwaitingKeys) return;
  if (loop_->now_tick < join_->next_send) return;
  join_->next_send = loop_->now_tick + NextJoinBackoff();
  SendJoinRequests();
}

void Membership::JoinFailed(absl::Status s, bool definitive) {
  join_->last_error = s;
  if (!definitive) return;  // asked again on the backoff
  if (join_->waiting) {
    StatusDone w = std::move(join_->waiting);
    join_.reset();
    w(s);
    return;
  }
  SealDone unseal = std::move(join_->unseal_waiting);
  join_->unseal_waiting = nullptr;
  if (join_->retry) {
    // retry_join: a refusal may be lifted (the cluster gets initialized, a
    // conflicting member is removed): ask again from the start. Keys
    // already derived answer the next challenge at once.
    join_->phase = JoinState::Phase::kAsking;
  } else {
    join_.reset();
  }
  if (unseal) unseal(s);
}

void Membership::OnJoinResponse(const nodepb::Frame& frame) {
  const nodepb::JoinResponse& r = frame.join_response();
  if (join_ == nullptr || r.attempt() != join_->attempt) return;
  if (r.admitted()) return OnJoinAdmitted();
  if (r.code() != 0) {
    const auto code = static_cast<absl::StatusCode>(r.code());
    absl::Status s = Prefixed(code, r.message());
    if (code == absl::StatusCode::kUnavailable) {
      // Not the leader, or no leader yet: follow the hint at once.
      if (r.leader_id() != 0 && r.leader_id() != loop_->options.id &&
          r.leader_id() != join_->leader && !r.leader_address().empty() &&
          r.leader_address().size() <= 1024) {
        join_->leader = r.leader_id();
        learned_addresses_[r.leader_id()] = r.leader_address();
        SendJoinRequests();
      }
      return JoinFailed(s, /*definitive=*/false);
    }
    return JoinFailed(s, /*definitive=*/true);
  }
  if (join_->phase != JoinState::Phase::kAsking || !r.has_challenge()) return;
  join_->leader = frame.from();
  OnJoinChallenge(r.challenge());
}

void Membership::OnJoinChallenge(const nodepb::JoinChallenge& challenge) {
  sealpb::SealConfig config;
  auto store = std::make_unique<seal::MemoryPhysicalStore>();
  for (const nodepb::Write& w : challenge.records()) {
    const bool known =
        std::find(std::begin(kJoinSealRecords), std::end(kJoinSealRecords),
                  w.key()) != std::end(kJoinSealRecords);
    if (!known) continue;
    (void)store->Put(w.key(), w.value());
    if (w.key() == kJoinSealRecords[0] && !config.ParseFromString(w.value())) {
      return JoinFailed(absl::DataLossError("node: a malformed join challenge"),
                        /*definitive=*/false);
    }
  }
  const bool cluster_auto = config.type() == "auto";
  if (cluster_auto != (loop_->options.kms != nullptr)) {
    return JoinFailed(
        absl::FailedPreconditionError(
            cluster_auto
                ? "node: the cluster auto-unseals through a Kms; configure "
                  "this node with a Kms that can unwrap its root key"
                : "node: the cluster uses the Shamir seal; this node is "
                  "configured with a Kms (open it without one to join)"),
        /*definitive=*/true);
  }
  join_->ciphertext = challenge.ciphertext();
  if (join_->barrier == nullptr || join_->barrier->sealed()) {
    join_->store = std::move(store);
    join_->barrier = std::make_unique<seal::Barrier>(join_->store.get());
    join_->seal = std::make_unique<seal::SealManager>(
        join_->store.get(), join_->barrier.get(), loop_->options.kms);
    join_->shares.clear();
  }
  if (join_->barrier->sealed() && loop_->options.kms != nullptr) {
    absl::Status s = join_->seal->AutoUnseal();
    if (!s.ok()) {
      return JoinFailed(
          absl::PermissionDeniedError(absl::StrCat(
              "node: this node's Kms cannot open the cluster's root key: ",
              s.message())),
          /*definitive=*/true);
    }
  }
  if (join_->barrier->sealed()) {
    // Shamir: Join returns; the operator's unseal shares answer.
    join_->phase = JoinState::Phase::kAwaitingKeys;
    if (join_->waiting) {
      StatusDone w = std::move(join_->waiting);
      join_->waiting = nullptr;
      w(absl::OkStatus());
    }
    return;
  }
  if (absl::Status s = AnswerJoinChallenge(); !s.ok()) {
    return JoinFailed(s, /*definitive=*/true);
  }
}

absl::Status Membership::AnswerJoinChallenge() {
  absl::StatusOr<std::string> plain = join_->barrier->Decrypt(
      JoinChallengePath(loop_->options.id), join_->ciphertext);
  if (!plain.ok()) {
    return absl::PermissionDeniedError(
        "node: the keys this node derived do not open the join challenge");
  }
  join_->answer = crypto::SecureBuffer::CopyOf(*plain);
  crypto::Wipe(plain->data(), plain->size());
  join_->phase = JoinState::Phase::kAnswering;
  join_->backoff = 0;
  join_->next_send = loop_->now_tick + NextJoinBackoff();
  SendJoinRequests();
  return absl::OkStatus();
}

void Membership::OnJoinAdmitted() {
  if (join_ == nullptr) return;
  std::unique_ptr<JoinState> j = std::move(join_);
  if (j->barrier != nullptr && !j->barrier->sealed() &&
      loop_->options.kms == nullptr) {
    join_unseal_shares_ = std::move(j->shares);
  }
  if (j->waiting) j->waiting(absl::OkStatus());
  if (j->unseal_waiting) {
    absl::StatusOr<SealStatus> st = j->seal->Status();
    if (st.ok()) {
      st->sealed = true;  // this node unseals once it has caught up
      st->progress = 0;
      st->nonce.clear();
    }
    j->unseal_waiting(st);
  }
  MaybeUnsealJoined();
}

bool Membership::JoinTakesUnsealKeys() const {
  return join_ != nullptr && join_->seal != nullptr &&
         loop_->options.kms == nullptr;
}

std::optional<SealStatus> Membership::JoinSealStatus() const {
  if (join_ == nullptr || join_->seal == nullptr) return std::nullopt;
  absl::StatusOr<SealStatus> st = join_->seal->Status();
  if (!st.ok()) return std::nullopt;
  st->sealed = true;  // the node itself: sealed until admitted, caught up
  return *st;
}

void Membership::JoinSubmitUnsealKey(const std::string& share, SealDone done) {
  if (join_->phase == JoinState::Phase::kAnswering) {
    return done(*JoinSealStatus());  // answered: waiting to be admitted
  }
  absl::StatusOr<crypto::SecureBuffer> decoded =
      seal::SealManager::DecodeShare(share);
  if (!decoded.ok()) return done(Annotate(decoded.status()));
  absl::StatusOr<SealStatus> st = join_->seal->SubmitUnsealKey(share);
  if (!st.ok()) {
    // A wrong complete set resets the attempt (as the seal does).
    if (st.status().code() == absl::StatusCode::kPermissionDenied) {
      join_->shares.clear();
    }
    return done(Annotate(st.status()));
  }
  // The seal counts a share once; so does the copy kept for the unseal.
  bool seen = false;
  for (const crypto::SecureBuffer& s : join_->shares) {
    seen = seen || s.Equals(*decoded);
  }
  if (!seen) join_->shares.push_back(*std::move(decoded));
  if (st->sealed) return done(st);
  if (absl::Status s = AnswerJoinChallenge(); !s.ok()) {
    join_->barrier->Seal();
    join_->shares.clear();
    return done(s);
  }
  join_->unseal_waiting = std::move(done);
  join_->unseal_deadline = loop_->RequestDeadline();
}

void Membership::MaybeUnsealJoined() {
  if (join_unseal_shares_.empty() || !loop_->barrier->sealed()) {
    join_unseal_shares_.clear();
    return;
  }
  absl::StatusOr<SealStatus> st = loop_->seal->Status();
  if (!st.ok() || !st->initialized) return;  // not caught up yet
  for (const crypto::SecureBuffer& share : join_unseal_shares_) {
    absl::StatusOr<SealStatus> r = loop_->seal->SubmitUnsealKey(share.view());
    // A failure (the shares were rekeyed meanwhile) leaves the node sealed
    // for the operator, as after a restart.
    if (!r.ok() || !r->sealed) break;
  }
  if (loop_->barrier->sealed()) loop_->seal->ResetUnseal();
  join_unseal_shares_.clear();
}

}  // namespace coffer::node
