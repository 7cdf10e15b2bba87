// Access control through the node's API on real 3-node clusters: tokens
// made on one node and used on another, policies that allow and refuse,
// revocation and expiry seen by every node, uses counted exactly, and
// revocations that survive a failover.
#include "coffer/auth.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "coffer/node.h"
#include "support/catch.h"
#include "support/cluster_fixture.h"

namespace coffer::testing {
namespace {

const Setup kKv = Setup().Kv("secret/");

// A token made by `as` through node `n` with `policies` (and `req`'s other
// settings), retried over a change of leader.
std::string MakeToken(Node& n, const Caller& as,
                      std::vector<std::string> policies,
                      TokenCreateRequest req = {}) {
  req.policies = std::move(policies);
  absl::StatusOr<CreatedToken> t =
      Retry([&] { return n.CreateToken(as, req); });
  INFO(t.status());
  REQUIRE(t.ok());
  return t->id;
}

absl::Status WritePolicy(Node& n, const Caller& as, const std::string& name,
                         const std::string& text) {
  return Retry([&] { return n.WritePolicy(as, name, text); });
}

absl::StatusCode ReadCode(Node& n, const std::string& token,
                          const std::string& key) {
  return n.KvGet(Caller(token), "secret/", key).status().code();
}

absl::StatusCode PutCode(Node& n, const std::string& token,
                         const std::string& key) {
  return n.KvPut(Caller(token), "secret/", key, {{"v", "x"}}).status().code();
}

TEST_CASE("the root token works on every node and nothing else gets in",
          "[node][auth]") {
  TestCluster c(3);
  const InitializeResult init = StartUnsealed(c, kKv);
  const auto [leader, follower] = LeaderAndFollower(c);
  REQUIRE(c.node(leader).KvPut(c.root(), "secret/", "a", {{"v", "1"}}).ok());
  for (uint64_t id : c.ids()) {
    INFO("node " << id);
    absl::StatusOr<TokenInfo> self =
        c.node(id).LookupToken(c.root(), TokenRef::Self());
    REQUIRE(self.ok());
    CHECK(self->policies == std::vector<std::string>{"root"});
    CHECK_FALSE(self->expire_time.has_value());
    CHECK(self->display_name == "root");
    // A wrong, empty or malformed token is refused, the same way, by
    // every kind of call.
    std::string wrong = init.root_token;
    wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
    for (const std::string& bad : {wrong, std::string(), std::string("x")}) {
      const Caller as(bad);
      const absl::Status get = c.node(id).KvGet(as, "secret/", "a").status();
      CHECK(get.code() == Code::kPermissionDenied);
      CHECK(get.message() == "node: permission denied");
      CHECK(PutCode(c.node(id), bad, "b") == Code::kPermissionDenied);
      CHECK(c.node(id).PutRaw(as, "x", "y").code() == Code::kPermissionDenied);
      CHECK(c.node(id).ListPolicies(as).status().code() ==
            Code::kPermissionDenied);
      CHECK(c.node(id).ListPeers(as).status().code() ==
            Code::kPermissionDenied);
      CHECK(c.node(id).GetKeyStatus(as).status().code() ==
            Code::kPermissionDenied);
      CHECK(c.node(id).Seal(as).code() == Code::kPermissionDenied);
      CHECK(c.node(id).LookupToken(as, TokenRef::Self()).status().code() ==
            Code::kPermissionDenied);
    }
  }
  // The refused write left nothing.
  CHECK(c.node(leader).KvGet(c.root(), "secret/", "b").status().code() ==
        Code::kNotFound);
  // The token records are behind "sys/", which the raw API may not touch.
  CHECK(c.node(leader).GetRaw(c.root(), "sys/token/salt").status().code() ==
        Code::kInvalidArgument);
}

TEST_CASE(
    "a token made on one node works on the others; a read-only policy "
    "reads and cannot write",
    "[node][auth]") {
  TestCluster c(3);
  StartUnsealed(c, kKv);
  const auto [leader, follower] = LeaderAndFollower(c);
  REQUIRE(c.node(leader)
              .KvPut(c.root(), "secret/", "app/db", {{"password", "p1"}})
              .ok());
  REQUIRE(WritePolicy(c.node(follower), c.root(), "app-read",
                      R"(path "secret/data/app/*" { capabilities = ["read"] }
                         path "secret/metadata/app/*" { capabilities = ["list"] })")
              .ok());
  const std::string reader =
      MakeToken(c.node(follower), c.root(), {"app-read"});
  CHECK(reader.rfind("hvs.", 0) == 0);
  for (uint64_t id : c.ids()) {
    INFO("node " << id);
    absl::StatusOr<KvReadResult> r =
        c.node(id).KvGet(Caller(reader), "secret/", "app/db");
    REQUIRE(r.ok());
    CHECK(r->data->at("password") == "p1");
    CHECK(c.node(id).KvList(Caller(reader), "secret/", "app/").ok());
    CHECK(PutCode(c.node(id), reader, "app/db") == Code::kPermissionDenied);
    CHECK(PutCode(c.node(id), reader, "app/new") == Code::kPermissionDenied);
    CHECK(ReadCode(c.node(id), reader, "other") == Code::kPermissionDenied);
    CHECK(c.node(id).KvDelete(Caller(reader), "secret/", "app/db").code() ==
          Code::kPermissionDenied);
    CHECK(c.node(id)
              .KvReadMetadata(Caller(reader), "secret/", "app/db")
              .status()
              .code() == Code::kPermissionDenied);
  }
  // The refused writes left nothing: still version 1, no app/new.
  absl::StatusOr<KeyMetadata> m =
      c.node(leader).KvReadMetadata(c.root(), "secret/", "app/db");
  REQUIRE(m.ok());
  CHECK(m->current_version == 1);
  CHECK(ReadCode(c.node(leader), std::string(c.root().token()), "app/new") ==
        Code::kNotFound);
  // Its own token: lookup-self (the default policy allows it).
  absl::StatusOr<TokenInfo> self =
      c.node(leader).LookupToken(Caller(reader), TokenRef::Self());
  REQUIRE(self.ok());
  CHECK(self->policies == std::vector<std::string>{"app-read", "default"});
  // But not the token store's other calls.
  CHECK(c.node(leader)
            .CreateToken(Caller(reader), TokenCreateRequest{})
            .status()
            .code() == Code::kPermissionDenied);
  CHECK(c.node(leader).ListTokenAccessors(Caller(reader)).status().code() ==
        Code::kPermissionDenied);
}

TEST_CASE("create allows new keys only, update existing ones", "[node][auth]") {
  TestCluster c(3);
  StartUnsealed(c, kKv);
  const auto [leader, follower] = LeaderAndFollower(c);
  REQUIRE(c.node(leader).KvPut(c.root(), "secret/", "old", {{"v", "1"}}).ok());
  REQUIRE(WritePolicy(c.node(leader), c.root(), "create-only",
                      R"(path "secret/data/*" { capabilities = ["create"] })")
              .ok());
  REQUIRE(WritePolicy(c.node(leader), c.root(), "update-only",
                      R"(path "secret/data/*" { capabilities = ["update"] })")
              .ok());
  const std::string creator =
      MakeToken(c.node(leader), c.root(), {"create-only"});
  const std::string updater =
      MakeToken(c.node(leader), c.root(), {"update-only"});
  CHECK(PutCode(c.node(follower), creator, "new") == Code::kOk);
  CHECK(PutCode(c.node(follower), creator, "new") == Code::kPermissionDenied);
  CHECK(PutCode(c.node(follower), creator, "old") == Code::kPermissionDenied);
  CHECK(PutCode(c.node(follower), updater, "old") == Code::kOk);
  CHECK(PutCode(c.node(follower), updater, "fresh") == Code::kPermissionDenied);
  CHECK(ReadCode(c.node(leader), std::string(c.root().token()), "fresh") ==
        Code::kNotFound);
}

TEST_CASE("sudo paths need sudo", "[node][auth]") {
  TestCluster c(3);
  StartUnsealed(c, kKv);
  const uint64_t leader = Leader(c);
  REQUIRE(WritePolicy(c.node(leader), c.root(), "raw",
                      R"(path "sys/raw/*" { capabilities = ["read", "update"] }
                         path "sys/rotate" { capabilities = ["update"] })")
              .ok());
  REQUIRE(
      WritePolicy(c.node(leader), c.root(), "raw-sudo",
                  R"(path "sys/raw/*" { capabilities = ["update", "sudo"] })")
          .ok());
  const std::string plain = MakeToken(c.node(leader), c.root(), {"raw"});
  const std::string sudo = MakeToken(c.node(leader), c.root(), {"raw-sudo"});
  CHECK(c.node(leader).PutRaw(Caller(plain), "a", "1").code() ==
        Code::kPermissionDenied);
  CHECK(c.node(leader).RotateKey(Caller(plain)).status().code() ==
        Code::kPermissionDenied);
  CHECK(c.node(leader).PutRaw(Caller(sudo), "a", "1").ok());
  // Sudo is not a capability of its own: it adds to the one needed.
  CHECK(c.node(leader).GetRaw(Caller(sudo), "a").status().code() ==
        Code::kPermissionDenied);
}

TEST_CASE(
    "policies are written, read, listed and deleted; a change applies "
    "to existing tokens on every node",
    "[node][auth]") {
  TestCluster c(3);
  StartUnsealed(c, kKv);
  const auto [leader, follower] = LeaderAndFollower(c);
  REQUIRE(c.node(leader).KvPut(c.root(), "secret/", "k", {{"v", "1"}}).ok());
  const std::string text =
      R"(path "secret/data/k" { capabilities = ["read"] })";
  REQUIRE(WritePolicy(c.node(follower), c.root(), "K-Reader", text).ok());
  absl::StatusOr<std::string> read =
      c.node(leader).ReadPolicy(c.root(), "k-reader");
  REQUIRE(read.ok());
  CHECK(*read == text);
  absl::StatusOr<std::vector<std::string>> names =
      c.node(follower).ListPolicies(c.root());
  REQUIRE(names.ok());
  CHECK(*names == std::vector<std::string>{"default", "k-reader", "root"});

  const std::string token = MakeToken(c.node(leader), c.root(), {"k-reader"});
  for (uint64_t id : c.ids())
    CHECK(ReadCode(c.node(id), token, "k") == Code::kOk);
  // Narrowed: refused at once everywhere.
  REQUIRE(WritePolicy(c.node(leader), c.root(), "k-reader",
                      R"(path "secret/data/other" { capabilities = ["read"] })")
              .ok());
  for (uint64_t id : c.ids()) {
    CHECK(ReadCode(c.node(id), token, "k") == Code::kPermissionDenied);
  }
  // Widened again, then deleted: the token keeps the name, which grants
  // nothing.
  REQUIRE(WritePolicy(c.node(leader), c.root(), "k-reader", text).ok());
  for (uint64_t id : c.ids())
    CHECK(ReadCode(c.node(id), token, "k") == Code::kOk);
  REQUIRE(c.node(follower).DeletePolicy(c.root(), "k-reader").ok());
  for (uint64_t id : c.ids()) {
    CHECK(ReadCode(c.node(id), token, "k") == Code::kPermissionDenied);
  }
  CHECK(c.node(leader).ReadPolicy(c.root(), "k-reader").status().code() ==
        Code::kNotFound);
  CHECK(c.node(leader).DeletePolicy(c.root(), "k-reader").ok());  // absent

  // Malformed policies say where; the built-ins keep Vault's rules.
  const absl::Status bad = c.node(leader).WritePolicy(
      c.root(), "bad", "path \"a\" {\n  capabilities = [\"fly\"]\n}");
  CHECK(bad.code() == Code::kInvalidArgument);
  CHECK(absl::StrContains(bad.message(), "fly"));
  CHECK(c.node(leader).WritePolicy(c.root(), "root", text).code() ==
        Code::kInvalidArgument);
  CHECK(c.node(leader).DeletePolicy(c.root(), "default").code() ==
        Code::kInvalidArgument);
  CHECK(c.node(leader).WritePolicy(c.root(), "Not/Valid", text).code() ==
        Code::kInvalidArgument);
}

TEST_CASE(
    "a revoked token stops working on every node at once; its children "
    "go with it, orphans stay",
    "[node][auth]") {
  TestCluster c(3);
  StartUnsealed(c, kKv);
  const auto [leader, follower] = LeaderAndFollower(c);
  REQUIRE(c.node(leader).KvPut(c.root(), "secret/", "k", {{"v", "1"}}).ok());
  REQUIRE(WritePolicy(c.node(leader), c.root(), "maker",
                      R"(path "secret/data/*" { capabilities = ["read"] }
                         path "auth/token/create" { capabilities = ["update"] }
                         path "auth/token/create-orphan" { capabilities = ["update"] })")
              .ok());
  const std::string parent = MakeToken(c.node(leader), c.root(), {"maker"});
  const std::string child = MakeToken(c.node(follower), Caller(parent), {});
  const std::string orphan = [&] {
    absl::StatusOr<CreatedToken> t = c.node(follower).CreateToken(
        Caller(parent), TokenCreateRequest{}, /*orphan_endpoint=*/true);
    REQUIRE(t.ok());
    CHECK(t->info.orphan);
    return t->id;
  }();
  // A child gets its parent's policies (and default).
  absl::StatusOr<TokenInfo> info =
      c.node(leader).LookupToken(c.root(), TokenRef::Id(child));
  REQUIRE(info.ok());
  CHECK(info->policies == std::vector<std::string>{"default", "maker"});
  CHECK_FALSE(info->orphan);

  REQUIRE(Retry([&] {
            return c.node(follower).RevokeToken(c.root(), TokenRef::Id(parent));
          }).ok());
  for (uint64_t id : c.ids()) {
    INFO("node " << id);
    CHECK(ReadCode(c.node(id), parent, "k") == Code::kPermissionDenied);
    CHECK(ReadCode(c.node(id), child, "k") == Code::kPermissionDenied);
    CHECK(ReadCode(c.node(id), orphan, "k") == Code::kOk);
  }
  // By accessor, and self.
  absl::StatusOr<TokenInfo> o =
      c.node(leader).LookupToken(Caller(orphan), TokenRef::Self());
  REQUIRE(o.ok());
  const std::string again = MakeToken(c.node(leader), c.root(), {"maker"});
  REQUIRE(c.node(leader)
              .RevokeToken(c.root(), TokenRef::Accessor(o->accessor))
              .ok());
  CHECK(ReadCode(c.node(follower), orphan, "k") == Code::kPermissionDenied);
  CHECK(c.node(leader)
            .RevokeToken(c.root(), TokenRef::Accessor(o->accessor))
            .code() == Code::kNotFound);
  REQUIRE(c.node(follower).RevokeToken(Caller(again), TokenRef::Self()).ok());
  CHECK(ReadCode(c.node(leader), again, "k") == Code::kPermissionDenied);
  // Revoking what is gone is fine (Vault's 204).
  CHECK(c.node(leader).RevokeToken(c.root(), TokenRef::Id(parent)).ok());
}

TEST_CASE("revoke-orphan keeps the children; it needs sudo", "[node][auth]") {
  TestCluster c(3);
  StartUnsealed(c, kKv);
  const uint64_t leader = Leader(c);
  REQUIRE(c.node(leader).KvPut(c.root(), "secret/", "k", {{"v", "1"}}).ok());
  REQUIRE(WritePolicy(c.node(leader), c.root(), "maker",
                      R"(path "secret/data/*" { capabilities = ["read"] }
                         path "auth/token/*" { capabilities = ["update"] })")
              .ok());
  const std::string parent = MakeToken(c.node(leader), c.root(), {"maker"});
  const std::string child = MakeToken(c.node(leader), Caller(parent), {});
  CHECK(c.node(leader)
            .RevokeToken(Caller(parent), TokenRef::Id(parent),
                         RevokeMode::kOrphan)
            .code() == Code::kPermissionDenied);
  REQUIRE(c.node(leader)
              .RevokeToken(c.root(), TokenRef::Id(parent), RevokeMode::kOrphan)
              .ok());
  for (uint64_t id : c.ids()) {
    CHECK(ReadCode(c.node(id), parent, "k") == Code::kPermissionDenied);
    CHECK(ReadCode(c.node(id), child, "k") == Code::kOk);
  }
  absl::StatusOr<TokenInfo> info =
      c.node(leader).LookupToken(Caller(child), TokenRef::Self());
  REQUIRE(info.ok());
  CHECK(info->orphan);
}

TEST_CASE("an expired token is refused everywhere and the leader revokes it",
          "[node][auth][expiry]") {
  TestCluster c(3);
  // The host's clock, driven by the test: one hour forward at a time.
  auto now = UseTestClock(c);
  StartUnsealed(c, kKv);
  const auto [leader, follower] = LeaderAndFollower(c);
  REQUIRE(c.node(leader).KvPut(c.root(), "secret/", "k", {{"v", "1"}}).ok());
  REQUIRE(WritePolicy(c.node(leader), c.root(), "r",
                      R"(path "secret/data/*" { capabilities = ["read"] })")
              .ok());
  TokenCreateRequest req;
  req.ttl = absl::Hours(2);
  const std::string token = MakeToken(c.node(follower), c.root(), {"r"}, req);
  absl::StatusOr<TokenInfo> info =
      c.node(leader).LookupToken(c.root(), TokenRef::Id(token));
  REQUIRE(info.ok());
  REQUIRE(info->expire_time.has_value());
  CHECK(info->ttl == absl::Hours(2));
  const std::string accessor = info->accessor;

  *now += absl::ToInt64Nanoseconds(absl::Hours(1));
  for (uint64_t id : c.ids())
    CHECK(ReadCode(c.node(id), token, "k") == Code::kOk);
  // Renewed by 30 minutes from now: 3 h 30 after creation.
  absl::StatusOr<TokenInfo> renewed = c.node(follower).RenewToken(
      Caller(token), TokenRef::Self(), absl::Minutes(150));
  INFO(renewed.status());
  REQUIRE(renewed.ok());
  CHECK(renewed->ttl == absl::Minutes(150));
  // By accessor (renew-accessor), by another caller: the same rules.
  renewed = c.node(leader).RenewToken(c.root(), TokenRef::Accessor(accessor),
                                      absl::Minutes(150));
  INFO(renewed.status());
  REQUIRE(renewed.ok());
  CHECK(renewed->ttl == absl::Minutes(150));
  CHECK(renewed->accessor == accessor);
  CHECK(c.node(follower)
            .RenewToken(c.root(), TokenRef::Accessor("no-such-accessor"))
            .status()
            .code() == absl::StatusCode::kNotFound);

  *now += absl::ToInt64Nanoseconds(absl::Hours(3));
  for (uint64_t id : c.ids()) {
    CHECK(ReadCode(c.node(id), token, "k") == Code::kPermissionDenied);
  }
  // The leader's upkeep revokes it through the log: its accessor goes.
  CHECK(Eventually([&] {
    absl::StatusOr<std::vector<std::string>> all =
        c.node(follower).ListTokenAccessors(c.root());
    return all.ok() &&
           std::find(all->begin(), all->end(), accessor) == all->end();
  }));
  // The root token never expires.
  CHECK(ReadCode(c.node(leader), std::string(c.root().token()), "k") ==
        Code::kOk);
}

TEST_CASE("num_uses is never exceeded, whichever nodes the uses come from",
          "[node][auth]") {
  TestCluster c(3);
  StartUnsealed(c, kKv);
  const uint64_t leader = Leader(c);
  REQUIRE(c.node(leader).KvPut(c.root(), "secret/", "k", {{"v", "1"}}).ok());
  REQUIRE(WritePolicy(c.node(leader), c.root(), "r",
                      R"(path "secret/data/*" { capabilities = ["read"] })")
              .ok());
  TokenCreateRequest req;
  req.num_uses = 5;
  const std::string token = MakeToken(c.node(leader), c.root(), {"r"}, req);
  std::atomic<int> served{0};
  std::atomic<int> refused{0};
  std::atomic<int> other{0};
  std::vector<std::thread> threads;
  for (uint64_t id : c.ids()) {
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&, id] {
        for (int i = 0; i < 6; ++i) {
          const absl::StatusCode code = ReadCode(c.node(id), token, "k");
          if (code == Code::kOk) {
            ++served;
          } else if (code == Code::kPermissionDenied) {
            ++refused;
          } else {
            ++other;
          }
        }
      });
    }
  }
  for (std::thread& t : threads) t.join();
  INFO("served " << served << ", refused " << refused << ", other " << other);
  // Every request that was served used the token once, in log order.
  CHECK(served == 5);
  CHECK(served + refused + other == 36);
  CHECK(ReadCode(c.node(leader), token, "k") == Code::kPermissionDenied);
}

TEST_CASE("a failover in the middle of a tree's revocation loses none of it",
          "[node][auth][failover]") {
  TestCluster c(3);
  StartUnsealed(c, kKv);
  uint64_t leader = Leader(c);
  REQUIRE(c.node(leader).KvPut(c.root(), "secret/", "k", {{"v", "1"}}).ok());
  REQUIRE(WritePolicy(c.node(leader), c.root(), "maker",
                      R"(path "secret/data/*" { capabilities = ["read"] }
                         path "auth/token/create" { capabilities = ["update"] })")
              .ok());
  const std::string root_of_tree =
      MakeToken(c.node(leader), c.root(), {"maker"});
  // 1,100 children at 4 writes each: more than one batch of 4096 writes.
  std::vector<std::string> children;
  for (int i = 0; i < 1100; ++i) {
    children.push_back(MakeToken(c.node(leader), Caller(root_of_tree), {}));
  }
  absl::StatusOr<std::vector<std::string>> before =
      c.node(leader).ListTokenAccessors(c.root());
  REQUIRE(before.ok());
  REQUIRE(before->size() == 1102);  // root, the tree's top and its children

  REQUIRE(
      c.node(leader).RevokeToken(c.root(), TokenRef::Id(root_of_tree)).ok());
  // Refused at once, however far the batches got.
  CHECK(ReadCode(c.node(leader), children.back(), "k") ==
        Code::kPermissionDenied);
  c.Stop(leader);
  const uint64_t next = Leader(c, {leader});
  for (const std::string& t : {children.front(), children.back()}) {
    CHECK(ReadCode(c.node(next), t, "k") == Code::kPermissionDenied);
  }
  // The new leader finishes the work.
  CHECK(Eventually(
      [&] {
        absl::StatusOr<std::vector<std::string>> left =
            c.node(next).ListTokenAccessors(c.root());
        return left.ok() && left->size() == 1;
      },
      absl::Seconds(20)));
  REQUIRE(c.Start(leader).ok());
}

TEST_CASE("capabilities of a token, by id, accessor or self", "[node][auth]") {
  TestCluster c(3);
  StartUnsealed(c, kKv);
  const uint64_t leader = Leader(c);
  REQUIRE(
      WritePolicy(c.node(leader), c.root(), "p",
                  R"(path "secret/data/a/*" { capabilities = ["read", "list"] }
                         path "secret/data/a/secret" { capabilities = ["deny"] })")
          .ok());
  const std::string token = MakeToken(c.node(leader), c.root(), {"p"});
  const std::vector<std::string> paths = {
      "secret/data/a/x", "secret/data/a/secret", "secret/data/b"};
  using Caps = std::map<std::string, std::vector<std::string>>;
  const Caps want = {{"secret/data/a/x", {"list", "read"}},
                     {"secret/data/a/secret", {"deny"}},
                     {"secret/data/b", {"deny"}}};
  absl::StatusOr<Caps> by_id =
      c.node(leader).Capabilities(c.root(), TokenRef::Id(token), paths);
  REQUIRE(by_id.ok());
  CHECK(*by_id == want);
  absl::StatusOr<Caps> self =
      c.node(leader).Capabilities(Caller(token), TokenRef::Self(), paths);
  REQUIRE(self.ok());  // the default policy allows capabilities-self
  CHECK(*self == want);
  absl::StatusOr<Caps> root =
      c.node(leader).Capabilities(c.root(), TokenRef::Self(), {"anything"});
  REQUIRE(root.ok());
  CHECK(root->at("anything") == std::vector<std::string>{"root"});
  // Asking about another token needs the capability on sys/capabilities.
  CHECK(c.node(leader)
            .Capabilities(Caller(token), TokenRef::Id(token), paths)
            .status()
            .code() == Code::kPermissionDenied);
}

TEST_CASE("a snapshot carries tokens and policies back",
          "[node][auth][snapshot]") {
  TestCluster c(3);
  StartUnsealed(c, kKv);
  const uint64_t leader = Leader(c);
  REQUIRE(c.node(leader).KvPut(c.root(), "secret/", "k", {{"v", "1"}}).ok());
  REQUIRE(WritePolicy(c.node(leader), c.root(), "r",
                      R"(path "secret/data/*" { capabilities = ["read"] })")
              .ok());
  const std::string token = MakeToken(c.node(leader), c.root(), {"r"});
  std::string snap;
  REQUIRE(c.node(leader)
              .SnapshotSaveTo(c.root(),
                              [&](absl::string_view bytes) {
                                snap.append(bytes.data(), bytes.size());
                                return absl::OkStatus();
                              })
              .ok());
  REQUIRE(c.node(leader).RevokeToken(c.root(), TokenRef::Id(token)).ok());
  REQUIRE(c.node(leader).DeletePolicy(c.root(), "r").ok());
  CHECK(ReadCode(c.node(leader), token, "k") == Code::kPermissionDenied);

  size_t pos = 0;
  REQUIRE(c.node(leader)
              .SnapshotRestoreFrom(
                  c.root(),
                  [&](char* buf, size_t cap) -> absl::StatusOr<size_t> {
                    const size_t n = std::min(cap, snap.size() - pos);
                    std::memcpy(buf, snap.data() + pos, n);
                    pos += n;
                    return n;
                  },
                  {})
              .ok());
  for (uint64_t id : c.ids()) {
    INFO("node " << id);
    CHECK(Eventually(
        [&] { return ReadCode(c.node(id), token, "k") == Code::kOk; }));
  }
  CHECK(c.node(leader).ReadPolicy(c.root(), "r").ok());
}

}  // namespace
}  // namespace coffer::testing

namespace coffer::testing {
namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

TEST_CASE("a file audit device records requests with secrets hashed",
          "[node][auth][audit]") {
  TestCluster c(3);
  std::map<uint64_t, std::string> dirs;
  c.tweak = [&dirs](NodeOptions& o) { dirs[o.id] = o.data_dir; };
  StartUnsealed(c, kKv);
  const auto [leader, follower] = LeaderAndFollower(c);
  AuditDevice file;
  file.path = "file";
  file.type = "file";
  file.options = {{"file_path", "audit.log"}};  // under each node's data_dir
  REQUIRE(c.node(leader).EnableAudit(c.root(), file).ok());
  CHECK(c.node(leader).EnableAudit(c.root(), file).code() ==
        Code::kInvalidArgument);  // in use
  absl::StatusOr<std::vector<AuditDevice>> list =
      c.node(follower).ListAudit(c.root());
  REQUIRE(list.ok());
  REQUIRE(list->size() == 1);
  CHECK(list->at(0).path == "file/");

  const std::string secret = "s3cr3t-value-6d1f";
  REQUIRE(c.node(follower)
              .KvPut(c.root(), "secret/", "app", {{"pw", secret}})
              .ok());
  REQUIRE(c.node(follower).KvGet(c.root(), "secret/", "app").ok());
  absl::StatusOr<std::string> hash =
      c.node(follower).AuditHash(c.root(), "file", secret);
  REQUIRE(hash.ok());
  CHECK(hash->rfind("hmac-sha256:", 0) == 0);
  // The node the caller called keeps the records.
  const std::string log =
      ReadFile(std::filesystem::path(dirs.at(follower)) / "audit.log");
  INFO(log.substr(0, 3000));
  CHECK(absl::StrContains(log, "\"type\":\"request\""));
  CHECK(absl::StrContains(log, "\"type\":\"response\""));
  CHECK(absl::StrContains(log, "\"path\":\"secret/data/app\""));
  CHECK(absl::StrContains(log, "\"display_name\":\"root\""));
  CHECK(absl::StrContains(log, *hash));
  CHECK_FALSE(absl::StrContains(log, secret));
  CHECK_FALSE(absl::StrContains(log, std::string(c.root().token())));
  REQUIRE(c.node(leader).DisableAudit(c.root(), "file/").ok());
  CHECK(c.node(leader).DisableAudit(c.root(), "file/").code() ==
        Code::kNotFound);
}

TEST_CASE("when no audit device can record, requests fail and change nothing",
          "[node][auth][audit]") {
  TestCluster c(3);
  auto failing = std::make_shared<std::atomic<bool>>(false);
  auto records = std::make_shared<std::atomic<int>>(0);
  c.tweak = [failing, records](NodeOptions& o) {
    o.audit_callback = [failing, records](absl::string_view) {
      if (*failing) return absl::UnavailableError("sink down");
      ++*records;
      return absl::OkStatus();
    };
  };
  StartUnsealed(c, kKv);
  const auto [leader, follower] = LeaderAndFollower(c);
  AuditDevice sink;
  sink.path = "host";
  sink.type = "callback";
  REQUIRE(c.node(leader).EnableAudit(c.root(), sink).ok());
  // The follower opens the device once it applies the change.
  REQUIRE(Eventually([&] {
    absl::StatusOr<std::vector<AuditDevice>> d =
        c.node(follower).ListAudit(c.root());
    return d.ok() && d->size() == 1;
  }));
  REQUIRE(c.node(follower).KvPut(c.root(), "secret/", "a", {{"v", "1"}}).ok());
  CHECK(*records >= 2);
  *failing = true;
  const absl::Status s =
      c.node(follower).KvPut(c.root(), "secret/", "b", {{"v", "2"}}).status();
  CHECK(s.code() == Code::kUnavailable);
  *failing = false;
  CHECK(c.node(leader).KvGet(c.root(), "secret/", "b").status().code() ==
        Code::kNotFound);
  AuditDevice bad;
  bad.path = "x";
  bad.type = "syslog";
  CHECK(c.node(leader).EnableAudit(c.root(), bad).code() ==
        Code::kInvalidArgument);
  bad.type = "file";
  CHECK(c.node(leader).EnableAudit(c.root(), bad).code() ==
        Code::kInvalidArgument);  // no file_path
}

TEST_CASE("a token finds the mount of a path it may use, and only such a mount",
          "[node][auth][mounts]") {
  TestCluster c(3);
  StartUnsealed(c, kKv);
  const auto [leader, follower] = LeaderAndFollower(c);
  REQUIRE(Retry([&] {
            return c.node(leader).EnableKvMount(c.root(), "team/kv/", {});
          }).ok());
  REQUIRE(WritePolicy(c.node(leader), c.root(), "app",
                      R"(path "team/kv/data/app/*" { capabilities = ["read"] }
                         path "secret/data/hidden/*" { capabilities = ["deny"] })")
              .ok());
  const std::string app = MakeToken(c.node(follower), c.root(), {"app"});
  for (uint64_t id : c.ids()) {
    INFO("node " << id);
    Node& n = c.node(id);
    // Without read on sys/mounts, the path's own mount is found...
    CHECK(n.ListKvMounts(Caller(app)).status().code() ==
          Code::kPermissionDenied);
    for (ReadConsistency rc :
         {ReadConsistency::kLinearizable, ReadConsistency::kStale}) {
      absl::StatusOr<MountInfo> m =
          n.FindKvMount(Caller(app), "team/kv/app/db", rc);
      INFO(m.status());
      REQUIRE(m.ok());
      CHECK(m->path == "team/kv/");
      CHECK(m->config.max_versions == MountConfig().max_versions);
    }
    // ...but not one it may use nothing under, nor a path under no mount:
    // the same refusal, so the call cannot list the mounts.
    CHECK(n.FindKvMount(Caller(app), "secret/hidden/x").status().code() ==
          Code::kPermissionDenied);
    CHECK(n.FindKvMount(Caller(app), "nomount/x").status().code() ==
          Code::kPermissionDenied);
    CHECK(n.FindKvMount(Caller("hvs.not-a-token"), "team/kv/app/db")
              .status()
              .code() == Code::kPermissionDenied);
    // Root sees every mount; the longest prefix wins; a bare mount name
    // finds its mount.
    absl::StatusOr<MountInfo> m = n.FindKvMount(c.root(), "team/kv");
    REQUIRE(m.ok());
    CHECK(m->path == "team/kv/");
    m = n.FindKvMount(c.root(), "secret/a/b/c");
    REQUIRE(m.ok());
    CHECK(m->path == "secret/");
    CHECK(n.FindKvMount(c.root(), "team/other").status().code() ==
          Code::kPermissionDenied);
    CHECK(n.FindKvMount(c.root(), "").status().code() ==
          Code::kInvalidArgument);
  }
}

TEST_CASE(
    "reads see a token's every change at once, though each node caches "
    "the tokens it checked",
    "[node][auth][cache]") {
  TestCluster c(3);
  auto now = UseTestClock(c);
  StartUnsealed(c, kKv);
  const auto [leader, follower] = LeaderAndFollower(c);
  REQUIRE(c.node(leader).KvPut(c.root(), "secret/", "k", {{"v", "1"}}).ok());
  // The parent may create children (Vault's default policy does not).
  REQUIRE(WritePolicy(c.node(leader), c.root(), "r",
                      R"(path "secret/data/*" { capabilities = ["read"] }
                         path "auth/token/create" { capabilities = ["update"] })")
              .ok());
  TokenCreateRequest two_hours;
  two_hours.ttl = absl::Hours(2);
  const std::string parent =
      MakeToken(c.node(leader), c.root(), {"r"}, two_hours);
  const std::string child = MakeToken(c.node(follower), Caller(parent), {"r"});
  auto reads = [&](const std::string& token, absl::StatusCode want) {
    for (uint64_t id : c.ids()) {
      INFO("node " << id);
      // Twice: the second from the node's cache, when it keeps one.
      CHECK(ReadCode(c.node(id), token, "k") == want);
      CHECK(ReadCode(c.node(id), token, "k") == want);
    }
  };
  reads(child, Code::kOk);
  reads(parent, Code::kOk);
  // A policy narrowed: refused at once, though the token did not change.
  REQUIRE(WritePolicy(c.node(follower), c.root(), "r",
                      R"(path "secret/data/other" { capabilities = ["read"] })")
              .ok());
  reads(child, Code::kPermissionDenied);
  REQUIRE(WritePolicy(c.node(follower), c.root(), "r",
                      R"(path "secret/data/*" { capabilities = ["read"] })")
              .ok());
  reads(child, Code::kOk);
  // The parent revoked through another node: the child too, everywhere,
  // though the child's own record is removed only later.
  REQUIRE(c.node(follower).RevokeToken(c.root(), TokenRef::Id(parent)).ok());
  reads(child, Code::kPermissionDenied);
  reads(parent, Code::kPermissionDenied);
  // Renewed past the expiry its cached check saw: still served.
  const std::string renewed =
      MakeToken(c.node(leader), c.root(), {"r"}, two_hours);
  reads(renewed, Code::kOk);
  *now += absl::ToInt64Nanoseconds(absl::Minutes(90));
  REQUIRE(c.node(follower)
              .RenewToken(Caller(renewed), TokenRef::Self(), absl::Hours(2))
              .ok());
  *now += absl::ToInt64Nanoseconds(absl::Minutes(60));  // past the old expiry
  reads(renewed, Code::kOk);
  // Expiry needs no write: past its expire time, the cached token is
  // refused.
  *now += absl::ToInt64Nanoseconds(absl::Hours(1));
  reads(renewed, Code::kPermissionDenied);
}

}  // namespace
}  // namespace coffer::testing
