// Stored records: the documented layout, hash-only storage, corruption.
#include "auth/records.h"

#include "absl/strings/str_format.h"
#include "auth/token_id.h"
#include "auth_fixture.h"
#include "proto/auth.pb.h"

namespace coffer::auth {
namespace {

bool IsDataLossAt(const absl::Status& s, absl::string_view key) {
  INFO(s.ToString());
  return absl::IsDataLoss(s) && absl::StrContains(s.message(), key) &&
         absl::StartsWith(s.message(), "auth: corrupt ");
}

Hasher StoredHasher(AuthFixture& f) {
  authpb::TokenSalt salt;
  REQUIRE(salt.ParseFromString(f.store.data().at(std::string(kSaltKey))));
  return Hasher(salt.salt());
}

std::string KeyOf(AuthFixture& f, const std::string& id) {
  return IdKey(StoredHasher(f).TokenId(id));
}

authpb::TokenEntry EntryOf(AuthFixture& f, const std::string& id) {
  authpb::TokenEntry e;
  REQUIRE(e.ParseFromString(f.store.data().at(KeyOf(f, id))));
  return e;
}

TEST_CASE("records live at the documented keys", "[auth][records]") {
  AuthFixture f;
  const std::string parent = f.MustCreate(f.root);
  CreateRequest r;
  r.ttl = absl::Hours(1);
  auto child = f.Create(parent, r);
  REQUIRE(child.ok());
  const Hasher h = StoredHasher(f);
  const std::string id_hash = DigestHex(h.TokenId(child->id));
  const std::string parent_hash = DigestHex(h.TokenId(parent));
  const std::string accessor_hash =
      DigestHex(h.Accessor(child->token.accessor));
  const std::string nanos =
      absl::StrFormat("%016x", absl::ToUnixNanos(f.now + absl::Hours(1)));
  std::vector<std::string> keys;
  for (const kv::Write& w : f.last_writes) keys.push_back(w.key);
  CHECK(keys == std::vector<std::string>{
                    "sys/token/accessor/" + accessor_hash,
                    "sys/token/expiry/" + nanos + "/" + id_hash,
                    "sys/token/id/" + id_hash,
                    "sys/token/parent/" + parent_hash + "/" + id_hash,
                });
  CHECK(f.store.data().contains("sys/token/salt"));
  // Values: every record has its format version.
  authpb::AccessorEntry accessor;
  REQUIRE(accessor.ParseFromString(f.last_writes[0].value.value()));
  CHECK(accessor.format_version() == 1);
  CHECK(accessor.accessor() == child->token.accessor);
  CHECK(DigestHex(h.TokenId(child->id)) == DigestHex([&] {
          crypto::Digest d;
          std::copy(accessor.token_hash().begin(), accessor.token_hash().end(),
                    d.begin());
          return d;
        }()));
  CHECK(f.last_writes[1].value == std::string("\x08\x01", 2));
}

TEST_CASE("no stored key or value holds a token id", "[auth][records]") {
  AuthFixture f;
  std::vector<std::string> ids = {f.root};
  std::vector<std::string> randoms;  // the id bytes, raw
  randoms.emplace_back(reinterpret_cast<const char*>(TestRandom(0).id.data()),
                       kIdRandomBytes);
  std::vector<std::string> accessors = {f.Lookup(f.root)->accessor};
  for (int i = 0; i < 30; ++i) {
    CreateRequest r;
    r.ttl = absl::Hours(1 + i);
    r.num_uses = i >= 20 && i % 3 == 0 ? 5 : 0;  // never a parent below
    r.no_parent = i % 5 == 0;
    r.metadata = {{"n", std::to_string(i)}};
    const uint64_t draw = f.draws;
    auto c = f.Create(ids[i / 2], r, {.may_orphan = true});
    REQUIRE(c.ok());
    ids.push_back(c->id);
    accessors.push_back(c->token.accessor);
    randoms.emplace_back(
        reinterpret_cast<const char*>(TestRandom(draw).id.data()),
        kIdRandomBytes);
  }
  // Enough children of ids[1] that revoke-orphan takes several batches.
  for (int i = 0; i < 10; ++i) {
    const uint64_t draw = f.draws;
    auto c = f.Create(ids[1]);
    REQUIRE(c.ok());
    ids.push_back(c->id);
    accessors.push_back(c->token.accessor);
    randoms.emplace_back(
        reinterpret_cast<const char*>(TestRandom(draw).id.data()),
        kIdRandomBytes);
  }
  // Renewals, uses and a revocation in progress rewrite records too.
  REQUIRE(f.Renew(ids[5]).ok());
  REQUIRE(f.Use(ids[22]).ok());
  TokenStoreOptions small;
  small.revoke_batch_writes = 16;
  TokenStore batched(small);
  REQUIRE(
      f.Run([&](kv::Txn* t) { return batched.RevokeOrphan(t, ids[1]); }).ok());
  REQUIRE(f.Count("sys/token/revoking/") == 1);

  for (const auto& [key, value] : f.store.data()) {
    INFO("record " << key);
    for (size_t i = 0; i < ids.size(); ++i) {
      CHECK_FALSE(absl::StrContains(key, ids[i].substr(4)));
      CHECK_FALSE(absl::StrContains(value, ids[i].substr(4)));
      CHECK_FALSE(absl::StrContains(key, randoms[i]));
      CHECK_FALSE(absl::StrContains(value, randoms[i]));
      // Accessors appear in values (as Vault stores them), never in keys.
      CHECK_FALSE(absl::StrContains(key, accessors[i]));
    }
  }
}

TEST_CASE("a corrupt token record is DataLoss naming it",
          "[auth][records][corrupt]") {
  AuthFixture f;
  const std::string parent = f.MustCreate(f.root);
  const std::string id = f.MustCreate(parent);
  const std::string key = KeyOf(f, id);
  const authpb::TokenEntry good = EntryOf(f, id);

  std::vector<std::pair<std::string, std::string>> cases;
  cases.emplace_back("garbage", "\x0a\xff");
  authpb::TokenEntry e = good;
  e.set_format_version(2);
  cases.emplace_back("future format", Encode(e));
  e = good;
  e.add_policies("a");  // after "default": out of order
  cases.emplace_back("policy order", Encode(e));
  e = good;
  e.set_accessor("short");
  cases.emplace_back("accessor", Encode(e));
  e = good;
  e.set_parent_hash("xyz");
  cases.emplace_back("parent hash", Encode(e));
  e = good;
  e.set_expire_time_nanos(0);
  cases.emplace_back("expiry without ttl", Encode(e));
  e = good;
  e.set_revocation(authpb::REVOCATION_TREE);
  cases.emplace_back("revoked with a parent", Encode(e));
  e = good;
  e.set_revocation(static_cast<authpb::Revocation>(7));
  cases.emplace_back("unknown revocation", Encode(e));
  e = good;
  e.set_period_nanos(-1);
  cases.emplace_back("negative period", Encode(e));

  for (const auto& [name, bytes] : cases) {
    INFO(name);
    f.store.data()[key] = bytes;
    CHECK(IsDataLossAt(f.Lookup(id).status(), key));
    CHECK(IsDataLossAt(f.Use(id).status(), key));
    CHECK(IsDataLossAt(f.Renew(id).status(), key));
    CHECK(IsDataLossAt(f.Revoke(id), key));
    CHECK(IsDataLossAt(f.Revoke(parent), key));  // met in the tree walk
  }
  f.store.data()[key] = Encode(good);
  CHECK(f.Usable(id));
}

TEST_CASE("a corrupt salt, accessor or index is DataLoss naming it",
          "[auth][records][corrupt]") {
  AuthFixture f;
  CreateRequest r;
  r.ttl = absl::Hours(1);
  auto child = f.Create(f.root, r);
  REQUIRE(child.ok());
  const std::string accessor_key =
      AccessorKey(StoredHasher(f).Accessor(child->token.accessor));

  SECTION("salt") {
    f.store.data()["sys/token/salt"] = "\x08\x01\x12\x01x";
    CHECK(IsDataLossAt(f.Lookup(f.root).status(), "sys/token/salt"));
  }
  SECTION("accessor pointing elsewhere") {
    authpb::AccessorEntry a;
    REQUIRE(a.ParseFromString(f.store.data().at(accessor_key)));
    a.set_token_hash(std::string(32, 'x'));
    f.store.data()[accessor_key] = Encode(a);
    CHECK(IsDataLossAt(
        f.tokens.LookupAccessor(&f.store, f.now, child->token.accessor)
            .status(),
        accessor_key));
    CHECK(IsDataLossAt(f.RevokeAccessor(child->token.accessor), accessor_key));
  }
  SECTION("accessor under another accessor's key") {
    authpb::AccessorEntry a;
    REQUIRE(a.ParseFromString(f.store.data().at(accessor_key)));
    a.set_accessor(std::string(33, 'A'));
    f.store.data()[accessor_key] = Encode(a);
    CHECK(IsDataLossAt(
        f.tokens.LookupAccessor(&f.store, f.now, child->token.accessor)
            .status(),
        accessor_key));
  }
  SECTION("accessor record unparsable") {
    f.store.data()[accessor_key] = "\xff";
    CHECK(
        IsDataLossAt(f.tokens.ListAccessors(&f.store).status(), accessor_key));
  }
  SECTION("expiry key") {
    const std::string bad =
        "sys/token/expiry/00000000000000zz/" + std::string(64, '0');
    f.store.data()[bad] = IndexValue();
    f.now += absl::Hours(2);
    CHECK(IsDataLossAt(f.ListExpired().status(), bad));
  }
  SECTION("parent missing") {
    const std::string grandchild = f.MustCreate(child->id);
    f.store.data().erase(KeyOf(f, child->id));
    CHECK(IsDataLossAt(f.Lookup(grandchild).status(), KeyOf(f, grandchild)));
  }
  SECTION("parent link to a missing child") {
    const std::string link = ParentLinkKey(StoredHasher(f).TokenId(child->id),
                                           StoredHasher(f).TokenId("ghost"));
    f.store.data()[link] = IndexValue();
    CHECK(IsDataLossAt(f.Revoke(child->id), link));
    CHECK(f.Usable(child->id));  // nothing was written
  }
  SECTION("revoking record of a missing token") {
    const std::string pending = RevokingKey(StoredHasher(f).TokenId("ghost"));
    f.store.data()[pending] = IndexValue();
    auto more =
        f.Run([&](kv::Txn* t) { return f.tokens.ContinueRevocations(t); });
    CHECK(IsDataLossAt(more.status(), pending));
  }
}

TEST_CASE("a forged cycle of parents is DataLoss, not a hang",
          "[auth][records][corrupt]") {
  AuthFixture f;
  const std::string a = f.MustCreate(f.root);
  const std::string b = f.MustCreate(a);
  const Hasher h = StoredHasher(f);
  // Make a the child of b: a -> b -> a.
  authpb::TokenEntry ea = EntryOf(f, a);
  ea.set_parent_hash(std::string(crypto::DigestView(h.TokenId(b))));
  f.store.data()[KeyOf(f, a)] = Encode(ea);
  f.store.data().erase(ParentLinkKey(h.TokenId(f.root), h.TokenId(a)));
  f.store.data()[ParentLinkKey(h.TokenId(b), h.TokenId(a))] = IndexValue();
  CHECK(absl::IsDataLoss(f.Lookup(a).status()));
  CHECK(absl::IsDataLoss(f.Lookup(b).status()));
  // Revoking b detaches it from a, which breaks the cycle: both go.
  CHECK(f.Revoke(b).ok());
  CHECK(f.Count("sys/token/") == 3);
}

}  // namespace
}  // namespace coffer::auth
