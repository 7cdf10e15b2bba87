// Client histories through coffer::Node under failures: clients on every
// node write, read and check-and-set KV secrets while leaders crash and come
// back; the recorded history must be linearizable and every acknowledged
// write must survive.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "coffer/node.h"
#include "node/test_cluster.h"
#include "support/catch.h"
#include "support/cluster_fixture.h"

namespace coffer::testing {
namespace {

uint64_t SeedFromEnv() {
  const char* s = std::getenv("COFFER_TEST_SEED");
  return s != nullptr ? std::strtoull(s, nullptr, 10)
                      : std::random_device()() | 1;
}

// A monotonic clock shared by every client: invoke and response stamps.
uint64_t Stamp() {
  static const absl::Time start = absl::Now();
  return static_cast<uint64_t>(absl::ToInt64Nanoseconds(absl::Now() - start));
}

// Lets clients use a node while the test may stop and restart it: a stop
// waits for the operations in flight on that node, and no new one starts
// until it is back.
class Gate {
 public:
  explicit Gate(TestCluster& c) : c_(c) {}

  // The node to use, or nullptr while it is down; Leave after the call.
  Node* Enter(uint64_t id) {
    absl::MutexLock l(&mu_);
    if (down_.count(id) != 0 || !c_.running(id)) return nullptr;
    ++active_[id];
    return &c_.node(id);
  }
  void Leave(uint64_t id) {
    absl::MutexLock l(&mu_);
    --active_[id];
  }
  void Stop(uint64_t id) {
    absl::MutexLock l(&mu_);
    down_.insert(id);
    mu_.Await(absl::Condition(
        +[](int* active) { return *active == 0; }, &active_[id]));
    c_.Stop(id);
  }
  absl::Status Start(uint64_t id) {
    absl::MutexLock l(&mu_);
    down_.erase(id);
    return c_.Start(id);
  }

 private:
  TestCluster& c_;
  absl::Mutex mu_;
  std::set<uint64_t> down_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, int> active_ ABSL_GUARDED_BY(mu_);
};

// One operation of a client history on a KV key. KV v2 numbers every
// write, so the versions order the writes; values are unique, so a value
// names its write.
struct Op {
  enum Kind { kRead, kWrite } kind = kRead;
  std::string key;
  std::string value;            // written, or read ("" when the key has none)
  uint64_t version = 0;         // written (once known) or read (0: none)
  std::optional<uint64_t> cas;  // the write's check-and-set version
  uint64_t invoke = 0;
  uint64_t response = kPending;  // kPending: outcome unknown
  static constexpr uint64_t kPending = ~uint64_t{0};
};

// Checks a history against the keys' final version lists (version ->
// value, every version kept): every acknowledged write is there with its
// version; every read saw a version that some write made, not before that
// write began; and the version order agrees with real time: an operation
// that begins after another ended sees or makes a later version (a read:
// the same or later). The versions then give the linearization: writes in
// version order, each read right after the write it saw. Ambiguous writes
// get their version from the final lists, or never took effect. Returns ""
// or what went wrong.
std::string CheckHistory(
    std::vector<Op> history,
    const std::map<std::string, std::map<uint64_t, std::string>>& final) {
  std::map<std::pair<std::string, std::string>, Op*> writes;  // by value
  for (Op& op : history) {
    if (op.kind == Op::kWrite) writes[{op.key, op.value}] = &op;
  }
  std::set<const Op*> stored;
  for (const auto& [key, versions] : final) {
    for (const auto& [version, value] : versions) {
      auto it = writes.find({key, value});
      if (it == writes.end()) {
        return absl::StrCat(key, " v", version, " holds ", value,
                            " which no client wrote");
      }
      Op& w = *it->second;
      if (w.response != Op::kPending && w.version != version) {
        return absl::StrCat(key, ": ", value, " acknowledged as v", w.version,
                            " but stored as v", version);
      }
      if (w.cas.has_value() && *w.cas + 1 != version) {
        return absl::StrCat(key, ": cas ", *w.cas, " made v", version);
      }
      w.version = version;
      stored.insert(&w);
    }
  }
  std::vector<const Op*> done;  // the operations that took effect
  for (const Op& op : history) {
    if (op.kind == Op::kWrite && stored.count(&op) == 0) {
      if (op.response != Op::kPending) {
        return absl::StrCat(op.key, ": acknowledged ", op.value, " is lost");
      }
      continue;  // an ambiguous write that never took effect
    }
    if (op.kind == Op::kRead && op.version != 0) {
      auto v = final.find(op.key);
      if (v == final.end() || v->second.count(op.version) == 0 ||
          v->second.at(op.version) != op.value) {
        return absl::StrCat(op.key, ": read ", op.value, " as v", op.version,
                            ", which no write made");
      }
      const Op& w = *writes.at({op.key, op.value});
      if (w.invoke > op.response) {
        return absl::StrCat(op.key, ": read ", op.value, " before its write");
      }
    }
    done.push_back(&op);
  }
  // Sweep by invocation; `bound` holds, per key, the highest version among
  // operations that completed before the current one began.
  std::vector<const Op*> by_response = done;
  std::sort(done.begin(), done.end(),
            [](const Op* a, const Op* b) { return a->invoke < b->invoke; });
  std::sort(by_response.begin(), by_response.end(),
            [](const Op* a, const Op* b) { return a->response < b->response; });
  std::map<std::string, uint64_t> bound;
  size_t next = 0;
  for (const Op* op : done) {
    while (next < by_response.size() &&
           by_response[next]->response < op->invoke) {
      const Op* d = by_response[next++];
      bound[d->key] = std::max(bound[d->key], d->version);
    }
    const uint64_t b = bound[op->key];
    if (op->kind == Op::kWrite ? op->version <= b : op->version < b) {
      return absl::StrCat(op->key, ": ",
                          op->kind == Op::kWrite ? "wrote" : "read", " v",
                          op->version, " after v", b, " had completed");
    }
  }
  return "";
}

// One client: a thread that runs random reads, writes and check-and-sets
// on a few keys through one node while that node is up.
class Client {
 public:
  Client(uint64_t node, int index, uint64_t seed, std::string token)
      : node_(node), index_(index), rng_(seed), token_(std::move(token)) {}

