// Durable append throughput of LevelDbLog and the disk's raw fdatasync rate,
// then the log's on-disk size under a steady load with snapshots and
// compaction. Usage: storage_append_bench [seconds_per_run] [runs]
#include <fcntl.h>
#include <unistd.h>

#include <thread>

#include "bench/storage_bench_util.h"
#include "leveldb/write_batch.h"
#include "storage/db.h"
#include "storage/leveldb_log.h"

namespace coffer::bench {
namespace {

constexpr size_t kEntryBytes = 256;
constexpr int kBatch = 100;

// The batch of entries first..first+99; built once per thread and
// renumbered, so the benchmark measures the store, not the allocator.
const std::vector<raftpb::Entry>& Batch(uint64_t first, uint64_t term) {
  thread_local std::vector<raftpb::Entry> out;
  if (out.empty()) {
    out.resize(kBatch);
    for (int i = 0; i < kBatch; ++i) {
      out[i].set_data(
          std::string(kEntryBytes, static_cast<char>('a' + i % 26)));
    }
  }
  for (int i = 0; i < kBatch; ++i) {
    out[i].set_index(first + i);
    out[i].set_term(term);
  }
  return out;
}

raftpb::HardState Hs(uint64_t commit) {
  raftpb::HardState hs;
  hs.set_term(1);
  hs.set_voted_for(1);
  hs.set_commit(commit);
  return hs;
}

// The disk's raw fdatasync rate for three write patterns of one batch
// (100 x 256 bytes): overwriting one block, appending to a growing file
// (each sync also commits the new size), and appending into a preallocated
// file (what a segmented log with preallocated segments would do).
enum class RawMode { kOverwrite, kAppend, kPreallocated };

double RawFdatasyncPerSecond(const std::string& dir, double seconds,
                             RawMode mode) {
  std::string path = dir + "/raw";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::string block(kBatch * kEntryBytes, 'x');
  // Zero-filled, not fallocate()d: writing into unwritten extents would
  // still commit metadata on every sync.
  constexpr off_t kRegion = 64 << 20;
  if (mode == RawMode::kPreallocated) {
    std::string zeros(1 << 20, '\0');
    for (off_t o = 0; o < kRegion; o += zeros.size()) {
      if (::pwrite(fd, zeros.data(), zeros.size(), o) < 0) std::abort();
    }
    if (::fsync(fd) != 0) std::abort();
  }
  int n = 0;
  off_t offset = 0;
  double start = Now();
  while (Now() - start < seconds) {
    if (::pwrite(fd, block.data(), block.size(), offset) < 0) std::abort();
    if (::fdatasync(fd) != 0) std::abort();
    if (mode != RawMode::kOverwrite) offset += block.size();
    if (offset + static_cast<off_t>(block.size()) > kRegion) offset = 0;
    ++n;
  }
  double rate = n / (Now() - start);
  ::close(fd);
  std::filesystem::remove(path);
  return rate;
}

struct AppendResult {
  double entries_per_s;
  double syncs_per_s;
  double cpu_us_per_entry;  // user+sys of all threads, incl. compaction
};

double CpuSeconds() {
  struct rusage ru;
  ::getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

AppendResult Append(const std::string& dir, double seconds, bool sync) {
  std::filesystem::remove_all(dir + "/db");
  auto db = *storage::Db::Open({.path = dir + "/db"});
  auto log = *storage::LevelDbLog::Open(db.get(), dir);
  uint64_t next = 1;
  int saves = 0;
  double start = Now();
  double cpu = CpuSeconds();
  while (Now() - start < seconds) {
    if (!log->Save(Hs(next - 1), Batch(next, 1), sync).ok()) std::abort();
    next += kBatch;
    ++saves;
  }
  double elapsed = Now() - start;
  cpu = CpuSeconds() - cpu;
  return {(next - 1) / elapsed, saves / elapsed, cpu * 1e6 / (next - 1)};
}

// `writers` threads each write batches of 100 entries with sync through
// one Db; LevelDB merges concurrent writers into one log write and fsync.
double GroupCommitEntriesPerSecond(const std::string& dir, int writers,
                                   double seconds) {
  std::filesystem::remove_all(dir + "/gc");
  auto db = *storage::Db::Open({.path = dir + "/gc"});
  std::vector<std::thread> threads;
  std::vector<uint64_t> counts(writers);
  double start = Now();
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      uint64_t next = static_cast<uint64_t>(w) << 40;
      while (Now() - start < seconds) {
        leveldb::WriteBatch batch;
        for (const auto& e : Batch(next, 1)) {
          batch.Put(std::to_string(e.index()), e.SerializeAsString());
        }
        if (!db->Write(&batch, true).ok()) std::abort();
        next += kBatch;
        counts[w] += kBatch;
      }
    });
  }
  for (auto& t : threads) t.join();
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  return total / (Now() - start);
}

