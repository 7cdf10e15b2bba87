// ACL policies: the model of Vault's policy language, and the built-ins.
//
// A policy is a name and a list of path rules. Each rule grants (or, with
// `deny`, refuses) capabilities on the paths its pattern matches
// (pattern.h), and may constrain a request's parameters:
//   - required_parameters: names that must be present;
//   - allowed_parameters: name -> values. Only listed names may be sent; an
//     empty value list allows any value; the name "*" allows every name not
//     listed. Values may be globs: "foo-*" (prefix), "*-foo" (suffix),
//     "*foo*" (substring); a lone "*" is the literal string "*" (Vault's
//     rule: a glob needs at least 2 bytes).
//   - denied_parameters: name -> values, the same shapes; a listed name
//     with an empty list (or the name "*") refuses the request outright;
//     denied wins over allowed.
//   - min_wrapping_ttl / max_wrapping_ttl: parsed and kept, not enforced:
//     coffer has no response wrapping (yet). A merged rule whose minimum
//     exceeds its maximum refuses everything, as in Vault.
// Parameter names are lower-case in a policy (ParsePolicy lowercases them,
// as Vault does); request names are lowercased when looked up.
//
// Built-in policies:
//   - "root": no rules; an ACL holding it allows everything, sudo
//     included, and must hold nothing else. It can be neither modified
//     nor deleted, and is never stored.
//   - "default": attached to tokens by default. It can be modified but not
//     deleted (Vault's rules). Coffer ships a subset of Vault's default
//     policy: the token self-service paths (auth/token/lookup-self read,
//     renew-self and revoke-self update), sys/capabilities-self (update)
//     and sys/tools/hash, sys/tools/hash/* (update; hashing is a pure
//     tool). It leaves out what coffer has no engine for: cubbyhole/*,
//     identity/*, sys/leases/* and sys/renew (coffer issues no leases;
//     tokens renew through renew-self), sys/wrapping/* (no response
//     wrapping), sys/control-group/request (Vault Enterprise),
//     sys/internal/ui/resultant-acl (no UI).
//
// Thread-safety: value types and pure functions; DefaultPolicy() returns a
// shared immutable object.
#ifndef COFFER_LIB_ACL_POLICY_H_
#define COFFER_LIB_ACL_POLICY_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "acl/capability.h"

namespace coffer::acl {

inline constexpr absl::string_view kRootPolicyName = "root";
inline constexpr absl::string_view kDefaultPolicyName = "default";

// Parameter name -> allowed (or denied) values; an empty list: any value.
// Ordered, so that encoding is deterministic.
using ParameterValues = std::map<std::string, std::vector<std::string>>;

struct PathRule {
  std::string path;  // a pattern (pattern.h)
  CapabilitySet capabilities;
  std::vector<std::string> required_parameters;
  ParameterValues allowed_parameters;
  ParameterValues denied_parameters;
  absl::Duration min_wrapping_ttl = absl::ZeroDuration();  // 0: none
  absl::Duration max_wrapping_ttl = absl::ZeroDuration();  // 0: none
};

struct Policy {
  std::string name;             // NormalizePolicyName's form
  std::vector<PathRule> rules;  // in the order written
  std::string text;             // the source it was parsed from; may be empty
};

// The stored form of a policy name: ASCII-lowercased (Vault lowercases
// policy names, so "Dev" and "dev" are one policy), with surrounding
// spaces trimmed. kInvalidArgument "acl: invalid policy name ..." unless
// the result is 1..128 bytes of [a-z0-9._-] starting with a letter or a
// digit (stricter than Vault, which takes any string; these names are
// stable in URLs, logs and storage keys).
absl::StatusOr<std::string> NormalizePolicyName(absl::string_view name);

// OK if `policy` is well formed: its name is in normal form, every rule's
// pattern is valid, deny (if present) is its rule's only capability,
// parameter names are non-empty and lower-case, wrapping TTLs are
// non-negative and min <= max where both are set. Otherwise
// kInvalidArgument naming the policy and the bad rule.
absl::Status ValidatePolicy(const Policy& policy);

// The built-in "root" policy: the name alone.
Policy RootPolicy();

// The built-in "default" policy as coffer ships it (see above). A static
// object, valid for the life of the program.
const Policy& DefaultPolicy();

// Vault's rules for the built-ins: root can be neither written nor
// deleted; default can be written but not deleted.
bool CanWritePolicy(absl::string_view name);
bool CanDeletePolicy(absl::string_view name);

}  // namespace coffer::acl

#endif  // COFFER_LIB_ACL_POLICY_H_
