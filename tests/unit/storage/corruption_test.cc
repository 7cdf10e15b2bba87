// Corrupt and inconsistent databases: every one is a clear error, never a
// crash and never a silent repair.
#include <filesystem>
#include <fstream>
#include <functional>

#include "base/coding.h"
#include "leveldb/db.h"
#include "proto/storage.pb.h"
#include "storage/db.h"
#include "storage/leveldb_log.h"
#include "storage/leveldb_state_store.h"
#include "support/catch.h"
#include "unit/storage/test_util.h"

namespace coffer::storage {
namespace {

using test::MakeEntries;
using test::MakeHardState;

std::string EntryKey(uint64_t index) {
  std::string k = "L";
  base::PutBigEndian64(&k, index);
  return k;
}

// Writes a healthy log of 10 entries, then lets `tamper` edit the raw DB.
absl::Status OpenAfter(test::ScratchDir& dir,
                       const std::function<void(leveldb::DB*)>& tamper) {
  {
    auto db = Db::Open({.path = dir.Sub("db")});
    REQUIRE(db.ok());
    auto log = LevelDbLog::Open(db->get(), dir.path());
    REQUIRE(log.ok());
    REQUIRE(
        (*log)->Save(MakeHardState(1, 1, 8), MakeEntries(1, 10, 1), true).ok());
  }
  {
    leveldb::DB* raw = nullptr;
    REQUIRE(leveldb::DB::Open(leveldb::Options(), dir.Sub("db"), &raw).ok());
    tamper(raw);
    delete raw;
  }
  auto db = Db::Open({.path = dir.Sub("db")});
  if (!db.ok()) return db.status();
  auto log = LevelDbLog::Open(db->get(), dir.path());
  if (!log.ok()) return log.status();
  return LevelDbStateStore::Open(db->get()).status();
}

void Put(leveldb::DB* db, const std::string& key, const std::string& value) {
  REQUIRE(db->Put(leveldb::WriteOptions(), key, value).ok());
}

// OpenAfter on a fresh directory, the tampering one raw record: `key`
// set to `value`.
absl::Status OpenAfterPut(const std::string& key, const std::string& value) {
  test::ScratchDir dir;
  return OpenAfter(dir, [&](leveldb::DB* db) { Put(db, key, value); });
}

void CheckDataLoss(const absl::Status& s, const std::string& mentions) {
  INFO(s.ToString());
  CHECK(s.code() == absl::StatusCode::kDataLoss);
  CHECK(s.message().find("storage: ") == 0);
  CHECK(s.message().find(mentions) != absl::string_view::npos);
}

TEST_CASE("an entry that does not decode is data loss naming the entry",
          "[storage][corruption]") {
  CheckDataLoss(OpenAfterPut(EntryKey(5), "\xff\xff\xff garbage"),
                "log entry 5 does not decode");
}

TEST_CASE("a gap in the log is data loss naming the missing index",
          "[storage][corruption]") {
  test::ScratchDir dir;
  CheckDataLoss(
      OpenAfter(dir,
                [](leveldb::DB* db) {
                  REQUIRE(
                      db->Delete(leveldb::WriteOptions(), EntryKey(5)).ok());
                }),
      "expected entry 5, found entry 6");
}

TEST_CASE("an entry stored under another index is data loss",
          "[storage][corruption]") {
  CheckDataLoss(
      OpenAfterPut(EntryKey(4), test::MakeEntry(7, 1).SerializeAsString()),
      "stored at 4 claims index 7");
}

TEST_CASE("decreasing terms in the log are data loss",
          "[storage][corruption]") {
  CheckDataLoss(
      OpenAfterPut(EntryKey(4), test::MakeEntry(4, 5).SerializeAsString()),
      "entry 5 has term 1, below the previous term 5");
}

TEST_CASE("a commit index beyond the log is data loss",
          "[storage][corruption]") {
  CheckDataLoss(OpenAfterPut("H", MakeHardState(1, 1, 11).SerializeAsString()),
                "hard state commit 11 is beyond the last log index 10");
}

TEST_CASE("undecodable hard state and state meta are data loss",
          "[storage][corruption]") {
  CheckDataLoss(OpenAfterPut("H", "\xff"), "hard state");
  CheckDataLoss(OpenAfterPut("M", "\xff"), "state meta");
}

TEST_CASE("a foreign database or a newer format is refused",
          "[storage][corruption]") {
  CheckDataLoss(OpenAfterPut("F", "nope"), "format record");
  test::ScratchDir dir2;
  absl::Status s = OpenAfter(dir2, [](leveldb::DB* db) {
    storagepb::Format f;
    f.set_magic(0x43465354);
    f.set_version(99);
    Put(db, "F", f.SerializeAsString());
  });
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(s.message().find("version 99") != absl::string_view::npos);
  test::ScratchDir dir3;
  CheckDataLoss(
      OpenAfter(dir3,
                [](leveldb::DB* db) {
                  REQUIRE(db->Delete(leveldb::WriteOptions(), "F").ok());
                }),
      "no format record");
}

// Flips one byte in the middle of every file whose name ends with `suffix`.
int FlipByteInFiles(const std::string& dir, const std::string& suffix) {
  int flipped = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string name = entry.path().string();
    if (name.size() < suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    auto size = std::filesystem::file_size(entry.path());
    if (size < 64) continue;
    std::fstream f(name, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(size / 2));
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x5a);
    f.seekp(static_cast<std::streamoff>(size / 2));
    f.write(&c, 1);
    ++flipped;
  }
  return flipped;
}

TEST_CASE("a flipped byte in the write-ahead log is data loss",
          "[storage][corruption]") {
  test::ScratchDir dir;
  {
    auto db = Db::Open({.path = dir.Sub("db")});
    auto log = LevelDbLog::Open(db->get(), dir.path());
    for (uint64_t i = 1; i <= 50; ++i) {
      REQUIRE((*log)
                  ->Save(MakeHardState(1, 1, i - 1), MakeEntries(i, i, 1), true)
                  .ok());
    }
  }
  REQUIRE(FlipByteInFiles(dir.Sub("db"), ".log") > 0);
  auto db = Db::Open({.path = dir.Sub("db")});
  INFO(db.status().ToString());
  CHECK(db.status().code() == absl::StatusCode::kDataLoss);
}

TEST_CASE("a flipped byte in a table file is data loss",
          "[storage][corruption]") {
  test::ScratchDir dir;
  {
    auto db = Db::Open({.path = dir.Sub("db")});
    auto log = LevelDbLog::Open(db->get(), dir.path());
    REQUIRE((*log)
                ->Save(MakeHardState(1, 1, 0), MakeEntries(1, 2000, 1), true)
                .ok());
    (*db)->CompactRange("A", "Z");  // moves everything into .ldb tables
  }
  REQUIRE(FlipByteInFiles(dir.Sub("db"), ".ldb") > 0);
  absl::Status s = [&]() -> absl::Status {
    auto db = Db::Open({.path = dir.Sub("db")});
    if (!db.ok()) return db.status();
    return LevelDbLog::Open(db->get(), dir.path()).status();
  }();
  INFO(s.ToString());
  CHECK(s.code() == absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace coffer::storage
