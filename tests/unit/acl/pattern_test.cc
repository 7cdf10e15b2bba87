// Patterns: what each shape matches, what is refused, and the specificity
// order's tie-breakers one at a time.
#include "acl/pattern.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "support/catch.h"

namespace coffer::acl {
namespace {

TEST_CASE("an exact pattern matches only its own path", "[acl][pattern]") {
  // Vault's example: "secret/foo" allows neither secret/food nor
  // secret/foo/bar.
  CHECK(PatternMatches("secret/foo", "secret/foo"));
  CHECK_FALSE(PatternMatches("secret/foo", "secret/food"));
  CHECK_FALSE(PatternMatches("secret/foo", "secret/foo/bar"));
  CHECK_FALSE(PatternMatches("secret/foo", "secret/fo"));
  CHECK_FALSE(PatternMatches("secret/foo", "secret/foo/"));
}

TEST_CASE("a trailing star is a prefix glob", "[acl][pattern]") {
  // Vault's examples: secret/bar/* reads secret/bar/zip and
  // secret/bar/zip/zap but not secret/bars/zip; secret/zip-* reads
  // secret/zip-zap and secret/zip-zap/zong but not secret/zip/zap.
  CHECK(PatternMatches("secret/bar/*", "secret/bar/zip"));
  CHECK(PatternMatches("secret/bar/*", "secret/bar/zip/zap"));
  CHECK(PatternMatches("secret/bar/*", "secret/bar/"));
  CHECK_FALSE(PatternMatches("secret/bar/*", "secret/bars/zip"));
  CHECK_FALSE(PatternMatches("secret/bar/*", "secret/bar"));
  CHECK(PatternMatches("secret/zip-*", "secret/zip-zap"));
  CHECK(PatternMatches("secret/zip-*", "secret/zip-zap/zong"));
  CHECK(PatternMatches("secret/zip-*", "secret/zip-"));
  CHECK_FALSE(PatternMatches("secret/zip-*", "secret/zip/zap"));
  CHECK(PatternMatches("*", "anything/at/all"));
  CHECK(PatternMatches("*", ""));
}

TEST_CASE("a plus matches exactly one segment", "[acl][pattern]") {
  // Vault's examples: secret/+/teamb, secret/+/+/teamb.
  CHECK(PatternMatches("secret/+/teamb", "secret/foo/teamb"));
  CHECK(PatternMatches("secret/+/teamb", "secret/bar/teamb"));
  CHECK_FALSE(PatternMatches("secret/+/teamb", "secret/foo/bar/teamb"));
  CHECK_FALSE(PatternMatches("secret/+/teamb", "secret/teamb"));
  CHECK_FALSE(PatternMatches("secret/+/teamb", "secret/foo/teamb/x"));
  CHECK(PatternMatches("secret/+/+/teamb", "secret/foo/bar/teamb"));
  CHECK(PatternMatches("secret/+/+/teamb", "secret/bar/foo/teamb"));
  CHECK_FALSE(PatternMatches("secret/+/+/teamb", "secret/foo/teamb"));
  CHECK(PatternMatches("+/abc/123", "x/abc/123"));
  CHECK(PatternMatches("secret/abc/+", "secret/abc/1"));
  // Vault matches any segment, the empty one included.
  CHECK(PatternMatches("secret/+/x", "secret//x"));
  // "a+b" is a literal segment.
  CHECK(PatternMatches("secret/a+c/x", "secret/a+c/x"));
  CHECK_FALSE(PatternMatches("secret/a+c/x", "secret/abc/x"));
}

TEST_CASE("plus and star combine", "[acl][pattern]") {
  CHECK(PatternMatches("secret/+/teamb/*", "secret/a/teamb/x"));
  CHECK(PatternMatches("secret/+/teamb/*", "secret/a/teamb/x/y"));
  CHECK(PatternMatches("secret/+/teamb/*", "secret/a/teamb/"));
  CHECK_FALSE(PatternMatches("secret/+/teamb/*", "secret/a/teamb"));
  CHECK_FALSE(PatternMatches("secret/+/teamb/*", "secret/a/b/teamb/x"));
  CHECK(PatternMatches("secret/+/team*", "secret/a/teamb/x"));
  CHECK(PatternMatches("secret/+/*", "secret/a/b"));
  CHECK_FALSE(PatternMatches("secret/+/*", "secret/a"));
  CHECK(PatternMatches("secret/data/+/apps/webapp",
                       "secret/data/production/apps/webapp"));
  CHECK_FALSE(
      PatternMatches("secret/data/+/apps/webapp", "secret/data/apps/webapp"));
}

TEST_CASE("malformed patterns are refused", "[acl][pattern]") {
  CHECK(ValidatePattern("secret/foo").ok());
  CHECK(ValidatePattern("*").ok());
  CHECK(ValidatePattern("+").ok());
  CHECK(ValidatePattern("secret/+/*").ok());
  CHECK(ValidatePattern("secret/a+c/*").ok());
  for (absl::string_view bad : {"", "/secret/foo", "secret/*/123", "secret/a*c",
                                "secret/+*", "**", "+*"}) {
    INFO(bad);
    absl::Status s = ValidatePattern(bad);
    CHECK(absl::IsInvalidArgument(s));
    CHECK(s.message().substr(0, 11) == "acl: path \"");
  }
  CHECK_FALSE(ValidatePattern(absl::string_view("a\0b", 3)).ok());
}

TEST_CASE("specificity records what the tie-breakers read", "[acl][pattern]") {
  Specificity exact = SpecificityOf("secret/foo");
  CHECK(exact.first_wildcard == 10);
  CHECK_FALSE(exact.glob);
  CHECK(exact.plus_count == 0);
  CHECK(exact.length == 10);
  Specificity glob = SpecificityOf("secret/foo*");
  CHECK(glob.first_wildcard == 10);
  CHECK(glob.glob);
  CHECK(glob.length == 10);
  Specificity plus = SpecificityOf("secret/+/teamb/+/*");
  CHECK(plus.first_wildcard == 7);
  CHECK(plus.plus_count == 2);
  CHECK(plus.glob);
  CHECK(SpecificityOf("+").first_wildcard == 0);
  CHECK(SpecificityOf("a+b/+").first_wildcard == 4);
}

bool Beats(absl::string_view a, absl::string_view b) {
  bool ab = TakesPriority(SpecificityOf(a), SpecificityOf(b));
  bool ba = TakesPriority(SpecificityOf(b), SpecificityOf(a));
  REQUIRE(ab != ba);  // a strict total order
  return ab;
}

TEST_CASE("rule 1: the earlier first wildcard loses", "[acl][pattern]") {
  CHECK(Beats("secret/foo/+", "secret/+/bar"));
  CHECK(Beats("secret/foo/*", "secret/+/bar"));
  CHECK(Beats("secret/foo/bar*", "secret/foo/*"));
  CHECK(Beats("secret/a/+/c", "secret/+/b/c"));
  // An exact pattern has no wildcard: it beats any wildcard that matches.
  CHECK(Beats("secret/foo", "secret/+"));
  CHECK(Beats("secret/foo/", "secret/foo/+"));
}

TEST_CASE("rule 2: ending in star loses", "[acl][pattern]") {
  CHECK(Beats("secret/foo", "secret/foo*"));
  CHECK(Beats("secret/+/x", "secret/+/*"));
  CHECK(Beats("secret/+/+", "secret/+/*"));
}

TEST_CASE("rule 3: more plus segments lose", "[acl][pattern]") {
  // Vault's documented example.
  CHECK(Beats("secret/*", "secret/+/*"));
  CHECK(Beats("secret/+/b/c", "secret/+/+/c"));
}

TEST_CASE("rule 4: the shorter pattern loses", "[acl][pattern]") {
  CHECK(Beats("secret/+/bar/*", "secret/+/ba*"));
  CHECK(Beats("secret/+/long", "secret/+/a"));
}

TEST_CASE("rule 5: the lexicographically smaller pattern loses",
          "[acl][pattern]") {
  CHECK(Beats("secret/+/b", "secret/+/a"));
  CHECK(Beats("x/+/bb*", "x/+/aa*"));
}

}  // namespace
}  // namespace coffer::acl

