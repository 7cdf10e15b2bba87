#include "raft/memory_storage.h"

#include "support/catch.h"

namespace coffer::raft {
namespace {

std::vector<raftpb::Entry> Ents(uint64_t lo, uint64_t hi, uint64_t term) {
  std::vector<raftpb::Entry> out;
  for (uint64_t i = lo; i <= hi; ++i) {
    raftpb::Entry e;
    e.set_index(i);
    e.set_term(term);
    e.set_data("d" + std::to_string(i));
    out.push_back(e);
  }
  return out;
}

TEST_CASE("memory storage saves, replaces and compacts entries",
          "[raft][storage]") {
  MemoryStorage s;
  REQUIRE(s.FirstIndex() == 1);
  REQUIRE(s.LastIndex() == 0);
  REQUIRE(s.Save(raftpb::HardState(), Ents(1, 5, 1), true).ok());
  REQUIRE(s.LastIndex() == 5);
  // A conflicting suffix replaces the saved one.
  REQUIRE(s.Save(raftpb::HardState(), Ents(4, 6, 2), true).ok());
  REQUIRE(*s.Term(3) == 1);
  REQUIRE(*s.Term(4) == 2);
  REQUIRE(s.LastIndex() == 6);
  REQUIRE(s.Compact(3).ok());
  REQUIRE(s.FirstIndex() == 3);
  REQUIRE(raft::IsCompacted(s.Entries(2, 4, 100).status()));
  REQUIRE(raft::IsUnavailable(s.Entries(3, 8, 100).status()));
  REQUIRE(raft::IsCompacted(s.Term(1).status()));
  REQUIRE(s.Term(2).ok());  // first_index - 1 is never an error
}

TEST_CASE("memory storage limits entries by size but returns at least one",
          "[raft][storage]") {
  MemoryStorage s;
  REQUIRE(s.Save(raftpb::HardState(), Ents(1, 10, 1), true).ok());
  REQUIRE(s.Entries(1, 11, 0)->size() == 1);
  uint64_t one = Ents(1, 1, 1)[0].ByteSizeLong();
  REQUIRE(s.Entries(1, 11, 3 * one)->size() == 3);
}

TEST_CASE("memory storage serves the snapshot in chunks", "[raft][storage]") {
  MemoryStorage s;
  REQUIRE(s.Save(raftpb::HardState(), Ents(1, 10, 1), true).ok());
  raftpb::ConfState cs;
  cs.add_voters(1);
  REQUIRE(s.CreateSnapshot(8, cs, "0123456789").ok());
  auto c1 = s.ReadSnapshotChunk(8, 0, 4);
  REQUIRE(c1->data == "0123");
  REQUIRE_FALSE(c1->last);
  auto c3 = s.ReadSnapshotChunk(8, 8, 4);
  REQUIRE(c3->data == "89");
  REQUIRE(c3->last);
  REQUIRE(s.ReadSnapshotChunk(7, 0, 4).status().code() ==
          absl::StatusCode::kFailedPrecondition);
  REQUIRE(s.CreateSnapshot(8, cs, "x").code() ==
          absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("applying a snapshot keeps a matching log suffix",
          "[raft][storage]") {
  MemoryStorage s;
  REQUIRE(s.Save(raftpb::HardState(), Ents(1, 10, 1), true).ok());
  raftpb::SnapshotMetadata m;
  m.set_index(5);
  m.set_term(1);
  s.SetPendingSnapshotData("state");
  REQUIRE(s.ApplySnapshot(m).ok());
  REQUIRE(s.FirstIndex() == 6);
  REQUIRE(s.LastIndex() == 10);
  REQUIRE(s.snapshot_data() == "state");
  // A snapshot the log does not match drops every entry.
  m.set_index(7);
  m.set_term(9);
  REQUIRE(s.ApplySnapshot(m).ok());
  REQUIRE(s.LastIndex() == 7);
  REQUIRE(*s.Term(7) == 9);
  m.set_index(3);
  REQUIRE(s.ApplySnapshot(m).code() == absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace coffer::raft
