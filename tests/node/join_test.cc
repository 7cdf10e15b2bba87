// Joining a cluster (Join, retry_join and the join challenge) and what a
// removed node knows, through the public API.
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "coffer/node.h"
#include "coffer/shamir.h"
#include "node/test_cluster.h"
#include "node/test_kms.h"
#include "proto/node.pb.h"
#include "support/catch.h"
#include "support/cluster_fixture.h"

namespace coffer::testing {
namespace {

bool IsVoter(Node& leader, const Caller& as, uint64_t id) {
  return Voters(leader, as).count(id) != 0;
}

bool HasMember(Node& n, const Caller& as, uint64_t id) {
  return PeerOf(n, as, id).has_value();
}

bool Removed(Node& n) {
  absl::StatusOr<SealStatus> s = n.GetSealStatus();
  return s.ok() && s->removed_from_cluster;
}

// The leader among the cluster's first three nodes (others may be joining).
uint64_t Leader3(TestCluster& c) {
  std::set<uint64_t> others;
  for (uint64_t id : c.ids()) {
    if (id > 3) others.insert(id);
  }
  return Leader(c, others);
}

// Waits until node `id` (joining) got its challenge and reports the
// cluster's Shamir seal.
bool ChallengeArrived(TestCluster& c, uint64_t id) {
  return Eventually([&] {
    absl::StatusOr<SealStatus> s = c.node(id).GetSealStatus();
    return s.ok() && s->initialized && s->sealed && s->threshold == 2;
  });
}

// Adds node 4 with retry_join set to nodes 1..3 every `interval`, and
// starts it (empty: it asks to join).
void StartRetryJoiner(TestCluster& c, absl::Duration interval) {
  c.AddId(4);
  c.tweak = [interval](NodeOptions& o) {
    if (o.id != 4) return;
    o.retry_join = PeersOf({1, 2, 3});
    o.retry_join_interval = interval;
  };
  REQUIRE(c.Start(4).ok());
}

TEST_CASE("retry_join admits a node once the operator gives it the shares",
          "[node][join]") {
  TestCluster c(3);
  std::vector<std::string> keys = StartUnsealed(c).keys;
  const uint64_t leader = c.WaitForLeader();
  REQUIRE(c.node(leader).PutRaw(c.root(), "secret/before", "b").ok());

  StartRetryJoiner(c, absl::Milliseconds(50));
  REQUIRE(ChallengeArrived(c, 4));
  absl::StatusOr<SealStatus> s = c.node(4).GetSealStatus();
  CHECK(s->shares == 3);
  CHECK(s->progress == 0);
  CHECK_FALSE(s->removed_from_cluster);

  s = c.node(4).SubmitUnsealKey(keys[1]);
  REQUIRE(s.ok());
  CHECK(s->sealed);
  CHECK(s->progress == 1);
  CHECK_FALSE(s->nonce.empty());
  s = c.node(4).SubmitUnsealKey(keys[1]);  // the same share counts once
  REQUIRE(s.ok());
  CHECK(s->progress == 1);
  s = c.node(4).SubmitUnsealKey(keys[2]);  // answers: admitted
  REQUIRE(s.ok());
  CHECK(s->progress == 0);

  // A learner first, promoted by the leader once caught up; it unseals
  // itself with the shares it was given once it has the seal records.
  REQUIRE(Eventually([&] { return IsVoter(c.node(Leader3(c)), c.root(), 4); }));
  REQUIRE(Eventually([&] { return Unsealed(c.node(4)); }));
  REQUIRE(Eventually([&] {
    absl::StatusOr<std::string> v =
        c.node(4).GetRaw(c.root(), "secret/before", ReadConsistency::kStale);
    return v.ok() && *v == "b";
  }));
  REQUIRE(c.node(4).PutRaw(c.root(), "secret/from4", "4").ok());
  CHECK(*c.node(Leader3(c)).GetRaw(c.root(), "secret/from4") == "4");

  // Restarted, it is a member with raft state: retry_join does nothing
  // and the node comes back sealed, like any other.
  c.Stop(4);
  REQUIRE(c.Start(4).ok());
  CHECK_FALSE(Unsealed(c.node(4)));
  REQUIRE(c.Unseal(4, {keys[0], keys[1]}).ok());
  CHECK(HasMember(c.node(c.WaitForLeader()), c.root(), 4));
}

TEST_CASE("retry_join keeps asking until the cluster is initialized",
          "[node][join]") {
  TestCluster c(3);
  const uint64_t leader = StartCluster(c);
  StartRetryJoiner(c, absl::Milliseconds(20));
  // Refused ("not initialized") a few times meanwhile: the backoff grows.
  absl::SleepFor(absl::Milliseconds(300));
  CHECK_FALSE(c.node(4).GetSealStatus()->initialized);

  InitializeOptions opts;
  opts.secret_shares = 3;
  opts.secret_threshold = 2;
  absl::StatusOr<InitializeResult> init = c.node(leader).Initialize(opts);
  REQUIRE(init.ok());
  c.set_root_token(init->root_token);
  REQUIRE(c.Unseal(leader, {init->keys[0], init->keys[1]}).ok());
  REQUIRE(ChallengeArrived(c, 4));
  REQUIRE(c.node(4).SubmitUnsealKey(init->keys[1]).ok());
  REQUIRE(c.node(4).SubmitUnsealKey(init->keys[2]).ok());  // admitted
  REQUIRE(Eventually([&] { return IsVoter(c.node(Leader3(c)), c.root(), 4); }));
  REQUIRE(Eventually([&] { return Unsealed(c.node(4)); }));
}

TEST_CASE("a join challenge survives a change of leader", "[node][join]") {
  TestCluster c(3);
  std::vector<std::string> keys = StartUnsealed(c).keys;
  const uint64_t old_leader = c.WaitForLeader();
  c.AddId(4);
  REQUIRE(c.Start(4).ok());
  REQUIRE(c.node(4).Join(PeersOf({1, 2, 3})).ok());
  REQUIRE(ChallengeArrived(c, 4));
  // The leader that issued the challenge dies while the operator gathers
  // the shares; any leader of the cluster can verify the answer.
  c.Stop(old_leader);
  std::set<uint64_t> ignore = {old_leader, 4};
  const uint64_t leader = Leader(c, ignore);
  REQUIRE(c.node(4).SubmitUnsealKey(keys[0]).ok());
  absl::StatusOr<SealStatus> s = c.node(4).SubmitUnsealKey(keys[1]);
  REQUIRE(s.ok());
  CHECK(s->sealed);  // admitted; unsealed once caught up
  REQUIRE(Eventually([&] { return IsVoter(c.node(leader), c.root(), 4); }));
  REQUIRE(Eventually([&] { return Unsealed(c.node(4)); }));
  REQUIRE(c.node(4).PutRaw(c.root(), "secret/after", "a").ok());
}

TEST_CASE("a wrong key set on a joining node is refused and the attempt resets",
          "[node][join]") {
  TestCluster c(3);
  std::vector<std::string> keys = StartUnsealed(c).keys;
  const uint64_t leader = c.WaitForLeader();
  c.AddId(4);
  REQUIRE(c.Start(4).ok());
  // Through a follower: it points the node to the leader.
  const uint64_t follower = c.AFollower(leader);
  REQUIRE(c.node(4).Join(PeersOf({follower})).ok());
  REQUIRE(ChallengeArrived(c, 4));

  // Shares of another secret: well formed, but not this cluster's.
  absl::StatusOr<std::vector<std::string>> other =
      ShamirSplit(std::string(32, 'x'), 3, 2);
  REQUIRE(other.ok());
  REQUIRE(c.node(4).SubmitUnsealKey((*other)[0]).ok());
  absl::StatusOr<SealStatus> s = c.node(4).SubmitUnsealKey((*other)[1]);
  REQUIRE(s.status().code() == Code::kPermissionDenied);
  s = c.node(4).GetSealStatus();
  REQUIRE(s.ok());
  CHECK(s->sealed);
  CHECK(s->progress == 0);
  CHECK_FALSE(HasMember(c.node(leader), c.root(), 4));

  // A malformed share is refused without losing progress.
  REQUIRE(c.node(4).SubmitUnsealKey(keys[0]).ok());
  CHECK(c.node(4).SubmitUnsealKey("not a share").status().code() ==
        Code::kInvalidArgument);
  CHECK(c.node(4).GetSealStatus()->progress == 1);
  REQUIRE(c.node(4).SubmitUnsealKey(keys[2]).ok());
  REQUIRE(Eventually([&] { return IsVoter(c.node(Leader3(c)), c.root(), 4); }));
  REQUIRE(Eventually([&] { return Unsealed(c.node(4)); }));
}

TEST_CASE("a join is refused with a clear reason", "[node][join]") {
  TestCluster c(3);
  StartCluster(c);
  c.AddId(4);
  REQUIRE(c.Start(4).ok());

  SECTION("bad arguments") {
    CHECK(c.node(4).Join({}).code() == Code::kInvalidArgument);
    CHECK(c.node(4).Join(PeersOf({4})).code() == Code::kInvalidArgument);
    CHECK(c.node(4).Join({Peer{1, ""}}).code() == Code::kInvalidArgument);
  }
  SECTION("a member has raft state") {
    absl::Status s = c.node(1).Join(PeersOf({2, 3}));
    CHECK(s.code() == Code::kFailedPrecondition);
    CHECK(absl::StrContains(s.message(), "raft state"));
  }
  SECTION("the cluster is not initialized") {
    absl::Status s = c.node(4).Join(PeersOf({1, 2, 3}));
    CHECK(s.code() == Code::kFailedPrecondition);
    CHECK(absl::StartsWith(s.message(), "node: "));
    CHECK(absl::StrContains(s.message(), "not initialized"));
    CHECK(c.node(4).Bootstrap(PeersOf({4})).ok());  // still an empty node
  }
  SECTION("nobody answers") {
    c.tweak = [](NodeOptions& o) { o.request_timeout = absl::Seconds(1); };
    c.Stop(4);
    REQUIRE(c.Start(4).ok());
    absl::Status s = c.node(4).Join(PeersOf({7}));
    CHECK(s.code() == Code::kDeadlineExceeded);
  }
}

TEST_CASE("a member id or address cannot join again", "[node][join]") {
  TestCluster c(3);
  StartUnsealed(c);
  uint64_t leader = c.WaitForLeader();
  const uint64_t victim = leader == 3 ? 2 : 3;
  // A member whose data directory was lost asks to join with its id (the
  // leader's raft traffic to it is held back, so it stays empty).
  c.network().DropIf([victim](uint64_t, uint64_t to, const std::string& f) {
    nodepb::Frame frame;
    return to == victim && frame.ParseFromString(f) && frame.has_raft();
  });
  c.Stop(victim);
  std::filesystem::remove_all(c.Options(victim).data_dir);
  REQUIRE(c.Start(victim).ok());
  absl::Status s = c.node(victim).Join(PeersOf({leader}));
  CHECK(s.code() == Code::kAlreadyExists);
  CHECK(absl::StrContains(s.message(), "already a member"));

  // Removed, its id is never admitted again.
  leader = c.WaitForLeader(absl::Seconds(10), {victim});
  REQUIRE(c.node(leader).RemovePeer(c.root(), victim).ok());
  s = c.node(victim).Join(PeersOf({leader}));
  CHECK(s.code() == Code::kFailedPrecondition);
  CHECK(absl::StrContains(s.message(), "was removed"));
  CHECK(c.node(leader)
            .AddPeer(c.root(), victim, TestCluster::Address(victim), false)
            .code() == Code::kFailedPrecondition);
}

TEST_CASE("a node with the cluster's Kms joins without an operator",
          "[node][join][kms]") {
  TestKms kms("k1");
  TestKms other("k2");
  TestCluster c(3);
  c.tweak = [&](NodeOptions& o) { o.kms = o.id == 5 ? &other : &kms; };
  StartUnsealed(c, Setup().AutoUnseal().ViaLeader());
  const uint64_t leader = Leader(c);
  REQUIRE(c.node(leader).PutRaw(c.root(), "secret/k", "v").ok());

  c.AddId(4);
  REQUIRE(c.Start(4).ok());
  REQUIRE(c.node(4).Join(PeersOf({1, 2, 3})).ok());  // admitted
  REQUIRE(Eventually([&] { return IsVoter(c.node(Leader3(c)), c.root(), 4); }));
  REQUIRE(Eventually([&] { return Unsealed(c.node(4)); }));
  CHECK(*c.node(4).GetRaw(c.root(), "secret/k") == "v");

  // Another Kms cannot unwrap the cluster's root key.
  c.AddId(5);
  REQUIRE(c.Start(5).ok());
  absl::Status s = c.node(5).Join(PeersOf({1, 2, 3}));
  CHECK(s.code() == Code::kPermissionDenied);
  CHECK(absl::StrContains(s.message(), "Kms"));
  CHECK_FALSE(HasMember(c.node(Leader3(c)), c.root(), 5));
}

TEST_CASE("a removed node knows it and refuses to join with its data",
          "[node][join][removal]") {
  TestCluster c(3);
  StartUnsealed(c);
  const uint64_t leader = c.WaitForLeader();
  const uint64_t gone = leader == 3 ? 2 : 3;
  CHECK_FALSE(Removed(c.node(gone)));
  REQUIRE(c.node(leader).RemovePeer(c.root(), gone).ok());
  REQUIRE(Eventually([&] { return Removed(c.node(gone)); }));

  auto check_refusals = [&] {
    absl::StatusOr<LeaderInfo> info = c.node(gone).Leader();
    CHECK(info.status().code() == Code::kFailedPrecondition);
    CHECK(
        absl::StrContains(info.status().message(), "removed from the cluster"));
    CHECK(absl::StrContains(info.status().message(), "wipe its data"));
    CHECK(c.node(gone).ListPeers(c.root()).status().code() ==
          Code::kFailedPrecondition);
    CHECK(c.node(gone).Join(PeersOf({leader})).code() ==
          Code::kFailedPrecondition);
    CHECK(c.node(gone).Bootstrap(PeersOf({gone})).code() ==
          Code::kFailedPrecondition);
    CHECK(c.node(gone).PutRaw(c.root(), "secret/x", "1").code() ==
          Code::kFailedPrecondition);
  };
  check_refusals();
  // It stays removed across a restart, with retry_join configured too.
  c.tweak = [&](NodeOptions& o) {
    if (o.id == gone) o.retry_join = PeersOf({leader});
  };
  c.Stop(gone);
  REQUIRE(c.Start(gone).ok());
  CHECK(Removed(c.node(gone)));
  check_refusals();
  CHECK(c.node(leader).ListPeers(c.root())->size() == 2);
}

TEST_CASE("a node removed while down learns it when it hears the cluster",
          "[node][join][removal]") {
  TestCluster c(3);
  StartUnsealed(c);
  const uint64_t leader = c.WaitForLeader();
  const uint64_t gone = leader == 3 ? 2 : 3;
  c.Stop(gone);
  REQUIRE(c.node(leader).RemovePeer(c.root(), gone).ok());
  REQUIRE(c.Start(gone).ok());
  CHECK_FALSE(Removed(c.node(gone)));  // it cannot know yet
  // It campaigns (nobody leads it); a member answers "not a member".
  REQUIRE(Eventually([&] { return Removed(c.node(gone)); }));
  CHECK(c.node(gone).Leader().status().code() == Code::kFailedPrecondition);
  // The others go on.
  const uint64_t now_leader = c.WaitForLeader(absl::Seconds(10), {gone});
  CHECK(now_leader != 0);
  CHECK(now_leader != gone);
}

TEST_CASE("a lagging node is never marked removed", "[node][join][removal]") {
  TestCluster c(4);
  StartUnsealed(c);
  uint64_t leader = c.WaitForLeader();
  const uint64_t lagging = Followers(c, leader).at(0);
  const uint64_t gone = Followers(c, leader).at(1);
  c.network().Isolate(lagging);
  REQUIRE(c.node(leader).RemovePeer(c.root(), gone).ok());
  REQUIRE(c.node(leader).PutRaw(c.root(), "secret/while-away", "w").ok());
  // Isolated long enough to campaign (and be refused) a few times.
  absl::SleepFor(absl::Milliseconds(800));
  c.network().Heal();
  REQUIRE(Eventually([&] {
    absl::StatusOr<std::string> v = c.node(lagging).GetRaw(
        c.root(), "secret/while-away", ReadConsistency::kStale);
    return v.ok() && *v == "w";
  }));
  CHECK_FALSE(Removed(c.node(lagging)));
  CHECK(Eventually([&] { return Removed(c.node(gone)); }));
  leader = Leader(c, {gone});
  CHECK(c.node(lagging).Leader().ok());
  CHECK(HasMember(c.node(leader), c.root(), lagging));
}

}  // namespace
}  // namespace coffer::testing
