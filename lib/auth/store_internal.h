// Helpers shared by the TokenStore's .cc files: argument checks, the salt,
// loading tokens by id or accessor, and the conversion to Token.
//
// Thread-safety: stateless functions.
#ifndef COFFER_LIB_AUTH_STORE_INTERNAL_H_
#define COFFER_LIB_AUTH_STORE_INTERNAL_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "auth/token.h"
#include "auth/token_id.h"
#include "auth/tree.h"
#include "kv/txn.h"

namespace coffer::auth::internal {

// kPermissionDenied "auth: permission denied".
absl::Status Denied();

// kInvalidArgument unless `now` lies in [1970, 2170).
absl::Status CheckNow(absl::Time now);
// kInvalidArgument naming `what` unless 0 <= d <= 100 years.
absl::Status CheckDuration(absl::string_view what, absl::Duration d);

// The hasher under the stored salt; nullopt when there is no salt (no token
// was ever created).
absl::StatusOr<std::optional<Hasher>> LoadHasher(kv::Reader* txn);

// The stored token `id` names, usable or not; nullopt if none.
absl::StatusOr<std::optional<StoredToken>> FindById(kv::Reader* txn,
                                                    const Hasher& hasher,
                                                    absl::string_view id);
// The stored token with `accessor`; nullopt if no accessor record names
// it. Compares the accessor with the stored ones in constant time;
// kDataLoss if the records disagree.
absl::StatusOr<std::optional<StoredToken>> FindByAccessor(
    kv::Reader* txn, const Hasher& hasher, absl::string_view accessor);

// The token `id` names if it is usable at `now`, with the walk's findings;
// kPermissionDenied otherwise (no salt, unknown, unusable).
struct UsableToken {
  StoredToken token;
  Usable usable;
};
absl::StatusOr<UsableToken> FindUsable(kv::Reader* txn, absl::Time now,
                                       absl::string_view id);
// The token with `accessor` if it is usable at `now`; kNotFound "auth:
// invalid accessor" otherwise, the same for every reason.
absl::StatusOr<UsableToken> FindUsableByAccessor(kv::Reader* txn,
                                                 absl::Time now,
                                                 absl::string_view accessor);

// The Token of an entry at `now`; `orphan` as the ancestor walk found it
// (a child whose parent is making its children orphans is one already).
Token ToToken(const authpb::TokenEntry& e, bool orphan, absl::Time now);

// Copies a scratch txn's writes into `txn`: how every operation commits
// its buffered writes only once it has succeeded.
void CopyWrites(kv::BufferedTxn* scratch, kv::Txn* txn);

}  // namespace coffer::auth::internal

#endif  // COFFER_LIB_AUTH_STORE_INTERNAL_H_
