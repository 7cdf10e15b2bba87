// Encoding of what nodes replicate and exchange (proto/node.proto), with the
// validation every decoder owes its input: nothing decoded from disk or the
// wire is trusted.
//
// Thread-safety: free functions over values; thread-safe.
#ifndef COFFER_LIB_NODE_CODEC_H_
#define COFFER_LIB_NODE_CODEC_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/node.pb.h"
#include "storage/state_store.h"

namespace coffer::node {

inline constexpr uint32_t kFrameVersion = 1;
inline constexpr uint32_t kCommandVersion = 1;
inline constexpr uint32_t kPeerContextVersion = 1;

// Physical prefix of the replicated peer records (PeerRecord).
inline constexpr absl::string_view kPeersPrefix = "node/peers/";
// Physical prefix of the ACL policy records (auth_service.h).
inline constexpr absl::string_view kPolicyPrefix = "sys/policy/";
// Physical prefix of the audit device records (audit_log.h).
inline constexpr absl::string_view kAuditPrefix = "sys/audit/";

// node/peers/<id, 20 decimal digits>: sorts by id.
std::string PeerKey(uint64_t id);

// A Command entry's data.
std::string EncodeCommand(uint64_t origin, uint64_t request_id,
                          const storage::WriteSet& writes);
// Appends the writes of a Command to `out`. kDataLoss when `data` is not a
// Command of a known version (names the entry index).
absl::Status DecodeCommand(absl::string_view data, uint64_t index,
                           storage::WriteSet* out);

// A received frame, or nullopt when it is malformed, of another version or
// addressed to another node than `self`.
std::optional<nodepb::Frame> DecodeFrame(absl::string_view bytes,
                                         uint64_t self);

// A request's outcome <-> ForwardResponse.
void StatusToResponse(const absl::StatusOr<nodepb::OpResult>& r,
                      nodepb::ForwardResponse* out);
absl::StatusOr<nodepb::OpResult> ResponseToStatus(
    const nodepb::ForwardResponse& r);

// kDataLoss ("node: a malformed <what> result") unless `r` holds the
// result `expected`: a forwarded answer is not trusted to fit its op.
absl::Status CheckResult(const nodepb::OpResult& r,
                         nodepb::OpResult::ResultCase expected,
                         absl::string_view what);

// Prefixes "node: " unless the message has it already; keeps the code.
absl::Status Annotate(const absl::Status& s);

// kInvalidArgument unless `path` is a usable raw path.
absl::Status CheckRawPath(absl::string_view path);

}  // namespace coffer::node

#endif  // COFFER_LIB_NODE_CODEC_H_
