#include "node/auth_methods.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "auth/approle.h"
#include "auth/methods.h"
#include "auth/scrypt.h"
#include "auth/userpass.h"
#include "base/status_macros.h"
#include "crypto/random.h"
#include "crypto/secure_buffer.h"
#include "kv/records.h"
#include "node/access.h"
#include "node/auth_service.h"
#include "node/codec.h"

namespace coffer::node {
namespace {

using K = nodepb::AuthMethodOp;

// Records one purge batch removes at most (one delete each).
constexpr size_t kPurgeBatch = 1024;

void Wipe(std::string* s) {
  crypto::Wipe(s->data(), s->size());
  s->clear();
}

bool NeedsName(K::Kind k) {
  return k != K::ENABLE && k != K::DISABLE && k != K::LIST && k != K::PURGE &&
         k != K::LIST_ROLES && k != K::LIST_USERS && k != K::APPROLE_LOGIN;
}

// The leader runs only canonical ops: the access check built its path
// from them as they are.
absl::Status CheckCanonical(const nodepb::AuthMethodOp& m) {
  if (m.kind() == K::LIST || m.kind() == K::PURGE) return absl::OkStatus();
  COFFER_ASSIGN_OR_RETURN(std::string mount,
                          auth::CanonicalMethodPath(m.mount()));
  if (mount != m.mount()) {
    return absl::InvalidArgumentError("node: a mount path not canonical");
  }
  if (NeedsName(m.kind())) {
    COFFER_ASSIGN_OR_RETURN(std::string name, auth::CanonicalName(m.name()));
    if (name != m.name()) {
      return absl::InvalidArgumentError("node: a name not canonical");
    }
  }
  return absl::OkStatus();
}

int64_t Nanos(absl::Duration d) { return kv::ToNanos(d); }

absl::Status CheckDuration(absl::Duration d, absl::string_view what) {
  if (d < absl::ZeroDuration() || d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("node: ", what, " must be finite and not negative"));
  }
  return absl::OkStatus();
}

absl::Status CheckSettings(const LoginTokenSettings& s) {
  COFFER_RETURN_IF_ERROR(CheckDuration(s.token_ttl, "token_ttl"));
  return CheckDuration(s.token_max_ttl, "token_max_ttl");
}

template <typename Entry>
void SetTokenSettings(const LoginTokenSettings& s, Entry* e) {
  for (const std::string& p : s.token_policies) e->add_token_policies(p);
  e->set_token_ttl_nanos(Nanos(s.token_ttl));
  e->set_token_max_ttl_nanos(Nanos(s.token_max_ttl));
  for (const std::string& c : s.token_bound_cidrs) e->add_token_bound_cidrs(c);
}

template <typename Entry>
LoginTokenSettings TokenSettingsOf(const Entry& e) {
  LoginTokenSettings s;
  s.token_policies.assign(e.token_policies().begin(), e.token_policies().end());
  s.token_ttl = absl::Nanoseconds(e.token_ttl_nanos());
  s.token_max_ttl = absl::Nanoseconds(e.token_max_ttl_nanos());
  s.token_bound_cidrs.assign(e.token_bound_cidrs().begin(),
                             e.token_bound_cidrs().end());
  return s;
}

SecretIdInfo SecretIdInfoOf(const authpb::SecretIdEntry& e) {
  SecretIdInfo s;
  s.accessor = e.accessor();
  s.creation_time = kv::FromNanos(e.creation_time_nanos());
  if (e.expire_time_nanos() != 0) {
    s.expiration_time = kv::FromNanos(e.expire_time_nanos());
  }
  s.num_uses = e.num_uses();
  for (const auto& [k, v] : e.metadata()) s.metadata[k] = v;
  s.cidr_list.assign(e.cidr_list().begin(), e.cidr_list().end());
  return s;
}

void SetLogin(auth::LoginGrant grant, nodepb::AuthMethodResult* out) {
  out->set_client_token(grant.token.id);
  Wipe(&grant.token.id);
  *out->mutable_token() = TokenViewOf(grant.token.token);
  for (std::string& p : grant.token_policies) {
    out->add_token_policies(std::move(p));
  }
}

LoginAuth LoginAuthOf(nodepb::AuthMethodResult* r) {
  LoginAuth a;
  a.client_token = r->client_token();
  Wipe(r->mutable_client_token());
  const TokenInfo t = TokenInfoOf(r->token());
  a.accessor = t.accessor;
  a.policies = t.policies;
  a.token_policies.assign(r->token_policies().begin(),
                          r->token_policies().end());
  a.metadata = t.metadata;
  a.lease_duration = t.creation_ttl;
  a.renewable = t.renewable;
  a.orphan = t.orphan;
  return a;
}

nodepb::Op MethodOp(K::Kind kind, absl::string_view mount,
                    absl::string_view name) {
  nodepb::Op op;
  op.mutable_method()->set_kind(kind);
  op.mutable_method()->set_mount(std::string(mount));
  op.mutable_method()->set_name(std::string(name));
  return op;
}

auth::PasswordHash PasswordOf(const authpb::UserEntry& u) {
  auth::PasswordHash p;
  p.key = u.password_hash();
  p.salt.salt = u.salt();
  p.salt.params.n = u.scrypt_n();
  p.salt.params.r = u.scrypt_r();
  p.salt.params.p = u.scrypt_p();
  return p;
}

}  // namespace

