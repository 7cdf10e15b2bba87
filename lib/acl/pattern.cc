#include "acl/pattern.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace coffer::acl {
namespace {

absl::Status Invalid(absl::string_view pattern, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("acl: path \"", pattern, "\": ", why));
}

}  // namespace

absl::Status ValidatePattern(absl::string_view pattern) {
  if (pattern.empty()) return Invalid(pattern, "empty");
  if (pattern.front() == '/') return Invalid(pattern, "leading '/'");
  if (pattern.find('\0') != absl::string_view::npos) {
    return Invalid(pattern, "NUL byte");
  }
  size_t star = pattern.find('*');
  if (star != absl::string_view::npos && star + 1 != pattern.size()) {
    return Invalid(pattern, "'*' is only allowed as the last character");
  }
  for (absl::string_view seg : absl::StrSplit(pattern, '/')) {
    if (seg == "+*") return Invalid(pattern, "'+*' is not allowed");
  }
  return absl::OkStatus();
}

Specificity SpecificityOf(absl::string_view pattern) {
  Specificity s;
  s.text = pattern;
  s.glob = absl::EndsWith(pattern, "*");
  s.length = pattern.size() - (s.glob ? 1 : 0);
  s.first_wildcard = s.glob ? s.length : pattern.size();
  size_t start = 0;
  while (start <= pattern.size()) {
    size_t end = pattern.find('/', start);
    if (end == absl::string_view::npos) end = pattern.size();
    if (pattern.substr(start, end - start) == "+") {
      if (s.plus_count == 0 && start < s.first_wildcard) {
        s.first_wildcard = start;
      }
      ++s.plus_count;
    }
    start = end + 1;
  }
  return s;
}

bool TakesPriority(const Specificity& a, const Specificity& b) {
  if (a.first_wildcard != b.first_wildcard) {
    return a.first_wildcard > b.first_wildcard;  // rule 1
  }
  if (a.glob != b.glob) return !a.glob;  // rule 2
  if (a.plus_count != b.plus_count) {
    return a.plus_count < b.plus_count;  // rule 3
  }
  if (a.length != b.length) return a.length > b.length;  // rule 4
  return a.text > b.text;                                // rule 5
}

bool PatternMatches(absl::string_view pattern, absl::string_view path) {
  const bool glob = absl::EndsWith(pattern, "*");
  if (glob) pattern.remove_suffix(1);
  std::vector<absl::string_view> want = absl::StrSplit(pattern, '/');
  std::vector<absl::string_view> have = absl::StrSplit(path, '/');
  if (have.size() < want.size()) return false;
  if (!glob && have.size() != want.size()) return false;
  for (size_t i = 0; i < want.size(); ++i) {
    const bool last = i + 1 == want.size();
    if (want[i] == "+") continue;
    if (glob && last) {
      if (!absl::StartsWith(have[i], want[i])) return false;
    } else if (want[i] != have[i]) {
      return false;
    }
  }
  return true;
}

bool PatternReachesUnder(absl::string_view pattern, absl::string_view prefix) {
  const bool glob = absl::EndsWith(pattern, "*");
  if (glob) pattern.remove_suffix(1);
  std::vector<absl::string_view> want = absl::StrSplit(pattern, '/');
  // The prefix's last segment is partial: a path under it extends it.
  std::vector<absl::string_view> have = absl::StrSplit(prefix, '/');
  const size_t full = have.size() - 1;
  for (size_t i = 0; i <= full; ++i) {
    if (i == want.size()) return false;  // the path has more segments
    const bool partial = glob && i + 1 == want.size();
    if (i == full) {
      // The path's segment here is have[i] followed by anything.
      if (want[i] == "+" && !partial) return true;
      return partial ? absl::StartsWith(want[i], have[i]) ||
                           absl::StartsWith(have[i], want[i])
                     : absl::StartsWith(want[i], have[i]);
    }
    if (partial) return absl::StartsWith(have[i], want[i]);
    if (want[i] != "+" && want[i] != have[i]) return false;
  }
  return false;  // not reached: the loop returns at i == full
}

}  // namespace coffer::acl
