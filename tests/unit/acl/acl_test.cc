// Building ACLs, the built-in policies, and the sys/capabilities listing.
#include "acl/acl.h"

#include "acl_test_util.h"

namespace coffer::acl::testing {
namespace {

using Names = std::vector<std::string>;

TEST_CASE("root allows everything and lists as root", "[acl][root]") {
  auto acl = MakeAcl({RootPolicy()});
  CHECK(acl->is_root());
  for (Capability c : {C::kCreate, C::kRead, C::kUpdate, C::kPatch, C::kDelete,
                       C::kList, C::kSudo}) {
    CHECK(Can(*acl, "sys/anything", c, {{"x", "y"}}));
  }
  CHECK(acl->Capabilities("a/b") == CapabilitySet::AllGrants());
  CHECK(acl->CapabilityNames("a/b") == Names{"root"});
}

TEST_CASE("root with other policies is refused", "[acl][root]") {
  auto acl = Acl::Create({RootPolicy(), DefaultPolicy()});
  CHECK(absl::IsInvalidArgument(acl.status()));
  CHECK(acl.status().message() ==
        "acl: other policies present along with root");
}

TEST_CASE("root and default are protected as in Vault", "[acl][builtin]") {
  CHECK_FALSE(CanWritePolicy("root"));
  CHECK_FALSE(CanDeletePolicy("root"));
  CHECK(CanWritePolicy("default"));
  CHECK_FALSE(CanDeletePolicy("default"));
  CHECK(CanWritePolicy("dev"));
  CHECK(CanDeletePolicy("dev"));
}

TEST_CASE("the default policy grants token self-service only",
          "[acl][builtin]") {
  REQUIRE(ValidatePolicy(DefaultPolicy()).ok());
  auto acl = MakeAcl({DefaultPolicy()});
  CHECK(acl->CapabilityNames("auth/token/lookup-self") == Names{"read"});
  CHECK(acl->CapabilityNames("auth/token/renew-self") == Names{"update"});
  CHECK(acl->CapabilityNames("auth/token/revoke-self") == Names{"update"});
  CHECK(acl->CapabilityNames("sys/capabilities-self") == Names{"update"});
  CHECK(acl->CapabilityNames("sys/tools/hash") == Names{"update"});
  CHECK(acl->CapabilityNames("sys/tools/hash/sha2-256") == Names{"update"});
  CHECK(acl->CapabilityNames("auth/token/create") == Names{"deny"});
  CHECK(acl->CapabilityNames("secret/data/x") == Names{"deny"});
  CHECK(acl->CapabilityNames("sys/capabilities") == Names{"deny"});
  CHECK_FALSE(Can(*acl, "auth/token/lookup-self", C::kUpdate));
}

TEST_CASE("the capabilities listing is sorted, or deny",
          "[acl][capabilities]") {
  auto acl = MakeAcl(
      {P("a", {R("secret/*", {C::kUpdate, C::kCreate, C::kSudo, C::kList})}),
       P("b", {R("secret/*", {C::kRead, C::kPatch, C::kDelete})})});
  CHECK(acl->CapabilityNames("secret/x") ==
        Names{"create", "delete", "list", "patch", "read", "sudo", "update"});
  CHECK(acl->CapabilityNames("other") == Names{"deny"});
  auto none = MakeAcl({});
  CHECK(none->CapabilityNames("secret/x") == Names{"deny"});
  CHECK_FALSE(Can(*none, "secret/x", C::kRead));
}

TEST_CASE("sudo is a capability like the others", "[acl][capabilities]") {
  auto acl = MakeAcl({P("a", {R("sys/rotate", {C::kUpdate, C::kSudo}),
                              R("sys/seal", {C::kUpdate})})});
  CHECK(Can(*acl, "sys/rotate", C::kSudo));
  CHECK_FALSE(Can(*acl, "sys/seal", C::kSudo));
}

TEST_CASE("invalid policies are refused when building", "[acl][validate]") {
  CHECK(absl::IsInvalidArgument(
      Acl::Create({P("a", {R("/lead", {C::kRead})})}).status()));
  CHECK(absl::IsInvalidArgument(
      Acl::Create({P("a", {R("x", {C::kRead, C::kDeny})})}).status()));
  CHECK(absl::IsInvalidArgument(
      Acl::Create({P("Upper", {R("x", {C::kRead})})}).status()));
  PathRule upper = R("x", {C::kCreate});
  upper.allowed_parameters["Foo"] = {};
  CHECK(absl::IsInvalidArgument(Acl::Create({P("a", {upper})}).status()));
  PathRule ttl = R("x", {C::kCreate});
  ttl.min_wrapping_ttl = absl::Seconds(10);
  ttl.max_wrapping_ttl = absl::Seconds(5);
  absl::Status s = Acl::Create({P("a", {ttl})}).status();
  CHECK(s.message() ==
        "acl: policy \"a\": path \"x\": min_wrapping_ttl is greater than "
        "max_wrapping_ttl");
}

TEST_CASE("policy names are lowercased and checked", "[acl][validate]") {
  CHECK(*NormalizePolicyName("Dev-Team") == "dev-team");
  CHECK(*NormalizePolicyName("  ops.v2_x ") == "ops.v2_x");
  CHECK(*NormalizePolicyName("0day") == "0day");
  for (absl::string_view bad : {"", " ", "-x", ".x", "a/b", "a b", "a*"}) {
    INFO(bad);
    CHECK(absl::IsInvalidArgument(NormalizePolicyName(bad).status()));
  }
  CHECK(NormalizePolicyName(std::string(128, 'a')).ok());
  CHECK_FALSE(NormalizePolicyName(std::string(129, 'a')).ok());
}

TEST_CASE("capability names parse exactly", "[acl][capabilities]") {
  for (Capability c : kAllCapabilities) {
    CHECK(*ParseCapability(CapabilityName(c)) == c);
  }
  CHECK(absl::IsInvalidArgument(ParseCapability("write").status()));
  CHECK(absl::IsInvalidArgument(ParseCapability("Read").status()));
  CHECK(absl::IsInvalidArgument(ParseCapability("subscribe").status()));
}

TEST_CASE("merged wrapping TTLs keep the smaller values", "[acl][merge]") {
  // Vault merges to the smaller min and the smaller max; a merged rule
  // whose min exceeds its max refuses everything.
  PathRule a = R("x", {C::kRead});
  a.min_wrapping_ttl = absl::Seconds(60);
  a.max_wrapping_ttl = absl::Seconds(100);
  PathRule b = R("x", {C::kRead});
  b.max_wrapping_ttl = absl::Seconds(30);
  auto acl = MakeAcl({P("a", {a}), P("b", {b})});
  CHECK_FALSE(Can(*acl, "x", C::kRead));
  auto alone = MakeAcl({P("a", {a})});
  CHECK(Can(*alone, "x", C::kRead));
}

}  // namespace
}  // namespace coffer::acl::testing

