#include "auth/cidr.h"

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace coffer::auth {
namespace {

struct Address {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};
};

struct Block {
  Address base;
  int prefix = 0;
};

std::optional<Address> ParseAddress(absl::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  const std::string s(text);
  Address a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) return a;
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.v6 = true;
    return a;
  }
  return std::nullopt;
}

std::optional<Block> ParseBlock(absl::string_view text) {
  Block b;
  const size_t slash = text.find('/');
  std::optional<Address> base = ParseAddress(text.substr(0, slash));
  if (!base.has_value()) return std::nullopt;
  b.base = *base;
  const int bits = b.base.v6 ? 128 : 32;
  b.prefix = bits;
  if (slash != absl::string_view::npos) {
    if (!absl::SimpleAtoi(text.substr(slash + 1), &b.prefix) || b.prefix < 0 ||
        b.prefix > bits) {
      return std::nullopt;
    }
  }
  return b;
}

bool Contains(const Block& b, const Address& a) {
  if (b.base.v6 != a.v6) return false;
  int left = b.prefix;
  for (size_t i = 0; left > 0; ++i, left -= 8) {
    const uint8_t mask =
        left >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - left));
    if ((b.base.bytes[i] & mask) != (a.bytes[i] & mask)) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ParseCidrList(
    const std::vector<std::string>& blocks) {
  std::vector<std::string> out;
  for (const std::string& raw : blocks) {
    absl::string_view b = absl::StripAsciiWhitespace(raw);
    if (b.empty()) continue;
    if (!ParseBlock(b).has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("auth: \"", b, "\" is not a CIDR block"));
    }
    out.emplace_back(b);
  }
  return out;
}

bool AddressInCidrs(absl::string_view address,
                    const std::vector<std::string>& blocks) {
  std::optional<Address> a = ParseAddress(address);
  if (!a.has_value()) return false;
  for (const std::string& text : blocks) {
    std::optional<Block> b = ParseBlock(text);
    if (b.has_value() && Contains(*b, *a)) return true;
  }
  return false;
}

}  // namespace coffer::auth
