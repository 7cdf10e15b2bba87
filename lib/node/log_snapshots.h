// LogSnapshots: the raft snapshots of a node: making one every
// snapshot_threshold applied entries (which compacts the log up to it), and
// receiving and installing one a leader sends (raft thesis chapter 5,
// InstallSnapshot in chunks).
//
// It owns the snapshot being written by a background thread (from a
// consistent LevelDB view taken on the loop; the loop adopts it when it is
// done), the snapshot being received, a restore's snapshot waiting to be
// adopted by the log, and the byte counts that pace snapshots: one is made
// only once as many log bytes were applied since the last as the last
// snapshot file holds, so writing snapshots costs at most as much as
// writing the log however large the state grows.
//
// Raft snapshots must be made and checked by sealed nodes too (they
// replicate), so they cannot use a barrier-derived HMAC key. They use a
// fixed, public key and cluster id: the trailer's SHA-256 and HMAC then
// detect corruption, not forgery; the host's transport authenticates peers.
// Operator save/restore (snapshot_save.cc, snapshot_restore.cc) keeps a
// barrier-protected HMAC key.
//
// Thread-safety: loop-thread only; the job's thread touches only its job.
#ifndef COFFER_LIB_NODE_LOG_SNAPSHOTS_H_
#define COFFER_LIB_NODE_LOG_SNAPSHOTS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "node/loop_state.h"
#include "node/observer.h"
#include "proto/raft.pb.h"
#include "raft/raft.h"
#include "snapshot/restore.h"
#include "snapshot/snapshot.h"

namespace coffer::node {

class LogSnapshots {
 public:
  // `loop` and `observer` are borrowed and outlive this. REQUIRES: the
  // log is open.
  LogSnapshots(LoopState* loop, const Observer* observer);
  // Stops a running job and waits for its thread.
  ~LogSnapshots() { Cancel(); }
  LogSnapshots(const LogSnapshots&) = delete;
  LogSnapshots& operator=(const LogSnapshots&) = delete;

  // Between Readies: adopts a restore's snapshot or a finished job
  // (compacting the log up to it), then starts a job when one is due.
  absl::Status MaybeSnapshot();
  // Close: stops a running job and waits for its thread.
  void Cancel();
  // Ready steps 1-2: receives the snapshot chunks and installs the
  // snapshot `rd` announces into the state store and the log. Returns
  // whether it installed one (the caller then reloads what the state
  // holds).
  absl::StatusOr<bool> Receive(const raft::Ready& rd);
  // A restore commit made the snapshot file of the state it installed;
  // the log adopts it at the next MaybeSnapshot.
  void AdoptAfterReady(const raftpb::SnapshotMetadata& meta) {
    pending_log_snapshot_ = meta;
  }
  // An entry of `bytes` bytes applied.
  void OnApplied(uint64_t bytes) { applied_bytes_since_snapshot_ += bytes; }

 private:
  struct Job {
    snapshot::SnapshotHeader header;
    std::string path;
    std::atomic<bool> cancel{false};
    std::atomic<bool> done{false};   // set last by the thread
    absl::StatusOr<uint64_t> bytes;  // the file's size, or why it failed
    std::thread thread;
  };
  absl::Status Start(uint64_t applied);
  absl::Status Finish();
  // Deletes snapshot files other than the log's latest.
  void RemoveOld();

  LoopState* const loop_;
  const Observer* const observer_;
  std::unique_ptr<Job> job_;  // the running one, if any
  // The snapshot being received from the leader, if any.
  std::unique_ptr<snapshot::SnapshotReceiver> receiving_;
  raftpb::SnapshotMetadata pending_log_snapshot_;  // index 0: none
  uint64_t applied_bytes_since_snapshot_ = 0;
  uint64_t last_snapshot_bytes_ = 0;
};

}  // namespace coffer::node

#endif  // COFFER_LIB_NODE_LOG_SNAPSHOTS_H_
