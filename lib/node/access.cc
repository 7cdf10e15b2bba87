#include "node/access.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/status_macros.h"
#include "kv/validate.h"

namespace coffer::node {
namespace {

using acl::Capability;

Access Token(std::string path, Capability capability, bool sudo = false) {
  Access a;
  a.kind = Access::Kind::kToken;
  a.path = std::move(path);
  a.capability = capability;
  a.sudo = sudo;
  return a;
}

Access CreateOrUpdate(std::string path) {
  Access a = Token(std::move(path), Capability::kUpdate);
  a.create_if_absent = true;
  return a;
}

// "secret/" + part + "/" + key: Vault's path of a KV v2 call.
absl::StatusOr<std::string> KvPath(const nodepb::KvOp& op,
                                   absl::string_view part) {
  COFFER_ASSIGN_OR_RETURN(std::string mount,
                          kv::CanonicalMountPath(op.mount()));
  return absl::StrCat(mount, part, "/", op.path());
}

absl::StatusOr<Access> KvAccess(const nodepb::KvOp& op) {
  using K = nodepb::KvOp;
  if (op.kind() == K::PURGE) return Access();  // the leader's own batches
  if (op.kind() == K::LIST_MOUNTS)
    return Token("sys/mounts", Capability::kRead);
  if (op.kind() == K::FIND_MOUNT) {
    Access a = Token(absl::StrCat("sys/internal/ui/mounts/", op.path()),
                     Capability::kRead);
    a.decided_by_result = true;
    return a;
  }
  if (op.kind() == K::ENABLE_MOUNT || op.kind() == K::DISABLE_MOUNT ||
      op.kind() == K::TUNE_MOUNT) {
    COFFER_ASSIGN_OR_RETURN(std::string mount,
                            kv::CanonicalMountPath(op.mount()));
    std::string path = absl::StrCat("sys/mounts/", mount);
    if (op.kind() == K::TUNE_MOUNT) {
      return Token(absl::StrCat(path, "tune"), Capability::kUpdate);
    }
    // Vault's sys/mounts/<path>: POST to enable, DELETE to disable.
    path.pop_back();  // "sys/mounts/secret", without the slash
    return Token(std::move(path), op.kind() == K::ENABLE_MOUNT
                                      ? Capability::kUpdate
                                      : Capability::kDelete);
  }
  switch (op.kind()) {
    case K::PUT: {
      COFFER_ASSIGN_OR_RETURN(std::string p, KvPath(op, "data"));
      return CreateOrUpdate(std::move(p));
    }
    case K::GET: {
      COFFER_ASSIGN_OR_RETURN(std::string p, KvPath(op, "data"));
      return Token(std::move(p), Capability::kRead);
    }
    case K::PATCH: {
      COFFER_ASSIGN_OR_RETURN(std::string p, KvPath(op, "data"));
      return Token(std::move(p), Capability::kPatch);
    }
    case K::DELETE_LATEST: {
      COFFER_ASSIGN_OR_RETURN(std::string p, KvPath(op, "data"));
      return Token(std::move(p), Capability::kDelete);
    }
    case K::DELETE_VERSIONS: {
      COFFER_ASSIGN_OR_RETURN(std::string p, KvPath(op, "delete"));
      return Token(std::move(p), Capability::kUpdate);
    }
    case K::UNDELETE: {
      COFFER_ASSIGN_OR_RETURN(std::string p, KvPath(op, "undelete"));
      return Token(std::move(p), Capability::kUpdate);
    }
    case K::DESTROY: {
      COFFER_ASSIGN_OR_RETURN(std::string p, KvPath(op, "destroy"));
      return Token(std::move(p), Capability::kUpdate);
    }
    case K::READ_METADATA: {
      COFFER_ASSIGN_OR_RETURN(std::string p, KvPath(op, "metadata"));
      return Token(std::move(p), Capability::kRead);
    }
    case K::WRITE_METADATA: {
      COFFER_ASSIGN_OR_RETURN(std::string p, KvPath(op, "metadata"));
      return CreateOrUpdate(std::move(p));
    }
    case K::DELETE_METADATA: {
      COFFER_ASSIGN_OR_RETURN(std::string p, KvPath(op, "metadata"));
      return Token(std::move(p), Capability::kDelete);
    }
    case K::LIST: {
      COFFER_ASSIGN_OR_RETURN(std::string p, KvPath(op, "metadata"));
      return Token(std::move(p), Capability::kList);
    }
    default:
      return absl::InvalidArgumentError("node: unknown KV request");
  }
}

// Vault's token endpoints: the path of a call names how it addresses the
// token (by id, by accessor, or self).
std::string TokenPath(absl::string_view verb, nodepb::AuthOp::Ref ref) {
  switch (ref) {
    case nodepb::AuthOp::SELF:
      return absl::StrCat("auth/token/", verb, "-self");
    case nodepb::AuthOp::ACCESSOR:
      return absl::StrCat("auth/token/", verb, "-accessor");
    default:
      return absl::StrCat("auth/token/", verb);
  }
}

absl::StatusOr<Access> AuthAccess(const nodepb::AuthOp& op) {
  using K = nodepb::AuthOp;
  switch (op.kind()) {
    case K::CREATE:
      return Token(
          op.create_orphan() ? "auth/token/create-orphan" : "auth/token/create",
          Capability::kUpdate);
    case K::LOOKUP:
      // lookup-self is a GET in Vault; lookup and lookup-accessor POSTs.
      return Token(TokenPath("lookup", op.ref()), op.ref() == K::SELF
                                                      ? Capability::kRead
                                                      : Capability::kUpdate);
    case K::RENEW:
      return Token(TokenPath("renew", op.ref()), Capability::kUpdate);
    case K::REVOKE:
      if (op.orphan_mode()) {
        return Token("auth/token/revoke-orphan", Capability::kUpdate,
                     /*sudo=*/true);
      }
      return Token(TokenPath("revoke", op.ref()), Capability::kUpdate);
    case K::LIST_ACCESSORS:
      return Token("auth/token/accessors", Capability::kList, /*sudo=*/true);
    case K::TIDY:
      return Access();  // the leader's own work
    case K::WRITE_POLICY:
      return CreateOrUpdate(absl::StrCat("sys/policies/acl/", op.name()));
    case K::READ_POLICY:
      return Token(absl::StrCat("sys/policies/acl/", op.name()),
                   Capability::kRead);
    case K::LIST_POLICIES:
      return Token("sys/policies/acl", Capability::kList);
    case K::DELETE_POLICY:
      return Token(absl::StrCat("sys/policies/acl/", op.name()),
                   Capability::kDelete);
    case K::CAPABILITIES:
      return Token(op.ref() == K::SELF       ? "sys/capabilities-self"
                   : op.ref() == K::ACCESSOR ? "sys/capabilities-accessor"
                                             : "sys/capabilities",
                   Capability::kUpdate);
    default:
      return absl::InvalidArgumentError("node: unknown token request");
  }
}

// Vault's sys/audit (sudo) and sys/audit-hash.
absl::StatusOr<Access> AuditAccess(const nodepb::AuditOp& op) {
  switch (op.kind()) {
    case nodepb::AuditOp::ENABLE:
      return Token(absl::StrCat("sys/audit/", op.path()), Capability::kUpdate,
                   /*sudo=*/true);
    case nodepb::AuditOp::DISABLE:
      return Token(absl::StrCat("sys/audit/", op.path()), Capability::kDelete,
                   /*sudo=*/true);
    case nodepb::AuditOp::LIST:
      return Token("sys/audit", Capability::kRead, /*sudo=*/true);
    case nodepb::AuditOp::HASH:
      return Token(absl::StrCat("sys/audit-hash/", op.path()),
                   Capability::kUpdate);
    default:
      return absl::InvalidArgumentError("node: unknown audit request");
  }
}

// Vault's sys/auth (sudo) and the auth methods' own paths. Logins need no
// token; everything else the capability on the method's path.
absl::StatusOr<Access> MethodAccess(const nodepb::AuthMethodOp& op) {
  using K = nodepb::AuthMethodOp;
  const std::string base = absl::StrCat("auth/", op.mount());
  const std::string role = absl::StrCat(base, "role/", op.name());
  const std::string user = absl::StrCat(base, "users/", op.name());
  switch (op.kind()) {
    case K::ENABLE: {
      std::string path = absl::StrCat("sys/auth/", op.mount());
      if (!path.empty() && path.back() == '/') path.pop_back();
      return Token(std::move(path), Capability::kUpdate, /*sudo=*/true);
    }
    case K::DISABLE: {
      std::string path = absl::StrCat("sys/auth/", op.mount());
      if (!path.empty() && path.back() == '/') path.pop_back();
      return Token(std::move(path), Capability::kDelete, /*sudo=*/true);
    }
    case K::LIST:
      return Token("sys/auth", Capability::kRead);
    case K::PURGE:
      return Access();  // the leader's own batches
    case K::WRITE_ROLE:
      return CreateOrUpdate(role);
    case K::READ_ROLE:
      return Token(role, Capability::kRead);
    case K::LIST_ROLES:
      return Token(absl::StrCat(base, "role"), Capability::kList);
    case K::DELETE_ROLE:
      return Token(role, Capability::kDelete);
    case K::READ_ROLE_ID:
      return Token(absl::StrCat(role, "/role-id"), Capability::kRead);
    case K::GENERATE_SECRET_ID:
      return Token(absl::StrCat(role, "/secret-id"), Capability::kUpdate);
    case K::LOOKUP_SECRET_ID:
      return Token(absl::StrCat(role, "/secret-id-accessor/lookup"),
                   Capability::kUpdate);
    case K::DESTROY_SECRET_ID:
      return Token(absl::StrCat(role, "/secret-id-accessor/destroy"),
                   Capability::kUpdate);
    case K::WRITE_USER:
      return CreateOrUpdate(user);
    case K::READ_USER:
      return Token(user, Capability::kRead);
    case K::LIST_USERS:
      return Token(absl::StrCat(base, "users"), Capability::kList);
    case K::DELETE_USER:
      return Token(user, Capability::kDelete);
    case K::UPDATE_PASSWORD:
      return Token(absl::StrCat(user, "/password"), Capability::kUpdate);
    case K::APPROLE_LOGIN:
    case K::LOGIN_SALT:
    case K::USERPASS_LOGIN: {
      Access a;
      a.kind = Access::Kind::kOpen;
      a.path = absl::StrCat(base, "login");
      return a;
    }
    default:
      return absl::InvalidArgumentError("node: unknown auth method request");
  }
}

}  // namespace

absl::StatusOr<Access> RequiredAccess(const nodepb::Op& op) {
  if (op.has_kv()) return KvAccess(op.kv());
  if (op.has_auth()) return AuthAccess(op.auth());
  if (op.has_audit()) return AuditAccess(op.audit());
  if (op.has_method()) return MethodAccess(op.method());
  if (op.has_put_raw()) {
    return Token(absl::StrCat("sys/raw/", op.put_raw().path()),
                 Capability::kUpdate, /*sudo=*/true);
  }
  if (op.has_delete_raw()) {
    return Token(absl::StrCat("sys/raw/", op.delete_raw().path()),
                 Capability::kDelete, /*sudo=*/true);
  }
  if (op.has_get_raw()) {
    return Token(absl::StrCat("sys/raw/", op.get_raw().path()),
                 Capability::kRead, /*sudo=*/true);
  }
  if (op.has_rotate_key()) {
    return Token("sys/rotate", Capability::kUpdate, /*sudo=*/true);
  }
  if (op.has_authorize()) {
    const nodepb::Authorize& a = op.authorize();
    COFFER_ASSIGN_OR_RETURN(Capability c, acl::ParseCapability(a.capability()));
    if (c == Capability::kDeny) {
      return absl::InvalidArgumentError("node: deny is not a capability");
    }
    Access out = Token(a.path(), c, a.sudo());
    out.open_before_init = a.open_before_init();
    return out;
  }
  // Initialize, and the internal steps: peer changes, leadership, rekey and
  // seal migration (authorized by their shares), snapshots.
  return Access();
}

void SetCaller(const Caller& caller, nodepb::Op* op) {
  op->set_token(std::string(caller.token()));
  op->set_remote_address(std::string(caller.remote_address()));
}

nodepb::Op AuthorizeOp(absl::string_view token, absl::string_view path,
                       acl::Capability capability, bool sudo,
                       bool open_before_init) {
  nodepb::Op op;
  nodepb::Authorize* a = op.mutable_authorize();
  a->set_path(std::string(path));
  a->set_capability(std::string(acl::CapabilityName(capability)));
  a->set_sudo(sudo);
  a->set_open_before_init(open_before_init);
  op.set_token(std::string(token));
  return op;
}

}  // namespace coffer::node
