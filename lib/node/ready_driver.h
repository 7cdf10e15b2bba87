// ReadyDriver: carries out the raft core's Ready (raft/ready.h) against the
// LevelDB log and the state store, in the order the contract requires.
//
// Per Ready: the soft state goes to the host; received snapshot chunks and
// a snapshot to install go to the host (steps 1-2); new entries and the
// hard state are written, with the committed entries' records (step 3,
// synced when the core asks; a leader sends first and has the log syncer
// fsync its entries off the loop); messages leave (step 4); what the
// applied records change in memory is done (step 5: the request pipeline
// completes the proposals they hold, the host reloads peers and the
// keyring); read states go to the pipeline (step 6); Advance (step 7).
//
// It owns the leader's log syncer and the index of the leader's first entry
// of its term. The records a committed entry writes are the entry's own
// (Command writes, membership records), so that every replica applies the
// same state.
//
// A full disk (storage::IsDiskFull) stalls the node instead of stopping it.
// When a write of step 3 or 5 fails for want of space, the driver keeps
// the Ready: it is not advanced, and nothing it holds is acknowledged,
// reported persisted or answered. Until the stall ends loop->fatal is a
// kResourceExhausted error naming the full disk, so the loop feeds the
// core nothing (the Ready contract allows no call between Ready and
// Advance: no tick, no message, no proposal), new requests are refused
// with it, and the requests that never reached the log are failed with it
// (RequestPipeline::FailUnstarted); reads of the applied state that need
// no core (stale reads) go on. Each OnStallTick past the backoff (1 tick,
// doubling up to a second's worth of ticks) tries storage::Db::Reopen,
// checks that the log and the state store read back what they hold in
// memory, and ends the stall; the next HandleReady carries out the kept
// Ready from where it failed (the steps before are not done twice), as if
// nothing had happened. A write that fails again stalls again with the
// next backoff. Other storage errors (corruption, EIO, a failed fsync)
// stay fatal, and so does a full disk in steps 1-2 (a snapshot install)
// or in a restore's swap, whose writes cannot be redone from the Ready.
//
// Thread-safety: loop-thread only.
#ifndef COFFER_LIB_NODE_READY_DRIVER_H_
#define COFFER_LIB_NODE_READY_DRIVER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "node/log_syncer.h"
#include "node/loop_state.h"
#include "node/observer.h"
#include "node/request_pipeline.h"
#include "proto/node.pb.h"
#include "raft/raft.h"
#include "storage/db.h"
#include "storage/state_store.h"

namespace coffer::node {

class ReadyDriver {
 public:
  // What a write's committed entries changed.
  struct Applied {
    uint64_t last = 0;              // the last entry applied now; 0: none
    size_t count = 0;               // entries applied now
    bool conf_changed = false;      // membership or peer records
    bool core_changed = false;      // seal or keyring records
    bool policies_changed = false;  // ACL policy records (auth_service.h)
    bool tokens_changed = false;    // token records (auth/records.h)
    bool audit_changed = false;     // audit device records (audit_log.h)
    // A snapshot restore's commit at entries[restore_pos]: staging stopped
    // before it (snapshot_restore.cc).
    std::optional<nodepb::SnapshotRestoreCommit> restore;
    size_t restore_pos = 0;
  };

  // What the driver asks of the node. Called on the loop.
  class Host {
   public:
    virtual ~Host() = default;
    // The core's soft state is now `now` (loop.soft still holds the old).
    virtual void OnSoftState(const raft::SoftState& now) = 0;
    // Steps 1-2: snapshot chunks received and a snapshot to install.
    virtual absl::Status InstallSnapshotChunks(const raft::Ready& rd) = 0;
    // A membership change's replicated records besides the peer address
    // (removals, voters-to-be), into `writes`.
    virtual void StageJoinRecords(const raftpb::ConfChangeSingle& ch,
                                  const nodepb::PeerContext* ctx,
                                  uint64_t index,
                                  storage::WriteSet* writes) = 0;
    // After a write applied entries, before their requests complete: the
    // peer records changed (Applied::conf_changed).
    virtual absl::Status OnPeersApplied() = 0;
    // Each applied entry, after its proposal completed.
    virtual void OnEntryApplied(const raftpb::Entry& e) = 0;
    // The seal or keyring records changed (Applied::core_changed).
    virtual void OnCoreApplied() = 0;
    // ACL policy records changed (Applied::policies_changed), before the
    // entries' requests complete.
    virtual void OnPoliciesApplied() = 0;
    // Token records changed (Applied::tokens_changed), before the entries'
    // requests complete.
    virtual void OnTokensApplied() = 0;
    // Audit device records changed (Applied::audit_changed).
    virtual void OnAuditApplied() = 0;
    // A restore commit that a write stopped at (Applied::restore): the
    // swap and the entries after it (snapshot_restore.cc).
    virtual absl::Status ApplyRestore(const std::vector<raftpb::Entry>& entries,
                                      Applied applied) = 0;
    // After each Advance.
    virtual void OnAdvanced() = 0;
    virtual void SendFrame(uint64_t to, nodepb::Frame frame) = 0;
  };

