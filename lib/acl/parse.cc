#include "acl/parse.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "acl/pattern.h"
#include "base/status_macros.h"
#include "hcl/hcl.h"

namespace coffer::acl {
namespace {

absl::Status Error(hcl::Pos pos, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("acl: ", pos.line, ":", pos.column, ": ", what));
}

absl::Status UnknownKey(hcl::Pos pos, absl::string_view key) {
  return Error(pos, absl::StrCat("unknown key \"", key, "\""));
}

absl::Status WrongKind(const hcl::Value& v, absl::string_view key,
                       absl::string_view want) {
  return Error(v.pos, absl::StrCat(key, ": want ", want, ", got ",
                                   hcl::KindName(v.kind)));
}

absl::StatusOr<std::vector<std::string>> Strings(const hcl::Attribute& a) {
  if (!a.value.is_list()) return WrongKind(a.value, a.key, "a list of strings");
  std::vector<std::string> out;
  for (const hcl::Value& v : a.value.list) {
    if (!v.is_string()) return WrongKind(v, a.key, "a string");
    out.push_back(v.string);
  }
  return out;
}

absl::StatusOr<absl::Duration> Duration(const hcl::Attribute& a) {
  const hcl::Value& v = a.value;
  int64_t seconds = 0;
  if (v.is_number()) {
    if (!v.is_integer)
      return Error(v.pos, absl::StrCat(a.key, ": not whole seconds"));
    seconds = v.integer;
  } else if (v.is_string()) {
    absl::Duration d;
    if (absl::SimpleAtoi(v.string, &seconds)) {
      // seconds, below
    } else if (absl::EndsWith(v.string, "d") &&
               absl::SimpleAtoi(
                   absl::string_view(v.string).substr(0, v.string.size() - 1),
                   &seconds)) {
      seconds *= 24 * 3600;
    } else if (absl::ParseDuration(v.string, &d) &&
               d != absl::InfiniteDuration() &&
               d != -absl::InfiniteDuration()) {
      if (d < absl::ZeroDuration()) {
        return Error(v.pos, absl::StrCat(a.key, ": negative duration"));
      }
      return d;
    } else {
      return Error(v.pos,
                   absl::StrCat(a.key, ": bad duration \"", v.string, "\""));
    }
  } else {
    return WrongKind(v, a.key, "a duration");
  }
  if (seconds < 0)
    return Error(v.pos, absl::StrCat(a.key, ": negative duration"));
  return absl::Seconds(seconds);
}

absl::Status AddShorthand(const hcl::Attribute& a, CapabilitySet* caps) {
  using C = Capability;
  if (!a.value.is_string()) return WrongKind(a.value, a.key, "a string");
  const std::string& s = a.value.string;
  if (s == "deny") {
    caps->Add(C::kDeny);
  } else if (s == "read") {
    caps->AddAll({C::kRead, C::kList});
  } else if (s == "write" || s == "sudo") {
    caps->AddAll({C::kCreate, C::kRead, C::kUpdate, C::kDelete, C::kList});
    if (s == "sudo") caps->Add(C::kSudo);
  } else {
    return Error(a.value.pos,
                 absl::StrCat("policy: unknown shorthand \"", s, "\""));
  }
  return absl::OkStatus();
}

// One scalar parameter value as text.
absl::StatusOr<std::string> ValueText(const hcl::Value& v,
                                      absl::string_view key) {
  if (v.is_string() || v.is_number()) return v.string;
  if (v.is_bool()) return std::string(v.boolean ? "true" : "false");
  return WrongKind(v, key, "a string, number or bool");
}

absl::Status ParseParameters(const hcl::Block& block, ParameterValues* out) {
  if (!block.labels.empty()) {
    return Error(block.pos, absl::StrCat(block.type, ": takes no label"));
  }
  if (!block.body.blocks.empty()) {
    const hcl::Block& b = block.body.blocks.front();
    return Error(b.pos, absl::StrCat(block.type, ": \"", b.type,
                                     "\" must be a list of values"));
  }
  for (const hcl::Attribute& a : block.body.attributes) {
    if (a.key.empty()) return Error(a.pos, "empty parameter name");
    if (!a.value.is_list()) {
      return WrongKind(a.value, a.key, "a list of values");
    }
    std::vector<std::string>& values = (*out)[absl::AsciiStrToLower(a.key)];
    for (const hcl::Value& v : a.value.list) {
      COFFER_ASSIGN_OR_RETURN(std::string text, ValueText(v, a.key));
      values.push_back(std::move(text));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<PathRule> ParsePath(const hcl::Block& block) {
  if (block.labels.size() != 1) {
    return Error(block.pos, "path: want one pattern label");
  }
  PathRule rule;
  absl::string_view pattern = block.labels[0];
  if (absl::StartsWith(pattern, "/")) pattern.remove_prefix(1);
  if (absl::StrContains(pattern, "{{")) {
    return Error(block.pos, absl::StrCat("path \"", block.labels[0],
                                         "\": templated paths are not "
                                         "supported"));
  }
  absl::Status valid = ValidatePattern(pattern);
  if (!valid.ok()) return Error(block.pos, valid.message().substr(5));
  rule.path = std::string(pattern);

  hcl::Pos min_pos, max_pos;
  for (const hcl::Attribute& a : block.body.attributes) {
    if (a.key == "capabilities") {
      if (!a.value.is_list()) {
        return WrongKind(a.value, a.key, "a list of strings");
      }
      for (const hcl::Value& v : a.value.list) {
        if (!v.is_string()) return WrongKind(v, a.key, "a string");
        absl::StatusOr<Capability> c = ParseCapability(v.string);
        if (!c.ok()) return Error(v.pos, c.status().message().substr(5));
        rule.capabilities.Add(*c);
      }
    } else if (a.key == "policy") {
      COFFER_RETURN_IF_ERROR(AddShorthand(a, &rule.capabilities));
    } else if (a.key == "required_parameters") {
      COFFER_ASSIGN_OR_RETURN(std::vector<std::string> names, Strings(a));
      for (std::string& n : names) {
        if (n.empty()) return Error(a.value.pos, "empty parameter name");
        rule.required_parameters.push_back(absl::AsciiStrToLower(n));
      }
    } else if (a.key == "min_wrapping_ttl") {
      COFFER_ASSIGN_OR_RETURN(rule.min_wrapping_ttl, Duration(a));
      min_pos = a.pos;
    } else if (a.key == "max_wrapping_ttl") {
      COFFER_ASSIGN_OR_RETURN(rule.max_wrapping_ttl, Duration(a));
      max_pos = a.pos;
    } else if (a.key == "comment") {
      if (!a.value.is_string()) return WrongKind(a.value, a.key, "a string");
    } else if (a.key == "mfa_methods" || a.key == "control_group" ||
               a.key == "subscribe_event_types") {
      return Error(a.pos, absl::StrCat("\"", a.key, "\" is not supported"));
    } else {
      return UnknownKey(a.pos, a.key);
    }
  }
  for (const hcl::Block& b : block.body.blocks) {
    if (b.type == "allowed_parameters") {
      COFFER_RETURN_IF_ERROR(ParseParameters(b, &rule.allowed_parameters));
    } else if (b.type == "denied_parameters") {
      COFFER_RETURN_IF_ERROR(ParseParameters(b, &rule.denied_parameters));
    } else if (b.type == "control_group" || b.type == "mfa_methods") {
      return Error(b.pos, absl::StrCat("\"", b.type, "\" is not supported"));
    } else {
      return UnknownKey(b.pos, b.type);
    }
  }
  if (rule.capabilities.Has(Capability::kDeny)) {
    rule.capabilities = CapabilitySet({Capability::kDeny});
  }
  if (rule.min_wrapping_ttl > absl::ZeroDuration() &&
      rule.max_wrapping_ttl > absl::ZeroDuration() &&
      rule.min_wrapping_ttl > rule.max_wrapping_ttl) {
    return Error(max_pos, "max_wrapping_ttl: less than min_wrapping_ttl");
  }
  return rule;
}

}  // namespace

absl::StatusOr<Policy> ParsePolicy(absl::string_view name,
                                   absl::string_view text) {
  Policy policy;
  COFFER_ASSIGN_OR_RETURN(policy.name, NormalizePolicyName(name));
  if (policy.name == kRootPolicyName) {
    return absl::InvalidArgumentError(
        "acl: \"root\" is built in and cannot be written");
  }
  hcl::Options options;
  options.block_labels = {
      {"path", 1}, {"allowed_parameters", 0}, {"denied_parameters", 0}};
  const bool json =
      absl::StartsWith(absl::StripLeadingAsciiWhitespace(text), "{");
  absl::StatusOr<hcl::Body> body =
      json ? hcl::ParseJson(text, options) : hcl::Parse(text, options);
  if (!body.ok()) {
    absl::string_view m = body.status().message();
    if (absl::StartsWith(m, "hcl: ")) m.remove_prefix(5);
    return absl::InvalidArgumentError(absl::StrCat("acl: ", m));
  }
  for (const hcl::Attribute& a : body->attributes) {
    if (a.key != "name") return UnknownKey(a.pos, a.key);
    if (!a.value.is_string()) return WrongKind(a.value, a.key, "a string");
  }
  for (const hcl::Block& b : body->blocks) {
    if (b.type != "path") return UnknownKey(b.pos, b.type);
    COFFER_ASSIGN_OR_RETURN(PathRule rule, ParsePath(b));
    policy.rules.push_back(std::move(rule));
  }
  policy.text = std::string(text);
  COFFER_RETURN_IF_ERROR(ValidatePolicy(policy));
  return policy;
}

}  // namespace coffer::acl
