// Vault's token rules as pure functions: policy sanitizing and the subset
// rule, display names, and TTL calculation (Vault's framework.CalculateTTL).
//
// Thread-safety: stateless functions.
#ifndef COFFER_LIB_AUTH_RULES_H_
#define COFFER_LIB_AUTH_RULES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace coffer::auth {

inline constexpr absl::string_view kRootPolicy = "root";
inline constexpr absl::string_view kDefaultPolicy = "default";

// Vault's policyutil.SanitizePolicies: names trimmed of ASCII whitespace and
// lower-cased, empty names dropped; if "root" is among them the result is
// {"root"} alone; otherwise "default" is added when `add_default`. Sorted,
// without duplicates.
std::vector<std::string> SanitizePolicies(std::vector<std::string> policies,
                                          bool add_default);

// Whether the sorted `policies` hold "root".
bool HasRoot(const std::vector<std::string>& policies);

// Whether every name in sorted `child` is in sorted `parent`.
bool IsSubset(const std::vector<std::string>& parent,
              const std::vector<std::string>& child);

// Vault's display name: "token" for an empty request, else "token-<name>"
// with every character outside [A-Za-z0-9-] replaced by '-' and one
// trailing '-' removed.
std::string DisplayName(absl::string_view requested);

// The system-wide TTL bounds (Vault's default_lease_ttl and max_lease_ttl).
struct TtlLimits {
  absl::Duration default_ttl;
  absl::Duration max_ttl;
};

// Vault's framework.CalculateTTL, without its truncation to whole seconds:
// the TTL to grant at `now` to a lease issued at `start`.
// - The effective max is max_ttl, lowered to explicit_max_ttl if that is
//   set and smaller.
// - Periodic (period > 0): the period, capped at the effective max; the
//   lease may not outlive start + explicit_max_ttl if that is set.
// - Otherwise: `increment` if set, else `backend_ttl` if set, else the
//   default; the lease may not outlive start + the effective max.
// kInvalidArgument ("past the max TTL") when that end is not after `now`.
absl::StatusOr<absl::Duration> CalculateTtl(const TtlLimits& limits,
                                            absl::Duration increment,
                                            absl::Duration backend_ttl,
                                            absl::Duration period,
                                            absl::Duration explicit_max_ttl,
                                            absl::Time start, absl::Time now);

}  // namespace coffer::auth

#endif  // COFFER_LIB_AUTH_RULES_H_