namespace coffer::acl::testing {
namespace {

TEST_CASE("an ACL can be built over borrowed policies", "[acl][build]") {
  Policy a = P("a", {R("secret/*", {C::kRead})});
  Policy b = P("b", {R("secret/*", {C::kList})});
  std::vector<const Policy*> cached = {&a, &b, &DefaultPolicy()};
  auto acl = Acl::Create(absl::MakeConstSpan(cached));
  REQUIRE(acl.ok());
  CHECK((*acl)->Capabilities("secret/x") ==
        CapabilitySet({C::kRead, C::kList}));
  CHECK((*acl)->Capabilities("auth/token/lookup-self") ==
        CapabilitySet({C::kRead}));
  Policy root = RootPolicy();
  std::vector<const Policy*> with_root = {&root, &a};
  CHECK(absl::IsInvalidArgument(
      Acl::Create(absl::MakeConstSpan(with_root)).status()));
}

}  // namespace
}  // namespace coffer::acl::testing

namespace coffer::acl::testing {
namespace {

TEST_CASE("an ACL grants under a mount when a rule reaches into it",
          "[acl][mounts]") {
  auto acl = MakeAcl({P("app", {R("team/kv/data/app/*", {C::kRead}),
                                R("secret/data/hidden/*", {C::kDeny}),
                                R("+/list-only/", {C::kList})})});
  CHECK(acl->GrantsUnder("team/kv/"));
  CHECK(acl->GrantsUnder("team/"));
  CHECK(acl->GrantsUnder("other/"));  // +/list-only/ reaches under any mount
  CHECK_FALSE(acl->GrantsUnder("team/kw/"));
  auto narrow = MakeAcl({P("app", {R("team/kv/data/app/*", {C::kRead}),
                                   R("secret/data/hidden/*", {C::kDeny})})});
  CHECK_FALSE(narrow->GrantsUnder("secret/"));  // deny grants nothing
  CHECK_FALSE(narrow->GrantsUnder("other/"));
  CHECK(MakeAcl({RootPolicy()})->GrantsUnder("anything/"));
  CHECK_FALSE(MakeAcl({})->GrantsUnder("secret/"));
}

}  // namespace
}  // namespace coffer::acl::testing
