// Throughput of the raft core alone: a 3-node cluster in memory (no I/O, no
// network), counting entries committed and applied on the leader per
// second, with and without batching, and heap allocations per committed
// entry (counted by replacing the global operator new in this binary).
// Rates are per CPU second of the one thread that runs all three nodes.
//
// Usage: build/bench/raft_bench [runs]   (default 5; prints medians)
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "raft/memory_storage.h"
#include "raft/raft.h"

namespace {

std::atomic<uint64_t> g_allocations{0};

}  // namespace

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace coffer::raft {
namespace {

struct BenchNode {
  MemoryStorage storage;
  SeededRandom random{1};
  std::unique_ptr<Raft> raft;
  uint64_t applied = 0;
};

class BenchCluster {
 public:
  BenchCluster() {
    for (uint64_t id = 1; id <= 3; ++id) {
      auto n = std::make_unique<BenchNode>();
      n->random = SeededRandom(id);
      Config c;
      c.id = id;
      c.storage = &n->storage;
      c.random = &n->random;
      c.bootstrap_voters = {1, 2, 3};
      c.max_size_per_msg = 1 << 20;
      c.max_inflight_msgs = 1024;
      n->raft = *Raft::Create(c);
      nodes_.push_back(std::move(n));
    }
    while (nodes_[0]->raft->role() != Role::kLeader) {
      nodes_[0]->raft->Tick();
      Pump();
    }
    Pump();
  }

  // Processes every Ready and delivers every message until quiet.
  void Pump() {
    bool busy = true;
    while (busy) {
      busy = false;
      for (auto& n : nodes_) {
        if (!n->raft->HasReady()) continue;
        busy = true;
        Ready rd = n->raft->GetReady();
        (void)n->storage.Save(rd.hard_state.value_or(raftpb::HardState()),
                              rd.entries, false);
        for (raftpb::Message& m : rd.messages) queue_.push_back(std::move(m));
        if (!rd.committed_entries.empty()) {
          n->applied = rd.committed_entries.back().index();
        }
        n->raft->Advance();
        MaybeCompact(*n);
      }
      while (!queue_.empty()) {
        busy = true;
        raftpb::Message m = std::move(queue_.front());
        queue_.pop_front();
        (void)nodes_[m.to() - 1]->raft->Step(std::move(m));
      }
    }
  }

  Raft& leader() { return *nodes_[0]->raft; }
  uint64_t applied() const { return nodes_[0]->applied; }

 private:
  void MaybeCompact(BenchNode& n) {
    if (n.applied < n.storage.FirstIndex() + 65536) return;
    raftpb::ConfState cs = n.raft->GetStatus().conf_state;
    if (n.storage.CreateSnapshot(n.applied, cs, "").ok()) {
      (void)n.storage.Compact(n.applied + 1);
    }
  }

  std::vector<std::unique_ptr<BenchNode>> nodes_;
  std::deque<raftpb::Message> queue_;
};

// CPU time of this thread: the machine may be shared, and the question is
// what one core does.
double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct Result {
  double entries_per_sec;
  double allocs_per_entry;
};

// Commits `total` 64-byte proposals, `batch` proposals per round trip.
Result Run(uint64_t total, uint64_t batch) {
  BenchCluster c;
  const std::string payload(64, 'p');
  uint64_t start_applied = c.applied();
  uint64_t allocs0 = g_allocations.load();
  double t0 = CpuSeconds();
  for (uint64_t done = 0; done < total; done += batch) {
    for (uint64_t i = 0; i < batch; ++i) {
      if (!c.leader().Propose(payload).ok()) std::abort();
    }
    c.Pump();
  }
  double secs = CpuSeconds() - t0;
  uint64_t committed = c.applied() - start_applied;
  return Result{committed / secs,
                double(g_allocations.load() - allocs0) / committed};
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace
}  // namespace coffer::raft

int main(int argc, char** argv) {
  using coffer::raft::Run;
  int runs = argc > 1 ? std::atoi(argv[1]) : 5;
  struct Mode {
    const char* name;
    uint64_t total, batch;
  } modes[] = {{"batched (1024 proposals per round trip)", 2000000, 1024},
               {"batched (64 proposals per round trip)", 1000000, 64},
               {"unbatched (1 proposal per round trip)", 200000, 1}};
  std::printf("raft_bench: 3 nodes in memory, 64-byte proposals, %d runs\n",
              runs);
  for (const Mode& m : modes) {
    std::vector<double> rate, allocs;
    for (int i = 0; i < runs; ++i) {
      coffer::raft::Result r = Run(m.total, m.batch);
      rate.push_back(r.entries_per_sec);
      allocs.push_back(r.allocs_per_entry);
    }
    std::printf(
        "  %-42s median %10.0f committed entries/s, %6.1f "
        "allocations per entry\n",
        m.name, coffer::raft::Median(rate), coffer::raft::Median(allocs));
  }
  return 0;
}
