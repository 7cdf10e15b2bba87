// ParsePolicy over the policy examples of Vault's documentation, in HCL and
// JSON, and every refusal with its position.
#include "acl/parse.h"

#include "absl/strings/match.h"
#include "acl/acl.h"
#include "acl_test_util.h"

namespace coffer::acl::testing {
namespace {

Policy MustParse(absl::string_view name, absl::string_view text) {
  auto p = ParsePolicy(name, text);
  INFO(p.status().ToString());
  REQUIRE(p.ok());
  return *std::move(p);
}

std::string ParseError(absl::string_view text) {
  auto p = ParsePolicy("p", text);
  REQUIRE_FALSE(p.ok());
  CHECK(absl::IsInvalidArgument(p.status()));
  return std::string(p.status().message());
}

constexpr char kSyntaxHcl[] = R"(
# This section grants all access on "secret/*". Further restrictions can be
# applied to this broad policy, as shown below.
path "secret/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
}

# Even though we allowed secret/*, this line explicitly denies
# secret/super-secret. This takes precedence.
path "secret/super-secret" {
  capabilities = ["deny"]
}

# Policies can also specify allowed, disallowed, and required parameters. Here
# the key "secret/restricted" can only contain "foo" (any value) and "bar" (one
# of "zip" or "zap").
path "secret/restricted" {
  capabilities = ["create"]
  allowed_parameters = {
    "foo" = []
    "bar" = ["zip", "zap"]
  }
}
)";

constexpr char kSyntaxJson[] = R"({
  "path": {
    "secret/*": {
      "capabilities": ["create", "read", "update", "patch", "delete", "list"]
    },
    "secret/super-secret": {
      "capabilities": ["deny"]
    },
    "secret/restricted": {
      "capabilities": ["create"],
      "allowed_parameters": {
        "foo": [],
        "bar": ["zip", "zap"]
      }
    }
  }
})";

TEST_CASE("Vault's policy syntax example, in HCL and in JSON", "[acl][parse]") {
  for (const char* text : {kSyntaxHcl, kSyntaxJson}) {
    Policy p = MustParse("Example", text);
    CHECK(p.name == "example");
    CHECK(p.text == text);
    REQUIRE(p.rules.size() == 3);
    CHECK(p.rules[0].path == "secret/*");
    CHECK(p.rules[0].capabilities ==
          CapabilitySet({C::kCreate, C::kRead, C::kUpdate, C::kPatch,
                         C::kDelete, C::kList}));
    CHECK(p.rules[1].capabilities == CapabilitySet({C::kDeny}));
    CHECK(p.rules[2].allowed_parameters ==
          ParameterValues{{"bar", {"zip", "zap"}}, {"foo", {}}});
    auto acl = MakeAcl({p});
    CHECK(Can(*acl, "secret/anything", C::kPatch));
    CHECK_FALSE(Can(*acl, "secret/super-secret", C::kRead));
    CHECK(Can(*acl, "secret/restricted", C::kCreate,
              {{"foo", "x"}, {"bar", "zap"}}));
    CHECK_FALSE(Can(*acl, "secret/restricted", C::kCreate, {{"bar", "zoo"}}));
    CHECK_FALSE(Can(*acl, "secret/restricted", C::kCreate, {{"baz", "x"}}));
  }
}

