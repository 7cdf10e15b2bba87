#include "storage/leveldb_state_store.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/coding.h"
#include "base/status_macros.h"
#include "leveldb/write_batch.h"
#include "storage/keys.h"

namespace coffer::storage {
namespace {

absl::string_view View(const leveldb::Slice& s) {
  return absl::string_view(s.data(), s.size());
}

// Iterates one generation's records, with the generation prefix stripped.
class GenerationIterator final : public StateIterator {
 public:
  GenerationIterator(std::unique_ptr<leveldb::Iterator> it, uint64_t gen)
      : it_(std::move(it)), prefix_(keys::DataPrefix(gen)) {}

  void SeekToFirst() override { it_->Seek(prefix_); }
  void Seek(absl::string_view key) override {
    it_->Seek(prefix_ + std::string(key));
  }
  bool Valid() const override {
    return it_->Valid() && it_->key().starts_with(prefix_);
  }
  void Next() override { it_->Next(); }
  absl::string_view key() const override {
    return View(it_->key()).substr(prefix_.size());
  }
  absl::string_view value() const override { return View(it_->value()); }
  absl::Status status() const override {
    return FromLevelDb(it_->status(), "iterate state");
  }

 private:
  std::unique_ptr<leveldb::Iterator> it_;
  const std::string prefix_;
};

}  // namespace

class LevelDbStateStore::Restore final : public StateRestore {
 public:
  Restore(LevelDbStateStore* store, uint64_t gen) : store_(store), gen_(gen) {}

  absl::Status Put(absl::string_view key, absl::string_view value) override {
    if (has_last_ && key <= last_key_) {
      return absl::InvalidArgumentError(
          "storage: restore records are not in increasing key order");
    }
    last_key_.assign(key.data(), key.size());
    has_last_ = true;
    batch_.Put(keys::Data(gen_, key),
               leveldb::Slice(value.data(), value.size()));
    if (batch_.ApproximateSize() >= store_->options_.batch_bytes) {
      // Synced: LevelDB does not sync a log file it switches away from, so
      // an unsynced batch could be lost while the synced Commit survives.
      COFFER_RETURN_IF_ERROR(store_->db_->Write(&batch_, /*sync=*/true));
      batch_.Clear();
    }
    return absl::OkStatus();
  }

  absl::Status Commit(const raftpb::SnapshotMetadata& metadata) override {
    storagepb::StateMeta meta;
    meta.set_applied_index(metadata.index());
    meta.set_generation(gen_);
    *meta.mutable_snapshot() = metadata;
    batch_.Put(std::string(keys::kStateMeta), meta.SerializeAsString());
    COFFER_RETURN_IF_ERROR(store_->db_->Write(&batch_, /*sync=*/true));
    batch_.Clear();
    uint64_t old = store_->meta_.generation();
    store_->meta_ = std::move(meta);
    return store_->DeleteGeneration(old);
  }

