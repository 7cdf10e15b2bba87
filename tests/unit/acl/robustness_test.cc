// Decoders on hostile input: mutated policy records and policy texts are
// refused with the documented codes and prefixes, never a crash; what is
// accepted is a valid policy. The seed is COFFER_ACL_SEED's, as in
// property_test.cc.
#include <cstdlib>
#include <random>
#include <string>

#include "absl/strings/match.h"
#include "acl/parse.h"
#include "acl/records.h"
#include "acl_test_util.h"

namespace coffer::acl::testing {
namespace {

uint64_t Seed() {
  if (const char* env = std::getenv("COFFER_ACL_SEED")) {
    return std::strtoull(env, nullptr, 10);
  }
  return std::random_device{}();
}

std::string Mutate(std::mt19937_64& rng, std::string s) {
  const int edits = std::uniform_int_distribution<int>(1, 4)(rng);
  for (int i = 0; i < edits && !s.empty(); ++i) {
    size_t at = std::uniform_int_distribution<size_t>(0, s.size() - 1)(rng);
    switch (rng() % 3) {
      case 0:
        s[at] = static_cast<char>(rng());
        break;
      case 1:
        s.erase(at, 1 + rng() % 4);
        break;
      default:
        s.insert(at, 1, "{}[]\"=*+/,\n"[rng() % 11]);
        break;
    }
  }
  return s;
}

constexpr char kText[] = R"(
path "secret/+/teamb/*" {
  capabilities = ["create", "read", "sudo"]
  required_parameters = ["name"]
  allowed_parameters = {
    "bar" = ["zip", "zap", 1, true]
    "*" = []
  }
  denied_parameters = { "foo" = ["x*"] }
  min_wrapping_ttl = "1s"
  max_wrapping_ttl = 90
}
path "secret/super-secret" { capabilities = ["deny"] }
)";

TEST_CASE("mutated policy records are data loss or valid", "[acl][fuzz]") {
  const uint64_t seed = Seed();
  INFO("COFFER_ACL_SEED=" << seed);
  std::mt19937_64 rng(seed);
  Policy p = *ParsePolicy("p", kText);
  const std::string good = *EncodePolicy(p);
  for (int i = 0; i < 3000; ++i) {
    std::string bytes = Mutate(rng, good);
    auto back = DecodePolicy(bytes);
    if (back.ok()) {
      CHECK(ValidatePolicy(*back).ok());
      CHECK(EncodePolicy(*back).ok());
      CHECK(Acl::Create({*back}).ok());
    } else {
      REQUIRE(absl::IsDataLoss(back.status()));
      REQUIRE(absl::StartsWith(back.status().message(),
                               "acl: corrupt policy record: "));
    }
  }
}

TEST_CASE("mutated policy texts are refused with a position or valid",
          "[acl][fuzz]") {
  const uint64_t seed = Seed();
  INFO("COFFER_ACL_SEED=" << seed);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 3000; ++i) {
    std::string text = Mutate(rng, kText);
    auto p = ParsePolicy("p", text);
    if (p.ok()) {
      CHECK(ValidatePolicy(*p).ok());
      CHECK(Acl::Create({*p}).ok());
      CHECK(EncodePolicy(*p).ok());
    } else {
      INFO(text);
      REQUIRE(absl::IsInvalidArgument(p.status()));
      REQUIRE(absl::StartsWith(p.status().message(), "acl: "));
    }
  }
}

}  // namespace
}  // namespace coffer::acl::testing
