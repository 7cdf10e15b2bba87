#include "raft/progress.h"

#include "support/catch.h"

namespace coffer::raft {
namespace {

TEST_CASE("the in-flight window fills by count and frees by index",
          "[raft][progress]") {
  Inflights in(3, 0);
  in.Add(10, 1);
  in.Add(20, 1);
  REQUIRE_FALSE(in.Full());
  in.Add(30, 1);
  REQUIRE(in.Full());
  in.FreeLE(20);
  REQUIRE(in.Count() == 1);
  in.Add(40, 1);
  in.Add(50, 1);
  REQUIRE(in.Full());
  in.FreeFirstOne();
  REQUIRE(in.Count() == 2);
  in.FreeLE(100);
  REQUIRE(in.Count() == 0);
}

TEST_CASE("the in-flight window fills by bytes", "[raft][progress]") {
  Inflights in(100, 1000);
  in.Add(1, 600);
  REQUIRE_FALSE(in.Full());
  in.Add(2, 600);
  REQUIRE(in.Full());
  in.FreeLE(1);
  REQUIRE_FALSE(in.Full());
}

TEST_CASE("a probe rejection moves next back to the hint", "[raft][progress]") {
  Progress pr(8, 0);
  pr.next = 100;
  // Stale: not the last probe.
  REQUIRE_FALSE(pr.MaybeDecrTo(50, 10));
  REQUIRE(pr.MaybeDecrTo(99, 40));
  REQUIRE(pr.next == 41);
  pr.match = 45;
  pr.next = 60;
  REQUIRE(pr.MaybeDecrTo(59, 10));
  REQUIRE(pr.next == 46);  // never below match + 1
}

TEST_CASE("in replicate a rejection falls back to match + 1",
          "[raft][progress]") {
  Progress pr(8, 0);
  pr.match = 10;
  pr.BecomeReplicate();
  pr.OptimisticUpdate(20);
  REQUIRE_FALSE(pr.MaybeDecrTo(9, 0));  // stale
  REQUIRE(pr.MaybeDecrTo(15, 0));
  REQUIRE(pr.next == 11);
}

TEST_CASE("a probing follower is paused until it answers", "[raft][progress]") {
  Progress pr(2, 0);
  REQUIRE_FALSE(pr.IsPaused());
  pr.probe_sent = true;
  REQUIRE(pr.IsPaused());
  REQUIRE(pr.MaybeUpdate(5));
  REQUIRE_FALSE(pr.IsPaused());
  pr.BecomeSnapshot(9);
  REQUIRE(pr.IsPaused());
  pr.BecomeProbe();
  REQUIRE(pr.next == 10);
}

}  // namespace
}  // namespace coffer::raft