AuthMethodService::AuthMethodService(LoopState* loop, Submit submit,
                                     Enqueue enqueue)
    : loop_(loop), submit_(std::move(submit)), enqueue_(std::move(enqueue)) {}

// --- Loop thread -------------------------------------------------------------

absl::StatusOr<bool> AuthMethodService::Exists(const nodepb::AuthMethodOp& m,
                                               kv::Reader* txn) {
  COFFER_RETURN_IF_ERROR(CheckCanonical(m));
  if (m.kind() == K::WRITE_ROLE) {
    COFFER_ASSIGN_OR_RETURN(
        authpb::AuthMethodEntry method,
        auth::FindMethod(txn, m.mount(), auth::kAppRoleType));
    absl::StatusOr<authpb::AppRoleEntry> r =
        auth::ReadRole(txn, method, m.name());
    if (absl::IsNotFound(r.status())) return false;
    COFFER_RETURN_IF_ERROR(r.status());
    return true;
  }
  if (m.kind() == K::WRITE_USER) {
    COFFER_ASSIGN_OR_RETURN(
        authpb::AuthMethodEntry method,
        auth::FindMethod(txn, m.mount(), auth::kUserpassType));
    absl::StatusOr<authpb::UserEntry> u = auth::ReadUser(txn, method, m.name());
    if (absl::IsNotFound(u.status())) return false;
    COFFER_RETURN_IF_ERROR(u.status());
    return true;
  }
  return true;
}

