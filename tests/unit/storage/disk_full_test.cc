// A full disk: storage::Db refuses writes with kResourceExhausted until
// Reopen, which succeeds once there is space again, and nothing written
// before the disk filled is lost (through the FaultEnv's write budget; the
// node-level test on a real full file system is tests/node/disk_full_test.cc).
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include "absl/strings/match.h"
#include "storage/db.h"
#include "storage/leveldb_log.h"
#include "support/catch.h"
#include "support/fault_env.h"
#include "unit/storage/test_util.h"

namespace coffer::storage {
namespace {

using test::MakeEntry;
using test::MakeHardState;

struct Store {
  std::unique_ptr<Db> db;
  std::unique_ptr<LevelDbLog> log;

  void Open(const test::ScratchDir& dir, leveldb::Env* env) {
    auto d = Db::Open(
        {.path = dir.Sub("db"), .env = env, .write_buffer_bytes = 64 << 10});
    REQUIRE(d.ok());
    db = *std::move(d);
    auto l = LevelDbLog::Open(db.get(), dir.path());
    REQUIRE(l.ok());
    log = *std::move(l);
  }
  void Close() {
    log.reset();
    db.reset();
  }
  // Appends `n` entries of `bytes` after the last one.
  absl::Status Append(int n, size_t bytes) {
    std::vector<raftpb::Entry> entries;
    for (int i = 0; i < n; ++i) {
      entries.push_back(
          MakeEntry(log->LastIndex() + 1 + i, 1, std::string(bytes, 'x')));
    }
    return log->Save(MakeHardState(1, 1, 0), entries, /*sync=*/true);
  }
  void CheckEntries(uint64_t last) {
    REQUIRE(log->LastIndex() == last);
    CHECK(log->CheckMatchesDisk().ok());
    auto entries = log->Entries(1, last + 1, UINT64_MAX);
    REQUIRE(entries.ok());
    CHECK(entries->size() == last);
  }
};

TEST_CASE("a full disk is retryable: writes resume after a reopen",
          "[storage][diskfull]") {
  test::ScratchDir dir;
  testing::FaultEnv env;
  Store store;
  store.Open(dir, &env);
  REQUIRE(store.Append(10, 100).ok());
  env.SetWriteBudget(64 << 10);
  absl::Status s;
  while ((s = store.Append(20, 300)).ok()) {
  }
  INFO(s.ToString());
  CHECK(IsDiskFull(s));
  CHECK(absl::StartsWith(s.message(), "storage: no space left on device"));
  const uint64_t acked = store.log->LastIndex();
  // Every later write is refused, with the same clear error.
  CHECK(IsDiskFull(store.Append(1, 10)));
  CHECK(IsDiskFull(store.db->write_error()));
  // Reads go on.
  CHECK(store.log->Entries(1, acked + 1, UINT64_MAX).ok());

  SECTION("a reopen while the disk is still full closes the database") {
    // The FaultEnv's budget is invisible to statvfs: the reopen is tried
    // and fails; reads are then kUnavailable until one succeeds.
    env.SetWriteBudget(0);
    absl::Status r = store.db->Reopen();
    INFO(r.ToString());
    CHECK(IsDiskFull(r));
    CHECK(store.db->Get("x").status().code() == absl::StatusCode::kUnavailable);
    CHECK(IsDiskFull(store.Append(1, 10)));
    CHECK(IsDiskFull(store.db->Reopen()));
  }
  env.SetWriteBudget(-1);
  REQUIRE(store.db->Reopen().ok());
  CHECK(store.db->write_error().ok());
  store.CheckEntries(acked);
  REQUIRE(store.Append(5, 100).ok());
  store.Close();
  store.Open(dir, &env);
  store.CheckEntries(acked + 5);
}

TEST_CASE("Reopen is refused without a full disk or with iterators open",
          "[storage][diskfull]") {
  test::ScratchDir dir;
  testing::FaultEnv env;
  Store store;
  store.Open(dir, &env);
  CHECK(store.db->Reopen().code() == absl::StatusCode::kFailedPrecondition);
  env.SetWriteBudget(0);
  REQUIRE(IsDiskFull(store.Append(1, 100)));
  env.SetWriteBudget(-1);
  {
    std::unique_ptr<leveldb::Iterator> it = store.db->NewIterator();
    CHECK(store.db->open_iterators() == 1);
    absl::Status r = store.db->Reopen();
    CHECK(r.code() == absl::StatusCode::kFailedPrecondition);
    CHECK(absl::StrContains(r.message(), "iterators"));
  }
  CHECK(store.db->open_iterators() == 0);
  CHECK(store.db->Reopen().ok());
  CHECK(store.Append(1, 100).ok());
}

TEST_CASE("repeated full disks lose no acknowledged write",
          "[storage][diskfull]") {
  const uint64_t seed = std::random_device()();
  std::printf("storage disk-full rounds: seed %llu\n",
              static_cast<unsigned long long>(seed));
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  test::ScratchDir dir;
  testing::FaultEnv env;
  Store store;
  store.Open(dir, &env);
  for (int round = 0; round < 20; ++round) {
    env.SetWriteBudget(static_cast<int64_t>(rng() % (96 << 10)));
    absl::Status s;
    while (
        (s = store.Append(1 + static_cast<int>(rng() % 40), 1 + rng() % 2000))
            .ok()) {
    }
    INFO("round " << round << ": " << s.ToString());
    REQUIRE(IsDiskFull(s));
    const uint64_t acked = store.log->LastIndex();
    // Some reopens fail while space is still short, then one succeeds.
    for (int tries = 0; tries < 3; ++tries) {
      env.SetWriteBudget(static_cast<int64_t>(rng() % (16 << 10)));
      if (store.db->Reopen().ok()) break;
    }
    env.SetWriteBudget(-1);
    if (!store.db->write_error().ok()) REQUIRE(store.db->Reopen().ok());
    store.CheckEntries(acked);
  }
  const uint64_t last = store.log->LastIndex();
  store.Close();
  store.Open(dir, &env);
  store.CheckEntries(last);
}

}  // namespace
}  // namespace coffer::storage
