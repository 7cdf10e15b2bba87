// Test support for coffer::Node: an in-memory network that can drop,
// duplicate and partition frames, and a cluster of real Nodes (each with its
// own data directory and event loop) in one process.
#ifndef COFFER_TESTS_NODE_TEST_CLUSTER_H_
#define COFFER_TESTS_NODE_TEST_CLUSTER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "coffer/node.h"
#include "coffer/transport.h"
#include "storage/db.h"
#include "storage/leveldb_state_store.h"

namespace coffer::testing {

// Delivers frames synchronously into the destination's Node::Receive (which
// only queues them). Thread-safe.
class TestNetwork {
 public:
  explicit TestNetwork(uint64_t seed) : rng_(seed) {}

  // The transport of node `id`. Owned by the network.
  Transport* Endpoint(uint64_t id);

  // Frames for `id` go to `node` (borrowed until Detach).
  void Attach(uint64_t id, Node* node);
  // Stops delivery to `id`; returns once no delivery to it is running.
  void Detach(uint64_t id);

  // Drops every frame between `id` and any other node.
  void Isolate(uint64_t id);
  void Heal();
  // Each frame is dropped with probability `drop`, else delivered twice
  // with probability `duplicate`.
  void SetFaults(double drop, double duplicate);
  // Drops every frame for which `drop` returns true (nullptr: none). Called
  // under the network's lock: it must not call back into the network.
  void DropIf(
      std::function<bool(uint64_t from, uint64_t to, const std::string& frame)>
          drop);

  // Frames to an id or address no node has are dropped (a real transport
  // fails to reach them) instead of failing the test (the default: nodes
  // of a healthy cluster only send to addresses it configured).
  void DropUnroutable(bool on);

  uint64_t dropped() const;
  uint64_t duplicated() const;

 private:
  class Endpoint_;
  void Deliver(uint64_t from, uint64_t to, const std::string& frame);
  bool drop_unroutable() const;

  mutable absl::Mutex mu_;
  std::map<uint64_t, Node*> nodes_ ABSL_GUARDED_BY(mu_);
  std::set<uint64_t> isolated_ ABSL_GUARDED_BY(mu_);
  double drop_ ABSL_GUARDED_BY(mu_) = 0;
  std::function<bool(uint64_t, uint64_t, const std::string&)> drop_if_
      ABSL_GUARDED_BY(mu_);
  double duplicate_ ABSL_GUARDED_BY(mu_) = 0;
  bool drop_unroutable_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t duplicated_ ABSL_GUARDED_BY(mu_) = 0;
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, std::unique_ptr<Transport>> endpoints_
      ABSL_GUARDED_BY(mu_);
};

// Nodes 1..n on temporary directories (removed at destruction).
// A stopped node's applied state, opened from its data directory (the
// store reads through the Db: keep both).
struct StateOnDisk {
  std::unique_ptr<storage::Db> db;
  std::unique_ptr<storage::LevelDbStateStore> state;
};

class TestCluster;
// REQUIRES: node `id` of `c` is stopped. Aborts if its store does not open.
StateOnDisk OpenStateOnDisk(TestCluster& c, uint64_t id);

class TestCluster {
 public:
  explicit TestCluster(int n, uint64_t seed = 1);
  ~TestCluster();

  static std::string Address(uint64_t id) {
    return "node-" + std::to_string(id);
  }
  NodeOptions Options(uint64_t id);
  // Options used for every later Start; tests may change them.
  std::function<void(NodeOptions&)> tweak;

  // Opens node `id` on its directory and connects it.
  absl::Status Start(uint64_t id);
  // Disconnects and closes node `id` (its directory stays).
  void Stop(uint64_t id);
  bool running(uint64_t id) const { return nodes_.count(id) != 0; }
  Node& node(uint64_t id) { return *nodes_.at(id); }
  TestNetwork& network() { return network_; }
  std::vector<uint64_t> ids() const { return ids_; }
  void AddId(uint64_t id) { ids_.push_back(id); }

  // Starts every node and bootstraps them all with the same peer list.
  void StartAndBootstrap();
  // Waits until every running node not in `ignore` agrees on one running
  // leader; returns its id (0 on timeout).
  uint64_t WaitForLeader(absl::Duration timeout = absl::Seconds(10),
                         const std::set<uint64_t>& ignore = {});
  // Submits `keys` to node `id` until it is unsealed.
  absl::Status Unseal(uint64_t id, const std::vector<std::string>& keys);
  // StartAndBootstrap, then Initialize through node `via` (0: a follower)
  // with `shares` shares of `threshold`, and unseal every node with the
  // last `threshold` shares. Returns the shares.
  absl::StatusOr<std::vector<std::string>> StartInitialized(int shares = 3,
                                                            int threshold = 2,
                                                            uint64_t via = 0);
  // A running node other than `leader`; 0 if there is none.
  uint64_t AFollower(uint64_t leader) const;

  // The root token Initialize returned (StartInitialized and StartUnsealed
  // keep it; a test that initializes by hand sets it), as the Caller of the
  // cluster's operator.
  Caller root() const { return Caller(root_token_); }
  void set_root_token(std::string token) { root_token_ = std::move(token); }

 private:
  TestNetwork network_;
  std::string root_;
  std::string root_token_;
  std::vector<uint64_t> ids_;
  std::map<uint64_t, std::unique_ptr<Node>> nodes_;
};

// The peers of `ids` as Join and NodeOptions::retry_join take them.
std::vector<Peer> PeersOf(const std::vector<uint64_t>& ids);

// What a scan of the nodes' data directories found: how many files it read,
// and which of them contain one of the needles.
struct DiskScan {
  int files = 0;
  std::vector<std::string> files_with_needle;
};
// Reads every regular file under every node's data directory, for "this
// never reaches the disk in plaintext" checks. Stop the nodes first.
DiskScan ScanDataDirs(TestCluster& c, const std::vector<std::string>& needles);

// Whether `n` is initialized and unsealed.
bool Unsealed(Node& n);

// Polls `cond` every few milliseconds until it holds or `timeout` passes.
bool Eventually(const std::function<bool()>& cond,
                absl::Duration timeout = absl::Seconds(10));

}  // namespace coffer::testing

#endif  // COFFER_TESTS_NODE_TEST_CLUSTER_H_
