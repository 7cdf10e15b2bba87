// The token store's storage layout and record codecs.
//
// Layout (plaintext logical records; the node encrypts each value with the
// barrier, bound to its key). <hash> is 64 lower-case hex digits of a keyed
// hash (auth/token_id.h), <nanos> 16 hex digits, so byte order is numeric:
//   sys/token/salt                          TokenSalt (the HMAC key)
//   sys/token/id/<id hash>                  TokenEntry
//   sys/token/accessor/<accessor hash>      AccessorEntry
//   sys/token/parent/<parent>/<child>       IndexEntry: the tree's edges
//   sys/token/expiry/<nanos>/<id hash>      IndexEntry: expiring tokens by time
//   sys/token/revoking/<id hash>            IndexEntry: revocations in progress
// Invariants (kept by every operation, each in one txn):
// - a live token has its accessor record, an expiry record iff it expires,
//   and a parent link iff it has a parent; the parent's entry exists;
// - a token being revoked (TokenEntry.revocation != NONE) has a revoking
//   record, no accessor, expiry or parent link, and no parent;
// - a live child of an expiring parent expires no later than the parent.
//
// Encoding is deterministic (sorted repeated fields, protobuf deterministic
// serialization). Decoders check the format version, the field rules of
// proto/auth.proto and the key's shape; any failure is kDataLoss naming the
// record's key ("auth: corrupt token record at sys/token/id/...: reason").
// Thread-safety: stateless functions.
#ifndef COFFER_LIB_AUTH_RECORDS_H_
#define COFFER_LIB_AUTH_RECORDS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "crypto/hash.h"
#include "kv/records.h"
#include "kv/txn.h"
#include "proto/auth.pb.h"

namespace coffer::auth {

inline constexpr uint32_t kFormatVersion = 1;

inline constexpr absl::string_view kTokenPrefix = "sys/token/";
inline constexpr absl::string_view kSaltKey = "sys/token/salt";
inline constexpr absl::string_view kIdPrefix = "sys/token/id/";
inline constexpr absl::string_view kAccessorPrefix = "sys/token/accessor/";
inline constexpr absl::string_view kParentPrefix = "sys/token/parent/";
inline constexpr absl::string_view kExpiryPrefix = "sys/token/expiry/";
inline constexpr absl::string_view kRevokingPrefix = "sys/token/revoking/";

std::string IdKey(const crypto::Digest& hash);
std::string AccessorKey(const crypto::Digest& accessor_hash);
// "sys/token/parent/<parent>/": the children's links of `parent`.
std::string ChildrenPrefix(const crypto::Digest& parent);
std::string ParentLinkKey(const crypto::Digest& parent,
                          const crypto::Digest& child);
std::string ExpiryKey(int64_t expire_nanos, const crypto::Digest& hash);
std::string RevokingKey(const crypto::Digest& hash);

// The hash that ends a key of the form <prefix><64 hex> or
// <prefix><...>/<64 hex>. kDataLoss naming `key` if it does not.
absl::StatusOr<crypto::Digest> HashAtEnd(absl::string_view key);

// Deterministic protobuf serialization (lib/kv's).
using kv::Encode;
// An encoded IndexEntry (the value of every index record).
std::string IndexValue();

// kDataLoss "auth: corrupt <what> record at <key>: <reason>".
absl::Status Corrupt(absl::string_view what, absl::string_view key,
                     absl::string_view reason);

// Each Load reads and checks one record; nullopt when absent.
absl::StatusOr<std::optional<authpb::TokenSalt>> LoadSalt(kv::Reader* txn);
absl::StatusOr<std::optional<authpb::TokenEntry>> LoadEntry(
    kv::Reader* txn, absl::string_view key);
absl::StatusOr<std::optional<authpb::AccessorEntry>> LoadAccessor(
    kv::Reader* txn, absl::string_view key);
// Index records are read by listing their keys; their values are never
// needed, so they are not read.

absl::Time FromNanos(int64_t nanos);
int64_t ToNanos(absl::Time t);
int64_t ToNanos(absl::Duration d);

}  // namespace coffer::auth

#endif  // COFFER_LIB_AUTH_RECORDS_H_
