#include "auth/records.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "auth/token_id.h"
#include "base/status_macros.h"
#include "kv/load_record.h"

namespace coffer::auth {
namespace {

bool IsBase62(absl::string_view s) {
  for (char c : s) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
                    (c >= 'a' && c <= 'z');
    if (!ok) return false;
  }
  return true;
}

bool IsAccessor(absl::string_view s) {
  return s.size() == kEncodedChars && IsBase62(s);
}

// Each Check* returns what is wrong with a parsed record, or "" if nothing.
std::string CheckSalt(const authpb::TokenSalt& salt) {
  if (salt.format_version() != kFormatVersion) return "unknown format";
  if (salt.salt().size() != kSaltBytes) return "bad salt size";
  return "";
}

std::string CheckEntry(const authpb::TokenEntry& e) {
  if (e.format_version() != kFormatVersion) return "unknown format";
  if (!IsAccessor(e.accessor())) return "bad accessor";
  for (int i = 0; i < e.policies_size(); ++i) {
    if (e.policies(i).empty()) return "empty policy name";
    if (i > 0 && e.policies(i - 1) >= e.policies(i)) {
      return "policies out of order";
    }
  }
  if (!e.parent_hash().empty() &&
      e.parent_hash().size() != crypto::kSha256Size) {
    return "bad parent hash";
  }
  for (int i = 0; i < e.metadata_size(); ++i) {
    if (e.metadata(i).name().empty()) return "empty metadata name";
    if (i > 0 && e.metadata(i - 1).name() >= e.metadata(i).name()) {
      return "metadata out of order";
    }
  }
  if (e.creation_ttl_nanos() < 0 || e.ttl_nanos() < 0 ||
      e.explicit_max_ttl_nanos() < 0 || e.period_nanos() < 0) {
    return "negative duration";
  }
  if (e.creation_time_nanos() < 0 || e.last_renewal_time_nanos() < 0) {
    return "time before the epoch";
  }
  if ((e.ttl_nanos() == 0) != (e.expire_time_nanos() == 0)) {
    return "expiry disagrees with ttl";
  }
  if (e.ttl_nanos() > 0 && e.expire_time_nanos() < e.creation_time_nanos()) {
    return "expires before its creation";
  }
  switch (e.revocation()) {
    case authpb::REVOCATION_NONE:
      break;
    case authpb::REVOCATION_TREE:
    case authpb::REVOCATION_ORPHAN:
      if (!e.parent_hash().empty()) return "revoked token with a parent";
      break;
    default:
      return "unknown revocation state";
  }
  return "";
}

std::string CheckAccessor(const authpb::AccessorEntry& a) {
  if (a.format_version() != kFormatVersion) return "unknown format";
  if (!IsAccessor(a.accessor())) return "bad accessor";
  if (a.token_hash().size() != crypto::kSha256Size) return "bad token hash";
  return "";
}

}  // namespace

std::string IdKey(const crypto::Digest& hash) {
  return absl::StrCat(kIdPrefix, DigestHex(hash));
}

std::string AccessorKey(const crypto::Digest& accessor_hash) {
  return absl::StrCat(kAccessorPrefix, DigestHex(accessor_hash));
}

std::string ChildrenPrefix(const crypto::Digest& parent) {
  return absl::StrCat(kParentPrefix, DigestHex(parent), "/");
}

std::string ParentLinkKey(const crypto::Digest& parent,
                          const crypto::Digest& child) {
  return absl::StrCat(ChildrenPrefix(parent), DigestHex(child));
}

std::string ExpiryKey(int64_t expire_nanos, const crypto::Digest& hash) {
  return absl::StrCat(
      kExpiryPrefix,
      absl::StrFormat("%016x/", static_cast<uint64_t>(expire_nanos)),
      DigestHex(hash));
}

std::string RevokingKey(const crypto::Digest& hash) {
  return absl::StrCat(kRevokingPrefix, DigestHex(hash));
}

absl::StatusOr<crypto::Digest> HashAtEnd(absl::string_view key) {
  crypto::Digest d;
  constexpr size_t kHexLen = 2 * crypto::kSha256Size;
  if (key.size() < kHexLen ||
      !ParseDigestHex(key.substr(key.size() - kHexLen), &d)) {
    return Corrupt("index", key, "bad hash in the key");
  }
  return d;
}

std::string IndexValue() {
  authpb::IndexEntry entry;
  entry.set_format_version(kFormatVersion);
  return Encode(entry);
}

absl::Status Corrupt(absl::string_view what, absl::string_view key,
                     absl::string_view reason) {
  return absl::DataLossError(
      absl::StrCat("auth: corrupt ", what, " record at ", key, ": ", reason));
}

absl::StatusOr<std::optional<authpb::TokenSalt>> LoadSalt(kv::Reader* txn) {
  return kv::LoadRecord<authpb::TokenSalt>(txn, kSaltKey, "auth", "salt",
                                           &CheckSalt);
}

absl::StatusOr<std::optional<authpb::TokenEntry>> LoadEntry(
    kv::Reader* txn, absl::string_view key) {
  return kv::LoadRecord<authpb::TokenEntry>(txn, key, "auth", "token",
                                            &CheckEntry);
}

absl::StatusOr<std::optional<authpb::AccessorEntry>> LoadAccessor(
    kv::Reader* txn, absl::string_view key) {
  return kv::LoadRecord<authpb::AccessorEntry>(txn, key, "auth", "accessor",
                                               &CheckAccessor);
}

absl::Time FromNanos(int64_t nanos) { return absl::FromUnixNanos(nanos); }
int64_t ToNanos(absl::Time t) { return absl::ToUnixNanos(t); }
int64_t ToNanos(absl::Duration d) { return absl::ToInt64Nanoseconds(d); }

}  // namespace coffer::auth
