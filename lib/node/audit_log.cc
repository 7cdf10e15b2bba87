#include "node/audit_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/reflection.h"
#include "node/barrier_txn.h"
#include "node/codec.h"

namespace coffer::node {

constexpr uint32_t kAuditFormatVersion = 1;
constexpr size_t kAuditKeyBytes = 32;

// One enabled device: where its records go and its HMAC key.
class AuditSink {
 public:
  AuditSink(nodepb::AuditDeviceRecord record, int fd,
            std::function<absl::Status(absl::string_view)> callback)
      : record_(std::move(record)), fd_(fd), callback_(std::move(callback)) {}
  ~AuditSink() {
    if (fd_ > 2) ::close(fd_);
    crypto::Wipe(record_.mutable_hmac_key()->data(), record_.hmac_key().size());
  }
  AuditSink(const AuditSink&) = delete;
  AuditSink& operator=(const AuditSink&) = delete;

  // "hmac-sha256:<hex>" of `s` under the device's key.
  std::string Hash(absl::string_view s) const {
    const crypto::Digest d = crypto::HmacSha256::Mac(record_.hmac_key(), s);
    return absl::StrCat("hmac-sha256:",
                        absl::BytesToHexString(crypto::DigestView(d)));
  }

  // Keeps one record (a JSON object without its newline).
  absl::Status Write(absl::string_view record) {
    if (record_.type() == "callback") {
      if (!callback_) {
        return absl::UnavailableError(
            "node: no audit callback is set on this node");
      }
      return callback_(record);
    }
    const std::string line = absl::StrCat(record, "\n");
    absl::MutexLock lock(&mu_);
    size_t done = 0;
    while (done < line.size()) {
      const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        return absl::UnavailableError(absl::StrCat(
            "node: audit device ", record_.path(), ": ", std::strerror(errno)));
      }
      done += static_cast<size_t>(n);
    }
    return absl::OkStatus();
  }

  const nodepb::AuditDeviceRecord& record() const { return record_; }

 private:
  nodepb::AuditDeviceRecord record_;
  const int fd_;  // "file": the open file (1 for stdout)
  const std::function<absl::Status(absl::string_view)> callback_;
  absl::Mutex mu_;
};

namespace {

absl::Status BadOption(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("node: audit: ", what));
}

// Opens the file a "file" device writes; 1 for "stdout".
absl::StatusOr<int> OpenFile(const nodepb::AuditDeviceRecord& r,
                             const std::string& data_dir) {
  auto it = r.options().find("file_path");
  if (it == r.options().end() || it->second.empty()) {
    return BadOption("a file device needs the option file_path");
  }
  if (it->second == "stdout") return 1;
  std::filesystem::path path(it->second);
  if (path.is_relative()) path = std::filesystem::path(data_dir) / path;
  unsigned mode = 0600;
  if (auto m = r.options().find("mode"); m != r.options().end()) {
    const std::string& v = m->second;
    if (v.empty() || v.size() > 4 ||
        v.find_first_not_of("01234567") != std::string::npos) {
      return BadOption("mode must be octal, e.g. \"0600\"");
    }
    mode = static_cast<unsigned>(std::stoul(v, nullptr, 8)) & 0777;
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
                        static_cast<mode_t>(mode));
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("node: audit device ", r.path(),
                                               " cannot open ", path.string(),
                                               ": ", std::strerror(errno)));
  }
  return fd;
}

absl::StatusOr<std::shared_ptr<AuditSink>> OpenDevice(
    nodepb::AuditDeviceRecord r, const NodeOptions& options) {
  if (r.type() == "callback") {
    return std::make_shared<AuditSink>(std::move(r), -1,
                                       options.audit_callback);
  }
  COFFER_ASSIGN_OR_RETURN(int fd, OpenFile(r, options.data_dir));
  return std::make_shared<AuditSink>(std::move(r), fd, nullptr);
}

absl::Status CheckOptions(const nodepb::AuditDeviceRecord& r) {
  if (r.type() != "file" && r.type() != "callback") {
    return BadOption(absl::StrCat("unknown device type \"",
                                  absl::CHexEscape(r.type().substr(0, 64)),
                                  "\" (file or callback)"));
  }
  for (const auto& [name, value] : r.options()) {
    const bool known =
        r.type() == "file" && (name == "file_path" || name == "mode");
    if (!known) {
      return BadOption(absl::StrCat("unknown option \"",
                                    absl::CHexEscape(name.substr(0, 64)),
                                    "\" for a ", r.type(), " device"));
    }
    if (value.size() > 4096) return BadOption("an option above 4096 bytes");
  }
  if (r.description().size() > 1024) {
    return BadOption("a description above 1024 bytes");
  }
  return absl::OkStatus();
}

