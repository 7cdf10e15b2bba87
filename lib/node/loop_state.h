// LoopState: what every collaborator of a node reads on its event loop.
//
// It holds the node's infrastructure (options, storage, barrier and seal,
// the raft core) and what the loop last learned (the tick, the core's soft
// state, a fatal error). NodeImpl owns it and wires it into each
// collaborator, which borrows it for the collaborator's whole life. Only
// NodeImpl and the ready driver write its fields; collaborators read them
// and keep their own state in themselves.
//
// Thread-safety: loop-thread only, except `options` (immutable).
#ifndef COFFER_LIB_NODE_LOOP_STATE_H_
#define COFFER_LIB_NODE_LOOP_STATE_H_

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "coffer/node.h"
#include "node/state_view.h"
#include "raft/raft.h"
#include "seal/barrier.h"
#include "seal/seal_manager.h"
#include "storage/db.h"
#include "storage/leveldb_log.h"
#include "storage/leveldb_state_store.h"

namespace coffer::node {

struct LoopState {
  explicit LoopState(const NodeOptions& o) : options(o) {}

  // The one place lib/node reads the real clock: for deadlines and
  // metrics, never for what is stored.
  static absl::Time Now() { return absl::Now(); }
  // The host's clock (NodeOptions::clock): what the leader stamps on
  // records and checks tokens' expiry against.
  absl::Time Clock() const {
    return options.clock ? options.clock() : absl::Now();
  }

  // Ticks that cover `d`, at least 1.
  uint64_t TicksFor(absl::Duration d) const {
    absl::Duration rem;
    const int64_t n = absl::IDivDuration(
        d + options.tick - absl::Nanoseconds(1), options.tick, &rem);
    return n < 1 ? 1 : static_cast<uint64_t>(n);
  }
  // The tick at which a request started now times out.
  uint64_t RequestDeadline() const {
    return now_tick + TicksFor(options.request_timeout);
  }
  bool leading() const { return soft.role == raft::Role::kLeader; }

  absl::Status SealedError() const {
    return absl::FailedPreconditionError(
        absl::StrCat("node: node ", options.id, " is sealed"));
  }

  const NodeOptions options;

  // Storage is declared before its users (destroyed last).
  std::unique_ptr<storage::Db> db;
  std::unique_ptr<storage::LevelDbLog> log;
  std::unique_ptr<storage::LevelDbStateStore> state;
  std::unique_ptr<StateView> view;
  std::unique_ptr<seal::Barrier> barrier;
  std::unique_ptr<seal::SealManager> seal;
  std::unique_ptr<raft::SeededRandom> random;
  // Replaced once, by Bootstrap.
  std::unique_ptr<raft::Raft> raft;

  uint64_t now_tick = 0;
  raft::SoftState soft;  // as of the last Ready
  absl::Status fatal;    // the loop's copy of NodeImpl's stopped_
};

}  // namespace coffer::node

#endif  // COFFER_LIB_NODE_LOOP_STATE_H_
