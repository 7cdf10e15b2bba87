#include "auth/tree.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "auth/records.h"
#include "base/check.h"
#include "base/status_macros.h"

namespace coffer::auth {
namespace {

// A batch must hold a Mark and at least one removal (4 writes).
static_assert(kMinRevokeBatchWrites >= kMarkWrites + 4);

absl::Status Denied() {
  return absl::PermissionDeniedError("auth: permission denied");
}

crypto::Digest ToDigest(absl::string_view bytes) {
  COFFER_CHECK(bytes.size() ==
               crypto::kSha256Size);  // the record checks ensure it
  crypto::Digest d;
  std::copy(bytes.begin(), bytes.end(), d.begin());
  return d;
}

}  // namespace

absl::StatusOr<std::optional<StoredToken>> LoadToken(
    kv::Reader* txn, const crypto::Digest& hash) {
  COFFER_ASSIGN_OR_RETURN(std::optional<authpb::TokenEntry> entry,
                          LoadEntry(txn, IdKey(hash)));
  if (!entry.has_value()) return std::nullopt;
  return StoredToken{hash, *std::move(entry)};
}

bool Expires(const authpb::TokenEntry& e) { return e.ttl_nanos() > 0; }

bool IsExpired(const authpb::TokenEntry& e, absl::Time now) {
  return Expires(e) && ToNanos(now) >= e.expire_time_nanos();
}

absl::StatusOr<Usable> CheckUsable(kv::Reader* txn, const StoredToken& token,
                                   absl::Time now) {
  const authpb::TokenEntry& self = token.entry;
  if (self.revocation() != authpb::REVOCATION_NONE || IsExpired(self, now)) {
    return Denied();
  }
  Usable usable;
  usable.orphan = self.parent_hash().empty();
  auto bound = [&](const authpb::TokenEntry& e) {
    if (!Expires(e)) return;
    const absl::Time t = FromNanos(e.expire_time_nanos());
    if (!usable.usable_until.has_value() || t < *usable.usable_until) {
      usable.usable_until = t;
    }
  };
  bound(self);
  crypto::Digest child = token.hash;
  std::string parent_hash = self.parent_hash();
  while (!parent_hash.empty()) {
    const std::string child_key = IdKey(child);
    if (++usable.depth > kMaxTreeDepth) {
      return Corrupt("token", child_key, "ancestors deeper than the limit");
    }
    const crypto::Digest parent = ToDigest(parent_hash);
    COFFER_ASSIGN_OR_RETURN(std::optional<StoredToken> p,
                            LoadToken(txn, parent));
    if (!p.has_value()) return Corrupt("token", child_key, "parent missing");
    // A parent making its children orphans no longer bounds them: they
    // stand alone from the moment of that revocation.
    if (p->entry.revocation() == authpb::REVOCATION_ORPHAN) {
      if (usable.depth == 1) usable.orphan = true;
      break;
    }
    if (p->entry.revocation() != authpb::REVOCATION_NONE ||
        IsExpired(p->entry, now)) {
      return Denied();
    }
    if (usable.depth == 1 && Expires(p->entry)) {
      usable.bounding_parent = p->entry;
    }
    bound(p->entry);
    child = parent;
    parent_hash = p->entry.parent_hash();
  }
  return usable;
}

absl::StatusOr<bool> UnderTreeRevocation(kv::Reader* txn,
                                         const StoredToken& token) {
  crypto::Digest child = token.hash;
  std::string parent_hash = token.entry.parent_hash();
  for (int depth = 1; !parent_hash.empty(); ++depth) {
    const std::string child_key = IdKey(child);
    if (depth > kMaxTreeDepth) {
      return Corrupt("token", child_key, "ancestors deeper than the limit");
    }
    const crypto::Digest parent = ToDigest(parent_hash);
    COFFER_ASSIGN_OR_RETURN(std::optional<StoredToken> p,
                            LoadToken(txn, parent));
    if (!p.has_value()) return Corrupt("token", child_key, "parent missing");
    switch (p->entry.revocation()) {
      case authpb::REVOCATION_TREE:
        return true;
      case authpb::REVOCATION_ORPHAN:
        return false;
      default:
        break;
    }
    child = parent;
    parent_hash = p->entry.parent_hash();
  }
  return false;
}

Revoker::Revoker(kv::BufferedTxn* txn, const Hasher* hasher, size_t budget)
    : txn_(txn), hasher_(hasher), budget_(budget) {
  COFFER_CHECK(budget_ >= kMinRevokeBatchWrites);
}

size_t Revoker::Left() const {
  return txn_->size() >= budget_ ? 0 : budget_ - txn_->size();
}

void Revoker::Mark(StoredToken token, authpb::Revocation mode) {
  authpb::TokenEntry& e = token.entry;
  COFFER_CHECK(e.revocation() == authpb::REVOCATION_NONE);
  COFFER_CHECK(mode != authpb::REVOCATION_NONE);
  txn_->Delete(AccessorKey(hasher_->Accessor(e.accessor())));
  if (Expires(e)) txn_->Delete(ExpiryKey(e.expire_time_nanos(), token.hash));
  if (!e.parent_hash().empty()) {
    txn_->Delete(ParentLinkKey(ToDigest(e.parent_hash()), token.hash));
    e.clear_parent_hash();
  }
  e.set_revocation(mode);
  txn_->Put(IdKey(token.hash), Encode(e));
  txn_->Put(RevokingKey(token.hash), IndexValue());
}

void Revoker::Remove(const StoredToken& token) {
  const authpb::TokenEntry& e = token.entry;
  txn_->Delete(IdKey(token.hash));
  if (e.revocation() != authpb::REVOCATION_NONE) {
    // Mark removed the other records already.
    txn_->Delete(RevokingKey(token.hash));
    return;
  }
  txn_->Delete(AccessorKey(hasher_->Accessor(e.accessor())));
  if (Expires(e)) txn_->Delete(ExpiryKey(e.expire_time_nanos(), token.hash));
  if (!e.parent_hash().empty()) {
    txn_->Delete(ParentLinkKey(ToDigest(e.parent_hash()), token.hash));
  }
}

absl::StatusOr<bool> Revoker::Run(const std::optional<crypto::Digest>& first) {
  if (first.has_value()) {
    COFFER_ASSIGN_OR_RETURN(std::optional<std::string> pending,
                            txn_->Get(RevokingKey(*first)));
    if (pending.has_value()) {
      COFFER_ASSIGN_OR_RETURN(bool done, Resume(*first));
      if (!done) return true;
    }
  }
  COFFER_ASSIGN_OR_RETURN(std::vector<std::string> keys,
                          txn_->List(kRevokingPrefix));
  for (const std::string& key : keys) {
    COFFER_ASSIGN_OR_RETURN(crypto::Digest hash, HashAtEnd(key));
    if (key != RevokingKey(hash)) {
      return Corrupt("revoking", key, "bad key");
    }
    COFFER_ASSIGN_OR_RETURN(bool done, Resume(hash));
    if (!done) return true;
  }
  return false;
}

absl::StatusOr<bool> Revoker::Resume(const crypto::Digest& hash) {
  COFFER_ASSIGN_OR_RETURN(std::optional<StoredToken> token,
                          LoadToken(txn_, hash));
  if (!token.has_value()) {
    return Corrupt("revoking", RevokingKey(hash), "token missing");
  }
  switch (token->entry.revocation()) {
    case authpb::REVOCATION_TREE:
      return RevokeTree(*token, 0);
    case authpb::REVOCATION_ORPHAN:
      return OrphanChildren(*token);
    default:
      return Corrupt("revoking", RevokingKey(hash), "token not being revoked");
  }
}

absl::StatusOr<bool> Revoker::RevokeTree(const StoredToken& token, int depth) {
  if (depth > kMaxTreeDepth) {
    return Corrupt("token", IdKey(token.hash),
                   "descendants deeper than the limit");
  }
  COFFER_ASSIGN_OR_RETURN(std::vector<std::string> links,
                          txn_->List(ChildrenPrefix(token.hash)));
  for (const std::string& link : links) {
    COFFER_ASSIGN_OR_RETURN(StoredToken child, LoadChild(token.hash, link));
    COFFER_ASSIGN_OR_RETURN(bool done, RevokeTree(child, depth + 1));
    if (!done) return false;
  }
  // A removal writes at most 4 keys (id, accessor, expiry, parent link).
  if (Left() < 4) return false;
  Remove(token);
  return true;
}

absl::StatusOr<StoredToken> Revoker::LoadChild(const crypto::Digest& parent,
                                               absl::string_view link) {
  COFFER_ASSIGN_OR_RETURN(crypto::Digest child_hash, HashAtEnd(link));
  if (link != ParentLinkKey(parent, child_hash)) {
    return Corrupt("parent link", link, "bad key");
  }
  COFFER_ASSIGN_OR_RETURN(std::optional<StoredToken> child,
                          LoadToken(txn_, child_hash));
  if (!child.has_value()) return Corrupt("parent link", link, "child missing");
  if (child->entry.parent_hash() != crypto::DigestView(parent)) {
    return Corrupt("token", IdKey(child_hash), "parent disagrees with link");
  }
  return *std::move(child);
}

absl::StatusOr<bool> Revoker::OrphanChildren(const StoredToken& root) {
  COFFER_ASSIGN_OR_RETURN(std::vector<std::string> links,
                          txn_->List(ChildrenPrefix(root.hash)));
  for (const std::string& link : links) {
    if (Left() < 2) return false;
    COFFER_ASSIGN_OR_RETURN(StoredToken child, LoadChild(root.hash, link));
    child.entry.clear_parent_hash();
    txn_->Put(IdKey(child.hash), Encode(child.entry));
    txn_->Delete(link);
  }
  if (Left() < 2) return false;
  Remove(root);
  return true;
}

}  // namespace coffer::auth
