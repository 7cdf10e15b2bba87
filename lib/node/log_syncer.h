// LogSyncer: makes a leader's log writes durable on a thread of its own, so
// that the event loop goes on (executing requests, taking acknowledgements)
// while the disk syncs.
//
// The loop writes a leader's new entries without a sync, acknowledges the
// Ready with Raft::AdvanceWithoutPersisting and calls Request with the last
// entry written. The thread runs storage::Db::SyncLog (which covers every
// write made before it) and then `synced` with the largest entry requested
// before that sync began; the node hands it to Raft::Persisted on the loop.
// Requests made while a sync runs share the next one.
//
// Thread-safety: Request is thread-safe; `synced` runs on the syncer's
// thread. The destructor stops the thread after the sync in progress.
#ifndef COFFER_LIB_NODE_LOG_SYNCER_H_
#define COFFER_LIB_NODE_LOG_SYNCER_H_

#include <cstdint>
#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "storage/db.h"

namespace coffer::node {

class LogSyncer {
 public:
  // An entry of the log: its index and the term it had when written.
  struct Entry {
    uint64_t index = 0;
    uint64_t term = 0;
  };
  using Synced = std::function<void(absl::Status, Entry)>;

  // `db` is borrowed and must outlive the syncer.
  LogSyncer(storage::Db* db, Synced synced);
  ~LogSyncer();
  LogSyncer(const LogSyncer&) = delete;
  LogSyncer& operator=(const LogSyncer&) = delete;

  // Asks for a sync covering `last` (written before this call).
  void Request(Entry last) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Run();

  storage::Db* const db_;
  const Synced synced_;
  absl::Mutex mu_;
  bool requested_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  Entry last_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace coffer::node

#endif  // COFFER_LIB_NODE_LOG_SYNCER_H_
