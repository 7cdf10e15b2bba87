// The token store's creation, reads, uses and renewals.
#include "auth/token_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "auth/records.h"
#include "auth/rules.h"
#include "auth/store_internal.h"
#include "base/check.h"
#include "base/status_macros.h"

namespace coffer::auth {
namespace {

using internal::CheckDuration;
using internal::CheckNow;
using internal::Denied;

absl::Status CheckRequest(const CreateRequest& r) {
  COFFER_RETURN_IF_ERROR(CheckDuration("ttl", r.ttl));
  COFFER_RETURN_IF_ERROR(CheckDuration("explicit_max_ttl", r.explicit_max_ttl));
  COFFER_RETURN_IF_ERROR(CheckDuration("period", r.period));
  for (const auto& [name, value] : r.metadata) {
    if (name.empty()) {
      return absl::InvalidArgumentError("auth: a metadata name is empty");
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> Policies(const authpb::TokenEntry& e) {
  return {e.policies().begin(), e.policies().end()};
}

// Buffers the records of a new token: `entry` complete but for its
// accessor, which comes with the id from `random`. kAborted on a collision.
absl::StatusOr<CreatedToken> StoreNew(kv::Txn* txn, absl::Time now,
                                      const Hasher& hasher,
                                      authpb::TokenEntry entry,
                                      const TokenRandom& random,
                                      size_t max_entry_bytes) {
  CreatedToken created;
  created.id = FormatTokenId(random);
  entry.set_accessor(FormatAccessor(random));
  const crypto::Digest hash = hasher.TokenId(created.id);
  const std::string id_key = IdKey(hash);
  const std::string accessor_key =
      AccessorKey(hasher.Accessor(entry.accessor()));
  COFFER_ASSIGN_OR_RETURN(std::optional<std::string> old_id, txn->Get(id_key));
  COFFER_ASSIGN_OR_RETURN(std::optional<std::string> old_accessor,
                          txn->Get(accessor_key));
  if (old_id.has_value() || old_accessor.has_value()) {
    return absl::AbortedError(
        "auth: the random bytes gave a token id or accessor already in use");
  }
  std::string bytes = Encode(entry);
  if (bytes.size() > max_entry_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("auth: the token record would take ", bytes.size(),
                     " bytes, above the limit of ", max_entry_bytes));
  }
  authpb::AccessorEntry accessor;
  accessor.set_format_version(kFormatVersion);
  accessor.set_accessor(entry.accessor());
  accessor.set_token_hash(std::string(crypto::DigestView(hash)));

  txn->Put(id_key, bytes);
  txn->Put(accessor_key, Encode(accessor));
  if (!entry.parent_hash().empty()) {
    crypto::Digest parent;
    std::copy(entry.parent_hash().begin(), entry.parent_hash().end(),
              parent.begin());
    txn->Put(ParentLinkKey(parent, hash), IndexValue());
  }
  if (Expires(entry)) {
    txn->Put(ExpiryKey(entry.expire_time_nanos(), hash), IndexValue());
  }
  created.token = internal::ToToken(entry, entry.parent_hash().empty(), now);
  return created;
}

}  // namespace

absl::Status ValidateTokenStoreOptions(const TokenStoreOptions& options) {
  if (options.max_ttl <= absl::ZeroDuration() ||
      options.max_ttl > absl::Hours(24 * 365 * 100)) {
    return absl::InvalidArgumentError(
        "auth: TokenStoreOptions.max_ttl must be positive and at most 100 "
        "years");
  }
  if (options.default_ttl <= absl::ZeroDuration() ||
      options.default_ttl > options.max_ttl) {
    return absl::InvalidArgumentError(
        "auth: TokenStoreOptions.default_ttl must be positive and at most "
        "max_ttl");
  }
  if (options.max_entry_bytes < 4096) {
    return absl::InvalidArgumentError(
        "auth: TokenStoreOptions.max_entry_bytes must be at least 4096");
  }
  if (options.revoke_batch_writes < kMinRevokeBatchWrites) {
    return absl::InvalidArgumentError(
        "auth: TokenStoreOptions.revoke_batch_writes must be at least 16");
  }
  return absl::OkStatus();
}

TokenStore::TokenStore(TokenStoreOptions options) : options_(options) {
  COFFER_CHECK_MSG(ValidateTokenStoreOptions(options_).ok(),
                   "auth::TokenStore built with invalid TokenStoreOptions");
}

absl::StatusOr<CreatedToken> TokenStore::CreateRoot(
    kv::Txn* txn, absl::Time now, const TokenRandom& random) const {
  COFFER_RETURN_IF_ERROR(CheckNow(now));
  kv::BufferedTxn scratch(txn);
  COFFER_ASSIGN_OR_RETURN(std::optional<Hasher> hasher,
                          internal::LoadHasher(&scratch));
  if (!hasher.has_value()) {
    authpb::TokenSalt salt;
    salt.set_format_version(kFormatVersion);
    salt.set_salt(random.salt.data(), random.salt.size());
    scratch.Put(kSaltKey, Encode(salt));
    hasher.emplace(salt.salt());
  }
  authpb::TokenEntry entry;
  entry.set_format_version(kFormatVersion);
  entry.add_policies(std::string(kRootPolicy));
  entry.set_display_name("root");
  entry.set_creation_time_nanos(ToNanos(now));
  COFFER_ASSIGN_OR_RETURN(CreatedToken created,
                          StoreNew(&scratch, now, *hasher, std::move(entry),
                                   random, options_.max_entry_bytes));
  internal::CopyWrites(&scratch, txn);
  return created;
}

absl::StatusOr<CreatedToken> TokenStore::Create(
    kv::Txn* txn, absl::Time now, absl::string_view parent_id,
    const CreateRequest& request, const CreatePrivileges& privileges,
    const TokenRandom& random) const {
  COFFER_RETURN_IF_ERROR(CheckRequest(request));
  COFFER_ASSIGN_OR_RETURN(internal::UsableToken parent,
                          internal::FindUsable(txn, now, parent_id));
  const authpb::TokenEntry& p = parent.token.entry;
  if (p.num_uses() > 0) {
    return absl::InvalidArgumentError(
        "auth: a token with limited uses cannot create tokens");
  }
  const std::vector<std::string> parent_policies = Policies(p);
  const bool root_parent = HasRoot(parent_policies);
  const bool sudo = privileges.sudo || root_parent;
  if (request.no_parent && !(privileges.may_orphan || root_parent)) {
    return absl::PermissionDeniedError(
        "auth: root or sudo privileges required to create an orphan token");
  }
  if (request.period > absl::ZeroDuration() && !sudo) {
    return absl::PermissionDeniedError(
        "auth: root or sudo privileges required to create a periodic token");
  }

  std::vector<std::string> policies =
      request.policies.empty() ? SanitizePolicies(parent_policies, false)
                               : request.policies;
  policies = SanitizePolicies(std::move(policies), !request.no_default_policy);
  if (!sudo && !IsSubset(SanitizePolicies(parent_policies, true), policies)) {
    return absl::PermissionDeniedError(
        "auth: child policies must be a subset of the parent's");
  }
  const bool root_child = HasRoot(policies);
  if (root_child && !root_parent) {
    return absl::PermissionDeniedError(
        "auth: a root token can only be created by a root token");
  }

  const absl::Duration zero = absl::ZeroDuration();
  absl::Duration ttl = request.ttl;
  if (request.period > zero || ttl > zero || !root_child) {
    COFFER_ASSIGN_OR_RETURN(
        ttl, CalculateTtl({options_.default_ttl, options_.max_ttl}, zero, ttl,
                          request.period, request.explicit_max_ttl, now, now));
  }
  if (ttl == zero) ttl = request.explicit_max_ttl;
  bool renewable = request.renewable;
  if (ttl == zero) {
    if (Expires(p)) {
      return absl::InvalidArgumentError(
          "auth: an expiring token cannot create a token that never expires");
    }
    renewable = false;
  }
  if (!request.no_parent && Expires(p)) {
    // The parent's expiry would revoke the child: say so in its ttl.
    ttl = std::min(ttl, FromNanos(p.expire_time_nanos()) - now);
  }
  if (!request.no_parent && parent.usable.depth + 1 > kMaxTreeDepth) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "auth: a token tree is at most ", kMaxTreeDepth, " tokens deep"));
  }

