// Logins through the node's API on real 3-node clusters: AppRole and
// userpass methods enabled, used through followers, their credentials
// refused alike whatever was wrong, their limits (uses, CIDRs, ttls) held
// across nodes, their tokens bound to the method that issued them, and
// their records kept across restarts and snapshots.
#include "coffer/auth_methods.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "coffer/auth.h"
#include "coffer/node.h"
#include "support/catch.h"
#include "support/cluster_fixture.h"

namespace coffer::testing {
namespace {

const Setup kKv = Setup().Kv("secret/");

// Cheap scrypt for tests (Vault's default costs 32 MiB per hash).
const std::map<std::string, std::string> kFastScrypt = {
    {"scrypt_n", "1024"}, {"scrypt_r", "8"}, {"scrypt_p", "1"}};

constexpr char kReadPolicy[] =
    R"(path "secret/data/*" { capabilities = ["read"] })";

absl::StatusCode ReadCode(Node& n, const Caller& as, const std::string& key) {
  return n.KvGet(as, "secret/", key).status().code();
}

// A cluster with a secret, the "r" policy, and an approle method at
// "approle/" with role "app" granting "r".
struct AppRoleCluster {
  explicit AppRoleCluster(AppRole role = {}, uint64_t seed = 1) : c(3, seed) {
    init = StartUnsealed(c, kKv);
    const Roles r = LeaderAndFollower(c);
    leader = r.leader;
    follower = r.follower;
    REQUIRE(
        Retry([&] {
          return c.node(leader).KvPut(c.root(), "secret/", "k", {{"v", "1"}});
        }).ok());
    REQUIRE(Retry([&] {
              return c.node(leader).WritePolicy(c.root(), "r", kReadPolicy);
            }).ok());
    AuthMethod m;
    m.path = "approle";
    m.type = "approle";
    REQUIRE(Retry([&] { return methods(follower).Enable(c.root(), m); }).ok());
    if (role.token.token_policies.empty()) role.token.token_policies = {"r"};
    REQUIRE(Retry([&] {
              return methods(follower).WriteRole(c.root(), "approle/", "app",
                                                 role);
            }).ok());
    absl::StatusOr<std::string> id = Retry([&] {
      return methods(follower).ReadRoleId(c.root(), "approle/", "app");
    });
    REQUIRE(id.ok());
    role_id = *id;
  }

  AuthMethods& methods(uint64_t id) { return c.node(id).auth_methods(); }

  SecretId NewSecretId(std::vector<std::string> cidrs = {}) {
    absl::StatusOr<SecretId> s = Retry([&] {
      return methods(follower).GenerateSecretId(c.root(), "approle/", "app",
                                                {{"team", "blue"}}, cidrs);
    });
    INFO(s.status());
    REQUIRE(s.ok());
    return *s;
  }

  absl::StatusOr<LoginAuth> Login(uint64_t via, const std::string& secret_id,
                                  const std::string& address = "") {
    return Retry([&] {
      return methods(via).AppRoleLogin(Caller("", address), "approle/", role_id,
                                       secret_id);
    });
  }

  TestCluster c;
  InitializeResult init;
  uint64_t leader = 0;
  uint64_t follower = 0;
  std::string role_id;
};

TEST_CASE("an approle login through a follower gives Vault's auth block",
          "[node][auth][approle]") {
  AppRole role;
  role.token.token_ttl = absl::Hours(1);
  role.token.token_max_ttl = absl::Hours(2);
  AppRoleCluster a(role);
  const SecretId secret = a.NewSecretId();
  CHECK_FALSE(secret.accessor.empty());
  absl::StatusOr<LoginAuth> auth = a.Login(a.follower, secret.secret_id);
  INFO(auth.status());
  REQUIRE(auth.ok());
  CHECK(absl::string_view(auth->client_token).substr(0, 4) == "hvs.");
  CHECK(auth->policies == std::vector<std::string>{"default", "r"});
  CHECK(auth->token_policies == std::vector<std::string>{"default", "r"});
  CHECK(auth->metadata.at("role_name") == "app");
  CHECK(auth->metadata.at("team") == "blue");  // the secret-id's metadata
  CHECK(auth->lease_duration == absl::Hours(1));
  CHECK(auth->renewable);
  CHECK(auth->orphan);

  // The token works on every node, for what its policy allows only.
  const Caller token(auth->client_token);
  for (uint64_t id : a.c.ids()) {
    INFO("node " << id);
    CHECK(ReadCode(a.c.node(id), token, "k") == Code::kOk);
    CHECK(a.c.node(id)
              .KvPut(token, "secret/", "k", {{"v", "2"}})
              .status()
              .code() == Code::kPermissionDenied);
    absl::StatusOr<TokenInfo> self =
        a.c.node(id).LookupToken(token, TokenRef::Self());
    REQUIRE(self.ok());
    CHECK(self->metadata.at("role_name") == "app");
    CHECK(self->path == "auth/approle/login");
    CHECK(self->orphan);
    CHECK(self->display_name == "approle");
  }
  // Renewals stop at the role's token_max_ttl.
  absl::StatusOr<TokenInfo> renewed =
      a.c.node(a.follower).RenewToken(token, TokenRef::Self(), absl::Hours(5));
  REQUIRE(renewed.ok());
  CHECK(renewed->ttl <= absl::Hours(2));

  // A wrong secret-id, a wrong role-id, an empty secret-id: one refusal.
  const absl::Status good_role_bad_secret =
      a.Login(a.leader, secret.secret_id + "x").status();
  absl::Status bad_role =
      Retry([&] {
        return a.methods(a.leader).AppRoleLogin(
            Caller(""), "approle/", a.role_id + "x", secret.secret_id);
      }).status();
  const absl::Status empty = a.Login(a.leader, "").status();
  CHECK(good_role_bad_secret.code() == Code::kPermissionDenied);
  CHECK(bad_role == good_role_bad_secret);
  CHECK(empty == good_role_bad_secret);
  // A mount with no method is NotFound, as Vault's unknown path.
  CHECK(a.methods(a.leader)
            .AppRoleLogin(Caller(""), "nothing/", a.role_id, secret.secret_id)
            .status()
            .code() == Code::kNotFound);

  // The accessor names the secret-id; destroying it ends its logins.
  absl::StatusOr<SecretIdInfo> info =
      a.methods(a.follower)
          .LookupSecretIdAccessor(a.c.root(), "approle/", "app",
                                  secret.accessor);
  REQUIRE(info.ok());
  CHECK(info->metadata.at("team") == "blue");
  CHECK_FALSE(info->expiration_time.has_value());
  REQUIRE(a.methods(a.follower)
              .DestroySecretIdAccessor(a.c.root(), "approle/", "app",
                                       secret.accessor)
              .ok());
  CHECK(a.Login(a.leader, secret.secret_id).status() == good_role_bad_secret);
  CHECK(a.methods(a.leader)
            .LookupSecretIdAccessor(a.c.root(), "approle/", "app",
                                    secret.accessor)
            .status()
            .code() == Code::kNotFound);

  // Neither the secret-id nor the token reached a file in the clear.
  const std::string id = auth->client_token;
  for (uint64_t n : a.c.ids()) a.c.Stop(n);
  const DiskScan scan = ScanDataDirs(a.c, {secret.secret_id, id});
  CHECK(scan.files > 0);
  CHECK(scan.files_with_needle.empty());
}

TEST_CASE("a secret-id's uses are never exceeded by logins on every node",
          "[node][auth][approle]") {
  AppRole role;
  role.secret_id_num_uses = 3;
  AppRoleCluster a(role);
  const SecretId secret = a.NewSecretId();
  CHECK(secret.num_uses == 3);
  std::atomic<int> served{0};
  std::atomic<int> refused{0};
  std::atomic<int> other{0};
  std::vector<std::thread> threads;
  for (uint64_t id : a.c.ids()) {
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&, id] {
        for (int i = 0; i < 2; ++i) {
          const absl::StatusCode code =
              a.methods(id)
                  .AppRoleLogin(Caller(""), "approle/", a.role_id,
                                secret.secret_id)
                  .status()
                  .code();
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
  CHECK(served == 3);
  CHECK(served + refused + other == 12);
  // The last use deleted it.
  CHECK(a.methods(a.leader)
            .LookupSecretIdAccessor(a.c.root(), "approle/", "app",
                                    secret.accessor)
            .status()
            .code() == Code::kNotFound);
}

TEST_CASE("bound CIDRs of a role, a secret-id and a token hold",
          "[node][auth][approle][cidr]") {
  AppRole role;
  role.secret_id_bound_cidrs = {"10.0.0.0/8"};
  role.token.token_bound_cidrs = {"10.1.0.0/16", "fd00::/8"};
  AppRoleCluster a(role);
  const SecretId any = a.NewSecretId();
  const SecretId narrow = a.NewSecretId({"10.1.2.0/24"});
  const Code denied = Code::kPermissionDenied;
  // Outside the role's secret-id CIDRs, outside its token CIDRs, or with
  // no address: refused.
  CHECK(a.Login(a.follower, any.secret_id, "192.168.1.1").status().code() ==
        denied);
  CHECK(a.Login(a.follower, any.secret_id, "10.2.0.1").status().code() ==
        denied);
  CHECK(a.Login(a.follower, any.secret_id, "").status().code() == denied);
  // Outside the secret-id's own list.
  CHECK(a.Login(a.follower, narrow.secret_id, "10.1.3.1").status().code() ==
        denied);
  absl::StatusOr<LoginAuth> ok =
      a.Login(a.follower, narrow.secret_id, "10.1.2.3");
  INFO(ok.status());
  REQUIRE(ok.ok());
  // The token works only from its CIDRs, on every node.
  for (uint64_t id : a.c.ids()) {
    INFO("node " << id);
    CHECK(ReadCode(a.c.node(id), Caller(ok->client_token, "10.1.9.9"), "k") ==
          Code::kOk);
    CHECK(ReadCode(a.c.node(id), Caller(ok->client_token, "10.2.0.1"), "k") ==
          denied);
    CHECK(ReadCode(a.c.node(id), Caller(ok->client_token, "::1"), "k") ==
          denied);
    CHECK(ReadCode(a.c.node(id), Caller(ok->client_token), "k") == denied);
  }
  absl::StatusOr<TokenInfo> info = a.c.node(a.leader).LookupToken(
      a.c.root(), TokenRef::Id(ok->client_token));
  REQUIRE(info.ok());
  CHECK(info->bound_cidrs ==
        std::vector<std::string>{"10.1.0.0/16", "fd00::/8"});
  // A role with neither a secret-id nor CIDRs is refused, as Vault's.
  AppRole open;
  open.bind_secret_id = false;
  CHECK(a.methods(a.leader)
            .WriteRole(a.c.root(), "approle/", "open", open)
            .code() == Code::kInvalidArgument);
  AppRole bad;
  bad.secret_id_bound_cidrs = {"10.0.0.0/33"};
  CHECK(a.methods(a.leader)
            .WriteRole(a.c.root(), "approle/", "bad", bad)
            .code() == Code::kInvalidArgument);
}

TEST_CASE("secret-ids and login tokens expire by the host's clock",
          "[node][auth][approle][expiry]") {
  AppRole role;
  role.secret_id_ttl = absl::Hours(1);
  role.token.token_ttl = absl::Minutes(30);
  // The host's clock must be in place before the nodes start, so this case
  // builds its cluster by hand.
  TestCluster c(3);
  auto now = UseTestClock(c);
  StartUnsealed(c, kKv);
  const auto [leader, follower] = LeaderAndFollower(c);
  AuthMethods& m = c.node(follower).auth_methods();
  REQUIRE(Retry([&] {
            return c.node(leader).WritePolicy(c.root(), "r", kReadPolicy);
          }).ok());
  REQUIRE(c.node(leader).KvPut(c.root(), "secret/", "k", {{"v", "1"}}).ok());
  REQUIRE(m.Enable(c.root(), {"approle/", "approle", "", "", {}}).ok());
  role.token.token_policies = {"r"};
  REQUIRE(m.WriteRole(c.root(), "approle/", "app", role).ok());
  absl::StatusOr<std::string> role_id =
      m.ReadRoleId(c.root(), "approle/", "app");
  REQUIRE(role_id.ok());
  absl::StatusOr<SecretId> secret =
      m.GenerateSecretId(c.root(), "approle/", "app", {}, {});
  REQUIRE(secret.ok());
  CHECK(secret->ttl == absl::Hours(1));
  absl::StatusOr<LoginAuth> auth =
      m.AppRoleLogin(Caller(""), "approle/", *role_id, secret->secret_id);
  REQUIRE(auth.ok());
  CHECK(auth->lease_duration == absl::Minutes(30));

  *now += absl::ToInt64Nanoseconds(absl::Minutes(40));
  for (uint64_t id : c.ids()) {
    CHECK(ReadCode(c.node(id), Caller(auth->client_token), "k") ==
          Code::kPermissionDenied);
  }
  // Still inside the secret-id's hour: a new login works.
  absl::StatusOr<LoginAuth> again =
      m.AppRoleLogin(Caller(""), "approle/", *role_id, secret->secret_id);
  REQUIRE(again.ok());
  *now += absl::ToInt64Nanoseconds(absl::Minutes(30));
  CHECK(m.AppRoleLogin(Caller(""), "approle/", *role_id, secret->secret_id)
            .status()
            .code() == Code::kPermissionDenied);
  CHECK(m.LookupSecretIdAccessor(c.root(), "approle/", "app", secret->accessor)
            .status()
            .code() == Code::kNotFound);
}

TEST_CASE("userpass: login, one refusal for every wrong credential, updates",
          "[node][auth][userpass]") {
  TestCluster c(3);
  StartUnsealed(c, kKv);
  const auto [leader, follower] = LeaderAndFollower(c);
  REQUIRE(Retry([&] {
            return c.node(leader).WritePolicy(c.root(), "r", kReadPolicy);
          }).ok());
  REQUIRE(c.node(leader).KvPut(c.root(), "secret/", "k", {{"v", "1"}}).ok());
  AuthMethods& m = c.node(follower).auth_methods();
  REQUIRE(
      m.Enable(c.root(), {"userpass/", "userpass", "people", "", kFastScrypt})
          .ok());
  // Bad options are refused when the method is enabled.
  CHECK(m.Enable(c.root(), {"up2/", "userpass", "", "", {{"scrypt_n", "1000"}}})
            .code() == Code::kInvalidArgument);
  CHECK(m.Enable(c.root(), {"up2/", "ldap", "", "", {}}).code() ==
        Code::kInvalidArgument);
  LoginTokenSettings s;
  s.token_policies = {"R"};  // sanitized to "r"
  s.token_ttl = absl::Hours(2);
  // A new user needs a password.
  CHECK(m.WriteUser(c.root(), "userpass/", "Alice", s, std::nullopt).code() ==
        Code::kInvalidArgument);
  REQUIRE(m.WriteUser(c.root(), "userpass/", "Alice", s, "pw-1").ok());

  absl::StatusOr<LoginAuth> auth = c.node(leader).auth_methods().UserpassLogin(
      Caller(""), "userpass/", "alice", "pw-1");
  INFO(auth.status());
  REQUIRE(auth.ok());
  CHECK(auth->metadata.at("username") == "alice");
  CHECK(auth->policies == std::vector<std::string>{"default", "r"});
  CHECK(auth->lease_duration == absl::Hours(2));
  CHECK(auth->orphan);
  CHECK(ReadCode(c.node(follower), Caller(auth->client_token), "k") ==
        Code::kOk);
  absl::StatusOr<TokenInfo> self = c.node(follower).LookupToken(
      Caller(auth->client_token), TokenRef::Self());
  REQUIRE(self.ok());
  CHECK(self->display_name == "userpass-alice");
  CHECK(self->path == "auth/userpass/login");

  // A wrong password and an unknown user: the same refusal.
  const absl::Status wrong =
      m.UserpassLogin(Caller(""), "userpass/", "alice", "pw-2").status();
  const absl::Status unknown =
      m.UserpassLogin(Caller(""), "userpass/", "bob", "pw-1").status();
  CHECK(wrong.code() == Code::kPermissionDenied);
  CHECK(unknown == wrong);

  // Reading shows the settings, never the hash.
  absl::StatusOr<LoginTokenSettings> read =
      m.ReadUser(c.root(), "userpass/", "alice");
  REQUIRE(read.ok());
  CHECK(read->token_policies == std::vector<std::string>{"r"});
  CHECK(read->token_ttl == absl::Hours(2));
  absl::StatusOr<std::vector<std::string>> users =
      m.ListUsers(c.root(), "userpass/");
  REQUIRE(users.ok());
  CHECK(*users == std::vector<std::string>{"alice"});

  // A new password: the old one stops working. Settings keep the password.
  REQUIRE(m.UpdatePassword(c.root(), "userpass/", "alice", "pw-2").ok());
  CHECK(m.UserpassLogin(Caller(""), "userpass/", "alice", "pw-1").status() ==
        wrong);
  s.token_ttl = absl::Hours(1);
  REQUIRE(m.WriteUser(c.root(), "userpass/", "alice", s, std::nullopt).ok());
  absl::StatusOr<LoginAuth> second =
      m.UserpassLogin(Caller(""), "userpass/", "alice", "pw-2");
  REQUIRE(second.ok());
  CHECK(second->lease_duration == absl::Hours(1));
  CHECK(m.UpdatePassword(c.root(), "userpass/", "nobody", "x").code() ==
        Code::kNotFound);
  REQUIRE(m.DeleteUser(c.root(), "userpass/", "alice").ok());
  CHECK(m.UserpassLogin(Caller(""), "userpass/", "alice", "pw-2").status() ==
        wrong);

  // The password reached no file in the clear.
  for (uint64_t n : c.ids()) c.Stop(n);
  const DiskScan scan = ScanDataDirs(c, {"pw-1", "pw-2"});
  CHECK(scan.files_with_needle.empty());
}

TEST_CASE("policies decide the method calls and logins need no token",
          "[node][auth][access]") {
  AppRoleCluster a;
  Node& n = a.c.node(a.follower);
  REQUIRE(n.WritePolicy(a.c.root(), "app-admin",
                        R"(path "auth/approle/role/a" {
                             capabilities = ["create", "update", "read"] }
                           path "auth/approle/role/a/role-id" {
                             capabilities = ["read"] })")
              .ok());
  TokenCreateRequest req;
  req.policies = {"app-admin"};
  absl::StatusOr<CreatedToken> admin = n.CreateToken(a.c.root(), req);
  REQUIRE(admin.ok());
  const Caller as(admin->id);
  AuthMethods& m = n.auth_methods();
  CHECK(m.WriteRole(as, "approle/", "a", {}).ok());
  CHECK(m.ReadRole(as, "approle/", "a").ok());
  CHECK(m.ReadRoleId(as, "approle/", "a").ok());
  const Code denied = Code::kPermissionDenied;
  CHECK(m.WriteRole(as, "approle/", "b", {}).code() == denied);
  CHECK(m.GenerateSecretId(as, "approle/", "a", {}, {}).status().code() ==
        denied);
  CHECK(m.DeleteRole(as, "approle/", "a").code() == denied);
  CHECK(m.ListRoles(as, "approle/").status().code() == denied);
  CHECK(m.Enable(as, {"other/", "approle", "", "", {}}).code() == denied);
  CHECK(m.Disable(as, "approle/").code() == denied);
  CHECK(m.List(as).status().code() == denied);
  // The root token may, and the list shows the method with its accessor.
  absl::StatusOr<std::vector<AuthMethod>> all = m.List(a.c.root());
  REQUIRE(all.ok());
  REQUIRE(all->size() == 1);
  CHECK((*all)[0].path == "approle/");
  CHECK((*all)[0].type == "approle");
  CHECK(absl::string_view((*all)[0].accessor).substr(0, 13) == "auth_approle_");
  absl::StatusOr<std::vector<std::string>> roles =
      m.ListRoles(a.c.root(), "approle/");
  REQUIRE(roles.ok());
  CHECK(*roles == std::vector<std::string>{"a", "app"});
  // Overlapping paths and the token store's path are refused.
  CHECK(m.Enable(a.c.root(), {"approle/x", "approle", "", "", {}}).code() ==
        Code::kInvalidArgument);
  CHECK(m.Enable(a.c.root(), {"token", "approle", "", "", {}}).code() ==
        Code::kInvalidArgument);
  // A bad token does not stop a login, which uses none.
  const SecretId secret = a.NewSecretId();
  CHECK(
      m.AppRoleLogin(Caller("hvs.bad"), "approle/", a.role_id, secret.secret_id)
          .ok());
}

TEST_CASE("disabling a method refuses its tokens at once and forgets it",
          "[node][auth][approle]") {
  AppRoleCluster a;
  const SecretId secret = a.NewSecretId();
  absl::StatusOr<LoginAuth> auth = a.Login(a.follower, secret.secret_id);
  REQUIRE(auth.ok());
  const Caller token(auth->client_token);
  REQUIRE(ReadCode(a.c.node(a.leader), token, "k") == Code::kOk);
  REQUIRE(a.methods(a.follower).Disable(a.c.root(), "approle/").ok());
  for (uint64_t id : a.c.ids()) {
    INFO("node " << id);
    CHECK(ReadCode(a.c.node(id), token, "k") == Code::kPermissionDenied);
  }
  CHECK(a.methods(a.leader).Disable(a.c.root(), "approle/").code() ==
        Code::kNotFound);
  // Enabled again at the same path: a new method, none of the old data.
  REQUIRE(a.methods(a.leader)
              .Enable(a.c.root(), {"approle/", "approle", "", "", {}})
              .ok());
  CHECK(a.methods(a.leader)
            .ReadRole(a.c.root(), "approle/", "app")
            .status()
            .code() == Code::kNotFound);
  CHECK(a.Login(a.leader, secret.secret_id).status().code() ==
        Code::kPermissionDenied);
  CHECK(ReadCode(a.c.node(a.leader), token, "k") == Code::kPermissionDenied);
}

TEST_CASE("roles and users survive a restart and come back with a snapshot",
          "[node][auth][snapshot]") {
  AppRoleCluster a;
  AuthMethods& m = a.methods(a.leader);
  REQUIRE(m.Enable(a.c.root(), {"userpass/", "userpass", "", "", kFastScrypt})
              .ok());
  LoginTokenSettings s;
  s.token_policies = {"r"};
  REQUIRE(m.WriteUser(a.c.root(), "userpass/", "carol", s, "secret-pw").ok());
  const SecretId secret = a.NewSecretId();
  std::string snap;
  REQUIRE(a.c.node(a.leader)
              .SnapshotSaveTo(a.c.root(),
                              [&](absl::string_view bytes) {
                                snap.append(bytes.data(), bytes.size());
                                return absl::OkStatus();
                              })
              .ok());

  RestartAll(a.c);
  UnsealAll(a.c, {a.init.keys.end() - 2, a.init.keys.end()});
  const Roles r = LeaderAndFollower(a.c);
  CHECK(Retry([&] {
          return a.methods(r.follower)
              .AppRoleLogin(Caller(""), "approle/", a.role_id,
                            secret.secret_id);
        }).ok());
  CHECK(Retry([&] {
          return a.methods(r.follower)
              .UserpassLogin(Caller(""), "userpass/", "carol", "secret-pw");
        }).ok());

  REQUIRE(Retry([&] {
            return a.methods(r.leader).DeleteRole(a.c.root(), "approle/",
                                                  "app");
          }).ok());
  REQUIRE(
      a.methods(r.leader).DeleteUser(a.c.root(), "userpass/", "carol").ok());
  CHECK(a.methods(r.leader)
            .AppRoleLogin(Caller(""), "approle/", a.role_id, secret.secret_id)
            .status()
            .code() == Code::kPermissionDenied);
  size_t pos = 0;
  REQUIRE(a.c.node(r.leader)
              .SnapshotRestoreFrom(
                  a.c.root(),
                  [&](char* buf, size_t cap) -> absl::StatusOr<size_t> {
                    const size_t n = std::min(cap, snap.size() - pos);
                    std::memcpy(buf, snap.data() + pos, n);
                    pos += n;
                    return n;
                  },
                  {})
              .ok());
  for (uint64_t id : a.c.ids()) {
    INFO("node " << id);
    CHECK(Eventually([&] {
      return a.methods(id)
          .UserpassLogin(Caller(""), "userpass/", "carol", "secret-pw")
          .ok();
    }));
  }
  CHECK(Retry([&] {
          return a.methods(r.follower)
              .AppRoleLogin(Caller(""), "approle/", a.role_id,
                            secret.secret_id);
        }).ok());
}

}  // namespace
}  // namespace coffer::testing
