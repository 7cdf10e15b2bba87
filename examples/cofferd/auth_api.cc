#include "auth_api.h"

#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "http_util.h"

namespace cofferd {
namespace {

using coffer::Node;
using coffer::TokenRef;

// A string field of `body`; nullopt (and 400) when present but not a string
// or, if `required`, absent or empty.
std::optional<std::string> StringField(const json& body, const char* name,
                                       bool required, httplib::Response& res) {
  if (!body.contains(name)) {
    if (!required) return std::string();
  } else if (body[name].is_string() &&
             (!required || !body[name].get<std::string>().empty())) {
    return body[name].get<std::string>();
  }
  Error(res, 400, absl::StrCat("missing or invalid \"", name, "\""));
  return std::nullopt;
}

// Vault's `auth` block of a create or renew response.
json AuthBlock(const std::string& client_token, const coffer::TokenInfo& t) {
  return json{{"client_token", client_token},
              {"accessor", t.accessor},
              {"policies", t.policies},
              {"token_policies", t.policies},
              {"metadata", MetadataJson(t.metadata)},
              {"lease_duration", Seconds(t.ttl)},
              {"renewable", t.renewable},
              {"entity_id", ""},
              {"token_type", t.type},
              {"orphan", t.orphan},
              {"mfa_requirement", nullptr},
              {"num_uses", t.num_uses}};
}

// Vault's `data` block of a lookup. `id` only when the caller presented it.
json LookupData(const coffer::TokenInfo& t, const std::string& id) {
  json j = {{"accessor", t.accessor},
            {"creation_time", absl::ToUnixSeconds(t.creation_time)},
            {"creation_ttl", Seconds(t.creation_ttl)},
            {"display_name", t.display_name},
            {"entity_id", ""},
            {"expire_time",
             t.expire_time ? json(Rfc3339(*t.expire_time)) : json(nullptr)},
            {"explicit_max_ttl", Seconds(t.explicit_max_ttl)},
            {"id", id},
            {"meta", MetadataJson(t.metadata)},
            {"num_uses", t.num_uses},
            {"orphan", t.orphan},
            {"path", t.path.empty() ? "auth/token/create" : t.path},
            {"policies", t.policies},
            {"renewable", t.renewable},
            {"ttl", Seconds(t.ttl)},
            {"type", t.type}};
  if (t.period > absl::ZeroDuration()) j["period"] = Seconds(t.period);
  if (t.last_renewal_time) {
    j["last_renewal_time"] = absl::ToUnixSeconds(*t.last_renewal_time);
  }
  return j;
}

void Create(Node* node, bool orphan_endpoint, const json& body,
            const httplib::Request& req, httplib::Response& res) {
  coffer::TokenCreateRequest r;
  if (body.contains("policies") &&
      !ParseStringList(body["policies"], &r.policies)) {
    return Error(res, 400, "policies must be a list of names");
  }
  if (body.contains("meta") && !body["meta"].is_null()) {
    if (!body["meta"].is_object()) return Error(res, 400, "meta must be a map");
    for (const auto& [k, v] : body["meta"].items()) {
      if (!v.is_string()) return Error(res, 400, "meta values must be strings");
      r.metadata[k] = v.get<std::string>();
    }
  }
  struct BoolField {
    const char* name;
    bool* out;
  };
  for (BoolField f : {BoolField{"no_parent", &r.no_parent},
                      BoolField{"no_default_policy", &r.no_default_policy},
                      BoolField{"renewable", &r.renewable}}) {
    if (body.contains(f.name) && !ParseBool(body[f.name], f.out)) {
      return Error(res, 400, absl::StrCat(f.name, " must be a bool"));
    }
  }
  struct DurationField {
    const char* name;
    absl::Duration* out;
  };
  for (DurationField f :
       {DurationField{"ttl", &r.ttl},
        DurationField{"explicit_max_ttl", &r.explicit_max_ttl},
        DurationField{"period", &r.period}}) {
    if (body.contains(f.name) &&
        !(body[f.name].is_string() &&
          body[f.name].get<std::string>().empty()) &&
        !ParseVaultDuration(body[f.name], f.out)) {
      return Error(res, 400, absl::StrCat(f.name, " must be a duration"));
    }
  }
  std::optional<std::string> name =
      StringField(body, "display_name", false, res);
  if (!name) return;
  r.display_name = *name;
  if (body.contains("num_uses")) {
    uint64_t n = 0;
    if (!ParseUint(body["num_uses"], &n) || n > UINT32_MAX) {
      return Error(res, 400, "num_uses must be a non-negative integer");
    }
    r.num_uses = static_cast<uint32_t>(n);
  }
  absl::StatusOr<coffer::CreatedToken> t =
      node->CreateToken(CallerOf(req), r, orphan_endpoint);
  if (!t.ok()) return StatusError(res, t.status());
  json out = Envelope(nullptr);
  out["auth"] = AuthBlock(t->id, t->info);
  Reply(res, 200, out);
}

// The token a lookup, renew, revoke or capabilities call names: the
// body's (or, for GET, the query's) `token` or `accessor`, or the caller.
enum class Target { kSelf, kToken, kAccessor };

bool HandleToken(Node* node, const std::string& method, const std::string& op,
                 const httplib::Request& req, httplib::Response& res) {
  if (op == "accessors") {
    if (!IsList(method, req)) {
      MethodNotAllowed(res);
      return true;
    }
    absl::StatusOr<std::vector<std::string>> a =
        node->ListTokenAccessors(CallerOf(req));
    if (!a.ok()) {
      StatusError(res, a.status());
      return true;
    }
    Reply(res, 200, Envelope(json{{"keys", *a}}));
    return true;
  }
  static const std::map<std::string, Target>* const kOps =
      new std::map<std::string, Target>{{"create", Target::kSelf},
                                        {"create-orphan", Target::kSelf},
                                        {"lookup", Target::kToken},
                                        {"lookup-self", Target::kSelf},
                                        {"lookup-accessor", Target::kAccessor},
                                        {"renew", Target::kToken},
                                        {"renew-self", Target::kSelf},
                                        {"renew-accessor", Target::kAccessor},
                                        {"revoke", Target::kToken},
                                        {"revoke-self", Target::kSelf},
                                        {"revoke-accessor", Target::kAccessor},
                                        {"revoke-orphan", Target::kToken}};
  auto it = kOps->find(op);
  if (it == kOps->end()) return false;
  const bool lookup = absl::StartsWith(op, "lookup");
  if (!IsWrite(method) && !(lookup && method == "GET")) {
    MethodNotAllowed(res);
    return true;
  }
  std::optional<json> body = Body(req, res);
  if (!body) return true;
  if (op == "create" || op == "create-orphan") {
    Create(node, op == "create-orphan", *body, req, res);
    return true;
  }
  if (method == "GET") {  // lookup?token=... as Vault's older clients
    for (const char* k : {"token", "accessor"}) {
      if (req.has_param(k)) (*body)[k] = req.get_param_value(k);
    }
  }
  std::string value;
  const coffer::Caller caller = CallerOf(req);
  TokenRef ref = TokenRef::Self();
  if (it->second != Target::kSelf) {
    const char* field = it->second == Target::kToken ? "token" : "accessor";
    std::optional<std::string> v = StringField(*body, field, true, res);
    if (!v) return true;
    value = std::move(*v);
    ref = it->second == Target::kToken ? TokenRef::Id(value)
                                       : TokenRef::Accessor(value);
  }
  // The id is shown only to whoever presented it.
  const std::string shown_id = it->second == Target::kToken ? value
                               : it->second == Target::kSelf
                                   ? std::string(caller.token())
                                   : "";
  if (lookup) {
    absl::StatusOr<coffer::TokenInfo> t = node->LookupToken(caller, ref);
    if (!t.ok()) {
      StatusError(res, t.status());
      return true;
    }
    Reply(res, 200, Envelope(LookupData(*t, shown_id)));
    return true;
  }
  if (absl::StartsWith(op, "renew")) {
    absl::Duration increment = absl::ZeroDuration();
    if (body->contains("increment") &&
        !ParseVaultDuration((*body)["increment"], &increment)) {
      Error(res, 400, "increment must be a duration");
      return true;
    }
    absl::StatusOr<coffer::TokenInfo> t =
        node->RenewToken(caller, ref, increment);
    if (!t.ok()) {
      StatusError(res, t.status());
      return true;
    }
    json out = Envelope(nullptr);
    out["auth"] = AuthBlock(shown_id, *t);
    Reply(res, 200, out);
    return true;
  }
  absl::Status s =
      node->RevokeToken(caller, ref,
                        op == "revoke-orphan" ? coffer::RevokeMode::kOrphan
                                              : coffer::RevokeMode::kTree);
  s.ok() ? NoContent(res) : StatusError(res, s);
  return true;
}

// sys/policies/acl/<name> (modern = true) or sys/policy/<name>.
void Policy(Node* node, const std::string& method, const std::string& name,
            bool modern, const httplib::Request& req, httplib::Response& res) {
  const coffer::Caller caller = CallerOf(req);
  if (name.empty() || IsList(method, req)) {
    if (!IsList(method, req) && !(method == "GET" && !modern)) {
      return MethodNotAllowed(res);
    }
    absl::StatusOr<std::vector<std::string>> names = node->ListPolicies(caller);
    if (!names.ok()) return StatusError(res, names.status());
    if (modern) return Reply(res, 200, Envelope(json{{"keys", *names}}));
    json data = {{"policies", *names}, {"keys", *names}};
    json out = data;  // the old API answers at the top level too
    out.update(Envelope(data));
    return Reply(res, 200, out);
  }
  if (method == "GET") {
    absl::StatusOr<std::string> text = node->ReadPolicy(caller, name);
    if (!text.ok()) return StatusError(res, text.status());
    json data = {{"name", name}, {modern ? "policy" : "rules", *text}};
    json out = Envelope(data);
    if (!modern) out.update(data);
    return Reply(res, 200, out);
  }
  if (method == "DELETE") {
    absl::Status s = node->DeletePolicy(caller, name);
    return s.ok() ? NoContent(res) : StatusError(res, s);
  }
  if (!IsWrite(method)) return MethodNotAllowed(res);
  std::optional<json> body = Body(req, res);
  if (!body) return;
  const char* field = body->contains("policy") || modern ? "policy" : "rules";
  std::optional<std::string> text = StringField(*body, field, true, res);
  if (!text) return;
  absl::Status s = node->WritePolicy(caller, name, *text);
  s.ok() ? NoContent(res) : StatusError(res, s);
}

void Capabilities(Node* node, const std::string& method,
                  const std::string& which, const httplib::Request& req,
                  httplib::Response& res) {
  if (!IsWrite(method)) return MethodNotAllowed(res);
  std::optional<json> body = Body(req, res);
  if (!body) return;
  std::vector<std::string> paths;
  if (body->contains("paths") && !ParseStringList((*body)["paths"], &paths)) {
    return Error(res, 400, "paths must be a list");
  }
  if (body->contains("path") && !ParseStringList((*body)["path"], &paths)) {
    return Error(res, 400, "path must be a string");
  }
  if (paths.empty()) return Error(res, 400, "missing \"paths\"");
  std::string value;
  TokenRef ref = TokenRef::Self();
  if (which != "sys/capabilities-self") {
    const bool accessor = which == "sys/capabilities-accessor";
    std::optional<std::string> v =
        StringField(*body, accessor ? "accessor" : "token", true, res);
    if (!v) return;
    value = std::move(*v);
    ref = accessor ? TokenRef::Accessor(value) : TokenRef::Id(value);
  }
  absl::StatusOr<std::map<std::string, std::vector<std::string>>> caps =
      node->Capabilities(CallerOf(req), ref, paths);
  if (!caps.ok()) return StatusError(res, caps.status());
  json data = json::object();
  for (const auto& [p, c] : *caps) data[p] = c;
  // Vault: "capabilities" holds the first path's (the only, usually).
  auto first = caps->find(paths.front());
  data["capabilities"] =
      first == caps->end() ? json::array() : json(first->second);
  json out = data;
  out.update(Envelope(data));
  Reply(res, 200, out);
}

}  // namespace

bool HandleAuth(Node* node, const std::string& method, const std::string& path,
                const httplib::Request& req, httplib::Response& res) {
  absl::string_view p = path;
  if (absl::ConsumePrefix(&p, "auth/token/")) {
    return HandleToken(node, method, std::string(p), req, res);
  }
  if (path == "sys/policies/acl" || path == "sys/policy") {
    Policy(node, method, "", path == "sys/policies/acl", req, res);
    return true;
  }
  if (absl::ConsumePrefix(&p, "sys/policies/acl/")) {
    Policy(node, method, std::string(p), true, req, res);
    return true;
  }
  p = path;
  if (absl::ConsumePrefix(&p, "sys/policy/")) {
    Policy(node, method, std::string(p), false, req, res);
    return true;
  }
  if (path == "sys/capabilities" || path == "sys/capabilities-self" ||
      path == "sys/capabilities-accessor") {
    Capabilities(node, method, path, req, res);
    return true;
  }
  return false;
}

}  // namespace cofferd
