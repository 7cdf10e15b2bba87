// Linearizable reads: ReadIndex (thesis 6.4) and lease reads (6.4.1).
#include "scenario/cluster.h"
#include "support/catch.h"

namespace coffer::raft::testing {
namespace {

TEST_CASE("ReadIndex is released after a heartbeat quorum", "[raft][read]") {
  Cluster c({1, 2, 3});
  c.Elect(1);
  REQUIRE(c[1].Propose("v1").ok());
  c.Stabilize();
  REQUIRE(c[1].ReadIndex("r1").ok());
  c.ProcessReadies();
  REQUIRE(c.node(1).read_states.empty());  // not before the round
  int heartbeats = 0;
  for (const raftpb::Message& m : c.TakeQueue()) {
    heartbeats += m.type() == raftpb::MSG_HEARTBEAT;
    c.Deliver(m);
  }
  REQUIRE(heartbeats == 2);
  c.Stabilize();
  REQUIRE(c.node(1).read_states.size() == 1);
  REQUIRE(c.node(1).read_states[0].context == "r1");
  REQUIRE(c.node(1).read_states[0].index == c[1].log().committed());
}

TEST_CASE("ReadIndex is not released by a leader cut off from its quorum",
          "[raft][read]") {
  Cluster c({1, 2, 3});
  c.Elect(1);
  c.Isolate(1);
  REQUIRE(c[1].ReadIndex("r").ok());
  c.Stabilize();
  c.TickAll(5);
  REQUIRE(c.node(1).read_states.empty());
}

TEST_CASE(
    "ReadIndex after a leader change waits for the new leader's "
    "first commit",
    "[raft][read]") {
  Cluster c({1, 2, 3});
  c.Elect(1);
  REQUIRE(c[1].Propose("v1").ok());
  c.Stabilize();
  // 2 becomes leader; its no-op is not yet replicated.
  c.DropType(raftpb::MSG_APP);
  c.Elect(2);
  REQUIRE(c[2].role() == Role::kLeader);
  uint64_t old_commit = c[2].log().committed();
  REQUIRE(c[2].ReadIndex("after-change").ok());
  c.Stabilize();
  c.TickAll(2);
  REQUIRE(c.node(2).read_states.empty());
  c.Heal();
  c.TickAll(3);
  REQUIRE(c.node(2).read_states.size() == 1);
  // The read index covers the new leader's own entry, not the stale commit.
  REQUIRE(c.node(2).read_states[0].index > old_commit);
}

TEST_CASE("ReadIndex on a follower fails with the leader hint",
          "[raft][read]") {
  Cluster c({1, 2, 3});
  c.Elect(1);
  absl::Status s = c[3].ReadIndex("x");
  REQUIRE(s.code() == absl::StatusCode::kUnavailable);
  REQUIRE(s.message() == "raft: not the leader; leader is 1");
}

TEST_CASE("a lease read is served without a heartbeat round",
          "[raft][read][lease]") {
  Cluster c({1, 2, 3}, [](Config& cfg) {
    cfg.check_quorum = true;
    cfg.read_only_option = ReadOnlyOption::kLeaseBased;
  });
  c.Elect(1);
  c.Isolate(1);  // no round trip is possible
  REQUIRE(c[1].ReadIndex("lease").ok());
  c.ProcessReadies();
  REQUIRE(c.node(1).read_states.size() == 1);
  REQUIRE(c.node(1).read_states[0].context == "lease");
}

TEST_CASE("several reads are released by one heartbeat round", "[raft][read]") {
  Cluster c({1, 2, 3});
  c.Elect(1);
  REQUIRE(c[1].ReadIndex("a").ok());
  REQUIRE(c[1].ReadIndex("b").ok());
  REQUIRE(c[1].ReadIndex("c").ok());
  c.Stabilize();
  REQUIRE(c.node(1).read_states.size() == 3);
  REQUIRE(c.node(1).read_states[2].context == "c");
}

}  // namespace
}  // namespace coffer::raft::testing
