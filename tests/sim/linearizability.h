// A linearizability checker for histories of a single-register-per-key
// store with put, get and compare-and-set (Wing and Gong's search with
// Lowe's memoization of (linearized set, state) pairs). Histories are split
// by key first: linearizability is compositional (Herlihy and Wing).
#ifndef COFFER_TESTS_SIM_LINEARIZABILITY_H_
#define COFFER_TESTS_SIM_LINEARIZABILITY_H_

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace coffer::sim {

enum class OpKind { kPut, kGet, kCas };

struct Operation {
  uint64_t id = 0;
  std::string key;
  OpKind kind = OpKind::kPut;
  std::string value;     // put/cas: the value written
  std::string expected;  // cas: the value required
  uint64_t invoke = 0;
  // Response time; kPending when the client never learned the outcome (the
  // operation may or may not have taken effect).
  uint64_t response = kPending;
  std::string output;  // get: the value read ("" when absent)
  bool ok = false;     // cas: whether it swapped
  static constexpr uint64_t kPending = std::numeric_limits<uint64_t>::max();
};

// Returns "" when the history is linearizable, else a description of the
// key whose history is not. Gets without a response must be left out.
std::string CheckLinearizable(const std::vector<Operation>& history);

}  // namespace coffer::sim

#endif  // COFFER_TESTS_SIM_LINEARIZABILITY_H_
