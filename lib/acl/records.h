// The stored form of a policy (proto/acl.proto, aclpb.Policy).
//
// Encoding is deterministic (protobuf's deterministic serialization; rule
// order as written, capabilities and parameters sorted), so one policy has
// one encoding on every replica. The decoder checks the format version,
// that order, and ValidatePolicy; any failure is kDataLoss "acl: corrupt
// policy record: <why>".
//
// Thread-safety: pure functions.
#ifndef COFFER_LIB_ACL_RECORDS_H_
#define COFFER_LIB_ACL_RECORDS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "acl/policy.h"

namespace coffer::acl {

inline constexpr uint32_t kPolicyFormatVersion = 1;

// The record of `policy`. kInvalidArgument if ValidatePolicy fails or the
// policy is root (a built-in, never stored).
absl::StatusOr<std::string> EncodePolicy(const Policy& policy);

// The policy a record holds. kDataLoss if it is malformed or invalid.
absl::StatusOr<Policy> DecodePolicy(absl::string_view bytes);

}  // namespace coffer::acl

#endif  // COFFER_LIB_ACL_RECORDS_H_
