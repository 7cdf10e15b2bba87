// storage::Db: the node's one LevelDB database, shared by the raft log
// (LevelDbLog) and the state machine store (LevelDbStateStore).
//
// Open() checks the format record ("storage: " errors, kDataLoss for a
// database that is not coffer's or is corrupt, kFailedPrecondition for a
// newer format). Write() is the only write path. Its first failure is
// sticky: every later write fails without touching the disk, so a store
// that lost a write never appends after the hole (LevelDB itself would:
// after a failed log append it goes on writing behind the torn record,
// which the next open reads as corruption).
//
// A full disk is the one failure a node recovers from in place: a write
// that fails with ENOSPC or EDQUOT is kResourceExhausted ("storage: no
// space left on device ..."), later writes are kResourceExhausted too, and
// Reopen() closes and reopens the LevelDB database once space is free,
// which clears the error (see Reopen for why a reopen is needed). Any
// other failure (EIO, a failed fsync even with ENOSPC, corruption) is
// kUnavailable or kDataLoss, and later writes kFailedPrecondition: a new
// Db (the process's restart) is the only way on.
//
// Order: writes become durable in the order they were made (LevelDB's
// log files are synced when it switches them, storage/ordered_log_env.h), so
// a crash loses only a suffix of the writes, and a synced write makes every
// earlier one durable too.
//
// Group commit: each Write is one LevelDB WriteBatch and, with sync, one
// fsync. Concurrent writers are merged by LevelDB into one log write and one
// fsync, so a Save of N entries, or N threads saving at once, share a sync.
// A WriteGroup lets the raft log and the state store put their parts of one
// step (a Save and an Apply) into a single write, so that they share one
// fsync too.
//
// Thread-safety: thread-safe. Reads and writes may come from any thread.
#ifndef COFFER_LIB_STORAGE_DB_H_
#define COFFER_LIB_STORAGE_DB_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "leveldb/db.h"
#include "leveldb/write_batch.h"
#include "storage/ordered_log_env.h"

namespace leveldb {
class Cache;
class Env;
class FilterPolicy;
}  // namespace leveldb

namespace coffer::storage {

struct DbOptions {
  // Directory of the LevelDB database. Required.
  std::string path;
  // File system to use; borrowed, must outlive the Db. nullptr: the real one.
  // Tests pass a fault-injecting Env here (tests/support/fault_env.h).
  leveldb::Env* env = nullptr;
  // Create an empty database when none exists. Default true.
  bool create_if_missing = true;
  // LevelDB memtable size in bytes. Default 16 MiB (up to twice that while
  // one is written out); bounds memory per write burst together with
  // block_cache_bytes. Larger than LevelDB's 4 MiB because every raft entry
  // passes through it twice (log, then applied records): fewer, larger
  // tables mean less compaction (node_bench, 64 clients with fsync: 4 MiB
  // 9,100-10,800 writes/s, 16 MiB 11,150, 32 MiB 10,800-12,300).
  size_t write_buffer_bytes = 16 << 20;
  // LevelDB block cache in bytes. Default 8 MiB.
  size_t block_cache_bytes = 8 << 20;
};

// Converts a LevelDB status: corruption is kDataLoss, a full disk (ENOSPC,
// EDQUOT) kResourceExhausted, other I/O errors kUnavailable, everything
// else kInternal. `what` says what was attempted.
absl::Status FromLevelDb(const leveldb::Status& s, absl::string_view what);

// Whether `s` is Db's full-disk error (FromLevelDb, Write, Reopen), as
// is or with a prefix: the write may succeed once space is freed and the
// Db reopened.
bool IsDiskFull(const absl::Status& s);

// One atomic write assembled by several stores. Each store stages its part
// into batch() and registers a hook that updates its in-memory state; once
// Db::Commit has made the batch durable the hooks run in order, and if the
// write fails none runs. A group is committed at most once; a store stages
// at most one part per group. Thread-compatible.
class WriteGroup {
 public:
  leveldb::WriteBatch& batch() { return batch_; }
  void OnCommit(std::function<void()> hook) {
    hooks_.push_back(std::move(hook));
  }
  bool empty() const { return hooks_.empty(); }