  void Run(const std::atomic<bool>& stop, Gate& gate) {
    for (int i = 0; !stop; ++i) {
      Node* n = gate.Enter(node_);
      if (n == nullptr) {
        absl::SleepFor(absl::Milliseconds(5));
        continue;
      }
      Step(*n, i);
      gate.Leave(node_);
    }
  }

  std::vector<Op> history;
  std::vector<std::string> unexpected;

 private:
  void Step(Node& n, int i) {
    Op op;
    op.key = absl::StrCat("k", rng_() % 4);
    const int kind = static_cast<int>(rng_() % 10);
    if (kind < 4) {
      op.kind = Op::kRead;
      op.invoke = Stamp();
      absl::StatusOr<KvReadResult> r =
          n.KvGet(Caller(token_), "secret/", op.key);
      const uint64_t now = Stamp();
      if (r.ok() && r->data.has_value()) {
        op.response = now;
        op.version = r->metadata.version;
        op.value = r->data->at("v");
      } else if (r.status().code() == Code::kNotFound) {
        op.response = now;
      } else {
        Failed(r.status());
        return;  // a read without a response says nothing
      }
      last_version_[op.key] = op.version;
      history.push_back(op);
      return;
    }
    op.kind = Op::kWrite;
    op.value = absl::StrCat("c", index_, "-", i);
    WriteOptions w;
    if (kind >= 7 && last_version_.count(op.key) != 0) {
      w.cas = op.cas = last_version_[op.key];
    }
    op.invoke = Stamp();
    absl::StatusOr<VersionMetadata> r =
        n.KvPut(Caller(token_), "secret/", op.key, {{"v", op.value}}, w);
    const uint64_t now = Stamp();
    last_version_.erase(op.key);
    if (r.ok()) {
      op.response = now;
      op.version = r->version;
      last_version_[op.key] = op.version;
    } else if (r.status().code() == Code::kAborted && w.cas.has_value()) {
      return;  // refused: it wrote nothing
    } else if (!Failed(r.status())) {
      return;
    }
    history.push_back(op);
  }

  // Classifies a failure: true when the operation may have taken effect
  // (no leader, a leader change, a deadline); false when it was refused
  // (a restarted node is sealed until the test unseals it) or unexpected.
  bool Failed(const absl::Status& s) {
    switch (s.code()) {
      case Code::kUnavailable:
      case Code::kDeadlineExceeded:
        return true;
      case Code::kFailedPrecondition:
        return false;
      default:
        unexpected.push_back(s.ToString());
        return false;
    }
  }

