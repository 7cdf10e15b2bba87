#include "raft/confchange.h"

#include "support/catch.h"

namespace coffer::raft {
namespace {

raftpb::ConfChange CC(
    std::initializer_list<std::pair<raftpb::ConfChangeType, uint64_t>> changes,
    raftpb::ConfChangeTransition t = raftpb::TRANSITION_AUTO) {
  raftpb::ConfChange cc;
  cc.set_transition(t);
  for (auto [type, id] : changes) {
    auto* ch = cc.add_changes();
    ch->set_type(type);
    ch->set_node_id(id);
  }
  return cc;
}

Configuration Voters(IdSet v) {
  Configuration c;
  c.voters.incoming = std::move(v);
  return c;
}

TEST_CASE("a one-voter change is simple", "[raft][confchange]") {
  auto c =
      ApplyConfChange(Voters({1, 2, 3}), CC({{raftpb::CONF_ADD_VOTER, 4}}));
  REQUIRE(c.ok());
  REQUIRE_FALSE(c->IsJoint());
  REQUIRE(c->voters.incoming == IdSet{1, 2, 3, 4});
}

TEST_CASE("a two-voter change goes through a joint configuration",
          "[raft][confchange]") {
  auto c = ApplyConfChange(
      Voters({1, 2, 3}),
      CC({{raftpb::CONF_ADD_VOTER, 4}, {raftpb::CONF_REMOVE_NODE, 1}}));
  REQUIRE(c.ok());
  REQUIRE(c->IsJoint());
  REQUIRE(c->auto_leave);
  REQUIRE(c->voters.incoming == IdSet{2, 3, 4});
  REQUIRE(c->voters.outgoing == IdSet{1, 2, 3});
  auto left = ApplyConfChange(*c, raftpb::ConfChange());
  REQUIRE(left.ok());
  REQUIRE_FALSE(left->IsJoint());
  REQUIRE(left->voters.incoming == IdSet{2, 3, 4});
}

TEST_CASE("a demoted outgoing voter waits in learners_next",
          "[raft][confchange]") {
  auto c = ApplyConfChange(
      Voters({1, 2, 3}),
      CC({{raftpb::CONF_ADD_LEARNER, 3}}, raftpb::TRANSITION_JOINT_EXPLICIT));
  REQUIRE(c.ok());
  REQUIRE(c->learners_next == IdSet{3});
  REQUIRE(c->learners.empty());
  REQUIRE_FALSE(c->auto_leave);
  auto left = ApplyConfChange(*c, raftpb::ConfChange());
  REQUIRE(left->learners == IdSet{3});
  REQUIRE(left->learners_next.empty());
}

TEST_CASE("invalid changes are refused", "[raft][confchange]") {
  Configuration c = Voters({1});
  REQUIRE(
      ApplyConfChange(c, CC({{raftpb::CONF_REMOVE_NODE, 1}})).status().code() ==
      absl::StatusCode::kInvalidArgument);
  REQUIRE(ApplyConfChange(c, raftpb::ConfChange()).status().code() ==
          absl::StatusCode::kFailedPrecondition);
  auto joint = ApplyConfChange(
      Voters({1, 2}),
      CC({{raftpb::CONF_ADD_VOTER, 3}, {raftpb::CONF_ADD_VOTER, 4}}));
  REQUIRE(ApplyConfChange(*joint, CC({{raftpb::CONF_ADD_VOTER, 5}}))
              .status()
              .code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(
      ApplyConfChange(c, CC({{raftpb::CONF_ADD_VOTER, 0}})).status().code() ==
      absl::StatusCode::kInvalidArgument);
}

TEST_CASE("a configuration round-trips through ConfState",
          "[raft][confchange]") {
  auto c =
      ApplyConfChange(Voters({1, 2, 3}), CC({{raftpb::CONF_ADD_LEARNER, 3},
                                             {raftpb::CONF_ADD_VOTER, 4},
                                             {raftpb::CONF_ADD_LEARNER, 5}}));
  REQUIRE(c.ok());
  REQUIRE(Configuration::FromConfState(c->ToConfState()) == *c);
}

}  // namespace
}  // namespace coffer::raft
