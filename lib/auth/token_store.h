// Vault's token store (service tokens) as a pure, deterministic function of
// (stored records, operation, leader time, random bytes), exactly as
// kv::Engine is for secrets.
//
// Each method runs one operation against a kv::Txn or kv::Reader: it reads
// records, decides, and buffers writes. The node runs every writing
// operation on the leader, one at a time, encrypts the txn's write set with
// the barrier and replicates it, so all replicas apply the same writes. The
// store never reads a clock or draws randomness: `now` is the leader's time
// and creation takes its random bytes (auth/random.h draws them). Same
// records, arguments and `now`: same result, byte-identical writes. The
// layout is in auth/records.h, the tree and its batches in auth/tree.h.
//
// Token ids are credentials: one is returned only by creation and never
// stored; the store keys tokens by HMAC-SHA256 under a salt kept in its own
// record (behind the barrier), so a data directory or snapshot yields none.
// Lookups never say whether a refused token existed.
//
// Uses (num_uses): Use is a write. The node must commit a use through the
// log before serving the request it authorizes, so the count is decided by
// the single leader in log order and no token is used more times than it
// allows, whichever nodes the requests arrive at. The last use revokes the
// token in the same txn.
//
// Txn and Reader arguments are borrowed for the call only. No method
// blocks, keeps state between calls or calls anything but the Txn/Reader.
//
// Errors; every message starts with "auth: " and never holds an id:
//   kPermissionDenied   an unknown, expired, revoked or used-up token, or
//                       one under a revoked or expired ancestor ("auth:
//                       permission denied"); a creation the privileges do
//                       not allow (the message says which rule)
//   kNotFound           an accessor that names no usable token
//   kInvalidArgument    a bad argument or time; a renewal Vault refuses
//                       (not renewable, non-expiring, past its max TTL);
//                       a token with limited uses creating a token
//   kAborted            the random bytes gave an id or accessor already
//                       stored: draw new ones and retry
//   kResourceExhausted  a record above max_entry_bytes; a tree too deep
//   kDataLoss           a stored record is corrupt (the message names it)
//   other               the Txn's own read errors, unchanged
// On any error the store has buffered no write in the txn.
//
// Thread-safety: a TokenStore holds only its options and is immutable, so it
// is thread-safe; a Txn is not.
#ifndef COFFER_LIB_AUTH_TOKEN_STORE_H_
#define COFFER_LIB_AUTH_TOKEN_STORE_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "auth/token.h"
#include "kv/txn.h"

namespace coffer::auth {

namespace internal {
struct UsableToken;
}  // namespace internal

struct TokenStoreOptions {
  // Vault's default_lease_ttl: the ttl of a token created without one
  // (except root tokens, which then never expire). Default 768 h; positive,
  // at most max_ttl.
  absl::Duration default_ttl = absl::Hours(768);
  // Vault's max_lease_ttl: no non-periodic token outlives its creation by
  // more, and no period exceeds it. Default 768 h; at most 100 years.
  absl::Duration max_ttl = absl::Hours(768);
  // The largest encoded token record, in bytes (metadata and policies make
  // its size). Default 64 KiB; at least 4096.
  size_t max_entry_bytes = size_t{64} << 10;
  // Writes one revocation call adds to its txn at most (Revoke*, Use's last
  // use, ContinueRevocations), which bounds each Raft entry however large a
  // tree is. A token removed costs at most 4 writes. Default 4096; at least
  // 16.
  size_t revoke_batch_writes = 4096;
};

// kInvalidArgument naming the first field out of range.
absl::Status ValidateTokenStoreOptions(const TokenStoreOptions& options);

class TokenStore {
 public:
  // REQUIRES: ValidateTokenStoreOptions(options).ok().
  explicit TokenStore(TokenStoreOptions options = {});

  // --- Creation. `now` must lie between 1970 and 2170 (kInvalidArgument).

  // The root token Initialize (and later generate-root) hands out: policy
  // "root", display name "root", no parent, no expiry, not renewable; an
  // ordinary token otherwise (it can be looked up and revoked). Stores the
  // salt from `random.salt` if there is none yet.
  absl::StatusOr<CreatedToken> CreateRoot(kv::Txn* txn, absl::Time now,
                                          const TokenRandom& random) const;

  // Vault's auth/token/create (and create-orphan: request.no_parent) by the
  // caller holding `parent_id`, which must be usable (kPermissionDenied).
  // The rules, in Vault's order:
  // - a parent with limited uses creates nothing (kInvalidArgument);
  // - no_parent needs privileges.may_orphan or a root parent, a period
  //   needs privileges.sudo or a root parent (kPermissionDenied);
  // - policies: the request's (else the parent's) sanitized, "default"
  //   added unless no_default_policy; they must be a subset of the parent's
  //   plus "default" unless sudo or a root parent, and "root" needs a root
  //   parent (kPermissionDenied);
  // - ttl: Vault's CalculateTTL at creation (see auth/rules.h); a root
  //   token without ttl or period does not expire (then explicit_max_ttl,
  //   if set, is its ttl), which an expiring parent may not create
  //   (kInvalidArgument); a non-expiring token is not renewable;
  // - a child (not an orphan) of an expiring parent expires no later than
  //   the parent, whose expiry would revoke it anyway;
  // - a child deeper than kMaxTreeDepth is kResourceExhausted.
  // kAborted if `random` gives an id or accessor already stored.
  absl::StatusOr<CreatedToken> Create(kv::Txn* txn, absl::Time now,
                                      absl::string_view parent_id,
                                      const CreateRequest& request,
                                      const CreatePrivileges& privileges,
                                      const TokenRandom& random) const;

