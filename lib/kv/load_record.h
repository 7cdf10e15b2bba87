// LoadRecord: reading one versioned protobuf record through a kv::Reader,
// shared by the engines that keep records over a txn (lib/kv, lib/auth).
//
// Thread-safety: a stateless function; the reader's own rules apply.
#ifndef COFFER_LIB_KV_LOAD_RECORD_H_
#define COFFER_LIB_KV_LOAD_RECORD_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/status_macros.h"
#include "kv/txn.h"

namespace coffer::kv {

// The record of protobuf type M at `key`, or nullopt if there is none.
// kDataLoss "<module>: corrupt <what> record at <key>: <reason>" when it
// does not parse or `check` says what is wrong with it (a non-empty
// string); the reader's own errors unchanged.
template <typename M>
absl::StatusOr<std::optional<M>> LoadRecord(Reader* txn, absl::string_view key,
                                            absl::string_view module,
                                            absl::string_view what,
                                            std::string (*check)(const M&)) {
  COFFER_ASSIGN_OR_RETURN(std::optional<std::string> bytes, txn->Get(key));
  if (!bytes.has_value()) return std::nullopt;
  M record;
  std::string reason;
  if (!record.ParseFromString(*bytes)) {
    reason = "unparsable";
  } else {
    reason = check(record);
  }
  if (!reason.empty()) {
    return absl::DataLossError(absl::StrCat(module, ": corrupt ", what,
                                            " record at ", key, ": ", reason));
  }
  return record;
}

}  // namespace coffer::kv

#endif  // COFFER_LIB_KV_LOAD_RECORD_H_
