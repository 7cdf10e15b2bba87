#include "storage/state_store.h"

#include <initializer_list>
#include <map>
#include <utility>

#include "storage/db.h"
#include "storage/leveldb_state_store.h"
#include "storage/memory_state_store.h"
#include "support/catch.h"
#include "unit/storage/test_util.h"

namespace coffer::storage {
namespace {

// Each holder gives a store and, for the durable one, a way to reopen it.
struct MemoryHolder {
  MemoryStateStore store_impl;
  StateStore& store() { return store_impl; }
  void Reopen() {}
};

struct LevelDbHolder {
  test::ScratchDir dir;
  std::unique_ptr<Db> db;
  std::unique_ptr<LevelDbStateStore> state;

  LevelDbHolder() { Reopen(); }
  StateStore& store() { return *state; }
  void Reopen() {
    state.reset();
    db.reset();
    db = *Db::Open({.path = dir.Sub("db"), .write_buffer_bytes = 64 << 10});
    auto s = LevelDbStateStore::Open(db.get(), {.batch_bytes = 4096});
    REQUIRE(s.ok());
    state = *std::move(s);
  }
};

std::map<std::string, std::string> Contents(StateStore& store) {
  std::map<std::string, std::string> out;
  auto it = store.NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out.emplace(std::string(it->key()), std::string(it->value()));
  }
  REQUIRE(it->status().ok());
  return out;
}

// A write set of puts, in order.
WriteSet Puts(
    std::initializer_list<std::pair<absl::string_view, absl::string_view>>
        puts) {
  WriteSet w;
  for (const auto& [key, value] : puts) w.Put(key, value);
  return w;
}

// Applies "old" = "x" at index 3: the state the restore tests replace.
void ApplyOld(StateStore& store) {
  REQUIRE(store.Apply(Puts({{"old", "x"}}), 3).ok());
}

raftpb::SnapshotMetadata Meta(uint64_t index, uint64_t term) {
  raftpb::SnapshotMetadata m;
  m.set_index(index);
  m.set_term(term);
  return m;
}

TEMPLATE_TEST_CASE("applied changes and the applied index move together",
                   "[storage][state]", MemoryHolder, LevelDbHolder) {
  TestType h;
  WriteSet w = Puts({{"a", "1"}, {"b", "2"}, {"c", "3"}});
  REQUIRE(h.store().Apply(w, 5).ok());
  w.Clear();
  w.Delete("b");
  w.Put("a", "10");
  REQUIRE(h.store().Apply(w, 6).ok());
  h.Reopen();
  CHECK(h.store().AppliedIndex() == 6);
  CHECK(*h.store().Get("a") == "10");
  CHECK(h.store().Get("b").status().code() == absl::StatusCode::kNotFound);
  CHECK(Contents(h.store()) ==
        std::map<std::string, std::string>{{"a", "10"}, {"c", "3"}});
}

TEMPLATE_TEST_CASE("an entry is never applied twice", "[storage][state]",
                   MemoryHolder, LevelDbHolder) {
  TestType h;
  WriteSet w;
  w.Put("k", "v1");
  REQUIRE(h.store().Apply(w, 3).ok());
  w.Clear();
  w.Put("k", "v2");
  CHECK(h.store().Apply(w, 3).code() == absl::StatusCode::kFailedPrecondition);
  CHECK(h.store().Apply(w, 2).code() == absl::StatusCode::kFailedPrecondition);
  CHECK(*h.store().Get("k") == "v1");
  REQUIRE(h.store().Apply(WriteSet(), 4).ok());  // a no-op entry
  CHECK(h.store().AppliedIndex() == 4);
}

TEMPLATE_TEST_CASE("prefix scans visit keys in order and stop at the prefix",
                   "[storage][state]", MemoryHolder, LevelDbHolder) {
  TestType h;
  WriteSet w;
  for (const char* k : {"sys/x", "kv/b", "kv/a", "kv0", "kw", "k"}) {
    w.Put(k, std::string("v-") + k);
  }
  REQUIRE(h.store().Apply(w, 1).ok());
  std::vector<std::string> seen;
  REQUIRE(
      ScanPrefix(h.store(), "kv/", [&](absl::string_view k, absl::string_view) {
        seen.emplace_back(k);
        return true;
      }).ok());
  CHECK(seen == std::vector<std::string>{"kv/a", "kv/b"});
  seen.clear();
  REQUIRE(
      ScanPrefix(h.store(), "k", [&](absl::string_view k, absl::string_view) {
        seen.emplace_back(k);
        return seen.size() < 3;
      }).ok());
  CHECK(seen == std::vector<std::string>{"k", "kv/a", "kv/b"});
}

TEMPLATE_TEST_CASE("an iterator keeps its view while the store changes",
                   "[storage][state]", MemoryHolder, LevelDbHolder) {
  TestType h;
  WriteSet w = Puts({{"a", "1"}, {"b", "2"}});
  REQUIRE(h.store().Apply(w, 1).ok());
  auto it = h.store().NewIterator();
  w.Clear();
  w.Delete("b");
  w.Put("c", "3");
  REQUIRE(h.store().Apply(w, 2).ok());
  std::vector<std::string> seen;
  for (it->SeekToFirst(); it->Valid(); it->Next()) seen.emplace_back(it->key());
  CHECK(seen == std::vector<std::string>{"a", "b"});
}

TEMPLATE_TEST_CASE("a committed restore replaces the state atomically",
                   "[storage][state][restore]", MemoryHolder, LevelDbHolder) {
  TestType h;
  ApplyOld(h.store());
  auto restore = h.store().BeginRestore();
  REQUIRE(restore.ok());
  std::map<std::string, std::string> expected;
  for (int i = 0; i < 500; ++i) {
    std::string k = "key" + std::to_string(1000 + i);
    std::string v(100, static_cast<char>('a' + i % 26));
    REQUIRE((*restore)->Put(k, v).ok());
    expected.emplace(k, v);
  }
  CHECK((*restore)->Put("key0000", "late").code() ==
        absl::StatusCode::kInvalidArgument);
  // Until Commit the old state is what readers see.
  CHECK(*h.store().Get("old") == "x");
  REQUIRE((*restore)->Commit(Meta(40, 2)).ok());
  restore->reset();
  h.Reopen();
  CHECK(h.store().AppliedIndex() == 40);
  CHECK(h.store().snapshot().term() == 2);
  CHECK(Contents(h.store()) == expected);
}

TEMPLATE_TEST_CASE("an abandoned restore leaves the old state",
                   "[storage][state][restore]", MemoryHolder, LevelDbHolder) {
  TestType h;
  ApplyOld(h.store());
  {
    auto restore = h.store().BeginRestore();
    REQUIRE(restore.ok());
    for (int i = 0; i < 200; ++i) {
      REQUIRE((*restore)->Put("n" + std::to_string(1000 + i), "v").ok());
    }
  }
  h.Reopen();
  CHECK(h.store().AppliedIndex() == 3);
  CHECK(Contents(h.store()) ==
        std::map<std::string, std::string>{{"old", "x"}});
  // A second restore after the abandoned one holds only its own records.
  auto restore = h.store().BeginRestore();
  REQUIRE((*restore)->Put("z", "1").ok());
  REQUIRE((*restore)->Commit(Meta(9, 1)).ok());
  CHECK(Contents(h.store()) == std::map<std::string, std::string>{{"z", "1"}});
}

TEST_CASE("open deletes generations left by an interrupted restore",
          "[storage][state][restore]") {
  LevelDbHolder h;
  {
    auto restore = h.state->BeginRestore();
    for (int i = 0; i < 300; ++i) {
      REQUIRE((*restore)->Put("n" + std::to_string(1000 + i), "v").ok());
    }
  }
  h.Reopen();
  auto it = h.db->NewIterator();
  it->Seek("D");
  CHECK((!it->Valid() || it->key()[0] != 'D'));
}

}  // namespace
}  // namespace coffer::storage
