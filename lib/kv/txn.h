// The storage view the KV engine runs against, and in-memory implementations.
//
// As in Vault with integrated storage, the replicated state machine is a dumb
// key/value store; the KV v2 logic runs on the leader as read-modify-write
// against a Txn. The engine's writes are buffered in the Txn and come out as
// a WriteSet (one put or delete per key, in key order) that the node encrypts
// with the barrier and replicates; applying it on every replica is a plain
// replay. Keys and values here are plaintext logical records.
//
// Thread-safety: thread-compatible; the node runs the engine on one thread.
// Errors: Get and List report the underlying Reader's errors unchanged (for
// a barrier-backed reader, kDataLoss for a record that fails to decrypt);
// a missing key is not an error. Put and Delete only buffer and cannot fail.
#ifndef COFFER_LIB_KV_TXN_H_
#define COFFER_LIB_KV_TXN_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace coffer::kv {

// Read access to committed state.
class Reader {
 public:
  virtual ~Reader() = default;
  // The value at `key`, or nullopt if there is none.
  virtual absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view key) = 0;
  // Every key that starts with `prefix`, in byte order.
  virtual absl::StatusOr<std::vector<std::string>> List(
      absl::string_view prefix) = 0;
};

// A read-write view: a Reader plus buffered writes that later reads see.
class Txn : public Reader {
 public:
  virtual void Put(absl::string_view key, absl::string_view value) = 0;
  // Deleting a missing key is allowed (and still recorded).
  virtual void Delete(absl::string_view key) = 0;
};

// One entry of a write set: a put when `value` is set, else a delete.
struct Write {
  std::string key;
  std::optional<std::string> value;

  friend bool operator==(const Write&, const Write&) = default;
};

// The outcome of a transaction: at most one Write per key, in key order.
using WriteSet = std::vector<Write>;

// A Txn that overlays buffered writes on a Reader, which it borrows: `base`
// must outlive it and must not change while it is in use.
class BufferedTxn : public Txn {
 public:
  explicit BufferedTxn(Reader* base);

  absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view key) override;
  absl::StatusOr<std::vector<std::string>> List(
      absl::string_view prefix) override;
  void Put(absl::string_view key, absl::string_view value) override;
  void Delete(absl::string_view key) override;

  // The buffered writes so far, in key order. The txn keeps them.
  WriteSet writes() const;
  // Returns the buffered writes and forgets them: later reads see the base
  // alone again.
  WriteSet TakeWrites();
  // Number of keys written so far.
  size_t size() const { return writes_.size(); }

 private:
  Reader* const base_;
  // nullopt marks a delete. Ordered, so writes() needs no sort.
  std::map<std::string, std::optional<std::string>, std::less<>> writes_;
};

// An ordered in-memory store: the committed state in tests.
class MemoryStore : public Reader {
 public:
  absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view key) override;
  absl::StatusOr<std::vector<std::string>> List(
      absl::string_view prefix) override;

  // Applies a write set, as a replica applies a committed entry.
  void Apply(const WriteSet& writes);

  // Direct access for tests that inspect or tamper with records.
  std::map<std::string, std::string, std::less<>>& data() { return data_; }

 private:
  std::map<std::string, std::string, std::less<>> data_;
};

// A BufferedTxn over a MemoryStore, with a Commit that applies its writes.
class MemoryTxn : public BufferedTxn {
 public:
  // `store` is borrowed and must outlive the txn.
  explicit MemoryTxn(MemoryStore* store) : BufferedTxn(store), store_(store) {}

  // Applies the buffered writes to the store, forgets them, returns them.
  WriteSet Commit();

 private:
  MemoryStore* const store_;
};

}  // namespace coffer::kv

#endif  // COFFER_LIB_KV_TXN_H_
