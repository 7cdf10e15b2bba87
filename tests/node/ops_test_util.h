// Helpers shared by the operator-operation and host-hook tests.
#ifndef COFFER_TESTS_NODE_OPS_TEST_UTIL_H_
#define COFFER_TESTS_NODE_OPS_TEST_UTIL_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "coffer/node.h"
#include "node/test_cluster.h"
#include "node/test_kms.h"
#include "support/catch.h"

namespace coffer::testing {

using Code = absl::StatusCode;

// A started, initialized (3 shares, threshold 2) and unsealed cluster;
// returns the shares.
inline std::vector<std::string> InitializedCluster(TestCluster& c) {
  absl::StatusOr<std::vector<std::string>> keys = c.StartInitialized();
  REQUIRE(keys.ok());
  return *keys;
}

inline uint64_t AFollower(TestCluster& c, uint64_t leader) {
  return c.AFollower(leader);
}

inline uint64_t LeaderSeenBy(Node& n) {
  absl::StatusOr<LeaderInfo> info = n.Leader();
  return info.ok() ? info->leader_id : 0;
}

// Retries an operation that failed for want of a leader.
template <typename F>
auto Retry(F f) {
  auto r = f();
  for (int i = 0; i < 100; ++i) {
    const absl::Status s = [&] {
      if constexpr (std::is_same_v<decltype(r), absl::Status>) {
        return r;
      } else {
        return r.status();
      }
    }();
    if (s.code() != Code::kUnavailable && s.code() != Code::kDeadlineExceeded) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(20));
    r = f();
  }
  return r;
}

// Whether `n` eventually reads `value` at `path` from its own applied state.
inline bool StaleReads(Node& n, const std::string& path,
                       const std::string& value) {
  return Eventually([&] {
    return n.GetRaw(path, ReadConsistency::kStale).value_or("") == value;
  });
}

inline uint32_t TermOnNode(Node& n) {
  absl::StatusOr<KeyStatus> k = n.GetKeyStatus();
  return k.ok() ? k->term : 0;
}

}  // namespace coffer::testing

#endif  // COFFER_TESTS_NODE_OPS_TEST_UTIL_H_
