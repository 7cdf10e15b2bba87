#include "storage/leveldb_log.h"

#include <filesystem>
#include <fstream>
#include <set>

#include "storage/db.h"
#include "support/catch.h"
#include "unit/storage/test_util.h"

namespace coffer::storage {
namespace {

using test::LogFixture;
using test::MakeEntries;
using test::MakeEntry;
using test::MakeHardState;

std::vector<uint64_t> Indices(const std::vector<raftpb::Entry>& entries) {
  std::vector<uint64_t> out;
  for (const auto& e : entries) out.push_back(e.index());
  return out;
}

TEST_CASE("a new log is empty and starts at index 1", "[storage][log]") {
  LogFixture f;
  CHECK(f.log->FirstIndex() == 1);
  CHECK(f.log->LastIndex() == 0);
  CHECK(*f.log->Term(0) == 0);
  auto state = f.log->LoadInitialState();
  REQUIRE(state.ok());
  CHECK(state->hard_state.term() == 0);
  CHECK(raft::IsUnavailable(f.log->Term(1).status()));
}

TEST_CASE("saved entries and hard state survive a reopen", "[storage][log]") {
  LogFixture f;
  auto entries = MakeEntries(1, 10, 2);
  REQUIRE(f.log->Save(MakeHardState(2, 3, 7), entries, true).ok());
  f.Reopen();
  CHECK(f.log->LastIndex() == 10);
  CHECK(*f.log->Term(5) == 2);
  auto state = f.log->LoadInitialState();
  CHECK(state->hard_state.term() == 2);
  CHECK(state->hard_state.voted_for() == 3);
  CHECK(state->hard_state.commit() == 7);
  auto read = f.log->Entries(3, 8, UINT64_MAX);
  REQUIRE(read.ok());
  CHECK(Indices(*read) == std::vector<uint64_t>{3, 4, 5, 6, 7});
  CHECK((*read)[0].data() == "cmd-3");
}

TEST_CASE("an empty save or zero hard state leaves that part unchanged",
          "[storage][log]") {
  LogFixture f;
  REQUIRE(f.log->Save(MakeHardState(1, 1, 0), MakeEntries(1, 3, 1), true).ok());
  REQUIRE(f.log->Save(raftpb::HardState(), MakeEntries(4, 4, 1), true).ok());
  REQUIRE(f.log->Save(MakeHardState(1, 1, 4), {}, true).ok());
  f.Reopen();
  CHECK(f.log->LastIndex() == 4);
  CHECK(f.log->LoadInitialState()->hard_state.commit() == 4);
}

TEST_CASE("Entries honours max_bytes but returns at least one entry",
          "[storage][log]") {
  LogFixture f;
  REQUIRE(f.log->Save({}, MakeEntries(1, 10, 1), true).ok());
  uint64_t one = MakeEntry(1, 1).ByteSizeLong();
  CHECK(f.log->Entries(1, 11, 0)->size() == 1);
  CHECK(f.log->Entries(1, 11, one * 3)->size() == 3);
  CHECK(f.log->Entries(1, 11, one * 3 + 1)->size() == 3);
  CHECK(f.log->Entries(4, 4, 0)->empty());
  CHECK(raft::IsUnavailable(f.log->Entries(5, 12, UINT64_MAX).status()));
}

TEST_CASE("a conflicting suffix is replaced in the same batch",
          "[storage][log]") {
  LogFixture f;
  REQUIRE(
      f.log->Save(MakeHardState(1, 1, 0), MakeEntries(1, 10, 1), true).ok());
  // A new leader in term 2 overwrites from index 6 with a shorter log.
  REQUIRE(f.log->Save(MakeHardState(2, 2, 5), MakeEntries(6, 7, 2), true).ok());
  CHECK(f.log->LastIndex() == 7);
  f.Reopen();
  CHECK(f.log->LastIndex() == 7);
  CHECK(*f.log->Term(5) == 1);
  CHECK(*f.log->Term(7) == 2);
  CHECK(raft::IsUnavailable(f.log->Term(8).status()));
}

TEST_CASE("entries that leave a gap or are not contiguous are rejected",
          "[storage][log]") {
  LogFixture f;
  REQUIRE(f.log->Save({}, MakeEntries(1, 3, 1), true).ok());
  CHECK(f.log->Save({}, MakeEntries(5, 6, 1), true).code() ==
        absl::StatusCode::kInvalidArgument);
  std::vector<raftpb::Entry> holes = {MakeEntry(4, 1), MakeEntry(6, 1)};
  CHECK(f.log->Save({}, holes, true).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(f.log->LastIndex() == 3);
}

TEST_CASE("compaction moves the first index and keeps the boundary term",
          "[storage][log]") {
  LogFixture f;
  REQUIRE(f.log->Save({}, MakeEntries(1, 5, 1), true).ok());
  REQUIRE(f.log->Save({}, MakeEntries(6, 10, 2), true).ok());
  REQUIRE(f.log->Compact(7).ok());
  CHECK(f.log->FirstIndex() == 7);
  CHECK(*f.log->Term(6) == 2);
  CHECK(raft::IsCompacted(f.log->Term(5).status()));
  CHECK(raft::IsCompacted(f.log->Entries(6, 8, UINT64_MAX).status()));
  CHECK(f.log->Compact(3).ok());  // below the first index: no-op
  CHECK(f.log->FirstIndex() == 7);
  CHECK(f.log->Compact(12).code() == absl::StatusCode::kInvalidArgument);
  // Compacted entries stay on disk until trimmed, across a reopen too.
  f.Reopen();
  CHECK(f.log->FirstIndex() == 7);
  CHECK(*f.log->Term(6) == 2);
  CHECK(f.log->PendingTrim() == 6);
  CHECK(*f.log->TrimLog(4) == 2);
  CHECK(*f.log->TrimLog(4) == 0);
  f.Reopen();
  CHECK(f.log->PendingTrim() == 0);
  CHECK(f.log->Entries(7, 11, UINT64_MAX)->size() == 4);
}

TEST_CASE("compaction by entry count keeps unapplied entries",
          "[storage][log]") {
  LogFixture f;
  REQUIRE(f.log->Save({}, MakeEntries(1, 100, 1), true).ok());
  REQUIRE(f.log->CompactToLimit(/*applied_index=*/90, 30).ok());
  CHECK(f.log->FirstIndex() == 71);
  REQUIRE(f.log->CompactToLimit(/*applied_index=*/80, 10).ok());
  CHECK(f.log->FirstIndex() == 81);  // 81..100 are not all applied
  REQUIRE(f.log->CompactToLimit(/*applied_index=*/100, 50).ok());
  CHECK(f.log->FirstIndex() == 81);  // already under the limit
  f.Reopen();
  CHECK(f.log->FirstIndex() == 81);
  CHECK(*f.log->Term(80) == 1);
}

TEST_CASE("a snapshot the log agrees with keeps the entries after it",
          "[storage][log][snapshot]") {
  LogFixture f;
  REQUIRE(f.log->Save({}, MakeEntries(1, 10, 1), true).ok());
  REQUIRE(f.log->ApplySnapshot(f.MakeSnapshot(6, 1)).ok());
  CHECK(f.log->FirstIndex() == 7);
  CHECK(f.log->LastIndex() == 10);
  CHECK(*f.log->Term(6) == 1);
  f.Reopen();
  CHECK(f.log->Snapshot().index() == 6);
  CHECK(f.log->LoadInitialState()->conf_state.voters_size() == 1);
  CHECK(f.log->LastIndex() == 10);
}

TEST_CASE("a snapshot the log disagrees with replaces the whole log",
          "[storage][log][snapshot]") {
  LogFixture f;
  REQUIRE(f.log->Save({}, MakeEntries(1, 10, 1), true).ok());
  REQUIRE(f.log->ApplySnapshot(f.MakeSnapshot(8, 3)).ok());
  CHECK(f.log->FirstIndex() == 9);
  CHECK(f.log->LastIndex() == 8);
  CHECK(*f.log->Term(8) == 3);
  REQUIRE(f.log->Save(MakeHardState(3, 0, 8), MakeEntries(9, 9, 3), true).ok());
  f.Reopen();
  CHECK(f.log->LastIndex() == 9);
  CHECK(*f.log->Term(8) == 3);
  // A snapshot beyond the log's end.
  REQUIRE(f.log->ApplySnapshot(f.MakeSnapshot(20, 4)).ok());
  CHECK(f.log->FirstIndex() == 21);
  CHECK(f.log->LastIndex() == 20);
}

TEST_CASE("an older snapshot or a missing snapshot file is refused",
          "[storage][log][snapshot]") {
  LogFixture f;
  REQUIRE(f.log->Save({}, MakeEntries(1, 10, 1), true).ok());
  REQUIRE(f.log->ApplySnapshot(f.MakeSnapshot(6, 1)).ok());
  CHECK(f.log->ApplySnapshot(f.MakeSnapshot(5, 1)).code() ==
        absl::StatusCode::kFailedPrecondition);
  raftpb::SnapshotMetadata missing;
  missing.set_index(9);
  missing.set_term(1);
  CHECK(f.log->ApplySnapshot(missing).code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(f.log->Snapshot().index() == 6);
}

TEST_CASE("snapshot chunks are read from the latest snapshot file",
          "[storage][log][snapshot]") {
  LogFixture f;
  std::string data(1000, 'x');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i);
  REQUIRE(f.log->Save({}, MakeEntries(1, 4, 1), true).ok());
  REQUIRE(f.log->ApplySnapshot(f.MakeSnapshot(4, 1, data)).ok());
  std::string assembled;
  for (uint64_t offset = 0;;) {
    auto chunk = f.log->ReadSnapshotChunk(4, offset, 300);
    REQUIRE(chunk.ok());
    CHECK(chunk->data.size() <= 300);
    assembled += chunk->data;
    offset += chunk->data.size();
    if (chunk->last) break;
  }
  CHECK(assembled == data);
  CHECK(f.log->ReadSnapshotChunk(4, 1001, 10).status().code() ==
        absl::StatusCode::kOutOfRange);
  CHECK(f.log->ReadSnapshotChunk(3, 0, 10).status().code() ==
        absl::StatusCode::kFailedPrecondition);
}

TEST_CASE(
    "ReplaceConfiguration blanks membership entries and sets the "
    "configuration at the log start",
    "[storage][log][recover]") {
  LogFixture f;
  auto conf_entry = [](uint64_t index, uint64_t term, uint64_t id) {
    raftpb::ConfChange cc;
    raftpb::ConfChangeSingle* ch = cc.add_changes();
    ch->set_type(raftpb::CONF_ADD_VOTER);
    ch->set_node_id(id);
    raftpb::Entry e = MakeEntry(index, term, cc.SerializeAsString());
    e.set_type(raftpb::ENTRY_CONF_CHANGE);
    return e;
  };
  std::vector<raftpb::Entry> entries = {conf_entry(1, 1, 7), MakeEntry(2, 1),
                                        conf_entry(3, 2, 8), MakeEntry(4, 2)};
  REQUIRE(f.log->Save(MakeHardState(3, 8, 3), entries, true).ok());
  raftpb::ConfState conf;
  conf.add_voters(1);
  conf.add_voters(2);
  conf.add_learners(9);
  absl::StatusOr<std::set<uint64_t>> history =
      f.log->ReplaceConfiguration(conf);
  REQUIRE(history.ok());
  CHECK(*history == std::set<uint64_t>{7, 8});

  // Durable: a reopen reads the same.
  f.Reopen();
  auto state = f.log->LoadInitialState();
  REQUIRE(state.ok());
  CHECK(state->conf_state.SerializeAsString() == conf.SerializeAsString());
  CHECK(state->hard_state.term() == 3);
  CHECK(state->hard_state.voted_for() == 8);
  CHECK(state->hard_state.commit() == 3);
  CHECK(f.log->Snapshot().index() == 0);
  auto read = f.log->Entries(1, 5, UINT64_MAX);
  REQUIRE(read.ok());
  REQUIRE(read->size() == 4);
  for (const raftpb::Entry& e : *read) {
    CHECK(e.type() == raftpb::ENTRY_NORMAL);
    CHECK(e.term() == entries[e.index() - 1].term());
  }
  CHECK((*read)[0].data().empty());
  CHECK((*read)[1].data() == "cmd-2");
  CHECK((*read)[2].data().empty());
  CHECK((*read)[3].data() == "cmd-4");

  // Again: nothing left to blank; the history is the configuration itself.
  history = f.log->ReplaceConfiguration(conf);
  REQUIRE(history.ok());
  CHECK(*history == std::set<uint64_t>{1, 2, 9});
  CHECK(f.log->LastIndex() == 4);
}

}  // namespace
}  // namespace coffer::storage
