#include "storage/memory_state_store.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace coffer::storage {
namespace {

class MapIterator final : public StateIterator {
 public:
  explicit MapIterator(std::shared_ptr<const MemoryStateStore::Map> map)
      : map_(std::move(map)), it_(map_->end()) {}

  void SeekToFirst() override { it_ = map_->begin(); }
  void Seek(absl::string_view key) override { it_ = map_->lower_bound(key); }
  bool Valid() const override { return it_ != map_->end(); }
  void Next() override { ++it_; }
  absl::string_view key() const override { return it_->first; }
  absl::string_view value() const override { return it_->second; }
  absl::Status status() const override { return absl::OkStatus(); }

 private:
  std::shared_ptr<const MemoryStateStore::Map> map_;
  MemoryStateStore::Map::const_iterator it_;
};

absl::Status CheckApplyIndex(uint64_t applied, uint64_t index) {
  if (index <= applied) {
    return absl::FailedPreconditionError(
        absl::StrCat("storage: entry ", index,
                     " is already applied (applied index ", applied, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

class MemoryStateStore::Restore final : public StateRestore {
 public:
  explicit Restore(MemoryStateStore* store) : store_(store) {}

  absl::Status Put(absl::string_view key, absl::string_view value) override {
    if (!map_.empty() && key <= map_.rbegin()->first) {
      return absl::InvalidArgumentError(
          "storage: restore records are not in increasing key order");
    }
    map_.emplace_hint(map_.end(), std::string(key), std::string(value));
    return absl::OkStatus();
  }

  absl::Status Commit(const raftpb::SnapshotMetadata& metadata) override {
    store_->data_ = std::make_shared<Map>(std::move(map_));
    store_->applied_index_ = metadata.index();
    store_->snapshot_ = metadata;
    return absl::OkStatus();
  }

 private:
  MemoryStateStore* const store_;
  Map map_;
};

MemoryStateStore::Map& MemoryStateStore::Mutable() {
  if (data_.use_count() > 1) data_ = std::make_shared<Map>(*data_);
  return *data_;
}

absl::StatusOr<std::string> MemoryStateStore::Get(absl::string_view key) {
  auto it = data_->find(key);
  if (it == data_->end()) return absl::NotFoundError("storage: no such key");
  return it->second;
}

std::unique_ptr<StateIterator> MemoryStateStore::NewIterator() {
  return std::make_unique<MapIterator>(data_);
}

absl::Status MemoryStateStore::Apply(const WriteSet& writes,
                                     uint64_t applied_index) {
  if (absl::Status s = CheckApplyIndex(applied_index_, applied_index);
      !s.ok()) {
    return s;
  }
  if (!writes.empty()) {
    Map& map = Mutable();
    for (const WriteSet::Op& op : writes.ops()) {
      if (op.value.has_value()) {
        map.insert_or_assign(op.key, *op.value);
      } else {
        map.erase(op.key);
      }
    }
  }
  applied_index_ = applied_index;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<StateRestore>> MemoryStateStore::BeginRestore() {
  return std::make_unique<Restore>(this);
}

}  // namespace coffer::storage
