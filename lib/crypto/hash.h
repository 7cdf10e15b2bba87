// SHA-256, HMAC-SHA256, HKDF-SHA256 (RFC 5869) and constant-time comparison,
// from BoringSSL.
//
// Thread-safety: the free functions are thread-safe; Sha256 and HmacSha256
// objects are thread-compatible.
#ifndef COFFER_LIB_CRYPTO_HASH_H_
#define COFFER_LIB_CRYPTO_HASH_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/secure_buffer.h"

namespace coffer::crypto {

inline constexpr size_t kSha256Size = 32;
using Digest = std::array<uint8_t, kSha256Size>;

// The digest's bytes as a string_view borrowed from `d`.
inline absl::string_view DigestView(const Digest& d) {
  return absl::string_view(reinterpret_cast<const char*>(d.data()), d.size());
}

// Streaming SHA-256.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(absl::string_view data);
  // The digest of everything passed to Update. REQUIRES: called once.
  Digest Finish();

  static Digest Hash(absl::string_view data);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Streaming HMAC-SHA256 (RFC 2104). The key is copied into locked memory.
class HmacSha256 {
 public:
  explicit HmacSha256(absl::string_view key);
  ~HmacSha256();  // wipes the key schedule
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;

  void Update(absl::string_view data);
  // The MAC of everything passed to Update. REQUIRES: called once.
  Digest Finish();

  static Digest Mac(absl::string_view key, absl::string_view data);

 private:
  SecureBuffer ctx_;  // holds BoringSSL's HMAC_CTX, so its key pads are locked
};

// HKDF-SHA256 (RFC 5869): `length` bytes derived from `ikm` with `salt` and
// `info`. kInvalidArgument if length is 0 or above 255 * 32.
absl::StatusOr<SecureBuffer> HkdfSha256(absl::string_view ikm,
                                        absl::string_view salt,
                                        absl::string_view info, size_t length);

// True when a and b have the same length and bytes; the time taken depends on
// the length only, not on where the bytes differ.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace coffer::crypto

#endif  // COFFER_LIB_CRYPTO_HASH_H_
