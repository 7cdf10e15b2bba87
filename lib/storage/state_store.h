// storage::StateStore: the state machine's key/value store, as the KV layer
// sees it. Keys and values are opaque bytes (values are barrier ciphertext).
//
// Exactly-once apply. Apply() writes a set of puts and deletes together with
// the raft index they come from, atomically. After a crash the store holds
// exactly the changes of entries up to AppliedIndex(), so the node replays
// the log from AppliedIndex()+1: nothing lost, nothing applied twice.
//
// Restore. BeginRestore() builds a complete new state (from a snapshot) next
// to the current one; its Commit() switches to it atomically together with
// the applied index and snapshot metadata. Until Commit returns, readers
// and a crash see the old state.
//
// Implementations: LevelDbStateStore (durable) and MemoryStateStore (tests,
// simulation). Thread-safety: thread-compatible; one thread (the node's loop)
// calls them. An iterator is a consistent view of the store as of its
// creation and may be used from another thread while the store changes.
#ifndef COFFER_LIB_STORAGE_STATE_STORE_H_
#define COFFER_LIB_STORAGE_STATE_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/raft.pb.h"

namespace coffer::storage {

// Changes of one or more applied entries. Later operations on the same key
// win. Copyable value type.
class WriteSet {
 public:
  struct Op {
    std::string key;
    std::optional<std::string> value;  // nullopt: delete the key
  };

  void Put(absl::string_view key, absl::string_view value) {
    ops_.push_back({std::string(key), std::string(value)});
  }
  void Delete(absl::string_view key) {
    ops_.push_back({std::string(key), std::nullopt});
  }
  const std::vector<Op>& ops() const { return ops_; }
  bool empty() const { return ops_.empty(); }
  void Clear() { ops_.clear(); }

 private:
  std::vector<Op> ops_;
};

// A forward iterator in key order, LevelDB style. Not thread-safe; the
// store that made it must outlive it.
class StateIterator {
 public:
  virtual ~StateIterator() = default;
  virtual void SeekToFirst() = 0;
  // Positions at the first key >= `key`.
  virtual void Seek(absl::string_view key) = 0;
  virtual bool Valid() const = 0;
  // REQUIRES: Valid().
  virtual void Next() = 0;
  // REQUIRES: Valid(). Views stay valid until the next move.
  virtual absl::string_view key() const = 0;
  virtual absl::string_view value() const = 0;
  // Why the iterator stopped early: kDataLoss on corruption, else OK.
  virtual absl::Status status() const = 0;
};

// Receives the records of a new state in strictly increasing key order.
// Destroying it without Commit() abandons the new state; the store keeps
// the old one (leftovers are removed later, at the latest at the next open).
class StateRestore {
 public:
  virtual ~StateRestore() = default;
  // Adds one record. Memory stays bounded: records are flushed in batches.
  // kInvalidArgument if `key` is not greater than the previous key.
  virtual absl::Status Put(absl::string_view key, absl::string_view value) = 0;
  // Makes the new state current, durably, with AppliedIndex() ==
  // metadata.index() and snapshot() == metadata. Call at most once.
  virtual absl::Status Commit(const raftpb::SnapshotMetadata& metadata) = 0;
};

class StateStore {
 public:
  virtual ~StateStore() = default;

  // The value at `key`; kNotFound when absent; kDataLoss when corrupt.
  virtual absl::StatusOr<std::string> Get(absl::string_view key) = 0;

  // A new iterator over a consistent view of the current state.
  virtual std::unique_ptr<StateIterator> NewIterator() = 0;

  // Applies `writes` and records `applied_index`, atomically.
  // kFailedPrecondition if applied_index <= AppliedIndex() (already
  // applied); a failed write is sticky (storage::Db).
  virtual absl::Status Apply(const WriteSet& writes,
                             uint64_t applied_index) = 0;

  // Index of the last applied entry; 0 for a new store.
  virtual uint64_t AppliedIndex() const = 0;

  // The snapshot the state was last restored from (index 0 if none).
  virtual const raftpb::SnapshotMetadata& snapshot() const = 0;

  // Starts building a replacement state; see StateRestore. At most one
  // restore at a time; the store stays readable and writable meanwhile, and
  // writes to it are discarded by Commit.
  virtual absl::StatusOr<std::unique_ptr<StateRestore>> BeginRestore() = 0;
};

// Visits every record whose key starts with `prefix`, in key order, until
// `visit` returns false. Returns the iterator's status.
template <typename Visit>
absl::Status ScanPrefix(StateStore& store, absl::string_view prefix,
                        Visit visit) {
  std::unique_ptr<StateIterator> it = store.NewIterator();
  for (it->Seek(prefix);
       it->Valid() && it->key().substr(0, prefix.size()) == prefix;
       it->Next()) {
    if (!visit(it->key(), it->value())) break;
  }
  return it->status();
}

}  // namespace coffer::storage

#endif  // COFFER_LIB_STORAGE_STATE_STORE_H_