absl::StatusOr<nodepb::AuthMethodResult> AuthMethodService::Run(
    const nodepb::Op& op, kv::BufferedTxn* txn) {
  const nodepb::AuthMethodOp& m = op.method();
  COFFER_RETURN_IF_ERROR(CheckCanonical(m));
  const absl::Time now = loop_->Clock();
  nodepb::AuthMethodResult out;
  switch (m.kind()) {
    case K::ENABLE: {
      COFFER_ASSIGN_OR_RETURN(auth::MethodRandom random,
                              auth::DrawMethodRandom());
      std::map<std::string, std::string> options(m.method().options().begin(),
                                                 m.method().options().end());
      COFFER_ASSIGN_OR_RETURN(
          authpb::AuthMethodEntry e,
          auth::EnableMethod(txn, m.mount(), m.method().type(),
                             m.method().description(), options, random));
      *out.add_methods() = std::move(e);
      return out;
    }
    case K::DISABLE: {
      COFFER_ASSIGN_OR_RETURN(bool more,
                              auth::DisableMethod(txn, m.mount(), kPurgeBatch));
      if (more) purge_wanted_ = true;
      out.set_more(more);
      return out;
    }
    case K::LIST: {
      COFFER_ASSIGN_OR_RETURN(std::vector<authpb::AuthMethodEntry> all,
                              auth::ListMethods(txn));
      for (authpb::AuthMethodEntry& e : all) *out.add_methods() = std::move(e);
      return out;
    }
    case K::PURGE: {
      COFFER_ASSIGN_OR_RETURN(bool more,
                              auth::ContinueMethodPurge(txn, kPurgeBatch));
      out.set_more(more);
      return out;
    }
    default:
      break;
  }
  const bool userpass = m.kind() >= K::WRITE_USER;
  COFFER_ASSIGN_OR_RETURN(
      const authpb::AuthMethodEntry method,
      auth::FindMethod(txn, m.mount(),
                       userpass ? auth::kUserpassType : auth::kAppRoleType));
  switch (m.kind()) {
    case K::WRITE_ROLE: {
      COFFER_ASSIGN_OR_RETURN(auth::MethodRandom random,
                              auth::DrawMethodRandom());
      COFFER_RETURN_IF_ERROR(
          auth::WriteRole(txn, method, m.name(), m.role(), random).status());
      return out;
    }
    case K::READ_ROLE: {
      COFFER_ASSIGN_OR_RETURN(*out.mutable_role(),
                              auth::ReadRole(txn, method, m.name()));
      out.mutable_role()->clear_role_id();
      return out;
    }
    case K::LIST_ROLES: {
      COFFER_ASSIGN_OR_RETURN(std::vector<std::string> names,
                              auth::ListRoles(txn, method));
      for (std::string& n : names) out.add_names(std::move(n));
      return out;
    }
    case K::DELETE_ROLE:
      COFFER_RETURN_IF_ERROR(auth::DeleteRole(txn, method, m.name()));
      return out;
    case K::READ_ROLE_ID: {
      COFFER_ASSIGN_OR_RETURN(authpb::AppRoleEntry r,
                              auth::ReadRole(txn, method, m.name()));
      out.set_role_id(r.role_id());
      return out;
    }
    case K::GENERATE_SECRET_ID: {
      COFFER_ASSIGN_OR_RETURN(auth::MethodRandom random,
                              auth::DrawMethodRandom());
      std::map<std::string, std::string> metadata(m.metadata().begin(),
                                                  m.metadata().end());
      COFFER_ASSIGN_OR_RETURN(
          auth::GeneratedSecretId g,
          auth::GenerateSecretId(txn, now, method, m.name(), metadata,
                                 {m.cidr_list().begin(), m.cidr_list().end()},
                                 random));
      crypto::Wipe(random.first.data(), random.first.size());
      out.set_secret_id(g.secret_id);
      Wipe(&g.secret_id);
      *out.mutable_secret() = std::move(g.entry);
      return out;
    }
    case K::LOOKUP_SECRET_ID: {
      COFFER_ASSIGN_OR_RETURN(*out.mutable_secret(),
                              auth::LookupSecretIdAccessor(
                                  txn, now, method, m.name(), m.accessor()));
      return out;
    }
    case K::DESTROY_SECRET_ID:
      COFFER_RETURN_IF_ERROR(
          auth::DestroySecretIdAccessor(txn, method, m.name(), m.accessor()));
      return out;
    case K::APPROLE_LOGIN: {
      COFFER_ASSIGN_OR_RETURN(auth::MethodRandom random,
                              auth::DrawMethodRandom());
      absl::StatusOr<auth::LoginGrant> grant =
          auth::AppRoleLogin(txn, now, store_, method, m.role_id(),
                             m.secret_id(), op.remote_address(), random);
      crypto::Wipe(&random, sizeof(random));
      if (!grant.ok()) return Annotate(grant.status());
      SetLogin(*std::move(grant), &out);
      return out;
    }
    case K::WRITE_USER: {
      std::optional<auth::PasswordHash> password;
      if (m.set_password()) password = PasswordOf(m.user());
      COFFER_RETURN_IF_ERROR(
          auth::WriteUser(txn, method, m.name(), m.user(), password));
      return out;
    }
    case K::READ_USER: {
      COFFER_ASSIGN_OR_RETURN(*out.mutable_user(),
                              auth::ReadUser(txn, method, m.name()));
      return out;
    }
    case K::LIST_USERS: {
      COFFER_ASSIGN_OR_RETURN(std::vector<std::string> names,
                              auth::ListUsers(txn, method));
      for (std::string& n : names) out.add_names(std::move(n));
      return out;
    }
    case K::DELETE_USER:
      COFFER_RETURN_IF_ERROR(auth::DeleteUser(txn, method, m.name()));
      return out;
    case K::UPDATE_PASSWORD:
      COFFER_RETURN_IF_ERROR(
          auth::UpdatePassword(txn, method, m.name(), PasswordOf(m.user())));
      return out;
    case K::LOGIN_SALT: {
      COFFER_ASSIGN_OR_RETURN(auth::PasswordSalt s,
                              auth::LoginSalt(txn, method, m.name()));
      authpb::UserEntry* u = out.mutable_user();
      u->set_salt(s.salt);
      u->set_scrypt_n(s.params.n);
      u->set_scrypt_r(s.params.r);
      u->set_scrypt_p(s.params.p);
      *out.add_methods() = method;
      return out;
    }
    case K::USERPASS_LOGIN: {
      COFFER_ASSIGN_OR_RETURN(auth::MethodRandom random,
                              auth::DrawMethodRandom());
      auth::PasswordHash password = PasswordOf(m.user());
      absl::StatusOr<auth::LoginGrant> grant =
          auth::UserpassLogin(txn, now, store_, method, m.name(), password,
                              op.remote_address(), random);
      crypto::Wipe(&random, sizeof(random));
      Wipe(&password.key);
      if (!grant.ok()) return Annotate(grant.status());
      SetLogin(*std::move(grant), &out);
      return out;
    }
    default:
      return absl::InvalidArgumentError(
          "node: an unknown auth method operation");
  }
}

