#include "auth/store_internal.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "auth/records.h"
#include "base/status_macros.h"

namespace coffer::auth::internal {

absl::Status Denied() {
  return absl::PermissionDeniedError("auth: permission denied");
}

absl::Status CheckNow(absl::Time now) {
  const absl::Time end = absl::UnixEpoch() + absl::Hours(24 * 365 * 200);
  if (now < absl::UnixEpoch() || now >= end) {
    return absl::InvalidArgumentError("auth: the time is out of range");
  }
  return absl::OkStatus();
}

absl::Status CheckDuration(absl::string_view what, absl::Duration d) {
  if (d < absl::ZeroDuration() || d > absl::Hours(24 * 365 * 100)) {
    return absl::InvalidArgumentError(
        absl::StrCat("auth: ", what, " must be between 0 and 100 years"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Hasher>> LoadHasher(kv::Reader* txn) {
  COFFER_ASSIGN_OR_RETURN(std::optional<authpb::TokenSalt> salt, LoadSalt(txn));
  if (!salt.has_value()) return std::nullopt;
  return std::optional<Hasher>(std::in_place, salt->salt());
}

absl::StatusOr<std::optional<StoredToken>> FindById(kv::Reader* txn,
                                                    const Hasher& hasher,
                                                    absl::string_view id) {
  return LoadToken(txn, hasher.TokenId(id));
}

absl::StatusOr<std::optional<StoredToken>> FindByAccessor(
    kv::Reader* txn, const Hasher& hasher, absl::string_view accessor) {
  const std::string key = AccessorKey(hasher.Accessor(accessor));
  COFFER_ASSIGN_OR_RETURN(std::optional<authpb::AccessorEntry> record,
                          LoadAccessor(txn, key));
  if (!record.has_value()) return std::nullopt;
  // Equal keyed hashes of different accessors would mean a forged record.
  if (!crypto::ConstantTimeEquals(record->accessor(), accessor)) {
    return Corrupt("accessor", key, "accessor disagrees with its key");
  }
  crypto::Digest hash;
  std::copy(record->token_hash().begin(), record->token_hash().end(),
            hash.begin());
  COFFER_ASSIGN_OR_RETURN(std::optional<StoredToken> token,
                          LoadToken(txn, hash));
  if (!token.has_value()) return Corrupt("accessor", key, "token missing");
  if (token->entry.revocation() != authpb::REVOCATION_NONE ||
      !crypto::ConstantTimeEquals(token->entry.accessor(), accessor)) {
    return Corrupt("accessor", key, "token disagrees");
  }
  return token;
}

absl::StatusOr<UsableToken> FindUsable(kv::Reader* txn, absl::Time now,
                                       absl::string_view id) {
  COFFER_RETURN_IF_ERROR(CheckNow(now));
  COFFER_ASSIGN_OR_RETURN(std::optional<Hasher> hasher, LoadHasher(txn));
  if (!hasher.has_value()) return Denied();
  COFFER_ASSIGN_OR_RETURN(std::optional<StoredToken> token,
                          FindById(txn, *hasher, id));
  if (!token.has_value()) return Denied();
  COFFER_ASSIGN_OR_RETURN(Usable usable, CheckUsable(txn, *token, now));
  return UsableToken{*std::move(token), std::move(usable)};
}

absl::StatusOr<UsableToken> FindUsableByAccessor(kv::Reader* txn,
                                                 absl::Time now,
                                                 absl::string_view accessor) {
  COFFER_RETURN_IF_ERROR(CheckNow(now));
  const absl::Status invalid = absl::NotFoundError("auth: invalid accessor");
  COFFER_ASSIGN_OR_RETURN(std::optional<Hasher> hasher, LoadHasher(txn));
  if (!hasher.has_value()) return invalid;
  COFFER_ASSIGN_OR_RETURN(std::optional<StoredToken> token,
                          FindByAccessor(txn, *hasher, accessor));
  if (!token.has_value()) return invalid;
  absl::StatusOr<Usable> usable = CheckUsable(txn, *token, now);
  if (absl::IsPermissionDenied(usable.status())) return invalid;
  COFFER_RETURN_IF_ERROR(usable.status());
  return UsableToken{*std::move(token), *std::move(usable)};
}

Token ToToken(const authpb::TokenEntry& e, bool orphan, absl::Time now) {
  Token t;
  t.accessor = e.accessor();
  t.policies.assign(e.policies().begin(), e.policies().end());
  for (const authpb::MetadataEntry& m : e.metadata()) {
    t.metadata.emplace_hint(t.metadata.end(), m.name(), m.value());
  }
  t.display_name = e.display_name();
  t.num_uses = e.num_uses();
  t.creation_time = FromNanos(e.creation_time_nanos());
  t.creation_ttl = absl::Nanoseconds(e.creation_ttl_nanos());
  if (Expires(e)) {
    t.expire_time = FromNanos(e.expire_time_nanos());
    t.ttl = std::max(absl::ZeroDuration(), *t.expire_time - now);
  }
  t.explicit_max_ttl = absl::Nanoseconds(e.explicit_max_ttl_nanos());
  t.period = absl::Nanoseconds(e.period_nanos());
  t.renewable = e.renewable();
  t.orphan = orphan;
  if (e.last_renewal_time_nanos() != 0) {
    t.last_renewal_time = FromNanos(e.last_renewal_time_nanos());
  }
  t.bound_cidrs.assign(e.bound_cidrs().begin(), e.bound_cidrs().end());
  t.mount_accessor = e.mount_accessor();
  t.mount_path = e.mount_path();
  return t;
}

void CopyWrites(kv::BufferedTxn* scratch, kv::Txn* txn) {
  for (const kv::Write& w : scratch->TakeWrites()) {
    if (w.value.has_value()) {
      txn->Put(w.key, *w.value);
    } else {
      txn->Delete(w.key);
    }
  }
}

}  // namespace coffer::auth::internal
