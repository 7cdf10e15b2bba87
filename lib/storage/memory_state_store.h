// storage::MemoryStateStore: a StateStore held in memory, for unit tests
// and the deterministic simulator. Same contract as the durable store,
// without durability: the state is gone with the object.
//
// Iterators share the map copy-on-write: a write while an iterator lives
// copies the map once, so iterators always see their own consistent view.
//
// Thread-safety: thread-compatible.
#ifndef COFFER_LIB_STORAGE_MEMORY_STATE_STORE_H_
#define COFFER_LIB_STORAGE_MEMORY_STATE_STORE_H_

#include <map>
#include <memory>
#include <string>

#include "storage/state_store.h"

namespace coffer::storage {

class MemoryStateStore final : public StateStore {
 public:
  using Map = std::map<std::string, std::string, std::less<>>;

  MemoryStateStore() : data_(std::make_shared<Map>()) {}

  absl::StatusOr<std::string> Get(absl::string_view key) override;
  std::unique_ptr<StateIterator> NewIterator() override;
  absl::Status Apply(const WriteSet& writes, uint64_t applied_index) override;
  uint64_t AppliedIndex() const override { return applied_index_; }
  const raftpb::SnapshotMetadata& snapshot() const override {
    return snapshot_;
  }
  absl::StatusOr<std::unique_ptr<StateRestore>> BeginRestore() override;

 private:
  class Restore;

  // Gives this store sole ownership of its map before a write.
  Map& Mutable();

  std::shared_ptr<Map> data_;
  uint64_t applied_index_ = 0;
  raftpb::SnapshotMetadata snapshot_;
};

}  // namespace coffer::storage

#endif  // COFFER_LIB_STORAGE_MEMORY_STATE_STORE_H_