void AuthMethodService::OnTick() {
  const bool leading = loop_->leading();
  if (leading && !was_leading_) purge_wanted_ = true;
  was_leading_ = leading;
  if (!leading || loop_->barrier->sealed() || purge_queued_ || !purge_wanted_ ||
      loop_->now_tick < next_purge_tick_) {
    return;
  }
  next_purge_tick_ = loop_->now_tick + loop_->TicksFor(absl::Seconds(1));
  purge_queued_ = true;
  nodepb::Op op;
  op.mutable_method()->set_kind(K::PURGE);
  enqueue_(std::move(op), [this](absl::StatusOr<nodepb::OpResult> r) {
    purge_queued_ = false;
    // A failure (a lost leadership, a sealed leader) tries again later.
    purge_wanted_ = !r.ok() || r->method().more();
    if (r.ok() && r->method().more()) next_purge_tick_ = loop_->now_tick;
  });
}

// --- Caller threads ----------------------------------------------------------

absl::StatusOr<nodepb::AuthMethodResult> AuthMethodService::SubmitMethod(
    const Caller& caller, nodepb::Op op) {
  SetCaller(caller, &op);
  absl::StatusOr<nodepb::OpResult> r = submit_(std::move(op));
  if (!r.ok()) return r.status();
  COFFER_RETURN_IF_ERROR(
      CheckResult(*r, nodepb::OpResult::kMethod, "auth method"));
  return std::move(*r->mutable_method());
}

absl::Status AuthMethodService::Enable(const Caller& caller,
                                       const AuthMethod& method) {
  COFFER_ASSIGN_OR_RETURN(std::string path,
                          auth::CanonicalMethodPath(method.path));
  nodepb::Op op = MethodOp(K::ENABLE, path, "");
  authpb::AuthMethodEntry* e = op.mutable_method()->mutable_method();
  e->set_type(method.type);
  e->set_description(method.description);
  for (const auto& [k, v] : method.options) (*e->mutable_options())[k] = v;
  return SubmitMethod(caller, std::move(op)).status();
}

absl::Status AuthMethodService::Disable(const Caller& caller,
                                        absl::string_view path) {
  COFFER_ASSIGN_OR_RETURN(std::string p, auth::CanonicalMethodPath(path));
  return SubmitMethod(caller, MethodOp(K::DISABLE, p, "")).status();
}

absl::StatusOr<std::vector<AuthMethod>> AuthMethodService::List(
    const Caller& caller) {
  COFFER_ASSIGN_OR_RETURN(nodepb::AuthMethodResult r,
                          SubmitMethod(caller, MethodOp(K::LIST, "", "")));
  std::vector<AuthMethod> out;
  for (const authpb::AuthMethodEntry& e : r.methods()) {
    AuthMethod m;
    m.path = e.path();
    m.type = e.type();
    m.description = e.description();
    m.accessor = e.accessor();
    for (const auto& [k, v] : e.options()) m.options[k] = v;
    out.push_back(std::move(m));
  }
  return out;
}

namespace {

// The canonical mount and name of a call, or kInvalidArgument.
struct Target {
  std::string mount;
  std::string name;
};
absl::StatusOr<Target> TargetOf(absl::string_view mount,
                                absl::string_view name) {
  Target t;
  COFFER_ASSIGN_OR_RETURN(t.mount, auth::CanonicalMethodPath(mount));
  COFFER_ASSIGN_OR_RETURN(t.name, auth::CanonicalName(name));
  return t;
}

}  // namespace

