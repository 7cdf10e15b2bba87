// Config::slow_first_election: a cluster whose nodes all start at once does
// not storm elections. Deterministic: every node ticks in lock step over an
// instant network (scenario/cluster.h), each with its own seeded jitter.
#include <cstdio>
#include <map>
#include <memory>

#include "raft/raft.h"
#include "scenario/cluster.h"
#include "support/catch.h"

namespace coffer::raft::testing {
namespace {

constexpr int kElectionTick = 10;

// Five nodes started at once with jitter seeded by `seed`.
struct Start {
  std::map<uint64_t, std::unique_ptr<SeededRandom>> rngs;
  std::unique_ptr<Cluster> c;

  Start(uint64_t seed, bool slow) {
    for (uint64_t id = 1; id <= 5; ++id) {
      rngs[id] = std::make_unique<SeededRandom>(seed * 1000003 + id);
    }
    c = std::make_unique<Cluster>(std::vector<uint64_t>{1, 2, 3, 4, 5},
                                  [this, slow](Config& cfg) {
                                    cfg.random = rngs.at(cfg.id).get();
                                    cfg.election_tick = kElectionTick;
                                    cfg.pre_vote = true;
                                    cfg.check_quorum = true;
                                    cfg.slow_first_election = slow;
                                  });
  }

  uint64_t MaxTerm() {
    uint64_t t = 0;
    for (uint64_t id : c->ids()) t = std::max(t, (*c)[id].term());
    return t;
  }

  // Ticks every node until one leads; returns the ticks it took. Each tick
  // a message moves one hop, so a vote round takes two ticks and nodes
  // that time out within a round of each other split the vote.
  int TicksToLeader() {
    int ticks = 0;
    while (c->Leader() == 0 && ticks < 100 * kElectionTick) {
      for (uint64_t id : c->ids()) c->Tick(id);
      c->ProcessReadies();
      c->DeliverAll();
      c->ProcessReadies();
      ++ticks;
    }
    REQUIRE(c->Leader() != 0);
    return ticks;
  }
};

TEST_CASE("no node campaigns before twice the election timeout after start",
          "[raft][election][slow_start]") {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    Start s(seed, /*slow=*/true);
    s.c->TickAll(2 * kElectionTick - 1);
    INFO("seed " << seed);
    REQUIRE(s.MaxTerm() == 1);  // the bootstrap term: nobody campaigned
    REQUIRE(s.c->Leader() == 0);
    s.TicksToLeader();
  }
}

TEST_CASE("a simultaneous start of five nodes takes fewer terms when slow",
          "[raft][election][slow_start]") {
  constexpr uint64_t kSeeds = 300;
  uint64_t terms_fast = 0, terms_slow = 0;
  uint64_t extra_fast = 0, extra_slow = 0;  // starts needing > 1 election
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    for (bool slow : {false, true}) {
      Start s(seed, slow);
      s.TicksToLeader();
      // Bootstrap is term 1; one clean election makes term 2.
      const uint64_t elections = s.MaxTerm() - 1;
      (slow ? terms_slow : terms_fast) += elections;
      if (elections > 1) ++(slow ? extra_slow : extra_fast);
    }
  }
  std::printf(
      "slow first election over %llu starts of 5 nodes: terms %llu -> %llu, "
      "starts with a split vote %llu -> %llu\n",
      static_cast<unsigned long long>(kSeeds),
      static_cast<unsigned long long>(terms_fast),
      static_cast<unsigned long long>(terms_slow),
      static_cast<unsigned long long>(extra_fast),
      static_cast<unsigned long long>(extra_slow));
  REQUIRE(terms_slow < terms_fast);
  REQUIRE(extra_slow < extra_fast);
}

TEST_CASE("after the first leader the usual election timeout applies",
          "[raft][election][slow_start]") {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    INFO("seed " << seed);
    Start s(seed, /*slow=*/true);
    s.TicksToLeader();
    s.c->Stabilize();
    const uint64_t old = s.c->Leader();
    const uint64_t term = (*s.c)[old].term();
    s.c->TickAll(3);  // every follower has heard the leader
    s.c->Crash(old);
    // Some follower times out within [election_tick, 2 * election_tick) of
    // the last heartbeat; with the slow timeout none would before
    // 2 * election_tick.
    auto campaigned = [&] {
      for (uint64_t id : s.c->ids()) {
        if (id == old) continue;
        if ((*s.c)[id].role() != Role::kFollower || (*s.c)[id].term() > term) {
          return true;
        }
      }
      return false;
    };
    int ticks = 0;
    while (!campaigned() && ticks < 2 * kElectionTick) {
      s.c->TickAll();
      ++ticks;
    }
    REQUIRE(campaigned());
  }
}

}  // namespace
}  // namespace coffer::raft::testing
