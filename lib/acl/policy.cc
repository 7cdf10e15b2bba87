#include "acl/policy.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "acl/pattern.h"
#include "base/status_macros.h"

namespace coffer::acl {
namespace {

constexpr size_t kMaxPolicyNameBytes = 128;

bool NameByteOk(char c) {
  return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '.' ||
         c == '_' || c == '-';
}

absl::Status RuleError(const Policy& p, const PathRule& r,
                       absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "acl: policy \"", p.name, "\": path \"", r.path, "\": ", why));
}

absl::Status CheckParameterNames(const Policy& p, const PathRule& r,
                                 const ParameterValues& values) {
  for (const auto& [name, unused] : values) {
    if (name.empty()) return RuleError(p, r, "empty parameter name");
    if (absl::AsciiStrToLower(name) != name) {
      return RuleError(p, r, "parameter names must be lower-case");
    }
  }
  return absl::OkStatus();
}

PathRule Rule(std::string path, CapabilitySet caps) {
  PathRule r;
  r.path = std::move(path);
  r.capabilities = caps;
  return r;
}

}  // namespace

absl::StatusOr<std::string> NormalizePolicyName(absl::string_view name) {
  std::string n = absl::AsciiStrToLower(absl::StripAsciiWhitespace(name));
  bool ok = !n.empty() && n.size() <= kMaxPolicyNameBytes &&
            (absl::ascii_islower(n[0]) || absl::ascii_isdigit(n[0]));
  for (char c : n) ok = ok && NameByteOk(c);
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "acl: invalid policy name \"", absl::CHexEscape(name),
        "\": want 1..128 bytes of [a-z0-9._-], starting with a letter or "
        "digit"));
  }
  return n;
}

absl::Status ValidatePolicy(const Policy& policy) {
  COFFER_ASSIGN_OR_RETURN(std::string normal, NormalizePolicyName(policy.name));
  if (normal != policy.name) {
    return absl::InvalidArgumentError(absl::StrCat(
        "acl: policy name \"", policy.name, "\" is not in normal form"));
  }
  for (const PathRule& r : policy.rules) {
    absl::Status s = ValidatePattern(r.path);
    if (!s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "acl: policy \"", policy.name, "\": ", s.message().substr(5)));
    }
    if (r.capabilities.Has(Capability::kDeny) &&
        r.capabilities != CapabilitySet({Capability::kDeny})) {
      return RuleError(policy, r, "deny must be the only capability");
    }
    for (const std::string& name : r.required_parameters) {
      if (name.empty()) return RuleError(policy, r, "empty parameter name");
      if (absl::AsciiStrToLower(name) != name) {
        return RuleError(policy, r, "parameter names must be lower-case");
      }
    }
    COFFER_RETURN_IF_ERROR(
        CheckParameterNames(policy, r, r.allowed_parameters));
    COFFER_RETURN_IF_ERROR(CheckParameterNames(policy, r, r.denied_parameters));
    if (r.min_wrapping_ttl < absl::ZeroDuration() ||
        r.max_wrapping_ttl < absl::ZeroDuration()) {
      return RuleError(policy, r, "negative wrapping TTL");
    }
    if (r.min_wrapping_ttl > absl::ZeroDuration() &&
        r.max_wrapping_ttl > absl::ZeroDuration() &&
        r.min_wrapping_ttl > r.max_wrapping_ttl) {
      return RuleError(policy, r,
                       "min_wrapping_ttl is greater than max_wrapping_ttl");
    }
  }
  return absl::OkStatus();
}

Policy RootPolicy() {
  Policy p;
  p.name = std::string(kRootPolicyName);
  return p;
}

const Policy& DefaultPolicy() {
  static const Policy* const policy = [] {
    using C = Capability;
    auto* p = new Policy;
    p->name = std::string(kDefaultPolicyName);
    p->rules = {
        Rule("auth/token/lookup-self", {C::kRead}),
        Rule("auth/token/renew-self", {C::kUpdate}),
        Rule("auth/token/revoke-self", {C::kUpdate}),
        Rule("sys/capabilities-self", {C::kUpdate}),
        Rule("sys/tools/hash", {C::kUpdate}),
        Rule("sys/tools/hash/*", {C::kUpdate}),
    };
    return p;
  }();
  return *policy;
}

bool CanWritePolicy(absl::string_view name) { return name != kRootPolicyName; }

bool CanDeletePolicy(absl::string_view name) {
  return name != kRootPolicyName && name != kDefaultPolicyName;
}

}  // namespace coffer::acl