TEST_CASE("Vault's glob and segment examples parse and match", "[acl][parse]") {
  Policy p = MustParse("globs", R"(
# Permit reading only "secret/foo". An attached token cannot read "secret/food"
# or "secret/foo/bar".
path "secret/foo" {
  capabilities = ["read"]
}

# Permit reading everything under "secret/bar". An attached token could read
# "secret/bar/zip", "secret/bar/zip/zap", but not "secret/bars/zip".
path "secret/bar/*" {
  capabilities = ["read"]
}

# Permit reading everything prefixed with "zip-". An attached token could read
# "secret/zip-zap" or "secret/zip-zap/zong", but not "secret/zip/zap
path "secret/zip-*" {
  capabilities = ["read"]
}

# Permit reading the "teamb" path under any top-level path under secret/
path "secret/+/teamb" {
  capabilities = ["read"]
}

# Permit reading secret/foo/bar/teamb, secret/bar/foo/teamb, etc.
path "secret/+/+/teamb" {
  capabilities = ["read"]
}
)");
  REQUIRE(p.rules.size() == 5);
  auto acl = MakeAcl({p});
  CHECK(Can(*acl, "secret/foo", C::kRead));
  CHECK_FALSE(Can(*acl, "secret/food", C::kRead));
  CHECK_FALSE(Can(*acl, "secret/foo/bar", C::kRead));
  CHECK(Can(*acl, "secret/bar/zip/zap", C::kRead));
  CHECK_FALSE(Can(*acl, "secret/bars/zip", C::kRead));
  CHECK(Can(*acl, "secret/zip-zap/zong", C::kRead));
  CHECK_FALSE(Can(*acl, "secret/zip/zap", C::kRead));
  CHECK(Can(*acl, "secret/x/teamb", C::kRead));
  CHECK(Can(*acl, "secret/bar/foo/teamb", C::kRead));
}

TEST_CASE("Vault's parameter constraint examples", "[acl][parse]") {
  Policy p = MustParse("params", R"(
# This requires the user to create "secret/profile" with a parameter/key named
# "name" and "id" where kv v1 is enabled at "secret/".
path "secret/profile" {
  capabilities = ["create"]
  required_parameters = ["name", "id"]
}

# This allows the user to update the password parameter value set on any
# users configured for userpass auth method. The password value can be
# anything. However, the user cannot update other parameter values such as
# token_ttl.
path "auth/userpass/users/*" {
  capabilities = ["update"]
  allowed_parameters = {
    "password" = []
  }
}

# This allows the user to create or update an encryption key for transit
# secrets engine enabled at "transit/". When you do, you can set the
# "auto_rotate_period" parameter value so that the key gets rotated.
# However, the rotation period must be "8h", "24h", or "5d". Any other value
# will result in an error.
path "transit/keys/*" {
  capabilities = ["create", "update"]
  allowed_parameters = {
    "auto_rotate_period" = ["8h", "24h", "5d"]
  }
}

# This allows the user to create "secret/foo" with a parameter named "bar".
# The parameter "bar" can only contain the values "zip" or "zap", but any
# other parameters may be created with any value.
path "secret/foo" {
  capabilities = ["create"]
  allowed_parameters = {
    "bar" = ["zip", "zap"]
    "*"   = []
  }
}

# This allows the user to create "secret/bar" with any parameters not named
# "bar", and "bar" with any value but "zip" or "zap".
path "secret/bar" {
  capabilities = ["create"]
  denied_parameters = {
    "bar" = ["zip", "zap"]
  }
}

# This allows the user to create "secret/baz" with any parameter not named
# "foo" set to "bar"; globbed values.
path "secret/baz" {
  capabilities = ["create"]
  allowed_parameters = {
    "*" = []
    "Prefixed" = ["foo-*"]
  }
  denied_parameters = {
    "foo" = ["bar"]
  }
}

# Denies every parameter.
path "secret/none" {
  capabilities = ["create"]
  denied_parameters = {
    "*" = []
  }
}
)");
  REQUIRE(p.rules.size() == 7);
  CHECK(p.rules[5].allowed_parameters.contains("prefixed"));  // lowercased
  auto acl = MakeAcl({p});
  CHECK(Can(*acl, "secret/profile", C::kCreate, {{"name", "a"}, {"id", "1"}}));
  CHECK_FALSE(Can(*acl, "secret/profile", C::kCreate, {{"name", "a"}}));
  CHECK(Can(*acl, "auth/userpass/users/bob", C::kUpdate, {{"password", "x"}}));
  CHECK_FALSE(
      Can(*acl, "auth/userpass/users/bob", C::kUpdate, {{"token_ttl", "1h"}}));
  CHECK(
      Can(*acl, "transit/keys/k", C::kCreate, {{"auto_rotate_period", "5d"}}));
  CHECK_FALSE(
      Can(*acl, "transit/keys/k", C::kCreate, {{"auto_rotate_period", "1d"}}));
  CHECK(Can(*acl, "secret/foo", C::kCreate, {{"bar", "zip"}, {"q", "r"}}));
  CHECK_FALSE(Can(*acl, "secret/foo", C::kCreate, {{"bar", "zoo"}}));
  CHECK(Can(*acl, "secret/bar", C::kCreate, {{"bar", "zoo"}}));
  CHECK_FALSE(Can(*acl, "secret/bar", C::kCreate, {{"bar", "zap"}}));
  CHECK(Can(*acl, "secret/baz", C::kCreate, {{"prefixed", "foo-1"}}));
  CHECK_FALSE(Can(*acl, "secret/baz", C::kCreate, {{"prefixed", "bar"}}));
  CHECK_FALSE(Can(*acl, "secret/baz", C::kCreate, {{"foo", "bar"}}));
  CHECK_FALSE(Can(*acl, "secret/none", C::kCreate, {{"a", "b"}}));
}

