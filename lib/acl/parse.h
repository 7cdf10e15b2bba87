// Parsing Vault's policy language, in HCL or in its JSON form.
//
//   name = "..."                  optional; ignored (the name is an argument)
//   path "<pattern>" {
//     capabilities        = ["create", "read", ...]
//     policy              = "read"     Vault's old shorthand: deny, read
//                                      (read, list), write (create, read,
//                                      update, delete, list), sudo (write's
//                                      and sudo)
//     required_parameters = ["name", ...]
//     allowed_parameters  = { "name" = ["value", ...], "*" = [] }
//     denied_parameters   = { "name" = [...] }
//     min_wrapping_ttl    = "1s"       a Go-style duration, or a number or
//     max_wrapping_ttl    = 90         digit string of seconds
//     comment             = "..."      ignored
//   }
// `path` blocks may repeat, the same pattern too (merged as in acl.h).
// A capability list holding "deny" is deny alone (Vault's rule). Parameter
// names are lowercased (Vault's rule); values may be strings, numbers (their
// source text) or booleans ("true", "false"), and are matched as text. A
// leading '/' of a pattern is dropped.
//
// Refused, each as kInvalidArgument "acl: <line>:<col>: <what>" at the
// offending key or value: malformed HCL or JSON (lib/hcl's message, with
// this prefix), unknown keys, values of the wrong kind, unknown
// capabilities or shorthands, invalid patterns (pattern.h), templated
// patterns ("{{identity...}}": not supported), Vault Enterprise keys
// (mfa_methods, control_group) and subscribe_event_types, bad or negative
// durations, min_wrapping_ttl over max_wrapping_ttl. A bad `name` argument
// is NormalizePolicyName's error.
//
// Thread-safety: pure functions.
#ifndef COFFER_LIB_ACL_PARSE_H_
#define COFFER_LIB_ACL_PARSE_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "acl/policy.h"

namespace coffer::acl {

// The policy named `name` (normalized: NormalizePolicyName) written in
// `text`, HCL or JSON (JSON if its first non-blank byte is '{'). The result
// passes ValidatePolicy and keeps `text`. Refuses "root" (built in). `text`
// is only read during the call.
absl::StatusOr<Policy> ParsePolicy(absl::string_view name,
                                   absl::string_view text);

}  // namespace coffer::acl

#endif  // COFFER_LIB_ACL_PARSE_H_
