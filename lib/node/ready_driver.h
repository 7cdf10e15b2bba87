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
    uint64_t last = 0;          // the last entry applied now; 0: none
    size_t count = 0;           // entries applied now
    bool conf_changed = false;  // membership or peer records
    bool core_changed = false;  // seal or keyring records
    bool policies_changed = false;  // ACL policy records (auth_service.h)
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
  // must stop with the returned error).
  absl::Status OnLogSynced(const absl::Status& s, LogSyncer::Entry last);

  // Carries out one Ready. An error is fatal: the node stops.
  absl::Status HandleReady();

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
  // Sends the core's messages (moved from).
  void SendMessages(std::vector<raftpb::Message>& messages);

  LoopState* const loop_;
  Host* const host_;
  RequestPipeline* const pipeline_;
  const Observer* const observer_;
  std::unique_ptr<LogSyncer> log_syncer_;
  uint64_t leader_start_index_ = 0;
};

}  // namespace coffer::node

#endif  // COFFER_LIB_NODE_READY_DRIVER_H_
