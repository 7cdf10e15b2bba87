// OrderedLogEnv: a leveldb::Env that makes LevelDB's writes durable in the
// order they were made, synced or not, and can make them durable from
// another thread.
//
// LevelDB writes each batch to its current log file and fsyncs only that
// file, only for a synced write. When the memtable fills it switches to a new
// log file and closes the old one without an fsync. A crash before the old
// memtable reaches a table could then lose an unsynced write from the old
// file while a later synced write in the new file survives: a hole in the
// middle of the history. This Env syncs a log file when LevelDB closes it,
// before any write reaches the next one, so that a crash loses only a suffix
// of the writes: every write before a synced one survives with it.
//
// That is what lets the node apply committed entries without an fsync of
// their own (the raft log already holds them durably): an apply lost in a
// crash is a suffix, redone from the log on restart.
//
// SyncLog() makes every write that returned before it was called durable,
// from any thread, while LevelDB goes on writing: it fsyncs the current log
// file through a descriptor of its own (after waiting for a log switch in
// progress, whose old file is synced as it closes). A base Env that
// implements NamedSync is asked to sync the file by name instead (the tests'
// fault-injecting Env models durability itself).
//
// Thread-safety: as the wrapped Env; SyncLog is thread-safe.
#ifndef COFFER_LIB_STORAGE_ORDERED_LOG_ENV_H_
#define COFFER_LIB_STORAGE_ORDERED_LOG_ENV_H_

#include <memory>
#include <string>

#include "leveldb/env.h"

namespace coffer::storage {

// Implemented by a base Env that models durability (tests/support).
class NamedSync {
 public:
  virtual ~NamedSync() = default;
  // Makes what was appended to `name` durable. Thread-safe.
  virtual leveldb::Status SyncFileByName(const std::string& name) = 0;
};

class OrderedLogEnv : public leveldb::EnvWrapper {
 public:
  using leveldb::EnvWrapper::EnvWrapper;
  // Makes every write that returned before this call durable (see above).
  virtual leveldb::Status SyncLog() = 0;
  // Whether an fsync of a log file has failed (in Sync, at close, or in
  // SyncLog) since the Env was made. After a failed fsync nothing says
  // which of the file's writes are durable, so storage::Db never retries
  // a write past one, whatever its errno (a full disk included).
  virtual bool log_sync_failed() const = 0;
};

// Wraps `base` (not owned; must outlive the result).
std::unique_ptr<OrderedLogEnv> NewOrderedLogEnv(leveldb::Env* base);

}  // namespace coffer::storage

#endif  // COFFER_LIB_STORAGE_ORDERED_LOG_ENV_H_
