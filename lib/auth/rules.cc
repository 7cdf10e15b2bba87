#include "auth/rules.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace coffer::auth {

std::vector<std::string> SanitizePolicies(std::vector<std::string> policies,
                                          bool add_default) {
  std::vector<std::string> out;
  for (std::string& p : policies) {
    std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(p));
    if (name.empty()) continue;
    if (name == kRootPolicy) return {std::string(kRootPolicy)};
    out.push_back(std::move(name));
  }
  if (add_default) out.emplace_back(kDefaultPolicy);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool HasRoot(const std::vector<std::string>& policies) {
  return std::binary_search(policies.begin(), policies.end(), kRootPolicy);
}

bool IsSubset(const std::vector<std::string>& parent,
              const std::vector<std::string>& child) {
  return std::includes(parent.begin(), parent.end(), child.begin(),
                       child.end());
}

std::string DisplayName(absl::string_view requested) {
  if (requested.empty()) return "token";
  std::string full = absl::StrCat("token-", requested);
  for (char& c : full) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') {
      c = '-';
    }
  }
  if (full.back() == '-') full.pop_back();
  return full;
}

absl::StatusOr<absl::Duration> CalculateTtl(const TtlLimits& limits,
                                            absl::Duration increment,
                                            absl::Duration backend_ttl,
                                            absl::Duration period,
                                            absl::Duration explicit_max_ttl,
                                            absl::Time start, absl::Time now) {
  const absl::Duration zero = absl::ZeroDuration();
  absl::Duration max_ttl = limits.max_ttl;
  if (explicit_max_ttl > zero && explicit_max_ttl < max_ttl) {
    max_ttl = explicit_max_ttl;
  }
  absl::Duration ttl;
  std::optional<absl::Time> max_valid;
  if (period > zero) {
    ttl = std::min(period, max_ttl);
    if (explicit_max_ttl > zero) max_valid = start + explicit_max_ttl;
  } else {
    if (increment > zero) {
      ttl = increment;
    } else if (backend_ttl > zero) {
      ttl = backend_ttl;
    } else {
      ttl = limits.default_ttl;
    }
    max_valid = start + max_ttl;
  }
  if (max_valid.has_value()) {
    const absl::Duration left = *max_valid - now;
    if (left <= zero) {
      return absl::InvalidArgumentError("auth: past the max TTL, cannot renew");
    }
    ttl = std::min(ttl, left);
  }
  return ttl;
}

}  // namespace coffer::auth
