// Helpers shared by the storage tests: a scratch directory, builders, and
// a LevelDbLog on a scratch directory that a test can reopen.
#ifndef COFFER_TESTS_UNIT_STORAGE_TEST_UTIL_H_
#define COFFER_TESTS_UNIT_STORAGE_TEST_UTIL_H_

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "proto/raft.pb.h"
#include "storage/db.h"
#include "storage/leveldb_log.h"
#include "support/catch.h"

namespace coffer::storage::test {

// A fresh directory under $TMPDIR, removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "coffer-storage-XXXXXX")
            .string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline raftpb::Entry MakeEntry(uint64_t index, uint64_t term,
                               const std::string& data = "") {
  raftpb::Entry e;
  e.set_index(index);
  e.set_term(term);
  e.set_data(data.empty() ? "cmd-" + std::to_string(index) : data);
  return e;
}

// Entries lo..hi inclusive, all in `term`.
inline std::vector<raftpb::Entry> MakeEntries(uint64_t lo, uint64_t hi,
                                              uint64_t term) {
  std::vector<raftpb::Entry> out;
  for (uint64_t i = lo; i <= hi; ++i) out.push_back(MakeEntry(i, term));
  return out;
}

inline raftpb::HardState MakeHardState(uint64_t term, uint64_t vote,
                                       uint64_t commit) {
  raftpb::HardState hs;
  hs.set_term(term);
  hs.set_voted_for(vote);
  hs.set_commit(commit);
  return hs;
}

// Writes the snapshot file `data` that LevelDbLog::ApplySnapshot expects
// for (index, term) in `dir`; returns its metadata (no configuration).
inline raftpb::SnapshotMetadata MakeSnapshotFile(const std::string& dir,
                                                 uint64_t index, uint64_t term,
                                                 const std::string& data) {
  std::ofstream(SnapshotPath(dir, index, term)) << data;
  raftpb::SnapshotMetadata m;
  m.set_index(index);
  m.set_term(term);
  return m;
}

// A LevelDbLog over its own Db in a scratch directory.
struct LogFixture {
  ScratchDir dir;
  std::unique_ptr<Db> db;
  std::unique_ptr<LevelDbLog> log;

  LogFixture() { Reopen(); }

  // Closes the log and its Db and opens them again from the directory.
  void Reopen() {
    log.reset();
    db.reset();
    auto opened = Db::Open({.path = dir.Sub("db")});
    REQUIRE(opened.ok());
    db = *std::move(opened);
    auto l = LevelDbLog::Open(db.get(), dir.path());
    INFO(l.status().ToString());
    REQUIRE(l.ok());
    log = *std::move(l);
  }

  // Writes the snapshot file ApplySnapshot expects to find; the snapshot's
  // configuration is voter 1 alone.
  raftpb::SnapshotMetadata MakeSnapshot(uint64_t index, uint64_t term,
                                        const std::string& data = "snap") {
    raftpb::SnapshotMetadata m =
        MakeSnapshotFile(dir.path(), index, term, data);
    m.mutable_conf_state()->add_voters(1);
    return m;
  }
};

}  // namespace coffer::storage::test

#endif  // COFFER_TESTS_UNIT_STORAGE_TEST_UTIL_H_