 private:
  friend class Db;
  leveldb::WriteBatch batch_;
  std::vector<std::function<void()>> hooks_;
};

class Db {
 public:
  // Opens or creates the database. Errors: kInvalidArgument (empty path),
  // kDataLoss (corrupt, or not a coffer database), kFailedPrecondition
  // (format version newer than this build), kUnavailable (I/O, or locked by
  // another process).
  static absl::StatusOr<std::unique_ptr<Db>> Open(const DbOptions& options);

  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  // Writes `batch` atomically; with `sync`, returns once it is durable.
  // Errors: see the sticky-error rules above. A failed write is not in the
  // database, now or after a reopen (LevelDB drops a torn record at the
  // end of its log; a failed fsync, whose record may survive, is never
  // retryable).
  absl::Status Write(leveldb::WriteBatch* batch, bool sync);
  // Writes `group`'s batch as Write does, then runs its hooks.
  absl::Status Commit(WriteGroup* group, bool sync);
  // Makes every write that returned before this call durable, from any
  // thread, without holding up writes made meanwhile: a synced Write done
  // later. A failure is sticky as a write's is.
  absl::Status SyncLog();

  // Reads `key`: the value, std::nullopt when absent, kDataLoss on a
  // checksum failure, kUnavailable on I/O errors.
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view key);

  // An iterator over a consistent view of the whole database, checksums
  // verified. The caller owns it and deletes it before the Db.
  std::unique_ptr<leveldb::Iterator> NewIterator();

  // The sticky error, or OK while writes are accepted.
  absl::Status write_error() const;

  // After a full disk (IsDiskFull(write_error())): closes and reopens the
  // LevelDB database, which clears the sticky error. Why a reopen: after a
  // failed log append LevelDB keeps appending behind the torn record (the
  // next open would refuse the log as corrupt), and after a failed table
  // write or fsync it keeps a background error that fails every later
  // write until it is reopened; a reopen drops the torn tail, deletes the
  // partial tables and starts a new log file and manifest.
  //   - Does nothing (returns kResourceExhausted) while the file system has
  //     less free space than the reopen needs (the memtable, written out as
  //     a table, plus reserve_bytes): the database stays open for reads.
  //   - kFailedPrecondition: the sticky error is not a full disk, or
  //     iterators are open (a reopen would invalidate them).
  //   - When the reopen itself fails, the database is closed: reads are
  //     kUnavailable and writes stay refused until a later Reopen succeeds.
  // Thread-safe; blocks reads and writes of other threads while it runs.
  absl::Status Reopen(uint64_t reserve_bytes = 1 << 20)
      ABSL_LOCKS_EXCLUDED(mu_, db_mu_);
  // Iterators from NewIterator not deleted yet.
  int open_iterators() const;

  // Approximate bytes on disk of keys in [start, limit).
  uint64_t ApproximateSize(absl::string_view start, absl::string_view limit);

  // Asks LevelDB to compact [start, limit) now (blocking). Used after a
  // large deletion to return disk space early; never needed for correctness.
  void CompactRange(absl::string_view start, absl::string_view limit);

 private:
  class CountedIterator;

  Db(std::string path, std::unique_ptr<leveldb::Cache> cache,
     std::unique_ptr<const leveldb::FilterPolicy> filter,
     std::unique_ptr<OrderedLogEnv> env, leveldb::Options options,
     std::unique_ptr<leveldb::DB> db);
  absl::Status CheckFormat();
  // The sticky error as kResourceExhausted (a full disk) or
  // kFailedPrecondition, or OK.
  absl::Status CheckWritable() const ABSL_LOCKS_EXCLUDED(mu_);
  // Records the first failure of a write or sync; returns `s`.
  absl::Status Sticky(absl::Status s) ABSL_LOCKS_EXCLUDED(mu_);
  // kUnavailable while a failed Reopen left the database closed.
  absl::Status CheckOpen() const ABSL_SHARED_LOCKS_REQUIRED(db_mu_);

  const std::string path_;
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  std::unique_ptr<OrderedLogEnv> env_;
  const leveldb::Options options_;  // points into cache_, filter_, env_
  // Shared by every use of db_, exclusive for Reopen.
  mutable absl::Mutex db_mu_;
  std::unique_ptr<leveldb::DB> db_ ABSL_GUARDED_BY(db_mu_);
  absl::Status closed_ ABSL_GUARDED_BY(db_mu_);  // why db_ is null
  std::atomic<int> open_iterators_{0};
  mutable absl::Mutex mu_;
  absl::Status write_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace coffer::storage

#endif  // COFFER_LIB_STORAGE_DB_H_
