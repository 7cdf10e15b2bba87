// FaultEnv: a leveldb::Env for crash and disk-full tests. It forwards to a
// real Env and records, per file, how many bytes were written and how many
// of them were synced.
//
// Crash model. A crash loses what was not synced: every file is cut back to
// its synced length, and a file whose name was never made durable vanishes.
// A name becomes durable when the file itself is synced (as on ext4) or
// when a MANIFEST in its directory is synced (LevelDB then fsyncs the
// directory). Renames and removals are taken as durable at once. A Sync
// hands the data to the OS but skips the real fsync: the model, not the
// disk, decides what survives, and sweeps stay fast.
//
// Use: CrashAtSync(n) makes the n-th Sync (1-based, counted from Reset)
// fail and puts the env in the crashed state: from then on every write,
// sync, rename, removal and file creation fails without touching the disk,
// so nothing more becomes durable. Close the database, call
// DropUnsyncedData(), Reset(), and reopen through the same env.
// SetWriteBudget(b) makes appends fail with "No space left on device" once
// b more bytes were appended (a full disk).
//
// Thread-safety: thread-safe (LevelDB writes from its background thread).
#ifndef COFFER_TESTS_SUPPORT_FAULT_ENV_H_
#define COFFER_TESTS_SUPPORT_FAULT_ENV_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "leveldb/env.h"
#include "storage/ordered_log_env.h"

namespace coffer::testing {

class FaultEnv : public leveldb::EnvWrapper, public storage::NamedSync {
 public:
  explicit FaultEnv(leveldb::Env* base = leveldb::Env::Default());

  // Syncs counted since the last Reset().
  int64_t sync_count() const;
  // Arms a crash at the n-th sync (n >= 1); 0 disarms.
  void CrashAtSync(int64_t n);
  bool crashed() const;
  // Appends fail once `bytes` more bytes were appended; -1: unlimited.
  void SetWriteBudget(int64_t bytes);

  // Applies the crash model to every file written since the last Reset.
  // REQUIRES: no database open through this env.
  leveldb::Status DropUnsyncedData();
  // Leaves the crashed state and forgets the counters and file records.
  void Reset();

  // leveldb::Env overrides.
  leveldb::Status NewWritableFile(const std::string& name,
                                  leveldb::WritableFile** result) override;
  leveldb::Status NewAppendableFile(const std::string& name,
                                    leveldb::WritableFile** result) override;
  leveldb::Status RemoveFile(const std::string& name) override;
  leveldb::Status RenameFile(const std::string& from,
                             const std::string& to) override;
  // storage::NamedSync: a sync of `name` from another thread (what was
  // appended reached the OS when LevelDB flushed it), counted and crashed
  // like any other.
  leveldb::Status SyncFileByName(const std::string& name) override;

 private:
  class File;
  friend class File;
  struct FileState {
    uint64_t size = 0;
    uint64_t synced = 0;
    bool name_durable = false;
  };

  leveldb::Status Wrap(const std::string& name, leveldb::WritableFile* base,
                       FileState state, leveldb::WritableFile** result);
  // Hooks from File; each returns a non-OK status when the write must fail.
  leveldb::Status OnAppend(const std::string& name, size_t n);
  leveldb::Status OnSync(const std::string& name);

  mutable std::mutex mu_;
  std::map<std::string, FileState> files_;
  int64_t syncs_ = 0;
  int64_t crash_at_ = 0;
  bool crashed_ = false;
  int64_t write_budget_ = -1;
};

}  // namespace coffer::testing

#endif  // COFFER_TESTS_SUPPORT_FAULT_ENV_H_