// --- Records ---------------------------------------------------------------

void AppendJsonString(absl::string_view s, std::string* out) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          absl::StrAppendFormat(out, "\\u%04x", c);  // bytes, not UTF-8
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

// `m` as JSON with every string and bytes field replaced by its hash.
void AppendMessage(const google::protobuf::Message& m, const AuditSink& d,
                   std::string* out);

void AppendValue(const google::protobuf::Message& m,
                 const google::protobuf::FieldDescriptor* f, int i,
                 const AuditSink& d, std::string* out) {
  using FD = google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* r = m.GetReflection();
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FD::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& s =
          rep ? r->GetRepeatedStringReference(m, f, i, &scratch)
              : r->GetStringReference(m, f, &scratch);
      AppendJsonString(d.Hash(s), out);
      break;
    }
    case FD::CPPTYPE_MESSAGE:
      AppendMessage(rep ? r->GetRepeatedMessage(m, f, i) : r->GetMessage(m, f),
                    d, out);
      break;
    case FD::CPPTYPE_ENUM:
      AppendJsonString(
          (rep ? r->GetRepeatedEnum(m, f, i) : r->GetEnum(m, f))->name(), out);
      break;
    case FD::CPPTYPE_BOOL:
      out->append((rep ? r->GetRepeatedBool(m, f, i) : r->GetBool(m, f))
                      ? "true"
                      : "false");
      break;
    case FD::CPPTYPE_INT32:
      absl::StrAppend(out,
                      rep ? r->GetRepeatedInt32(m, f, i) : r->GetInt32(m, f));
      break;
    case FD::CPPTYPE_INT64:
      absl::StrAppend(out,
                      rep ? r->GetRepeatedInt64(m, f, i) : r->GetInt64(m, f));
      break;
    case FD::CPPTYPE_UINT32:
      absl::StrAppend(out,
                      rep ? r->GetRepeatedUInt32(m, f, i) : r->GetUInt32(m, f));
      break;
    case FD::CPPTYPE_UINT64:
      absl::StrAppend(out,
                      rep ? r->GetRepeatedUInt64(m, f, i) : r->GetUInt64(m, f));
      break;
    default:
      out->append("null");  // no float or double field is ever audited
  }
}

void AppendMessage(const google::protobuf::Message& m, const AuditSink& d,
                   std::string* out) {
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  m.GetReflection()->ListFields(m, &fields);
  out->push_back('{');
  bool first = true;
  for (const google::protobuf::FieldDescriptor* f : fields) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(f->name(), out);
    out->push_back(':');
    if (!f->is_repeated()) {
      AppendValue(m, f, 0, d, out);
      continue;
    }
    out->push_back('[');
    const int n = m.GetReflection()->FieldSize(m, f);
    for (int i = 0; i < n; ++i) {
      if (i > 0) out->push_back(',');
      AppendValue(m, f, i, d, out);
    }
    out->push_back(']');
  }
  out->push_back('}');
}

std::string Now() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(),
                          absl::UTCTimeZone());
}

// The head of an entry: time, type and the auth block.
std::string Head(absl::string_view type, const nodepb::Op& op,
                 const nodepb::TokenView* caller, const AuditSink& d) {
  std::string out = "{\"time\":";
  AppendJsonString(Now(), &out);
  out.append(",\"type\":");
  AppendJsonString(type, &out);
  out.append(",\"auth\":{\"client_token\":");
  AppendJsonString(d.Hash(op.token()), &out);
  if (caller != nullptr) {
    out.append(",\"accessor\":");
    AppendJsonString(d.Hash(caller->accessor()), &out);
    out.append(",\"display_name\":");
    AppendJsonString(caller->display_name(), &out);
    for (absl::string_view key : {"policies", "token_policies"}) {
      absl::StrAppend(&out, ",\"", key, "\":[");
      for (int i = 0; i < caller->policies_size(); ++i) {
        if (i > 0) out.push_back(',');
        AppendJsonString(caller->policies(i), &out);
      }
      out.push_back(']');
    }
    out.append(",\"metadata\":{");
    bool first = true;
    for (const auto& [k, v] : caller->metadata()) {
      if (!first) out.push_back(',');
      first = false;
      AppendJsonString(k, &out);
      out.push_back(':');
      AppendJsonString(d.Hash(v), &out);
    }
    out.append("},\"entity_id\":\"\",\"token_type\":\"service\"");
    absl::StrAppend(&out, ",\"token_ttl\":", caller->ttl_nanos() / 1000000000);
  }
  out.push_back('}');
  return out;
}

