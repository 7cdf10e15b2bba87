// Auth methods (Vault's sys/auth): the table of enabled methods, what their
// records share, and the checks a login token carries with it.
//
// Layout (plaintext logical records behind the barrier, under "sys/", which
// the raw API reserves; <acc> is the method's accessor, <hash> 64 hex of a
// keyed hash under the token store's salt, auth/token_id.h):
//   sys/auth-method/<path>                          AuthMethodEntry
//   sys/approle/<acc>/role/<name>                   AppRoleEntry
//   sys/approle/<acc>/role-id/<hash>                AppRoleIdEntry
//   sys/approle/<acc>/secret-id/<name>/<hash>       SecretIdEntry
//   sys/approle/<acc>/secret-accessor/<name>/<hash> SecretIdAccessorEntry
//   sys/userpass/<acc>/user/<name>                  UserEntry
//   sys/auth-purge/<acc>                            AuthPurgeEntry
// A method's records live under its accessor, fresh at every enablement:
// disabling one makes its roles, users and tokens unreachable in that txn
// (tokens from a login carry the accessor and are refused once it is not
// enabled at their path), and its records are removed in bounded batches
// (ContinueMethodPurge) after.
//
// Like the token store these are pure functions of (records, arguments,
// leader time, random bytes) over a kv::Txn; on error nothing is buffered.
// Errors start with "auth: " and never hold a secret.
//
// Thread-safety: stateless functions.
#ifndef COFFER_LIB_AUTH_METHODS_H_
#define COFFER_LIB_AUTH_METHODS_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "auth/token.h"
#include "crypto/hash.h"
#include "kv/txn.h"
#include "proto/auth_methods.pb.h"

namespace coffer::auth {

inline constexpr absl::string_view kMethodPrefix = "sys/auth-method/";
inline constexpr absl::string_view kAppRolePrefix = "sys/approle/";
inline constexpr absl::string_view kUserpassPrefix = "sys/userpass/";
inline constexpr absl::string_view kAuthPurgePrefix = "sys/auth-purge/";

inline constexpr absl::string_view kAppRoleType = "approle";
inline constexpr absl::string_view kUserpassType = "userpass";

// Everything random a method op may need; the leader draws it
// (DrawMethodRandom), tests pass fixed bytes.
struct MethodRandom {
  std::array<uint8_t, 16> first{};   // a role-id, a secret-id, an accessor
  std::array<uint8_t, 16> second{};  // a secret-id's accessor
  TokenRandom token;                 // a login's token
};
absl::StatusOr<MethodRandom> DrawMethodRandom();

// "approle" or "approle/" -> "approle/": 1..128 bytes of segments of
// [A-Za-z0-9_.-] joined by '/'; "token/" is the token store's and
// refused. kInvalidArgument otherwise.
absl::StatusOr<std::string> CanonicalMethodPath(absl::string_view path);
// A role or user name, lower-cased: 1..128 bytes of [a-z0-9_.@-] (after
// lower-casing). kInvalidArgument otherwise.
absl::StatusOr<std::string> CanonicalName(absl::string_view name);
// 16 bytes as a version-4 UUID (the version and variant bits are set).
std::string FormatUuid(const std::array<uint8_t, 16>& bytes);

// Enables a method of `type` at canonical `path`: kInvalidArgument for an
// unknown type or bad options (userpass: auth/scrypt.h), or a path in use
// (or one that is a prefix of one in use, or under one).
absl::StatusOr<authpb::AuthMethodEntry> EnableMethod(
    kv::Txn* txn, absl::string_view path, absl::string_view type,
    absl::string_view description,
    const std::map<std::string, std::string>& options,
    const MethodRandom& random);
// Disables the method at `path` (kNotFound if none) and removes up to
// `limit` of its records; returns whether any remain for
// ContinueMethodPurge.
absl::StatusOr<bool> DisableMethod(kv::Txn* txn, absl::string_view path,
                                   size_t limit);
// Removes up to `limit` records of disabled methods; whether any remain.
absl::StatusOr<bool> ContinueMethodPurge(kv::Txn* txn, size_t limit);
// The enabled methods, by path.
absl::StatusOr<std::vector<authpb::AuthMethodEntry>> ListMethods(
    kv::Reader* txn);
// The method at `path` if it has `type`; kNotFound otherwise.
absl::StatusOr<authpb::AuthMethodEntry> FindMethod(kv::Reader* txn,
                                                   absl::string_view path,
                                                   absl::string_view type);

// The keyed hash of `value` in `domain` under the token store's salt;
// kFailedPrecondition when there is no salt (not initialized).
absl::StatusOr<crypto::Digest> MethodHash(kv::Reader* txn,
                                          absl::string_view domain,
                                          absl::string_view value);

// What a token from a login needs beyond its own record, checked on every
// use: the method that issued it still enabled (same path, same
// accessor), and `remote_address` inside its bound CIDRs if it has any.
// kPermissionDenied "auth: permission denied" otherwise; OK for a token
// that is not from a login.
absl::Status CheckTokenBindings(kv::Reader* txn, const Token& token,
                                absl::string_view remote_address);

}  // namespace coffer::auth

#endif  // COFFER_LIB_AUTH_METHODS_H_
