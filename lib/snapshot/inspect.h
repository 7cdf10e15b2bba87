// Inspecting a snapshot file without any key: what it holds and whether it
// is intact (framing and SHA-256; the HMAC needs the key and is not checked).
//
// Memory is bounded: at most kMaxInspectPrefixes distinct top-level prefixes
// are counted by name; the rest are summed under "(other)".
// Errors as in snapshot.h. Thread-safe (no shared state).
#ifndef COFFER_LIB_SNAPSHOT_INSPECT_H_
#define COFFER_LIB_SNAPSHOT_INSPECT_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "snapshot/snapshot.h"

namespace coffer::snapshot {

inline constexpr size_t kMaxInspectPrefixes = 1000;

struct PrefixStats {
  uint64_t records = 0;
  uint64_t bytes = 0;  // keys plus values
};

struct Inspection {
  uint32_t format_version = 0;
  SnapshotHeader header;
  uint64_t records = 0;
  uint64_t file_bytes = 0;
  uint64_t key_bytes = 0;
  uint64_t value_bytes = 0;
  // By the first path segment of each key (the bytes before its first
  // '/'; "" for keys without one), in key order.
  std::map<std::string, PrefixStats> by_prefix;
};

// Reads the whole file. kDataLoss if it is truncated or corrupt.
absl::StatusOr<Inspection> InspectSnapshot(const std::string& path);

// Human-readable, one fact per line.
std::string InspectionText(const Inspection& inspection);
// One JSON object; strings escaped (non-printable bytes as \u00XX).
std::string InspectionJson(const Inspection& inspection);

}  // namespace coffer::snapshot

#endif  // COFFER_LIB_SNAPSHOT_INSPECT_H_
