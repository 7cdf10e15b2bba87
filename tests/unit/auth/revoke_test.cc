// Revocation: trees, orphans, accessors, bounded batches; the expiry index.
#include "auth/records.h"
#include "auth_fixture.h"

namespace coffer::auth {
namespace {

CreateRequest Orphan() {
  CreateRequest r = App();
  r.no_parent = true;
  return r;
}

CreateRequest Ttl(absl::Duration ttl) {
  CreateRequest r = App();
  r.ttl = ttl;
  return r;
}

// a -> {b -> {d}, c}, with e an orphan made by b.
struct Tree {
  std::string a, b, c, d, e;
  explicit Tree(AuthFixture& f) {
    a = f.MustCreate(f.root);
    b = f.MustCreate(a);
    c = f.MustCreate(a);
    d = f.MustCreate(b);
    e = f.MustCreate(b, Orphan(), {.may_orphan = true});
  }
};

TEST_CASE("revoking a token revokes its tree but not orphans",
          "[auth][revoke]") {
  AuthFixture f;
  Tree t(f);
  REQUIRE(f.Revoke(t.a).ok());
  for (const std::string& id : {t.a, t.b, t.c, t.d}) {
    CHECK(absl::IsPermissionDenied(f.Lookup(id).status()));
  }
  CHECK(f.Usable(t.e));
  CHECK(f.Usable(f.root));
  // Every record of the four is gone: salt, root (id, accessor), e (id,
  // accessor, expiry) remain.
  CHECK(f.Count("sys/token/") == 6);
  // Revoking again, or an unknown id, changes nothing and is OK.
  REQUIRE(f.Revoke(t.a).ok());
  CHECK(f.last_writes.empty());
  REQUIRE(f.Revoke("hvs.nope").ok());
  CHECK(f.last_writes.empty());
}

TEST_CASE("revoking a subtree leaves the rest", "[auth][revoke]") {
  AuthFixture f;
  Tree t(f);
  REQUIRE(f.Revoke(t.b).ok());
  CHECK(f.Usable(t.a));
  CHECK(f.Usable(t.c));
  CHECK_FALSE(f.Usable(t.b));
  CHECK_FALSE(f.Usable(t.d));
  CHECK(f.Usable(t.e));
}

TEST_CASE("revoke-orphan makes the children orphans", "[auth][revoke]") {
  AuthFixture f;
  Tree t(f);
  REQUIRE(f.RevokeOrphan(t.a).ok());
  CHECK_FALSE(f.Usable(t.a));
  for (const std::string& id : {t.b, t.c}) {
    auto token = f.Lookup(id);
    REQUIRE(token.ok());
    CHECK(token->orphan);
  }
  // Grandchildren keep their parent.
  CHECK_FALSE(f.Lookup(t.d)->orphan);
  // b's tree no longer reaches a: revoking b takes d only.
  REQUIRE(f.Revoke(t.b).ok());
  CHECK_FALSE(f.Usable(t.d));
  CHECK(f.Usable(t.c));
  CHECK(f.Count("sys/token/parent/") == 0);
}

TEST_CASE("revoke by accessor, and revoke-self", "[auth][revoke]") {
  AuthFixture f;
  Tree t(f);
  const std::string accessor = f.Lookup(t.b)->accessor;
  auto by_accessor = f.tokens.LookupAccessor(&f.store, f.now, accessor);
  REQUIRE(by_accessor.ok());
  CHECK(*by_accessor == *f.Lookup(t.b));
  REQUIRE(f.RevokeAccessor(accessor).ok());
  CHECK_FALSE(f.Usable(t.b));
  CHECK_FALSE(f.Usable(t.d));
  CHECK(absl::IsNotFound(f.RevokeAccessor(accessor)));
  CHECK(absl::IsNotFound(
      f.tokens.LookupAccessor(&f.store, f.now, accessor).status()));
  CHECK(absl::IsNotFound(f.RevokeAccessor("unknown")));
  // revoke-self is Revoke with the caller's own id.
  REQUIRE(f.Revoke(t.c).ok());
  CHECK_FALSE(f.Usable(t.c));
}

TEST_CASE("accessors are listed, sorted, without revoked tokens",
          "[auth][revoke]") {
  AuthFixture f;
  Tree t(f);
  auto listed = f.tokens.ListAccessors(&f.store);
  REQUIRE(listed.ok());
  CHECK(listed->size() == 6);
  CHECK(std::is_sorted(listed->begin(), listed->end()));
  REQUIRE(f.Revoke(t.b).ok());
  std::vector<std::string> expected;
  for (const std::string& id : {f.root, t.a, t.c, t.e}) {
    expected.push_back(f.Lookup(id)->accessor);
  }
  std::sort(expected.begin(), expected.end());
  CHECK(*f.tokens.ListAccessors(&f.store) == expected);
}

TEST_CASE("a revoked token's tree is refused before its batches end",
          "[auth][revoke][batch]") {
  TokenStoreOptions options;
  options.revoke_batch_writes = 16;
  AuthFixture f(options);
  const std::string top = f.MustCreate(f.root);
  std::vector<std::string> children, grandchildren;
  std::vector<std::string> accessors;
  for (int i = 0; i < 10; ++i) {
    children.push_back(f.MustCreate(top));
    grandchildren.push_back(f.MustCreate(children.back()));
    accessors.push_back(f.Lookup(grandchildren.back())->accessor);
  }
  auto more = f.Run([&](kv::Txn* t) { return f.tokens.Revoke(t, top); });
  REQUIRE(more.ok());
  REQUIRE(*more);
  CHECK(f.last_writes.size() <= 16);
  for (const std::string& id : children) CHECK_FALSE(f.Usable(id));
  for (const std::string& id : grandchildren) CHECK_FALSE(f.Usable(id));
  // Their accessors name no usable token either.
  for (const std::string& accessor : accessors) {
    CHECK(absl::IsNotFound(
        f.tokens.LookupAccessor(&f.store, f.now, accessor).status()));
  }
  // A refused token cannot create or renew meanwhile.
  CHECK(absl::IsPermissionDenied(f.Create(children.back()).status()));
  CHECK(f.Drain() > 1);
  CHECK(f.max_txn_writes <= 16);
  CHECK(f.Count("sys/token/") == 3);
}

TEST_CASE("revoke-orphan's children stand alone before its batches end",
          "[auth][revoke][batch]") {
  TokenStoreOptions options;
  options.revoke_batch_writes = 16;
  AuthFixture f(options);
  const std::string top = f.MustCreate(f.root);
  std::vector<std::string> children;
  for (int i = 0; i < 30; ++i) children.push_back(f.MustCreate(top));
  auto more = f.Run([&](kv::Txn* t) { return f.tokens.RevokeOrphan(t, top); });
  REQUIRE(more.ok());
  REQUIRE(*more);
  CHECK_FALSE(f.Usable(top));
  for (const std::string& id : children) {
    auto token = f.Lookup(id);
    REQUIRE(token.ok());
    CHECK(token->orphan);  // already, though its record still names top
  }
  // Revoking the root now does not reach them: top left the tree.
  f.Drain();
  REQUIRE(f.Revoke(f.root).ok());
  for (const std::string& id : children) {
    CHECK(f.Usable(id));
    CHECK(f.Lookup(id)->orphan);
  }
}

TEST_CASE("revoke-orphan under a tree being revoked brings nothing back",
          "[auth][revoke][batch]") {
  TokenStoreOptions options;
  options.revoke_batch_writes = 16;
  AuthFixture f(options);
  const std::string top = f.MustCreate(f.root);
  const std::string mid = f.MustCreate(top);
  std::vector<std::string> leaves;
  for (int i = 0; i < 10; ++i) leaves.push_back(f.MustCreate(mid));
  auto more = f.Run([&](kv::Txn* t) { return f.tokens.Revoke(t, top); });
  REQUIRE(more.ok());
  REQUIRE(*more);
  REQUIRE(f.Count("sys/token/id/") > 3);  // mid and leaves are still stored
  // mid is stored and refused; revoke-orphan on it revokes its tree.
  REQUIRE(f.RevokeOrphan(mid).ok());
  for (const std::string& id : leaves) CHECK_FALSE(f.Usable(id));
  f.Drain();
  CHECK(f.Count("sys/token/") == 3);
}

TEST_CASE("a 10000-token tree is revoked in bounded batches",
          "[auth][revoke][batch]") {
  TokenStoreOptions options;
  options.revoke_batch_writes = 1000;
  AuthFixture f(options);
  // A wide and deep tree: 10 children of top, each with 999 descendants in
  // chains of up to 9.
  const std::string top = f.MustCreate(f.root);
  std::vector<std::string> all = {top};
  {
    kv::MemoryTxn txn(&f.store);  // one big txn, to keep the setup fast
    for (int i = 0; i < 10; ++i) {
      auto child =
          f.tokens.Create(&txn, f.now, top, App(), {}, TestRandom(f.draws++));
      REQUIRE(child.ok());
      all.push_back(child->id);
      std::string parent = child->id;
      for (int j = 0; j < 999; ++j) {
        auto c = f.tokens.Create(&txn, f.now, j % 9 == 0 ? child->id : parent,
                                 App(), {}, TestRandom(f.draws++));
        REQUIRE(c.ok());
        all.push_back(c->id);
        parent = c->id;
      }
    }
    txn.Commit();
  }
  REQUIRE(all.size() == 10'001);
  const size_t records = f.Count("sys/token/");
  f.max_txn_writes = 0;
  auto more = f.Run([&](kv::Txn* t) { return f.tokens.Revoke(t, top); });
  REQUIRE(more.ok());
  CHECK(*more);
  const int batches = 1 + f.Drain();
  INFO("batches " << batches);
  CHECK(f.max_txn_writes <= 1000);
  // 4 records a token (id, accessor, expiry, link): at least 40 batches.
  CHECK(batches >= 40);
  CHECK(records - f.Count("sys/token/") == 4 * all.size());
  CHECK(f.Count("sys/token/") == 3);
  for (size_t i = 0; i < all.size(); i += 997) CHECK_FALSE(f.Usable(all[i]));
}

TEST_CASE("ListExpired reads the expiry index in expiry order",
          "[auth][expiry]") {
  AuthFixture f;
  const std::string late = f.MustCreate(f.root, Ttl(absl::Hours(3)));
  const std::string early = f.MustCreate(f.root, Ttl(absl::Hours(1)));
  CreateRequest root_policy;
  root_policy.policies = {"root"};
  const std::string never = f.MustCreate(f.root, root_policy);
  CHECK(f.ListExpired()->empty());
  f.now += absl::Hours(1);  // exactly early's expire time
  auto expired = f.ListExpired();
  REQUIRE(expired.ok());
  REQUIRE(expired->size() == 1);
  f.now += absl::Hours(5);
  expired = f.ListExpired();
  REQUIRE(expired->size() == 2);
  CHECK(f.ListExpired(1)->size() == 1);
  CHECK(absl::IsInvalidArgument(f.ListExpired(0).status()));
  for (const TokenHash& h : *expired) {
    auto more =
        f.Run([&](kv::Txn* t) { return f.tokens.RevokeExpired(t, f.now, h); });
    REQUIRE(more.ok());
    CHECK_FALSE(*more);
  }
  CHECK(f.ListExpired()->empty());
  CHECK(f.Usable(never));
  CHECK(f.Count("sys/token/expiry/") == 0);
  // The salt, root's id and accessor, never's id, accessor and link.
  CHECK(f.Count("sys/token/") == 6);
}

TEST_CASE("RevokeExpired leaves a token not expired at its own now",
          "[auth][expiry]") {
  AuthFixture f;
  const std::string id = f.MustCreate(f.root, Ttl(absl::Hours(1)));
  const absl::Time created = f.now;
  f.now += absl::Hours(1);
  auto expired = f.ListExpired();
  REQUIRE(expired->size() == 1);
  const TokenHash h = expired->front();
  // Not expired at an earlier time: left alone.
  auto more = f.Run([&](kv::Txn* t) {
    return f.tokens.RevokeExpired(t, created + absl::Minutes(30), h);
  });
  REQUIRE(more.ok());
  CHECK(f.last_writes.empty());
  f.now = created + absl::Minutes(30);
  CHECK(f.Usable(id));
  CHECK(absl::IsInvalidArgument(f.Run([&](kv::Txn* t) {
                                   return f.tokens.RevokeExpired(
                                       t, f.now, TokenHash{"zz"});
                                 }).status()));
}

TEST_CASE("ListExpired does not read unexpired entries", "[auth][expiry]") {
  AuthFixture f;
  for (int i = 1; i <= 20; ++i) {
    f.MustCreate(f.root, Ttl(absl::Minutes(i)));
  }
  // A reader that counts the expiry keys it hands out.
  struct CountingReader : kv::Reader {
    kv::Reader* base;
    size_t listed = 0;
    absl::StatusOr<std::optional<std::string>> Get(
        absl::string_view key) override {
      return base->Get(key);
    }
    absl::StatusOr<std::vector<std::string>> List(
        absl::string_view prefix) override {
      auto keys = base->List(prefix);
      if (keys.ok()) listed += keys->size();
      return keys;
    }
  } reader;
  reader.base = &f.store;
  f.now += absl::Minutes(5);
  auto expired = f.tokens.ListExpired(&reader, f.now, 100);
  REQUIRE(expired.ok());
  CHECK(expired->size() == 5);
  CHECK(reader.listed == 5);
}

}  // namespace
}  // namespace coffer::auth
