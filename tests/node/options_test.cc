// Node::Open validates its options; Bootstrap its peer list.
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "coffer/node.h"
#include "node/test_cluster.h"
#include "support/catch.h"
#include "support/cluster_fixture.h"

namespace coffer::testing {
namespace {

TEST_CASE("Open names the bad option field", "[node][options]") {
  TestCluster c(1);
  CheckOpenNamesField(
      c,
      {
          {"options.id", [](NodeOptions& o) { o.id = 0; }},
          {"options.address", [](NodeOptions& o) { o.address.clear(); }},
          {"options.data_dir", [](NodeOptions& o) { o.data_dir.clear(); }},
          {"options.transport", [](NodeOptions& o) { o.transport = nullptr; }},
          {"options.tick",
           [](NodeOptions& o) { o.tick = absl::ZeroDuration(); }},
          {"options.heartbeat_ticks",
           [](NodeOptions& o) { o.heartbeat_ticks = 0; }},
          {"options.election_ticks",
           [](NodeOptions& o) { o.election_ticks = o.heartbeat_ticks; }},
          {"options.request_timeout",
           [](NodeOptions& o) { o.request_timeout = absl::Hours(2); }},
          {"options.max_entry_bytes",
           [](NodeOptions& o) { o.max_entry_bytes = 10; }},
          {"options.max_pending", [](NodeOptions& o) { o.max_pending = 0; }},
          {"options.snapshot_threshold",
           [](NodeOptions& o) { o.snapshot_threshold = 3; }},
          {"options.key_rotation_max_operations",
           [](NodeOptions& o) { o.key_rotation_max_operations = 63; }},
          {"options.key_rotation_max_operations",
           [](NodeOptions& o) {
             o.key_rotation_max_operations = (uint64_t{1} << 32) + 1;
           }},
      });
  REQUIRE(Node::Open(c.Options(1)).ok());
}

TEST_CASE("a data directory is used by one node at a time", "[node][options]") {
  TestCluster c(1);
  REQUIRE(c.Start(1).ok());
  absl::StatusOr<std::unique_ptr<Node>> second = Node::Open(c.Options(1));
  CHECK(second.status().code() == absl::StatusCode::kUnavailable);
}

TEST_CASE("Bootstrap checks its peer list", "[node][bootstrap]") {
  TestCluster c(2);
  REQUIRE(c.Start(1).ok());
  Node& n = c.node(1);
  using Code = absl::StatusCode;
  CHECK(n.Bootstrap({}).code() == Code::kInvalidArgument);
  CHECK(n.Bootstrap({Peer{2, "node-2"}}).code() == Code::kInvalidArgument);
  CHECK(n.Bootstrap({Peer{1, "node-1"}, Peer{1, "node-1"}}).code() ==
        Code::kInvalidArgument);
  CHECK(n.Bootstrap({Peer{1, "node-1"}, Peer{0, "x"}}).code() ==
        Code::kInvalidArgument);
  CHECK(n.Bootstrap({Peer{1, "node-1"}, Peer{2, ""}}).code() ==
        Code::kInvalidArgument);
  CHECK(n.Bootstrap({Peer{1, "elsewhere"}}).code() == Code::kInvalidArgument);
  // Nothing happens before Bootstrap: no leader, no writes.
  CHECK(n.Leader()->leader_id == 0);
  CHECK(n.PutRaw(c.root(), "secret/a", "1").code() ==
        Code::kFailedPrecondition);
  CHECK(n.Initialize({}).status().code() == Code::kUnavailable);

  REQUIRE(n.Bootstrap({Peer{1, "node-1"}}).ok());
  CHECK(n.Bootstrap({Peer{1, "node-1"}}).code() == Code::kFailedPrecondition);
  REQUIRE(c.WaitForLeader() == 1);
  absl::StatusOr<std::vector<PeerInfo>> peers = n.ListPeers(c.root());
  REQUIRE(peers.ok());
  REQUIRE(peers->size() == 1);
  CHECK(peers->front().state == "leader");
}

TEST_CASE("a closed node fails every call", "[node][lifecycle]") {
  TestCluster c(1);
  REQUIRE(c.Start(1).ok());
  Node& n = c.node(1);
  n.Close();
  n.Close();  // idempotent
  using Code = absl::StatusCode;
  CHECK(n.Leader().status().code() == Code::kFailedPrecondition);
  CHECK(n.PutRaw(c.root(), "secret/a", "1").code() ==
        Code::kFailedPrecondition);
  n.Receive("garbage");  // ignored
}

TEST_CASE("malformed frames are dropped and the node goes on",
          "[node][frames]") {
  TestCluster c(1);
  REQUIRE(StartCluster(c) == 1);
  Node& n = c.node(1);
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string junk(rng() % 64, '\0');
    for (char& ch : junk) ch = static_cast<char>(rng());
    n.Receive(junk);
  }
  n.Receive("");
  InitializeOptions opts;
  opts.secret_shares = 1;
  opts.secret_threshold = 1;
  absl::StatusOr<InitializeResult> init = n.Initialize(opts);
  REQUIRE(init.ok());
  c.set_root_token(init->root_token);
  REQUIRE(c.Unseal(1, init->keys).ok());
  CHECK(n.PutRaw(c.root(), "secret/a", "1").ok());
  CHECK(*n.GetRaw(c.root(), "secret/a") == "1");
  CHECK(n.Leader()->is_self);
}

}  // namespace
}  // namespace coffer::testing
