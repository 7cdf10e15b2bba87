// Fixed-width big-endian encoding, used by on-disk keys (so that byte order
// equals numeric order) and by the barrier's ciphertext header.
#ifndef COFFER_LIB_BASE_CODING_H_
#define COFFER_LIB_BASE_CODING_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace coffer::base {

inline void PutBigEndian32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

inline void PutBigEndian64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

// REQUIRES: in.size() >= 4.
inline uint32_t GetBigEndian32(absl::string_view in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

// REQUIRES: in.size() >= 8.
inline uint64_t GetBigEndian64(absl::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

}  // namespace coffer::base

#endif  // COFFER_LIB_BASE_CODING_H_
