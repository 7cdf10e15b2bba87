// CIDR blocks and the addresses they hold, for the bound CIDRs of AppRole
// roles, secret-ids and login tokens (Vault's secret_id_bound_cidrs,
// token_bound_cidrs).
//
// A block is "a.b.c.d/n" (n 0..32), "x:y::z/n" (n 0..128), or a bare address
// (a block of one). An address is a bare IPv4 or IPv6 address, without a
// port; an IPv4 address never matches an IPv6 block or the reverse (no
// mapped forms).
//
// Thread-safety: stateless functions.
#ifndef COFFER_LIB_AUTH_CIDR_H_
#define COFFER_LIB_AUTH_CIDR_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace coffer::auth {

// kInvalidArgument naming the first block of `blocks` that does not parse.
// Returns the blocks trimmed of spaces, empty ones dropped.
absl::StatusOr<std::vector<std::string>> ParseCidrList(
    const std::vector<std::string>& blocks);

// Whether `address` lies in one of `blocks` (each already accepted by
// ParseCidrList). False for an address that does not parse or is empty.
bool AddressInCidrs(absl::string_view address,
                    const std::vector<std::string>& blocks);

}  // namespace coffer::auth

#endif  // COFFER_LIB_AUTH_CIDR_H_