TEST_CASE("Vault's wrapping TTL example, and durations", "[acl][parse]") {
  Policy p = MustParse("wrap", R"(
# This effectively makes response wrapping mandatory for this path by setting
# min_wrapping_ttl to 1 second. This also sets this path's wrapped response
# maximum allowed TTL to 90 seconds.
path "auth/approle/role/my-role/secret-id" {
    capabilities = ["create", "update"]
    min_wrapping_ttl = "1s"
    max_wrapping_ttl = "90s"
}
path "a" {
  min_wrapping_ttl = 5
  max_wrapping_ttl = "1h30m"
}
path "b" {
  min_wrapping_ttl = "300"
  max_wrapping_ttl = "2d"
}
)");
  REQUIRE(p.rules.size() == 3);
  CHECK(p.rules[0].min_wrapping_ttl == absl::Seconds(1));
  CHECK(p.rules[0].max_wrapping_ttl == absl::Seconds(90));
  CHECK(p.rules[1].min_wrapping_ttl == absl::Seconds(5));
  CHECK(p.rules[1].max_wrapping_ttl == absl::Minutes(90));
  CHECK(p.rules[2].min_wrapping_ttl == absl::Seconds(300));
  CHECK(p.rules[2].max_wrapping_ttl == absl::Hours(48));
}

TEST_CASE("Vault's sys/ examples with sudo, and the old shorthand",
          "[acl][parse]") {
  Policy p = MustParse("admin", R"(
# Manage auth methods broadly across Vault
path "auth/*"
{
  capabilities = ["create", "read", "update", "delete", "list", "sudo"]
}

# Create, update, and delete auth methods
path "sys/auth/*"
{
  capabilities = ["create", "update", "delete", "sudo"]
}

# List auth methods
path "sys/auth"
{
  capabilities = ["read"]
}

# Rotate the encryption key: a root-protected path
path "sys/rotate" {
  capabilities = ["update", "sudo"]
}

path "old/read" { policy = "read" }
path "old/write" { policy = "write" }
path "old/sudo" { policy = "sudo" }
path "old/deny" {
  policy = "deny"
  capabilities = ["read"]
}
)");
  auto acl = MakeAcl({p});
  CHECK(Can(*acl, "sys/auth/userpass", C::kSudo));
  CHECK(Can(*acl, "sys/rotate", C::kSudo));
  CHECK(acl->CapabilityNames("old/read") ==
        std::vector<std::string>{"list", "read"});
  CHECK(acl->CapabilityNames("old/write") ==
        std::vector<std::string>{"create", "delete", "list", "read", "update"});
  CHECK(acl->Capabilities("old/sudo").Has(C::kSudo));
  CHECK(acl->CapabilityNames("old/deny") == std::vector<std::string>{"deny"});
}

TEST_CASE("the KV v2 examples: data and metadata paths", "[acl][parse]") {
  Policy p = MustParse("kv", R"({
  "path": {
    "secret/data/*": {"capabilities": ["create", "update"]},
    "secret/data/foo": {"capabilities": ["read"]},
    "secret/metadata/*": {"capabilities": ["list"]},
    "/secret/delete/*": {"capabilities": ["update"]}
  }
})");
  REQUIRE(p.rules.size() == 4);
  CHECK(p.rules[3].path == "secret/delete/*");  // leading '/' dropped
  auto acl = MakeAcl({p});
  CHECK(Can(*acl, "secret/data/bar", C::kCreate));
  CHECK(acl->CapabilityNames("secret/data/foo") ==
        std::vector<std::string>{"read"});
  CHECK(Can(*acl, "secret/metadata/x", C::kList));
}

