// OperatorSnapshots: the operator's snapshot save and restore
// (Node::SnapshotSave, SnapshotSaveTo, SnapshotRestore, SnapshotRestoreFrom).
//
// Save (snapshot_save.cc) streams a consistent iterator over the applied
// state from the loop to the caller's thread, after a linearizable point.
// Restore (snapshot_restore.cc) is replicated through the raft log: the
// leader's caller verifies the file, stages its records in batches, and
// one commit entry swaps them in on every node. Both are described at the
// top of their files and in docs/design.md, "Node snapshots and restore".
//
// It owns the save streams, the leader's restore hold (requests wait until
// a proposed restore commit is applied) and the outcomes of restore commits
// proposed here.
//
// Thread-safety: Save, SaveTo, Restore and RestoreFrom run on the caller's
// thread and reach the loop only through Host; every other member function
// runs on the loop thread only.
#ifndef COFFER_LIB_NODE_OPERATOR_SNAPSHOTS_H_
#define COFFER_LIB_NODE_OPERATOR_SNAPSHOTS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "coffer/node.h"
#include "node/log_snapshots.h"
#include "node/loop_state.h"
#include "node/observer.h"
#include "node/request_pipeline.h"
#include "proto/node.pb.h"
#include "storage/state_store.h"

namespace coffer::node {

class OperatorSnapshots {
 public:
  // What the snapshots need of the node.
  class Host {
   public:
    virtual ~Host() = default;
    // Caller thread: runs `op` for a caller through the pipeline.
    virtual absl::StatusOr<nodepb::OpResult> SubmitOp(nodepb::Op op) = 0;
    // Caller thread: runs `fn` on the loop and waits for it. `fn` may run
    // after a timeout returned: it must own what it touches.
    virtual absl::Status RunOnLoopAndWait(std::function<absl::Status()> fn) = 0;
    // Any thread: queues `fn` for the loop (best effort: dropped once the
    // node closes).
    virtual void PostToLoop(std::function<void()> fn) = 0;
    // Loop: this node leads and applied its term's first entry.
    virtual bool LeaderReady() const = 0;
    // Loop: a restore replaced the applied state: reload what this node
    // keeps in memory of it (peer records, the keyring, auto-unseal).
    virtual absl::Status OnStateReplaced() = 0;
  };

  // Everything is borrowed and outlives this.
  OperatorSnapshots(LoopState* loop, const Observer* observer,
                    RequestPipeline* pipeline, LogSnapshots* log_snapshots,
                    Host* host)
      : loop_(loop),
        observer_(observer),
        pipeline_(pipeline),
        log_snapshots_(log_snapshots),
        host_(host) {}
  OperatorSnapshots(const OperatorSnapshots&) = delete;
  OperatorSnapshots& operator=(const OperatorSnapshots&) = delete;

  // The public calls (coffer::Node's, with its contracts). Caller thread.
  absl::Status Save(const std::string& path);
  absl::Status SaveTo(
      const std::function<absl::Status(absl::string_view)>& write);
  absl::Status Restore(const std::string& path,
                       const SnapshotRestoreOptions& options);
  absl::Status RestoreFrom(
      const std::function<absl::StatusOr<size_t>(char* buf, size_t cap)>& read,
      const SnapshotRestoreOptions& options);

  // Loop. Leader, inside a StateView request (or, for SnapshotReadIndex, a
  // read): SnapshotReadIndex, SnapshotPrepare, SnapshotStage,
  // SnapshotDiscard.
  absl::StatusOr<nodepb::OpResult> RunOp(const nodepb::Op& op);
  // Leader: proposes a restore's commit entry and completes `done` with the
  // outcome of its application.
  void ExecuteCommit(const nodepb::Op& op, uint64_t deadline, Done done);
  // Every node, when it applies entry `e`, which carries a restore commit:
  // swaps the staged records in (or, when they are incomplete, applies `e`
  // as a no-op). REQUIRES: every entry before `e` is applied.
  absl::Status ApplyCommit(const raftpb::Entry& e,
                           const nodepb::SnapshotRestoreCommit& commit);
  // Leader, once per term after its first entry applied: queues the
  // discard of every staging area an earlier term left (a restore whose
  // caller could not discard it: its leader lost office or its process
  // died). Restores of this term stage under new ids, so they are safe.
  void MaybeDiscardAbandonedStaging();
  // This node became leader: a new term's hold and staging check.
  void OnBecameLeader() {
    hold_index_ = 0;
    staging_checked_ = false;
  }
  // Leader: requests may run (no proposed restore commit is unapplied).
  bool Holding() const { return loop_->state->AppliedIndex() < hold_index_; }
  // Drops the save streams (iterators over the state store): before the
  // store closes.
  void Close() { save_streams_.clear(); }

 private:
  struct SaveStart;
  struct SaveBatch;
  struct RestoreKeys;

  // Caller thread: `fn` on the loop, its result.
  template <typename T>
  absl::StatusOr<T> OnLoop(std::function<absl::StatusOr<T>()> fn);
  // Caller thread: a verified snapshot at `tmp` (removed on failure).
  absl::Status SaveVerified(const std::string& tmp);
  // Caller thread: prepare, ReadIndex, then wait until applied >= it.
  absl::Status ReachLinearizablePoint();
  // Caller thread: has the staging records of restore `restore_id`, which
  // stopped before its commit, deleted (QueueDiscard; best effort).
  void DiscardStaging(uint64_t restore_id);
  // Loop: opens a save stream over the applied state.
  absl::StatusOr<SaveStart> StartSave();
  // Loop: the next records of save stream `id`.
  absl::StatusOr<SaveBatch> NextSaveBatch(uint64_t id);
  // Loop: the mac key (and, for another cluster, its re-wrapped keyring).
  absl::StatusOr<RestoreKeys> RestoreKeysFor(
      const std::map<std::string, std::string>& core, bool foreign,
      const std::vector<std::string>& unseal_keys);
  // Leader: queues one SnapshotDiscard batch of `restore_id`, and the next
  // one while records remain.
  void QueueDiscard(uint64_t restore_id);
  // The membership as of the entry before `index`, from the log.
  absl::StatusOr<raftpb::ConfState> ConfStateBefore(uint64_t index);

  LoopState* const loop_;
  const Observer* const observer_;
  RequestPipeline* const pipeline_;
  LogSnapshots* const log_snapshots_;
  Host* const host_;

  // Save streams: consistent iterators over the applied state, read in
  // batches by the saving caller.
  std::map<uint64_t, std::unique_ptr<storage::StateIterator>> save_streams_;
  uint64_t next_save_stream_ = 0;
  // Leader: the index of a proposed restore commit; requests wait until it
  // is applied (their reads could not see its effect). 0: none.
  uint64_t hold_index_ = 0;
  // Outcome of applied restore commits proposed here, by restore id.
  std::map<uint64_t, absl::Status> outcomes_;
  bool staging_checked_ = false;  // MaybeDiscardAbandonedStaging ran
};

template <typename T>
absl::StatusOr<T> OperatorSnapshots::OnLoop(
    std::function<absl::StatusOr<T>()> fn) {
  // Shared: `fn` may run after a timeout returned.
  auto out = std::make_shared<std::optional<absl::StatusOr<T>>>();
  absl::Status s = host_->RunOnLoopAndWait([out, fn = std::move(fn)] {
    *out = fn();
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return **std::move(out);
}

}  // namespace coffer::node

#endif  // COFFER_LIB_NODE_OPERATOR_SNAPSHOTS_H_
