#include "acl/index.h"

#include <algorithm>
#include <cstdint>

#include "absl/container/inlined_vector.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace coffer::acl {

Index::Index(std::vector<MergedRule> rules) : rules_(std::move(rules)) {
  for (MergedRule& r : rules_) {
    r.specificity = SpecificityOf(r.pattern);
    if (!r.specificity.has_wildcard()) {
      exact_.emplace(r.pattern, &r);
    } else {
      Insert(&r);
      has_wildcards_ = true;
    }
  }
}

void Index::Insert(const MergedRule* rule) {
  absl::string_view p = rule->pattern;
  const bool glob = rule->specificity.glob;
  if (glob) p.remove_suffix(1);
  std::vector<absl::string_view> segs = absl::StrSplit(p, '/');
  // A glob's last segment is its partial; it does not get a node.
  const size_t whole = glob ? segs.size() - 1 : segs.size();
  Node* node = &root_;
  for (size_t i = 0; i < whole; ++i) {
    std::unique_ptr<Node>* next;
    if (segs[i] == "+") {
      next = &node->plus;
    } else {
      next = &node->children[segs[i]];
    }
    if (*next == nullptr) *next = std::make_unique<Node>();
    node = next->get();
  }
  if (!glob) {
    node->terminal = rule;
    return;
  }
  absl::string_view partial = segs.back();
  node->globs.emplace(partial, rule);
  auto& lengths = node->glob_lengths;
  if (std::find(lengths.begin(), lengths.end(), partial.size()) ==
      lengths.end()) {
    lengths.push_back(partial.size());
    std::sort(lengths.rbegin(), lengths.rend());
  }
}

void Index::Walk(const Node* node, const absl::string_view* segs, size_t n,
                 size_t depth, size_t offset, size_t first_plus,
                 const MergedRule** best) {
  auto offer = [best](const MergedRule* r) {
    if (*best == nullptr ||
        TakesPriority(r->specificity, (*best)->specificity)) {
      *best = r;
    }
  };
  if (depth == n) {
    if (node->terminal != nullptr) offer(node->terminal);
    return;
  }
  const absl::string_view seg = segs[depth];
  for (size_t len : node->glob_lengths) {
    if (len > seg.size()) continue;
    auto it = node->globs.find(seg.substr(0, len));
    if (it != node->globs.end()) {
      offer(it->second);
      break;
    }
  }
  if (!node->children.empty()) {
    auto it = node->children.find(seg);
    if (it != node->children.end()) {
      Walk(it->second.get(), segs, n, depth + 1, offset + seg.size() + 1,
           first_plus, best);
    }
  }
  if (node->plus == nullptr) return;
  // Every pattern below the `+` child has its first wildcard at or before
  // min(first_plus, offset): if the best so far has it later, rule 1
  // rules the whole subtree out.
  const size_t bound = std::min(first_plus, offset);
  if (*best != nullptr && (*best)->specificity.first_wildcard > bound) return;
  Walk(node->plus.get(), segs, n, depth + 1, offset + 2, bound, best);
}

const MergedRule* Index::Match(absl::string_view path) const {
  if (!exact_.empty()) {
    auto it = exact_.find(path);
    if (it != exact_.end()) return it->second;
  }
  if (!has_wildcards_) return nullptr;
  absl::InlinedVector<absl::string_view, 16> segs;
  size_t start = 0;
  while (true) {
    size_t end = path.find('/', start);
    if (end == absl::string_view::npos) {
      segs.push_back(path.substr(start));
      break;
    }
    segs.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  const MergedRule* best = nullptr;
  Walk(&root_, segs.data(), segs.size(), 0, 0, SIZE_MAX, &best);
  return best;
}

}  // namespace coffer::acl
