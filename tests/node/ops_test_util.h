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
#include "support/catch.h"

namespace coffer::testing {

using Code = absl::StatusCode;

// Starts and bootstraps `c`, initializes it with 3 shares of threshold 2,
// unseals every node and returns the shares.
inline std::vector<std::string> InitializedCluster(TestCluster& c) {
  c.StartAndBootstrap();
  const uint64_t leader = c.WaitForLeader();
  REQUIRE(leader != 0);
  InitializeOptions opts;
  opts.secret_shares = 3;
  opts.secret_threshold = 2;
  absl::StatusOr<InitializeResult> init = c.node(leader).Initialize(opts);
  REQUIRE(init.ok());
  for (uint64_t id : c.ids()) {
    REQUIRE(Eventually([&] {
      absl::StatusOr<SealStatus> s = c.node(id).GetSealStatus();
      return s.ok() && s->initialized;
    }));
    REQUIRE(c.Unseal(id, {init->keys[0], init->keys[1]}).ok());
  }
  return init->keys;
}

inline uint64_t AFollower(TestCluster& c, uint64_t leader) {
  for (uint64_t id : c.ids()) {
    if (id != leader && c.running(id)) return id;
  }
  return 0;
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

// A stand-in KMS: "wraps" by tagging and reversing the bytes; can be made
// to fail. Thread-safe enough for tests (the flag is atomic).
class TagKms final : public Kms {
 public:
  std::string Type() const override { return "tag-kms"; }
  std::string KeyId() const override { return "key-1"; }
  absl::StatusOr<std::string> Wrap(absl::string_view key_id,
                                   absl::string_view plaintext) override {
    if (fail) return absl::UnavailableError("tag-kms: down");
    return absl::StrCat(key_id, ":",
                        std::string(plaintext.rbegin(), plaintext.rend()));
  }
  absl::StatusOr<std::string> Unwrap(absl::string_view key_id,
                                     absl::string_view ciphertext) override {
    if (fail) return absl::UnavailableError("tag-kms: down");
    const std::string prefix = absl::StrCat(key_id, ":");
    if (ciphertext.substr(0, prefix.size()) != prefix) {
      return absl::InvalidArgumentError("tag-kms: not wrapped by this key");
    }
    ciphertext.remove_prefix(prefix.size());
    return std::string(ciphertext.rbegin(), ciphertext.rend());
  }
  std::atomic<bool> fail{false};
};

inline bool Unsealed(Node& n) {
  absl::StatusOr<SealStatus> s = n.GetSealStatus();
  return s.ok() && s->initialized && !s->sealed;
}

}  // namespace coffer::testing

#endif  // COFFER_TESTS_NODE_OPS_TEST_UTIL_H_
