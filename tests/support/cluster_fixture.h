// The setup that node tests share, over a TestCluster (node/test_cluster.h:
// real coffer::Nodes on an in-memory network in one process): start and
// bootstrap every node, initialize and unseal them (Shamir shares or each
// node's Kms), enable a kv-v2 mount, find the leader and its followers,
// restart the cluster, and wait until a write is applied on every node.
//
// A test states its cluster (size, seed, options through TestCluster::tweak)
// and then what it sets up, in one call each:
//
//   TestCluster c(3);
//   const InitializeResult init = StartUnsealed(c, Setup().Kv("secret/"));
//   const auto [leader, follower] = LeaderAndFollower(c);
//
// Failure: a setup call whose cluster does not reach the state it promises
// fails the running test case (Catch2 REQUIRE) instead of returning an
// error, so that what a test checks afterwards is what it is about.
// Liveness: every wait is bounded, by kSetupTimeout unless a call says
// otherwise; a call returns (or fails the test) within one bound per node
// plus two.
//
// Thread-safety: call from the test's thread only (Catch2's assertions are
// not thread-safe); the predicates (Initialized, Unsealed, ...) may be
// called from any thread that may call the node.
#ifndef COFFER_TESTS_SUPPORT_CLUSTER_FIXTURE_H_
#define COFFER_TESTS_SUPPORT_CLUSTER_FIXTURE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "coffer/kv.h"
#include "coffer/node.h"
#include "node/test_cluster.h"

namespace coffer::testing {

using Code = absl::StatusCode;

// Gives every node of `c` the host clock the test drives (NodeOptions::
// clock), starting at the real time: add nanoseconds to move it. Call it
// before the nodes start; it sets c.tweak.
inline std::shared_ptr<std::atomic<int64_t>> UseTestClock(TestCluster& c) {
  auto now =
      std::make_shared<std::atomic<int64_t>>(absl::ToUnixNanos(absl::Now()));
  c.tweak = [now](NodeOptions& o) {
    o.clock = [now] { return absl::FromUnixNanos(now->load()); };
  };
  return now;
}

// The bound of each wait of the setup calls (as TestCluster::WaitForLeader).
inline constexpr absl::Duration kSetupTimeout = absl::Seconds(10);

// What StartUnsealed sets up beyond a started cluster. The setters below
// return *this, for one-line setups (GCC 12's -Wextra would flag a
// designated initializer that leaves members to their defaults).
struct Setup {
  // Shamir: `shares` unseal shares, `threshold` of which unseal a node;
  // every node is unsealed with the last `threshold` of them. With
  // auto_unseal: the recovery shares Initialize returns instead.
  int shares = 3;
  int threshold = 2;
  // The nodes have a Kms (the test's tweak sets NodeOptions::kms): each
  // unseals itself once it has the seal records; no share is submitted.
  bool auto_unseal = false;
  // Which node runs Initialize: a follower (the leader of a one-node
  // cluster) or the leader. Through a follower, Initialize is forwarded.
  enum class Via { kFollower, kLeader } via = Via::kFollower;
  // Non-empty: a kv-v2 mount enabled at this path, with this config, on
  // the leader once every node is unsealed.
  std::string kv_mount;
  MountConfig kv_config;
  // Called once a leader exists, just before Initialize (to turn on
  // network faults, say). May be empty.
  std::function<void(TestCluster&)> before_initialize;

