// A deterministic simulation of a raft cluster: N cores over MemoryStorage,
// a network that drops, delays, duplicates, reorders and partitions, crashes
// that lose what was not persisted, restarts, membership changes,
// leadership transfers, snapshots and compaction, and clients running
// put/get/cas against a small key-value machine. Every step is checked for
// the safety properties of Raft (paper Figure 3) and the client history for
// linearizability; a run ends with a liveness phase.
//
// One seed determines everything: a failure is replayed exactly by running
// the same seed (see sim_test.cc for the command).
#ifndef COFFER_TESTS_SIM_SIMULATION_H_
#define COFFER_TESTS_SIM_SIMULATION_H_

#include <cstdint>
#include <string>

namespace coffer::sim {

struct SimOptions {
  int nodes = 3;
  uint64_t seed = 1;
  int fault_steps = 300;     // steps with faults injected
  int liveness_steps = 250;  // then: healed, must elect and converge
};

struct SimResult {
  std::string failure;  // "" on success
  uint64_t committed = 0;
  uint64_t client_ops = 0;
  uint64_t leaders = 0;
  uint64_t snapshots_installed = 0;
  uint64_t crashes = 0;
  uint64_t conf_changes = 0;
};

SimResult RunSimulation(const SimOptions& options);

// The seed of the schedule running now, for a crash handler to print.
uint64_t CurrentSeed();

}  // namespace coffer::sim

#endif  // COFFER_TESTS_SIM_SIMULATION_H_