 private:
  LevelDbStateStore* const store_;
  const uint64_t gen_;
  leveldb::WriteBatch batch_;
  std::string last_key_;
  bool has_last_ = false;
};

absl::StatusOr<std::unique_ptr<LevelDbStateStore>> LevelDbStateStore::Open(
    Db* db, const StateStoreOptions& options) {
  std::unique_ptr<LevelDbStateStore> store(new LevelDbStateStore(db, options));
  COFFER_RETURN_IF_ERROR(store->Load());
  return store;
}

LevelDbStateStore::LevelDbStateStore(Db* db, const StateStoreOptions& options)
    : db_(db), options_(options) {}

absl::Status LevelDbStateStore::CheckMatchesDisk() {
  COFFER_ASSIGN_OR_RETURN(std::optional<std::string> value,
                          db_->Get(keys::kStateMeta));
  storagepb::StateMeta meta;
  if (value.has_value() && !meta.ParseFromString(*value)) {
    return absl::DataLossError("storage: state meta record does not decode");
  }
  if (meta.SerializeAsString() != meta_.SerializeAsString()) {
    return absl::DataLossError(
        absl::StrCat("storage: after a reopen, the state's applied index is ",
                     meta.applied_index(), " on disk and ",
                     meta_.applied_index(), " in memory"));
  }
  return absl::OkStatus();
}

absl::Status LevelDbStateStore::Load() {
  COFFER_ASSIGN_OR_RETURN(std::optional<std::string> value,
                          db_->Get(keys::kStateMeta));
  if (value.has_value() && !meta_.ParseFromString(*value)) {
    return absl::DataLossError("storage: state meta record does not decode");
  }
  if (meta_.snapshot().index() > meta_.applied_index()) {
    return absl::DataLossError(
        absl::StrCat("storage: state snapshot index ", meta_.snapshot().index(),
                     " is past the applied index ", meta_.applied_index()));
  }
  // Find every generation present and delete the inactive ones.
  for (uint64_t gen = 0;;) {
    std::unique_ptr<leveldb::Iterator> it = db_->NewIterator();
    it->Seek(keys::DataPrefix(gen));
    COFFER_RETURN_IF_ERROR(FromLevelDb(it->status(), "scan state"));
    if (!it->Valid() || it->key()[0] != keys::kDataPrefix) break;
    if (it->key().size() < 9) {
      return absl::DataLossError("storage: state key of wrong length");
    }
    gen = base::GetBigEndian64(View(it->key()).substr(1));
    it.reset();
    if (gen != meta_.generation()) {
      COFFER_RETURN_IF_ERROR(DeleteGeneration(gen));
    }
    if (gen == UINT64_MAX) break;
    ++gen;
  }
  return absl::OkStatus();
}

absl::Status LevelDbStateStore::DeleteGeneration(uint64_t gen) {
  std::string prefix = keys::DataPrefix(gen);
  std::unique_ptr<leveldb::Iterator> it = db_->NewIterator();
  leveldb::WriteBatch batch;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    batch.Delete(it->key());
    if (batch.ApproximateSize() >= options_.batch_bytes) {
      COFFER_RETURN_IF_ERROR(db_->Write(&batch, /*sync=*/false));
      batch.Clear();
    }
  }
  COFFER_RETURN_IF_ERROR(FromLevelDb(it->status(), "scan state"));
  return db_->Write(&batch, /*sync=*/false);
}

absl::StatusOr<std::string> LevelDbStateStore::Get(absl::string_view key) {
  COFFER_ASSIGN_OR_RETURN(std::optional<std::string> value,
                          db_->Get(keys::Data(meta_.generation(), key)));
  if (!value.has_value()) return absl::NotFoundError("storage: no such key");
  return *std::move(value);
}

std::unique_ptr<StateIterator> LevelDbStateStore::NewIterator() {
  return std::make_unique<GenerationIterator>(db_->NewIterator(),
                                              meta_.generation());
}

absl::Status LevelDbStateStore::Apply(const WriteSet& writes,
                                      uint64_t applied_index) {
  WriteGroup group;
  COFFER_RETURN_IF_ERROR(StageApply(writes, applied_index, &group));
  return db_->Commit(&group, options_.sync_apply);
}

absl::Status LevelDbStateStore::StageApply(const WriteSet& writes,
                                           uint64_t applied_index,
                                           WriteGroup* group) {
  if (applied_index <= meta_.applied_index()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "storage: entry ", applied_index, " is already applied (applied index ",
        meta_.applied_index(), ")"));
  }
  leveldb::WriteBatch& batch = group->batch();
  for (const WriteSet::Op& op : writes.ops()) {
    std::string key = keys::Data(meta_.generation(), op.key);
    if (op.value.has_value()) {
      batch.Put(key, *op.value);
    } else {
      batch.Delete(key);
    }
  }
  storagepb::StateMeta meta = meta_;
  meta.set_applied_index(applied_index);
  batch.Put(std::string(keys::kStateMeta), meta.SerializeAsString());
  group->OnCommit([this, meta = std::move(meta)] { meta_ = meta; });
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<StateRestore>>
LevelDbStateStore::BeginRestore() {
  uint64_t gen = meta_.generation() + 1;
  // A restore abandoned earlier in this process may have left records here.
  COFFER_RETURN_IF_ERROR(DeleteGeneration(gen));
  return std::make_unique<Restore>(this, gen);
}

}  // namespace coffer::storage