  Setup& AutoUnseal() {
    auto_unseal = true;
    return *this;
  }
  Setup& ViaLeader() {
    via = Via::kLeader;
    return *this;
  }
  Setup& Kv(std::string mount, MountConfig config = {}) {
    kv_mount = std::move(mount);
    kv_config = config;
    return *this;
  }
  Setup& BeforeInitialize(std::function<void(TestCluster&)> f) {
    before_initialize = std::move(f);
    return *this;
  }
};

// Starts every node of `c`, bootstraps them all with the same peer list
// and waits for a leader; returns its id. Fails the test if a node does
// not open or no leader is elected within kSetupTimeout.
uint64_t StartCluster(TestCluster& c);

// StartCluster, then Initialize per `setup` through one node, waits until
// every node has the seal records and unseals it (or sees it unseal itself
// through its Kms), then enables `setup.kv_mount`. Returns what Initialize
// returned (the shares are the only copy). Fails the test on any error or
// when a wait exceeds kSetupTimeout.
InitializeResult StartUnsealed(TestCluster& c, const Setup& setup = {});

// The leader every running node outside `ignore` agrees on, waiting up to
// `timeout`; fails the test if there is none by then.
uint64_t Leader(TestCluster& c, const std::set<uint64_t>& ignore = {},
                absl::Duration timeout = kSetupTimeout);

// The running nodes other than `leader`, in id order (the first is what
// TestCluster::AFollower returns).
std::vector<uint64_t> Followers(TestCluster& c, uint64_t leader);

struct Roles {
  uint64_t leader = 0;
  uint64_t follower = 0;  // the first of Followers(c, leader)
};
// Leader(c) and a follower of it; fails the test if either is missing.
Roles LeaderAndFollower(TestCluster& c);

// Stops every running node of `c`, starts every node again (sealed, on its
// data directory) and waits for a leader. Fails the test if a node does not
// open or no leader is elected within kSetupTimeout.
void RestartAll(TestCluster& c);

// Unseals every running node with `keys` (TestCluster::Unseal); fails the
// test if one stays sealed.
void UnsealAll(TestCluster& c, const std::vector<std::string>& keys);

// Waits until every running node is unsealed (a Kms unseals them on their
// own); fails the test if one is not within kSetupTimeout.
void WaitUnsealedAll(TestCluster& c);

// Whether `n` has the seal records (it was initialized, or learned of it
// through replication).
bool Initialized(Node& n);

// Whether `n` reads `value` at `path` from its own applied state (a stale
// read), waiting up to kSetupTimeout.
bool StaleReads(Node& n, const Caller& as, const std::string& path,
                const std::string& value);

// Whether every running node of `c` reads `value` at `path` from its own
// applied state, waiting up to kSetupTimeout for each: for "the write is
// applied everywhere" before a restart, a stop or a disk scan.
bool AppliedEverywhere(TestCluster& c, const std::string& path,
                       const std::string& value);

// Writes the raw secrets `prefix`0 .. `prefix`<count - 1>, each `value`,
// through `n`, each retried as Retry does; fails the test on another error.
void PutRawMany(Node& n, const Caller& as, const std::string& prefix, int count,
                const std::string& value = "v");

// The peer `id` as `n` lists it; nullopt if it is not listed or `n`
// cannot list its peers.
std::optional<PeerInfo> PeerOf(Node& n, const Caller& as, uint64_t id);

// The voters `n` lists (empty if it cannot list its peers).
std::set<uint64_t> Voters(Node& n, const Caller& as);

// The leader `n` knows of; 0 if none (or it cannot say).
uint64_t LeaderSeenBy(Node& n);

// Options whose Open must fail naming one field: the field ("options.x")
// and what breaks it in otherwise valid options.
using BadOptions =
    std::vector<std::pair<std::string, std::function<void(NodeOptions&)>>>;
// For each case, checks that Node::Open of node 1's options with the
// change fails with kInvalidArgument and a message holding "node: " and the
// field. REQUIRES: node 1 of `c` is not running.
void CheckOpenNamesField(TestCluster& c, const BadOptions& cases);

// Calls `f` (returning absl::Status or absl::StatusOr<T>) again, every
// 20 ms and up to 100 times, while it fails with kUnavailable (no leader)
// or kDeadlineExceeded (a leader change ate the request); returns the last
// result. Only for operations a retry cannot apply twice in a way the test
// would notice.
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

}  // namespace coffer::testing

#endif  // COFFER_TESTS_SUPPORT_CLUSTER_FIXTURE_H_