// Appends continuously; every `snapshot_every` entries takes a (tiny)
// snapshot at the last index, keeps `keep` entries, and trims. Prints the
// database size over time.
void SteadyState(const std::string& dir, double seconds,
                 uint64_t snapshot_every, uint64_t keep) {
  std::filesystem::remove_all(dir + "/steady");
  std::filesystem::create_directories(dir + "/steady/snap");
  auto db = *storage::Db::Open({.path = dir + "/steady/db"});
  auto log = *storage::LevelDbLog::Open(db.get(), dir + "/steady/snap");
  uint64_t next = 1, last_snapshot = 0;
  double start = Now(), last_print = start;
  std::printf("  t(s)   entries   log-entries  db-size(MiB)\n");
  while (Now() - start < seconds) {
    if (!log->Save(Hs(next - 1), Batch(next, 1), true).ok()) std::abort();
    next += kBatch;
    if (next - 1 - last_snapshot >= snapshot_every) {
      raftpb::SnapshotMetadata m;
      m.set_index(next - 1);
      m.set_term(1);
      std::string path =
          storage::SnapshotPath(dir + "/steady/snap", m.index(), m.term());
      std::ofstream(path) << "s";
      if (last_snapshot > 0) {
        std::filesystem::remove(
            storage::SnapshotPath(dir + "/steady/snap", last_snapshot, 1));
      }
      if (!log->ApplySnapshot(m).ok()) std::abort();
      last_snapshot = m.index();
    }
    // Compaction by entry count (everything saved counts as applied here):
    // the log keeps at most `keep` entries between snapshots.
    if (!log->CompactToLimit(next - 1, keep).ok()) std::abort();
    // Off the hot path in the node; here between saves, in bounded batches.
    if (!log->TrimLog(2 * kBatch).ok()) std::abort();
    if (Now() - last_print >= seconds / 10) {
      last_print = Now();
      std::printf("  %5.1f  %9llu  %10llu  %10.1f\n", last_print - start,
                  static_cast<unsigned long long>(next - 1),
                  static_cast<unsigned long long>(log->LastIndex() -
                                                  log->FirstIndex() + 1),
                  DirBytes(dir + "/steady/db") / 1048576.0);
    }
  }
}

}  // namespace
}  // namespace coffer::bench

int main(int argc, char** argv) {
  using namespace coffer::bench;
  double seconds = argc > 1 ? std::atof(argv[1]) : 3;
  int runs = argc > 2 ? std::atoi(argv[2]) : 5;
  std::string dir = ScratchDir("append");
  std::ifstream loadavg("/proc/loadavg");
  std::string load;
  std::getline(loadavg, load);
  std::printf("load average (shared machine): %s\n", load.c_str());
  std::printf(
      "storage_append_bench: %d runs of %.1fs, %zu-byte entries, "
      "batches of %d, sync on, dir %s\n",
      runs, seconds, kEntryBytes, kBatch, dir.c_str());
  std::vector<double> raw, raw_append, raw_prealloc, entries, syncs, group,
      unsynced, cpu_us;
  for (int r = 0; r < runs; ++r) {
    raw.push_back(RawFdatasyncPerSecond(dir, seconds, RawMode::kOverwrite));
    raw_append.push_back(RawFdatasyncPerSecond(dir, seconds, RawMode::kAppend));
    raw_prealloc.push_back(
        RawFdatasyncPerSecond(dir, seconds, RawMode::kPreallocated));
    AppendResult a = Append(dir, seconds, true);
    AppendResult u = Append(dir, seconds, false);
    unsynced.push_back(u.entries_per_s);
    cpu_us.push_back(u.cpu_us_per_entry);
    entries.push_back(a.entries_per_s);
    syncs.push_back(a.syncs_per_s);
    group.push_back(GroupCommitEntriesPerSecond(dir, 4, seconds));
  }
  std::printf("raw fdatasync, 25 KiB overwrite:     %9.0f syncs/s (median)\n",
              Median(raw));
  std::printf("raw fdatasync, 25 KiB append:        %9.0f syncs/s (median)\n",
              Median(raw_append));
  std::printf("raw fdatasync, 25 KiB preallocated:  %9.0f syncs/s (median)\n",
              Median(raw_prealloc));
  std::printf(
      "LevelDbLog::Save, 1 writer:        %9.0f entries/s, %6.0f "
      "syncs/s (median)\n",
      Median(entries), Median(syncs));
  std::printf(
      "LevelDbLog::Save, sync off (CPU ceiling): %9.0f entries/s "
      "(median), %.2f us CPU per entry (all threads) = %.0f entries/s per "
      "idle core\n",
      Median(unsynced), Median(cpu_us), 1e6 / Median(cpu_us));
  std::printf("Db::Write, 4 writers (group commit): %7.0f entries/s (median)\n",
              Median(group));
  std::printf("steady load, snapshot every 20000 entries, keep 5000:\n");
  SteadyState(dir, 10 * seconds, 20000, 5000);
  std::filesystem::remove_all(dir);
  return 0;
}