TEST_CASE("the same path twice merges; an empty policy is valid",
          "[acl][parse]") {
  Policy p = MustParse("twice", R"(
name = "ignored"
path "k" { capabilities = ["read"] }
path "k" { capabilities = ["list"], comment = "more" }
)");
  auto acl = MakeAcl({p});
  CHECK(acl->Capabilities("k") == CapabilitySet({C::kRead, C::kList}));
  CHECK(MustParse("empty", "").rules.empty());
  CHECK(MustParse("empty", "# nothing\n").rules.empty());
}

TEST_CASE("refusals name the line and column", "[acl][parse]") {
  CHECK(ParseError("path \"a\" {\n  capabilities = [\"write\"]\n}\n") ==
        "acl: 2:19: unknown capability \"write\"");
  CHECK(ParseError("path \"a\" {\n  capability = [\"read\"]\n}\n") ==
        "acl: 2:3: unknown key \"capability\"");
  CHECK(ParseError("paths \"a\" {}\n") == "acl: 1:1: unknown key \"paths\"");
  CHECK(ParseError("x = 1\n") == "acl: 1:1: unknown key \"x\"");
  CHECK(ParseError("path \"a\" {\n  capabilities = \"read\"\n}\n") ==
        "acl: 2:18: capabilities: want a list of strings, got string");
  CHECK(ParseError("path \"a\" {\n  capabilities = [1]\n}\n") ==
        "acl: 2:19: capabilities: want a string, got number");
  CHECK(ParseError("path \"a*b\" {}\n") ==
        "acl: 1:1: path \"a*b\": '*' is only allowed as the last character");
  CHECK(ParseError("\n path \"a/+*\" {}\n") ==
        "acl: 2:2: path \"a/+*\": '+*' is not allowed");
  CHECK(absl::StrContains(
      ParseError("path \"secret/{{identity.entity.id}}/*\" {}\n"),
      "templated paths are not supported"));
  CHECK(ParseError("path \"a\" { policy = \"admin\" }\n") ==
        "acl: 1:21: policy: unknown shorthand \"admin\"");
  CHECK(ParseError("path \"a\" {\n min_wrapping_ttl = \"soon\"\n}\n") ==
        "acl: 2:21: min_wrapping_ttl: bad duration \"soon\"");
  CHECK(ParseError("path \"a\" {\n min_wrapping_ttl = -5\n}\n") ==
        "acl: 2:21: min_wrapping_ttl: negative duration");
  CHECK(ParseError("path \"a\" {\n min_wrapping_ttl = \"2m\"\n"
                   " max_wrapping_ttl = \"1m\"\n}\n") ==
        "acl: 3:2: max_wrapping_ttl: less than min_wrapping_ttl");
  CHECK(ParseError("path \"a\" {\n allowed_parameters = {\n  \"x\" = \"y\"\n"
                   " }\n}\n") ==
        "acl: 3:9: x: want a list of values, got string");
  CHECK(ParseError("path \"a\" {\n control_group = {}\n}\n") ==
        "acl: 2:2: \"control_group\" is not supported");
  CHECK(ParseError("path \"a\" {\n capabilities = [\"read\"\n") ==
        "acl: 2:17: unterminated list (no closing ']')");
}

TEST_CASE("malformed text is hcl's error with the acl prefix", "[acl][parse]") {
  std::string e = ParseError("path \"a\" {\n");
  CHECK(absl::StartsWith(e, "acl: 1:"));
  std::string j = ParseError("{\"path\": }");
  CHECK(absl::StartsWith(j, "acl: 1:"));
}

TEST_CASE("root and bad names are refused", "[acl][parse]") {
  CHECK(absl::IsInvalidArgument(ParsePolicy("root", "").status()));
  CHECK(absl::IsInvalidArgument(ParsePolicy("ROOT", "").status()));
  CHECK(absl::IsInvalidArgument(ParsePolicy("a/b", "").status()));
}

}  // namespace
}  // namespace coffer::acl::testing