std::string RequestBlock(const AuditLog::Call& call, const nodepb::Op& op,
                         const AuditSink& d) {
  std::string out = ",\"request\":{\"id\":";
  AppendJsonString(call.id, &out);
  out.append(",\"operation\":");
  AppendJsonString(call.operation, &out);
  out.append(",\"client_token\":");
  AppendJsonString(d.Hash(op.token()), &out);
  out.append(",\"namespace\":{\"id\":\"root\"},\"path\":");
  AppendJsonString(call.path, &out);
  // In clear, as Vault records it ("" for a caller that gave none).
  out.append(",\"remote_address\":");
  AppendJsonString(op.remote_address(), &out);
  nodepb::Op data = op;
  data.clear_token();
  data.clear_as_write();
  data.clear_remote_address();
  data.clear_want_caller();
  out.append(",\"data\":");
  AppendMessage(data, d, &out);
  out.push_back('}');
  return out;
}

std::string Operation(const Access& access) {
  if (access.create_if_absent) return "update";
  return std::string(acl::CapabilityName(access.capability));
}

absl::StatusOr<std::string> RequestId() {
  COFFER_ASSIGN_OR_RETURN(std::string b, crypto::RandomString(16));
  const std::string h = absl::BytesToHexString(b);
  return absl::StrCat(h.substr(0, 8), "-", h.substr(8, 4), "-", h.substr(12, 4),
                      "-", h.substr(16, 4), "-", h.substr(20));
}

// Writes `render(device)` to each device; OK if one kept it.
template <typename Render>
absl::Status ToDevices(const std::vector<std::shared_ptr<AuditSink>>& devices,
                       absl::string_view what, const Render& render) {
  bool kept = false;
  for (const std::shared_ptr<AuditSink>& d : devices) {
    if (d->Write(render(*d)).ok()) kept = true;
  }
  if (kept) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("node: no audit device could record the ", what));
}

}  // namespace

std::string AuditKey(absl::string_view path) {
  return absl::StrCat(kAuditPrefix, path);
}

absl::StatusOr<std::string> CanonicalAuditPath(absl::string_view path) {
  path = absl::StripPrefix(path, "/");
  std::string out(absl::StripSuffix(path, "/"));
  if (out.empty() || out.size() > 127) {
    return absl::InvalidArgumentError(
        "node: audit: a device path has 1..127 bytes");
  }
  for (char c : out) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' &&
        c != '_' && c != '-' && c != '/') {
      return absl::InvalidArgumentError(
          "node: audit: a device path is made of [A-Za-z0-9._-/]");
    }
  }
  out.push_back('/');
  return out;
}

AuditLog::AuditLog(LoopState* loop) : loop_(loop) {}
AuditLog::~AuditLog() = default;

bool AuditLog::loaded() const {
  absl::MutexLock lock(&mu_);
  return loaded_;
}

void AuditLog::Invalidate() {
  absl::MutexLock lock(&mu_);
  loaded_ = false;
}

absl::Status AuditLog::Load() {
  if (loop_->barrier->sealed()) return loop_->SealedError();
  BarrierReader reader(loop_->barrier.get());
  COFFER_ASSIGN_OR_RETURN(std::vector<std::string> keys,
                          reader.List(kAuditPrefix));
  std::vector<std::shared_ptr<AuditSink>> devices;
  for (const std::string& key : keys) {
    COFFER_ASSIGN_OR_RETURN(std::optional<std::string> bytes, reader.Get(key));
    nodepb::AuditDeviceRecord r;
    if (!bytes.has_value() || !r.ParseFromString(*bytes) ||
        r.format_version() != kAuditFormatVersion) {
      return absl::DataLossError(
          absl::StrCat("node: the audit device record ", key, " is corrupt"));
    }
    absl::StatusOr<std::shared_ptr<AuditSink>> d =
        OpenDevice(r, loop_->options);
    if (!d.ok()) {
      // A device this node cannot open stays in the table and keeps
      // nothing (a callback device without a callback): with no other
      // device, requests here fail (fail closed).
      r.set_type("callback");
      d = std::make_shared<AuditSink>(std::move(r), -1, nullptr);
    }
    devices.push_back(*std::move(d));
  }
  absl::MutexLock lock(&mu_);
  devices_ = std::move(devices);
  loaded_ = true;
  return absl::OkStatus();
}

