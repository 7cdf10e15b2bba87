// Operator operations through the public API: leadership transfer, key
// rotation and status, rekey.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "coffer/node.h"
#include "coffer/observe.h"
#include "node/test_cluster.h"
#include "seal/envelope.h"
#include "support/catch.h"
#include "support/cluster_fixture.h"

namespace coffer::testing {
namespace {

// The keyring term `n` encrypts with; 0 if it cannot say (sealed).
uint32_t TermOnNode(Node& n, const Caller& as) {
  absl::StatusOr<KeyStatus> k = n.GetKeyStatus(as);
  return k.ok() ? k->term : 0;
}

// The barrier term of the ciphertext at `path` in node `id`'s applied state.
// REQUIRES: the node is stopped.
uint32_t TermOnDisk(TestCluster& c, uint64_t id, const std::string& path) {
  StateOnDisk disk = OpenStateOnDisk(c, id);
  absl::StatusOr<std::string> v = disk.state->Get(path);
  REQUIRE(v.ok());
  absl::StatusOr<uint32_t> term = seal::EnvelopeTerm(*v);
  REQUIRE(term.ok());
  return *term;
}

TEST_CASE("leadership moves to a chosen voter and to the most caught-up one",
          "[node][ops][transfer]") {
  TestCluster c(3);
  const uint64_t leader = StartCluster(c);
  const uint64_t target = c.AFollower(leader);

  // On the leader, to a named voter: returns once the leader sees it lead.
  REQUIRE(c.node(leader).TransferLeadership(c.root(), target).ok());
  CHECK(LeaderSeenBy(c.node(leader)) == target);
  CHECK(c.WaitForLeader() == target);

  // Forwarded from a follower, to whichever voter is most caught up.
  const uint64_t via = c.AFollower(target);
  REQUIRE(Retry([&] { return c.node(via).TransferLeadership(c.root()); }).ok());
  const uint64_t next = c.WaitForLeader();
  CHECK(next != 0);
  CHECK(next != target);

  // To the leader itself: nothing to do.
  CHECK(c.node(next).TransferLeadership(c.root(), next).ok());
  CHECK(c.WaitForLeader() == next);

  // Not a member, from the leader and from a follower.
  absl::Status s = c.node(next).TransferLeadership(c.root(), 99);
  CHECK(s.code() == Code::kFailedPrecondition);
  CHECK(s.message().find("node 99 is not a voter") != absl::string_view::npos);
  CHECK(c.node(c.AFollower(next)).TransferLeadership(c.root(), 99).code() ==
        Code::kFailedPrecondition);
}

TEST_CASE("a learner cannot receive the leadership", "[node][ops][transfer]") {
  TestCluster c(3);
  const uint64_t leader = StartCluster(c);
  c.AddId(4);
  REQUIRE(c.Start(4).ok());
  REQUIRE(Retry([&] {
            return c.node(leader).AddPeer(c.root(), 4, TestCluster::Address(4),
                                          false);
          }).ok());
  CHECK(c.node(leader).TransferLeadership(c.root(), 4).code() ==
        Code::kFailedPrecondition);
  CHECK(c.WaitForLeader() == leader);
}

TEST_CASE("a transfer to a voter that is down gives up",
          "[node][ops][transfer]") {
  TestCluster c(3);
  const uint64_t leader = StartCluster(c);
  const uint64_t down = c.AFollower(leader);
  c.Stop(down);
  // The core abandons the transfer after an election timeout; the leader
  // keeps leading.
  absl::Status s = c.node(leader).TransferLeadership(c.root(), down);
  CHECK(s.code() == Code::kDeadlineExceeded);
  CHECK(s.message().find("did not complete") != absl::string_view::npos);
  CHECK(LeaderSeenBy(c.node(leader)) == leader);
  CHECK(c.WaitForLeader() == leader);
}

TEST_CASE("a leadership transfer without a leader fails with kUnavailable",
          "[node][ops][transfer]") {
  TestCluster c(3);
  const uint64_t leader = StartCluster(c);
  const uint64_t follower = c.AFollower(leader);
  // A follower cut off from the others loses its leader (the leader may
  // still run a round before it notices; check-quorum makes it step down).
  c.network().Isolate(follower);
  REQUIRE(Eventually([&] { return LeaderSeenBy(c.node(follower)) == 0; }));
  CHECK(c.node(follower).TransferLeadership(c.root(), leader).code() ==
        Code::kUnavailable);
  c.network().Heal();
}

TEST_CASE("a key rotation is adopted everywhere and old data stays readable",
          "[node][ops][rotate]") {
  TestCluster c(3);
  StartUnsealed(c);
  uint64_t leader = c.WaitForLeader();
  const uint64_t follower = c.AFollower(leader);
  REQUIRE(
      Retry([&] { return c.node(leader).PutRaw(c.root(), "old", "v1"); }).ok());
  for (uint64_t id : c.ids()) {
    REQUIRE(Eventually([&] { return TermOnNode(c.node(id), c.root()) == 1; }));
  }

  // Through a follower (forwarded to the leader).
  const absl::Time before = absl::Now();
  absl::StatusOr<KeyStatus> rotated =
      Retry([&] { return c.node(follower).RotateKey(c.root()); });
  REQUIRE(rotated.ok());
  CHECK(rotated->term == 2);
  CHECK(rotated->install_time >= before - absl::Seconds(1));
  leader = c.WaitForLeader();
  for (uint64_t id : c.ids()) {
    REQUIRE(Eventually([&] { return TermOnNode(c.node(id), c.root()) == 2; }));
    absl::StatusOr<KeyStatus> k = c.node(id).GetKeyStatus(c.root());
    REQUIRE(k.ok());
    CHECK(k->install_time == rotated->install_time);
  }

  // New writes use term 2 whichever node leads; old data still reads.
  std::vector<std::string> written;
  for (uint64_t id : c.ids()) {
    REQUIRE(Retry([&] {
              return c.node(leader).TransferLeadership(c.root(), id);
            }).ok());
    leader = c.WaitForLeader();
    REQUIRE(leader == id);
    const std::string path = "new-" + std::to_string(id);
    REQUIRE(Retry([&] {
              return c.node(leader).PutRaw(c.root(), path, "v2");
            }).ok());
    written.push_back(path);
  }
  for (uint64_t id : c.ids()) {
    CHECK(Retry([&] {
            return c.node(id).GetRaw(c.root(), "old");
          }).value_or("") == "v1");
    for (const std::string& p : written) {
      CHECK(Retry([&] {
              return c.node(id).GetRaw(c.root(), p);
            }).value_or("") == "v2");
    }
  }

  // On disk: "old" under term 1, every new record under term 2, on every
  // node; and a restart keeps the rotation.
  for (uint64_t id : c.ids()) c.Stop(id);
  for (uint64_t id : c.ids()) {
    CHECK(TermOnDisk(c, id, "old") == 1);
    for (const std::string& p : written) CHECK(TermOnDisk(c, id, p) == 2);
  }
}

TEST_CASE("a restart keeps the rotated keyring", "[node][ops][rotate]") {
  TestCluster c(3);
  const std::vector<std::string> keys = StartUnsealed(c).keys;
  const uint64_t leader = c.WaitForLeader();
  REQUIRE(
      Retry([&] { return c.node(leader).PutRaw(c.root(), "a", "1"); }).ok());
  REQUIRE(Retry([&] { return c.node(leader).RotateKey(c.root()); }).ok());
  absl::StatusOr<KeyStatus> again =
      Retry([&] { return c.node(leader).RotateKey(c.root()); });
  REQUIRE(again.ok());
  CHECK(again->term == 3);
  REQUIRE(
      Retry([&] { return c.node(leader).PutRaw(c.root(), "b", "2"); }).ok());
  for (uint64_t id : c.ids()) {
    REQUIRE(Eventually([&] { return TermOnNode(c.node(id), c.root()) == 3; }));
  }
  RestartAll(c);
  for (uint64_t id : c.ids()) {
    CHECK(c.node(id).GetKeyStatus(c.root()).status().code() ==
          Code::kFailedPrecondition);  // sealed
    REQUIRE(c.Unseal(id, {keys[1], keys[2]}).ok());
    CHECK(TermOnNode(c.node(id), c.root()) == 3);
    // Stale reads: each node decrypts with its own keyring (a linearizable
    // one would go to a leader that may still be sealed).
    CHECK(StaleReads(c.node(id), c.root(), "a", "1"));
    CHECK(StaleReads(c.node(id), c.root(), "b", "2"));
  }
}

TEST_CASE("a rotation that is never committed changes no node",
          "[node][ops][rotate]") {
  TestCluster c(3);
  StartUnsealed(c);
  const uint64_t leader = c.WaitForLeader();
  REQUIRE(
      Retry([&] { return c.node(leader).PutRaw(c.root(), "a", "1"); }).ok());
  c.network().Isolate(leader);
  absl::StatusOr<KeyStatus> r = c.node(leader).RotateKey(c.root());
  CHECK_FALSE(r.ok());
  // The isolated leader did not adopt the keyring it proposed.
  CHECK(TermOnNode(c.node(leader), c.root()) == 1);
  c.network().Heal();
  const uint64_t now = c.WaitForLeader();
  REQUIRE(now != 0);
  REQUIRE(Retry([&] { return c.node(now).PutRaw(c.root(), "b", "2"); }).ok());
  for (uint64_t id : c.ids()) {
    CHECK(Eventually([&] { return TermOnNode(c.node(id), c.root()) == 1; }));
    CHECK(Retry([&] {
            return c.node(id).GetRaw(c.root(), "a");
          }).value_or("") == "1");
    CHECK(StaleReads(c.node(id), c.root(), "b", "2"));
  }
}

// Every node's keyring term, once they agree; 0 if they never do.
uint32_t AgreedTerm(TestCluster& c) {
  uint32_t term = 0;
  const bool agreed = Eventually([&] {
    const uint32_t first = TermOnNode(c.node(c.ids().front()), c.root());
    for (uint64_t id : c.ids()) {
      if (TermOnNode(c.node(id), c.root()) != first) return false;
    }
    term = first;
    return true;
  });
  return agreed ? term : 0;
}

TEST_CASE("the leader rotates by itself after key_rotation_max_operations",
          "[node][ops][rotate]") {
  TestCluster c(3);
  c.tweak = [](NodeOptions& o) { o.key_rotation_max_operations = 64; };
  StartUnsealed(c);
  PutRawMany(c.node(c.WaitForLeader()), c.root(), "k", 100);
  // Adopted everywhere once applied; the data under both terms reads.
  CHECK(AgreedTerm(c) >= 2);
  for (uint64_t id : c.ids()) {
    for (int i = 0; i < 100; i += 9) {
      CHECK(StaleReads(c.node(id), c.root(), "k" + std::to_string(i), "v"));
    }
  }
}

TEST_CASE("an automatic rotation that is never committed changes no node",
          "[node][ops][rotate]") {
  TestCluster c(3);
  c.tweak = [](NodeOptions& o) {
    o.key_rotation_max_operations = 64;
    o.request_timeout = absl::Seconds(1);
  };
  StartUnsealed(c);
  const uint64_t leader = c.WaitForLeader();
  // Up to the limit: the leader's next encryption rotates.
  for (int i = 0;; ++i) {
    absl::StatusOr<KeyStatus> k = c.node(leader).GetKeyStatus(c.root());
    REQUIRE(k.ok());
    REQUIRE(k->term == 1);
    if (k->encryptions >= 64) break;
    const std::string path = "a" + std::to_string(i);
    REQUIRE(
        Retry([&] { return c.node(leader).PutRaw(c.root(), path, "1"); }).ok());
  }
  c.network().Isolate(leader);
  CHECK_FALSE(c.node(leader).PutRaw(c.root(), "lost", "x").ok());
  // The isolated leader did not adopt the keyring its write carried.
  CHECK(TermOnNode(c.node(leader), c.root()) == 1);
  c.network().Heal();
  REQUIRE(c.WaitForLeader() != 0);
  // Leading again, it writes what every node decrypts.
  REQUIRE(
      Retry([&] {
        return c.node(c.WaitForLeader()).TransferLeadership(c.root(), leader);
      }).ok());
  REQUIRE(c.WaitForLeader() == leader);
  REQUIRE(
      Retry([&] { return c.node(leader).PutRaw(c.root(), "b", "2"); }).ok());
  CHECK(AgreedTerm(c) >= 1);
  for (uint64_t id : c.ids()) {
    CHECK(StaleReads(c.node(id), c.root(), "a0", "1"));
    CHECK(StaleReads(c.node(id), c.root(), "b", "2"));
    CHECK(c.node(id)
              .GetRaw(c.root(), "lost", ReadConsistency::kStale)
              .status()
              .code() == Code::kNotFound);
  }
}

TEST_CASE("rotation and key status need an unsealed node",
          "[node][ops][rotate]") {
  TestCluster c(3);
  StartUnsealed(c);
  const auto [leader, follower] = LeaderAndFollower(c);
  REQUIRE(c.node(follower).Seal(c.root()).ok());
  CHECK(c.node(follower).RotateKey(c.root()).status().code() ==
        Code::kFailedPrecondition);
  CHECK(c.node(follower).GetKeyStatus(c.root()).status().code() ==
        Code::kFailedPrecondition);
  REQUIRE(c.node(leader).Seal(c.root()).ok());
  const uint64_t other = Followers(c, leader).at(1);
  // The leader is sealed: a forwarded rotation is refused there.
  CHECK(Retry([&] { return c.node(other).RotateKey(c.root()); })
            .status()
            .code() == Code::kFailedPrecondition);
}

TEST_CASE("rekey replaces the unseal shares on every node",
          "[node][ops][rekey]") {
  TestCluster c(3);
  const std::vector<std::string> old_keys = StartUnsealed(c).keys;
  const auto [leader, follower] = LeaderAndFollower(c);
  REQUIRE(
      Retry([&] { return c.node(leader).PutRaw(c.root(), "a", "1"); }).ok());

  // Wrong current shares: a well-formed share of another secret.
  const std::string wrong(66, 'a');
  absl::StatusOr<std::vector<std::string>> bad =
      c.node(follower).Rekey({old_keys[0], wrong}, 5, 3);
  CHECK(bad.status().code() == Code::kPermissionDenied);
  CHECK(c.node(follower).Rekey({old_keys[0]}, 5, 3).status().code() ==
        Code::kInvalidArgument);  // too few
  CHECK(c.node(follower)
            .Rekey({old_keys[0], old_keys[1]}, 2, 3)
            .status()
            .code() == Code::kInvalidArgument);  // threshold above shares

  // Nothing changed: the old shares still unseal.
  REQUIRE(c.node(follower).Seal(c.root()).ok());
  REQUIRE(c.Unseal(follower, {old_keys[0], old_keys[2]}).ok());

  absl::StatusOr<std::vector<std::string>> fresh = Retry([&] {
    return c.node(follower).Rekey({old_keys[1], old_keys[2]}, 5, 3);
  });
  REQUIRE(fresh.ok());
  REQUIRE(fresh->size() == 5);
  for (const std::string& k : *fresh) CHECK(k.size() == 66);
  for (uint64_t id : c.ids()) {
    REQUIRE(Eventually([&] {
      absl::StatusOr<SealStatus> s = c.node(id).GetSealStatus();
      return s.ok() && s->shares == 5 && s->threshold == 3;
    }));
  }

  // Seal and restart everything: the old shares no longer work, the new
  // ones unseal every node.
  for (uint64_t id : c.ids()) REQUIRE(c.node(id).Seal(c.root()).ok());
  RestartAll(c);
  for (uint64_t id : c.ids()) {
    absl::Status s = c.Unseal(id, old_keys);
    CHECK(s.code() == Code::kPermissionDenied);
    REQUIRE(c.Unseal(id, {(*fresh)[4], (*fresh)[0], (*fresh)[2]}).ok());
    CHECK(StaleReads(c.node(id), c.root(), "a", "1"));
  }
}

// Counts snapshot installs (the only metric this test needs).
class InstallCounter final : public MetricsSink {
 public:
  void Counter(absl::string_view name, uint64_t delta) override {
    if (name == "raft.snapshot_installs") installs += delta;
  }
  void Gauge(absl::string_view, double) override {}
  void Timing(absl::string_view, absl::Duration) override {}
  std::atomic<uint64_t> installs{0};
};

TEST_CASE("a follower that misses a rotation adopts it from a snapshot",
          "[node][ops][rotate]") {
  InstallCounter counter;
  TestCluster c(3);
  c.tweak = [&](NodeOptions& o) {
    o.snapshot_threshold = 16;
    o.trailing_logs = 0;
    o.metrics = &counter;
  };
  StartUnsealed(c);
  const auto [leader, follower] = LeaderAndFollower(c);
  // The follower stays unsealed with term 1 while the cluster rotates and
  // compacts the rotation out of the log.
  c.network().Isolate(follower);
  REQUIRE(Retry([&] { return c.node(leader).RotateKey(c.root()); }).ok());
  PutRawMany(c.node(leader), c.root(), "k", 40);
  CHECK(TermOnNode(c.node(follower), c.root()) == 1);
  const uint64_t installs = counter.installs;
  c.network().Heal();
  REQUIRE(Eventually([&] { return counter.installs > installs; }));
  REQUIRE(
      Eventually([&] { return TermOnNode(c.node(follower), c.root()) == 2; }));
  CHECK(Eventually([&] {
    return c.node(follower)
               .GetRaw(c.root(), "k39", ReadConsistency::kStale)
               .value_or("") == "v";
  }));
}

}  // namespace
}  // namespace coffer::testing
