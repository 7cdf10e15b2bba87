#include "http_util.h"

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace cofferd {

void Reply(httplib::Response& res, int code, const json& body) {
  res.status = code;
  res.set_content(
      body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n",
      "application/json");
}

void NoContent(httplib::Response& res) { res.status = 204; }

void Error(httplib::Response& res, int code, const std::string& message) {
  json errors = json::array();
  if (!message.empty()) errors.push_back(message);
  Reply(res, code, json{{"errors", errors}});
}

void StatusError(httplib::Response& res, const absl::Status& s) {
  std::string message(s.message());
  int code = 500;
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
      code = 400;
      break;
    case absl::StatusCode::kAborted:
      // Vault's words for a check-and-set mismatch.
      code = 400;
      message = "check-and-set parameter did not match the current version";
      break;
    case absl::StatusCode::kPermissionDenied:
      code = 403;
      message = "permission denied";  // Vault's words, for every reason
      break;
    case absl::StatusCode::kNotFound:
      code = 404;
      break;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      code = 503;
      break;
    case absl::StatusCode::kResourceExhausted:
      code = absl::StrContains(message, "pending") ? 503 : 413;
      break;
    default:
      break;
  }
  Error(res, code, message);
}

json Envelope(json data) {
  static thread_local absl::BitGen gen;
  const std::string id = absl::StrFormat(
      "%08x-%04x-%04x-%04x-%012x", absl::Uniform<uint32_t>(gen),
      absl::Uniform<uint16_t>(gen), absl::Uniform<uint16_t>(gen),
      absl::Uniform<uint16_t>(gen),
      absl::Uniform<uint64_t>(gen) & 0xffffffffffffULL);
  return json{{"request_id", id},        {"lease_id", ""},
              {"renewable", false},      {"lease_duration", 0},
              {"data", std::move(data)}, {"wrap_info", nullptr},
              {"warnings", nullptr},     {"auth", nullptr}};
}

std::optional<json> Body(const httplib::Request& req, httplib::Response& res) {
  if (req.body.empty()) return json::object();
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    Error(res, 400, "failed to parse JSON input: the body must be an object");
    return std::nullopt;
  }
  return body;
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

std::string GoDuration(absl::Duration d) {
  if (d == absl::ZeroDuration()) return "0s";
  std::string sign = d < absl::ZeroDuration() ? "-" : "";
  d = absl::AbsDuration(d);
  if (d < absl::Seconds(1)) {
    return absl::StrCat(sign, absl::FormatDuration(d));
  }
  const int64_t hours = absl::IDivDuration(d, absl::Hours(1), &d);
  const int64_t minutes = absl::IDivDuration(d, absl::Minutes(1), &d);
  const std::string seconds =
      absl::StrCat(absl::FDivDuration(d, absl::Seconds(1)), "s");
  if (hours > 0) return absl::StrCat(sign, hours, "h", minutes, "m", seconds);
  if (minutes > 0) return absl::StrCat(sign, minutes, "m", seconds);
  return absl::StrCat(sign, seconds);
}

bool ParseVaultDuration(const json& v, absl::Duration* out) {
  uint64_t secs = 0;
  if (ParseUint(v, &secs)) {
    *out = absl::Seconds(static_cast<int64_t>(secs));
    return true;
  }
  if (!v.is_string()) return false;
  return absl::ParseDuration(v.get<std::string>(), out) &&
         *out >= absl::ZeroDuration() && *out != absl::InfiniteDuration();
}

bool ParseUint(const json& v, uint64_t* out) {
  if (v.is_number_unsigned()) {
    *out = v.get<uint64_t>();
    return true;
  }
  if (v.is_number_integer()) return false;  // negative
  return v.is_string() && absl::SimpleAtoi(v.get<std::string>(), out);
}

coffer::Caller CallerOf(const httplib::Request& req) {
  // httplib's headers compare names case-insensitively.
  auto it = req.headers.find("X-Vault-Token");
  if (it != req.headers.end() && !it->second.empty()) {
    return coffer::Caller(it->second, req.remote_addr);
  }
  it = req.headers.find("Authorization");
  if (it != req.headers.end()) {
    absl::string_view auth = it->second;
    if (absl::ConsumePrefix(&auth, "Bearer ")) {
      return coffer::Caller(auth, req.remote_addr);
    }
  }
  return coffer::Caller("", req.remote_addr);
}

bool Unsealed(coffer::Node* node, httplib::Response& res) {
  absl::StatusOr<coffer::SealStatus> seal = node->GetSealStatus();
  if (!seal.ok()) {
    StatusError(res, seal.status());
    return false;
  }
  if (seal->sealed) {
    Error(res, 503, "coffer is sealed");
    return false;
  }
  return true;
}

coffer::ReadConsistency Consistency(const httplib::Request& req) {
  return req.get_header_value("X-Coffer-Consistency") == "stale"
             ? coffer::ReadConsistency::kStale
             : coffer::ReadConsistency::kLinearizable;
}

bool ParseStringList(const json& v, std::vector<std::string>* out) {
  if (v.is_string()) {
    for (absl::string_view p :
         absl::StrSplit(v.get<std::string>(), ',', absl::SkipWhitespace())) {
      out->emplace_back(absl::StripAsciiWhitespace(p));
    }
    return true;
  }
  if (!v.is_array()) return false;
  for (const json& e : v) {
    if (!e.is_string()) return false;
    out->push_back(e.get<std::string>());
  }
  return true;
}

bool ParseBool(const json& v, bool* out) {
  if (v.is_boolean()) {
    *out = v.get<bool>();
    return true;
  }
  if (v.is_string() && (v == "true" || v == "false")) {
    *out = v == "true";
    return true;
  }
  return false;
}

int64_t Seconds(absl::Duration d) { return absl::ToInt64Seconds(d); }

json MetadataJson(const std::map<std::string, std::string>& m) {
  if (m.empty()) return nullptr;
  json j = json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

bool IsWrite(const std::string& method) {
  return method == "PUT" || method == "POST";
}

bool IsList(const std::string& method, const httplib::Request& req) {
  return method == "LIST" ||
         (method == "GET" && req.get_param_value("list") == "true");
}

void MethodNotAllowed(httplib::Response& res) {
  Error(res, 405, "unsupported operation");
}

}  // namespace cofferd
