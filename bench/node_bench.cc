// node_bench: a 3-node cluster in one process (real Nodes, LevelDB with
// fsync, the in-memory test transport); PutRaw throughput and latency at
// 1, 16 and 64 concurrent clients, on the leader and through a follower.
//
// Usage: node_bench [seconds per run, default 3] [value bytes, default 256]
//                   [nosync: options.sync = false]
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "coffer/node.h"
#include "node/test_cluster.h"

namespace coffer::testing {
namespace {

struct Result {
  double writes_per_s = 0;
  absl::Duration p50, p99;
  int errors = 0;
};

Result Run(Node& node, int clients, absl::Duration length,
           const std::string& value) {
  std::vector<std::vector<absl::Duration>> lat(clients);
  std::atomic<int> errors{0};
  const absl::Time end = absl::Now() + length;
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      for (int i = 0; absl::Now() < end; ++i) {
        const absl::Time t0 = absl::Now();
        absl::Status s = node.PutRaw(
            "bench/" + std::to_string(c) + "/" + std::to_string(i % 1000),
            value);
        if (!s.ok()) {
          ++errors;
          continue;
        }
        lat[c].push_back(absl::Now() - t0);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::vector<absl::Duration> all;
  for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  Result r;
  r.errors = errors;
  if (all.empty()) return r;
  r.writes_per_s = all.size() / absl::ToDoubleSeconds(length);
  r.p50 = all[all.size() / 2];
  r.p99 = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  return r;
}

int Main(int argc, char** argv) {
  const absl::Duration length = absl::Seconds(argc > 1 ? atoi(argv[1]) : 3);
  const std::string value(argc > 2 ? atoi(argv[2]) : 256, 'v');
  TestCluster c(3);
  const bool sync = !(argc > 3 && std::string(argv[3]) == "nosync");
  c.tweak = [sync](NodeOptions& o) {
    o.sync = sync;
    o.tick = absl::Milliseconds(10);
    o.request_timeout = absl::Seconds(10);
  };
  c.StartAndBootstrap();
  const uint64_t leader = c.WaitForLeader();
  if (leader == 0) return 1;
  InitializeOptions opts;
  opts.secret_shares = 1;
  opts.secret_threshold = 1;
  absl::StatusOr<InitializeResult> init = c.node(leader).Initialize(opts);
  if (!init.ok()) return 1;
  for (uint64_t id : c.ids()) {
    if (!Eventually([&] { return c.Unseal(id, init->keys).ok(); })) return 1;
  }
  const uint64_t follower = leader == 1 ? 2 : 1;
  std::printf("node_bench: 3 nodes, fsync %s, %zu-byte values, %.0fs per run\n",
              sync ? "on" : "off", value.size(), absl::ToDoubleSeconds(length));
  std::printf("%-10s %8s %12s %10s %10s %7s\n", "via", "clients", "writes/s",
              "p50 ms", "p99 ms", "errors");
  for (const auto& [name, id] :
       {std::pair<const char*, uint64_t>{"leader", leader},
        std::pair<const char*, uint64_t>{"follower", follower}}) {
    for (int clients : {1, 16, 64}) {
      Result r = Run(c.node(id), clients, length, value);
      std::printf("%-10s %8d %12.0f %10.2f %10.2f %7d\n", name, clients,
                  r.writes_per_s, absl::ToDoubleMilliseconds(r.p50),
                  absl::ToDoubleMilliseconds(r.p99), r.errors);
    }
  }
  return 0;
}

}  // namespace
}  // namespace coffer::testing

int main(int argc, char** argv) { return coffer::testing::Main(argc, argv); }