namespace coffer::acl {
namespace {

TEST_CASE("a pattern reaches under a mount when it can match a path there",
          "[acl][pattern]") {
  CHECK(PatternReachesUnder("secret/data/app/*", "secret/"));
  CHECK(PatternReachesUnder("secret/data/app", "secret/"));
  CHECK(PatternReachesUnder("secret/", "secret/"));
  CHECK(PatternReachesUnder("secret*", "secret/"));
  CHECK(PatternReachesUnder("sec*", "secret/"));
  CHECK(PatternReachesUnder("+/kv/data/*", "team/kv/"));
  CHECK_FALSE(PatternReachesUnder("+/data/*", "team/kv/"));
  CHECK(PatternReachesUnder("team/+/data/x", "team/kv/"));
  CHECK(PatternReachesUnder("*", "secret/"));
  CHECK_FALSE(PatternReachesUnder("secret", "secret/"));
  CHECK_FALSE(PatternReachesUnder("secretary/*", "secret/"));
  CHECK_FALSE(PatternReachesUnder("other/*", "secret/"));
  CHECK_FALSE(PatternReachesUnder("team/+", "team/kv/x/"));
  CHECK_FALSE(PatternReachesUnder("team/kw*", "team/kv/"));
}

// Every path of up to `len` bytes over {a, b, /}.
void Paths(std::string prefix, size_t len, std::vector<std::string>* out) {
  out->push_back(prefix);
  if (len == 0) return;
  for (char c : {'a', 'b', '/'}) Paths(prefix + c, len - 1, out);
}

TEST_CASE("reaching under a prefix agrees with matching some path under it",
          "[acl][pattern]") {
  // Exhaustive over a small alphabet: patterns of up to two segments from
  // {"", a, b, ab, +}, plain or glob; prefixes of up to 3 bytes; witness
  // paths the prefix followed by up to 6 bytes (enough for these sizes).
  const std::vector<std::string> segs = {"", "a", "b", "ab", "+"};
  std::vector<std::string> patterns;
  for (const std::string& x : segs) {
    patterns.push_back(x);
    for (const std::string& y : segs) patterns.push_back(x + "/" + y);
  }
  for (size_t i = 0, n = patterns.size(); i < n; ++i) {
    patterns.push_back(patterns[i] + "*");
  }
  std::vector<std::string> prefixes;
  Paths("", 3, &prefixes);
  std::vector<std::string> suffixes;
  Paths("", 6, &suffixes);
  int checked = 0;
  for (const std::string& p : patterns) {
    if (!ValidatePattern(p).ok()) continue;
    for (const std::string& prefix : prefixes) {
      bool some = false;
      for (const std::string& s : suffixes) {
        if (PatternMatches(p, prefix + s)) {
          some = true;
          break;
        }
      }
      INFO("pattern \"" << p << "\" prefix \"" << prefix << "\"");
      CHECK(PatternReachesUnder(p, prefix) == some);
      ++checked;
    }
  }
  CHECK(checked > 1000);
}

}  // namespace
}  // namespace coffer::acl
