// Creation and lookup: the root token, Vault's policy, privilege and ttl
// rules for children and orphans, and what a lookup shows.
#include "auth/rules.h"
#include "auth/tree.h"
#include "auth_fixture.h"

namespace coffer::auth {
namespace {

using Policies = std::vector<std::string>;

CreateRequest WithPolicies(Policies policies) {
  CreateRequest r;
  r.policies = std::move(policies);
  return r;
}

TEST_CASE("the root token is a root-policy token that never expires",
          "[auth][create]") {
  AuthFixture f;
  auto root = f.Lookup(f.root);
  REQUIRE(root.ok());
  CHECK(root->policies == Policies{"root"});
  CHECK(root->display_name == "root");
  CHECK(root->orphan);
  CHECK_FALSE(root->expire_time.has_value());
  CHECK(root->ttl == absl::ZeroDuration());
  CHECK(root->creation_ttl == absl::ZeroDuration());
  CHECK_FALSE(root->renewable);
  CHECK(root->num_uses == 0);
  CHECK(root->creation_time == f.now);
  CHECK(root->type == "service");
  // Years later it still works, and it can be revoked like any token.
  f.now += absl::Hours(24 * 365 * 10);
  CHECK(f.Usable(f.root));
  REQUIRE(f.Revoke(f.root).ok());
  CHECK(absl::IsPermissionDenied(f.Lookup(f.root).status()));
}

TEST_CASE("a second root token reuses the salt", "[auth][create]") {
  AuthFixture f;
  const std::string salt = f.store.data().at("sys/token/salt");
  auto second = f.Run([&](kv::Txn* t) {
    return f.tokens.CreateRoot(t, f.now, TestRandom(1000));
  });
  REQUIRE(second.ok());
  CHECK(f.store.data().at("sys/token/salt") == salt);
  CHECK(f.Usable(f.root));
  CHECK(f.Usable(second->id));
}

TEST_CASE("a created token looks up with every field it was given",
          "[auth][create]") {
  AuthFixture f;
  CreateRequest r;
  r.policies = {" Web ", "db", "web", ""};
  r.metadata = {{"user", "alice"}, {"team", "x"}};
  r.ttl = absl::Hours(1);
  r.explicit_max_ttl = absl::Hours(10);
  r.display_name = "ci job#1";
  r.num_uses = 5;
  auto created = f.Create(f.root, r);
  REQUIRE(created.ok());
  auto t = f.Lookup(created->id);
  REQUIRE(t.ok());
  CHECK(*t == created->token);
  CHECK(t->policies == Policies{"db", "default", "web"});
  CHECK(t->metadata == r.metadata);
  CHECK(t->display_name == "token-ci-job-1");
  CHECK(t->num_uses == 5);
  CHECK(t->creation_time == f.now);
  CHECK(t->creation_ttl == absl::Hours(1));
  CHECK(t->expire_time == f.now + absl::Hours(1));
  CHECK(t->ttl == absl::Hours(1));
  CHECK(t->explicit_max_ttl == absl::Hours(10));
  CHECK(t->period == absl::ZeroDuration());
  CHECK(t->renewable);
  CHECK_FALSE(t->orphan);
  CHECK_FALSE(t->last_renewal_time.has_value());
  f.now += absl::Minutes(20);
  CHECK(f.Lookup(created->id)->ttl == absl::Minutes(40));
}

TEST_CASE("display names as Vault forms them", "[auth][create]") {
  CHECK(DisplayName("") == "token");
  CHECK(DisplayName("app") == "token-app");
  CHECK(DisplayName("a b/c") == "token-a-b-c");
  CHECK(DisplayName("x!") == "token-x");
  CHECK(DisplayName("x--") == "token-x-");
}

TEST_CASE("policies are sanitized as Vault's SanitizePolicies",
          "[auth][create][policy]") {
  CHECK(SanitizePolicies({"B", " a ", "b", ""}, true) ==
        Policies{"a", "b", "default"});
  CHECK(SanitizePolicies({"a", "default"}, false) == Policies{"a", "default"});
  CHECK(SanitizePolicies({"a", "ROOT"}, true) == Policies{"root"});
  CHECK(SanitizePolicies({}, true) == Policies{"default"});
  CHECK(SanitizePolicies({}, false).empty());
}

TEST_CASE("a child's policies must be a subset of its parent's",
          "[auth][create][policy]") {
  AuthFixture f;
  const std::string parent = f.MustCreate(f.root, WithPolicies({"a", "b"}));
  // No policies: the parent's.
  CHECK(f.Lookup(f.MustCreate(parent, CreateRequest{}))->policies ==
        Policies{"a", "b", "default"});
  CHECK(f.Create(parent, WithPolicies({"a"})).ok());
  CHECK(f.Create(parent, WithPolicies({"default"})).ok());
  auto wider = f.Create(parent, WithPolicies({"a", "c"}));
  CHECK(absl::IsPermissionDenied(wider.status()));
  CHECK(absl::StrContains(wider.status().message(), "subset"));
  // Sudo lifts the subset rule, but not for root.
  CHECK(f.Create(parent, WithPolicies({"c"}), {.sudo = true}).ok());
  CHECK(absl::IsPermissionDenied(
      f.Create(parent, WithPolicies({"root"}), {.sudo = true}).status()));
  // A root parent may give anything, root included.
  CHECK(f.Create(f.root, WithPolicies({"anything"})).ok());
  auto root_child = f.Create(f.root, WithPolicies({"root", "x"}));
  REQUIRE(root_child.ok());
  CHECK(root_child->token.policies == Policies{"root"});
  CHECK_FALSE(root_child->token.expire_time.has_value());
  CHECK_FALSE(root_child->token.renewable);
}

TEST_CASE("no_default_policy leaves default out", "[auth][create][policy]") {
  AuthFixture f;
  CreateRequest r = WithPolicies({"a"});
  r.no_default_policy = true;
  CHECK(f.Lookup(f.MustCreate(f.root, r))->policies == Policies{"a"});
}

TEST_CASE("orphans need may_orphan or a root parent", "[auth][create]") {
  AuthFixture f;
  const std::string parent = f.MustCreate(f.root, WithPolicies({"a"}));
  CreateRequest orphan = WithPolicies({"a"});
  orphan.no_parent = true;
  auto denied = f.Create(parent, orphan);
  CHECK(absl::IsPermissionDenied(denied.status()));
  auto allowed = f.Create(parent, orphan, {.may_orphan = true});
  REQUIRE(allowed.ok());
  CHECK(allowed->token.orphan);
  auto by_root = f.Create(f.root, orphan);
  REQUIRE(by_root.ok());
  CHECK(by_root->token.orphan);
}

TEST_CASE("periodic tokens need sudo or a root parent", "[auth][create]") {
  AuthFixture f;
  const std::string parent = f.MustCreate(f.root, WithPolicies({"a"}));
  CreateRequest periodic;
  periodic.period = absl::Hours(2);
  periodic.ttl = absl::Hours(5);
  CHECK(absl::IsPermissionDenied(f.Create(parent, periodic).status()));
  auto sudo = f.Create(parent, periodic, {.sudo = true});
  REQUIRE(sudo.ok());
  // The period is the ttl, whatever ttl was asked for.
  CHECK(sudo->token.ttl == absl::Hours(2));
  CHECK(sudo->token.period == absl::Hours(2));
}

TEST_CASE("a token with limited uses cannot create tokens", "[auth][create]") {
  AuthFixture f;
  CreateRequest r;
  r.num_uses = 3;
  const std::string limited = f.MustCreate(f.root, r);
  CHECK(absl::IsInvalidArgument(f.Create(limited).status()));
}

TEST_CASE("ttl: default, max_ttl, explicit max", "[auth][create][ttl]") {
  TokenStoreOptions options;
  options.default_ttl = absl::Hours(10);
  options.max_ttl = absl::Hours(100);
  AuthFixture f(options);
  CHECK(f.Lookup(f.MustCreate(f.root))->ttl == absl::Hours(10));
  CreateRequest r;
  r.ttl = absl::Hours(1000);
  CHECK(f.Lookup(f.MustCreate(f.root, r))->ttl == absl::Hours(100));
  r.explicit_max_ttl = absl::Hours(3);
  CHECK(f.Lookup(f.MustCreate(f.root, r))->ttl == absl::Hours(3));
  // A periodic token's period is capped at max_ttl too.
  CreateRequest p;
  p.period = absl::Hours(500);
  CHECK(f.Lookup(f.MustCreate(f.root, p))->ttl == absl::Hours(100));
  // A root token with only explicit_max_ttl gets it as its ttl.
  CreateRequest root_capped = WithPolicies({"root"});
  root_capped.explicit_max_ttl = absl::Hours(7);
  auto t = f.Lookup(f.MustCreate(f.root, root_capped));
  CHECK(t->ttl == absl::Hours(7));
  CHECK(t->renewable);
}

TEST_CASE("a child's ttl is capped by its expiring parent, an orphan's not",
          "[auth][create][ttl]") {
  AuthFixture f;
  CreateRequest parent_request;
  parent_request.ttl = absl::Hours(2);
  const std::string parent = f.MustCreate(f.root, parent_request);
  f.now += absl::Hours(1);
  CreateRequest r;
  r.ttl = absl::Hours(5);
  auto child = f.Lookup(f.MustCreate(parent, r));
  CHECK(child->ttl == absl::Hours(1));
  CHECK(child->expire_time == f.Lookup(parent)->expire_time);
  r.no_parent = true;
  CHECK(f.Lookup(f.MustCreate(parent, r, {.may_orphan = true}))->ttl ==
        absl::Hours(5));
  // The root token never expires, so it caps nothing.
  r.no_parent = false;
  CHECK(f.Lookup(f.MustCreate(f.root, r))->ttl == absl::Hours(5));
}

TEST_CASE("an expiring root token cannot create a non-expiring one",
          "[auth][create][ttl]") {
  AuthFixture f;
  CreateRequest expiring_root = WithPolicies({"root"});
  expiring_root.ttl = absl::Hours(1);
  const std::string parent = f.MustCreate(f.root, expiring_root);
  CHECK(absl::IsInvalidArgument(
      f.Create(parent, WithPolicies({"root"})).status()));
  // With a ttl it may.
  CHECK(f.Create(parent, expiring_root).ok());
}

TEST_CASE("creation refuses bad arguments and unusable parents",
          "[auth][create]") {
  AuthFixture f;
  CreateRequest negative;
  negative.ttl = -absl::Seconds(1);
  CHECK(absl::IsInvalidArgument(f.Create(f.root, negative).status()));
  CreateRequest empty_name;
  empty_name.metadata[""] = "x";
  CHECK(absl::IsInvalidArgument(f.Create(f.root, empty_name).status()));
  CHECK(absl::IsPermissionDenied(f.Create("hvs.unknown").status()));
  CHECK(absl::IsPermissionDenied(f.Create("").status()));
  CreateRequest huge;
  huge.metadata["big"] = std::string(70'000, 'x');
  CHECK(absl::IsResourceExhausted(f.Create(f.root, huge).status()));
  f.now = absl::UnixEpoch() - absl::Seconds(1);
  CHECK(absl::IsInvalidArgument(f.Create(f.root).status()));
}

TEST_CASE("random bytes already used are refused with Aborted",
          "[auth][create]") {
  AuthFixture f;
  const TokenRandom random = TestRandom(500);
  auto create = [&] {
    return f.Run([&](kv::Txn* t) {
      return f.tokens.Create(t, f.now, f.root, {}, {}, random);
    });
  };
  REQUIRE(create().ok());
  CHECK(absl::IsAborted(create().status()));
}

TEST_CASE("the same inputs give byte-identical writes", "[auth][create]") {
  AuthFixture a, b;
  CreateRequest r = WithPolicies({"x"});
  r.metadata = {{"k", "v"}, {"a", "b"}};
  REQUIRE(a.Create(a.root, r).ok());
  REQUIRE(b.Create(b.root, r).ok());
  CHECK(a.last_writes == b.last_writes);
  CHECK(a.store.data() == b.store.data());
}

TEST_CASE("a tree is at most kMaxTreeDepth tokens deep", "[auth][create]") {
  AuthFixture f;
  std::string parent = f.root;
  for (int depth = 1; depth <= kMaxTreeDepth; ++depth) {
    parent = f.MustCreate(parent);
  }
  CHECK(f.Usable(parent));
  CHECK(absl::IsResourceExhausted(f.Create(parent).status()));
  // An orphan starts a new tree.
  CreateRequest orphan;
  orphan.no_parent = true;
  CHECK(f.Create(parent, orphan, {.may_orphan = true}).ok());
}

}  // namespace
}  // namespace coffer::auth