  authpb::TokenEntry entry;
  entry.set_format_version(kFormatVersion);
  for (std::string& policy : policies) entry.add_policies(std::move(policy));
  if (!request.no_parent) {
    entry.set_parent_hash(std::string(crypto::DigestView(parent.token.hash)));
  }
  entry.set_display_name(DisplayName(request.display_name));
  for (const auto& [name, value] : request.metadata) {
    authpb::MetadataEntry* m = entry.add_metadata();
    m->set_name(name);
    m->set_value(value);
  }
  entry.set_num_uses(request.num_uses);
  entry.set_creation_time_nanos(ToNanos(now));
  entry.set_creation_ttl_nanos(ToNanos(ttl));
  entry.set_ttl_nanos(ToNanos(ttl));
  if (ttl > zero) entry.set_expire_time_nanos(ToNanos(now + ttl));
  entry.set_explicit_max_ttl_nanos(ToNanos(request.explicit_max_ttl));
  entry.set_period_nanos(ToNanos(request.period));
  entry.set_renewable(renewable);

  kv::BufferedTxn scratch(txn);
  COFFER_ASSIGN_OR_RETURN(std::optional<Hasher> hasher,
                          internal::LoadHasher(&scratch));
  COFFER_CHECK(hasher.has_value());  // FindUsable found a token
  COFFER_ASSIGN_OR_RETURN(CreatedToken created,
                          StoreNew(&scratch, now, *hasher, std::move(entry),
                                   random, options_.max_entry_bytes));
  internal::CopyWrites(&scratch, txn);
  return created;
}

