// The logical records of the node's engines (KV v2, tokens, policies) over
// the barrier: a kv::Reader that decrypts, and the write-back of a
// kv::BufferedTxn's writes, which the barrier encrypts into the StateView
// request (so they become the request's proposed writes).
//
// Thread-safety: loop-thread only, like the barrier.
#ifndef COFFER_LIB_NODE_BARRIER_TXN_H_
#define COFFER_LIB_NODE_BARRIER_TXN_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/status_macros.h"
#include "kv/txn.h"
#include "seal/barrier.h"

namespace coffer::node {

// Reads through `barrier` (borrowed; must outlive the reader): inside a
// StateView request it sees the request's and the leader's in-flight
// writes, outside one the applied state.
class BarrierReader final : public kv::Reader {
 public:
  explicit BarrierReader(const seal::Barrier* barrier) : barrier_(barrier) {}

  absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view key) override {
    return barrier_->Get(key);
  }
  absl::StatusOr<std::vector<std::string>> List(
      absl::string_view prefix) override {
    return barrier_->List(prefix);
  }

 private:
  const seal::Barrier* const barrier_;
};

// Moves `txn`'s buffered writes into `barrier`, which must be in a
// StateView request if there are any (a read buffers none).
inline absl::Status WriteThrough(kv::BufferedTxn* txn, seal::Barrier* barrier) {
  for (const kv::Write& w : txn->TakeWrites()) {
    if (w.value.has_value()) {
      COFFER_RETURN_IF_ERROR(barrier->Put(w.key, *w.value));
    } else {
      COFFER_RETURN_IF_ERROR(barrier->Delete(w.key));
    }
  }
  return absl::OkStatus();
}

}  // namespace coffer::node

#endif  // COFFER_LIB_NODE_BARRIER_TXN_H_
