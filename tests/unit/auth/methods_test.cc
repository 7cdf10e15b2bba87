// The auth methods' engines: CIDR blocks, scrypt against RFC 7914, and
// AppRole and userpass over a txn (records hold no secret-id or password;
// a refused login writes nothing; uses count down to the secret-id's
// deletion).
#include "auth/methods.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "auth/approle.h"
#include "auth/cidr.h"
#include "auth/scrypt.h"
#include "auth/userpass.h"
#include "auth_fixture.h"
#include "crypto/scrypt.h"

namespace coffer::auth {
namespace {

MethodRandom MethodRandomOf(uint64_t n) {
  MethodRandom r;
  r.token = TestRandom(n);
  for (size_t i = 0; i < r.first.size(); ++i) {
    r.first[i] = r.token.id[i];
    r.second[i] = r.token.accessor[i];
  }
  return r;
}

// Every key and value of the store, for "never stored" checks.
std::string Everything(kv::MemoryStore& store) {
  std::string all;
  absl::StatusOr<std::vector<std::string>> keys = store.List("");
  REQUIRE(keys.ok());
  for (const std::string& k : *keys) {
    absl::StatusOr<std::optional<std::string>> v = store.Get(k);
    REQUIRE(v.ok());
    all += k + "=" + v->value_or("") + "\n";
  }
  return all;
}

TEST_CASE("CIDR blocks hold the addresses they should", "[auth][cidr]") {
  const std::vector<std::string> v4 = {"10.0.0.0/8", "192.168.1.7"};
  CHECK(AddressInCidrs("10.255.1.2", v4));
  CHECK(AddressInCidrs("192.168.1.7", v4));
  CHECK_FALSE(AddressInCidrs("192.168.1.8", v4));
  CHECK_FALSE(AddressInCidrs("11.0.0.1", v4));
  CHECK_FALSE(AddressInCidrs("", v4));
  CHECK_FALSE(AddressInCidrs("10.0.0.1:80", v4));  // no ports
  CHECK(AddressInCidrs("1.2.3.4", {"0.0.0.0/0"}));
  CHECK(AddressInCidrs("10.1.2.129", {"10.1.2.128/25"}));
  CHECK_FALSE(AddressInCidrs("10.1.2.127", {"10.1.2.128/25"}));
  CHECK(AddressInCidrs("fd12::1", {"fd00::/8"}));
  CHECK_FALSE(AddressInCidrs("fe80::1", {"fd00::/8"}));
  CHECK_FALSE(AddressInCidrs("::ffff:10.0.0.1", v4));  // no mapped forms
  CHECK_FALSE(AddressInCidrs("10.0.0.1", {"::/0"}));
  absl::StatusOr<std::vector<std::string>> parsed =
      ParseCidrList({" 10.0.0.0/8 ", "", "::1"});
  REQUIRE(parsed.ok());
  CHECK(*parsed == std::vector<std::string>{"10.0.0.0/8", "::1"});
  for (const char* bad :
       {"10.0.0.0/33", "10.0.0/8", "x", "::/129", "1.2.3.4/", "1.2.3.4/-1"}) {
    INFO(bad);
    CHECK(ParseCidrList({bad}).status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("scrypt matches RFC 7914's test vector", "[auth][scrypt]") {
  absl::StatusOr<crypto::SecureBuffer> key =
      crypto::Scrypt("password", "NaCl", 1024, 8, 16, 64, size_t{64} << 20);
  REQUIRE(key.ok());
  CHECK(absl::BytesToHexString(key->view()) ==
        "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
        "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
  CHECK(crypto::Scrypt("p", "s", 1000, 8, 1, 32, size_t{64} << 20)
            .status()
            .code() == absl::StatusCode::kInvalidArgument);
  CHECK(crypto::Scrypt("p", "s", 1 << 20, 8, 1, 32, size_t{1} << 20)
            .status()
            .code() == absl::StatusCode::kResourceExhausted);
  CHECK(ScryptParamsFromOptions({{"scrypt_n", "32"}, {"scrypt_x", "1"}})
            .status()
            .code() == absl::StatusCode::kInvalidArgument);
  absl::StatusOr<ScryptParams> vault = ScryptParamsFromOptions({});
  REQUIRE(vault.ok());
  CHECK(vault->n == 32768);
  CHECK(vault->r == 8);
  CHECK(vault->p == 1);
}

TEST_CASE("an approle login uses its secret-id once and stores no secret",
          "[auth][approle]") {
  AuthFixture f;
  absl::StatusOr<authpb::AuthMethodEntry> method = f.Run([&](kv::Txn* t) {
    return EnableMethod(t, "approle/", "approle", "", {}, MethodRandomOf(100));
  });
  REQUIRE(method.ok());
  authpb::AppRoleEntry settings;
  settings.add_token_policies("App");
  settings.set_bind_secret_id(true);
  settings.set_secret_id_num_uses(2);
  absl::StatusOr<authpb::AppRoleEntry> role = f.Run([&](kv::Txn* t) {
    return WriteRole(t, *method, "web", settings, MethodRandomOf(101));
  });
  REQUIRE(role.ok());
  CHECK(role->token_policies(0) == "app");
  absl::StatusOr<GeneratedSecretId> secret = f.Run([&](kv::Txn* t) {
    return GenerateSecretId(t, f.now, *method, "web", {}, {},
                            MethodRandomOf(102));
  });
  REQUIRE(secret.ok());
  auto login = [&](const std::string& role_id, const std::string& secret_id,
                   uint64_t n) {
    return f.Run([&](kv::Txn* t) {
      return AppRoleLogin(t, f.now, f.tokens, *method, role_id, secret_id, "",
                          MethodRandomOf(n));
    });
  };
  // Refusals write nothing (the fixture checks) and read alike.
  const absl::Status wrong =
      login(role->role_id(), secret->secret_id + "0", 103).status();
  CHECK(wrong.code() == absl::StatusCode::kPermissionDenied);
  CHECK(login("nope", secret->secret_id, 104).status() == wrong);
  absl::StatusOr<LoginGrant> first =
      login(role->role_id(), secret->secret_id, 105);
  REQUIRE(first.ok());
  CHECK(first->token.token.metadata.at("role_name") == "web");
  CHECK(first->token.token.policies ==
        std::vector<std::string>{"app", "default"});
  CHECK(first->token.token.mount_accessor == method->accessor());
  absl::StatusOr<authpb::SecretIdEntry> left = LookupSecretIdAccessor(
      &f.store, f.now, *method, "web", secret->entry.accessor());
  REQUIRE(left.ok());
  CHECK(left->num_uses() == 1);
  REQUIRE(login(role->role_id(), secret->secret_id, 106).ok());
  CHECK(login(role->role_id(), secret->secret_id, 107).status() == wrong);
  CHECK(LookupSecretIdAccessor(&f.store, f.now, *method, "web",
                               secret->entry.accessor())
            .status()
            .code() == absl::StatusCode::kNotFound);
  const std::string all = Everything(f.store);
  CHECK(all.find(secret->secret_id) == std::string::npos);
  CHECK(all.find(first->token.id) == std::string::npos);

  // Disabling the method refuses its tokens; its records go.
  REQUIRE(CheckTokenBindings(&f.store, first->token.token, "").ok());
  absl::StatusOr<bool> more =
      f.Run([&](kv::Txn* t) { return DisableMethod(t, "approle/", 1024); });
  REQUIRE(more.ok());
  CHECK_FALSE(*more);
  CHECK(CheckTokenBindings(&f.store, first->token.token, "").code() ==
        absl::StatusCode::kPermissionDenied);
  absl::StatusOr<std::vector<std::string>> rest = f.store.List(kAppRolePrefix);
  REQUIRE(rest.ok());
  CHECK(rest->empty());
}

TEST_CASE("a disabled method's records go in bounded batches",
          "[auth][approle]") {
  AuthFixture f;
  absl::StatusOr<authpb::AuthMethodEntry> method = f.Run([&](kv::Txn* t) {
    return EnableMethod(t, "approle/", "approle", "", {}, MethodRandomOf(1));
  });
  REQUIRE(method.ok());
  authpb::AppRoleEntry settings;
  settings.set_bind_secret_id(true);
  REQUIRE(f.Run([&](kv::Txn* t) {
             return WriteRole(t, *method, "web", settings, MethodRandomOf(2));
           }).ok());
  for (uint64_t i = 0; i < 20; ++i) {
    REQUIRE(f.Run([&](kv::Txn* t) {
               return GenerateSecretId(t, f.now, *method, "web", {}, {},
                                       MethodRandomOf(10 + i));
             }).ok());
  }
  absl::StatusOr<bool> more =
      f.Run([&](kv::Txn* t) { return DisableMethod(t, "approle/", 16); });
  REQUIRE(more.ok());
  CHECK(*more);
  CHECK(f.last_writes.size() <= 18);  // the method, the marker, 16 records
  int batches = 0;
  while (*more) {
    more = f.Run([&](kv::Txn* t) { return ContinueMethodPurge(t, 16); });
    REQUIRE(more.ok());
    REQUIRE(++batches < 10);
  }
  absl::StatusOr<std::vector<std::string>> rest = f.store.List("sys/a");
  REQUIRE(rest.ok());
  CHECK(rest->empty());  // no sys/approle/, sys/auth-method/, sys/auth-purge/
}

TEST_CASE("userpass compares the derived key, never stores the password",
          "[auth][userpass]") {
  AuthFixture f;
  absl::StatusOr<authpb::AuthMethodEntry> method = f.Run([&](kv::Txn* t) {
    return EnableMethod(t, "userpass/", "userpass", "",
                        {{"scrypt_n", "16"}, {"scrypt_r", "1"}},
                        MethodRandomOf(1));
  });
  REQUIRE(method.ok());
  absl::StatusOr<PasswordSalt> params =
      LoginSalt(&f.store, *method, "dave");  // no such user yet
  REQUIRE(params.ok());
  PasswordHash hash;
  hash.salt.salt = std::string(kPasswordSaltBytes, 's');
  hash.salt.params = params->params;
  absl::StatusOr<crypto::SecureBuffer> key =
      DerivePasswordKey("hunter2", hash.salt.salt, hash.salt.params);
  REQUIRE(key.ok());
  hash.key = std::string(key->view());
  authpb::UserEntry settings;
  settings.add_token_policies("ops");
  REQUIRE(f.Run([&](kv::Txn* t) {
             return WriteUser(t, *method, "dave", settings, hash);
           }).ok());
  absl::StatusOr<PasswordSalt> salt = LoginSalt(&f.store, *method, "dave");
  REQUIRE(salt.ok());
  CHECK(salt->salt == hash.salt.salt);
  // An unknown user's salt is made up, the same at every attempt.
  absl::StatusOr<PasswordSalt> ghost = LoginSalt(&f.store, *method, "eve");
  REQUIRE(ghost.ok());
  CHECK(ghost->salt.size() == kPasswordSaltBytes);
  CHECK(ghost->salt == LoginSalt(&f.store, *method, "eve")->salt);

  auto login = [&](const std::string& name, const PasswordHash& p) {
    return f.Run([&](kv::Txn* t) {
      return UserpassLogin(t, f.now, f.tokens, *method, name, p, "",
                           MethodRandomOf(50));
    });
  };
  absl::StatusOr<LoginGrant> ok = login("dave", hash);
  REQUIRE(ok.ok());
  CHECK(ok->token.token.display_name == "userpass-dave");
  PasswordHash wrong = hash;
  wrong.key[0] ^= 1;
  const absl::Status refused = login("dave", wrong).status();
  CHECK(refused.code() == absl::StatusCode::kPermissionDenied);
  CHECK(login("eve", hash).status() == refused);
  absl::StatusOr<authpb::UserEntry> read = ReadUser(&f.store, *method, "dave");
  REQUIRE(read.ok());
  CHECK(read->password_hash().empty());
  CHECK(read->salt().empty());
  CHECK(Everything(f.store).find("hunter2") == std::string::npos);
}

}  // namespace
}  // namespace coffer::auth