  // Everything is borrowed and outlives the driver.
  ReadyDriver(LoopState* loop, Host* host, RequestPipeline* pipeline,
              const Observer* observer)
      : loop_(loop), host_(host), pipeline_(pipeline), observer_(observer) {}
  ReadyDriver(const ReadyDriver&) = delete;
  ReadyDriver& operator=(const ReadyDriver&) = delete;

  // With options.sync: the syncer that makes a leader's entries durable
  // off the loop. REQUIRES: before the first HandleReady.
  void set_log_syncer(std::unique_ptr<LogSyncer> syncer) {
    log_syncer_ = std::move(syncer);
  }
  // Close: stops the syncer (it calls back no more).
  void StopLogSyncer() { log_syncer_.reset(); }
  // The syncer made the log durable up to `last` (or failed: the node
  // must stop with the returned error). While stalled, or when the sync
  // failed on a full disk (the stall then begins), `last` is synced again
  // once the stall is over and no Ready is kept.
  absl::Status OnLogSynced(const absl::Status& s, LogSyncer::Entry last);

  // Carries out one Ready: the one kept by a stall, if any, else the
  // core's next. An error is fatal: the node stops. A full disk is not an
  // error: the driver stalls (see above) and returns OK.
  absl::Status HandleReady();
  // Whether HandleReady has a kept Ready to carry out (the loop calls it
  // then whatever the core's HasReady says).
  bool has_kept_ready() const { return kept_.has_value(); }

  // Whether the node is stalled on a full disk.
  bool stalled() const { return stalled_; }
  // Between Readies (log compaction, a snapshot adopted by the log): if
  // `s` is a full disk, stalls (no Ready is kept) and returns true; else
  // returns false and the caller stops the node with `s`.
  bool StallIfDiskFull(const absl::Status& s);
  // Each tick while stalled(): past the backoff, reopens the database and
  // ends the stall when it can. An error is fatal (the reopened database
  // does not hold what was acknowledged, or it does not open).
  absl::Status OnStallTick();

  // Stages the records of the committed entries not applied yet, with
  // their applied index, into `group` (up to a restore commit).
  absl::Status StageCommitted(const std::vector<raftpb::Entry>& entries,
                              storage::WriteGroup* group, Applied* applied);
  // After the group committed: updates what depends on the applied state
  // and completes the requests waiting on these entries.
  absl::Status FinishApply(const std::vector<raftpb::Entry>& entries,
                           const Applied& applied);

  // Leader: the index of its first entry of the term; 0 until the Ready
  // that carries it was handled.
  uint64_t leader_start_index() const { return leader_start_index_; }

 private:
  // FinishApply, then a snapshot restore's swap if the entries hold one.
  absl::Status FinishCommitted(const std::vector<raftpb::Entry>& entries,
                               const Applied& applied);
  // Commits one write of a step (none if `group` is empty) and reports it
  // to the metrics sink: `entries` log entries, `applied` applied ones.
  absl::Status CommitStep(storage::WriteGroup* group, bool sync, size_t entries,
                          const Applied& applied);
  absl::Status StageConfChange(const raftpb::Entry& e,
                               storage::WriteSet* writes);

  // A Ready being carried out, and which of its steps are done, so that a
  // retry after a stall does each once.
  struct Kept {
    raft::Ready rd;
    bool soft_done = false;      // OnSoftState
    bool chunks_done = false;    // steps 1-2
    bool sent_early = false;     // a leader's messages, before step 3
    bool applied_first = false;  // step 5 in a write of its own
    // Set while a write runs whose failure may be retried (steps 3 and 5).
    bool retryable = false;
  };
  absl::Status CarryOut(Kept& k);
  // The stall's next try: `backoff_` doubled (1 at first), from now.
  void ScheduleRetry();
  // After a Ready or a stall ended: asks the syncer again for `resync_`.
  void Resync();
  // Sends the core's messages (moved from).
  void SendMessages(std::vector<raftpb::Message>& messages);

  LoopState* const loop_;
  Host* const host_;
  RequestPipeline* const pipeline_;
  const Observer* const observer_;
  std::unique_ptr<LogSyncer> log_syncer_;
  uint64_t leader_start_index_ = 0;

  std::optional<Kept> kept_;
  bool stalled_ = false;
  absl::Status stall_error_;    // loop->fatal while stalled
  uint64_t stalled_since_ = 0;  // tick
  uint64_t backoff_ = 0;        // ticks; 0: no failed try since the last Ready
  uint64_t retry_tick_ = 0;
  uint64_t tries_ = 0;  // reopens tried in this stall
  std::optional<LogSyncer::Entry> resync_;
};

}  // namespace coffer::node

#endif  // COFFER_LIB_NODE_READY_DRIVER_H_
