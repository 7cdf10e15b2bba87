#include "storage/recovery.h"

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace coffer::storage {

absl::Status Reconcile(LevelDbLog& log, StateStore& state) {
  if (state.snapshot().index() > log.Snapshot().index()) {
    COFFER_RETURN_IF_ERROR(log.ApplySnapshot(state.snapshot()));
  }
  uint64_t applied = state.AppliedIndex();
  if (applied + 1 < log.FirstIndex()) {
    return absl::DataLossError(
        absl::StrCat("storage: state machine applied index ", applied,
                     " is behind the log's first index ", log.FirstIndex(),
                     "; the entries in between were compacted"));
  }
  if (applied > log.LastIndex()) {
    return absl::DataLossError(
        absl::StrCat("storage: state machine applied index ", applied,
                     " is past the log's last index ", log.LastIndex()));
  }
  return absl::OkStatus();
}

}  // namespace coffer::storage
