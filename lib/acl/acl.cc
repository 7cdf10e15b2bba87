#include "acl/acl.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "acl/index.h"
#include "base/check.h"
#include "base/status_macros.h"

namespace coffer::acl {
namespace {

// One shared status: a refusal costs a reference count, not an allocation.
absl::Status Denied() {
  static const absl::Status* const denied =
      new absl::Status(absl::PermissionDeniedError("permission denied"));
  return *denied;
}

// Vault's merge of value lists for one parameter map.
void MergeValues(const ParameterValues& in, ParameterValues* out) {
  if (in.empty()) return;
  if (out->empty()) {
    *out = in;
    return;
  }
  for (const auto& [name, values] : in) {
    auto it = out->find(name);
    if (values.empty() || (it != out->end() && it->second.empty())) {
      (*out)[name].clear();
    } else if (it == out->end()) {
      out->emplace(name, values);
    } else {
      it->second.insert(it->second.end(), values.begin(), values.end());
    }
  }
}

// The smaller of two set (non-zero) durations.
absl::Duration MinSet(absl::Duration have, absl::Duration in) {
  if (in > absl::ZeroDuration() &&
      (have == absl::ZeroDuration() || in < have)) {
    return in;
  }
  return have;
}

void Merge(const PathRule& in, MergedRule* out) {
  if (out->capabilities.Has(Capability::kDeny)) return;
  if (in.capabilities.Has(Capability::kDeny)) {
    out->capabilities = CapabilitySet({Capability::kDeny});
    out->required_parameters.clear();
    out->allowed_parameters.clear();
    out->denied_parameters.clear();
    out->min_wrapping_ttl = out->max_wrapping_ttl = absl::ZeroDuration();
    return;
  }
  out->capabilities.AddAll(in.capabilities);
  out->min_wrapping_ttl = MinSet(out->min_wrapping_ttl, in.min_wrapping_ttl);
  out->max_wrapping_ttl = MinSet(out->max_wrapping_ttl, in.max_wrapping_ttl);
  MergeValues(in.allowed_parameters, &out->allowed_parameters);
  MergeValues(in.denied_parameters, &out->denied_parameters);
  for (const std::string& name : in.required_parameters) {
    auto& req = out->required_parameters;
    if (std::find(req.begin(), req.end(), name) == req.end()) {
      req.push_back(name);
    }
  }
}

// Vault's value match: an empty list matches anything; a list entry of 2
// bytes or more may be a prefix ("x*"), suffix ("*x") or substring ("*x*")
// glob; otherwise equality.
bool ValueMatches(absl::string_view value,
                  const std::vector<std::string>& list) {
  if (list.empty()) return true;
  for (absl::string_view entry : list) {
    if (entry.size() >= 2) {
      const bool lead = entry.front() == '*';
      const bool trail = entry.back() == '*';
      if (lead && trail) {
        if (absl::StrContains(value, entry.substr(1, entry.size() - 2))) {
          return true;
        }
        continue;
      }
      if (lead) {
        if (absl::EndsWith(value, entry.substr(1))) return true;
        continue;
      }
      if (trail) {
        if (absl::StartsWith(value, entry.substr(0, entry.size() - 1))) {
          return true;
        }
        continue;
      }
    }
    if (value == entry) return true;
  }
  return false;
}

bool ParametersAllowed(const MergedRule& rule,
                       absl::Span<const Parameter> params) {
  for (const std::string& required : rule.required_parameters) {
    bool present = false;
    for (const Parameter& p : params) present = present || p.name == required;
    if (!present) return false;
  }
  if (params.empty()) return true;
  if (!rule.denied_parameters.empty()) {
    if (rule.denied_parameters.contains("*")) return false;
    for (const Parameter& p : params) {
      auto it = rule.denied_parameters.find(absl::AsciiStrToLower(p.name));
      if (it != rule.denied_parameters.end() &&
          ValueMatches(p.value, it->second)) {
        return false;
      }
    }
  }
  const ParameterValues& allowed = rule.allowed_parameters;
  if (allowed.empty()) return true;
  const bool allowed_all = allowed.contains("*");
  if (allowed.size() == 1 && allowed_all) return true;
  for (const Parameter& p : params) {
    auto it = allowed.find(absl::AsciiStrToLower(p.name));
    if (it == allowed.end()) {
      if (!allowed_all) return false;
    } else if (!ValueMatches(p.value, it->second)) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Acl>> Acl::Create(
    absl::Span<const Policy> policies) {
  std::vector<const Policy*> pointers;
  pointers.reserve(policies.size());
  for (const Policy& p : policies) pointers.push_back(&p);
  return Create(absl::MakeConstSpan(pointers));
}

absl::StatusOr<std::unique_ptr<Acl>> Acl::Create(
    absl::Span<const Policy* const> policies) {
  bool root = false;
  for (const Policy* pp : policies) {
    COFFER_CHECK(pp != nullptr);
    const Policy& p = *pp;
    if (p.name == kRootPolicyName) {
      if (policies.size() != 1) {
        return absl::InvalidArgumentError(
            "acl: other policies present along with root");
      }
      root = true;
    } else {
      COFFER_RETURN_IF_ERROR(ValidatePolicy(p));
    }
  }
  if (root) return std::unique_ptr<Acl>(new Acl(true, nullptr));

  std::vector<MergedRule> rules;
  absl::flat_hash_map<absl::string_view, size_t> by_pattern;
  for (const Policy* p : policies) {
    for (const PathRule& r : p->rules) {
      auto [it, fresh] = by_pattern.emplace(r.path, rules.size());
      if (fresh) {
        MergedRule m;
        m.pattern = r.path;
        rules.push_back(std::move(m));
      }
      Merge(r, &rules[it->second]);
    }
  }
  return std::unique_ptr<Acl>(
      new Acl(false, std::make_unique<Index>(std::move(rules))));
}

Acl::Acl(bool root, std::unique_ptr<Index> index)
    : root_(root), index_(std::move(index)) {}

Acl::~Acl() = default;

CapabilitySet Acl::Capabilities(absl::string_view path) const {
  if (root_) return CapabilitySet::AllGrants();
  const MergedRule* rule = index_->Match(path);
  return rule == nullptr ? CapabilitySet() : rule->capabilities;
}

absl::Status Acl::Allowed(absl::string_view path, Capability capability,
                          absl::Span<const Parameter> parameters) const {
  COFFER_CHECK(capability != Capability::kDeny);
  if (root_) return absl::OkStatus();
  const MergedRule* rule = index_->Match(path);
  if (rule == nullptr || rule->capabilities.Has(Capability::kDeny) ||
      !rule->capabilities.Has(capability)) {
    return Denied();
  }
  // Merging can leave min > max (Vault refuses such a rule).
  if (rule->min_wrapping_ttl > absl::ZeroDuration() &&
      rule->max_wrapping_ttl > absl::ZeroDuration() &&
      rule->max_wrapping_ttl < rule->min_wrapping_ttl) {
    return Denied();
  }
  switch (capability) {
    case Capability::kCreate:
    case Capability::kRead:
    case Capability::kUpdate:
    case Capability::kPatch:
      if (!ParametersAllowed(*rule, parameters)) return Denied();
      break;
    default:
      break;
  }
  return absl::OkStatus();
}

bool Acl::GrantsUnder(absl::string_view prefix) const {
  if (root_) return true;
  auto grants = [](const CapabilitySet& caps) {
    return !caps.empty() && !caps.Has(Capability::kDeny);
  };
  if (grants(Capabilities(prefix))) return true;
  for (const MergedRule& r : index_->rules()) {
    if (grants(r.capabilities) && PatternReachesUnder(r.pattern, prefix)) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> Acl::CapabilityNames(absl::string_view path) const {
  if (root_) return {"root"};
  CapabilitySet caps = Capabilities(path);
  if (caps.empty() || caps.Has(Capability::kDeny)) return {"deny"};
  return caps.Names();
}

}  // namespace coffer::acl