  const uint64_t node_;
  const int index_;
  std::mt19937_64 rng_;
  const std::string token_;
  std::map<std::string, uint64_t> last_version_;  // as this client saw it
};

TEST_CASE(
    "leader crashes under concurrent kv clients keep the history "
    "linearizable and every acknowledged write",
    "[node][kv][failover][history]") {
  const uint64_t seed = SeedFromEnv();
  std::printf("history_test seed %llu (COFFER_TEST_SEED to replay)\n",
              static_cast<unsigned long long>(seed));
  INFO("seed " << seed);
  TestCluster c(3, seed);
  c.tweak = [](NodeOptions& o) {
    o.request_timeout = absl::Seconds(1);
    o.snapshot_threshold = 64;  // snapshots and compaction during the run
  };
  MountConfig mount;
  mount.max_versions = 10000;  // every acknowledged version stays readable
  const std::vector<std::string> keys =
      StartUnsealed(c, Setup().Kv("secret/", mount)).keys;

  Gate gate(c);
  std::atomic<bool> stop{false};
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    clients.push_back(std::make_unique<Client>(c.ids()[i % 3], i,
                                               seed + static_cast<uint64_t>(i),
                                               std::string(c.root().token())));
  }
  for (auto& cl : clients) {
    threads.emplace_back([&, p = cl.get()] { p->Run(stop, gate); });
  }

  // Three rounds: let the clients run, crash the leader, let them run on
  // the survivors, bring the old leader back and unseal it.
  for (int round = 0; round < 3; ++round) {
    absl::SleepFor(absl::Milliseconds(600));
    const uint64_t leader = c.WaitForLeader();
    REQUIRE(leader != 0);
    gate.Stop(leader);
    Leader(c, {leader});
    absl::SleepFor(absl::Milliseconds(600));
    REQUIRE(gate.Start(leader).ok());
    REQUIRE(c.Unseal(leader, keys).ok());
  }
  stop = true;
  for (std::thread& t : threads) t.join();

  std::vector<Op> history;
  int acked = 0;
  for (auto& cl : clients) {
    for (const std::string& u : cl->unexpected) FAIL_CHECK(u);
    for (const Op& op : cl->history) {
      if (op.kind == Op::kWrite && op.response != Op::kPending) ++acked;
    }
    history.insert(history.end(), cl->history.begin(), cl->history.end());
  }
  std::printf("history_test: %zu operations, %d acknowledged writes\n",
              history.size(), acked);
  CHECK(acked >= 30);  // the clients made progress across the crashes

