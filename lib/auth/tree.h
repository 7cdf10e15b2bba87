// The token tree: whether a token may be used given its ancestors, and the
// revocation of a token with its descendants (or with its children made
// orphans) in bounded batches.
//
// A revocation first marks the token (TokenEntry.revocation, a revoking
// record) and detaches it from its own parent and indexes, all in one txn:
// from then on the token and, through the ancestor walk of CheckUsable,
// every descendant is refused. Batches then remove the descendants
// children-first (post-order, as Vault's revokeTree), or re-parent the
// children as orphans, and the marked token last. A batch stops when its
// writes would pass its budget; the revoking records say what work is left,
// so any later leader can resume it.
//
// Thread-compatible: a Revoker is used by one thread for one call.
#ifndef COFFER_LIB_AUTH_TREE_H_
#define COFFER_LIB_AUTH_TREE_H_

#include <cstddef>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "auth/token_id.h"
#include "crypto/hash.h"
#include "kv/txn.h"
#include "proto/auth.pb.h"

namespace coffer::auth {

// A chain of parents longer than this is refused at creation, and seen in
// storage as corruption (it also bounds the walks over a forged cycle).
inline constexpr int kMaxTreeDepth = 64;

// Writes a Revoker's Mark makes (entry, revoking record, accessor, expiry
// and parent link); batch budgets must leave room for them and one removal.
inline constexpr size_t kMarkWrites = 5;
inline constexpr size_t kMinRevokeBatchWrites = 16;

struct StoredToken {
  crypto::Digest hash;
  authpb::TokenEntry entry;
};

// The token whose id hash is `hash`; nullopt if none is stored.
absl::StatusOr<std::optional<StoredToken>> LoadToken(
    kv::Reader* txn, const crypto::Digest& hash);

// Whether the entry has an expiry, and whether it is past it at `now` (a
// token is refused from its expire time on: now >= expire_time).
bool Expires(const authpb::TokenEntry& e);
bool IsExpired(const authpb::TokenEntry& e, absl::Time now);

// What the ancestor walk found about a usable token.
struct Usable {
  int depth = 0;  // parents walked: 0 for an orphan
  // It has no parent, or one that is making its children orphans.
  bool orphan = false;
  // The parent whose expiry bounds the token's, if any: a live, expiring
  // parent. A parent that is making its children orphans bounds nothing.
  std::optional<authpb::TokenEntry> bounding_parent;
  // The earliest expiry of the token and of the ancestors walked: until
  // then (unless its records change) it stays usable. nullopt: never.
  std::optional<absl::Time> usable_until;
};

// OK with the walk's findings if the token may be used at `now`: it is
// live, not expired, and each ancestor up to the first orphan (or to one
// that is making its children orphans) is live and not expired.
// kPermissionDenied ("auth: permission denied") otherwise; kDataLoss for a
// missing parent or a chain deeper than kMaxTreeDepth.
absl::StatusOr<Usable> CheckUsable(kv::Reader* txn, const StoredToken& token,
                                   absl::Time now);

// Whether an ancestor of `token` is being revoked with its tree (walking up
// to the first orphan, or to a parent that is making its children
// orphans): then `token` and its descendants are revoked already.
// kDataLoss as for CheckUsable.
absl::StatusOr<bool> UnderTreeRevocation(kv::Reader* txn,
                                         const StoredToken& token);

// Runs revocation work on `txn` (which it borrows for its lifetime) until
// the writes buffered there reach `budget`. Reads see the txn's writes.
class Revoker {
 public:
  // REQUIRES: budget >= kMinRevokeBatchWrites; `txn` and `hasher` outlive
  // this Revoker.
  Revoker(kv::BufferedTxn* txn, const Hasher* hasher, size_t budget);

  // Marks a live `token` as being revoked in `mode` (kMarkWrites writes at
  // most). REQUIRES: token.entry.revocation() == REVOCATION_NONE, mode not.
  void Mark(StoredToken token, authpb::Revocation mode);

  // Works on the pending revocations, `first` (if set and pending) first,
  // then the others in key order, until the budget is spent. Returns
  // whether some remain. kDataLoss for a corrupt record met on the way.
  absl::StatusOr<bool> Run(const std::optional<crypto::Digest>& first);

 private:
  size_t Left() const;
  // Removes `token` with its whole subtree, children first; false if the
  // budget ran out first. `depth` is its distance from the revoked root.
  absl::StatusOr<bool> RevokeTree(const StoredToken& token, int depth);
  // The child that the parent link `link` of `parent` names, checked
  // against the link: kDataLoss if it is missing or disagrees.
  absl::StatusOr<StoredToken> LoadChild(const crypto::Digest& parent,
                                        absl::string_view link);
  // Re-parents the children of `root` as orphans, then removes it.
  absl::StatusOr<bool> OrphanChildren(const StoredToken& root);
  // One pending revocation; false if the budget ran out first.
  absl::StatusOr<bool> Resume(const crypto::Digest& hash);
  // Deletes every record of `token`.
  void Remove(const StoredToken& token);

  kv::BufferedTxn* const txn_;
  const Hasher* const hasher_;
  const size_t budget_;
};

}  // namespace coffer::auth

#endif  // COFFER_LIB_AUTH_TREE_H_
