// Path patterns of ACL rules and their specificity order.
//
// A pattern is a path, optionally with wildcards:
//   - a trailing `*` (a glob): the rest of the pattern is a prefix, so
//     "secret/foo*" matches "secret/foo", "secret/foobar" and
//     "secret/foo/bar/baz". `*` anywhere else is invalid (Vault treats it
//     as a literal; coffer refuses it as a likely mistake).
//   - `+` as a whole segment (between slashes, or at either end): exactly one
//     path segment, whatever its bytes (Vault's rule; an empty segment
//     included). "secret/+/teamb/*" matches "secret/a/teamb/x". A `+`
//     inside a segment ("a+b") is a literal character, as in Vault. The
//     segment "+*" is invalid, as in Vault.
// Paths and patterns are split at '/': "a/b/" has the segments a, b and "".
//
// Thread-safety: pure functions.
#ifndef COFFER_LIB_ACL_PATTERN_H_
#define COFFER_LIB_ACL_PATTERN_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace coffer::acl {

// OK if `pattern` is a valid rule pattern: non-empty, no leading '/',
// `*` only as its last byte, no "+*" segment, no NUL byte. Otherwise
// kInvalidArgument "acl: path \"<pattern>\": <why>".
absl::Status ValidatePattern(absl::string_view pattern);

// What Vault's tie-breakers look at. For an exact pattern (no wildcard)
// first_wildcard is its length: past every wildcard position a matching
// pattern can have, so an exact match wins rule 1 or, against "<path>*",
// rule 2.
struct Specificity {
  size_t first_wildcard = 0;  // byte offset of the first `+` segment or `*`
  bool glob = false;          // ends in `*`
  size_t plus_count = 0;      // number of `+` segments
  size_t length = 0;          // bytes, without a trailing `*`
  absl::string_view text;     // the pattern; borrowed

  bool has_wildcard() const { return glob || plus_count > 0; }
};

// REQUIRES: ValidatePattern(pattern).ok(). The result borrows `pattern`.
Specificity SpecificityOf(absl::string_view pattern);

// True if a pattern of specificity `a` takes priority over one of `b` when
// both match a path. Vault's tie-breakers, in order (a pattern "loses" to
// the other, i.e. has lower priority, if):
//   1. its first wildcard (`+` or `*`) comes earlier;
//   2. it ends in `*` and the other does not;
//   3. it has more `+` segments;
//   4. it is shorter;
//   5. it is lexicographically smaller.
// A strict total order on distinct patterns.
bool TakesPriority(const Specificity& a, const Specificity& b);

// True if `pattern` matches `path`. The straightforward definition: the
// ACL's index (acl.cc) must agree with it; tests compare the two.
// REQUIRES: ValidatePattern(pattern).ok().
bool PatternMatches(absl::string_view pattern, absl::string_view path);

// True if `pattern` matches some path that starts with `prefix` (Vault's
// test of whether a rule reaches under a mount). REQUIRES:
// ValidatePattern(pattern).ok().
bool PatternReachesUnder(absl::string_view pattern, absl::string_view prefix);

}  // namespace coffer::acl

#endif  // COFFER_LIB_ACL_PATTERN_H_
