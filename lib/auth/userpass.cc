#include "auth/userpass.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "auth/cidr.h"
#include "auth/records.h"
#include "auth/rules.h"
#include "auth/store_internal.h"
#include "base/status_macros.h"
#include "crypto/hash.h"
#include "kv/load_record.h"

namespace coffer::auth {
namespace {

absl::Status Invalid() {
  return absl::PermissionDeniedError("auth: invalid username or password");
}

std::string UserPrefix(const authpb::AuthMethodEntry& m) {
  return absl::StrCat(kUserpassPrefix, m.accessor(), "/user/");
}

std::string UserKey(const authpb::AuthMethodEntry& m, absl::string_view name) {
  return absl::StrCat(UserPrefix(m), name);
}

ScryptParams ParamsOf(const authpb::UserEntry& e) {
  ScryptParams p;
  p.n = e.scrypt_n();
  p.r = e.scrypt_r();
  p.p = e.scrypt_p();
  return p;
}

std::string CheckUser(const authpb::UserEntry& e) {
  if (e.format_version() != kFormatVersion) return "unknown format";
  if (e.password_hash().size() != kPasswordKeyBytes) return "bad hash";
  if (e.salt().size() != kPasswordSaltBytes) return "bad salt";
  if (!ValidateScryptParams(ParamsOf(e)).ok()) return "bad scrypt parameters";
  if (e.token_ttl_nanos() < 0 || e.token_max_ttl_nanos() < 0) {
    return "negative duration";
  }
  return "";
}

absl::StatusOr<std::optional<authpb::UserEntry>> LoadUser(
    kv::Reader* txn, const authpb::AuthMethodEntry& m, absl::string_view name) {
  return kv::LoadRecord<authpb::UserEntry>(txn, UserKey(m, name), "auth",
                                           "userpass user", &CheckUser);
}

absl::Status CheckPassword(const PasswordHash& p) {
  if (p.key.size() != kPasswordKeyBytes ||
      p.salt.salt.size() != kPasswordSaltBytes) {
    return absl::InvalidArgumentError("auth: a malformed password hash");
  }
  return ValidateScryptParams(p.salt.params);
}

void SetPassword(const PasswordHash& p, authpb::UserEntry* e) {
  e->set_password_hash(p.key);
  e->set_salt(p.salt.salt);
  e->set_scrypt_n(p.salt.params.n);
  e->set_scrypt_r(p.salt.params.r);
  e->set_scrypt_p(p.salt.params.p);
}

}  // namespace

absl::StatusOr<ScryptParams> MethodScryptParams(
    const authpb::AuthMethodEntry& method) {
  std::map<std::string, std::string> options(method.options().begin(),
                                             method.options().end());
  return ScryptParamsFromOptions(options);
}

absl::StatusOr<PasswordSalt> LoginSalt(kv::Reader* txn,
                                       const authpb::AuthMethodEntry& method,
                                       absl::string_view name) {
  COFFER_ASSIGN_OR_RETURN(std::optional<authpb::UserEntry> user,
                          LoadUser(txn, method, name));
  PasswordSalt out;
  if (user.has_value()) {
    out.salt = user->salt();
    out.params = ParamsOf(*user);
    return out;
  }
  COFFER_ASSIGN_OR_RETURN(out.params, MethodScryptParams(method));
  COFFER_ASSIGN_OR_RETURN(
      crypto::Digest d,
      MethodHash(
          txn, "userpass-dummy-salt",
          absl::StrCat(method.accessor(), absl::string_view("\0", 1), name)));
  out.salt = std::string(crypto::DigestView(d).substr(0, kPasswordSaltBytes));
  return out;
}

absl::Status WriteUser(kv::Txn* txn, const authpb::AuthMethodEntry& method,
                       absl::string_view name,
                       const authpb::UserEntry& settings,
                       const std::optional<PasswordHash>& password) {
  COFFER_ASSIGN_OR_RETURN(std::optional<authpb::UserEntry> old,
                          LoadUser(txn, method, name));
  authpb::UserEntry e;
  e.set_format_version(kFormatVersion);
  e.set_name(std::string(name));
  if (password.has_value()) {
    COFFER_RETURN_IF_ERROR(CheckPassword(*password));
    SetPassword(*password, &e);
  } else if (old.has_value()) {
    e.set_password_hash(old->password_hash());
    e.set_salt(old->salt());
    e.set_scrypt_n(old->scrypt_n());
    e.set_scrypt_r(old->scrypt_r());
    e.set_scrypt_p(old->scrypt_p());
  } else {
    return absl::InvalidArgumentError("auth: a new user needs a password");
  }
  COFFER_RETURN_IF_ERROR(internal::CheckDuration(
      "token_ttl", absl::Nanoseconds(settings.token_ttl_nanos())));
  COFFER_RETURN_IF_ERROR(internal::CheckDuration(
      "token_max_ttl", absl::Nanoseconds(settings.token_max_ttl_nanos())));
  if (settings.token_max_ttl_nanos() > 0 &&
      settings.token_ttl_nanos() > settings.token_max_ttl_nanos()) {
    return absl::InvalidArgumentError(
        "auth: token_ttl cannot be above token_max_ttl");
  }
  e.set_token_ttl_nanos(settings.token_ttl_nanos());
  e.set_token_max_ttl_nanos(settings.token_max_ttl_nanos());
  std::vector<std::string> policies = SanitizePolicies(
      {settings.token_policies().begin(), settings.token_policies().end()},
      false);
  if (HasRoot(policies)) {
    return absl::InvalidArgumentError(
        "auth: a user cannot be granted the root policy");
  }
  for (std::string& p : policies) e.add_token_policies(std::move(p));
  COFFER_ASSIGN_OR_RETURN(std::vector<std::string> cidrs,
                          ParseCidrList({settings.token_bound_cidrs().begin(),
                                         settings.token_bound_cidrs().end()}));
  for (std::string& c : cidrs) e.add_token_bound_cidrs(std::move(c));
  txn->Put(UserKey(method, name), Encode(e));
  return absl::OkStatus();
}

absl::Status UpdatePassword(kv::Txn* txn, const authpb::AuthMethodEntry& method,
                            absl::string_view name,
                            const PasswordHash& password) {
  COFFER_RETURN_IF_ERROR(CheckPassword(password));
  COFFER_ASSIGN_OR_RETURN(std::optional<authpb::UserEntry> e,
                          LoadUser(txn, method, name));
  if (!e.has_value()) {
    return absl::NotFoundError(absl::StrCat("auth: no user \"", name, "\""));
  }
  SetPassword(password, &*e);
  txn->Put(UserKey(method, name), Encode(*e));
  return absl::OkStatus();
}

absl::StatusOr<authpb::UserEntry> ReadUser(
    kv::Reader* txn, const authpb::AuthMethodEntry& method,
    absl::string_view name) {
  COFFER_ASSIGN_OR_RETURN(std::optional<authpb::UserEntry> e,
                          LoadUser(txn, method, name));
  if (!e.has_value()) {
    return absl::NotFoundError(absl::StrCat("auth: no user \"", name, "\""));
  }
  e->clear_password_hash();
  e->clear_salt();
  return *std::move(e);
}

absl::StatusOr<std::vector<std::string>> ListUsers(
    kv::Reader* txn, const authpb::AuthMethodEntry& method) {
  const std::string prefix = UserPrefix(method);
  COFFER_ASSIGN_OR_RETURN(std::vector<std::string> keys, txn->List(prefix));
  std::vector<std::string> out;
  for (const std::string& k : keys) out.push_back(k.substr(prefix.size()));
  return out;
}

absl::Status DeleteUser(kv::Txn* txn, const authpb::AuthMethodEntry& method,
                        absl::string_view name) {
  txn->Delete(UserKey(method, name));
  return absl::OkStatus();
}

absl::StatusOr<LoginGrant> UserpassLogin(kv::Txn* txn, absl::Time now,
                                         const TokenStore& store,
                                         const authpb::AuthMethodEntry& method,
                                         absl::string_view name,
                                         const PasswordHash& password,
                                         absl::string_view remote_address,
                                         const MethodRandom& random) {
  COFFER_RETURN_IF_ERROR(internal::CheckNow(now));
  if (!CheckPassword(password).ok()) return Invalid();
  COFFER_ASSIGN_OR_RETURN(std::optional<authpb::UserEntry> user,
                          LoadUser(txn, method, name));
  // The comparison runs whether or not the user exists: a missing user is
  // compared with a key of its own size.
  const std::string absent(kPasswordKeyBytes, '\0');
  const absl::string_view stored =
      user.has_value() ? absl::string_view(user->password_hash()) : absent;
  const bool same_key = crypto::ConstantTimeEquals(stored, password.key);
  if (!user.has_value() || !same_key || user->salt() != password.salt.salt ||
      !(ParamsOf(*user).n == password.salt.params.n &&
        ParamsOf(*user).r == password.salt.params.r &&
        ParamsOf(*user).p == password.salt.params.p)) {
    return Invalid();
  }
  if (!user->token_bound_cidrs().empty() &&
      !AddressInCidrs(remote_address, {user->token_bound_cidrs().begin(),
                                       user->token_bound_cidrs().end()})) {
    return Invalid();
  }
  LoginTokenRequest request;
  request.policies.assign(user->token_policies().begin(),
                          user->token_policies().end());
  request.metadata["username"] = std::string(name);
  request.ttl = absl::Nanoseconds(user->token_ttl_nanos());
  request.max_ttl = absl::Nanoseconds(user->token_max_ttl_nanos());
  request.bound_cidrs.assign(user->token_bound_cidrs().begin(),
                             user->token_bound_cidrs().end());
  request.display_name = absl::StrCat("userpass-", name);
  request.mount_accessor = method.accessor();
  request.mount_path = method.path();
  LoginGrant out;
  COFFER_ASSIGN_OR_RETURN(out.token,
                          store.CreateLogin(txn, now, request, random.token));
  out.token_policies = SanitizePolicies(request.policies, true);
  return out;
}

}  // namespace coffer::auth
