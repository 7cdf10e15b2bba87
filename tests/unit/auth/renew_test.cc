// Renewals (Vault's CalculateTTL from the token's creation), expiry at the
// exact expire time, and num_uses.
#include "auth/rules.h"
#include "auth_fixture.h"

namespace coffer::auth {
namespace {

TokenStoreOptions Limits(absl::Duration default_ttl, absl::Duration max_ttl) {
  TokenStoreOptions o;
  o.default_ttl = default_ttl;
  o.max_ttl = max_ttl;
  return o;
}

CreateRequest Ttl(absl::Duration ttl) {
  CreateRequest r = App();
  r.ttl = ttl;
  return r;
}

TEST_CASE("a token is refused from exactly its expire time",
          "[auth][renew][expiry]") {
  AuthFixture f;
  const std::string id = f.MustCreate(f.root, Ttl(absl::Seconds(60)));
  f.now += absl::Seconds(60) - absl::Nanoseconds(1);
  CHECK(f.Usable(id));
  f.now += absl::Nanoseconds(1);
  auto refused = f.Lookup(id);
  CHECK(absl::IsPermissionDenied(refused.status()));
  CHECK(refused.status().message() == "auth: permission denied");
  // The same words as for a token that never existed.
  CHECK(f.Lookup("hvs.never").status() == refused.status());
  CHECK(absl::IsPermissionDenied(f.Renew(id).status()));
  CHECK(absl::IsPermissionDenied(f.Use(id).status()));
}

TEST_CASE("renewal grants the increment, else the last ttl", "[auth][renew]") {
  AuthFixture f(Limits(absl::Hours(10), absl::Hours(100)));
  const std::string id = f.MustCreate(f.root, Ttl(absl::Hours(2)));
  f.now += absl::Hours(1);
  CHECK(*f.Renew(id) == absl::Hours(2));
  auto t = f.Lookup(id);
  CHECK(t->expire_time == f.now + absl::Hours(2));
  CHECK(t->last_renewal_time == f.now);
  CHECK(t->creation_ttl == absl::Hours(2));
  CHECK(*f.Renew(id, absl::Hours(5)) == absl::Hours(5));
  f.now += absl::Hours(1);
  CHECK(*f.Renew(id) == absl::Hours(5));  // the last ttl granted
  CHECK(absl::IsInvalidArgument(f.Renew(id, -absl::Hours(1)).status()));
}

TEST_CASE("renewal never passes creation + max_ttl", "[auth][renew]") {
  AuthFixture f(Limits(absl::Hours(10), absl::Hours(24)));
  const std::string id = f.MustCreate(f.root, Ttl(absl::Hours(10)));
  f.now += absl::Hours(9);
  CHECK(*f.Renew(id, absl::Hours(10)) == absl::Hours(10));
  f.now += absl::Hours(9);
  CHECK(*f.Renew(id, absl::Hours(10)) == absl::Hours(6));
  f.now += absl::Hours(6);
  CHECK(absl::IsPermissionDenied(f.Renew(id).status()));  // expired
}

TEST_CASE("explicit_max_ttl caps renewals", "[auth][renew]") {
  AuthFixture f;
  CreateRequest r = Ttl(absl::Hours(1));
  r.explicit_max_ttl = absl::Hours(3);
  const std::string id = f.MustCreate(f.root, r);
  f.now += absl::Minutes(50);
  CHECK(*f.Renew(id, absl::Hours(1)) == absl::Hours(1));
  f.now += absl::Minutes(50);
  CHECK(*f.Renew(id, absl::Hours(1)) == absl::Hours(1));
  f.now += absl::Minutes(50);  // 150 minutes after creation
  CHECK(*f.Renew(id, absl::Hours(1)) == absl::Minutes(30));
  f.now += absl::Minutes(30) - absl::Seconds(1);
  CHECK(*f.Renew(id, absl::Hours(1)) == absl::Seconds(1));
}

TEST_CASE("a periodic token renews to its period, within explicit max",
          "[auth][renew]") {
  AuthFixture f;
  CreateRequest r;
  r.period = absl::Hours(1);
  const std::string id = f.MustCreate(f.root, r);
  // Renewed within each period it lives on, past max_ttl (768 h).
  for (int i = 0; i < 1000; ++i) {
    f.now += absl::Minutes(50);
    auto ttl = f.Renew(id, absl::Hours(9));  // the increment is ignored
    REQUIRE(ttl.ok());
    CHECK(*ttl == absl::Hours(1));
  }
  CHECK(f.Usable(id));

  r.explicit_max_ttl = absl::Minutes(90);
  const std::string capped = f.MustCreate(f.root, r);
  f.now += absl::Minutes(50);
  CHECK(*f.Renew(capped) == absl::Minutes(40));
  f.now += absl::Minutes(40);
  CHECK(absl::IsPermissionDenied(f.Renew(capped).status()));
}

TEST_CASE("renewal is refused to non-renewable and non-expiring tokens",
          "[auth][renew]") {
  AuthFixture f;
  CreateRequest fixed = Ttl(absl::Hours(1));
  fixed.renewable = false;
  const std::string id = f.MustCreate(f.root, fixed);
  CHECK(absl::IsInvalidArgument(f.Renew(id).status()));
  CHECK_FALSE(f.Lookup(id)->renewable);
  CHECK(absl::IsInvalidArgument(f.Renew(f.root).status()));
}

TEST_CASE("a child's renewal never passes its expiring parent",
          "[auth][renew]") {
  AuthFixture f;
  const std::string parent = f.MustCreate(f.root, Ttl(absl::Hours(3)));
  const std::string child = f.MustCreate(parent, Ttl(absl::Hours(1)));
  f.now += absl::Minutes(30);
  CHECK(*f.Renew(child, absl::Hours(10)) == absl::Minutes(150));
  // Once the parent is renewed, the child can follow it.
  REQUIRE(f.Renew(parent, absl::Hours(10)).ok());
  CHECK(*f.Renew(child, absl::Hours(10)) == absl::Hours(10));
}

TEST_CASE("CalculateTtl follows Vault's rules", "[auth][renew]") {
  const TtlLimits limits{absl::Hours(1), absl::Hours(10)};
  const absl::Time start = absl::FromUnixSeconds(1000);
  const absl::Duration zero = absl::ZeroDuration();
  auto ttl = [&](absl::Duration inc, absl::Duration backend,
                 absl::Duration period, absl::Duration explicit_max,
                 absl::Duration elapsed) {
    return CalculateTtl(limits, inc, backend, period, explicit_max, start,
                        start + elapsed);
  };
  CHECK(*ttl(zero, zero, zero, zero, zero) == absl::Hours(1));
  CHECK(*ttl(zero, absl::Hours(2), zero, zero, zero) == absl::Hours(2));
  CHECK(*ttl(absl::Hours(3), absl::Hours(2), zero, zero, zero) ==
        absl::Hours(3));
  CHECK(*ttl(absl::Hours(30), zero, zero, zero, absl::Hours(8)) ==
        absl::Hours(2));
  CHECK(absl::IsInvalidArgument(
      ttl(absl::Hours(1), zero, zero, zero, absl::Hours(10)).status()));
  CHECK(*ttl(zero, zero, absl::Hours(20), zero, absl::Hours(50)) ==
        absl::Hours(10));
  CHECK(*ttl(zero, zero, absl::Hours(2), absl::Hours(3), absl::Hours(2)) ==
        absl::Hours(1));
}

TEST_CASE("each use is a write; the last one revokes", "[auth][uses]") {
  AuthFixture f;
  CreateRequest r;
  r.num_uses = 3;
  const std::string id = f.MustCreate(f.root, r);
  const std::string accessor = f.Lookup(id)->accessor;
  auto first = f.Use(id);
  REQUIRE(first.ok());
  CHECK(first->token.num_uses == 2);
  CHECK_FALSE(first->revoked);
  CHECK(f.last_writes.size() == 1);  // the replicated count
  CHECK(f.Lookup(id)->num_uses == 2);
  CHECK(f.Use(id)->token.num_uses == 1);
  auto last = f.Use(id);
  REQUIRE(last.ok());
  CHECK(last->revoked);
  CHECK(last->token.num_uses == 0);
  CHECK(absl::IsPermissionDenied(f.Lookup(id).status()));
  CHECK(absl::IsPermissionDenied(f.Use(id).status()));
  CHECK(absl::IsNotFound(
      f.tokens.LookupAccessor(&f.store, f.now, accessor).status()));
  // Nothing of it is left.
  CHECK(f.Count("sys/token/") == 3);  // salt, the root's id and accessor
}

TEST_CASE("an unlimited token's use writes nothing", "[auth][uses]") {
  AuthFixture f;
  auto use = f.Use(f.root);
  REQUIRE(use.ok());
  CHECK_FALSE(use->revoked);
  CHECK(f.last_writes.empty());
}

}  // namespace
}  // namespace coffer::auth