  // A login's token (auth/methods.h): an orphan with request.policies
  // sanitized ("default" added, "root" refused with kInvalidArgument), the
  // ttl of Vault's CalculateTTL with request.max_ttl (if set) as its
  // explicit max, renewable, and request's metadata, uses, bound CIDRs and
  // method. kFailedPrecondition if no token was ever created (no salt: the
  // cluster is not initialized); kAborted as Create.
  absl::StatusOr<CreatedToken> CreateLogin(kv::Txn* txn, absl::Time now,
                                           const LoginTokenRequest& request,
                                           const TokenRandom& random) const;

  // --- Reads.

  // The token `id` names if it is usable at `now` (auth/tree.h,
  // CheckUsable): kPermissionDenied otherwise, the same for every reason.
  absl::StatusOr<Token> Lookup(kv::Reader* txn, absl::Time now,
                               absl::string_view id) const;
  // Lookup, with until when its answer holds as long as no record under
  // kTokenPrefix changes: the earliest expiry of the token and of the
  // ancestors its use depends on (nullopt: none expires). For a cache of
  // checked callers.
  struct Checked {
    Token token;
    std::optional<absl::Time> usable_until;
  };
  absl::StatusOr<Checked> LookupChecked(kv::Reader* txn, absl::Time now,
                                        absl::string_view id) const;
  // The token with `accessor`, if usable at `now`; kNotFound otherwise.
  absl::StatusOr<Token> LookupAccessor(kv::Reader* txn, absl::Time now,
                                       absl::string_view accessor) const;
  // Every stored accessor (Vault's sudo LIST auth/token/accessors), sorted;
  // includes expired tokens not yet revoked, not tokens being revoked.
  // Cost: one read per token.
  absl::StatusOr<std::vector<std::string>> ListAccessors(kv::Reader* txn) const;

  // --- Uses and renewals.

  // One use of the token `id` (as Lookup, kPermissionDenied if unusable).
  // A token with unlimited uses is not written; otherwise its count drops
  // by one, and the last use revokes it in this txn.
  absl::StatusOr<UseResult> Use(kv::Txn* txn, absl::Time now,
                                absl::string_view id) const;

  // Vault's auth/token/renew: kPermissionDenied if unusable;
  // kInvalidArgument if it never expires, is not renewable, or is past its
  // max TTL. The new ttl is Vault's CalculateTTL from the token's creation:
  // a periodic token gets its period again (increment ignored), others the
  // increment (zero: the last ttl granted), never past creation + the
  // effective max (max_ttl, lowered by explicit_max_ttl), and a child never
  // past its expiring parent. Returns the ttl granted from `now`.
  // kInvalidArgument for a negative increment.
  absl::StatusOr<absl::Duration> Renew(kv::Txn* txn, absl::Time now,
                                       absl::string_view id,
                                       absl::Duration increment) const;
  // Vault's auth/token/renew-accessor: Renew for the token with
  // `accessor`; kNotFound "auth: invalid accessor" if none is usable.
  absl::StatusOr<absl::Duration> RenewAccessor(kv::Txn* txn, absl::Time now,
                                               absl::string_view accessor,
                                               absl::Duration increment) const;

  // --- Revocation. Each call marks its token revoked at once (it and its
  // whole tree are refused from this txn on), then removes records within
  // revoke_batch_writes. Each returns whether revocation work remains (of
  // this call or an earlier one): the node then calls ContinueRevocations,
  // one txn each, until it returns false. The work survives leader changes
  // (it is in the store), so the node also calls ContinueRevocations after
  // it becomes leader.

  // Vault's auth/token/revoke (and revoke-self, with the caller's own id):
  // the token and every descendant except through orphans. An unknown id
  // or an already revoked token: nothing to do, OK (as Vault's 204). Expired
  // tokens are revoked too.
  absl::StatusOr<bool> Revoke(kv::Txn* txn, absl::string_view id) const;
  // Vault's auth/token/revoke-orphan: the token; its children become
  // orphans (they stand alone from this txn on). A token under a tree
  // being revoked is revoked with its tree instead: its children are
  // refused already and stay so.
  absl::StatusOr<bool> RevokeOrphan(kv::Txn* txn, absl::string_view id) const;
  // Vault's auth/token/revoke-accessor: as Revoke for the token with
  // `accessor`; kNotFound if no token has it (or it is being revoked).
  absl::StatusOr<bool> RevokeAccessor(kv::Txn* txn,
                                      absl::string_view accessor) const;
  // Continues pending revocations within revoke_batch_writes.
  absl::StatusOr<bool> ContinueRevocations(kv::Txn* txn) const;

  // --- Expiry tidy. The leader calls ListExpired periodically and revokes
  // what it returns with RevokeExpired, through the log like any write.

  // Up to `limit` hashes of tokens expired at `now`, oldest expiry first.
  // Reads only the expiry index below `now` (at most 240 prefix listings),
  // not every token. kInvalidArgument if limit is 0.
  absl::StatusOr<std::vector<TokenHash>> ListExpired(kv::Reader* txn,
                                                     absl::Time now,
                                                     size_t limit) const;
  // Revokes (as Revoke) the token with `hash` if it is still expired at
  // `now`: a token renewed or revoked since ListExpired is left alone.
  // kInvalidArgument for a malformed hash.
  absl::StatusOr<bool> RevokeExpired(kv::Txn* txn, absl::Time now,
                                     const TokenHash& hash) const;

  const TokenStoreOptions& options() const { return options_; }

 private:
  absl::StatusOr<absl::Duration> RenewUsable(kv::Txn* txn, absl::Time now,
                                             internal::UsableToken t,
                                             absl::Duration increment) const;

  const TokenStoreOptions options_;
};

}  // namespace coffer::auth

#endif  // COFFER_LIB_AUTH_TOKEN_STORE_H_
