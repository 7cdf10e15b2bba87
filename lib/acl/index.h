// The compiled index of an ACL: merged rules by pattern, and the lookup
// that finds the one rule that governs a path.
//
// Structure (built once, read-only after):
//   - exact_: pattern -> rule for patterns without a wildcard. An exact
//     match outranks every wildcard match (pattern.h, rule 1 or 2), so a
//     hit ends the lookup: one hash probe.
//   - a segment trie for the patterns with wildcards: one node per
//     pattern prefix of whole segments, a literal child per segment and
//     one `+` child. A pattern without a trailing `*` ends at a node
//     (terminal); a glob "<segments>/<partial>*" hangs off the node of its
//     segments under its partial last segment. The lookup walks the
//     path's segments, following both the literal and the `+` child, and
//     keeps the candidate that TakesPriority. At one node every glob has
//     the same segments before its partial, so the longest partial that
//     prefixes the path's segment is the best of them (rules 1 and 4);
//     the node keeps its partials' distinct lengths, longest first, to
//     probe for it. The walk takes the literal child first and skips a
//     `+` child when the best candidate so far has its first wildcard
//     later than any pattern below that child can (rule 1).
// Cost per lookup: one hash probe on an exact hit; otherwise about one
// probe per path segment per live branch of the walk.
//
// Thread-safety: immutable once constructed; concurrent lookups are safe.
#ifndef COFFER_LIB_ACL_INDEX_H_
#define COFFER_LIB_ACL_INDEX_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "acl/capability.h"
#include "acl/pattern.h"
#include "acl/policy.h"

namespace coffer::acl {

// The rules of every policy for one pattern, merged (acl.h says how).
struct MergedRule {
  std::string pattern;
  Specificity specificity;  // of `pattern` (borrows it; see Index)
  CapabilitySet capabilities;
  std::vector<std::string> required_parameters;
  ParameterValues allowed_parameters;  // empty: any parameter
  ParameterValues denied_parameters;
  absl::Duration min_wrapping_ttl = absl::ZeroDuration();
  absl::Duration max_wrapping_ttl = absl::ZeroDuration();
};

class Index {
 public:
  // Indexes `rules`, which it takes; their patterns are distinct and valid.
  explicit Index(std::vector<MergedRule> rules);
  Index(const Index&) = delete;
  Index& operator=(const Index&) = delete;

  // The rule that governs `path`, or null if no pattern matches. The
  // pointer lives as long as this Index.
  const MergedRule* Match(absl::string_view path) const;

  const std::vector<MergedRule>& rules() const { return rules_; }

 private:
  struct Node {
    absl::flat_hash_map<std::string, std::unique_ptr<Node>> children;
    std::unique_ptr<Node> plus;
    const MergedRule* terminal = nullptr;
    absl::flat_hash_map<std::string, const MergedRule*> globs;
    std::vector<size_t> glob_lengths;  // distinct partial lengths, descending
  };

  void Insert(const MergedRule* rule);
  // Offers to *best the patterns below `node` that match segs[depth..n).
  // `offset` is the byte offset in the pattern of segment `depth`;
  // `first_plus` that of the first `+` taken on the way here (SIZE_MAX:
  // none).
  static void Walk(const Node* node, const absl::string_view* segs, size_t n,
                   size_t depth, size_t offset, size_t first_plus,
                   const MergedRule** best);

  // Invariant: never resized after the constructor (pointers into it are
  // held by exact_ and the trie).
  std::vector<MergedRule> rules_;
  absl::flat_hash_map<std::string, const MergedRule*> exact_;
  Node root_;
  bool has_wildcards_ = false;
};

}  // namespace coffer::acl

#endif  // COFFER_LIB_ACL_INDEX_H_
