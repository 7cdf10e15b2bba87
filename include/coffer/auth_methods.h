// Logins for applications and people: auth methods, as Vault's sys/auth,
// and the two coffer has, AppRole (applications) and userpass (people).
// Reached through Node::auth_methods().
//
// Concepts, as in Vault:
// - A method is enabled at a path ("approle/", "userpass/"); its records
//   (roles, users, secret-ids) are replicated behind the barrier. Enable
//   and disable need update (delete) and sudo on "sys/auth/<path>"; list
//   needs read on "sys/auth". Disabling a method removes its records and
//   makes every token it issued unusable at once.
// - A login needs no token (Vault's auth/<path>/login): it trades a
//   credential for a token. That token is an orphan (no parent: revoking
//   whoever set up the role does not revoke it), carries the method's
//   metadata ({"role_name": ...} or {"username": ...}) into token lookup
//   and the audit log, has the role's or user's policies (plus "default"),
//   ttl, max ttl (renewals stop there), uses and bound CIDRs.
// - A login is one replicated write; it may be made on any node (a
//   follower forwards it). The Caller of a login carries no token, but its
//   remote_address is checked against the bound CIDRs.
// - Every other call needs the ACL capability on Vault's path:
//   "auth/<path>role/<name>" (create or update / read / delete),
//   "auth/<path>role" (list), "auth/<path>role/<name>/role-id" (read),
//   "auth/<path>role/<name>/secret-id" (update),
//   "auth/<path>role/<name>/secret-id-accessor/lookup|destroy" (update),
//   "auth/<path>users/<name>" (create or update / read / delete),
//   "auth/<path>users" (list), "auth/<path>users/<name>/password" (update).
//
// Errors, as Node's (coffer/node.h): kPermissionDenied for the caller's
// token and for a refused login, whose message is the same whatever was
// wrong ("invalid role_id or secret_id", "invalid username or password");
// kNotFound for a method, role, user or secret-id accessor that does not
// exist; kInvalidArgument for bad arguments; kUnavailable without a leader.
//
// Thread-safety: AuthMethods is thread-safe; its calls block until the
// cluster answers, and call no host callback but the Node's own (audit,
// logger). The value types are plain values.
#ifndef COFFER_AUTH_METHODS_H_
#define COFFER_AUTH_METHODS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "coffer/auth.h"
#include "coffer/export.h"

namespace coffer {

// An auth method (Vault's sys/auth/<path>).
struct AuthMethod {
  std::string path;  // "approle/": 1..128 bytes of [A-Za-z0-9_.-] segments
  std::string type;  // "approle" or "userpass"
  std::string description;
  // Set by the node: "auth_<type>_<16 hex>", new at each enablement.
  std::string accessor;
  // userpass: "scrypt_n" (power of two 2..2^20, default 32768), "scrypt_r"
  // (1..32, default 8), "scrypt_p" (1..16, default 1): the cost of the
  // password hash of users written later. approle: none.
  std::map<std::string, std::string> options;
};

// The token settings of a role or user (Vault's token_* fields).
struct LoginTokenSettings {
  std::vector<std::string> token_policies;              // "root" is refused
  absl::Duration token_ttl = absl::ZeroDuration();      // zero: 768 h
  absl::Duration token_max_ttl = absl::ZeroDuration();  // zero: 768 h
  uint32_t token_num_uses = 0;                          // 0: unlimited
  // The token is usable only from these (CIDR blocks or addresses); a
  // login from elsewhere is refused too.
  std::vector<std::string> token_bound_cidrs;
};

// An AppRole role.
struct AppRole {
  LoginTokenSettings token;
  absl::Duration secret_id_ttl = absl::ZeroDuration();  // zero: never
  uint32_t secret_id_num_uses = 0;                      // 0: unlimited
  bool bind_secret_id = true;  // a login needs a secret-id
  // A login (with any secret-id) only from these.
  std::vector<std::string> secret_id_bound_cidrs;
};

// A new secret-id. Secret: `secret_id` is a credential; it cannot be shown
// again.
struct SecretId {
  std::string secret_id;
  std::string accessor;
  absl::Duration ttl = absl::ZeroDuration();  // zero: never expires
  uint32_t num_uses = 0;                      // 0: unlimited
};

// A secret-id, as its accessor lookup shows it.
struct SecretIdInfo {
  std::string accessor;
  absl::Time creation_time = absl::UnixEpoch();
  std::optional<absl::Time> expiration_time;  // nullopt: never
  uint32_t num_uses = 0;                      // uses left; 0: unlimited
  std::map<std::string, std::string> metadata;
  std::vector<std::string> cidr_list;
};

// Vault's `auth` block of a login's answer. Secret: client_token.
struct LoginAuth {
  std::string client_token;
  std::string accessor;
  std::vector<std::string> policies;
  std::vector<std::string> token_policies;
  std::map<std::string, std::string> metadata;
  absl::Duration lease_duration = absl::ZeroDuration();
  bool renewable = true;
  bool orphan = true;
};

class COFFER_EXPORT AuthMethods {
 public:
  virtual ~AuthMethods() = default;

