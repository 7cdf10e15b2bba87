// The token store's value types: what a caller asks for and what it gets
// back. Plain C++ values (no protobuf), copied freely.
//
// Concepts, as in Vault's token store:
// - A token id ("hvs." + 33 base62 characters) is the bearer credential. It
//   is returned once, by creation, and never stored: the store keeps only
//   HMAC-SHA256(salt, id), the token's hash.
// - An accessor (33 base62 characters, no prefix) names a token without
//   being able to use it: lookup, renew and revoke by accessor.
// - Tokens form a tree: a token created by another is its child and is
//   revoked with it, unless created as an orphan (no parent).
// - Policies are names; "root" grants everything and stands alone,
//   "default" is added unless asked otherwise.
//
// Thread-safety: plain values.
#ifndef COFFER_LIB_AUTH_TOKEN_H_
#define COFFER_LIB_AUTH_TOKEN_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace coffer::auth {

// Random bytes behind a token id and its accessor.
inline constexpr size_t kIdRandomBytes = 24;        // 192 bits
inline constexpr size_t kAccessorRandomBytes = 24;  // 192 bits
inline constexpr size_t kSaltBytes = 32;

// Everything random a creation needs. The leader draws it from the CSPRNG
// (DrawTokenRandom in auth/random.h); tests pass fixed bytes. The caller
// should wipe it after use: `id` is the secret half of a credential.
struct TokenRandom {
  std::array<uint8_t, kIdRandomBytes> id{};
  std::array<uint8_t, kAccessorRandomBytes> accessor{};
  // The store's HMAC key; used only by the creation that finds no salt
  // stored yet (in practice Initialize's root token).
  std::array<uint8_t, kSaltBytes> salt{};
};

// A token's hash, as 64 lower-case hex digits: what ListExpired reports
// and RevokeExpired takes. Not a credential: nothing authenticates with it.
struct TokenHash {
  std::string hex;

  friend bool operator==(const TokenHash&, const TokenHash&) = default;
  friend auto operator<=>(const TokenHash&, const TokenHash&) = default;
};

using TokenMetadata = std::map<std::string, std::string>;

// A stored service token, as Vault's token lookup shows it (without the id).
struct Token {
  std::string accessor;
  std::vector<std::string> policies;  // sorted, unique
  TokenMetadata metadata;
  std::string display_name;  // "root", "token" or "token-<name>"
  uint32_t num_uses = 0;     // uses left; 0: unlimited
  absl::Time creation_time;
  absl::Duration creation_ttl;  // zero: created without expiry
  // When it stops working (refused once now >= expire_time); nullopt: never.
  std::optional<absl::Time> expire_time;
  // Time left at the `now` of the call that returned it; zero if none.
  absl::Duration ttl;
  absl::Duration explicit_max_ttl;  // zero: none
  absl::Duration period;            // zero: not periodic
  bool renewable = false;
  // It has no parent, or its parent is being revoked by revoke-orphan
  // (which makes it an orphan at once; the record follows in a batch).
  bool orphan = false;
  std::optional<absl::Time> last_renewal_time;
  std::string type = "service";  // the only type there is yet
  // A token from a login: usable only from these CIDR blocks (empty: from
  // anywhere), and only while the method at mount_path with mount_accessor
  // is enabled (both empty: not from a login).
  std::vector<std::string> bound_cidrs;
  std::string mount_accessor;
  std::string mount_path;

  friend bool operator==(const Token&, const Token&) = default;
};

// A token a login issues (TokenStore::CreateLogin): an orphan whose
// settings come from the method's role or user, not from a parent.
struct LoginTokenRequest {
  std::vector<std::string> policies;  // sanitized; "default" is added
  TokenMetadata metadata;             // {"role_name": ...}, {"username": ...}
  absl::Duration ttl;                 // zero: the default ttl
  absl::Duration max_ttl;             // zero: the system max; caps renewals
  uint32_t num_uses = 0;              // 0: unlimited
  std::vector<std::string> bound_cidrs;
  std::string display_name;    // Vault's: "approle", "userpass-<name>"
  std::string mount_accessor;  // non-empty
  std::string mount_path;      // non-empty, "approle/"
};

// A request to create a token (Vault's auth/token/create parameters).
struct CreateRequest {
  // Empty: the parent's policies. Names are trimmed and lower-cased, empty
  // names dropped; "root" among them leaves "root" alone.
  std::vector<std::string> policies;
  bool no_default_policy = false;  // do not add "default"
  TokenMetadata metadata;
  // Create an orphan (auth/token/create with no_parent, or
  // auth/token/create-orphan). Needs CreatePrivileges::may_orphan or a root
  // parent.
  bool no_parent = false;
  bool renewable = true;
  absl::Duration ttl;               // zero: the default ttl (root: none)
  absl::Duration explicit_max_ttl;  // zero: none
  absl::Duration period;            // zero: not periodic; else needs sudo
  std::string display_name;         // empty: "token"; else "token-<sanitized>"
  uint32_t num_uses = 0;            // 0: unlimited
};

// What the node's ACL check found about the caller, for the rules that
// Vault ties to privileges rather than to the parent token.
struct CreatePrivileges {
  // The caller has sudo on the create path. Allows policies outside the
  // parent's (never "root" without a root parent) and periodic tokens.
  bool sudo = false;
  // The caller may create orphans: sudo on auth/token/create with
  // no_parent, or write on auth/token/create-orphan.
  bool may_orphan = false;
};

// A new token. The only place an id is ever returned.
struct CreatedToken {
  std::string id;  // "hvs.<33 base62>"; the caller hands it out, then wipes
  Token token;
};

// The outcome of one use of a token.
struct UseResult {
  Token token;           // as after the use (num_uses: uses left)
  bool revoked = false;  // that was its last use: it is revoked
};

}  // namespace coffer::auth

#endif  // COFFER_LIB_AUTH_TOKEN_H_
