// Snapshot save and restore of N keys (default 1,000,000) with 256-byte
// values through a LevelDbStateStore: MB/s and peak resident memory of each
// phase. Usage: snapshot_bench [keys] [runs]
#include <cstdio>

#include "bench/storage_bench_util.h"
#include "snapshot/inspect.h"
#include "snapshot/restore.h"
#include "storage/db.h"
#include "storage/leveldb_state_store.h"

namespace coffer::bench {
namespace {

constexpr size_t kValueBytes = 256;

std::string Key(uint64_t i) {
  static const char* kPrefixes[] = {"kv/", "sys/", "auth/", "policy/"};
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%s%012llu", kPrefixes[i % 4],
                static_cast<unsigned long long>(i));
  return buf;
}

void Fill(storage::StateStore& store, uint64_t keys) {
  std::string value(kValueBytes, 'v');
  storage::WriteSet w;
  uint64_t index = 1;
  for (uint64_t i = 0; i < keys; ++i) {
    value[i % kValueBytes] = static_cast<char>(i);
    w.Put(Key(i), value);
    if (w.ops().size() == 1000 || i + 1 == keys) {
      if (!store.Apply(w, index++).ok()) std::abort();
      w.Clear();
    }
  }
}

struct Phase {
  double mb_per_s;
  double peak_mib;
};

}  // namespace
}  // namespace coffer::bench

int main(int argc, char** argv) {
  using namespace coffer;
  using namespace coffer::bench;
  uint64_t keys = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  int runs = argc > 2 ? std::atoi(argv[2]) : 3;
  std::string dir = ScratchDir("snapshot");
  std::printf("snapshot_bench: %llu keys, %zu-byte values, %d runs, dir %s\n",
              static_cast<unsigned long long>(keys), kValueBytes, runs,
              dir.c_str());
  if (!ResetPeakRss()) std::printf("(cannot reset VmHWM: peaks cumulative)\n");

  double t = Now();
  auto db = *storage::Db::Open({.path = dir + "/source"});
  auto source =
      *storage::LevelDbStateStore::Open(db.get(), {.sync_apply = false});
  Fill(*source, keys);
  std::printf("fill: %.1fs\n", Now() - t);

  snapshot::SnapshotHeader header;
  header.cluster_id = "bench";
  header.index = source->AppliedIndex();
  header.term = 1;
  header.conf_state.add_voters(1);
  std::string key = "hmac-key-from-the-barrier";
  std::string path = dir + "/bench.snap";
  std::vector<double> save_mbs, save_peak, restore_mbs, restore_peak,
      inspect_mbs;
  uint64_t bytes = 0;
  for (int r = 0; r < runs; ++r) {
    ResetPeakRss();
    uint64_t base = CurrentRssKib();
    t = Now();
    auto it = source->NewIterator();
    bytes = *snapshot::SaveSnapshot(path, header, key, *it);
    it.reset();
    save_mbs.push_back(bytes / 1048576.0 / (Now() - t));
    save_peak.push_back((PeakRssKib() - base) / 1024.0);

    t = Now();
    auto in = snapshot::InspectSnapshot(path);
    if (!in.ok() || in->records != keys) std::abort();
    inspect_mbs.push_back(bytes / 1048576.0 / (Now() - t));

    std::filesystem::remove_all(dir + "/target");
    ResetPeakRss();
    base = CurrentRssKib();
    t = Now();
    {
      auto tdb = *storage::Db::Open({.path = dir + "/target"});
      auto target = *storage::LevelDbStateStore::Open(tdb.get());
      auto meta = snapshot::RestoreSnapshot(
          path, {.mac_key = key, .cluster_id = "bench"}, target.get());
      if (!meta.ok()) {
        std::printf("%s\n", meta.status().ToString().c_str());
        return 1;
      }
    }
    restore_mbs.push_back(bytes / 1048576.0 / (Now() - t));
    restore_peak.push_back((PeakRssKib() - base) / 1024.0);
  }
  std::printf("snapshot file: %.1f MiB\n", bytes / 1048576.0);
  std::printf("save:    %7.1f MB/s, peak RSS growth %6.1f MiB (median)\n",
              Median(save_mbs), Median(save_peak));
  std::printf("inspect: %7.1f MB/s\n", Median(inspect_mbs));
  std::printf("restore: %7.1f MB/s, peak RSS growth %6.1f MiB (median)\n",
              Median(restore_mbs), Median(restore_peak));
  std::printf(
      "process peak RSS (VmHWM since last reset): %.1f MiB, "
      "ru_maxrss %.1f MiB\n",
      PeakRssKib() / 1024.0, [] {
        struct rusage ru;
        ::getrusage(RUSAGE_SELF, &ru);
        return ru.ru_maxrss / 1024.0;
      }());
  std::filesystem::remove_all(dir);
  return 0;
}