absl::Status AuthMethodService::WriteRole(const Caller& caller,
                                          absl::string_view mount,
                                          absl::string_view name,
                                          const AppRole& role) {
  COFFER_ASSIGN_OR_RETURN(Target t, TargetOf(mount, name));
  COFFER_RETURN_IF_ERROR(CheckSettings(role.token));
  COFFER_RETURN_IF_ERROR(CheckDuration(role.secret_id_ttl, "secret_id_ttl"));
  nodepb::Op op = MethodOp(K::WRITE_ROLE, t.mount, t.name);
  authpb::AppRoleEntry* e = op.mutable_method()->mutable_role();
  SetTokenSettings(role.token, e);
  e->set_token_num_uses(role.token.token_num_uses);
  e->set_secret_id_ttl_nanos(Nanos(role.secret_id_ttl));
  e->set_secret_id_num_uses(role.secret_id_num_uses);
  e->set_bind_secret_id(role.bind_secret_id);
  for (const std::string& c : role.secret_id_bound_cidrs) {
    e->add_secret_id_bound_cidrs(c);
  }
  return SubmitMethod(caller, std::move(op)).status();
}

absl::StatusOr<AppRole> AuthMethodService::ReadRole(const Caller& caller,
                                                    absl::string_view mount,
                                                    absl::string_view name) {
  COFFER_ASSIGN_OR_RETURN(Target t, TargetOf(mount, name));
  COFFER_ASSIGN_OR_RETURN(
      nodepb::AuthMethodResult r,
      SubmitMethod(caller, MethodOp(K::READ_ROLE, t.mount, t.name)));
  const authpb::AppRoleEntry& e = r.role();
  AppRole role;
  role.token = TokenSettingsOf(e);
  role.token.token_num_uses = e.token_num_uses();
  role.secret_id_ttl = absl::Nanoseconds(e.secret_id_ttl_nanos());
  role.secret_id_num_uses = e.secret_id_num_uses();
  role.bind_secret_id = e.bind_secret_id();
  role.secret_id_bound_cidrs.assign(e.secret_id_bound_cidrs().begin(),
                                    e.secret_id_bound_cidrs().end());
  return role;
}

absl::StatusOr<std::vector<std::string>> AuthMethodService::ListRoles(
    const Caller& caller, absl::string_view mount) {
  COFFER_ASSIGN_OR_RETURN(std::string m, auth::CanonicalMethodPath(mount));
  COFFER_ASSIGN_OR_RETURN(nodepb::AuthMethodResult r,
                          SubmitMethod(caller, MethodOp(K::LIST_ROLES, m, "")));
  return std::vector<std::string>(r.names().begin(), r.names().end());
}

absl::Status AuthMethodService::DeleteRole(const Caller& caller,
                                           absl::string_view mount,
                                           absl::string_view name) {
  COFFER_ASSIGN_OR_RETURN(Target t, TargetOf(mount, name));
  return SubmitMethod(caller, MethodOp(K::DELETE_ROLE, t.mount, t.name))
      .status();
}

absl::StatusOr<std::string> AuthMethodService::ReadRoleId(
    const Caller& caller, absl::string_view mount, absl::string_view name) {
  COFFER_ASSIGN_OR_RETURN(Target t, TargetOf(mount, name));
  COFFER_ASSIGN_OR_RETURN(
      nodepb::AuthMethodResult r,
      SubmitMethod(caller, MethodOp(K::READ_ROLE_ID, t.mount, t.name)));
  return std::move(*r.mutable_role_id());
}

absl::StatusOr<SecretId> AuthMethodService::GenerateSecretId(
    const Caller& caller, absl::string_view mount, absl::string_view name,
    const std::map<std::string, std::string>& metadata,
    const std::vector<std::string>& cidr_list) {
  COFFER_ASSIGN_OR_RETURN(Target t, TargetOf(mount, name));
  nodepb::Op op = MethodOp(K::GENERATE_SECRET_ID, t.mount, t.name);
  for (const auto& [k, v] : metadata)
    (*op.mutable_method()->mutable_metadata())[k] = v;
  for (const std::string& c : cidr_list) op.mutable_method()->add_cidr_list(c);
  COFFER_ASSIGN_OR_RETURN(nodepb::AuthMethodResult r,
                          SubmitMethod(caller, std::move(op)));
  SecretId out;
  out.secret_id = r.secret_id();
  Wipe(r.mutable_secret_id());
  out.accessor = r.secret().accessor();
  if (r.secret().expire_time_nanos() != 0) {
    out.ttl = absl::Nanoseconds(r.secret().expire_time_nanos() -
                                r.secret().creation_time_nanos());
  }
  out.num_uses = r.secret().num_uses();
  return out;
}