absl::StatusOr<nodepb::AuditResult> AuditLog::Run(const nodepb::AuditOp& op,
                                                  kv::BufferedTxn* txn) {
  nodepb::AuditResult out;
  if (op.kind() == nodepb::AuditOp::LIST) {
    COFFER_ASSIGN_OR_RETURN(std::vector<std::string> keys,
                            txn->List(kAuditPrefix));
    for (const std::string& key : keys) {
      COFFER_ASSIGN_OR_RETURN(std::optional<std::string> bytes, txn->Get(key));
      nodepb::AuditDeviceRecord* r = out.add_devices();
      if (!bytes.has_value() || !r->ParseFromString(*bytes)) {
        return absl::DataLossError(
            absl::StrCat("node: the audit device record ", key, " is corrupt"));
      }
      crypto::Wipe(r->mutable_hmac_key()->data(), r->hmac_key().size());
      r->clear_hmac_key();
    }
    return out;
  }
  COFFER_ASSIGN_OR_RETURN(std::string path, CanonicalAuditPath(op.path()));
  if (op.kind() == nodepb::AuditOp::ENABLE) return Enable(op, txn);
  COFFER_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                          txn->Get(AuditKey(path)));
  if (!bytes.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("node: audit: no device at \"", path, "\""));
  }
  if (op.kind() == nodepb::AuditOp::DISABLE) {
    txn->Delete(AuditKey(path));
    return out;
  }
  nodepb::AuditDeviceRecord r;
  if (!r.ParseFromString(*bytes)) {
    return absl::DataLossError("node: an audit device record is corrupt");
  }
  AuditSink device(std::move(r), -1, nullptr);
  out.set_hash(device.Hash(op.input()));
  return out;
}

absl::StatusOr<nodepb::AuditResult> AuditLog::Enable(const nodepb::AuditOp& op,
                                                     kv::BufferedTxn* txn) {
  COFFER_ASSIGN_OR_RETURN(std::string path, CanonicalAuditPath(op.path()));
  COFFER_ASSIGN_OR_RETURN(std::optional<std::string> existing,
                          txn->Get(AuditKey(path)));
  if (existing.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("node: audit: path \"", path, "\" is already in use"));
  }
  nodepb::AuditDeviceRecord r = op.device();
  r.set_format_version(kAuditFormatVersion);
  r.set_path(path);
  COFFER_RETURN_IF_ERROR(CheckOptions(r));
  if (r.type() == "file") {
    // The leader checks the file it would write; every node opens its own.
    COFFER_ASSIGN_OR_RETURN(int fd, OpenFile(r, loop_->options.data_dir));
    if (fd > 2) ::close(fd);
  }
  COFFER_ASSIGN_OR_RETURN(std::string key,
                          crypto::RandomString(kAuditKeyBytes));
  r.set_hmac_key(key);
  crypto::Wipe(key.data(), key.size());
  std::string bytes = r.SerializeAsString();
  txn->Put(AuditKey(path), bytes);
  crypto::Wipe(bytes.data(), bytes.size());
  crypto::Wipe(r.mutable_hmac_key()->data(), r.hmac_key().size());
  return nodepb::AuditResult();
}

absl::StatusOr<AuditLog::Call> AuditLog::Request(const nodepb::Op& op,
                                                 const Access& access) {
  Call call;
  {
    absl::MutexLock lock(&mu_);
    call.devices = devices_;
  }
  if (call.devices.empty()) return call;
  COFFER_ASSIGN_OR_RETURN(call.id, RequestId());
  call.operation = Operation(access);
  call.path = access.path;
  COFFER_RETURN_IF_ERROR(
      ToDevices(call.devices, "request", [&](const AuditSink& d) {
        std::string out = Head("request", op, nullptr, d);
        out.append(RequestBlock(call, op, d));
        out.push_back('}');
        return out;
      }));
  return call;
}

absl::Status AuditLog::Response(
    const Call& call, const nodepb::Op& op,
    const absl::StatusOr<nodepb::OpResult>& result) {
  if (!call.audited()) return absl::OkStatus();
  const nodepb::TokenView* caller =
      result.ok() && result->has_caller() ? &result->caller() : nullptr;
  return ToDevices(call.devices, "response", [&](const AuditSink& d) {
    std::string out = Head("response", op, caller, d);
    out.append(RequestBlock(call, op, d));
    if (result.ok()) {
      nodepb::OpResult data = *result;
      data.clear_caller();
      out.append(",\"response\":{\"data\":");
      AppendMessage(data, d, &out);
      out.push_back('}');
    } else {
      out.append(",\"error\":");
      AppendJsonString(result.status().message(), &out);
    }
    out.push_back('}');
    return out;
  });
}

}  // namespace coffer::node
