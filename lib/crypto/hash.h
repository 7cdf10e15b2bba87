// SHA-256 and HMAC-SHA256 (FIPS 180-4, RFC 2104), streaming and one-shot.
//
// TEMPORARY: a portable implementation written on the storage branch so that
// lib/snapshot compiles before the lead's lib/crypto (BoringSSL-backed) lands
// on main. The signatures are the agreed ones; the merge replaces this file.
//
// Thread-safety: each object is thread-compatible; the static functions are
// thread-safe. Finish() may be called once; the object is spent afterwards.
#ifndef COFFER_LIB_CRYPTO_HASH_H_
#define COFFER_LIB_CRYPTO_HASH_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace coffer::crypto {

inline constexpr size_t kSha256Size = 32;
using Digest = std::array<uint8_t, kSha256Size>;

// The digest's bytes as a string_view borrowed from `d`.
inline absl::string_view DigestView(const Digest& d) {
  return absl::string_view(reinterpret_cast<const char*>(d.data()), d.size());
}

class Sha256 {
 public:
  Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(absl::string_view data);
  Digest Finish();
  static Digest Hash(absl::string_view data);

 private:
  void Compress(const uint8_t* block);

  uint32_t state_[8];
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

class HmacSha256 {
 public:
  // `key` is copied into the pads; it need not outlive the object.
  explicit HmacSha256(absl::string_view key);
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;
  void Update(absl::string_view data);
  Digest Finish();
  static Digest Mac(absl::string_view key, absl::string_view data);

 private:
  Sha256 inner_;
  uint8_t outer_pad_[64];
};

// True when a and b have the same length and bytes; the time taken does not
// depend on where they differ.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace coffer::crypto

#endif  // COFFER_LIB_CRYPTO_HASH_H_