absl::StatusOr<SecretIdInfo> AuthMethodService::LookupSecretIdAccessor(
    const Caller& caller, absl::string_view mount, absl::string_view name,
    absl::string_view accessor) {
  COFFER_ASSIGN_OR_RETURN(Target t, TargetOf(mount, name));
  if (accessor.empty() || accessor.size() > 256) {
    return absl::InvalidArgumentError("node: an accessor of 1..256 bytes");
  }
  nodepb::Op op = MethodOp(K::LOOKUP_SECRET_ID, t.mount, t.name);
  op.mutable_method()->set_accessor(std::string(accessor));
  COFFER_ASSIGN_OR_RETURN(nodepb::AuthMethodResult r,
                          SubmitMethod(caller, std::move(op)));
  return SecretIdInfoOf(r.secret());
}

absl::Status AuthMethodService::DestroySecretIdAccessor(
    const Caller& caller, absl::string_view mount, absl::string_view name,
    absl::string_view accessor) {
  COFFER_ASSIGN_OR_RETURN(Target t, TargetOf(mount, name));
  if (accessor.empty() || accessor.size() > 256) {
    return absl::InvalidArgumentError("node: an accessor of 1..256 bytes");
  }
  nodepb::Op op = MethodOp(K::DESTROY_SECRET_ID, t.mount, t.name);
  op.mutable_method()->set_accessor(std::string(accessor));
  return SubmitMethod(caller, std::move(op)).status();
}

absl::StatusOr<LoginAuth> AuthMethodService::AppRoleLogin(
    const Caller& caller, absl::string_view mount, absl::string_view role_id,
    absl::string_view secret_id) {
  COFFER_ASSIGN_OR_RETURN(std::string m, auth::CanonicalMethodPath(mount));
  nodepb::Op op = MethodOp(K::APPROLE_LOGIN, m, "");
  op.mutable_method()->set_role_id(std::string(role_id));
  op.mutable_method()->set_secret_id(std::string(secret_id));
  // No token: a login is its own credential.
  COFFER_ASSIGN_OR_RETURN(
      nodepb::AuthMethodResult r,
      SubmitMethod(Caller("", caller.remote_address()), std::move(op)));
  return LoginAuthOf(&r);
}

absl::StatusOr<nodepb::AuthMethodOp> AuthMethodService::HashPassword(
    const Caller& caller, const std::string& mount, const std::string& name,
    absl::string_view password, bool fresh) {
  if (password.empty() || password.size() > 1024) {
    return absl::InvalidArgumentError("node: a password of 1..1024 bytes");
  }
  COFFER_ASSIGN_OR_RETURN(nodepb::AuthMethodResult r,
                          SubmitMethod(Caller("", caller.remote_address()),
                                       MethodOp(K::LOGIN_SALT, mount, name)));
  auth::PasswordSalt salt;
  if (fresh) {
    if (r.methods_size() != 1) {
      return absl::InternalError("node: a login salt without its method");
    }
    COFFER_ASSIGN_OR_RETURN(salt.params,
                            auth::MethodScryptParams(r.methods(0)));
    salt.salt.resize(auth::kPasswordSaltBytes);
    COFFER_RETURN_IF_ERROR(crypto::RandomBytes(absl::MakeSpan(
        reinterpret_cast<uint8_t*>(salt.salt.data()), salt.salt.size())));
  } else {
    salt.salt = r.user().salt();
    salt.params.n = r.user().scrypt_n();
    salt.params.r = r.user().scrypt_r();
    salt.params.p = r.user().scrypt_p();
  }
  COFFER_RETURN_IF_ERROR(auth::ValidateScryptParams(salt.params));
  COFFER_ASSIGN_OR_RETURN(
      crypto::SecureBuffer key,
      auth::DerivePasswordKey(password, salt.salt, salt.params));
  nodepb::AuthMethodOp out;
  authpb::UserEntry* u = out.mutable_user();
  u->set_password_hash(std::string(key.view()));
  u->set_salt(salt.salt);
  u->set_scrypt_n(salt.params.n);
  u->set_scrypt_r(salt.params.r);
  u->set_scrypt_p(salt.params.p);
  return out;
}