absl::StatusOr<CreatedToken> TokenStore::CreateLogin(
    kv::Txn* txn, absl::Time now, const LoginTokenRequest& request,
    const TokenRandom& random) const {
  COFFER_RETURN_IF_ERROR(CheckNow(now));
  COFFER_RETURN_IF_ERROR(CheckDuration("ttl", request.ttl));
  COFFER_RETURN_IF_ERROR(CheckDuration("max_ttl", request.max_ttl));
  if (request.mount_accessor.empty() || request.mount_path.empty()) {
    return absl::InvalidArgumentError("auth: a login token needs its method");
  }
  std::vector<std::string> policies =
      SanitizePolicies(request.policies, /*add_default=*/true);
  if (HasRoot(policies)) {
    return absl::InvalidArgumentError(
        "auth: a login cannot issue a root token");
  }
  const absl::Duration zero = absl::ZeroDuration();
  COFFER_ASSIGN_OR_RETURN(
      absl::Duration ttl,
      CalculateTtl({options_.default_ttl, options_.max_ttl}, zero, request.ttl,
                   zero, request.max_ttl, now, now));
  authpb::TokenEntry entry;
  entry.set_format_version(kFormatVersion);
  for (std::string& policy : policies) entry.add_policies(std::move(policy));
  entry.set_display_name(request.display_name);
  for (const auto& [name, value] : request.metadata) {
    if (name.empty()) {
      return absl::InvalidArgumentError("auth: a metadata name is empty");
    }
    authpb::MetadataEntry* m = entry.add_metadata();
    m->set_name(name);
    m->set_value(value);
  }
  entry.set_num_uses(request.num_uses);
  entry.set_creation_time_nanos(ToNanos(now));
  entry.set_creation_ttl_nanos(ToNanos(ttl));
  entry.set_ttl_nanos(ToNanos(ttl));
  entry.set_expire_time_nanos(ToNanos(now + ttl));
  entry.set_explicit_max_ttl_nanos(ToNanos(request.max_ttl));
  entry.set_renewable(true);
  for (const std::string& c : request.bound_cidrs) entry.add_bound_cidrs(c);
  entry.set_mount_accessor(request.mount_accessor);
  entry.set_mount_path(request.mount_path);

  kv::BufferedTxn scratch(txn);
  COFFER_ASSIGN_OR_RETURN(std::optional<Hasher> hasher,
                          internal::LoadHasher(&scratch));
  if (!hasher.has_value()) {
    return absl::FailedPreconditionError("auth: no token store yet");
  }
  COFFER_ASSIGN_OR_RETURN(CreatedToken created,
                          StoreNew(&scratch, now, *hasher, std::move(entry),
                                   random, options_.max_entry_bytes));
  internal::CopyWrites(&scratch, txn);
  return created;
}

absl::StatusOr<Token> TokenStore::Lookup(kv::Reader* txn, absl::Time now,
                                         absl::string_view id) const {
  COFFER_ASSIGN_OR_RETURN(internal::UsableToken t,
                          internal::FindUsable(txn, now, id));
  return internal::ToToken(t.token.entry, t.usable.orphan, now);
}

absl::StatusOr<TokenStore::Checked> TokenStore::LookupChecked(
    kv::Reader* txn, absl::Time now, absl::string_view id) const {
  COFFER_ASSIGN_OR_RETURN(internal::UsableToken t,
                          internal::FindUsable(txn, now, id));
  return Checked{internal::ToToken(t.token.entry, t.usable.orphan, now),
                 t.usable.usable_until};
}

absl::StatusOr<Token> TokenStore::LookupAccessor(
    kv::Reader* txn, absl::Time now, absl::string_view accessor) const {
  COFFER_ASSIGN_OR_RETURN(internal::UsableToken t,
                          internal::FindUsableByAccessor(txn, now, accessor));
  return internal::ToToken(t.token.entry, t.usable.orphan, now);
}

