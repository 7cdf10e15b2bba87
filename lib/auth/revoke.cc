// The token store's revocations and expiry tidy.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "auth/records.h"
#include "auth/store_internal.h"
#include "auth/token_store.h"
#include "base/status_macros.h"

namespace coffer::auth {
namespace {

// Marks `token` (when it is live) revoked in `mode`, then works on pending
// revocations, this one first, within `budget` writes. Commits to `txn`
// only on success.
absl::StatusOr<bool> RevokeStored(kv::Txn* txn, kv::BufferedTxn* scratch,
                                  const Hasher& hasher,
                                  std::optional<StoredToken> token,
                                  authpb::Revocation mode, size_t budget) {
  Revoker revoker(scratch, &hasher, budget);
  std::optional<crypto::Digest> first;
  if (token.has_value()) {
    first = token->hash;
    if (token->entry.revocation() == authpb::REVOCATION_NONE) {
      // Under a tree being revoked, the token's children are revoked
      // already: making them orphans now would bring them back.
      if (mode == authpb::REVOCATION_ORPHAN) {
        COFFER_ASSIGN_OR_RETURN(bool doomed,
                                UnderTreeRevocation(scratch, *token));
        if (doomed) mode = authpb::REVOCATION_TREE;
      }
      revoker.Mark(*std::move(token), mode);
    }
  }
  COFFER_ASSIGN_OR_RETURN(bool more, revoker.Run(first));
  internal::CopyWrites(scratch, txn);
  return more;
}

// The salt's hasher; kDataLoss if there is none although `what` is stored.
absl::StatusOr<Hasher> RequireHasher(kv::Reader* txn, absl::string_view what) {
  COFFER_ASSIGN_OR_RETURN(std::optional<Hasher> hasher,
                          internal::LoadHasher(txn));
  if (!hasher.has_value()) {
    return Corrupt("salt", kSaltKey, absl::StrCat("missing, yet ", what));
  }
  return *std::move(hasher);
}

}  // namespace

absl::StatusOr<bool> TokenStore::Revoke(kv::Txn* txn,
                                        absl::string_view id) const {
  kv::BufferedTxn scratch(txn);
  COFFER_ASSIGN_OR_RETURN(std::optional<Hasher> hasher,
                          internal::LoadHasher(&scratch));
  if (!hasher.has_value()) return false;  // no token was ever created
  COFFER_ASSIGN_OR_RETURN(std::optional<StoredToken> token,
                          internal::FindById(&scratch, *hasher, id));
  return RevokeStored(txn, &scratch, *hasher, std::move(token),
                      authpb::REVOCATION_TREE, options_.revoke_batch_writes);
}

absl::StatusOr<bool> TokenStore::RevokeOrphan(kv::Txn* txn,
                                              absl::string_view id) const {
  kv::BufferedTxn scratch(txn);
  COFFER_ASSIGN_OR_RETURN(std::optional<Hasher> hasher,
                          internal::LoadHasher(&scratch));
  if (!hasher.has_value()) return false;
  COFFER_ASSIGN_OR_RETURN(std::optional<StoredToken> token,
                          internal::FindById(&scratch, *hasher, id));
  return RevokeStored(txn, &scratch, *hasher, std::move(token),
                      authpb::REVOCATION_ORPHAN, options_.revoke_batch_writes);
}

absl::StatusOr<bool> TokenStore::RevokeAccessor(
    kv::Txn* txn, absl::string_view accessor) const {
  const absl::Status invalid = absl::NotFoundError("auth: invalid accessor");
  kv::BufferedTxn scratch(txn);
  COFFER_ASSIGN_OR_RETURN(std::optional<Hasher> hasher,
                          internal::LoadHasher(&scratch));
  if (!hasher.has_value()) return invalid;
  COFFER_ASSIGN_OR_RETURN(
      std::optional<StoredToken> token,
      internal::FindByAccessor(&scratch, *hasher, accessor));
  if (!token.has_value()) return invalid;
  return RevokeStored(txn, &scratch, *hasher, std::move(token),
                      authpb::REVOCATION_TREE, options_.revoke_batch_writes);
}

absl::StatusOr<bool> TokenStore::ContinueRevocations(kv::Txn* txn) const {
  kv::BufferedTxn scratch(txn);
  COFFER_ASSIGN_OR_RETURN(std::vector<std::string> pending,
                          scratch.List(kRevokingPrefix));
  if (pending.empty()) return false;
  COFFER_ASSIGN_OR_RETURN(Hasher hasher,
                          RequireHasher(&scratch, "revocations are pending"));
  return RevokeStored(txn, &scratch, hasher, std::nullopt,
                      authpb::REVOCATION_TREE, options_.revoke_batch_writes);
}

absl::StatusOr<std::vector<TokenHash>> TokenStore::ListExpired(
    kv::Reader* txn, absl::Time now, size_t limit) const {
  COFFER_RETURN_IF_ERROR(internal::CheckNow(now));
  if (limit == 0) {
    return absl::InvalidArgumentError("auth: ListExpired needs a limit");
  }
  // A token is expired at `now` when its expire time is <= now, that is
  // when its key's 16 hex digits sort below those of now + 1. Those keys
  // are exactly the ones under the prefixes bound[0..i) + d for each
  // position i and each digit d below bound[i], and those prefixes come in
  // ascending order; so this reads expired entries only.
  const std::string bound =
      absl::StrFormat("%016x", static_cast<uint64_t>(ToNanos(now)) + 1);
  static constexpr absl::string_view kDigits = "0123456789abcdef";
  std::vector<TokenHash> out;
  for (size_t i = 0; i < bound.size(); ++i) {
    for (char d : kDigits) {
      if (d >= bound[i]) break;
      const std::string prefix =
          absl::StrCat(kExpiryPrefix, bound.substr(0, i), std::string(1, d));
      COFFER_ASSIGN_OR_RETURN(std::vector<std::string> keys, txn->List(prefix));
      for (const std::string& key : keys) {
        COFFER_ASSIGN_OR_RETURN(crypto::Digest hash, HashAtEnd(key));
        const absl::string_view nanos =
            absl::string_view(key).substr(kExpiryPrefix.size(), 16);
        uint64_t value = 0;
        if (key.size() != kExpiryPrefix.size() + 16 + 1 + 64 ||
            !absl::SimpleHexAtoi(nanos, &value) ||
            key != ExpiryKey(static_cast<int64_t>(value), hash)) {
          return Corrupt("expiry", key, "bad key");
        }
        out.push_back(TokenHash{DigestHex(hash)});
        if (out.size() == limit) return out;
      }
    }
  }
  return out;
}

absl::StatusOr<bool> TokenStore::RevokeExpired(kv::Txn* txn, absl::Time now,
                                               const TokenHash& hash) const {
  COFFER_RETURN_IF_ERROR(internal::CheckNow(now));
  crypto::Digest digest;
  if (!ParseDigestHex(hash.hex, &digest)) {
    return absl::InvalidArgumentError("auth: a token hash is 64 hex digits");
  }
  kv::BufferedTxn scratch(txn);
  COFFER_ASSIGN_OR_RETURN(std::optional<StoredToken> token,
                          LoadToken(&scratch, digest));
  if (token.has_value() &&
      (token->entry.revocation() != authpb::REVOCATION_NONE ||
       !IsExpired(token->entry, now))) {
    token.reset();  // renewed or already revoked since it was listed
  }
  // Nothing to start; the call still moves pending work on.
  if (!token.has_value()) return ContinueRevocations(txn);
  COFFER_ASSIGN_OR_RETURN(Hasher hasher,
                          RequireHasher(&scratch, "a token is stored"));
  return RevokeStored(txn, &scratch, hasher, std::move(token),
                      authpb::REVOCATION_TREE, options_.revoke_batch_writes);
}

}  // namespace coffer::auth
