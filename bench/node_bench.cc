// node_bench: a 3-node cluster in one process (real Nodes, LevelDB with
// fsync, the in-memory test transport) serving KV v2 secrets: write
// throughput and latency at 1, 16 and 64 concurrent clients on the leader
// and through a follower, linearizable and stale reads per second, and the
// time from a leader crash to the first write acknowledged by the new
// leader (median of 5); and logins per second at 16 clients (AppRole, and
// userpass at Vault's scrypt cost: each login is one raft write, the
// userpass ones also a read and a hash on the client's thread).
//
// Usage: node_bench [seconds per run, default 3] [value bytes, default 256]
//                   [nosync: options.sync = false] [only: e.g. "put leader 64"]
//                   [root|policy: the clients' token, default root]
// With `only`, just the runs whose "operation via clients" line starts with
// it (for profiling one case; "" for all); "failover" runs only the failover
// trials. With "policy", the cluster stores 1,000 ACL policies of 10 paths
// each and the clients use a token holding 10 of them (one grants the
// bench's keys): the access check's cost against the root token's, which
// the node checks the same way but whose ACL has no rules.
//
// Besides rates and latencies each run reports CPU time per operation: the
// whole process's ("cpu us/op") and its busiest thread's ("top us/op", the
// leader's event loop when writing). They vary far less than rates on a
// shared machine, so they are what to compare when changing a hot path.
// "disk KB/op" is what the three nodes wrote to disk per operation (the
// raft log, the applied records, LevelDB's tables and compactions).
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "coffer/node.h"
#include "coffer/observe.h"
#include "node/test_cluster.h"

namespace coffer::testing {
namespace {

struct Result {
  double ops_per_s = 0;
  absl::Duration p50, p99;
  int errors = 0;
  double batch = 0;           // log entries per fsync on the leader
  double syncs_per_s = 0;     // its fsynced writes per second
  double cpu_us_per_op = 0;   // CPU time of the process per operation
  double top_us_per_op = 0;   // that of its busiest thread
  double disk_kb_per_op = 0;  // bytes the process caused to be written
};

// Bytes this process caused to be written to storage so far
// (/proc/self/io's write_bytes; 0 where unreadable).
double DiskWrittenBytes() {
  std::ifstream in("/proc/self/io");
  std::string name;
  double value = 0;
  while (in >> name >> value) {
    if (name == "write_bytes:") return value;
  }
  return 0;
}

// CPU seconds used so far by this process.
double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

// CPU seconds used so far by each thread of this process, by thread id
// (utime + stime from /proc/self/task/<tid>/stat; 0 where unreadable).
std::map<std::string, double> ThreadCpuSeconds() {
  std::map<std::string, double> out;
  std::error_code ec;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream in(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
    // Fields after the command name, which ends with the last ')'.
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i >= 14) ticks += std::atof(field.c_str());
    }
    out[task.path().filename().string()] = ticks / sysconf(_SC_CLK_TCK);
  }
  return out;
}

// Sums a node's counters (its batching and fsyncs).
class Counters final : public MetricsSink {
 public:
  void Counter(absl::string_view name, uint64_t delta) override {
    absl::MutexLock lock(&mu_);
    counts_[std::string(name)] += delta;
  }
  void Gauge(absl::string_view, double) override {}
  void Timing(absl::string_view, absl::Duration) override {}
  uint64_t Get(const std::string& name) const {
    absl::MutexLock lock(&mu_);
    auto it = counts_.find(name);
    return it == counts_.end() ? 0 : it->second;
  }

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, uint64_t> counts_;
};

