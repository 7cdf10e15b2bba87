#include "snapshot/restore.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "storage/db.h"
#include "storage/leveldb_log.h"
#include "storage/leveldb_state_store.h"
#include "storage/memory_state_store.h"
#include "support/catch.h"
#include "support/fault_env.h"
#include "unit/storage/test_util.h"

namespace coffer::snapshot {
namespace {

using Records = std::map<std::string, std::string>;

SnapshotHeader Header(const std::string& cluster, uint64_t index) {
  SnapshotHeader h;
  h.cluster_id = cluster;
  h.index = index;
  h.term = 3;
  h.conf_state.add_voters(1);
  return h;
}

Records Contents(storage::StateStore& store) {
  Records out;
  auto it = store.NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out.emplace(std::string(it->key()), std::string(it->value()));
  }
  REQUIRE(it->status().ok());
  return out;
}

// A store with a few old records at applied index 7.
void FillOld(storage::StateStore& store) {
  storage::WriteSet w;
  w.Put("old/a", "1");
  w.Put("old/b", "2");
  REQUIRE(store.Apply(w, 7).ok());
}

// Saves a snapshot of `n` records from a memory store; returns its records.
Records MakeSnapshot(const std::string& path, const SnapshotHeader& header,
                     int n, const std::string& key = "k1") {
  storage::MemoryStateStore source;
  storage::WriteSet w;
  Records records;
  for (int i = 0; i < n; ++i) {
    std::string k = "kv/" + std::to_string(100000 + i);
    std::string v(100, static_cast<char>('a' + i % 26));
    w.Put(k, v);
    records[k] = v;
  }
  REQUIRE(source.Apply(w, header.index).ok());
  auto it = source.NewIterator();
  auto bytes = SaveSnapshot(path, header, key, *it);
  REQUIRE(bytes.ok());
  CHECK(*bytes == std::filesystem::file_size(path));
  return records;
}

VerifyOptions Verify(const std::string& cluster = "c1",
                     const std::string& key = "k1") {
  return VerifyOptions{.mac_key = key, .cluster_id = cluster};
}

TEST_CASE("a snapshot restores into a durable store", "[snapshot][restore]") {
  storage::test::ScratchDir dir;
  auto db = *storage::Db::Open({.path = dir.Sub("db")});
  auto store = *storage::LevelDbStateStore::Open(db.get());
  FillOld(*store);
  Records records = MakeSnapshot(dir.Sub("s.snap"), Header("c1", 50), 3000);
  auto meta = RestoreSnapshot(dir.Sub("s.snap"), Verify(), store.get());
  REQUIRE(meta.ok());
  CHECK(meta->index() == 50);
  CHECK(store->AppliedIndex() == 50);
  CHECK(store->snapshot().conf_state().voters_size() == 1);
  CHECK(Contents(*store) == records);
}

TEST_CASE("a bad snapshot leaves the existing data untouched",
          "[snapshot][restore]") {
  storage::test::ScratchDir dir;
  storage::MemoryStateStore store;
  FillOld(store);
  Records old = Contents(store);
  std::string path = dir.Sub("s.snap");
  MakeSnapshot(path, Header("c1", 50), 200);

  SECTION("another cluster's snapshot is refused unless forced") {
    absl::Status s = RestoreSnapshot(path, Verify("c2"), &store).status();
    CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
    CHECK(s.message().find("cluster \"c1\"") != absl::string_view::npos);
    VerifyOptions force = Verify("c2");
    force.force = true;
    CHECK(RestoreSnapshot(path, force, &store).ok());
    CHECK(store.AppliedIndex() == 50);
    return;
  }
  SECTION("the wrong key is an authentication failure") {
    CHECK(RestoreSnapshot(path, Verify("c1", "k2"), &store).status().code() ==
          absl::StatusCode::kDataLoss);
  }
  SECTION("a corrupt record is found before anything is committed") {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(
        static_cast<std::streamoff>(std::filesystem::file_size(path) - 200));
    f.put('!');
    f.close();
    CHECK(RestoreSnapshot(path, Verify(), &store).status().code() ==
          absl::StatusCode::kDataLoss);
  }
  SECTION("a truncated snapshot") {
    std::filesystem::resize_file(path, std::filesystem::file_size(path) - 70);
    CHECK(RestoreSnapshot(path, Verify(), &store).status().code() ==
          absl::StatusCode::kDataLoss);
  }
  SECTION("a wrong format version") {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(11);
    f.put('\x02');
    f.close();
    absl::Status s = RestoreSnapshot(path, Verify(), &store).status();
    CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
    CHECK(s.message().find("format version 2") != absl::string_view::npos);
  }
  CHECK(store.AppliedIndex() == 7);
  CHECK(Contents(store) == old);
}

TEST_CASE("a snapshot sent in chunks is verified before it appears",
          "[snapshot][install]") {
  storage::test::ScratchDir dir;
  std::filesystem::create_directory(dir.Sub("leader"));
  std::filesystem::create_directory(dir.Sub("follower"));
  // The leader serves its latest snapshot through LevelDbLog.
  auto db = *storage::Db::Open({.path = dir.Sub("leader/db")});
  auto log = *storage::LevelDbLog::Open(db.get(), dir.Sub("leader"));
  REQUIRE(log->Save(storage::test::MakeHardState(3, 1, 50),
                    storage::test::MakeEntries(1, 50, 3), true)
              .ok());
  SnapshotHeader header = Header("c1", 50);
  Records records = MakeSnapshot(
      storage::SnapshotPath(dir.Sub("leader"), 50, 3), header, 1000);
  REQUIRE(log->ApplySnapshot(header.Metadata()).ok());

  std::string target = storage::SnapshotPath(dir.Sub("follower"), 50, 3);
  auto receiver = SnapshotReceiver::Begin(target, 1 << 30);
  REQUIRE(receiver.ok());
  bool corrupt = GENERATE(false, true);
  for (uint64_t offset = 0;;) {
    auto chunk = log->ReadSnapshotChunk(50, offset, 4096);
    REQUIRE(chunk.ok());
    if (corrupt && offset == 8192) chunk->data[100] ^= 1;
    REQUIRE((*receiver)->Write(offset, chunk->data).ok());
    // A resent chunk is ignored; a chunk from the future is refused.
    REQUIRE((*receiver)->Write(offset, chunk->data).ok());
    CHECK((*receiver)->Write(offset + chunk->data.size() + 1, "x").code() ==
          absl::StatusCode::kInvalidArgument);
    offset += chunk->data.size();
    if (chunk->last) break;
  }
  auto got = (*receiver)->Finish(Verify());
  if (corrupt) {
    CHECK(got.status().code() == absl::StatusCode::kDataLoss);
    receiver->reset();
    CHECK_FALSE(std::filesystem::exists(target));
    CHECK_FALSE(std::filesystem::exists(target + ".partial"));
    return;
  }
  REQUIRE(got.ok());
  CHECK(got->index == 50);
  storage::MemoryStateStore store;
  REQUIRE(RestoreSnapshot(target, Verify(), &store).ok());
  CHECK(Contents(store) == records);
}

TEST_CASE("an oversized incoming snapshot is refused", "[snapshot][install]") {
  storage::test::ScratchDir dir;
  auto receiver = SnapshotReceiver::Begin(dir.Sub("s.snap"), 100);
  REQUIRE(receiver.ok());
  REQUIRE((*receiver)->Write(0, std::string(60, 'x')).ok());
  CHECK((*receiver)->Write(60, std::string(60, 'x')).code() ==
        absl::StatusCode::kResourceExhausted);
}

TEST_CASE("a restore that fills the disk leaves the old state",
          "[snapshot][restore]") {
  storage::test::ScratchDir dir;
  std::string path = dir.Sub("s.snap");
  MakeSnapshot(path, Header("c1", 50), 2000);
  testing::FaultEnv env;
  {
    auto db = *storage::Db::Open({.path = dir.Sub("db"), .env = &env});
    auto store = *storage::LevelDbStateStore::Open(db.get());
    FillOld(*store);
    env.SetWriteBudget(64 << 10);
    absl::Status s = RestoreSnapshot(path, Verify(), store.get()).status();
    INFO(s.ToString());
    CHECK(storage::IsDiskFull(s));  // storage/db.h: retryable after Reopen
    CHECK(store->AppliedIndex() == 7);
    CHECK(*store->Get("old/a") == "1");
    CHECK(store->Get("kv/100000").status().code() ==
          absl::StatusCode::kNotFound);
  }
  env.SetWriteBudget(-1);
  auto db = *storage::Db::Open({.path = dir.Sub("db"), .env = &env});
  auto store = *storage::LevelDbStateStore::Open(db.get());
  CHECK(store->AppliedIndex() == 7);
  CHECK(Contents(*store) == Records{{"old/a", "1"}, {"old/b", "2"}});
}

// A restore crashed at every sync leaves the old state or the new one.
TEST_CASE("a restore crashed at any sync keeps the old or the new state",
          "[snapshot][restore][crash]") {
  storage::test::ScratchDir snapdir;
  std::string path = snapdir.Sub("s.snap");
  Records records = MakeSnapshot(path, Header("c1", 50), 400);
  Records old{{"old/a", "1"}, {"old/b", "2"}};

  auto run = [&](testing::FaultEnv& env, const storage::test::ScratchDir& dir,
                 bool* committed) {
    auto db = storage::Db::Open(
        {.path = dir.Sub("db"), .env = &env, .write_buffer_bytes = 16 << 10});
    if (!db.ok()) return;
    auto store =
        storage::LevelDbStateStore::Open(db->get(), {.batch_bytes = 2048});
    if (!store.ok()) return;
    if (!(*store)
             ->Apply(
                 [] {
                   storage::WriteSet w;
                   w.Put("old/a", "1");
                   w.Put("old/b", "2");
                   return w;
                 }(),
                 7)
             .ok()) {
      return;
    }
    *committed = RestoreSnapshot(path, Verify(), store->get()).ok();
  };

  int64_t total = 0;
  {
    storage::test::ScratchDir dir;
    testing::FaultEnv env;
    bool committed = false;
    run(env, dir, &committed);
    REQUIRE(committed);
    total = env.sync_count();
  }
  REQUIRE(total > 10);
  for (int64_t crash_at = 1; crash_at <= total; ++crash_at) {
    INFO("crash at sync " << crash_at << " of " << total);
    storage::test::ScratchDir dir;
    testing::FaultEnv env;
    env.CrashAtSync(crash_at);
    bool committed = false;
    run(env, dir, &committed);
    REQUIRE(env.DropUnsyncedData().ok());
    env.Reset();
    auto db = storage::Db::Open({.path = dir.Sub("db"), .env = &env});
    INFO(db.status().ToString());
    REQUIRE(db.ok());
    auto store = storage::LevelDbStateStore::Open(db->get());
    REQUIRE(store.ok());
    Records now = Contents(**store);
    uint64_t applied = (*store)->AppliedIndex();
    if (committed) {
      CHECK(applied == 50);
      CHECK(now == records);
    } else if (applied == 50) {
      CHECK(now == records);
    } else if (applied == 7) {
      CHECK(now == old);
    } else {
      CHECK(applied == 0);
      CHECK(now.empty());
    }
  }
}

}  // namespace
}  // namespace coffer::snapshot
