#include "raft/log.h"

#include "raft/memory_storage.h"
#include "support/catch.h"

namespace coffer::raft {
namespace {

raftpb::Entry E(uint64_t index, uint64_t term) {
  raftpb::Entry e;
  e.set_index(index);
  e.set_term(term);
  return e;
}

EntryList List(std::initializer_list<std::pair<uint64_t, uint64_t>> it) {
  EntryList out;
  for (auto [i, t] : it) *out.Add() = E(i, t);
  return out;
}

TEST_CASE("the log spans storage and the unstable tail", "[raft][log]") {
  MemoryStorage s;
  REQUIRE(s.Save(raftpb::HardState(), {E(1, 1), E(2, 1)}, true).ok());
  RaftLog log(&s);
  std::vector<raftpb::Entry> more = {E(3, 2), E(4, 2)};
  REQUIRE(log.Append(std::move(more)) == 4);
  REQUIRE(log.LastIndex() == 4);
  REQUIRE(log.LastTerm() == 2);
  REQUIRE(*log.Term(2) == 1);
  REQUIRE(*log.Term(4) == 2);
  REQUIRE(log.Slice(1, 5, UINT64_MAX)->size() == 4);
  REQUIRE(log.UnstableEntries().size() == 2);
  log.StableTo(4, 1);  // wrong term: ignored
  REQUIRE(log.UnstableEntries().size() == 2);
  log.StableTo(3, 2);
  REQUIRE(log.UnstableEntries().size() == 1);
}

TEST_CASE("MaybeAppend truncates a conflicting suffix and commits",
          "[raft][log]") {
  MemoryStorage s;
  REQUIRE(s.Save(raftpb::HardState(), {E(1, 1), E(2, 1), E(3, 1)}, true).ok());
  RaftLog log(&s);
  EntryList bad = List({{3, 2}});
  REQUIRE_FALSE(log.MaybeAppend(2, 2, 3, &bad));  // prev term mismatch
  EntryList ents = List({{3, 2}, {4, 2}});
  auto last = log.MaybeAppend(2, 1, 3, &ents);
  REQUIRE(last == 4);
  REQUIRE(*log.Term(3) == 2);
  REQUIRE(log.committed() == 3);
  // An already present prefix changes nothing.
  EntryList dup = List({{3, 2}});
  REQUIRE(log.MaybeAppend(2, 1, 3, &dup) == 3);
  REQUIRE(log.LastIndex() == 4);
}

TEST_CASE("the commit rule only counts entries of the current term",
          "[raft][log]") {
  MemoryStorage s;
  REQUIRE(s.Save(raftpb::HardState(), {E(1, 1), E(2, 2)}, true).ok());
  RaftLog log(&s);
  REQUIRE_FALSE(log.MaybeCommit(2, 3));
  REQUIRE(log.MaybeCommit(2, 2));
  REQUIRE(log.committed() == 2);
}

TEST_CASE("up-to-date compares last terms, then lengths (5.4.1)",
          "[raft][log]") {
  MemoryStorage s;
  REQUIRE(s.Save(raftpb::HardState(), {E(1, 1), E(2, 2)}, true).ok());
  RaftLog log(&s);
  REQUIRE(log.IsUpToDate(1, 3));
  REQUIRE(log.IsUpToDate(2, 2));
  REQUIRE_FALSE(log.IsUpToDate(1, 2));
  REQUIRE_FALSE(log.IsUpToDate(9, 1));
}

TEST_CASE("FindConflictByTerm skips a term at a time", "[raft][log]") {
  MemoryStorage s;
  REQUIRE(s.Save(raftpb::HardState(),
                 {E(1, 1), E(2, 1), E(3, 4), E(4, 4), E(5, 5), E(6, 6)}, true)
              .ok());
  RaftLog log(&s);
  REQUIRE(log.FindConflictByTerm(6, 4).first == 4);
  REQUIRE(log.FindConflictByTerm(6, 3).first == 2);
  REQUIRE(log.FindConflictByTerm(6, 6).first == 6);
}

TEST_CASE("restoring a snapshot replaces the log", "[raft][log]") {
  MemoryStorage s;
  REQUIRE(s.Save(raftpb::HardState(), {E(1, 1)}, true).ok());
  RaftLog log(&s);
  raftpb::SnapshotMetadata m;
  m.set_index(10);
  m.set_term(3);
  log.Restore(m);
  REQUIRE(log.FirstIndex() == 11);
  REQUIRE(log.LastIndex() == 10);
  REQUIRE(*log.Term(10) == 3);
  REQUIRE(log.committed() == 10);
  REQUIRE_FALSE(log.HasNextCommittedEntries());
}

}  // namespace
}  // namespace coffer::raft
