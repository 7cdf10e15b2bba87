#include "audit_api.h"

#include <optional>
#include <vector>

#include "absl/strings/strip.h"
#include "http_util.h"

namespace cofferd {
namespace {

using coffer::AuditDevice;
using coffer::Node;

// Vault's entry of one device in sys/audit's answer.
json DeviceJson(const AuditDevice& d) {
  json options = json::object();
  for (const auto& [k, v] : d.options) options[k] = v;
  return {{"type", d.type},
          {"description", d.description},
          {"options", options},
          {"path", d.path},
          {"local", false}};
}

void List(Node* node, const httplib::Request& req, httplib::Response& res) {
  absl::StatusOr<std::vector<AuditDevice>> devices =
      node->ListAudit(CallerOf(req));
  if (!devices.ok()) return StatusError(res, devices.status());
  json data = json::object();
  for (const AuditDevice& d : *devices) data[d.path] = DeviceJson(d);
  json out = data;  // Vault answers at the top level too
  out.update(Envelope(data));
  Reply(res, 200, out);
}

// {"type": ..., "description": ..., "options": {...}, "local": false}.
void Enable(Node* node, const std::string& path, const httplib::Request& req,
            httplib::Response& res) {
  std::optional<json> body = Body(req, res);
  if (!body) return;
  AuditDevice d;
  d.path = path;
  const json& type = (*body)["type"];
  if (!type.is_string() || type.get<std::string>().empty()) {
    return Error(res, 400, "missing or invalid \"type\"");
  }
  d.type = type.get<std::string>();
  if (body->contains("description")) {
    if (!(*body)["description"].is_string()) {
      return Error(res, 400, "description must be a string");
    }
    d.description = (*body)["description"].get<std::string>();
  }
  if (body->contains("options") && !(*body)["options"].is_null()) {
    const json& options = (*body)["options"];
    if (!options.is_object()) return Error(res, 400, "options must be a map");
    for (const auto& [k, v] : options.items()) {
      if (!v.is_string()) {
        return Error(res, 400, "option \"" + k + "\" must be a string");
      }
      d.options[k] = v.get<std::string>();
    }
  }
  if (body->contains("local") && (*body)["local"] == true) {
    return Error(res, 400, "local audit devices are not supported");
  }
  absl::Status s = node->EnableAudit(CallerOf(req), d);
  s.ok() ? NoContent(res) : StatusError(res, s);
}

void Hash(Node* node, const std::string& path, const httplib::Request& req,
          httplib::Response& res) {
  std::optional<json> body = Body(req, res);
  if (!body) return;
  const json& input = (*body)["input"];
  if (!input.is_string())
    return Error(res, 400, "missing or invalid \"input\"");
  absl::StatusOr<std::string> hash =
      node->AuditHash(CallerOf(req), path, input.get<std::string>());
  if (!hash.ok()) return StatusError(res, hash.status());
  json data = {{"hash", *hash}};
  json out = data;
  out.update(Envelope(data));
  Reply(res, 200, out);
}

}  // namespace

bool HandleAudit(Node* node, const std::string& method, const std::string& path,
                 const httplib::Request& req, httplib::Response& res) {
  const bool write = method == "PUT" || method == "POST";
  absl::string_view p = path;
  if (path == "sys/audit") {
    method == "GET" ? List(node, req, res)
                    : Error(res, 405, "unsupported operation");
    return true;
  }
  if (absl::ConsumePrefix(&p, "sys/audit/")) {
    if (write) {
      Enable(node, std::string(p), req, res);
    } else if (method == "DELETE") {
      absl::Status s = node->DisableAudit(CallerOf(req), p);
      s.ok() ? NoContent(res) : StatusError(res, s);
    } else {
      Error(res, 405, "unsupported operation");
    }
    return true;
  }
  if (absl::ConsumePrefix(&p, "sys/audit-hash/")) {
    write ? Hash(node, std::string(p), req, res)
          : Error(res, 405, "unsupported operation");
    return true;
  }
  return false;
}

}  // namespace cofferd
