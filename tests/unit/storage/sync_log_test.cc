// Db::SyncLog: unsynced writes made durable from another thread, while
// writes go on, across LevelDB's log switches and crashes at every sync.
#include <atomic>
#include <string>
#include <thread>

#include "leveldb/write_batch.h"
#include "storage/db.h"
#include "support/catch.h"
#include "support/fault_env.h"
#include "unit/storage/test_util.h"

namespace coffer::storage {
namespace {

absl::StatusOr<std::unique_ptr<Db>> OpenDb(const test::ScratchDir& dir,
                                           leveldb::Env* env) {
  // Small memtables: the workload switches log files many times.
  return Db::Open(
      {.path = dir.Sub("db"), .env = env, .write_buffer_bytes = 32 << 10});
}

std::string Key(int i) {
  std::string k = std::to_string(i);
  return std::string(8 - k.size(), '0') + k;
}

absl::Status Put(Db& db, int i) {
  leveldb::WriteBatch b;
  b.Put(Key(i), std::string(300, static_cast<char>('a' + i % 26)));
  return db.Write(&b, /*sync=*/false);
}

// The number of keys 0, 1, 2, ... present without a gap; -1 if a key is
// present after a missing one (a hole in the history).
int Prefix(Db& db, int limit) {
  int n = 0;
  while (n < limit && db.Get(Key(n)).value_or(std::nullopt).has_value()) ++n;
  for (int i = n; i < limit; ++i) {
    if (db.Get(Key(i)).value_or(std::nullopt).has_value()) return -1;
  }
  return n;
}

// Unsynced writes; every seventh, a SyncLog from another thread. Returns
// the number of writes the last successful SyncLog covers.
int Workload(Db& db, int writes) {
  int durable = 0;
  for (int i = 0; i < writes; ++i) {
    if (!Put(db, i).ok()) break;
    if (i % 7 == 6) {
      absl::Status s;
      std::thread([&] { s = db.SyncLog(); }).join();
      if (!s.ok()) break;
      durable = i + 1;
    }
  }
  return durable;
}

TEST_CASE("SyncLog makes the writes before it durable, at any crash",
          "[storage][crash][sync]") {
  constexpr int kWrites = 400;  // about four log switches
  int64_t syncs = 0;
  {
    test::ScratchDir dir;
    testing::FaultEnv env;
    auto db = OpenDb(dir, &env);
    REQUIRE(db.ok());
    REQUIRE(Workload(**db, kWrites) == 399);
    syncs = env.sync_count();
  }
  for (int64_t crash_at = 1; crash_at <= syncs; ++crash_at) {
    INFO("crash at sync " << crash_at << " of " << syncs);
    test::ScratchDir dir;
    testing::FaultEnv env;
    env.CrashAtSync(crash_at);
    int durable = 0;
    {
      auto db = OpenDb(dir, &env);
      if (db.ok()) durable = Workload(**db, kWrites);
    }
    REQUIRE(env.DropUnsyncedData().ok());
    env.Reset();
    auto db = OpenDb(dir, &env);
    REQUIRE(db.ok());
    const int kept = Prefix(**db, kWrites);
    INFO("durable " << durable << ", kept " << kept);
    CHECK(kept >= durable);
  }
}

TEST_CASE("SyncLog runs while another thread writes", "[storage][sync]") {
  test::ScratchDir dir;
  auto db = OpenDb(dir, leveldb::Env::Default());
  REQUIRE(db.ok());
  std::atomic<bool> done{false};
  std::atomic<int> syncs{0};
  absl::Status sync_status;
  std::thread syncer([&] {
    while (!done) {
      sync_status = (*db)->SyncLog();
      if (!sync_status.ok()) return;
      ++syncs;
    }
  });
  constexpr int kWrites = 3000;
  for (int i = 0; i < kWrites; ++i) REQUIRE(Put(**db, i).ok());
  done = true;
  syncer.join();
  CHECK(sync_status.ok());
  CHECK(syncs > 0);
  CHECK(Prefix(**db, kWrites) == kWrites);
}

}  // namespace
}  // namespace coffer::storage
