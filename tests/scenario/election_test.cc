// Leader election: Raft paper 5.2, 5.4.1; thesis 4.2.3 (disruptive servers),
// 6.2 (check-quorum), 9.6 (pre-vote).
#include "scenario/cluster.h"
#include "support/catch.h"

namespace coffer::raft::testing {
namespace {

raftpb::Message Vote(uint64_t from, uint64_t to, uint64_t term,
                     uint64_t last_index, uint64_t last_term) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_VOTE);
  m.set_from(from);
  m.set_to(to);
  m.set_term(term);
  m.set_index(last_index);
  m.set_log_term(last_term);
  return m;
}

// The vote responses `c` queued, as from -> granted.
std::map<uint64_t, bool> VoteReplies(Cluster& c, uint64_t to) {
  std::map<uint64_t, bool> out;
  for (const raftpb::Message& m : c.TakeQueue()) {
    if (m.to() == to && m.type() == raftpb::MSG_VOTE_RESP) {
      out[m.from()] = !m.reject();
    }
  }
  return out;
}

TEST_CASE("a leader is elected in one round", "[raft][election]") {
  Cluster c({1, 2, 3});
  c.Elect(1);
  REQUIRE(c[1].role() == Role::kLeader);
  REQUIRE(c[1].term() == 2);
  for (uint64_t id : {2, 3}) {
    REQUIRE(c[id].role() == Role::kFollower);
    REQUIRE(c[id].lead() == 1);
    REQUIRE(c[id].term() == 2);
  }
}

TEST_CASE("a node grants at most one vote per term", "[raft][election]") {
  Cluster c({1, 2, 3});
  uint64_t last = c[3].log().LastIndex();
  REQUIRE(c[3].Step(Vote(1, 3, 5, last, 1)).ok());
  c.ProcessReadies();
  REQUIRE(VoteReplies(c, 1)[3]);
  REQUIRE(c[3].Step(Vote(2, 3, 5, last, 1)).ok());
  c.ProcessReadies();
  REQUIRE_FALSE(VoteReplies(c, 2)[3]);
  // A repeated request from the same candidate is granted again.
  REQUIRE(c[3].Step(Vote(1, 3, 5, last, 1)).ok());
  c.ProcessReadies();
  REQUIRE(VoteReplies(c, 1)[3]);
}

TEST_CASE("a vote is persisted before the reply leaves", "[raft][election]") {
  Cluster c({1, 2, 3});
  REQUIRE(c[3].Step(Vote(1, 3, 5, c[3].log().LastIndex(), 1)).ok());
  Ready rd = c[3].GetReady();
  REQUIRE(rd.hard_state.has_value());
  REQUIRE(rd.hard_state->voted_for() == 1);
  REQUIRE(rd.hard_state->term() == 5);
  REQUIRE(rd.must_sync);
  REQUIRE(rd.messages.size() == 1);
  c[3].Advance();
}

TEST_CASE("a vote survives a restart", "[raft][election]") {
  Cluster c({1, 2, 3});
  uint64_t last = c[3].log().LastIndex();
  REQUIRE(c[3].Step(Vote(1, 3, 5, last, 1)).ok());
  c.ProcessReadies();
  c.TakeQueue();
  c.Restart(3);
  REQUIRE(c[3].term() == 5);
  REQUIRE(c[3].Step(Vote(2, 3, 5, last, 1)).ok());
  c.ProcessReadies();
  REQUIRE_FALSE(VoteReplies(c, 2)[3]);
}

TEST_CASE("a candidate steps down on discovering a higher term",
          "[raft][election]") {
  Cluster c({1, 2, 3});
  c.Tick(1, 30);
  REQUIRE(c[1].role() == Role::kCandidate);
  c.TakeQueue();
  raftpb::Message hb;
  hb.set_type(raftpb::MSG_HEARTBEAT);
  hb.set_from(2);
  hb.set_to(1);
  hb.set_term(c[1].term() + 1);
  REQUIRE(c[1].Step(hb).ok());
  REQUIRE(c[1].role() == Role::kFollower);
  REQUIRE(c[1].lead() == 2);
  REQUIRE(c[1].term() == hb.term());
}

