// Hex helpers for test vectors.
#ifndef COFFER_TESTS_UNIT_CRYPTO_TEST_HEX_H_
#define COFFER_TESTS_UNIT_CRYPTO_TEST_HEX_H_

#include <string>

#include "absl/strings/escaping.h"
#include "crypto/hash.h"

namespace coffer::crypto {

inline std::string Unhex(const std::string& hex) {
  return absl::HexStringToBytes(hex);
}
inline std::string Hex(absl::string_view bytes) {
  return absl::BytesToHexString(bytes);
}
inline std::string Hex(const Digest& d) { return Hex(DigestView(d)); }

}  // namespace coffer::crypto

#endif  // COFFER_TESTS_UNIT_CRYPTO_TEST_HEX_H_
