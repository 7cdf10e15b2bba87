// storage::LevelDbLog::ApplySnapshotKeeping, the storage half of
// NodeOptions::trailing_logs.
#include <fstream>
#include <memory>
#include <string>

#include "storage/db.h"
#include "storage/leveldb_log.h"
#include "support/catch.h"
#include "unit/storage/test_util.h"

namespace coffer::storage {
namespace {

using test::MakeEntries;
using test::MakeHardState;

struct Fixture {
  test::ScratchDir dir;
  std::unique_ptr<Db> db;
  std::unique_ptr<LevelDbLog> log;

  Fixture() { Reopen(); }

  void Reopen() {
    log.reset();
    db.reset();
    absl::StatusOr<std::unique_ptr<Db>> opened =
        Db::Open({.path = dir.Sub("db")});
    REQUIRE(opened.ok());
    db = *std::move(opened);
    absl::StatusOr<std::unique_ptr<LevelDbLog>> l =
        LevelDbLog::Open(db.get(), dir.path());
    INFO(l.status().ToString());
    REQUIRE(l.ok());
    log = *std::move(l);
  }

  raftpb::SnapshotMetadata Snapshot(uint64_t index, uint64_t term) {
    std::ofstream(SnapshotPath(dir.path(), index, term)) << "snap";
    raftpb::SnapshotMetadata m;
    m.set_index(index);
    m.set_term(term);
    m.mutable_conf_state()->add_voters(1);
    return m;
  }
};

TEST_CASE("a snapshot keeps the trailing entries before it",
          "[node][ops][trailing]") {
  Fixture f;
  REQUIRE(
      f.log->Save(MakeHardState(2, 1, 100), MakeEntries(1, 100, 2), true).ok());
  REQUIRE(f.log->ApplySnapshotKeeping(f.Snapshot(90, 2), 30).ok());
  CHECK(f.log->FirstIndex() == 61);
  CHECK(f.log->LastIndex() == 100);
  CHECK(f.log->Snapshot().index() == 90);
  CHECK(*f.log->Term(60) == 2);
  CHECK(f.log->Entries(61, 101, UINT64_MAX).ok());
  // A reopen accepts a snapshot past the log start.
  f.Reopen();
  CHECK(f.log->FirstIndex() == 61);
  CHECK(f.log->Snapshot().index() == 90);
  // The start never moves back; keeping 0 is a plain ApplySnapshot.
  REQUIRE(f.log->ApplySnapshotKeeping(f.Snapshot(95, 2), 80).ok());
  CHECK(f.log->FirstIndex() == 61);
  REQUIRE(f.log->ApplySnapshotKeeping(f.Snapshot(98, 2), 0).ok());
  CHECK(f.log->FirstIndex() == 99);
}

TEST_CASE("trailing entries never reach back across a membership change",
          "[node][ops][trailing]") {
  Fixture f;
  std::vector<raftpb::Entry> entries = MakeEntries(1, 100, 2);
  entries[69].set_type(raftpb::ENTRY_CONF_CHANGE);  // index 70
  entries[97].set_type(raftpb::ENTRY_CONF_CHANGE);  // index 98
  REQUIRE(f.log->Save(MakeHardState(2, 1, 100), entries, true).ok());
  REQUIRE(f.log->ApplySnapshotKeeping(f.Snapshot(90, 2), 50).ok());
  // The configuration at the log start must be the snapshot's.
  CHECK(f.log->FirstIndex() == 71);
  // Found again after a reopen (the log is scanned at open).
  f.Reopen();
  REQUIRE(f.log->ApplySnapshotKeeping(f.Snapshot(95, 2), 50).ok());
  CHECK(f.log->FirstIndex() == 71);
  // The change at 98 is after the snapshot: it holds the start back only
  // once a snapshot covers it; replaced by a conflicting suffix, it no
  // longer does.
  std::vector<raftpb::Entry> suffix = MakeEntries(96, 100, 3);
  REQUIRE(f.log->Save(MakeHardState(3, 1, 100), suffix, true).ok());
  REQUIRE(f.log->ApplySnapshotKeeping(f.Snapshot(100, 3), 10).ok());
  CHECK(f.log->FirstIndex() == 91);
}

TEST_CASE("a snapshot the log does not hold drops the whole log",
          "[node][ops][trailing]") {
  Fixture f;
  REQUIRE(
      f.log->Save(MakeHardState(2, 1, 10), MakeEntries(1, 10, 2), true).ok());
  REQUIRE(f.log->ApplySnapshotKeeping(f.Snapshot(20, 3), 100).ok());
  CHECK(f.log->FirstIndex() == 21);
  CHECK(f.log->LastIndex() == 20);
  // Another term at the snapshot's index: the log's entries there differ.
  Fixture g;
  REQUIRE(
      g.log->Save(MakeHardState(2, 1, 10), MakeEntries(1, 10, 2), true).ok());
  REQUIRE(g.log->ApplySnapshotKeeping(g.Snapshot(8, 5), 100).ok());
  CHECK(g.log->FirstIndex() == 9);
  CHECK(g.log->LastIndex() == 8);
}

}  // namespace
}  // namespace coffer::storage
