#include "raft/quorum.h"

#include <map>

#include "support/catch.h"

namespace coffer::raft {
namespace {

TEST_CASE("the committed index is the one a majority holds", "[raft][quorum]") {
  std::map<uint64_t, uint64_t> match = {{1, 5}, {2, 3}, {3, 9}};
  auto m = [&](uint64_t id) { return match[id]; };
  REQUIRE(MajorityCommitted({1, 2, 3}, m) == 5);
  REQUIRE(MajorityCommitted({1, 2}, m) == 3);
  REQUIRE(MajorityCommitted({3}, m) == 9);
  match[4] = 1;
  REQUIRE(MajorityCommitted({1, 2, 3, 4}, m) == 3);
}

TEST_CASE("an empty majority never limits a joint commit", "[raft][quorum]") {
  auto m = [](uint64_t id) { return id * 10; };
  REQUIRE(MajorityCommitted({}, m) == UINT64_MAX);
  JointConfig j{{1, 2, 3}, {}};
  REQUIRE(j.Committed(m) == 20);
  j.outgoing = {1, 4, 5};
  REQUIRE(j.Committed(m) == 20);  // min(20, 40)
  j.outgoing = {1, 2};
  REQUIRE(j.Committed(m) == 10);
}

TEST_CASE("votes are won, lost or pending", "[raft][quorum]") {
  IdSet v = {1, 2, 3};
  REQUIRE(MajorityVote(v, {{1, true}}) == VoteResult::kPending);
  REQUIRE(MajorityVote(v, {{1, true}, {2, true}}) == VoteResult::kWon);
  REQUIRE(MajorityVote(v, {{1, true}, {2, false}}) == VoteResult::kPending);
  REQUIRE(MajorityVote(v, {{1, false}, {2, false}}) == VoteResult::kLost);
  REQUIRE(MajorityVote({}, {}) == VoteResult::kWon);
}

TEST_CASE("a joint vote needs both majorities", "[raft][quorum]") {
  JointConfig j{{1, 2, 3}, {3, 4, 5}};
  REQUIRE(j.Vote({{1, true}, {2, true}}) == VoteResult::kPending);
  REQUIRE(j.Vote({{1, true}, {2, true}, {3, true}}) == VoteResult::kPending);
  REQUIRE(j.Vote({{1, true}, {2, true}, {3, true}, {4, true}}) ==
          VoteResult::kWon);
  REQUIRE(j.Vote({{1, true}, {2, true}, {4, false}, {5, false}}) ==
          VoteResult::kLost);
}

}  // namespace
}  // namespace coffer::raft
