// storage::LevelDbLog::ApplySnapshotKeeping, the storage half of
// NodeOptions::trailing_logs.
#include <memory>
#include <string>

#include "storage/db.h"
#include "storage/leveldb_log.h"
#include "support/catch.h"
#include "unit/storage/test_util.h"

namespace coffer::storage {
namespace {

using test::LogFixture;
using test::MakeEntries;
using test::MakeHardState;

// Saves entries 1..`last`, all of term 2, committed.
void Fill(LogFixture& f, uint64_t last) {
  REQUIRE(f.log->Save(MakeHardState(2, 1, last), MakeEntries(1, last, 2), true)
              .ok());
}

TEST_CASE("a snapshot keeps the trailing entries before it",
          "[node][ops][trailing]") {
  LogFixture f;
  Fill(f, 100);
  REQUIRE(f.log->ApplySnapshotKeeping(f.MakeSnapshot(90, 2), 30).ok());
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
  REQUIRE(f.log->ApplySnapshotKeeping(f.MakeSnapshot(95, 2), 80).ok());
  CHECK(f.log->FirstIndex() == 61);
  REQUIRE(f.log->ApplySnapshotKeeping(f.MakeSnapshot(98, 2), 0).ok());
  CHECK(f.log->FirstIndex() == 99);
}

TEST_CASE("trailing entries never reach back across a membership change",
          "[node][ops][trailing]") {
  LogFixture f;
  std::vector<raftpb::Entry> entries = MakeEntries(1, 100, 2);
  entries[69].set_type(raftpb::ENTRY_CONF_CHANGE);  // index 70
  entries[97].set_type(raftpb::ENTRY_CONF_CHANGE);  // index 98
  REQUIRE(f.log->Save(MakeHardState(2, 1, 100), entries, true).ok());
  REQUIRE(f.log->ApplySnapshotKeeping(f.MakeSnapshot(90, 2), 50).ok());
  // The configuration at the log start must be the snapshot's.
  CHECK(f.log->FirstIndex() == 71);
  // Found again after a reopen (the log is scanned at open).
  f.Reopen();
  REQUIRE(f.log->ApplySnapshotKeeping(f.MakeSnapshot(95, 2), 50).ok());
  CHECK(f.log->FirstIndex() == 71);
  // The change at 98 is after the snapshot: it holds the start back only
  // once a snapshot covers it; replaced by a conflicting suffix, it no
  // longer does.
  std::vector<raftpb::Entry> suffix = MakeEntries(96, 100, 3);
  REQUIRE(f.log->Save(MakeHardState(3, 1, 100), suffix, true).ok());
  REQUIRE(f.log->ApplySnapshotKeeping(f.MakeSnapshot(100, 3), 10).ok());
  CHECK(f.log->FirstIndex() == 91);
}

TEST_CASE("a snapshot the log does not hold drops the whole log",
          "[node][ops][trailing]") {
  LogFixture f;
  Fill(f, 10);
  REQUIRE(f.log->ApplySnapshotKeeping(f.MakeSnapshot(20, 3), 100).ok());
  CHECK(f.log->FirstIndex() == 21);
  CHECK(f.log->LastIndex() == 20);
  // Another term at the snapshot's index: the log's entries there differ.
  LogFixture g;
  Fill(g, 10);
  REQUIRE(g.log->ApplySnapshotKeeping(g.MakeSnapshot(8, 5), 100).ok());
  CHECK(g.log->FirstIndex() == 9);
  CHECK(g.log->LastIndex() == 8);
}

}  // namespace
}  // namespace coffer::storage
