// Membership changes: thesis 4.1 (one at a time), 4.2 (learners, removing
// the leader), 4.3 (joint consensus); leadership transfer (thesis 3.10).
#include "scenario/cluster.h"
#include "support/catch.h"

namespace coffer::raft::testing {
namespace {

IdSet Voters(Raft& r) { return r.configuration().voters.incoming; }

TEST_CASE("a learner receives the log but does not vote",
          "[raft][membership][learner]") {
  Cluster c({1, 2, 3, 4}, nullptr, {1, 2, 3});
  c.Elect(1);
  REQUIRE(c[1].ProposeConfChange(Change(raftpb::CONF_ADD_LEARNER, 4)).ok());
  c.Stabilize();
  REQUIRE(c[1].Propose("x").ok());
  c.Stabilize();
  REQUIRE(AppliedData(c.node(4)) == std::vector<std::string>{"x"});
  REQUIRE(c[4].configuration().learners == IdSet{4});
  // A learner never campaigns, however long it waits.
  c.Isolate(4);
  c.Tick(4, 100);
  REQUIRE(c[4].role() == Role::kFollower);
  REQUIRE(c[4].term() == c[1].term());
}

TEST_CASE("promoting a learner that has not caught up is refused",
          "[raft][membership][learner]") {
  Cluster c({1, 2, 3, 4}, nullptr, {1, 2, 3});
  c.Elect(1);
  c.Isolate(4);
  REQUIRE(c[1].ProposeConfChange(Change(raftpb::CONF_ADD_LEARNER, 4)).ok());
  c.Stabilize();
  auto r = c[1].ProposeConfChange(Change(raftpb::CONF_ADD_VOTER, 4));
  REQUIRE(r.status().code() == absl::StatusCode::kFailedPrecondition);
  c.Heal();
  c.TickAll(3);
  REQUIRE(c[1].GetStatus().progress.at(4).match == c[1].log().LastIndex());
  REQUIRE(c[1].ProposeConfChange(Change(raftpb::CONF_ADD_VOTER, 4)).ok());
  c.Stabilize();
  for (uint64_t id : {1, 2, 3, 4}) REQUIRE(Voters(c[id]) == IdSet{1, 2, 3, 4});
}

TEST_CASE("only one configuration change is in flight at a time",
          "[raft][membership]") {
  Cluster c({1, 2, 3, 4, 5}, nullptr, {1, 2, 3});
  c.Elect(1);
  c.Isolate(2);
  c.Isolate(3);  // the first change cannot commit
  REQUIRE(c[1].ProposeConfChange(Change(raftpb::CONF_ADD_LEARNER, 4)).ok());
  auto second = c[1].ProposeConfChange(Change(raftpb::CONF_ADD_LEARNER, 5));
  REQUIRE(second.status().code() == absl::StatusCode::kFailedPrecondition);
  c.Heal();
  c.TickAll(3);
  REQUIRE(c[1].ProposeConfChange(Change(raftpb::CONF_ADD_LEARNER, 5)).ok());
}

TEST_CASE("adding a voter directly grows the quorum", "[raft][membership]") {
  Cluster c({1, 2, 3, 4}, nullptr, {1, 2, 3});
  c.Elect(1);
  REQUIRE(c[1].ProposeConfChange(Change(raftpb::CONF_ADD_VOTER, 4)).ok());
  c.Stabilize();
  REQUIRE(Voters(c[1]) == IdSet{1, 2, 3, 4});
  // Now two nodes down block commits: 2 of 4 is not a majority.
  c.Isolate(3);
  c.Isolate(4);
  auto id = c[1].Propose("x");
  c.Stabilize();
  REQUIRE(c[1].log().committed() < id->index);
}

TEST_CASE(
    "joint consensus: a change of two voters enters and leaves a "
    "joint configuration",
    "[raft][membership][joint]") {
  Cluster c({1, 2, 3, 4, 5}, nullptr, {1, 2, 3});
  c.Elect(1);
  raftpb::ConfChange cc = Change(raftpb::CONF_ADD_VOTER, 4);
  auto* ch = cc.add_changes();
  ch->set_type(raftpb::CONF_ADD_VOTER);
  ch->set_node_id(5);
  REQUIRE(c[1].ProposeConfChange(cc).ok());
  // Deliver step by step: the joint configuration is in force first.
  bool saw_joint = false;
  for (int i = 0; i < 100; ++i) {
    c.ProcessReadies();
    if (c[1].configuration().IsJoint()) saw_joint = true;
    if (!c.DeliverAll() && !c[1].HasReady()) break;
  }
  c.Stabilize();
  REQUIRE(saw_joint);
  for (uint64_t id : {1, 2, 3, 4, 5}) {
    REQUIRE_FALSE(c[id].configuration().IsJoint());
    REQUIRE(Voters(c[id]) == IdSet{1, 2, 3, 4, 5});
  }
}

TEST_CASE("joint consensus: a decision needs a majority of both halves",
          "[raft][membership][joint]") {
  Cluster c({1, 2, 3, 4, 5, 6}, nullptr, {1, 2, 3});
  c.Elect(1);
  // {1,2,3} -> {1,4,5,6} explicitly, so the joint configuration stays.
  raftpb::ConfChange cc;
  cc.set_transition(raftpb::TRANSITION_JOINT_EXPLICIT);
  for (auto [t, id] : std::vector<std::pair<raftpb::ConfChangeType, uint64_t>>{
           {raftpb::CONF_ADD_VOTER, 4},
           {raftpb::CONF_ADD_VOTER, 5},
           {raftpb::CONF_ADD_VOTER, 6},
           {raftpb::CONF_REMOVE_NODE, 2},
           {raftpb::CONF_REMOVE_NODE, 3}}) {
    auto* ch = cc.add_changes();
    ch->set_type(t);
    ch->set_node_id(id);
  }
  REQUIRE(c[1].ProposeConfChange(cc).ok());
  c.Stabilize();
  REQUIRE(c[1].configuration().IsJoint());
  // A simple change while joint is refused.
  auto simple = c[1].ProposeConfChange(Change(raftpb::CONF_REMOVE_NODE, 6));
  REQUIRE(simple.status().code() == absl::StatusCode::kFailedPrecondition);
  // The new half {1,4,5,6} has a majority (1,4,5) but the old half {1,2,3}
  // has only 1: nothing commits.
  c.Isolate(2);
  c.Isolate(3);
  auto id = c[1].Propose("x");
  c.Stabilize();
  REQUIRE(c[1].log().committed() < id->index);
  c.Heal();
  c.TickAll(2);
  REQUIRE(c[1].log().committed() >= id->index);
  // Leaving explicitly.
  REQUIRE(c[1].ProposeConfChange(raftpb::ConfChange()).ok());
  c.Stabilize();
  REQUIRE_FALSE(c[1].configuration().IsJoint());
  REQUIRE(Voters(c[1]) == IdSet{1, 4, 5, 6});
}

TEST_CASE(
    "removing the leader makes it step down and the rest elect a new "
    "one",
    "[raft][membership]") {
  Cluster c({1, 2, 3});
  c.Elect(1);
  REQUIRE(c[1].ProposeConfChange(Change(raftpb::CONF_REMOVE_NODE, 1)).ok());
  c.Stabilize();
  REQUIRE(c[1].role() == Role::kFollower);
  REQUIRE(Voters(c[2]) == IdSet{2, 3});
  for (int i = 0; i < 100 && (c.Leader() == 0 || c.Leader() == 1); ++i) {
    c.TickAll();
  }
  uint64_t l = c.Leader();
  REQUIRE((l == 2 || l == 3));
  REQUIRE(c[l].Propose("after").ok());
  c.Stabilize();
  REQUIRE(AppliedData(c.node(2)) == std::vector<std::string>{"after"});
  // The removed node cannot propose or campaign.
  auto r = c[1].Propose("x");
  REQUIRE(r.status().code() == absl::StatusCode::kFailedPrecondition);
  c.Isolate(1);
  c.Tick(1, 100);
  REQUIRE(c[1].role() == Role::kFollower);
}

TEST_CASE("a node rejoins as a learner and is promoted after catching up",
          "[raft][membership][learner]") {
  Cluster c({1, 2, 3});
  c.Elect(1);
  REQUIRE(c[1].ProposeConfChange(Change(raftpb::CONF_ADD_LEARNER, 3)).ok());
  c.Stabilize();
  REQUIRE(c[1].configuration().learners == IdSet{3});
  REQUIRE(Voters(c[1]) == IdSet{1, 2});
  for (int i = 0; i < 5; ++i) REQUIRE(c[1].Propose("p").ok());
  c.Stabilize();
  REQUIRE(c[1].ProposeConfChange(Change(raftpb::CONF_ADD_VOTER, 3)).ok());
  c.Stabilize();
  REQUIRE(Voters(c[3]) == IdSet{1, 2, 3});
}

TEST_CASE("leadership transfer to an up-to-date follower", "[raft][transfer]") {
  Cluster c({1, 2, 3});
  c.Elect(1);
  REQUIRE(c[1].TransferLeadership(2).ok());
  c.Stabilize();
  REQUIRE(c.Leader() == 2);
  REQUIRE(c[1].lead() == 2);
}

TEST_CASE("leadership transfer to a lagging node catches it up first",
          "[raft][transfer]") {
  Cluster c({1, 2, 3}, [](Config& cfg) {
    cfg.pre_vote = true;
    cfg.check_quorum = true;
  });
  c.Elect(1);
  c.Isolate(3);
  for (int i = 0; i < 10; ++i) REQUIRE(c[1].Propose("w").ok());
  c.Stabilize();
  c.Heal();
  REQUIRE(c[3].log().LastIndex() < c[1].log().LastIndex());
  REQUIRE(c[1].TransferLeadership(3).ok());
  // During the transfer proposals fail fast.
  auto r = c[1].Propose("during");
  REQUIRE(r.status().code() == absl::StatusCode::kUnavailable);
  c.Stabilize();
  REQUIRE(c.Leader() == 3);
  REQUIRE(AppliedData(c.node(3)).size() == 10);
}

TEST_CASE("a leadership transfer is abandoned after an election timeout",
          "[raft][transfer]") {
  Cluster c({1, 2, 3});
  c.Elect(1);
  c.Isolate(3);
  REQUIRE(c[1].TransferLeadership(3).ok());
  REQUIRE(c[1].GetStatus().lead_transferee == 3);
  c.Tick(1, 10);
  c.Stabilize();
  REQUIRE(c[1].GetStatus().lead_transferee == 0);
  REQUIRE(c.Leader() == 1);
  REQUIRE(c[1].Propose("ok again").ok());
}

TEST_CASE("a transfer to a learner is refused", "[raft][transfer]") {
  Cluster c({1, 2, 3, 4}, nullptr, {1, 2, 3});
  c.Elect(1);
  REQUIRE(c[1].ProposeConfChange(Change(raftpb::CONF_ADD_LEARNER, 4)).ok());
  c.Stabilize();
  REQUIRE(c[1].TransferLeadership(4).code() ==
          absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace coffer::raft::testing
