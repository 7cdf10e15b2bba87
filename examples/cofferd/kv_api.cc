#include "kv_api.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "http_util.h"

namespace cofferd {
namespace {

using coffer::Node;

json CustomJson(const coffer::CustomMetadata& m) {
  if (m.empty()) return nullptr;  // as Vault
  json j = json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

json VersionJson(const coffer::VersionMetadata& v, bool with_custom) {
  json j = {{"created_time", Rfc3339(v.created_time)},
            {"deletion_time",
             v.deletion_time ? Rfc3339(*v.deletion_time) : std::string()},
            {"destroyed", v.destroyed},
            {"version", v.version}};
  if (with_custom) j["custom_metadata"] = CustomJson(v.custom_metadata);
  return j;
}

json KeyMetadataJson(const coffer::KeyMetadata& m) {
  json versions = json::object();
  for (const auto& [n, v] : m.versions) {
    json vj = VersionJson(v, false);
    vj.erase("version");
    versions[std::to_string(n)] = vj;
  }
  return json{{"cas_required", m.cas_required},
              {"created_time", Rfc3339(m.created_time)},
              {"current_version", m.current_version},
              {"custom_metadata", CustomJson(m.custom_metadata)},
              {"delete_version_after", GoDuration(m.delete_version_after)},
              {"max_versions", m.max_versions},
              {"oldest_version", m.oldest_version},
              {"updated_time", Rfc3339(m.updated_time)},
              {"versions", versions}};
}

// Reads {"versions": [1, 2]}; answers 400 and returns nullopt when bad.
std::optional<std::vector<uint64_t>> Versions(const json& body,
                                              httplib::Response& res) {
  std::vector<uint64_t> out;
  if (body.contains("versions") && body["versions"].is_array()) {
    for (const json& v : body["versions"]) {
      uint64_t n = 0;
      if (!ParseUint(v, &n)) {
        Error(res, 400, "versions must be a list of version numbers");
        return std::nullopt;
      }
      out.push_back(n);
    }
  }
  if (out.empty()) {
    Error(res, 400, "no version number provided");
    return std::nullopt;
  }
  return out;
}

// Reads options.cas into `w`; false (after answering 400) when malformed.
bool Cas(const json& body, coffer::WriteOptions* w, httplib::Response& res) {
  if (!body.contains("options") || !body["options"].is_object() ||
      !body["options"].contains("cas")) {
    return true;
  }
  uint64_t cas = 0;
  if (!ParseUint(body["options"]["cas"], &cas)) {
    Error(res, 400, "options.cas must be a version number");
    return false;
  }
  w->cas = cas;
  return true;
}

// A field's value as coffer stores it: a string as its bytes, any other
// JSON value as its text, marked in w->json_fields.
std::string StoredValue(const std::string& name, const json& value,
                        coffer::WriteOptions* w) {
  if (value.is_string()) return value.get<std::string>();
  w->json_fields.insert(name);
  return value.dump();
}

// A stored field as JSON: a JSON field's text parsed (one that does not
// parse, written by another host, is shown as the string it is).
json FieldJson(const std::string& value, bool is_json) {
  if (!is_json) return value;
  json parsed = json::parse(value, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? json(value) : parsed;
}

void GetData(Node* node, const std::string& mount, const std::string& key,
             const httplib::Request& req, httplib::Response& res) {
  uint64_t version = 0;
  if (req.has_param("version") &&
      !ParseUint(json(req.get_param_value("version")), &version)) {
    return Error(res, 400, "version must be a version number");
  }
  absl::StatusOr<coffer::KvReadResult> r =
      node->KvGet(CallerOf(req), mount, key, version, Consistency(req));
  if (!r.ok()) {
    if (r.status().code() == absl::StatusCode::kNotFound) {
      return Error(res, 404, "");
    }
    return StatusError(res, r.status());
  }
  json data = nullptr;
  if (r->data) {
    data = json::object();
    for (const auto& [k, v] : *r->data) {
      data[k] = FieldJson(v, r->json_fields.contains(k));
    }
  }
  // A deleted or destroyed version: Vault's 404 that still has a body.
  Reply(res, r->data ? 200 : 404,
        Envelope(json{{"data", data},
                      {"metadata", VersionJson(r->metadata, true)}}));
}

void PutData(Node* node, const std::string& mount, const std::string& key,
             const std::string& method, const json& body,
             const httplib::Request& req, httplib::Response& res) {
  if (!body.contains("data") || !body["data"].is_object()) {
    return Error(res, 400, "no data provided");
  }
  coffer::WriteOptions w;
  if (!Cas(body, &w, res)) return;
  absl::StatusOr<coffer::VersionMetadata> v;
  if (method == "PATCH") {
    coffer::SecretPatch patch;
    for (const auto& [k, val] : body["data"].items()) {
      if (val.is_null()) {
        patch.remove.insert(k);  // JSON merge patch: null removes
      } else {
        patch.set[k] = StoredValue(k, val, &w);
      }
    }
    v = node->KvPatch(CallerOf(req), mount, key, patch, w);
  } else {
    coffer::SecretData data;
    for (const auto& [k, val] : body["data"].items()) {
      data[k] = StoredValue(k, val, &w);
    }
    v = node->KvPut(CallerOf(req), mount, key, data, w);
  }
  if (!v.ok()) return StatusError(res, v.status());
  Reply(res, 200, Envelope(VersionJson(*v, true)));
}

// The settings a key's metadata and a mount's config share, from a request
// body into a KeyMetadataUpdate or MountConfigUpdate. Returns "" or what is
// wrong.
template <typename Update>
std::string ParseSettings(const json& body, Update* u) {
  if (body.contains("max_versions")) {
    uint64_t n = 0;
    if (!ParseUint(body["max_versions"], &n) || n > UINT32_MAX) {
      return "max_versions must be an integer";
    }
    u->max_versions = static_cast<uint32_t>(n);
  }
  if (body.contains("cas_required")) {
    const json& v = body["cas_required"];
    if (!v.is_boolean()) return "cas_required must be a bool";
    u->cas_required = v.get<bool>();
  }
  if (body.contains("delete_version_after")) {
    absl::Duration d;
    if (!ParseVaultDuration(body["delete_version_after"], &d)) {
      return "delete_version_after must be a duration";
    }
    u->delete_version_after = d;
  }
  return "";
}

// POST metadata replaces the fields it names; PATCH merges custom_metadata
// (a null value removes a name) as Vault does.
void WriteMetadata(Node* node, const std::string& mount, const std::string& key,
                   bool patch, const json& body, const httplib::Request& req,
                   httplib::Response& res) {
  coffer::KeyMetadataUpdate u;
  if (std::string e = ParseSettings(body, &u); !e.empty()) {
    return Error(res, 400, e);
  }
  if (body.contains("custom_metadata")) {
    const json& cm = body["custom_metadata"];
    if (!cm.is_object() && !cm.is_null()) {
      return Error(res, 400, "custom_metadata must be an object");
    }
    coffer::CustomMetadata m;
    if (patch) {
      absl::StatusOr<coffer::KeyMetadata> cur =
          node->KvReadMetadata(CallerOf(req), mount, key, Consistency(req));
      if (cur.ok()) {
        m = cur->custom_metadata;
      } else if (cur.status().code() != absl::StatusCode::kNotFound) {
        return StatusError(res, cur.status());
      }
    }
    if (cm.is_object()) {
      for (const auto& [k, v] : cm.items()) {
        if (v.is_null() && patch) {
          m.erase(k);
        } else if (v.is_string()) {
          m[k] = v.get<std::string>();
        } else {
          return Error(
              res, 400,
              absl::StrCat("custom_metadata.", k, " must be a string"));
        }
      }
    }
    u.custom_metadata = std::move(m);
  }
  absl::Status s = node->KvWriteMetadata(CallerOf(req), mount, key, u);
  s.ok() ? NoContent(res) : StatusError(res, s);
}

void Metadata(Node* node, const std::string& mount, const std::string& key,
              const httplib::Request& req, httplib::Response& res) {
  const std::string& method = req.method;
  if (method == "GET" && req.get_param_value("list") == "true") {
    absl::StatusOr<std::vector<std::string>> keys =
        node->KvList(CallerOf(req), mount, key, Consistency(req));
    if (!keys.ok()) return StatusError(res, keys.status());
    if (keys->empty()) return Error(res, 404, "");
    return Reply(res, 200, Envelope(json{{"keys", *keys}}));
  }
  if (method == "GET") {
    absl::StatusOr<coffer::KeyMetadata> m =
        node->KvReadMetadata(CallerOf(req), mount, key, Consistency(req));
    if (!m.ok()) {
      if (m.status().code() == absl::StatusCode::kNotFound) {
        return Error(res, 404, "");
      }
      return StatusError(res, m.status());
    }
    return Reply(res, 200, Envelope(KeyMetadataJson(*m)));
  }
  if (method == "DELETE") {
    absl::Status s = node->KvDeleteMetadata(CallerOf(req), mount, key);
    return s.ok() ? NoContent(res) : StatusError(res, s);
  }
  if (method != "POST" && method != "PUT" && method != "PATCH") {
    return Error(res, 405, "unsupported operation");
  }
  std::optional<json> body = Body(req, res);
  if (!body) return;
  WriteMetadata(node, mount, key, method == "PATCH", *body, req, res);
}

}  // namespace

absl::StatusOr<std::optional<std::string>> FindMount(
    Node* node, const std::string& path, const httplib::Request& req) {
  const coffer::Caller caller = CallerOf(req);
  absl::StatusOr<coffer::MountInfo> m;
  for (coffer::ReadConsistency c : {coffer::ReadConsistency::kStale,
                                    coffer::ReadConsistency::kLinearizable}) {
    // Stale first; refused, it may be a mount this node has not applied.
    m = node->FindKvMount(caller, path, c);
    if (m.ok()) return m->path;
    if (m.status().code() != absl::StatusCode::kPermissionDenied) {
      return m.status();
    }
  }
  // Refused: no mount serves the path, or the token may use nothing under
  // it. A caller that may list the mounts learns which (Vault's 404 for
  // no route); any other gets the refusal.
  absl::StatusOr<std::vector<coffer::MountInfo>> mounts =
      node->ListKvMounts(caller, coffer::ReadConsistency::kLinearizable);
  if (mounts.status().code() == absl::StatusCode::kPermissionDenied) {
    return m.status();
  }
  if (!mounts.ok()) return mounts.status();
  const std::string probe = path + "/";
  std::string best;
  for (const coffer::MountInfo& info : *mounts) {
    if (absl::StartsWith(probe, info.path) && info.path.size() > best.size()) {
      best = info.path;
    }
  }
  if (best.empty()) return std::nullopt;
  return best;  // the KV call is refused by the node, as any other
}

void HandleKv(Node* node, const std::string& path, const httplib::Request& req,
              httplib::Response& res) {
  absl::StatusOr<std::optional<std::string>> mount = FindMount(node, path, req);
  if (!mount.ok()) return StatusError(res, mount.status());
  if (!*mount) {
    return Error(res, 404,
                 absl::StrCat("no handler for route \"", path,
                              "\". route entry not found."));
  }
  const std::string& m = **mount;
  const std::string rest = path.size() > m.size() ? path.substr(m.size()) : "";
  const size_t slash = rest.find('/');
  const std::string op = rest.substr(0, slash);
  const std::string key =
      slash == std::string::npos ? "" : rest.substr(slash + 1);
  const std::string& method = req.method;
  const bool write = method == "POST" || method == "PUT";

  if (op == "data") {
    if (method == "GET") return GetData(node, m, key, req, res);
    if (method == "DELETE") {
      absl::Status s = node->KvDelete(CallerOf(req), m, key);
      return s.ok() ? NoContent(res) : StatusError(res, s);
    }
    if (!write && method != "PATCH") {
      return Error(res, 405, "unsupported operation");
    }
    std::optional<json> body = Body(req, res);
    if (!body) return;
    return PutData(node, m, key, method, *body, req, res);
  }
  if (op == "metadata") return Metadata(node, m, key, req, res);
  if (op == "delete" || op == "undelete" || op == "destroy") {
    if (!write) return Error(res, 405, "unsupported operation");
    std::optional<json> body = Body(req, res);
    if (!body) return;
    std::optional<std::vector<uint64_t>> versions = Versions(*body, res);
    if (!versions) return;
    absl::Status s =
        op == "delete"
            ? node->KvDeleteVersions(CallerOf(req), m, key, *versions)
        : op == "undelete" ? node->KvUndelete(CallerOf(req), m, key, *versions)
                           : node->KvDestroy(CallerOf(req), m, key, *versions);
    return s.ok() ? NoContent(res) : StatusError(res, s);
  }
  if (op == "config" && key.empty()) {
    if (write) {
      std::optional<json> body = Body(req, res);
      if (!body) return;
      coffer::MountConfigUpdate u;
      if (std::string e = ParseSettings(*body, &u); !e.empty()) {
        return Error(res, 400, e);
      }
      absl::Status s = node->TuneKvMount(CallerOf(req), m, u);
      return s.ok() ? NoContent(res) : StatusError(res, s);
    }
    if (method != "GET") return Error(res, 405, "unsupported operation");
    absl::StatusOr<std::vector<coffer::MountInfo>> mounts =
        node->ListKvMounts(CallerOf(req), Consistency(req));
    if (!mounts.ok()) return StatusError(res, mounts.status());
    for (const coffer::MountInfo& info : *mounts) {
      if (info.path != m) continue;
      return Reply(
          res, 200,
          Envelope(json{{"max_versions", info.config.max_versions},
                        {"cas_required", info.config.cas_required},
                        {"delete_version_after",
                         GoDuration(info.config.delete_version_after)}}));
    }
  }
  Error(res, 404,
        absl::StrCat("no handler for route \"", path,
                     "\". route entry not found."));
}

}  // namespace cofferd
