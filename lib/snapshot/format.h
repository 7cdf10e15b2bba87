// The snapshot file format (internal to lib/snapshot).
//
//   file    := magic header record* end trailer
//   magic   := "COFSNAP\n" (8 bytes) | u32 format_version
//   header  := u32 length | snapshotpb::Header (length <= kMaxHeaderSize)
//   record  := u8 kRecordTag | u32 key_length | u32 value_length | key | value
//   end     := u8 kEndTag | u64 record_count
//   trailer := SHA-256 of every byte before the trailer (32 bytes)
//              | HMAC-SHA256 of the same bytes, keyed by the caller (32)
//
// Integers are big-endian. Records are in strictly increasing key order;
// keys are at most kMaxKeySize bytes and values kMaxValueSize, which bounds
// a reader's memory. Values are the state machine's bytes as stored (barrier
// ciphertext); this module never interprets them.
#ifndef COFFER_LIB_SNAPSHOT_FORMAT_H_
#define COFFER_LIB_SNAPSHOT_FORMAT_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace coffer::snapshot::format {

inline constexpr absl::string_view kMagic = "COFSNAP\n";
inline constexpr uint32_t kVersion = 1;
inline constexpr size_t kMaxHeaderSize = 1 << 20;
inline constexpr size_t kMaxKeySize = 64 << 10;
inline constexpr size_t kMaxValueSize = 16 << 20;
inline constexpr uint8_t kRecordTag = 1;
inline constexpr uint8_t kEndTag = 2;
inline constexpr size_t kRecordHeaderSize = 1 + 4 + 4;
inline constexpr size_t kEndSize = 1 + 8;
inline constexpr size_t kTrailerSize = 64;

}  // namespace coffer::snapshot::format

#endif  // COFFER_LIB_SNAPSHOT_FORMAT_H_
