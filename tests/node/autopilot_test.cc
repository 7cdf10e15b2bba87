// Autopilot through the public API: the leader's view of each peer's last
// contact, and dead server cleanup (opt-in) that never goes below
// min_quorum voters.
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "coffer/node.h"
#include "node/test_cluster.h"
#include "support/catch.h"
#include "support/cluster_fixture.h"

namespace coffer::testing {
namespace {

// How long ago `id` last answered `leader`, as the leader lists it.
absl::Duration LastContactOf(Node& leader, const Caller& as, uint64_t id) {
  const std::optional<PeerInfo> p = PeerOf(leader, as, id);
  return p.has_value() ? p->last_contact : absl::ZeroDuration();
}

TEST_CASE("the leader reports how long ago each peer answered",
          "[node][autopilot]") {
  TestCluster c(3);
  const uint64_t leader = StartCluster(c);
  absl::StatusOr<std::vector<PeerInfo>> peers =
      c.node(leader).ListPeers(c.root());
  INFO(peers.status());
  REQUIRE(peers.ok());
  for (const PeerInfo& p : *peers) {
    if (p.id == leader) CHECK(p.last_contact == absl::ZeroDuration());
    CHECK(p.last_contact >= absl::ZeroDuration());
  }
  const uint64_t follower = c.AFollower(leader);
  // A follower reports no contact times: that is the leader's view.
  absl::StatusOr<std::vector<PeerInfo>> seen =
      c.node(follower).ListPeers(c.root());
  REQUIRE(seen.ok());
  for (const PeerInfo& p : *seen) CHECK(p.last_contact == absl::ZeroDuration());
  // Live peers answer every heartbeat; a stopped one's time keeps growing.
  c.Stop(follower);
  REQUIRE(Eventually([&] {
    return LastContactOf(c.node(leader), c.root(), follower) >
           absl::Milliseconds(500);
  }));
  const uint64_t other = 6 - leader - follower;
  CHECK(LastContactOf(c.node(leader), c.root(), other) <
        LastContactOf(c.node(leader), c.root(), follower));
}

TEST_CASE("dead server cleanup removes dead voters down to min_quorum",
          "[node][autopilot]") {
  TestCluster c(5);
  c.tweak = [](NodeOptions& o) {
    o.cleanup_dead_servers = true;
    // Well above any stall of a live node on a loaded machine.
    o.dead_server_last_contact_threshold = absl::Seconds(1);
    o.min_quorum = 3;
  };
  uint64_t leader = StartCluster(c);
  const std::vector<uint64_t> followers = Followers(c, leader);
  // One dead voter of five: removed (four remain).
  c.Stop(followers[0]);
  REQUIRE(Eventually([&] {
    return Voters(c.node(leader), c.root()) ==
           std::set<uint64_t>{leader, followers[1], followers[2], followers[3]};
  }));
  // Another: removed too (three remain, the minimum).
  c.Stop(followers[1]);
  REQUIRE(Eventually([&] {
    return Voters(c.node(leader), c.root()).size() == 3 &&
           Voters(c.node(leader), c.root()).count(followers[1]) == 0;
  }));
  // A third is dead but stays: removing it would leave two voters.
  c.Stop(followers[2]);
  REQUIRE(Eventually([&] {
    return LastContactOf(c.node(leader), c.root(), followers[2]) >
           absl::Seconds(3);
  }));
  CHECK(Voters(c.node(leader), c.root()) ==
        std::set<uint64_t>{leader, followers[2], followers[3]});
  // The two live voters still make a quorum of three.
  REQUIRE(c.node(leader).Leader()->is_self);
}

TEST_CASE("without cleanup_dead_servers a dead voter stays",
          "[node][autopilot]") {
  TestCluster c(3);
  c.tweak = [](NodeOptions& o) {
    // Three election timeouts (300 ms at the tests' 10 ms tick).
    o.dead_server_last_contact_threshold = 3 * o.tick * o.election_ticks;
    o.min_quorum = 1;
  };
  const uint64_t leader = StartCluster(c);
  const uint64_t follower = c.AFollower(leader);
  c.Stop(follower);
  REQUIRE(Eventually([&] {
    return LastContactOf(c.node(leader), c.root(), follower) >
           absl::Milliseconds(900);
  }));
  CHECK(Voters(c.node(leader), c.root()).size() == 3);
}

}  // namespace
}  // namespace coffer::testing

namespace coffer::testing {
namespace {

TEST_CASE("Open names a bad join or autopilot option", "[node][options]") {
  TestCluster c(1);
  CheckOpenNamesField(
      c, {
             {"options.retry_join",
              [](NodeOptions& o) {
                o.retry_join = {Peer{o.id, "self"}};
              }},
             {"options.retry_join",
              [](NodeOptions& o) {
                o.retry_join = {Peer{2, "a"}, Peer{2, "b"}};
              }},
             {"options.retry_join",
              [](NodeOptions& o) {
                o.retry_join = {Peer{2, ""}};
              }},
             {"options.retry_join_interval",
              [](NodeOptions& o) {
                o.retry_join_interval = absl::ZeroDuration();
              }},
             {"options.dead_server_last_contact_threshold",
              [](NodeOptions& o) {
                o.dead_server_last_contact_threshold =
                    o.tick * o.election_ticks;
              }},
             {"options.min_quorum", [](NodeOptions& o) { o.min_quorum = 0; }},
         });
}

}  // namespace
}  // namespace coffer::testing
