// storage::Reconcile: brings the raft log and the state machine store into
// agreement after a restart, before the node rebuilds its raft core.
//
// Restoring a snapshot commits the state store first and the log's
// ApplySnapshot second; a crash in between leaves a state store ahead of the
// log's snapshot. Reconcile finishes that step. Any other disagreement
// cannot be repaired and is kDataLoss:
//   - the state store is behind the log start (the entries it still needs
//     were compacted away), or
//   - the state store is ahead of the log (it applied entries the log lost).
//
// Thread-safety: as the arguments (thread-compatible); blocks on disk I/O.
#ifndef COFFER_LIB_STORAGE_RECOVERY_H_
#define COFFER_LIB_STORAGE_RECOVERY_H_

#include "absl/status/status.h"
#include "storage/leveldb_log.h"
#include "storage/state_store.h"

namespace coffer::storage {

absl::Status Reconcile(LevelDbLog& log, StateStore& state);

}  // namespace coffer::storage

#endif  // COFFER_LIB_STORAGE_RECOVERY_H_