TEST_CASE("a split vote is followed by a re-election at a higher term",
          "[raft][election]") {
  Cluster c({1, 2, 3, 4});
  // 1 and 2 campaign in the same term; 3 hears 1 first, 4 hears 2 first.
  while (c[1].role() != Role::kCandidate) c.Tick(1);
  while (c[2].role() != Role::kCandidate) c.Tick(2);
  REQUIRE(c[2].role() == Role::kCandidate);
  REQUIRE(c[1].term() == c[2].term());
  uint64_t split_term = c[1].term();
  c.ProcessReadies();
  std::vector<raftpb::Message> q = c.TakeQueue();
  std::stable_sort(q.begin(), q.end(), [](const auto& a, const auto& b) {
    // 1 reaches 3 first; 2 reaches 4 first.
    auto rank = [](const raftpb::Message& m) {
      return (m.from() == 1 && m.to() == 3) || (m.from() == 2 && m.to() == 4)
                 ? 0
                 : 1;
    };
    return rank(a) < rank(b);
  });
  for (const raftpb::Message& m : q) c.Deliver(m);
  c.Stabilize();
  REQUIRE(c.Leader() == 0);  // two votes each: no majority of four
  for (int i = 0; i < 100 && c.Leader() == 0; ++i) c.TickAll();
  REQUIRE(c.Leader() != 0);
  REQUIRE(c[c.Leader()].term() > split_term);
}

TEST_CASE("a stale log is denied a vote", "[raft][election]") {
  Cluster c({1, 2, 3});
  c.Elect(1);
  c.Isolate(3);
  REQUIRE(c[1].Propose("x").ok());
  c.Stabilize();
  c.Heal();
  // 3 lacks the committed entry: 1 and 2 refuse it (paper 5.4.1).
  c[1].Tick();  // keep the others from electing themselves meanwhile
  c.Tick(3, 30);
  REQUIRE(c[3].role() == Role::kCandidate);
  c.ProcessReadies();
  std::vector<raftpb::Message> q = c.TakeQueue();
  for (const raftpb::Message& m : q) c.Deliver(m);
  c.ProcessReadies();
  std::map<uint64_t, bool> replies = VoteReplies(c, 3);
  REQUIRE(replies.size() == 2);
  REQUIRE_FALSE(replies[1]);
  REQUIRE_FALSE(replies[2]);
  REQUIRE(c[3].role() != Role::kLeader);
}

TEST_CASE("a candidate with an up-to-date log wins against a longer term",
          "[raft][election]") {
  Cluster c({1, 2, 3});
  // 2 and 3 have a last entry of a later term than 1's longer log.
  c.SeedLog(1, {1, 2, 3}, {1, 1, 1, 1}, 1);
  c.SeedLog(2, {1, 2, 3}, {1, 2}, 2);
  c.SeedLog(3, {1, 2, 3}, {1, 2}, 2);
  c.Tick(1, 30);
  c.Stabilize();
  REQUIRE(c[1].role() != Role::kLeader);
  c.Elect(2);
  REQUIRE(c.Leader() == 2);
  c.Stabilize();
  REQUIRE(LogTerms(c[1]) == LogTerms(c[2]));
}

TEST_CASE("pre-vote stops a rejoining node from disrupting the term",
          "[raft][election][prevote]") {
  Cluster c({1, 2, 3}, [](Config& cfg) {
    cfg.pre_vote = true;
    cfg.check_quorum = true;
  });
  c.Elect(1);
  uint64_t term = c[1].term();
  c.Isolate(3);
  for (int i = 0; i < 100; ++i) {
    c.TickAll();
  }
  // Its pre-votes failed, so its term never moved.
  REQUIRE(c[3].term() == term);
  c.Heal();
  c.TickAll(5);
  REQUIRE(c.Leader() == 1);
  REQUIRE(c[1].term() == term);
  REQUIRE(c[3].lead() == 1);
}

