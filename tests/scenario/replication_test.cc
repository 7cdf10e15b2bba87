// Log replication: Raft paper 5.3 (log matching, repair of follower logs,
// Figure 7), 5.4.2 (Figure 8), flow control and proposal errors.
#include <algorithm>

#include "scenario/cluster.h"
#include "support/catch.h"

namespace coffer::raft::testing {
namespace {

// Figure 7: the leader for term 8 and the six follower logs (a)-(f).
const std::vector<uint64_t> kFig7Leader = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6};

void RepairFollower(const std::vector<uint64_t>& follower) {
  Cluster c({1, 2, 3});
  uint64_t follower_term = *std::max_element(follower.begin(), follower.end());
  c.SeedLog(1, {1, 2, 3}, kFig7Leader, 7);
  c.SeedLog(2, {1, 2, 3}, follower, std::max<uint64_t>(follower_term, 7));
  c.SeedLog(3, {1, 2, 3}, kFig7Leader, 7);
  // Only the leader's log is checked; keep 2 out of the election.
  c.Isolate(2);
  c.Elect(1);
  REQUIRE(c[1].role() == Role::kLeader);
  c.Heal();
  // A follower with a higher term than the leader (case d) first forces a
  // new term; let the cluster settle on a leader with the leader's log.
  for (int i = 0; i < 300; ++i) {
    c.TickAll();
    if (c.Leader() != 0 && c[2].log().LastIndex() == c[1].log().LastIndex() &&
        c[2].log().committed() == c[1].log().LastIndex()) {
      break;
    }
  }
  uint64_t l = c.Leader();
  REQUIRE((l == 1 || l == 3));
  std::vector<uint64_t> want = LogTerms(c[l]);
  REQUIRE(LogTerms(c[2]) == want);
  // The leader's entries 1..10 survive in every log.
  std::vector<uint64_t> prefix(want.begin(), want.begin() + 10);
  REQUIRE(prefix == kFig7Leader);
}

TEST_CASE("figure 7 (a): a follower missing one entry is caught up",
          "[raft][replication][figure7]") {
  RepairFollower({1, 1, 1, 4, 4, 5, 5, 6, 6});
}
TEST_CASE("figure 7 (b): a follower missing many entries is caught up",
          "[raft][replication][figure7]") {
  RepairFollower({1, 1, 1, 4});
}
TEST_CASE(
    "figure 7 (c): a follower's extra entry of the leader's term is "
    "overwritten",
    "[raft][replication][figure7]") {
  RepairFollower({1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6});
}
TEST_CASE(
    "figure 7 (d): a follower's extra entries of a later term are "
    "overwritten",
    "[raft][replication][figure7]") {
  RepairFollower({1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7});
}
TEST_CASE("figure 7 (e): a follower's conflicting term-4 suffix is replaced",
          "[raft][replication][figure7]") {
  RepairFollower({1, 1, 1, 4, 4, 4, 4});
}
TEST_CASE(
    "figure 7 (f): a follower with entries of terms 2 and 3 is "
    "repaired",
    "[raft][replication][figure7]") {
  RepairFollower({1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3});
}

TEST_CASE("fast backtracking skips a conflicting term per round trip",
          "[raft][replication]") {
  Cluster c({1, 2, 3});
  std::vector<uint64_t> leader(3, 1);
  std::vector<uint64_t> follower(3, 1);
  for (int i = 0; i < 50; ++i) leader.push_back(2);
  for (int i = 0; i < 60; ++i) follower.push_back(3);
  c.SeedLog(1, {1, 2, 3}, leader, 4);
  c.SeedLog(2, {1, 2, 3}, follower, 4);
  c.SeedLog(3, {1, 2, 3}, leader, 4);
  c.Isolate(2);
  c.Elect(1);
  c.Heal();
  int rejections = 0;
  for (int round = 0; round < 20; ++round) {
    c.Tick(1);
    c.ProcessReadies();
    for (const raftpb::Message& m : c.TakeQueue()) {
      if (m.type() == raftpb::MSG_APP_RESP && m.reject()) ++rejections;
      c.Deliver(m);
    }
    c.Stabilize();
  }
  REQUIRE(LogTerms(c[2]) == LogTerms(c[1]));
  // One entry at a time would take about 60 rejections.
  REQUIRE(rejections <= 3);
}

TEST_CASE("a proposal commits once a majority stores it",
          "[raft][replication]") {
  Cluster c({1, 2, 3});
  c.Elect(1);
  c.Isolate(3);
  auto id = c[1].Propose("hello");
  REQUIRE(id.ok());
  c.Stabilize();
  REQUIRE(c[1].log().committed() == id->index);
  REQUIRE(AppliedData(c.node(1)) == std::vector<std::string>{"hello"});
  REQUIRE(AppliedData(c.node(2)) == std::vector<std::string>{"hello"});
  REQUIRE(AppliedData(c.node(3)).empty());
  c.Heal();
  c.TickAll(3);
  REQUIRE(AppliedData(c.node(3)) == std::vector<std::string>{"hello"});
}

TEST_CASE("a leader sends its entries before writing them; nothing else does",
          "[raft][replication]") {
  Cluster c({1, 2, 3});
  // A candidate's term and vote must be written before it asks for votes.
  for (int i = 0; i < 100 && c[1].role() == Role::kFollower; ++i) c.Tick(1);
  Ready rd = c[1].GetReady();
  REQUIRE(c[1].role() == Role::kCandidate);
  REQUIRE_FALSE(rd.messages.empty());
  REQUIRE_FALSE(rd.send_before_save);
  REQUIRE(c.node(1).storage.Save(*rd.hard_state, rd.entries, true).ok());
  c[1].Advance();
  for (const raftpb::Message& m : rd.messages) c.Deliver(m);
  c.Stabilize();
  REQUIRE(c.Leader() == 1);
  REQUIRE(c[1].Propose("x").ok());
  rd = c[1].GetReady();
  REQUIRE(rd.send_before_save);
  REQUIRE(rd.must_sync);
  REQUIRE(rd.entries.size() == 1);
  REQUIRE(rd.messages.size() == 2);
  // Its own copy does not count before Advance: not even with a follower's
  // acknowledgement would it be committed by the leader alone.
  REQUIRE(c[1].GetStatus().progress.at(1).match < rd.entries[0].index());
  REQUIRE(c.node(1)
              .storage
              .Save(rd.hard_state.value_or(raftpb::HardState()), rd.entries,
                    /*sync=*/true)
              .ok());
  c[1].Advance();
  c[1].CheckInvariants();
  REQUIRE(c[1].GetStatus().progress.at(1).match == c[1].log().LastIndex());
}

TEST_CASE(
    "a leader that crashes after sending an entry but before writing it "
    "loses nothing acknowledged",
    "[raft][replication]") {
  Cluster c({1, 2, 3});
  c.Elect(1);
  REQUIRE(c[1].Propose("sent, not written").ok());
  Ready rd = c[1].GetReady();
  REQUIRE(rd.send_before_save);
  std::vector<raftpb::Message> sent = rd.messages;
  c.Crash(1);  // before its Save: the entry is only on the followers
  for (const raftpb::Message& m : sent) c.Deliver(m);
  c.Stabilize();
  c.Restart(1);
  c.Elect(2);
  c.TickAll(5);
  REQUIRE(c.Leader() != 1);
  for (uint64_t id : {1, 2, 3}) {
    std::vector<std::string> data = AppliedData(c.node(id));
    REQUIRE(std::count(data.begin(), data.end(), "sent, not written") == 1);
  }
}

TEST_CASE(
    "a leader's entries written but not durable count once Persisted says "
    "so",
    "[raft][replication]") {
  Cluster c({1, 2, 3});
  c.Elect(1);
  c.Isolate(3);  // the quorum is the leader and node 2
  auto id = c[1].Propose("x");
  REQUIRE(id.ok());
  Ready rd = c[1].GetReady();
  REQUIRE(rd.send_before_save);
  REQUIRE(c.node(1)
              .storage
              .Save(rd.hard_state.value_or(raftpb::HardState()), rd.entries,
                    /*sync=*/false)
              .ok());
  c[1].AdvanceWithoutPersisting();
  c[1].CheckInvariants();
  for (const raftpb::Message& m : rd.messages) {
    if (m.to() == 2) c.Deliver(m);
  }
  c.Stabilize();
  // Node 2 stored it; the leader's own copy does not count yet.
  REQUIRE(c[2].log().LastIndex() >= id->index);
  REQUIRE(c[1].log().committed() < id->index);
  c[1].Persisted(id->index, id->term);
  REQUIRE(c[1].log().committed() == id->index);
  c.Stabilize();
  REQUIRE(AppliedData(c.node(2)) == std::vector<std::string>{"x"});
  // A stale notice (another term's entry) changes nothing.
  c[1].Persisted(id->index, id->term + 1);
  c[1].CheckInvariants();
}

TEST_CASE("a proposal without a majority is not committed",
          "[raft][replication]") {
  Cluster c({1, 2, 3});
  c.Elect(1);
  c.Isolate(1);
  auto id = c[1].Propose("lonely");
  REQUIRE(id.ok());
  c.Stabilize();
  REQUIRE(c[1].log().committed() < id->index);
  REQUIRE(AppliedData(c.node(1)).empty());
}

TEST_CASE(
    "figure 8: an older term's entry is not committed by counting "
    "replicas",
    "[raft][replication][figure8]") {
  // State (c) of Figure 8: S1 held index 2 from term 2, S5 index 2 from
  // term 3. S1 wins term 4 and brings S2 and S3 to index 2.
  Cluster c({1, 2, 3, 4, 5});
  c.SeedLog(1, {1, 2, 3, 4, 5}, {1, 2}, 3);
  c.SeedLog(2, {1, 2, 3, 4, 5}, {1, 2}, 2);
  c.SeedLog(3, {1, 2, 3, 4, 5}, {1}, 3);
  c.SeedLog(4, {1, 2, 3, 4, 5}, {1}, 3);
  c.SeedLog(5, {1, 2, 3, 4, 5}, {1, 3}, 3);
  c.Isolate(5);
  c.DropType(raftpb::MSG_APP);
  c.Elect(1);
  REQUIRE(c[1].role() == Role::kLeader);
  REQUIRE(c[1].term() == 4);
  REQUIRE(c[1].log().LastIndex() == 3);  // its no-op of term 4
  auto ack = [&](uint64_t from, uint64_t index) {
    raftpb::Message m;
    m.set_type(raftpb::MSG_APP_RESP);
    m.set_from(from);
    m.set_to(1);
    m.set_term(4);
    m.set_index(index);
    c.Deliver(m);
  };
  // Index 2 (term 2) is now on S1, S2 and S3: a majority of five.
  ack(2, 2);
  ack(3, 2);
  REQUIRE(c[1].log().committed() < 2);
  // Once an entry of term 4 is on a majority, both commit.
  ack(2, 3);
  ack(3, 3);
  REQUIRE(c[1].log().committed() == 3);
}

TEST_CASE("a partitioned old leader cannot commit",
          "[raft][replication][partition]") {
  Cluster c({1, 2, 3, 4, 5});
  c.Elect(1);
  // 1 and 2 on one side; 3, 4 and 5 elect a new leader.
  for (uint64_t a : {1, 2}) {
    for (uint64_t b : {3, 4, 5}) c.Cut(a, b);
  }
  auto stale = c[1].Propose("stale");
  REQUIRE(stale.ok());
  c.Elect(3);
  REQUIRE(c[3].role() == Role::kLeader);
  REQUIRE(c[3].Propose("fresh").ok());
  c.Stabilize();
  c.TickAll(5);
  REQUIRE(c[1].log().committed() < stale->index);
  REQUIRE(AppliedData(c.node(1)).empty());
  c.Heal();
  c.TickAll(5);
  REQUIRE(c[1].role() == Role::kFollower);
  for (uint64_t id : {1, 2, 4, 5}) {
    REQUIRE(AppliedData(c.node(id)) == std::vector<std::string>{"fresh"});
    REQUIRE(LogTerms(c[id]) == LogTerms(c[3]));
  }
}

TEST_CASE("proposals are batched into few AppendEntries",
          "[raft][replication][flow]") {
  Cluster c({1, 2, 3}, [](Config& cfg) { cfg.max_size_per_msg = 64 << 10; });
  c.Elect(1);
  c.Isolate(2);
  c.Isolate(3);
  for (int i = 0; i < 100; ++i)
    REQUIRE(c[1].Propose(std::string(64, 'x')).ok());
  c.ProcessReadies();
  c.TakeQueue();
  c.Heal();
  c.Tick(1);  // heartbeat; the replies trigger the catch-up
  int apps = 0;
  for (int round = 0; round < 20; ++round) {
    c.ProcessReadies();
    for (const raftpb::Message& m : c.TakeQueue()) {
      if (m.type() == raftpb::MSG_APP && m.entries_size() > 0) ++apps;
      c.Deliver(m);
    }
  }
  REQUIRE(c[2].log().LastIndex() == c[1].log().LastIndex());
  REQUIRE(apps <= 4);  // one batch per follower (plus probes)
}

TEST_CASE("the in-flight window bounds unacknowledged appends",
          "[raft][replication][flow]") {
  Cluster c({1, 2, 3}, [](Config& cfg) {
    cfg.max_inflight_msgs = 2;
    cfg.max_size_per_msg = 1;  // one entry per message
  });
  c.Elect(1);
  c.DropType(raftpb::MSG_APP_RESP);
  for (int i = 0; i < 10; ++i) REQUIRE(c[1].Propose("p").ok());
  c.ProcessReadies();
  int to2 = 0;
  for (const raftpb::Message& m : c.TakeQueue()) {
    if (m.type() == raftpb::MSG_APP && m.to() == 2) ++to2;
  }
  REQUIRE(to2 == 2);
  REQUIRE(c[1].GetStatus().progress.at(2).state == ProgressState::kReplicate);
}

TEST_CASE("proposals beyond the uncommitted-bytes bound are refused",
          "[raft][replication][flow]") {
  Cluster c({1, 2, 3},
            [](Config& cfg) { cfg.max_uncommitted_entries_size = 1000; });
  c.Elect(1);
  c.Isolate(1);
  int accepted = 0;
  absl::Status last;
  for (int i = 0; i < 50; ++i) {
    auto r = c[1].Propose(std::string(100, 'x'));
    if (r.ok()) {
      ++accepted;
    } else {
      last = r.status();
    }
  }
  REQUIRE(accepted == 10);
  REQUIRE(last.code() == absl::StatusCode::kResourceExhausted);
  REQUIRE(last.message().substr(0, 6) == "raft: ");
  // Once they commit, the budget is free again.
  c.Heal();
  c.TickAll(3);
  REQUIRE(c[1].Propose(std::string(100, 'x')).ok());
}

TEST_CASE("a proposal on a follower fails fast with the leader hint",
          "[raft][replication][errors]") {
  Cluster c({1, 2, 3});
  c.Elect(1);
  auto r = c[2].Propose("x");
  REQUIRE(r.status().code() == absl::StatusCode::kUnavailable);
  REQUIRE(r.status().message() == "raft: not the leader; leader is 1");
}

TEST_CASE("a proposal with no leader fails with kUnavailable",
          "[raft][replication][errors]") {
  Cluster c({1, 2, 3});
  auto r = c[2].Propose("x");
  REQUIRE(r.status().code() == absl::StatusCode::kUnavailable);
  REQUIRE(r.status().message() == "raft: no leader");
}

TEST_CASE("entries survive a restart of every node",
          "[raft][replication][persistence]") {
  Cluster c({1, 2, 3});
  c.Elect(1);
  for (int i = 0; i < 5; ++i)
    REQUIRE(c[1].Propose("e" + std::to_string(i)).ok());
  c.Stabilize();
  for (uint64_t id : {1, 2, 3}) c.Restart(id);
  for (int i = 0; i < 100 && c.Leader() == 0; ++i) c.TickAll();
  c.TickAll(2);
  for (uint64_t id : {1, 2, 3}) {
    REQUIRE(AppliedData(c.node(id)) ==
            std::vector<std::string>{"e0", "e1", "e2", "e3", "e4"});
  }
}

}  // namespace
}  // namespace coffer::raft::testing
