#include "node/codec.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace coffer::node {

std::string PeerKey(uint64_t id) {
  return absl::StrFormat("%s%020d", kPeersPrefix, id);
}

std::string EncodeCommand(uint64_t origin, uint64_t request_id,
                          const storage::WriteSet& writes) {
  nodepb::Command cmd;
  cmd.set_version(kCommandVersion);
  cmd.set_origin(origin);
  cmd.set_request_id(request_id);
  for (const storage::WriteSet::Op& op : writes.ops()) {
    nodepb::Write* w = cmd.add_writes();
    w->set_key(op.key);
    if (op.value.has_value()) {
      w->set_value(*op.value);
    } else {
      w->set_deleted(true);
    }
  }
  return cmd.SerializeAsString();
}

absl::Status DecodeCommand(absl::string_view data, uint64_t index,
                           storage::WriteSet* out) {
  nodepb::Command cmd;
  if (!cmd.ParseFromArray(data.data(), static_cast<int>(data.size())) ||
      cmd.version() != kCommandVersion) {
    return absl::DataLossError(
        absl::StrCat("node: log entry ", index, " is not a valid command"));
  }
  for (const nodepb::Write& w : cmd.writes()) {
    if (w.key().empty() || (w.deleted() && !w.value().empty())) {
      return absl::DataLossError(
          absl::StrCat("node: log entry ", index, " holds a malformed write"));
    }
    if (w.deleted()) {
      out->Delete(w.key());
    } else {
      out->Put(w.key(), w.value());
    }
  }
  return absl::OkStatus();
}

std::optional<nodepb::Frame> DecodeFrame(absl::string_view bytes,
                                         uint64_t self) {
  nodepb::Frame f;
  if (!f.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return std::nullopt;
  }
  if (f.version() != kFrameVersion || f.to() != self || f.from() == 0 ||
      f.from() == self || f.body_case() == nodepb::Frame::BODY_NOT_SET) {
    return std::nullopt;
  }
  if (f.has_raft() && (f.raft().to() != self || f.raft().from() != f.from())) {
    return std::nullopt;
  }
  return f;
}

void StatusToResponse(const absl::StatusOr<nodepb::OpResult>& r,
                      nodepb::ForwardResponse* out) {
  if (r.ok()) {
    out->set_code(0);
    *out->mutable_result() = *r;
    return;
  }
  out->set_code(static_cast<int32_t>(r.status().code()));
  out->set_message(std::string(r.status().message()));
}

absl::StatusOr<nodepb::OpResult> ResponseToStatus(
    const nodepb::ForwardResponse& r) {
  if (r.code() == 0) return r.result();
  if (r.code() < 0 ||
      r.code() > static_cast<int>(absl::StatusCode::kUnauthenticated)) {
    return absl::DataLossError("node: a forwarded response has a bad code");
  }
  return absl::Status(static_cast<absl::StatusCode>(r.code()), r.message());
}

absl::Status CheckResult(const nodepb::OpResult& r,
                         nodepb::OpResult::ResultCase expected,
                         absl::string_view what) {
  if (r.result_case() == expected) return absl::OkStatus();
  return absl::DataLossError(
      absl::StrCat("node: a malformed ", what, " result"));
}

absl::Status Annotate(const absl::Status& s) {
  if (s.ok() || absl::StartsWith(s.message(), "node: ")) return s;
  return absl::Status(s.code(), absl::StrCat("node: ", s.message()));
}

absl::Status CheckRawPath(absl::string_view path) {
  if (path.empty() || path.size() > 1024) {
    return absl::InvalidArgumentError("node: a raw path has 1..1024 bytes");
  }
  if (absl::StartsWith(path, "core/") || absl::StartsWith(path, kPeersPrefix) ||
      absl::StartsWith(path, "node/") || absl::StartsWith(path, "sys/")) {
    return absl::InvalidArgumentError(
        "node: the raw path prefixes core/, node/ and sys/ are reserved");
  }
  return absl::OkStatus();
}

}  // namespace coffer::node