TEST_CASE("without pre-vote a rejoining node disrupts the term",
          "[raft][election][prevote]") {
  Cluster c({1, 2, 3});
  c.Elect(1);
  uint64_t term = c[1].term();
  c.Isolate(3);
  for (int i = 0; i < 100; ++i) c.TickAll();
  REQUIRE(c[3].term() > term);
  c.Heal();
  c.TickAll(50);
  REQUIRE(c[c.Leader()].term() > term);
}

TEST_CASE("a follower in a leader's lease ignores vote requests",
          "[raft][election][checkquorum]") {
  Cluster c({1, 2, 3}, [](Config& cfg) { cfg.check_quorum = true; });
  c.Elect(1);
  uint64_t term = c[1].term();
  REQUIRE(c[2].Step(Vote(3, 2, term + 1, 100, term)).ok());
  REQUIRE(c[2].term() == term);
  REQUIRE(c[2].lead() == 1);
}

TEST_CASE("check-quorum makes a leader without a quorum step down",
          "[raft][election][checkquorum]") {
  Cluster c({1, 2, 3}, [](Config& cfg) { cfg.check_quorum = true; });
  c.Elect(1);
  c.TickAll(30);
  REQUIRE(c.Leader() == 1);  // a live quorum keeps it leader
  c.Isolate(1);
  for (int i = 0; i < 25; ++i) c.Tick(1);
  REQUIRE(c[1].role() == Role::kFollower);
  auto prop = c[1].Propose("x");
  REQUIRE(prop.status().code() == absl::StatusCode::kUnavailable);
}

TEST_CASE("election safety holds across repeated leader crashes",
          "[raft][election]") {
  Cluster c({1, 2, 3, 4, 5});
  std::map<uint64_t, uint64_t> leader_of_term;
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 200 && c.Leader() == 0; ++i) c.TickAll();
    uint64_t l = c.Leader();
    REQUIRE(l != 0);
    auto [it, fresh] = leader_of_term.emplace(c[l].term(), l);
    REQUIRE(it->second == l);
    REQUIRE(c[l].Propose("r" + std::to_string(round)).ok());
    c.Stabilize();
    c.Crash(l);
    c.TickAll(1);
    c.Restart(l);
  }
}

}  // namespace
}  // namespace coffer::raft::testing

namespace coffer::raft::testing {
namespace {

TEST_CASE(
    "a connected majority elects a leader and commits within a "
    "bounded number of ticks",
    "[raft][election][liveness]") {
  Cluster c({1, 2, 3, 4, 5}, [](Config& cfg) {
    cfg.pre_vote = true;
    cfg.check_quorum = true;
  });
  c.Elect(1);
  // The leader and one follower are cut off; 2, 3 and 4 are a majority.
  c.Isolate(1);
  c.Isolate(5);
  int ticks = 0;
  uint64_t leader = 0;
  for (; ticks < 100; ++ticks) {
    c.TickAll();
    leader = c.Leader();
    if (leader >= 2 && leader <= 4) break;
  }
  REQUIRE(leader >= 2);
  REQUIRE(leader <= 4);
  // Bounded: at most a few randomized election timeouts (10..19 ticks).
  REQUIRE(ticks <= 60);
  auto id = c[leader].Propose("majority");
  REQUIRE(id.ok());
  c.Stabilize();
  REQUIRE(c[leader].log().committed() >= id->index);
  // After the partition heals every node converges.
  c.Heal();
  c.TickAll(5);
  for (uint64_t n : {1, 2, 3, 4, 5}) {
    REQUIRE(AppliedData(c.node(n)) == std::vector<std::string>{"majority"});
  }
}

}  // namespace
}  // namespace coffer::raft::testing
