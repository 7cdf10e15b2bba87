// The indexed matcher against a naive reference of the same rules: random
// policies of random patterns, random paths. The seed is printed; set
// COFFER_ACL_SEED to replay one.
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "acl/acl.h"
#include "acl/pattern.h"
#include "acl_test_util.h"

namespace coffer::acl::testing {
namespace {

// Matching, written independently of pattern.cc: recursive over bytes.
bool RefMatch(absl::string_view pat, absl::string_view path,
              bool segment_start = true) {
  if (pat == "*") return true;
  if (pat.empty()) return path.empty();
  // A `+` segment: a whole segment of the pattern.
  if (segment_start && pat[0] == '+' && (pat.size() == 1 || pat[1] == '/')) {
    size_t end = path.find('/');
    if (end == absl::string_view::npos) end = path.size();
    return RefMatch(pat.substr(1), path.substr(end), false);
  }
  if (path.empty() || pat[0] != path[0]) return false;
  return RefMatch(pat.substr(1), path.substr(1), pat[0] == '/');
}

// Vault's tie-breakers as a sort key: a larger key has priority.
auto Key(const std::string& p) {
  bool glob = !p.empty() && p.back() == '*';
  std::vector<std::string> segs = absl::StrSplit(p, '/');
  size_t first = glob ? p.size() - 1 : p.size();
  size_t plus = 0, offset = 0;
  for (const std::string& s : segs) {
    if (s == "+") {
      first = std::min(first, offset);
      ++plus;
    }
    offset += s.size() + 1;
  }
  size_t length = p.size() - (glob ? 1 : 0);
  return std::make_tuple(first, !glob, -static_cast<long>(plus), length, p);
}

CapabilitySet Reference(const std::vector<Policy>& policies,
                        const std::string& path) {
  const std::string* best = nullptr;
  for (const Policy& p : policies) {
    for (const PathRule& r : p.rules) {
      if (RefMatch(r.path, path) &&
          (best == nullptr || Key(r.path) > Key(*best))) {
        best = &r.path;
      }
    }
  }
  if (best == nullptr) return {};
  CapabilitySet caps;
  for (const Policy& p : policies) {
    for (const PathRule& r : p.rules) {
      if (r.path != *best) continue;
      if (r.capabilities.Has(C::kDeny)) return CapabilitySet({C::kDeny});
      caps.AddAll(r.capabilities);
    }
  }
  return caps;
}

template <typename T>
const T& Pick(std::mt19937_64& rng, const std::vector<T>& v) {
  return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
}

std::string RandomPattern(std::mt19937_64& rng) {
  static const std::vector<std::string> kSegs = {"a", "b",   "ab", "+",
                                                 "+", "abc", ""};
  static const std::vector<std::string> kPartials = {"", "", "a", "ab", "b"};
  while (true) {
    int n = std::uniform_int_distribution<int>(1, 4)(rng);
    std::vector<std::string> segs;
    for (int i = 0; i < n; ++i) segs.push_back(Pick(rng, kSegs));
    std::string p = absl::StrJoin(segs, "/");
    if (rng() % 2 == 0) {
      p += (rng() % 3 == 0 ? "" : "/") + Pick(rng, kPartials) + "*";
    }
    if (ValidatePattern(p).ok()) return p;
  }
}

std::string RandomPath(std::mt19937_64& rng) {
  static const std::vector<std::string> kSegs = {"a",  "b", "ab", "abc",
                                                 "ba", "",  "+"};
  int n = std::uniform_int_distribution<int>(1, 5)(rng);
  std::vector<std::string> segs;
  for (int i = 0; i < n; ++i) segs.push_back(Pick(rng, kSegs));
  return absl::StrJoin(segs, "/");
}

CapabilitySet RandomCaps(std::mt19937_64& rng) {
  if (rng() % 8 == 0) return CapabilitySet({C::kDeny});
  CapabilitySet caps;
  for (Capability c : {C::kCreate, C::kRead, C::kUpdate, C::kPatch, C::kDelete,
                       C::kList, C::kSudo}) {
    if (rng() % 3 == 0) caps.Add(c);
  }
  return caps;
}

uint64_t Seed() {
  if (const char* env = std::getenv("COFFER_ACL_SEED")) {
    return std::strtoull(env, nullptr, 10);
  }
  return std::random_device{}();
}

TEST_CASE("the index agrees with a naive scan of the same rules",
          "[acl][property]") {
  const uint64_t seed = Seed();
  std::printf("acl property test: COFFER_ACL_SEED=%llu\n",
              static_cast<unsigned long long>(seed));
  INFO("COFFER_ACL_SEED=" << seed);
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 300; ++round) {
    std::vector<Policy> policies;
    int num_policies = std::uniform_int_distribution<int>(1, 5)(rng);
    for (int i = 0; i < num_policies; ++i) {
      std::vector<PathRule> rules;
      int num_rules = std::uniform_int_distribution<int>(0, 8)(rng);
      for (int j = 0; j < num_rules; ++j) {
        rules.push_back(R(RandomPattern(rng), RandomCaps(rng)));
      }
      policies.push_back(P("p" + std::to_string(i), std::move(rules)));
    }
    auto acl = MakeAcl(policies);
    for (int q = 0; q < 50; ++q) {
      std::string path = RandomPath(rng);
      for (const Policy& p : policies) {
        for (const PathRule& r : p.rules) {
          INFO("pattern " << r.path << " path " << path);
          REQUIRE(PatternMatches(r.path, path) == RefMatch(r.path, path));
        }
      }
      INFO("round " << round << " path \"" << path << "\"");
      REQUIRE(acl->Capabilities(path).bits() ==
              Reference(policies, path).bits());
    }
  }
}

}  // namespace
}  // namespace coffer::acl::testing
