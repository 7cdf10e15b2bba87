#include "storage/recovery.h"

#include <fstream>

#include "storage/db.h"
#include "storage/leveldb_state_store.h"
#include "support/catch.h"
#include "unit/storage/test_util.h"

namespace coffer::storage {
namespace {

using test::MakeEntries;
using test::MakeHardState;

struct Stores {
  test::ScratchDir dir;
  std::unique_ptr<Db> db = *Db::Open({.path = dir.Sub("db")});
  std::unique_ptr<LevelDbLog> log = *LevelDbLog::Open(db.get(), dir.path());
  std::unique_ptr<LevelDbStateStore> state = *LevelDbStateStore::Open(db.get());

  raftpb::SnapshotMetadata Snapshot(uint64_t index, uint64_t term) {
    return test::MakeSnapshotFile(dir.path(), index, term, "s");
  }
};

TEST_CASE("reconcile finishes a snapshot install cut short by a crash",
          "[storage][recovery]") {
  Stores s;
  REQUIRE(
      s.log->Save(MakeHardState(2, 1, 5), MakeEntries(1, 10, 2), true).ok());
  auto restore = *s.state->BeginRestore();
  REQUIRE(restore->Put("a", "1").ok());
  REQUIRE(restore->Commit(s.Snapshot(30, 3)).ok());
  // Crash here: the log has not heard of snapshot 30.
  REQUIRE(Reconcile(*s.log, *s.state).ok());
  CHECK(s.log->Snapshot().index() == 30);
  CHECK(s.log->FirstIndex() == 31);
  CHECK(s.log->LastIndex() == 30);
  CHECK(Reconcile(*s.log, *s.state).ok());  // idempotent
}

TEST_CASE("reconcile refuses a state machine the log cannot catch up",
          "[storage][recovery]") {
  Stores s;
  REQUIRE(
      s.log->Save(MakeHardState(2, 1, 8), MakeEntries(1, 10, 2), true).ok());
  SECTION("behind the log start") {
    REQUIRE(s.log->Compact(6).ok());
    WriteSet w;
    REQUIRE(s.state->Apply(w, 4).ok());
    absl::Status st = Reconcile(*s.log, *s.state);
    CHECK(st.code() == absl::StatusCode::kDataLoss);
    CHECK(st.message().find("behind the log's first index 6") !=
          absl::string_view::npos);
  }
  SECTION("ahead of the log") {
    REQUIRE(s.state->Apply(WriteSet(), 11).ok());
    CHECK(Reconcile(*s.log, *s.state).code() == absl::StatusCode::kDataLoss);
  }
  SECTION("in step") {
    REQUIRE(s.state->Apply(WriteSet(), 5).ok());
    CHECK(Reconcile(*s.log, *s.state).ok());
  }
}

}  // namespace
}  // namespace coffer::storage
