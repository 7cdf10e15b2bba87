#include "auth/token_id.h"

#include <algorithm>
#include <vector>

namespace coffer::auth {
namespace {

constexpr char kBase62Alphabet[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

crypto::Digest Keyed(absl::string_view salt, absl::string_view domain,
                     absl::string_view value) {
  crypto::HmacSha256 mac(salt);
  mac.Update(domain);
  mac.Update(absl::string_view("\0", 1));
  mac.Update(value);
  return mac.Finish();
}

}  // namespace

std::string Base62(absl::Span<const uint8_t> bytes, size_t width) {
  // Schoolbook division of the big-endian number by 62, one digit a pass.
  // The loop counts depend on the lengths only, not on the bytes.
  std::vector<uint32_t> number(bytes.begin(), bytes.end());
  std::string digits;
  const size_t passes = std::max(width, bytes.size() * 2);
  for (size_t pass = 0; pass < passes; ++pass) {
    uint32_t rem = 0;
    for (uint32_t& limb : number) {
      const uint32_t cur = (rem << 8) | limb;
      limb = cur / 62;
      rem = cur % 62;
    }
    digits.push_back(kBase62Alphabet[rem]);
  }
  // `passes` digits hold any number of bytes.size() bytes (62^2 > 256), so
  // the quotient is zero now; drop the surplus leading zeros above `width`.
  while (digits.size() > width && digits.back() == '0') digits.pop_back();
  std::reverse(digits.begin(), digits.end());
  std::fill(number.begin(), number.end(), 0);
  return digits;
}

std::string FormatTokenId(const TokenRandom& random) {
  std::string id(kServiceTokenPrefix);
  id += Base62(random.id, kEncodedChars);
  return id;
}

std::string FormatAccessor(const TokenRandom& random) {
  return Base62(random.accessor, kEncodedChars);
}

Hasher::Hasher(absl::string_view salt)
    : salt_(crypto::SecureBuffer::CopyOf(salt)) {}

crypto::Digest Hasher::TokenId(absl::string_view id) const {
  return Keyed(salt_.view(), "token-id", id);
}

crypto::Digest Hasher::Accessor(absl::string_view accessor) const {
  return Keyed(salt_.view(), "token-accessor", accessor);
}

crypto::Digest Hasher::Other(absl::string_view domain,
                             absl::string_view value) const {
  return Keyed(salt_.view(), domain, value);
}

std::string DigestHex(const crypto::Digest& d) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * d.size());
  for (uint8_t b : d) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

bool ParseDigestHex(absl::string_view hex, crypto::Digest* out) {
  if (hex.size() != 2 * out->size()) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < out->size(); ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

}  // namespace coffer::auth
