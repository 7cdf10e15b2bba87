// Parameter constraints: required, allowed and denied parameters, with
// the examples of Vault's policy documentation.
#include "acl/acl.h"
#include "acl_test_util.h"

namespace coffer::acl::testing {
namespace {

PathRule Required(std::string path, CapabilitySet caps,
                  std::vector<std::string> names) {
  PathRule r = R(std::move(path), caps);
  r.required_parameters = std::move(names);
  return r;
}

PathRule Allowed(std::string path, CapabilitySet caps, ParameterValues v) {
  PathRule r = R(std::move(path), caps);
  r.allowed_parameters = std::move(v);
  return r;
}

PathRule Denied(std::string path, CapabilitySet caps, ParameterValues v) {
  PathRule r = R(std::move(path), caps);
  r.denied_parameters = std::move(v);
  return r;
}

TEST_CASE("required parameters must all be present", "[acl][parameters]") {
  // Vault: create secret/profile with "name" and "id".
  auto acl = MakeAcl(
      {P("a", {Required("secret/profile", {C::kCreate}, {"name", "id"})})});
  CHECK(Can(*acl, "secret/profile", C::kCreate,
            {{"name", "n"}, {"id", "1"}, {"extra", "x"}}));
  CHECK_FALSE(Can(*acl, "secret/profile", C::kCreate, {{"name", "n"}}));
  CHECK_FALSE(Can(*acl, "secret/profile", C::kCreate));
}

TEST_CASE("allowed parameters with an empty list allow any value",
          "[acl][parameters]") {
  // Vault: update only "password" on auth/userpass/users/*.
  auto acl = MakeAcl({P("a", {Allowed("auth/userpass/users/*", {C::kUpdate},
                                      {{"password", {}}})})});
  CHECK(Can(*acl, "auth/userpass/users/bob", C::kUpdate,
            {{"password", "anything"}}));
  CHECK_FALSE(Can(*acl, "auth/userpass/users/bob", C::kUpdate,
                  {{"password", "x"}, {"token_ttl", "1h"}}));
  // A request without parameters passes the allowed check.
  CHECK(Can(*acl, "auth/userpass/users/bob", C::kUpdate));
}

TEST_CASE("allowed parameters with values allow only those",
          "[acl][parameters]") {
  // Vault: transit/keys/* with auto_rotate_period in 8h, 24h, 5d.
  auto acl = MakeAcl(
      {P("a", {Allowed("transit/keys/*", {C::kCreate, C::kUpdate},
                       {{"auto_rotate_period", {"8h", "24h", "5d"}}})})});
  CHECK(
      Can(*acl, "transit/keys/k", C::kCreate, {{"auto_rotate_period", "24h"}}));
  CHECK_FALSE(
      Can(*acl, "transit/keys/k", C::kUpdate, {{"auto_rotate_period", "1h"}}));
  CHECK_FALSE(Can(*acl, "transit/keys/k", C::kUpdate, {{"other", "x"}}));
}

TEST_CASE("the star allows every parameter not listed", "[acl][parameters]") {
  // Vault: "bar" only zip or zap, anything else any value.
  auto acl = MakeAcl({P("a", {Allowed("secret/foo", {C::kCreate},
                                      {{"bar", {"zip", "zap"}}, {"*", {}}})})});
  CHECK(Can(*acl, "secret/foo", C::kCreate, {{"bar", "zip"}, {"x", "y"}}));
  CHECK_FALSE(Can(*acl, "secret/foo", C::kCreate, {{"bar", "zoo"}}));
  CHECK(Can(*acl, "secret/foo", C::kCreate, {{"baz", "zoo"}}));
  auto all =
      MakeAcl({P("a", {Allowed("secret/foo", {C::kCreate}, {{"*", {}}})})});
  CHECK(Can(*all, "secret/foo", C::kCreate, {{"anything", "at all"}}));
}

TEST_CASE("denied parameters refuse listed values or whole names",
          "[acl][parameters]") {
  // Vault: deny "bar" set to zip or zap.
  auto acl = MakeAcl({P(
      "a", {Denied("secret/foo", {C::kCreate}, {{"bar", {"zip", "zap"}}})})});
  CHECK_FALSE(Can(*acl, "secret/foo", C::kCreate, {{"bar", "zip"}}));
  CHECK(Can(*acl, "secret/foo", C::kCreate, {{"bar", "zoo"}}));
  CHECK(Can(*acl, "secret/foo", C::kCreate, {{"other", "zip"}}));
  // An empty list denies the name with any value.
  auto name =
      MakeAcl({P("a", {Denied("secret/foo", {C::kCreate}, {{"bar", {}}})})});
  CHECK_FALSE(Can(*name, "secret/foo", C::kCreate, {{"bar", "x"}}));
  CHECK(Can(*name, "secret/foo", C::kCreate, {{"baz", "x"}}));
  // "*" denies every parameter, but not a request without any.
  auto all =
      MakeAcl({P("a", {Denied("secret/foo", {C::kCreate}, {{"*", {}}})})});
  CHECK_FALSE(Can(*all, "secret/foo", C::kCreate, {{"x", "y"}}));
  CHECK(Can(*all, "secret/foo", C::kCreate));
}

TEST_CASE("denied wins over allowed", "[acl][parameters]") {
  // Vault: allow "*" but deny foo=bar.
  PathRule r = Allowed("secret/foo", {C::kCreate}, {{"*", {}}});
  r.denied_parameters = {{"foo", {"bar"}}};
  auto acl = MakeAcl({P("a", {r})});
  CHECK_FALSE(Can(*acl, "secret/foo", C::kCreate, {{"foo", "bar"}}));
  CHECK(Can(*acl, "secret/foo", C::kCreate, {{"foo", "baz"}, {"x", "y"}}));
}

TEST_CASE("parameter values may be prefix, suffix or substring globs",
          "[acl][parameters]") {
  auto acl = MakeAcl({P("a", {Allowed("k", {C::kUpdate},
                                      {{"p", {"foo-*"}},
                                       {"s", {"*-foo"}},
                                       {"c", {"*mid*"}},
                                       {"l", {"*"}}})})});
  CHECK(Can(*acl, "k", C::kUpdate, {{"p", "foo-bar"}}));
  CHECK_FALSE(Can(*acl, "k", C::kUpdate, {{"p", "bar-foo"}}));
  CHECK(Can(*acl, "k", C::kUpdate, {{"s", "bar-foo"}}));
  CHECK_FALSE(Can(*acl, "k", C::kUpdate, {{"s", "foo-bar"}}));
  CHECK(Can(*acl, "k", C::kUpdate, {{"c", "amidst"}}));
  CHECK_FALSE(Can(*acl, "k", C::kUpdate, {{"c", "mi-d"}}));
  // A lone "*" value is the literal string (Vault's 2-byte minimum).
  CHECK(Can(*acl, "k", C::kUpdate, {{"l", "*"}}));
  CHECK_FALSE(Can(*acl, "k", C::kUpdate, {{"l", "x"}}));
}

TEST_CASE("request parameter names are lowercased for allowed and denied",
          "[acl][parameters]") {
  auto acl = MakeAcl({P("a", {Denied("k", {C::kUpdate}, {{"bar", {}}})})});
  CHECK_FALSE(Can(*acl, "k", C::kUpdate, {{"BAR", "x"}}));
}

TEST_CASE("parameters are checked for create, read, update and patch only",
          "[acl][parameters]") {
  PathRule r = Required(
      "k", {C::kCreate, C::kRead, C::kUpdate, C::kPatch, C::kDelete, C::kList},
      {"need"});
  auto acl = MakeAcl({P("a", {r})});
  for (Capability c : {C::kCreate, C::kRead, C::kUpdate, C::kPatch}) {
    CHECK_FALSE(Can(*acl, "k", c));
  }
  CHECK(Can(*acl, "k", C::kDelete));
  CHECK(Can(*acl, "k", C::kList));
}

TEST_CASE("parameter constraints merge as Vault merges them",
          "[acl][parameters][merge]") {
  // Value lists concatenate per name.
  auto lists = MakeAcl(
      {P("a", {Allowed("k", {C::kUpdate}, {{"x", {"1"}}})}),
       P("b", {Allowed("k", {C::kUpdate}, {{"x", {"2"}}, {"y", {"3"}}})})});
  CHECK(Can(*lists, "k", C::kUpdate, {{"x", "1"}}));
  CHECK(Can(*lists, "k", C::kUpdate, {{"x", "2"}, {"y", "3"}}));
  CHECK_FALSE(Can(*lists, "k", C::kUpdate, {{"x", "3"}}));
  // An empty list absorbs the other's values.
  auto any = MakeAcl({P("a", {Allowed("k", {C::kUpdate}, {{"x", {"1"}}})}),
                      P("b", {Allowed("k", {C::kUpdate}, {{"x", {}}})})});
  CHECK(Can(*any, "k", C::kUpdate, {{"x", "9"}}));
  // A rule without constraints adds none and lifts none (Vault's quirk).
  auto quirk = MakeAcl({P("a", {R("k", {C::kUpdate})}),
                        P("b", {Allowed("k", {C::kRead}, {{"x", {}}})})});
  CHECK_FALSE(Can(*quirk, "k", C::kUpdate, {{"y", "1"}}));
  // Required names union.
  auto req = MakeAcl({P("a", {Required("k", {C::kUpdate}, {"a"})}),
                      P("b", {Required("k", {C::kUpdate}, {"b", "a"})})});
  CHECK_FALSE(Can(*req, "k", C::kUpdate, {{"a", "1"}}));
  CHECK(Can(*req, "k", C::kUpdate, {{"a", "1"}, {"b", "2"}}));
  // Deny drops every constraint with every grant.
  auto deny = MakeAcl({P("a", {Allowed("k", {C::kUpdate}, {{"x", {}}})}),
                       P("b", {R("k", {C::kDeny})})});
  CHECK_FALSE(Can(*deny, "k", C::kUpdate, {{"x", "1"}}));
}

}  // namespace
}  // namespace coffer::acl::testing
