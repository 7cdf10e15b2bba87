// Which rule governs a path: merging of equal patterns across policies,
// deny, and the priority of different patterns (Vault's tie-breakers).
#include "acl/acl.h"
#include "acl_test_util.h"

namespace coffer::acl::testing {
namespace {

TEST_CASE("Vault's documented path examples", "[acl][precedence]") {
  auto acl = MakeAcl({P("docs", {
                                    R("secret/foo", {C::kRead}),
                                    R("secret/bar/*", {C::kRead}),
                                    R("secret/zip-*", {C::kRead}),
                                    R("secret/+/teamb", {C::kRead}),
                                    R("secret/+/+/teamb", {C::kRead}),
                                })});
  for (absl::string_view yes :
       {"secret/foo", "secret/bar/zip", "secret/bar/zip/zap", "secret/zip-zap",
        "secret/zip-zap/zong", "secret/foo/teamb", "secret/bar/teamb",
        "secret/foo/bar/teamb", "secret/bar/foo/teamb"}) {
    INFO(yes);
    CHECK(Can(*acl, yes, C::kRead));
  }
  for (absl::string_view no :
       {"secret/food", "secret/foo/bar", "secret/bars/zip", "secret/zip/zap"}) {
    INFO(no);
    CHECK_FALSE(Can(*acl, no, C::kRead));
  }
}

TEST_CASE("the same pattern in several policies unions capabilities",
          "[acl][precedence]") {
  auto acl = MakeAcl({P("a", {R("secret/app/*", {C::kRead})}),
                      P("b", {R("secret/app/*", {C::kList, C::kUpdate})})});
  CHECK(acl->Capabilities("secret/app/x") ==
        CapabilitySet({C::kRead, C::kList, C::kUpdate}));
  // Two rules for one pattern within one policy merge the same way.
  auto one = MakeAcl({P("a", {R("k", {C::kRead}), R("k", {C::kDelete})})});
  CHECK(one->Capabilities("k") == CapabilitySet({C::kRead, C::kDelete}));
}

TEST_CASE("deny on the same pattern clears everything, in any order",
          "[acl][precedence]") {
  for (bool deny_first : {true, false}) {
    Policy grant = P("grant", {R("secret/x", {C::kRead, C::kSudo})});
    Policy deny = P("deny", {R("secret/x", {C::kDeny})});
    auto acl = deny_first ? MakeAcl({deny, grant}) : MakeAcl({grant, deny});
    CHECK(acl->Capabilities("secret/x") == CapabilitySet({C::kDeny}));
    CHECK_FALSE(Can(*acl, "secret/x", C::kRead));
    CHECK_FALSE(Can(*acl, "secret/x", C::kSudo));
    CHECK(acl->CapabilityNames("secret/x") == std::vector<std::string>{"deny"});
  }
}

TEST_CASE("a more specific grant overrides a broader deny",
          "[acl][precedence]") {
  // Deny is not global in Vault: it wins merges of one pattern only; a
  // different, more specific pattern governs its paths.
  auto acl = MakeAcl({P("a", {R("secret/*", {C::kDeny})}),
                      P("b", {R("secret/open", {C::kRead})})});
  CHECK(Can(*acl, "secret/open", C::kRead));
  CHECK_FALSE(Can(*acl, "secret/other", C::kRead));
  // And a more specific deny beats a broad grant: Vault's super-secret.
  auto kv = MakeAcl({P("a", {R("secret/data/*", {C::kRead, C::kList}),
                             R("secret/data/super-secret", {C::kDeny})})});
  CHECK(Can(*kv, "secret/data/webapp1", C::kRead));
  CHECK_FALSE(Can(*kv, "secret/data/super-secret", C::kRead));
}

TEST_CASE("different patterns do not merge: the most specific alone governs",
          "[acl][precedence]") {
  auto acl = MakeAcl({P("a", {R("secret/*", {C::kRead, C::kList})}),
                      P("b", {R("secret/foo/*", {C::kUpdate})})});
  CHECK(acl->Capabilities("secret/foo/x") == CapabilitySet({C::kUpdate}));
  CHECK_FALSE(Can(*acl, "secret/foo/x", C::kRead));
  CHECK(acl->Capabilities("secret/bar") == CapabilitySet({C::kRead, C::kList}));
  // A matching rule that grants nothing still governs.
  auto empty = MakeAcl(
      {P("a", {R("secret/*", {C::kRead})}), P("b", {R("secret/locked", {})})});
  CHECK(empty->Capabilities("secret/locked").empty());
  CHECK(empty->CapabilityNames("secret/locked") ==
        std::vector<std::string>{"deny"});
}

TEST_CASE("tie-breaker 1 decides between matching patterns",
          "[acl][precedence]") {
  auto acl = MakeAcl(
      {P("a", {R("secret/+/bar", {C::kRead}), R("secret/foo/+", {C::kUpdate}),
               R("secret/foo/bar*", {C::kDelete})})});
  // secret/foo/bar* has its first wildcard latest (offset 14).
  CHECK(acl->Capabilities("secret/foo/bar") == CapabilitySet({C::kDelete}));
  // Without it, secret/foo/+ (offset 11) beats secret/+/bar (offset 7).
  auto two = MakeAcl({P(
      "a", {R("secret/+/bar", {C::kRead}), R("secret/foo/+", {C::kUpdate})})});
  CHECK(two->Capabilities("secret/foo/bar") == CapabilitySet({C::kUpdate}));
  CHECK(two->Capabilities("secret/baz/bar") == CapabilitySet({C::kRead}));
}

TEST_CASE("tie-breaker 2: the pattern ending in star loses",
          "[acl][precedence]") {
  auto acl = MakeAcl(
      {P("a", {R("secret/foo*", {C::kRead}), R("secret/foo", {C::kUpdate})})});
  CHECK(acl->Capabilities("secret/foo") == CapabilitySet({C::kUpdate}));
  CHECK(acl->Capabilities("secret/food") == CapabilitySet({C::kRead}));
  auto plus = MakeAcl(
      {P("a", {R("secret/+/*", {C::kRead}), R("secret/+/+", {C::kUpdate})})});
  CHECK(plus->Capabilities("secret/a/b") == CapabilitySet({C::kUpdate}));
  CHECK(plus->Capabilities("secret/a/b/c") == CapabilitySet({C::kRead}));
}

TEST_CASE("tie-breaker 3: Vault's secret/* against secret/+/*",
          "[acl][precedence]") {
  auto acl = MakeAcl({P("a", {R("secret/*", {C::kRead})}),
                      P("b", {R("secret/+/*", {C::kUpdate})})});
  CHECK(acl->Capabilities("secret/a/b") == CapabilitySet({C::kRead}));
  auto deep = MakeAcl({P(
      "a", {R("secret/+/b/c", {C::kRead}), R("secret/+/+/c", {C::kUpdate})})});
  CHECK(deep->Capabilities("secret/a/b/c") == CapabilitySet({C::kRead}));
}

TEST_CASE("tie-breaker 4: the shorter pattern loses", "[acl][precedence]") {
  auto acl = MakeAcl({P("a", {R("secret/+/ba*", {C::kRead}),
                              R("secret/+/bar/*", {C::kUpdate})})});
  CHECK(acl->Capabilities("secret/x/bar/y") == CapabilitySet({C::kUpdate}));
  CHECK(acl->Capabilities("secret/x/bat") == CapabilitySet({C::kRead}));
}

TEST_CASE("tie-breaker 5: the lexicographically smaller pattern loses",
          "[acl][precedence]") {
  // Both: first wildcard at 0, no glob, two `+` segments, 5 bytes; "+/k/+"
  // is the larger string ('k' > '+') and wins.
  auto acl = MakeAcl(
      {P("a", {R("+/+/k", {C::kList})}), P("b", {R("+/k/+", {C::kRead})})});
  CHECK(acl->Capabilities("k/k/k") == CapabilitySet({C::kRead}));
  CHECK(acl->Capabilities("a/b/k") == CapabilitySet({C::kList}));
}

}  // namespace
}  // namespace coffer::acl::testing
