// Host hooks for observing a coffer::Node: a Logger for what happens (an
// election, a leader change, a membership change, seal and unseal, a
// snapshot, an error) and a MetricsSink for how it goes (raft term and
// indexes, requests, latencies). Both are optional (NodeOptions::logger,
// NodeOptions::metrics) and borrowed: they must outlive the Node.
//
// Secrets. coffer never passes key material, unseal or recovery shares, a
// root token or a secret value to either hook: log lines hold node ids,
// addresses, terms, indexes, share counts and status messages (which never
// hold secrets either; a Kms's error message is passed on as it is).
//
// Thread-safety. A node calls its hooks from its own event-loop thread
// (and, during Open, from the thread calling Open, before the loop starts),
// one call at a time. Hooks shared by several nodes are called from several
// threads and must be thread-safe. A hook must not block (queue and return:
// the node's whole cluster role waits on its loop) and must not call into
// any Node.
#ifndef COFFER_OBSERVE_H_
#define COFFER_OBSERVE_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "coffer/export.h"

namespace coffer {

enum class LogLevel {
  kDebug = 0,    // detail for debugging coffer itself
  kInfo = 1,     // normal operation: elections, seal changes, snapshots
  kWarning = 2,  // something unusual that coffer recovers from
  kError = 3,    // the node stopped or an operation failed for good
};

// "debug", "info", "warning" or "error".
COFFER_EXPORT const char* LogLevelName(LogLevel level);

class COFFER_EXPORT Logger {
 public:
  virtual ~Logger();
  // One line, without a trailing newline. Every message starts with
  // "node <id>: ". `message` is valid only during the call.
  virtual void Log(LogLevel level, absl::string_view message) = 0;
};

// Metric names are stable, dot-separated and lower case; each node reports
// its own values, so a sink shared by nodes should tell them apart by the
// sink it gave each node (or by node id in its own naming).
//
// Gauges (reported when they change):
//   raft.term, raft.commit_index, raft.applied_index, raft.last_index,
//   raft.is_leader (0 or 1), node.sealed (0 or 1),
//   raft.apply_lag           committed entries not yet applied here
//                            (raft.commit_index - raft.applied_index)
// Counters (deltas):
//   node.requests            requests started by callers of this node
//                            (writes, linearizable reads, operator
//                            operations: what may be forwarded)
//   node.request_errors      of those, the ones that failed
//   raft.leader_changes      changes of the leader this node knows
//   raft.became_candidate    elections this node started (not pre-votes)
//   raft.became_leader       elections this node won
//   raft.snapshot_saves      snapshots of the state made by this node
//   raft.snapshot_installs   snapshots received from a leader and installed
//   raft.entries_written     log entries this node wrote (its batching:
//                            entries per storage.writes)
//   raft.entries_applied     committed entries applied to the state
//   raft.messages_refused    raft messages from peers the core refused as
//                            malformed (logged at 1, 2, 4, ... refusals)
//   raft.peers_recovered     configurations recovered from peers.json at
//                            Open (NodeOptions::data_dir)
//   storage.writes           steps' writes (see storage.write_latency)
//   storage.synced_writes    of those, the ones that waited for an fsync
//   storage.log_syncs        fsyncs of a leader's log made off the loop
// Timings:
//   node.request_latency     one such request, from start to result
//   storage.write_latency    one step's write: new log entries, hard state
//                            and the committed entries' records together
//                            (with fsync when NodeOptions::sync)
class COFFER_EXPORT MetricsSink {
 public:
  virtual ~MetricsSink();
  // `name` is valid only during the call.
  virtual void Counter(absl::string_view name, uint64_t delta) = 0;
  virtual void Gauge(absl::string_view name, double value) = 0;
  virtual void Timing(absl::string_view name, absl::Duration duration) = 0;
};

}  // namespace coffer

#endif  // COFFER_OBSERVE_H_