  // --- The method table (sys/auth).
  // kInvalidArgument for a bad path or type, bad options, or a path that
  // overlaps one in use.
  virtual absl::Status Enable(const Caller& caller,
                              const AuthMethod& method) = 0;
  // kNotFound when none is enabled at `path`.
  virtual absl::Status Disable(const Caller& caller,
                               absl::string_view path) = 0;
  virtual absl::StatusOr<std::vector<AuthMethod>> List(
      const Caller& caller) = 0;

  // --- AppRole at `mount` ("approle/"). Role names are lower-cased.
  // Creates or replaces; a new role gets a role-id, which stays with it.
  virtual absl::Status WriteRole(const Caller& caller, absl::string_view mount,
                                 absl::string_view name,
                                 const AppRole& role) = 0;
  virtual absl::StatusOr<AppRole> ReadRole(const Caller& caller,
                                           absl::string_view mount,
                                           absl::string_view name) = 0;
  virtual absl::StatusOr<std::vector<std::string>> ListRoles(
      const Caller& caller, absl::string_view mount) = 0;
  // Deletes the role and its secret-ids; OK if there is none.
  virtual absl::Status DeleteRole(const Caller& caller, absl::string_view mount,
                                  absl::string_view name) = 0;
  virtual absl::StatusOr<std::string> ReadRoleId(const Caller& caller,
                                                 absl::string_view mount,
                                                 absl::string_view name) = 0;
  // A new secret-id of the role, with the role's ttl and uses; `metadata`
  // goes into the tokens it logs in; `cidr_list` bounds where it logs in.
  virtual absl::StatusOr<SecretId> GenerateSecretId(
      const Caller& caller, absl::string_view mount, absl::string_view name,
      const std::map<std::string, std::string>& metadata,
      const std::vector<std::string>& cidr_list) = 0;
  // kNotFound if no live secret-id of the role has `accessor`.
  virtual absl::StatusOr<SecretIdInfo> LookupSecretIdAccessor(
      const Caller& caller, absl::string_view mount, absl::string_view name,
      absl::string_view accessor) = 0;
  virtual absl::Status DestroySecretIdAccessor(const Caller& caller,
                                               absl::string_view mount,
                                               absl::string_view name,
                                               absl::string_view accessor) = 0;
  // Vault's auth/<mount>login. `caller`'s token is not used; its
  // remote_address is. A secret-id with limited uses is used in the same
  // write as the token's creation.
  virtual absl::StatusOr<LoginAuth> AppRoleLogin(
      const Caller& caller, absl::string_view mount, absl::string_view role_id,
      absl::string_view secret_id) = 0;

  // --- userpass at `mount` ("userpass/"). User names are lower-cased.
  // Creates or replaces the user's settings; `password` (nullopt: keep the
  // current one) is needed for a new user. Hashes it with scrypt on the
  // calling thread.
  virtual absl::Status WriteUser(const Caller& caller, absl::string_view mount,
                                 absl::string_view name,
                                 const LoginTokenSettings& settings,
                                 std::optional<absl::string_view> password) = 0;
  // The user's settings (never its password hash).
  virtual absl::StatusOr<LoginTokenSettings> ReadUser(
      const Caller& caller, absl::string_view mount,
      absl::string_view name) = 0;
  virtual absl::StatusOr<std::vector<std::string>> ListUsers(
      const Caller& caller, absl::string_view mount) = 0;
  virtual absl::Status DeleteUser(const Caller& caller, absl::string_view mount,
                                  absl::string_view name) = 0;
  // kNotFound if there is no such user.
  virtual absl::Status UpdatePassword(const Caller& caller,
                                      absl::string_view mount,
                                      absl::string_view name,
                                      absl::string_view password) = 0;
  // Vault's auth/<mount>login/<name>. Hashes `password` on the calling
  // thread (the method's scrypt cost) whether or not the user exists.
  virtual absl::StatusOr<LoginAuth> UserpassLogin(
      const Caller& caller, absl::string_view mount, absl::string_view name,
      absl::string_view password) = 0;
};

}  // namespace coffer

#endif  // COFFER_AUTH_METHODS_H_
