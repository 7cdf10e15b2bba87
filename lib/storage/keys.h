// Key layout of the node's one LevelDB database (internal to lib/storage).
//
//   "F"                      storagepb::Format      checked on every open
//   "H"                      raftpb::HardState      term, vote, commit
//   "S"                      raftpb::SnapshotMetadata  the log's latest
//   snapshot "T"                      storagepb::LogStart    entry before the
//   first one "L" + be64(index)        raftpb::Entry          the raft log "M"
//   storagepb::StateMeta   applied index, generation "D" + be64(gen) + key
//   opaque value           state machine data
//
// Big-endian numbers make LevelDB's byte order the numeric order, so the log
// and each data generation are contiguous key ranges.
#ifndef COFFER_LIB_STORAGE_KEYS_H_
#define COFFER_LIB_STORAGE_KEYS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "base/coding.h"

namespace coffer::storage::keys {

inline constexpr uint32_t kFormatMagic = 0x43465354;  // "CFST"
inline constexpr uint32_t kFormatVersion = 1;

inline constexpr absl::string_view kFormat = "F";
inline constexpr absl::string_view kHardState = "H";
inline constexpr absl::string_view kLogSnapshot = "S";
inline constexpr absl::string_view kLogStart = "T";
inline constexpr absl::string_view kStateMeta = "M";
inline constexpr char kEntryPrefix = 'L';
inline constexpr char kDataPrefix = 'D';

inline std::string Entry(uint64_t index) {
  std::string k(1, kEntryPrefix);
  base::PutBigEndian64(&k, index);
  return k;
}

inline bool IsEntry(absl::string_view key) {
  return !key.empty() && key[0] == kEntryPrefix;
}

// REQUIRES: IsEntry(key). Returns false when the key is malformed.
inline bool ParseEntry(absl::string_view key, uint64_t* index) {
  if (key.size() != 9) return false;
  *index = base::GetBigEndian64(key.substr(1));
  return true;
}

// The first key of data generation `gen`; generation gen+1 starts where it
// ends.
inline std::string DataPrefix(uint64_t gen) {
  std::string k(1, kDataPrefix);
  base::PutBigEndian64(&k, gen);
  return k;
}

inline std::string Data(uint64_t gen, absl::string_view key) {
  std::string k = DataPrefix(gen);
  k.append(key.data(), key.size());
  return k;
}

}  // namespace coffer::storage::keys

#endif  // COFFER_LIB_STORAGE_KEYS_H_
