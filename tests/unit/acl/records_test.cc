// The stored form of policies: round trip, determinism, corruption.
#include "acl/records.h"

#include "absl/strings/match.h"
#include "acl_test_util.h"
#include "proto/acl.pb.h"

namespace coffer::acl::testing {
namespace {

Policy Rich() {
  PathRule r = R("secret/+/teamb/*", {C::kCreate, C::kRead, C::kSudo});
  r.required_parameters = {"name", "id"};
  r.allowed_parameters = {{"bar", {"zip", "zap"}}, {"*", {}}};
  r.denied_parameters = {{"foo", {"x*"}}};
  r.min_wrapping_ttl = absl::Seconds(1);
  r.max_wrapping_ttl = absl::Minutes(90);
  Policy p = P("team-b",
               {r, R("secret/super-secret", {C::kDeny}), R("secret/open", {})});
  p.text = "path \"secret/+/teamb/*\" { ... }";
  return p;
}

bool Same(const Policy& a, const Policy& b) {
  if (a.name != b.name || a.text != b.text || a.rules.size() != b.rules.size())
    return false;
  for (size_t i = 0; i < a.rules.size(); ++i) {
    const PathRule& x = a.rules[i];
    const PathRule& y = b.rules[i];
    if (x.path != y.path || !(x.capabilities == y.capabilities) ||
        x.required_parameters != y.required_parameters ||
        x.allowed_parameters != y.allowed_parameters ||
        x.denied_parameters != y.denied_parameters ||
        x.min_wrapping_ttl != y.min_wrapping_ttl ||
        x.max_wrapping_ttl != y.max_wrapping_ttl) {
      return false;
    }
  }
  return true;
}

bool IsCorrupt(const absl::Status& s) {
  INFO(s.ToString());
  return absl::IsDataLoss(s) &&
         absl::StartsWith(s.message(), "acl: corrupt policy record: ");
}

TEST_CASE("a policy survives encoding and decoding", "[acl][records]") {
  for (const Policy& p : {Rich(), DefaultPolicy(), P("empty", {})}) {
    auto bytes = EncodePolicy(p);
    REQUIRE(bytes.ok());
    auto back = DecodePolicy(*bytes);
    REQUIRE(back.ok());
    CHECK(Same(p, *back));
    CHECK(*EncodePolicy(*back) == *bytes);  // one policy, one encoding
  }
}

TEST_CASE("the encoding is versioned and ordered", "[acl][records]") {
  aclpb::Policy record;
  REQUIRE(record.ParseFromString(*EncodePolicy(Rich())));
  CHECK(record.format_version() == kPolicyFormatVersion);
  REQUIRE(record.rules_size() == 3);
  const aclpb::PathRule& r = record.rules(0);
  REQUIRE(r.capabilities_size() == 3);
  CHECK(r.capabilities(0) == aclpb::CAPABILITY_CREATE);
  CHECK(r.capabilities(1) == aclpb::CAPABILITY_READ);
  CHECK(r.capabilities(2) == aclpb::CAPABILITY_SUDO);
  CHECK(r.allowed_parameters(0).name() == "*");
  CHECK(r.allowed_parameters(1).name() == "bar");
  CHECK(r.max_wrapping_ttl_nanos() == 90LL * 60 * 1000 * 1000 * 1000);
  CHECK(record.rules(1).capabilities(0) == aclpb::CAPABILITY_DENY);
}

TEST_CASE("root and invalid policies are not encoded", "[acl][records]") {
  CHECK(absl::IsInvalidArgument(EncodePolicy(RootPolicy()).status()));
  CHECK(absl::IsInvalidArgument(
      EncodePolicy(P("a", {R("/x", {C::kRead})})).status()));
}

TEST_CASE("corrupt policy records are data loss", "[acl][records]") {
  aclpb::Policy good;
  REQUIRE(good.ParseFromString(*EncodePolicy(Rich())));
  auto corrupt = [&](auto mutate) {
    aclpb::Policy r = good;
    mutate(r);
    return IsCorrupt(DecodePolicy(r.SerializeAsString()).status());
  };
  CHECK(IsCorrupt(DecodePolicy("\xff\xff\xff").status()));
  CHECK(corrupt([](aclpb::Policy& r) { r.set_format_version(2); }));
  CHECK(corrupt([](aclpb::Policy& r) { r.set_name("root"); }));
  CHECK(corrupt([](aclpb::Policy& r) { r.set_name("Bad Name"); }));
  CHECK(corrupt([](aclpb::Policy& r) { r.mutable_rules(0)->set_path("/x"); }));
  CHECK(corrupt([](aclpb::Policy& r) {
    r.mutable_rules(0)->add_capabilities(aclpb::CAPABILITY_READ);
  }));
  CHECK(corrupt([](aclpb::Policy& r) {
    r.mutable_rules(0)->set_capabilities(0, aclpb::CAPABILITY_UNSPECIFIED);
  }));
  CHECK(corrupt([](aclpb::Policy& r) {
    r.mutable_rules(0)->add_capabilities(static_cast<aclpb::Capability>(99));
  }));
  CHECK(corrupt([](aclpb::Policy& r) {
    r.mutable_rules(0)->mutable_allowed_parameters()->SwapElements(0, 1);
  }));
  CHECK(corrupt([](aclpb::Policy& r) {
    r.mutable_rules(0)->add_capabilities(aclpb::CAPABILITY_DENY);
  }));
  CHECK(corrupt([](aclpb::Policy& r) {
    r.mutable_rules(0)->set_min_wrapping_ttl_nanos(-1);
  }));
}

}  // namespace
}  // namespace coffer::acl::testing
