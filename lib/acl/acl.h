// An ACL: the policies of one token, compiled for checking requests
// (Vault's ACL, built by NewACL).
//
// Which rule governs a path. Vault's rules, as its policy documentation
// states them:
//   - Merging. Over all the policies of the ACL, the rules written for the
//     same pattern (byte-equal) are merged into one: their capabilities
//     are unioned, except that deny wins: once any of them holds deny,
//     the merged rule is deny alone and its parameter constraints are
//     dropped. Parameter constraints merge as Vault merges them:
//     required names are unioned; allowed (and, separately, denied)
//     value lists are concatenated per name, and an empty list (any
//     value) absorbs the others; a rule without allowed_parameters
//     contributes nothing to them (so a rule that allows every parameter
//     merged with one that lists some allows only those, Vault's quirk).
//     Wrapping TTLs take the smaller of the set values.
//   - Priority. When several (merged) patterns match a path, only the
//     most specific governs it; the others are ignored, deny included.
//     Vault's tie-breakers decide, in order; a pattern P1 has lower
//     priority than P2 if:
//       1. the first wildcard (`+` or `*`) occurs earlier in P1;
//       2. P1 ends in `*` and P2 does not;
//       3. P1 has more `+` (wildcard) segments;
//       4. P1 is shorter;
//       5. P1 is smaller lexicographically.
//     So an exact pattern beats every wildcard that matches the same path.
//     Vault's example: "secret/*" and "secret/+/*" have their first
//     wildcard at the same offset and both end in `*`; the latter has one
//     `+` segment more, so it loses at rule 3.
//   - Root. An ACL holding the "root" policy allows everything (sudo
//     included) and may hold no other policy.
//
// Checking a request (Allowed) against the governing rule, as Vault does:
// no rule, deny, or the capability missing: refused. Then, for create,
// read, update and patch: every required parameter must be present; a
// request without parameters is then allowed; otherwise denied
// parameters are checked (a "*" entry refuses any parameter; a name
// listed with an empty list or a matching value refuses), then allowed
// ones (none listed: allowed; a name not listed is refused unless "*" is
// listed; a listed name's value must match its list).
//
// Not implemented from Vault: templated paths ({{identity...}}), Vault's
// LIST fallback from "a/" to an exact rule "a", wrapping TTL enforcement,
// control groups, namespaces, Sentinel.
//
// Thread-safety: immutable after Create; every method is const and safe
// to call concurrently.
#ifndef COFFER_LIB_ACL_ACL_H_
#define COFFER_LIB_ACL_ACL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "acl/capability.h"
#include "acl/policy.h"

namespace coffer::acl {

class Index;

// One request parameter (a field of the request body).
struct Parameter {
  absl::string_view name;
  absl::string_view value;
};

class Acl {
 public:
  // Compiles `policies` (borrowed for the call only). kInvalidArgument if
  // a policy is invalid (ValidatePolicy; the root policy is exempt) or if
  // "root" comes with other policies ("acl: other policies present along
  // with root"). An empty list gives an ACL that refuses everything.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Acl>> Create(
      absl::Span<const Policy> policies);
  // The same over borrowed policies (e.g. a policy cache's), which need
  // only live for the call. REQUIRES: no pointer is null.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Acl>> Create(
      absl::Span<const Policy* const> policies);
  ~Acl();
  Acl(const Acl&) = delete;
  Acl& operator=(const Acl&) = delete;

  // The capabilities the governing rule of `path` grants: every one but
  // deny for root; {deny} for a deny rule; empty when no rule matches.
  CapabilitySet Capabilities(absl::string_view path) const;

  // OK if a request for `capability` on `path` with `parameters` is
  // allowed, else kPermissionDenied "permission denied" (which rule
  // refused is never told). `parameters` is borrowed for the call.
  // REQUIRES: capability != kDeny.
  [[nodiscard]] absl::Status Allowed(
      absl::string_view path, Capability capability,
      absl::Span<const Parameter> parameters = {}) const;

  // The answer of Vault's sys/capabilities for `path`: {"root"} for root;
  // {"deny"} if the governing rule denies, or grants nothing, or there is
  // none; else the granted capabilities' names, sorted.
  std::vector<std::string> CapabilityNames(absl::string_view path) const;

  // True if the ACL grants any capability (deny aside) on some path that
  // starts with `prefix`: Vault's test of whether a token may see a mount
  // (sys/internal/ui/mounts). Root sees everything.
  bool GrantsUnder(absl::string_view prefix) const;

  bool is_root() const { return root_; }

 private:
  Acl(bool root, std::unique_ptr<Index> index);

  const bool root_;
  const std::unique_ptr<Index> index_;  // null for root
};

}  // namespace coffer::acl

#endif  // COFFER_LIB_ACL_ACL_H_