absl::StatusOr<std::vector<std::string>> TokenStore::ListAccessors(
    kv::Reader* txn) const {
  COFFER_ASSIGN_OR_RETURN(std::vector<std::string> keys,
                          txn->List(kAccessorPrefix));
  std::vector<std::string> out;
  out.reserve(keys.size());
  for (const std::string& key : keys) {
    COFFER_ASSIGN_OR_RETURN(std::optional<authpb::AccessorEntry> record,
                            LoadAccessor(txn, key));
    COFFER_CHECK(record.has_value());  // listed a moment ago
    out.push_back(record->accessor());
  }
  std::sort(out.begin(), out.end());
  return out;
}

absl::StatusOr<UseResult> TokenStore::Use(kv::Txn* txn, absl::Time now,
                                          absl::string_view id) const {
  COFFER_ASSIGN_OR_RETURN(internal::UsableToken t,
                          internal::FindUsable(txn, now, id));
  authpb::TokenEntry& e = t.token.entry;
  UseResult result;
  if (e.num_uses() == 0) {
    result.token = internal::ToToken(e, t.usable.orphan, now);
    return result;
  }
  e.set_num_uses(e.num_uses() - 1);
  result.token = internal::ToToken(e, t.usable.orphan, now);
  if (e.num_uses() > 0) {
    txn->Put(IdKey(t.token.hash), Encode(e));
    return result;
  }
  // The last use. A token with limited uses has no children (it cannot
  // create any), so this revocation ends in this txn.
  result.revoked = true;
  kv::BufferedTxn scratch(txn);
  COFFER_ASSIGN_OR_RETURN(std::optional<Hasher> hasher,
                          internal::LoadHasher(&scratch));
  COFFER_CHECK(hasher.has_value());  // FindUsable found a token
  Revoker revoker(&scratch, &*hasher, options_.revoke_batch_writes);
  revoker.Mark(std::move(t.token), authpb::REVOCATION_TREE);
  COFFER_RETURN_IF_ERROR(revoker.Run(std::nullopt).status());
  internal::CopyWrites(&scratch, txn);
  return result;
}

absl::StatusOr<absl::Duration> TokenStore::Renew(
    kv::Txn* txn, absl::Time now, absl::string_view id,
    absl::Duration increment) const {
  COFFER_RETURN_IF_ERROR(CheckDuration("increment", increment));
  COFFER_ASSIGN_OR_RETURN(internal::UsableToken t,
                          internal::FindUsable(txn, now, id));
  return RenewUsable(txn, now, std::move(t), increment);
}

absl::StatusOr<absl::Duration> TokenStore::RenewAccessor(
    kv::Txn* txn, absl::Time now, absl::string_view accessor,
    absl::Duration increment) const {
  COFFER_RETURN_IF_ERROR(CheckDuration("increment", increment));
  COFFER_ASSIGN_OR_RETURN(internal::UsableToken t,
                          internal::FindUsableByAccessor(txn, now, accessor));
  return RenewUsable(txn, now, std::move(t), increment);
}

absl::StatusOr<absl::Duration> TokenStore::RenewUsable(
    kv::Txn* txn, absl::Time now, internal::UsableToken t,
    absl::Duration increment) const {
  authpb::TokenEntry& e = t.token.entry;
  if (!Expires(e)) {
    return absl::InvalidArgumentError(
        "auth: the token does not expire, so it cannot be renewed");
  }
  if (!e.renewable()) {
    return absl::InvalidArgumentError("auth: the token is not renewable");
  }
  COFFER_ASSIGN_OR_RETURN(
      absl::Duration ttl,
      CalculateTtl({options_.default_ttl, options_.max_ttl}, increment,
                   absl::Nanoseconds(e.ttl_nanos()),
                   absl::Nanoseconds(e.period_nanos()),
                   absl::Nanoseconds(e.explicit_max_ttl_nanos()),
                   FromNanos(e.creation_time_nanos()), now));
  if (t.usable.bounding_parent.has_value()) {
    ttl = std::min(
        ttl, FromNanos(t.usable.bounding_parent->expire_time_nanos()) - now);
  }
  const std::string old_expiry = ExpiryKey(e.expire_time_nanos(), t.token.hash);
  e.set_ttl_nanos(ToNanos(ttl));
  e.set_expire_time_nanos(ToNanos(now + ttl));
  e.set_last_renewal_time_nanos(ToNanos(now));
  txn->Delete(old_expiry);
  txn->Put(ExpiryKey(e.expire_time_nanos(), t.token.hash), IndexValue());
  txn->Put(IdKey(t.token.hash), Encode(e));
  return ttl;
}

}  // namespace coffer::auth
