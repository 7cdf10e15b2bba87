// Vault's userpass auth method as pure functions over a kv::Txn: users
// with a password hashed by scrypt (auth/scrypt.h: a random salt per user,
// the parameters beside the hash), their token settings, and the login.
//
// The hash is never computed here: it costs tens of milliseconds and the
// functions run on the leader's loop. A caller's node computes it on the
// caller's thread, with the salt and parameters LoginSalt gives (one read),
// and sends the derived key; the leader compares it with the stored hash in
// constant time (UserpassLogin). The derived key is as good as the
// password for one login, so it is as secret, and is never stored or
// logged. For a user that does not exist, LoginSalt gives a salt of the
// same shape derived from the name under the store's salt (so it is the
// same at every attempt) and the method's parameters: the caller hashes
// as long either way, and the refusal is the same kPermissionDenied
// "auth: invalid username or password".
//
// Thread-safety: stateless functions.
#ifndef COFFER_LIB_AUTH_USERPASS_H_
#define COFFER_LIB_AUTH_USERPASS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "auth/approle.h"
#include "auth/methods.h"
#include "auth/scrypt.h"
#include "auth/token_store.h"
#include "kv/txn.h"
#include "proto/auth_methods.pb.h"

namespace coffer::auth {

// What a password is hashed with.
struct PasswordSalt {
  std::string salt;  // kPasswordSaltBytes
  ScryptParams params;
};
// A password's hash, as the caller's node computed it.
struct PasswordHash {
  std::string key;  // kPasswordKeyBytes of scrypt (secret)
  PasswordSalt salt;
};

// The method's parameters (from its options).
absl::StatusOr<ScryptParams> MethodScryptParams(
    const authpb::AuthMethodEntry& method);
// The salt and parameters to hash `name`'s password with at login (a
// made-up salt if there is no such user; see the file comment).
absl::StatusOr<PasswordSalt> LoginSalt(kv::Reader* txn,
                                       const authpb::AuthMethodEntry& method,
                                       absl::string_view name);

// Writes user `name` with `settings`' token settings; with `password` the
// password changes too. A new user needs one (kInvalidArgument), as do bad
// CIDRs, "root" among the policies and token_ttl above token_max_ttl.
absl::Status WriteUser(kv::Txn* txn, const authpb::AuthMethodEntry& method,
                       absl::string_view name,
                       const authpb::UserEntry& settings,
                       const std::optional<PasswordHash>& password);
// Changes the password of user `name`; kNotFound if there is none.
absl::Status UpdatePassword(kv::Txn* txn, const authpb::AuthMethodEntry& method,
                            absl::string_view name,
                            const PasswordHash& password);
// The user without its hash and salt; kNotFound if there is none.
absl::StatusOr<authpb::UserEntry> ReadUser(
    kv::Reader* txn, const authpb::AuthMethodEntry& method,
    absl::string_view name);
absl::StatusOr<std::vector<std::string>> ListUsers(
    kv::Reader* txn, const authpb::AuthMethodEntry& method);
// OK whether or not the user existed.
absl::Status DeleteUser(kv::Txn* txn, const authpb::AuthMethodEntry& method,
                        absl::string_view name);

// Vault's auth/<mount>/login/<name>: `password` is the derived key of the
// password with the salt LoginSalt gave. Refused unless the user exists,
// still has that salt, the keys match (constant time) and
// `remote_address` is in the user's token_bound_cidrs if it has any. The
// token: an orphan with the user's settings, display name
// "userpass-<name>", metadata {"username": <name>}.
absl::StatusOr<LoginGrant> UserpassLogin(kv::Txn* txn, absl::Time now,
                                         const TokenStore& store,
                                         const authpb::AuthMethodEntry& method,
                                         absl::string_view name,
                                         const PasswordHash& password,
                                         absl::string_view remote_address,
                                         const MethodRandom& random);

}  // namespace coffer::auth

#endif  // COFFER_LIB_AUTH_USERPASS_H_