  // The final versions, as every node holds them once caught up (stale
  // reads, so that each node's own state is checked): the same everywhere.
  // The leader found may step down before the barrier lands (a loaded
  // machine misses heartbeats): only that is retried.
  absl::Status barrier = absl::UnavailableError("no leader yet");
  uint64_t leader = 0;
  for (int attempt = 0; attempt < 50 && barrier.code() == Code::kUnavailable;
       ++attempt) {
    leader = c.WaitForLeader();
    if (leader != 0) barrier = c.node(leader).PutRaw(c.root(), "barrier", "x");
  }
  INFO("barrier: " << barrier.ToString());
  REQUIRE(barrier.ok());
  std::map<uint64_t, std::map<std::string, std::map<uint64_t, std::string>>>
      finals;
  for (uint64_t id : c.ids()) {
    Node& n = c.node(id);
    REQUIRE(Eventually([&] {
      return n.GetRaw(c.root(), "barrier", ReadConsistency::kStale).ok();
    }));
    for (int k = 0; k < 4; ++k) {
      const std::string key = absl::StrCat("k", k);
      absl::StatusOr<KeyMetadata> meta =
          n.KvReadMetadata(c.root(), "secret/", key, ReadConsistency::kStale);
      if (meta.status().code() == Code::kNotFound) continue;
      REQUIRE(meta.ok());
      for (const auto& [version, vm] : meta->versions) {
        absl::StatusOr<KvReadResult> r =
            n.KvGet(c.root(), "secret/", key, version, ReadConsistency::kStale);
        REQUIRE(r.ok());
        REQUIRE(r->data.has_value());
        finals[id][key][version] = r->data->at("v");
      }
    }
  }
  for (uint64_t id : c.ids()) CHECK(finals[id] == finals[leader]);
  CHECK(CheckHistory(history, finals[leader]) == "");
}

TEST_CASE("the history check finds lost writes and stale reads",
          "[node][history]") {
  auto op = [](Op::Kind kind, std::string value, uint64_t version,
               uint64_t invoke, uint64_t response) {
    Op o;
    o.kind = kind;
    o.key = "k";
    o.value = std::move(value);
    o.version = version;
    o.invoke = invoke;
    o.response = response;
    return o;
  };
  // A write's version is known once it is acknowledged.
  auto write = [&](std::string value, uint64_t version, uint64_t invoke,
                   uint64_t response) {
    return op(Op::kWrite, std::move(value),
              response == Op::kPending ? 0 : version, invoke, response);
  };
  auto read = [&](std::string value, uint64_t version, uint64_t invoke,
                  uint64_t response) {
    return op(Op::kRead, std::move(value), version, invoke, response);
  };
  const std::map<std::string, std::map<uint64_t, std::string>> final = {
      {"k", {{1, "a"}, {2, "b"}}}};
  // Valid: an ambiguous write ("b") took effect, another ("c") did not;
  // a read overlapping the second write may see either version.
  std::vector<Op> ok = {write("a", 1, 0, 10),
                        read("a", 1, 11, 12),
                        write("b", 0, 13, Op::kPending),
                        read("a", 1, 14, 16),
                        read("b", 2, 15, 20),
                        write("c", 0, 21, Op::kPending)};
  CHECK(CheckHistory(ok, final) == "");
  // The check of `ok` with one more operation.
  auto with = [&](Op extra) {
    std::vector<Op> h = ok;
    h.push_back(std::move(extra));
    return CheckHistory(h, final);
  };
  // An acknowledged write missing from the final versions.
  CHECK(with(write("d", 3, 30, 31)) != "");
  // A read of v1 that began after a read of v2 had completed.
  CHECK(with(read("a", 1, 21, 22)) != "");
  // A read of a value no write made, or before its write began.
  CHECK(with(read("x", 2, 21, 22)) != "");
  CHECK(with(read("b", 2, 1, 2)) != "");
  // An acknowledged version that differs from the stored one.
  std::vector<Op> moved = ok;
  moved[0].version = 2;
  CHECK(CheckHistory(moved, final) != "");
}

TEST_CASE(
    "check-and-set from many threads on every node: one winner per "
    "version",
    "[node][kv][cas]") {
  TestCluster c(3);
  StartUnsealed(c, Setup().Kv("secret/"));

  constexpr int kThreads = 12;
  constexpr uint64_t kVersions = 60;
  std::mutex mu;
  std::map<uint64_t, int> winners;  // version -> writer
  // Writes whose outcome a leader change left unknown (a loaded machine
  // may see an election): they may or may not hold a version.
  int unknown = 0;
  std::vector<std::string> unexpected;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Node& n = c.node(c.ids()[t % 3]);
      for (;;) {
        absl::StatusOr<KeyMetadata> meta =
            n.KvReadMetadata(c.root(), "secret/", "k");
        uint64_t current = 0;
        if (meta.ok()) {
          current = meta->current_version;
        } else if (meta.status().code() == Code::kUnavailable) {
          absl::SleepFor(absl::Milliseconds(20));  // no leader yet
          continue;
        } else if (meta.status().code() != Code::kNotFound) {
          std::lock_guard<std::mutex> l(mu);
          unexpected.push_back(meta.status().ToString());
          return;
        }
        if (current >= kVersions) return;
        WriteOptions w;
        w.cas = current;
        absl::StatusOr<VersionMetadata> r = n.KvPut(
            c.root(), "secret/", "k", {{"writer", std::to_string(t)}}, w);
        std::lock_guard<std::mutex> l(mu);
        if (r.ok()) {
          if (r->version != current + 1 || winners.count(r->version) != 0) {
            unexpected.push_back(
                absl::StrCat("version ", r->version, " after cas ", current));
          }
          winners[r->version] = t;
        } else if (r.status().code() == Code::kUnavailable ||
                   r.status().code() == Code::kDeadlineExceeded) {
          ++unknown;
        } else if (r.status().code() != Code::kAborted) {
          unexpected.push_back(r.status().ToString());
          return;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& u : unexpected) FAIL_CHECK(u);
  INFO(unknown << " writes with an unknown outcome");
  REQUIRE(winners.size() <= kVersions);
  REQUIRE(winners.size() + unknown >= kVersions);
  if (unknown == 0) {
    CHECK(winners.begin()->first == 1);
    CHECK(winners.rbegin()->first == kVersions);
  }
  // The stored versions are the winners' writes.
  Node& n = c.node(c.WaitForLeader());
  for (uint64_t v : {uint64_t{kVersions - 9}, kVersions}) {
    absl::StatusOr<KvReadResult> r = n.KvGet(c.root(), "secret/", "k", v);
    REQUIRE(r.ok());
    REQUIRE(r->data.has_value());
    if (winners.count(v) != 0) {
      CHECK(r->data->at("writer") == std::to_string(winners.at(v)));
    }
  }
}

}  // namespace
}  // namespace coffer::testing