absl::Status AuthMethodService::WriteUser(
    const Caller& caller, absl::string_view mount, absl::string_view name,
    const LoginTokenSettings& settings,
    std::optional<absl::string_view> password) {
  COFFER_ASSIGN_OR_RETURN(Target t, TargetOf(mount, name));
  COFFER_RETURN_IF_ERROR(CheckSettings(settings));
  if (settings.token_num_uses != 0) {
    return absl::InvalidArgumentError(
        "node: userpass users take no token_num_uses");
  }
  nodepb::Op op = MethodOp(K::WRITE_USER, t.mount, t.name);
  if (password.has_value()) {
    COFFER_ASSIGN_OR_RETURN(
        nodepb::AuthMethodOp hashed,
        HashPassword(caller, t.mount, t.name, *password, /*fresh=*/true));
    *op.mutable_method()->mutable_user() = std::move(*hashed.mutable_user());
    Wipe(hashed.mutable_user()->mutable_password_hash());
    op.mutable_method()->set_set_password(true);
  }
  SetTokenSettings(settings, op.mutable_method()->mutable_user());
  absl::Status s = SubmitMethod(caller, op).status();
  Wipe(op.mutable_method()->mutable_user()->mutable_password_hash());
  return s;
}

absl::StatusOr<LoginTokenSettings> AuthMethodService::ReadUser(
    const Caller& caller, absl::string_view mount, absl::string_view name) {
  COFFER_ASSIGN_OR_RETURN(Target t, TargetOf(mount, name));
  COFFER_ASSIGN_OR_RETURN(
      nodepb::AuthMethodResult r,
      SubmitMethod(caller, MethodOp(K::READ_USER, t.mount, t.name)));
  return TokenSettingsOf(r.user());
}

absl::StatusOr<std::vector<std::string>> AuthMethodService::ListUsers(
    const Caller& caller, absl::string_view mount) {
  COFFER_ASSIGN_OR_RETURN(std::string m, auth::CanonicalMethodPath(mount));
  COFFER_ASSIGN_OR_RETURN(nodepb::AuthMethodResult r,
                          SubmitMethod(caller, MethodOp(K::LIST_USERS, m, "")));
  return std::vector<std::string>(r.names().begin(), r.names().end());
}

absl::Status AuthMethodService::DeleteUser(const Caller& caller,
                                           absl::string_view mount,
                                           absl::string_view name) {
  COFFER_ASSIGN_OR_RETURN(Target t, TargetOf(mount, name));
  return SubmitMethod(caller, MethodOp(K::DELETE_USER, t.mount, t.name))
      .status();
}

absl::Status AuthMethodService::UpdatePassword(const Caller& caller,
                                               absl::string_view mount,
                                               absl::string_view name,
                                               absl::string_view password) {
  COFFER_ASSIGN_OR_RETURN(Target t, TargetOf(mount, name));
  COFFER_ASSIGN_OR_RETURN(
      nodepb::AuthMethodOp hashed,
      HashPassword(caller, t.mount, t.name, password, /*fresh=*/true));
  nodepb::Op op = MethodOp(K::UPDATE_PASSWORD, t.mount, t.name);
  *op.mutable_method()->mutable_user() = std::move(*hashed.mutable_user());
  absl::Status s = SubmitMethod(caller, op).status();
  Wipe(op.mutable_method()->mutable_user()->mutable_password_hash());
  return s;
}

absl::StatusOr<LoginAuth> AuthMethodService::UserpassLogin(
    const Caller& caller, absl::string_view mount, absl::string_view name,
    absl::string_view password) {
  COFFER_ASSIGN_OR_RETURN(Target t, TargetOf(mount, name));
  COFFER_ASSIGN_OR_RETURN(
      nodepb::AuthMethodOp hashed,
      HashPassword(caller, t.mount, t.name, password, /*fresh=*/false));
  nodepb::Op op = MethodOp(K::USERPASS_LOGIN, t.mount, t.name);
  *op.mutable_method()->mutable_user() = std::move(*hashed.mutable_user());
  absl::StatusOr<nodepb::AuthMethodResult> r =
      SubmitMethod(Caller("", caller.remote_address()), op);
  Wipe(op.mutable_method()->mutable_user()->mutable_password_hash());
  if (!r.ok()) return r.status();
  return LoginAuthOf(&*r);
}

}  // namespace coffer::node
