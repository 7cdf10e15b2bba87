// storage::LevelDbStateStore: the durable StateStore, in the node's LevelDB
// database (storage::Db) next to the raft log.
//
// Layout. Records live under "D" + be64(generation) + key. A StateMeta record
// holds the applied index, the active generation and the snapshot metadata.
// Apply() writes the records and StateMeta in one WriteBatch.
//
// Restore writes the snapshot's records into generation g+1 in bounded,
// synced batches; Commit() makes one synced WriteBatch that switches
// StateMeta to g+1 (with the snapshot's applied index and metadata), then
// deletes generation g in bounded batches. A crash at any point leaves the
// old state or the new one; Open() deletes any generation that is not the
// active one (a half-written restore, an undeleted old state).
//
// Thread-safety: thread-compatible. The Db is borrowed, must outlive it.
#ifndef COFFER_LIB_STORAGE_LEVELDB_STATE_STORE_H_
#define COFFER_LIB_STORAGE_LEVELDB_STATE_STORE_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "proto/storage.pb.h"
#include "storage/db.h"
#include "storage/state_store.h"

namespace coffer::storage {

struct StateStoreOptions {
  // Sync every Apply. Default true. Without it a crash may lose the last
  // Applies (only a suffix: storage::Db keeps writes in order), which is
  // safe when the entries they applied are durable in the raft log and are
  // applied again after a restart, as the node does.
  bool sync_apply = true;
  // Bytes per restore or deletion batch. Default 1 MiB; bounds memory.
  size_t batch_bytes = 1 << 20;
};

class LevelDbStateStore final : public StateStore {
 public:
  // Loads StateMeta and deletes inactive generations. Errors: kDataLoss if
  // StateMeta does not decode, kUnavailable for I/O errors.
  static absl::StatusOr<std::unique_ptr<LevelDbStateStore>> Open(
      Db* db, const StateStoreOptions& options = {});

  LevelDbStateStore(const LevelDbStateStore&) = delete;
  LevelDbStateStore& operator=(const LevelDbStateStore&) = delete;

  absl::StatusOr<std::string> Get(absl::string_view key) override;
  std::unique_ptr<StateIterator> NewIterator() override;
  absl::Status Apply(const WriteSet& writes, uint64_t applied_index) override;
  // Apply's writes staged into `group` (see storage::Db): the records and
  // the applied index change when the group commits. Errors as Apply's
  // argument checks.
  absl::Status StageApply(const WriteSet& writes, uint64_t applied_index,
                          WriteGroup* group);
  uint64_t AppliedIndex() const override { return meta_.applied_index(); }
  const raftpb::SnapshotMetadata& snapshot() const override {
    return meta_.snapshot();
  }
  absl::StatusOr<std::unique_ptr<StateRestore>> BeginRestore() override;

  uint64_t generation() const { return meta_.generation(); }

  // After Db::Reopen: OK if the StateMeta kept in memory (applied index,
  // generation, snapshot) reads back the same from the database, else
  // kDataLoss (an acknowledged apply did not survive the reopen).
  absl::Status CheckMatchesDisk();

 private:
  class Restore;
  LevelDbStateStore(Db* db, const StateStoreOptions& options);
  absl::Status Load();
  // Deletes every record of generation `gen` in bounded batches.
  absl::Status DeleteGeneration(uint64_t gen);

  Db* const db_;
  const StateStoreOptions options_;
  storagepb::StateMeta meta_;
};

}  // namespace coffer::storage

#endif  // COFFER_LIB_STORAGE_LEVELDB_STATE_STORE_H_