// Runs `op(client, i)` from `clients` threads for `length`; `counters`
// are the leader's.
Result Run(int clients, absl::Duration length, const Counters& counters,
           const std::function<absl::Status(int, int)>& op) {
  const uint64_t entries0 = counters.Get("raft.entries_written");
  auto syncs = [&counters] {
    return counters.Get("storage.synced_writes") +
           counters.Get("storage.log_syncs");
  };
  const uint64_t syncs0 = syncs();
  const double cpu0 = ProcessCpuSeconds();
  const double disk0 = DiskWrittenBytes();
  const std::map<std::string, double> threads0 = ThreadCpuSeconds();
  std::vector<std::vector<absl::Duration>> lat(clients);
  std::atomic<int> errors{0};
  const absl::Time end = absl::Now() + length;
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      for (int i = 0; absl::Now() < end; ++i) {
        const absl::Time t0 = absl::Now();
        if (!op(c, i).ok()) {
          ++errors;
          continue;
        }
        lat[c].push_back(absl::Now() - t0);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const double cpu = ProcessCpuSeconds() - cpu0;
  const double disk = DiskWrittenBytes() - disk0;
  double top = 0;
  for (const auto& [tid, seconds] : ThreadCpuSeconds()) {
    auto it = threads0.find(tid);
    if (it != threads0.end()) top = std::max(top, seconds - it->second);
  }
  Result r;
  const uint64_t writes = syncs() - syncs0;
  if (writes > 0) {
    r.batch =
        static_cast<double>(counters.Get("raft.entries_written") - entries0) /
        static_cast<double>(writes);
  }
  r.syncs_per_s = (syncs() - syncs0) / absl::ToDoubleSeconds(length);
  std::vector<absl::Duration> all;
  for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  r.errors = errors;
  if (all.empty()) return r;
  r.ops_per_s = all.size() / absl::ToDoubleSeconds(length);
  r.p50 = all[all.size() / 2];
  r.p99 = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  r.cpu_us_per_op = cpu * 1e6 / all.size();
  r.top_us_per_op = top * 1e6 / all.size();
  r.disk_kb_per_op = disk / 1024 / all.size();
  return r;
}

void Print(const char* what, const char* via, int clients, const Result& r) {
  std::printf(
      "%-16s %-9s %7d %10.0f %8.2f %8.2f %6d %7.1f %7.0f %9.1f %9.1f %8.1f\n",
      what, via, clients, r.ops_per_s, absl::ToDoubleMilliseconds(r.p50),
      absl::ToDoubleMilliseconds(r.p99), r.errors, r.batch, r.syncs_per_s,
      r.cpu_us_per_op, r.top_us_per_op, r.disk_kb_per_op);
}

std::string Key(int client, int i) {
  return "bench/" + std::to_string(client) + "/" + std::to_string(i % 1000);
}

// Crashes the leader while a client writes through a follower; returns the
// time from the crash to the first write the new leader acknowledged.
absl::Duration Failover(TestCluster& c, const std::vector<std::string>& keys,
                        const SecretData& data) {
  const uint64_t leader = c.WaitForLeader();
  const uint64_t via = c.AFollower(leader);
  const absl::Time crash = absl::Now();
  c.Stop(leader);
  absl::Duration took = absl::InfiniteDuration();
  while (absl::Now() - crash < absl::Seconds(30)) {
    if (c.node(via).KvPut(c.root(), "secret/", "failover", data).ok()) {
      took = absl::Now() - crash;
      break;
    }
  }
  if (!c.Start(leader).ok() || !c.Unseal(leader, keys).ok()) {
    return absl::InfiniteDuration();
  }
  // Let the old leader catch up before the next trial.
  Eventually([&] {
    return c.node(leader)
        .KvGet(c.root(), "secret/", "failover", 0, ReadConsistency::kStale)
        .ok();
  });
  return took;
}

// Stores 1,000 policies of 10 paths each, and returns a token holding 10 of
// them, one of which grants the bench's keys.
absl::StatusOr<std::string> PolicyToken(Node& n, const Caller& root) {
  for (int p = 0; p < 1000; ++p) {
    std::string text;
    for (int r = 0; r < 10; ++r) {
      text += "path \"team-" + std::to_string(p) + "/data/app-" +
              std::to_string(r) +
              "/*\" { capabilities = [\"read\", \"list\"] }\n";
    }
    if (p == 0) {
      text +=
          "path \"secret/data/bench/*\" { capabilities = [\"create\", "
          "\"update\", \"read\"] }\n";
    }
    absl::Status s = n.WritePolicy(root, "p" + std::to_string(p), text);
    if (!s.ok()) return s;
  }
  TokenCreateRequest req;
  for (int p = 0; p < 1000; p += 100)
    req.policies.push_back("p" + std::to_string(p));
  absl::StatusOr<CreatedToken> t = n.CreateToken(root, req);
  if (!t.ok()) return t.status();
  return t->id;
}

// An approle role with a secret-id of unlimited uses, and a userpass user
// hashed at Vault's scrypt cost (the method's defaults), for the login runs.
struct LoginSetup {
  LoginSetup(Node& n, const Caller& root) {
    AuthMethods& m = n.auth_methods();
    AppRole role;
    role.token.token_policies = {"default"};
    if (!m.Enable(root, {"approle/", "approle", "", "", {}}).ok() ||
        !m.WriteRole(root, "approle/", "bench", role).ok() ||
        !m.Enable(root, {"userpass/", "userpass", "", "", {}}).ok() ||
        !m.WriteUser(root, "userpass/", "bench", role.token, "bench-password")
             .ok()) {
      std::fprintf(stderr, "node_bench: setting up the logins failed\n");
      std::exit(1);
    }
    absl::StatusOr<std::string> id = m.ReadRoleId(root, "approle/", "bench");
    absl::StatusOr<SecretId> secret =
        m.GenerateSecretId(root, "approle/", "bench", {}, {});
    if (!id.ok() || !secret.ok()) std::exit(1);
    role_id = *id;
    secret_id = secret->secret_id;
  }
  std::string role_id;
  std::string secret_id;
};

int Usage() {
  std::fprintf(stderr,
               "usage: node_bench [seconds [secret_bytes [sync|nosync "
               "[only [root|policy]]]]]\n"
               "  seconds       per run, 1-3600 (default 3)\n"
               "  secret_bytes  1-1048576 (default 256)\n"
               "  only          runs whose name starts with it, as \"put "
               "leader 64\",\n"
               "                \"linear follower\", \"stale\", \"login\" or "
               "\"failover\" (\"\": all)\n"
               "  root|policy   the clients' token (default root)\n");
  return 2;
}

int Main(int argc, char** argv) {
  int seconds = 3, bytes = 256;
  if (argc > 6 || (argc > 1 && (!absl::SimpleAtoi(argv[1], &seconds) ||
                                seconds < 1 || seconds > 3600))) {
    return Usage();
  }
  if (argc > 2 &&
      (!absl::SimpleAtoi(argv[2], &bytes) || bytes < 1 || bytes > (1 << 20))) {
    return Usage();
  }
  if (argc > 3 && std::string(argv[3]) != "sync" &&
      std::string(argv[3]) != "nosync") {
    return Usage();
  }
  const absl::Duration length = absl::Seconds(seconds);
  const SecretData data = {{"v", std::string(bytes, 'v')}};
  const bool sync = !(argc > 3 && std::string(argv[3]) == "nosync");
  const std::string only = argc > 4 ? argv[4] : "";
  const std::string token_kind = argc > 5 ? argv[5] : "root";
  if (token_kind != "root" && token_kind != "policy") return Usage();
  auto wanted = [&](const std::string& what, const char* via, int clients) {
    const std::string name = what + " " + via + " " + std::to_string(clients);
    return only.empty() || name.rfind(only, 0) == 0;
  };
  std::map<uint64_t, Counters> counters;
  for (uint64_t id : {1, 2, 3}) counters[id];
  TestCluster c(3);
  c.tweak = [sync, &counters](NodeOptions& o) {
    o.metrics = &counters.at(o.id);
    o.sync = sync;
    o.tick = absl::Milliseconds(10);  // election timeout 100-200 ms
    o.request_timeout = absl::Seconds(10);
  };
  absl::StatusOr<std::vector<std::string>> keys = c.StartInitialized(1, 1);
  if (!keys.ok()) return 1;
  const uint64_t leader = c.WaitForLeader();
  if (!c.node(leader).EnableKvMount(c.root(), "secret/", MountConfig()).ok())
    return 1;
  const uint64_t follower = c.AFollower(leader);
  std::string token(c.root().token());
  if (token_kind == "policy") {
    absl::StatusOr<std::string> t = PolicyToken(c.node(leader), c.root());
    if (!t.ok()) {
      std::fprintf(stderr, "node_bench: %s\n", t.status().ToString().c_str());
      return 1;
    }
    token = *std::move(t);
  }
  const Caller as(token);
  std::printf(
      "node_bench: 3 nodes, fsync %s, %zu-byte secrets, %.0fs per run, "
      "%s token\n",
      sync ? "on" : "off", data.at("v").size(), absl::ToDoubleSeconds(length),
      token_kind == "root" ? "root" : "a 10-policy");
  std::printf("%-16s %-9s %7s %10s %8s %8s %6s %7s %7s %9s %9s %8s\n",
              "operation", "via", "clients", "ops/s", "p50 ms", "p99 ms",
              "errors", "batch", "fsync/s", "cpu us/op", "top us/op",
              "disk KB/op");
  // The keys the reads ask for, unless a put run wrote them first.
  bool seeded = false;
  auto seed = [&]() {
    for (int cl = 0; cl < 16 && !seeded; ++cl) {
      for (int i = 0; i < 64; ++i) {
        if (!c.node(leader).KvPut(c.root(), "secret/", Key(cl, i), data).ok()) {
          std::fprintf(stderr, "node_bench: seeding the read keys failed\n");
          std::exit(1);
        }
      }
    }
    seeded = true;
  };
  for (const auto& [via, id] :
       {std::pair<const char*, uint64_t>{"leader", leader},
        {"follower", follower}}) {
    Node& n = c.node(id);
    for (int clients : {1, 16, 64}) {
      if (!wanted("put", via, clients)) continue;
      Print("kv put", via, clients,
            Run(clients, length, counters.at(leader), [&](int cl, int i) {
              return n.KvPut(as, "secret/", Key(cl, i), data).status();
            }));
    }
    if (wanted("login", via, 16)) {
      static LoginSetup* setup = nullptr;
      if (setup == nullptr) setup = new LoginSetup(c.node(leader), c.root());
      Print("approle login", via, 16,
            Run(16, length, counters.at(leader), [&](int, int) {
              return n.auth_methods()
                  .AppRoleLogin(Caller(""), "approle/", setup->role_id,
                                setup->secret_id)
                  .status();
            }));
      Print("userpass login", via, 16,
            Run(16, length, counters.at(leader), [&](int, int) {
              return n.auth_methods()
                  .UserpassLogin(Caller(""), "userpass/", "bench",
                                 "bench-password")
                  .status();
            }));
    }
    for (auto [what, consistency] :
         {std::pair<const char*, ReadConsistency>{
              "kv get linear", ReadConsistency::kLinearizable},
          {"kv get stale", ReadConsistency::kStale}}) {
      if (!wanted(consistency == ReadConsistency::kStale ? "stale" : "linear",
                  via, 16)) {
        continue;
      }
      seed();
      Print(what, via, 16,
            Run(16, length, counters.at(leader),
                [&, cons = consistency](int cl, int i) {
                  return n.KvGet(as, "secret/", Key(cl, i % 64), 0, cons)
                      .status();
                }));
    }
  }
  if (!wanted("failover", "", 0)) return 0;
  std::vector<absl::Duration> failovers;
  for (int trial = 0; trial < 5; ++trial) {
    failovers.push_back(Failover(c, *keys, data));
  }
  std::sort(failovers.begin(), failovers.end());
  std::printf(
      "leader crash to first write acknowledged: median %.0f ms (min %.0f, "
      "max %.0f; election timeout 100-200 ms)\n",
      absl::ToDoubleMilliseconds(failovers[2]),
      absl::ToDoubleMilliseconds(failovers[0]),
      absl::ToDoubleMilliseconds(failovers[4]));
  return 0;
}

}  // namespace
}  // namespace coffer::testing

int main(int argc, char** argv) { return coffer::testing::Main(argc, argv); }
