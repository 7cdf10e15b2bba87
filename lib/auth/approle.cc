#include "auth/approle.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "auth/cidr.h"
#include "auth/records.h"
#include "auth/rules.h"
#include "auth/store_internal.h"
#include "auth/token_id.h"
#include "base/status_macros.h"
#include "kv/load_record.h"

namespace coffer::auth {
namespace {

absl::Status Invalid() {
  return absl::PermissionDeniedError("auth: invalid role_id or secret_id");
}

std::string Prefix(const authpb::AuthMethodEntry& m, absl::string_view part) {
  return absl::StrCat(kAppRolePrefix, m.accessor(), "/", part, "/");
}

std::string RoleKey(const authpb::AuthMethodEntry& m, absl::string_view name) {
  return absl::StrCat(Prefix(m, "role"), name);
}

std::string Bound(const authpb::AuthMethodEntry& m, absl::string_view role,
                  absl::string_view value) {
  return absl::StrCat(m.accessor(), absl::string_view("\0", 1), role,
                      absl::string_view("\0", 1), value);
}

absl::StatusOr<std::string> RoleIdKey(kv::Reader* txn,
                                      const authpb::AuthMethodEntry& m,
                                      absl::string_view role_id) {
  COFFER_ASSIGN_OR_RETURN(crypto::Digest h, MethodHash(txn, "approle-role-id",
                                                       Bound(m, "", role_id)));
  return absl::StrCat(Prefix(m, "role-id"), DigestHex(h));
}

absl::StatusOr<crypto::Digest> SecretIdHash(kv::Reader* txn,
                                            const authpb::AuthMethodEntry& m,
                                            absl::string_view role,
                                            absl::string_view secret_id) {
  return MethodHash(txn, "approle-secret-id", Bound(m, role, secret_id));
}

std::string SecretIdKey(const authpb::AuthMethodEntry& m,
                        absl::string_view role, const crypto::Digest& h) {
  return absl::StrCat(Prefix(m, "secret-id"), role, "/", DigestHex(h));
}

absl::StatusOr<std::string> AccessorKeyOf(kv::Reader* txn,
                                          const authpb::AuthMethodEntry& m,
                                          absl::string_view role,
                                          absl::string_view accessor) {
  COFFER_ASSIGN_OR_RETURN(
      crypto::Digest h,
      MethodHash(txn, "approle-secret-accessor", Bound(m, role, accessor)));
  return absl::StrCat(Prefix(m, "secret-accessor"), role, "/", DigestHex(h));
}

std::string CheckRole(const authpb::AppRoleEntry& e) {
  if (e.format_version() != kFormatVersion) return "unknown format";
  if (e.role_id().empty()) return "no role_id";
  if (e.token_ttl_nanos() < 0 || e.token_max_ttl_nanos() < 0 ||
      e.secret_id_ttl_nanos() < 0) {
    return "negative duration";
  }
  return "";
}
std::string CheckRoleId(const authpb::AppRoleIdEntry& e) {
  return e.format_version() == kFormatVersion ? "" : "unknown format";
}
std::string CheckSecretId(const authpb::SecretIdEntry& e) {
  return e.format_version() == kFormatVersion ? "" : "unknown format";
}
std::string CheckSecretAccessor(const authpb::SecretIdAccessorEntry& e) {
  if (e.format_version() != kFormatVersion) return "unknown format";
  if (e.secret_id_hash().size() != crypto::kSha256Size) return "bad hash";
  return "";
}

absl::StatusOr<std::optional<authpb::AppRoleEntry>> LoadRole(
    kv::Reader* txn, const authpb::AuthMethodEntry& m, absl::string_view name) {
  return kv::LoadRecord<authpb::AppRoleEntry>(txn, RoleKey(m, name), "auth",
                                              "approle role", &CheckRole);
}

absl::StatusOr<std::optional<authpb::SecretIdEntry>> LoadSecretId(
    kv::Reader* txn, absl::string_view key) {
  return kv::LoadRecord<authpb::SecretIdEntry>(
      txn, key, "auth", "approle secret-id", &CheckSecretId);
}

absl::Status CheckDuration(absl::string_view what, int64_t nanos) {
  return internal::CheckDuration(what, absl::Nanoseconds(nanos));
}

// The secret-id at `key` and its accessor record, deleted.
absl::Status DeleteSecretId(kv::Txn* txn, const authpb::AuthMethodEntry& m,
                            absl::string_view role, absl::string_view key,
                            const authpb::SecretIdEntry& e) {
  COFFER_ASSIGN_OR_RETURN(std::string akey,
                          AccessorKeyOf(txn, m, role, e.accessor()));
  txn->Delete(key);
  txn->Delete(akey);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<authpb::AppRoleEntry> WriteRole(
    kv::Txn* txn, const authpb::AuthMethodEntry& method, absl::string_view name,
    const authpb::AppRoleEntry& settings, const MethodRandom& random) {
  authpb::AppRoleEntry role = settings;
  role.set_format_version(kFormatVersion);
  role.set_name(std::string(name));
  COFFER_RETURN_IF_ERROR(CheckDuration("token_ttl", role.token_ttl_nanos()));
  COFFER_RETURN_IF_ERROR(
      CheckDuration("token_max_ttl", role.token_max_ttl_nanos()));
  COFFER_RETURN_IF_ERROR(
      CheckDuration("secret_id_ttl", role.secret_id_ttl_nanos()));
  if (role.token_max_ttl_nanos() > 0 &&
      role.token_ttl_nanos() > role.token_max_ttl_nanos()) {
    return absl::InvalidArgumentError(
        "auth: token_ttl cannot be above token_max_ttl");
  }
  std::vector<std::string> policies = SanitizePolicies(
      {role.token_policies().begin(), role.token_policies().end()}, false);
  if (HasRoot(policies)) {
    return absl::InvalidArgumentError(
        "auth: a role cannot grant the root policy");
  }
  role.clear_token_policies();
  for (std::string& p : policies) role.add_token_policies(std::move(p));
  for (auto* list : {role.mutable_token_bound_cidrs(),
                     role.mutable_secret_id_bound_cidrs()}) {
    COFFER_ASSIGN_OR_RETURN(std::vector<std::string> cidrs,
                            ParseCidrList({list->begin(), list->end()}));
    list->Clear();
    for (std::string& c : cidrs) list->Add(std::move(c));
  }
  if (!role.bind_secret_id() && role.secret_id_bound_cidrs().empty() &&
      role.token_bound_cidrs().empty()) {
    return absl::InvalidArgumentError(
        "auth: at least one constraint should be enabled on the role "
        "(bind_secret_id, secret_id_bound_cidrs or token_bound_cidrs)");
  }
  COFFER_ASSIGN_OR_RETURN(std::optional<authpb::AppRoleEntry> old,
                          LoadRole(txn, method, name));
  if (old.has_value()) {
    role.set_role_id(old->role_id());
  } else {
    role.set_role_id(FormatUuid(random.first));
    COFFER_ASSIGN_OR_RETURN(std::string id_key,
                            RoleIdKey(txn, method, role.role_id()));
    COFFER_ASSIGN_OR_RETURN(std::optional<std::string> taken, txn->Get(id_key));
    if (taken.has_value()) {
      return absl::AbortedError("auth: the random role_id is in use");
    }
    authpb::AppRoleIdEntry index;
    index.set_format_version(kFormatVersion);
    index.set_name(std::string(name));
    txn->Put(id_key, Encode(index));
  }
  txn->Put(RoleKey(method, name), Encode(role));
  return role;
}

absl::StatusOr<authpb::AppRoleEntry> ReadRole(
    kv::Reader* txn, const authpb::AuthMethodEntry& method,
    absl::string_view name) {
  COFFER_ASSIGN_OR_RETURN(std::optional<authpb::AppRoleEntry> role,
                          LoadRole(txn, method, name));
  if (!role.has_value()) {
    return absl::NotFoundError(absl::StrCat("auth: no role \"", name, "\""));
  }
  return *std::move(role);
}

absl::StatusOr<std::vector<std::string>> ListRoles(
    kv::Reader* txn, const authpb::AuthMethodEntry& method) {
  const std::string prefix = Prefix(method, "role");
  COFFER_ASSIGN_OR_RETURN(std::vector<std::string> keys, txn->List(prefix));
  std::vector<std::string> out;
  for (const std::string& k : keys) out.push_back(k.substr(prefix.size()));
  return out;
}

absl::Status DeleteRole(kv::Txn* txn, const authpb::AuthMethodEntry& method,
                        absl::string_view name) {
  COFFER_ASSIGN_OR_RETURN(std::optional<authpb::AppRoleEntry> role,
                          LoadRole(txn, method, name));
  if (!role.has_value()) return absl::OkStatus();
  COFFER_ASSIGN_OR_RETURN(std::string id_key,
                          RoleIdKey(txn, method, role->role_id()));
  txn->Delete(id_key);
  txn->Delete(RoleKey(method, name));
  for (absl::string_view part : {"secret-id", "secret-accessor"}) {
    COFFER_ASSIGN_OR_RETURN(
        std::vector<std::string> keys,
        txn->List(absl::StrCat(Prefix(method, part), name, "/")));
    for (const std::string& k : keys) txn->Delete(k);
  }
  return absl::OkStatus();
}

absl::StatusOr<GeneratedSecretId> GenerateSecretId(
    kv::Txn* txn, absl::Time now, const authpb::AuthMethodEntry& method,
    absl::string_view name, const std::map<std::string, std::string>& metadata,
    const std::vector<std::string>& cidr_list, const MethodRandom& random) {
  COFFER_RETURN_IF_ERROR(internal::CheckNow(now));
  COFFER_ASSIGN_OR_RETURN(authpb::AppRoleEntry role,
                          ReadRole(txn, method, name));
  COFFER_ASSIGN_OR_RETURN(std::vector<std::string> cidrs,
                          ParseCidrList(cidr_list));
  GeneratedSecretId out;
  out.secret_id = FormatUuid(random.first);
  authpb::SecretIdEntry& e = out.entry;
  e.set_format_version(kFormatVersion);
  e.set_accessor(FormatUuid(random.second));
  e.set_creation_time_nanos(ToNanos(now));
  if (role.secret_id_ttl_nanos() > 0) {
    e.set_expire_time_nanos(ToNanos(now) + role.secret_id_ttl_nanos());
  }
  e.set_num_uses(role.secret_id_num_uses());
  for (const auto& [k, v] : metadata) {
    if (k.empty()) {
      return absl::InvalidArgumentError("auth: a metadata name is empty");
    }
    (*e.mutable_metadata())[k] = v;
  }
  for (std::string& c : cidrs) e.add_cidr_list(std::move(c));
  COFFER_ASSIGN_OR_RETURN(crypto::Digest h,
                          SecretIdHash(txn, method, name, out.secret_id));
  const std::string key = SecretIdKey(method, name, h);
  COFFER_ASSIGN_OR_RETURN(std::string akey,
                          AccessorKeyOf(txn, method, name, e.accessor()));
  COFFER_ASSIGN_OR_RETURN(std::optional<std::string> old, txn->Get(key));
  COFFER_ASSIGN_OR_RETURN(std::optional<std::string> old_a, txn->Get(akey));
  if (old.has_value() || old_a.has_value()) {
    return absl::AbortedError("auth: the random secret_id is in use");
  }
  authpb::SecretIdAccessorEntry a;
  a.set_format_version(kFormatVersion);
  a.set_secret_id_hash(std::string(crypto::DigestView(h)));
  txn->Put(key, Encode(e));
  txn->Put(akey, Encode(a));
  return out;
}

namespace {

// The secret-id an accessor names: its key and record.
struct Found {
  std::string key;
  authpb::SecretIdEntry entry;
};
absl::StatusOr<std::optional<Found>> FindByAccessor(
    kv::Reader* txn, const authpb::AuthMethodEntry& method,
    absl::string_view name, absl::string_view accessor) {
  COFFER_ASSIGN_OR_RETURN(std::string akey,
                          AccessorKeyOf(txn, method, name, accessor));
  COFFER_ASSIGN_OR_RETURN(std::optional<authpb::SecretIdAccessorEntry> a,
                          kv::LoadRecord<authpb::SecretIdAccessorEntry>(
                              txn, akey, "auth", "approle secret-id accessor",
                              &CheckSecretAccessor));
  if (!a.has_value()) return std::nullopt;
  crypto::Digest h;
  std::copy(a->secret_id_hash().begin(), a->secret_id_hash().end(), h.begin());
  Found f;
  f.key = SecretIdKey(method, name, h);
  COFFER_ASSIGN_OR_RETURN(std::optional<authpb::SecretIdEntry> e,
                          LoadSecretId(txn, f.key));
  if (!e.has_value()) return std::nullopt;
  f.entry = *std::move(e);
  return f;
}

absl::Status NoAccessor() {
  return absl::NotFoundError("auth: no secret_id with that accessor");
}

bool Expired(const authpb::SecretIdEntry& e, absl::Time now) {
  return e.expire_time_nanos() != 0 && ToNanos(now) >= e.expire_time_nanos();
}

}  // namespace

absl::StatusOr<authpb::SecretIdEntry> LookupSecretIdAccessor(
    kv::Reader* txn, absl::Time now, const authpb::AuthMethodEntry& method,
    absl::string_view name, absl::string_view accessor) {
  COFFER_ASSIGN_OR_RETURN(std::optional<Found> f,
                          FindByAccessor(txn, method, name, accessor));
  if (!f.has_value() || Expired(f->entry, now)) return NoAccessor();
  return std::move(f->entry);
}

absl::Status DestroySecretIdAccessor(kv::Txn* txn,
                                     const authpb::AuthMethodEntry& method,
                                     absl::string_view name,
                                     absl::string_view accessor) {
  COFFER_ASSIGN_OR_RETURN(std::optional<Found> f,
                          FindByAccessor(txn, method, name, accessor));
  if (!f.has_value()) return NoAccessor();
  return DeleteSecretId(txn, method, name, f->key, f->entry);
}

absl::StatusOr<LoginGrant> AppRoleLogin(kv::Txn* txn, absl::Time now,
                                        const TokenStore& store,
                                        const authpb::AuthMethodEntry& method,
                                        absl::string_view role_id,
                                        absl::string_view secret_id,
                                        absl::string_view remote_address,
                                        const MethodRandom& random) {
  COFFER_RETURN_IF_ERROR(internal::CheckNow(now));
  if (role_id.empty() || role_id.size() > 256 || secret_id.size() > 256) {
    return Invalid();
  }
  COFFER_ASSIGN_OR_RETURN(std::string id_key, RoleIdKey(txn, method, role_id));
  COFFER_ASSIGN_OR_RETURN(
      std::optional<authpb::AppRoleIdEntry> index,
      kv::LoadRecord<authpb::AppRoleIdEntry>(txn, id_key, "auth",
                                             "approle role-id", &CheckRoleId));
  if (!index.has_value()) return Invalid();
  const std::string name = index->name();
  COFFER_ASSIGN_OR_RETURN(std::optional<authpb::AppRoleEntry> role,
                          LoadRole(txn, method, name));
  if (!role.has_value() || role->role_id() != role_id) return Invalid();
  if (!role->secret_id_bound_cidrs().empty() &&
      !AddressInCidrs(remote_address, {role->secret_id_bound_cidrs().begin(),
                                       role->secret_id_bound_cidrs().end()})) {
    return Invalid();
  }
  if (!role->token_bound_cidrs().empty() &&
      !AddressInCidrs(remote_address, {role->token_bound_cidrs().begin(),
                                       role->token_bound_cidrs().end()})) {
    return Invalid();
  }
  kv::BufferedTxn scratch(txn);
  LoginTokenRequest request;
  if (role->bind_secret_id()) {
    if (secret_id.empty()) return Invalid();
    COFFER_ASSIGN_OR_RETURN(crypto::Digest h,
                            SecretIdHash(txn, method, name, secret_id));
    const std::string key = SecretIdKey(method, name, h);
    COFFER_ASSIGN_OR_RETURN(std::optional<authpb::SecretIdEntry> e,
                            LoadSecretId(txn, key));
    if (!e.has_value() || Expired(*e, now)) return Invalid();
    if (!e->cidr_list().empty() &&
        !AddressInCidrs(remote_address,
                        {e->cidr_list().begin(), e->cidr_list().end()})) {
      return Invalid();
    }
    if (e->num_uses() == 1) {
      COFFER_RETURN_IF_ERROR(DeleteSecretId(&scratch, method, name, key, *e));
    } else if (e->num_uses() > 1) {
      e->set_num_uses(e->num_uses() - 1);
      scratch.Put(key, Encode(*e));
    }
    for (const auto& [k, v] : e->metadata()) request.metadata[k] = v;
  }
  request.policies.assign(role->token_policies().begin(),
                          role->token_policies().end());
  request.metadata["role_name"] = name;
  request.ttl = absl::Nanoseconds(role->token_ttl_nanos());
  request.max_ttl = absl::Nanoseconds(role->token_max_ttl_nanos());
  request.num_uses = role->token_num_uses();
  request.bound_cidrs.assign(role->token_bound_cidrs().begin(),
                             role->token_bound_cidrs().end());
  request.display_name = "approle";
  request.mount_accessor = method.accessor();
  request.mount_path = method.path();
  LoginGrant out;
  COFFER_ASSIGN_OR_RETURN(
      out.token, store.CreateLogin(&scratch, now, request, random.token));
  out.token_policies = SanitizePolicies(request.policies, true);
  internal::CopyWrites(&scratch, txn);
  return out;
}

}  // namespace coffer::auth
