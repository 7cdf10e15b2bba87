// Snapshot save and restore of N keys (default 1,000,000) with 256-byte
// values through a LevelDbStateStore: MB/s and peak memory of each phase.
//
// Each phase runs in a fresh process (this binary re-executed with a phase
// name) so that its peak is its own: VmHWM is the peak resident set,
// including clean file pages LevelDB maps from its tables; "anon" is the
// peak of RssAnon (heap and stacks) sampled every 5 ms.
//
// Usage: snapshot_bench [keys] [runs]
#include <atomic>
#include <cstdio>
#include <thread>

#include "bench/storage_bench_util.h"
#include "snapshot/inspect.h"
#include "snapshot/restore.h"
#include "storage/db.h"
#include "storage/leveldb_state_store.h"

namespace coffer::bench {
namespace {

constexpr size_t kValueBytes = 256;
constexpr const char* kMacKey = "hmac-key-from-the-barrier";

uint64_t RssAnonKib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("RssAnon:", 0) == 0) return std::stoull(line.substr(8));
  }
  return 0;
}

// Samples RssAnon on a thread while alive.
class AnonSampler {
 public:
  AnonSampler()
      : thread_([this] {
          while (!stop_.load()) {
            uint64_t v = RssAnonKib();
            if (v > peak_.load()) peak_.store(v);
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
          }
        }) {}
  ~AnonSampler() { Stop(); }
  uint64_t Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    return peak_.load();
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> peak_{0};
  std::thread thread_;
};

std::string Key(uint64_t i) {
  static const char* kPrefixes[] = {"kv/", "sys/", "auth/", "policy/"};
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%s%012llu", kPrefixes[i % 4],
                static_cast<unsigned long long>(i));
  return buf;
}

int Fill(const std::string& dir, uint64_t keys) {
  auto db = *storage::Db::Open({.path = dir + "/source"});
  auto store =
      *storage::LevelDbStateStore::Open(db.get(), {.sync_apply = false});
  std::string value(kValueBytes, 'v');
  storage::WriteSet w;
  uint64_t index = 1;
  for (uint64_t i = 0; i < keys; ++i) {
    value[i % kValueBytes] = static_cast<char>(i);
    w.Put(Key(i), value);
    if (w.ops().size() == 1000 || i + 1 == keys) {
      if (!store->Apply(w, index++).ok()) return 1;
      w.Clear();
    }
  }
  return 0;
}

// Prints "<MB/s> <VmHWM MiB> <anon peak MiB>" for the parent to collect.
int RunPhase(const std::string& phase, const std::string& dir) {
  std::string path = dir + "/bench.snap";
  AnonSampler sampler;
  double t = Now();
  uint64_t bytes = 0;
  if (phase == "save") {
    auto db = *storage::Db::Open({.path = dir + "/source"});
    auto store = *storage::LevelDbStateStore::Open(db.get());
    snapshot::SnapshotHeader header;
    header.cluster_id = "bench";
    header.index = store->AppliedIndex();
    header.term = 1;
    header.conf_state.add_voters(1);
    auto it = store->NewIterator();
    auto written = snapshot::SaveSnapshot(path, header, kMacKey, *it);
    if (!written.ok()) return 1;
    bytes = *written;
  } else if (phase == "restore") {
    std::filesystem::remove_all(dir + "/target");
    auto db = *storage::Db::Open({.path = dir + "/target"});
    auto store = *storage::LevelDbStateStore::Open(db.get());
    auto meta = snapshot::RestoreSnapshot(
        path, {.mac_key = kMacKey, .cluster_id = "bench"}, store.get());
    if (!meta.ok()) {
      std::fprintf(stderr, "%s\n", meta.status().ToString().c_str());
      return 1;
    }
    bytes = std::filesystem::file_size(path);
  } else if (phase == "inspect") {
    auto in = snapshot::InspectSnapshot(path);
    if (!in.ok()) return 1;
    bytes = in->file_bytes;
  } else {
    return 2;
  }
  double mbs = bytes / 1048576.0 / (Now() - t);
  uint64_t anon = sampler.Stop();
  std::printf("%f %f %f %llu\n", mbs, PeakRssKib() / 1024.0, anon / 1024.0,
              static_cast<unsigned long long>(bytes));
  return 0;
}

struct Result {
  std::vector<double> mbs, hwm, anon;
  uint64_t bytes = 0;
};

bool Spawn(const std::string& self, const std::string& phase,
           const std::string& dir, Result* r) {
  std::string cmd = self + " --phase " + phase + " " + dir;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return false;
  double mbs = 0, hwm = 0, anon = 0;
  unsigned long long bytes = 0;
  int n = std::fscanf(p, "%lf %lf %lf %llu", &mbs, &hwm, &anon, &bytes);
  if (::pclose(p) != 0 || n != 4) return false;
  r->mbs.push_back(mbs);
  r->hwm.push_back(hwm);
  r->anon.push_back(anon);
  r->bytes = bytes;
  return true;
}

}  // namespace
}  // namespace coffer::bench

int main(int argc, char** argv) {
  using namespace coffer::bench;
  if (argc == 4 && std::string(argv[1]) == "--phase") {
    return RunPhase(argv[2], argv[3]);
  }
  uint64_t keys = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  int runs = argc > 2 ? std::atoi(argv[2]) : 3;
  std::string dir = ScratchDir("snapshot");
  std::printf("snapshot_bench: %llu keys, %zu-byte values, %d runs, dir %s\n",
              static_cast<unsigned long long>(keys), kValueBytes, runs,
              dir.c_str());
  double t = Now();
  if (Fill(dir, keys) != 0) return 1;
  std::printf("fill: %.1fs\n", Now() - t);
  Result save, inspect, restore;
  for (int r = 0; r < runs; ++r) {
    if (!Spawn(argv[0], "save", dir, &save) ||
        !Spawn(argv[0], "inspect", dir, &inspect) ||
        !Spawn(argv[0], "restore", dir, &restore)) {
      std::printf("phase failed\n");
      return 1;
    }
  }
  std::printf("snapshot file: %.1f MiB\n", save.bytes / 1048576.0);
  for (auto [name, r] : {std::pair{"save", &save},
                         {"inspect", &inspect},
                         {"restore", &restore}}) {
    std::printf(
        "%-8s %7.1f MB/s, peak RSS %6.1f MiB (VmHWM), %6.1f MiB anon "
        "(medians)\n",
        name, Median(r->mbs), Median(r->hwm), Median(r->anon));
  }
  std::filesystem::remove_all(dir);
  return 0;
}
