// Seeded schedules of the cluster simulator (sim/simulation.h).
//
// Replay one schedule:
//   COFFER_SIM_NODES=5 COFFER_SIM_SEED=123 build/tests/sim/sim_test
// Soak a seed range:
//   COFFER_SIM_FIRST_SEED=1 COFFER_SIM_SCHEDULES=100000
//   build/tests/sim/sim_test "[soak]"
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sim/simulation.h"
#include "support/catch.h"

namespace coffer::sim {
namespace {

int g_nodes = 0;

uint64_t EnvU64(const char* name, uint64_t def) {
  const char* v = std::getenv(name);
  return v == nullptr || *v == '\0' ? def : std::strtoull(v, nullptr, 10);
}

std::string ReplayCommand(int nodes, uint64_t seed) {
  return "COFFER_SIM_NODES=" + std::to_string(nodes) +
         " COFFER_SIM_SEED=" + std::to_string(seed) +
         " build/tests/sim/sim_test";
}

// A broken invariant aborts inside the core (COFFER_CHECK): say which
// schedule was running before the process dies.
void OnAbort(int) {
  std::string msg =
      "\nsim: aborted in schedule seed " + std::to_string(CurrentSeed()) +
      " (" + std::to_string(g_nodes) +
      " nodes); replay with: " + ReplayCommand(g_nodes, CurrentSeed()) + "\n";
  (void)!std::fwrite(msg.data(), 1, msg.size(), stderr);
}

// Runs `count` schedules from `first` (or the one in COFFER_SIM_SEED).
void RunSchedules(int nodes, uint64_t first, uint64_t count) {
  std::signal(SIGABRT, OnAbort);
  g_nodes = nodes;
  if (std::getenv("COFFER_SIM_SEED") != nullptr) {
    if (EnvU64("COFFER_SIM_NODES", nodes) != static_cast<uint64_t>(nodes)) {
      return;
    }
    first = EnvU64("COFFER_SIM_SEED", 1);
    count = 1;
  }
  uint64_t ops = 0, leaders = 0, snaps = 0, crashes = 0, confs = 0;
  for (uint64_t seed = first; seed < first + count; ++seed) {
    SimOptions o;
    o.nodes = nodes;
    o.seed = seed;
    SimResult r = RunSimulation(o);
    if (!r.failure.empty()) {
      FAIL_CHECK("seed " << seed << " (" << nodes << " nodes): " << r.failure
                         << "\nreplay with: " << ReplayCommand(nodes, seed));
      return;
    }
    ops += r.client_ops;
    leaders += r.leaders;
    snaps += r.snapshots_installed;
    crashes += r.crashes;
    confs += r.conf_changes;
  }
  std::printf(
      "sim: %d nodes, %llu schedules from seed %llu: %llu client ops, "
      "%llu leaders, %llu crashes, %llu snapshots installed, %llu conf "
      "changes\n",
      nodes, static_cast<unsigned long long>(count),
      static_cast<unsigned long long>(first),
      static_cast<unsigned long long>(ops),
      static_cast<unsigned long long>(leaders),
      static_cast<unsigned long long>(crashes),
      static_cast<unsigned long long>(snaps),
      static_cast<unsigned long long>(confs));
}

TEST_CASE("simulated 3-node clusters stay safe, live and linearizable",
          "[sim]") {
  RunSchedules(3, 1, EnvU64("COFFER_SIM_SCHEDULES_3", 6000));
}

TEST_CASE("simulated 5-node clusters stay safe, live and linearizable",
          "[sim]") {
  RunSchedules(5, 100001, EnvU64("COFFER_SIM_SCHEDULES_5", 2000));
}

TEST_CASE("simulated 7-node clusters stay safe, live and linearizable",
          "[sim]") {
  RunSchedules(7, 200001, EnvU64("COFFER_SIM_SCHEDULES_7", 800));
}

TEST_CASE("soak: a long range of seeded schedules", "[.][soak]") {
  uint64_t first = EnvU64("COFFER_SIM_FIRST_SEED", 1000000);
  uint64_t count = EnvU64("COFFER_SIM_SCHEDULES", 100000);
  for (int nodes : {3, 5, 7}) {
    RunSchedules(nodes, first + nodes * 10000000ULL, count / 3);
  }
}

}  // namespace
}  // namespace coffer::sim
