// Vault's AppRole auth method as pure functions over a kv::Txn: roles,
// their role-ids, secret-ids (generate, accessor lookup and destroy) and
// the login that trades a role-id and a secret-id for a token. Records and
// their layout: auth/methods.h, proto/auth_methods.proto.
//
// Secret-ids are credentials: one is returned only by GenerateSecretId and
// never stored; the store keys each by HMAC-SHA256 under the token store's
// salt (auth/token_id.h, domain "approle-secret-id", bound to the method's
// accessor and the role). Role-ids are readable (Vault's role-id endpoint)
// but indexed the same way, so a lookup by role-id reads one key.
//
// A login is one txn: it checks the role-id, the secret-id (its expiry,
// its own and the role's bound CIDRs against the caller's address), uses
// the secret-id once if it has limited uses (the last use deletes it), and
// creates the token (TokenStore::CreateLogin): an orphan with the role's
// token settings, metadata {"role_name": <name>} plus the secret-id's
// metadata. Every refusal of a credential is the same kPermissionDenied
// "auth: invalid role_id or secret_id", whatever was wrong.
//
// Thread-safety: stateless functions.
#ifndef COFFER_LIB_AUTH_APPROLE_H_
#define COFFER_LIB_AUTH_APPROLE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "auth/methods.h"
#include "auth/token.h"
#include "auth/token_store.h"
#include "kv/txn.h"
#include "proto/auth_methods.pb.h"

namespace coffer::auth {

// Writes role `name` (canonical) of `method` with `settings` (its name and
// role_id ignored): a new role gets a random role-id (random.first), an
// existing one keeps its own. kInvalidArgument for bad CIDRs, a token_ttl
// above token_max_ttl, "root" among the policies, or a role with neither
// bind_secret_id nor bound CIDRs (Vault's "at least one constraint").
// Returns the stored role.
absl::StatusOr<authpb::AppRoleEntry> WriteRole(
    kv::Txn* txn, const authpb::AuthMethodEntry& method, absl::string_view name,
    const authpb::AppRoleEntry& settings, const MethodRandom& random);
// The role; kNotFound if there is none.
absl::StatusOr<authpb::AppRoleEntry> ReadRole(
    kv::Reader* txn, const authpb::AuthMethodEntry& method,
    absl::string_view name);
// The names of the roles, sorted.
absl::StatusOr<std::vector<std::string>> ListRoles(
    kv::Reader* txn, const authpb::AuthMethodEntry& method);
// Deletes the role, its role-id and every secret-id of it; OK if none.
absl::Status DeleteRole(kv::Txn* txn, const authpb::AuthMethodEntry& method,
                        absl::string_view name);

struct GeneratedSecretId {
  std::string secret_id;  // secret: hand it out, then wipe it
  authpb::SecretIdEntry entry;
};
// A new secret-id of the role (kNotFound if none): random.first makes the
// secret-id, random.second its accessor; it expires after the role's
// secret_id_ttl and has its secret_id_num_uses. kInvalidArgument for bad
// CIDRs; kAborted if the random bytes gave one already stored.
absl::StatusOr<GeneratedSecretId> GenerateSecretId(
    kv::Txn* txn, absl::Time now, const authpb::AuthMethodEntry& method,
    absl::string_view name, const std::map<std::string, std::string>& metadata,
    const std::vector<std::string>& cidr_list, const MethodRandom& random);
// The secret-id with `accessor` of the role; kNotFound if there is none or
// it has expired.
absl::StatusOr<authpb::SecretIdEntry> LookupSecretIdAccessor(
    kv::Reader* txn, absl::Time now, const authpb::AuthMethodEntry& method,
    absl::string_view name, absl::string_view accessor);
// Deletes the secret-id with `accessor`; kNotFound if there is none.
absl::Status DestroySecretIdAccessor(kv::Txn* txn,
                                     const authpb::AuthMethodEntry& method,
                                     absl::string_view name,
                                     absl::string_view accessor);

struct LoginGrant {
  CreatedToken token;                       // secret: token.id
  std::vector<std::string> token_policies;  // as the auth block shows them
};
// Vault's auth/<mount>/login: see the file comment. `remote_address` is
// the caller's (may be empty: then any bound CIDR refuses).
absl::StatusOr<LoginGrant> AppRoleLogin(kv::Txn* txn, absl::Time now,
                                        const TokenStore& store,
                                        const authpb::AuthMethodEntry& method,
                                        absl::string_view role_id,
                                        absl::string_view secret_id,
                                        absl::string_view remote_address,
                                        const MethodRandom& random);

}  // namespace coffer::auth

#endif  // COFFER_LIB_AUTH_APPROLE_H_
