#include "auth_methods_api.h"

#include <map>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "http_util.h"

namespace cofferd {
namespace {

using coffer::AuthMethods;
using coffer::Caller;

// The auth method endpoints take a null list as an empty one.
bool ListOrNull(const json& v, std::vector<std::string>* out) {
  return v.is_null() || ParseStringList(v, out);
}

void Data(httplib::Response& res, json data) {
  Reply(res, 200, Envelope(std::move(data)));
}

void Done(httplib::Response& res, const absl::Status& s) {
  s.ok() ? NoContent(res) : StatusError(res, s);
}

// Vault answers a refused login 400 with its own words; the node's
// refusal is kPermissionDenied, which StatusError would make 403
// "permission denied". Vault's own code for a bad credential is 400.
void LoginError(httplib::Response& res, const absl::Status& s) {
  if (absl::IsPermissionDenied(s)) {
    return Error(res, 400,
                 std::string(absl::StripPrefix(s.message(), "auth: ")));
  }
  StatusError(res, s);
}

void Login(httplib::Response& res, const absl::StatusOr<coffer::LoginAuth>& a) {
  if (!a.ok()) return LoginError(res, a.status());
  json auth = {{"client_token", a->client_token},
               {"accessor", a->accessor},
               {"policies", a->policies},
               {"token_policies", a->token_policies},
               {"metadata", MetadataJson(a->metadata)},
               {"lease_duration", Seconds(a->lease_duration)},
               {"renewable", a->renewable},
               {"entity_id", ""},
               {"token_type", "service"},
               {"orphan", a->orphan},
               {"mfa_requirement", nullptr},
               {"num_uses", 0}};
  json out = Envelope(nullptr);
  out["auth"] = auth;
  Reply(res, 200, out);
}

// The token_* fields of a role or user.
bool TokenSettings(const json& b, coffer::LoginTokenSettings* s,
                   httplib::Response& res) {
  for (const char* f : {"token_policies", "policies"}) {
    if (b.contains(f) && !ListOrNull(b[f], &s->token_policies)) {
      Error(res, 400, absl::StrCat(f, " must be a list of names"));
      return false;
    }
  }
  if (b.contains("token_bound_cidrs") &&
      !ListOrNull(b["token_bound_cidrs"], &s->token_bound_cidrs)) {
    Error(res, 400, "token_bound_cidrs must be a list");
    return false;
  }
  struct D {
    const char* name;
    absl::Duration* out;
  };
  for (D d :
       {D{"token_ttl", &s->token_ttl}, D{"token_max_ttl", &s->token_max_ttl}}) {
    if (b.contains(d.name) && !ParseVaultDuration(b[d.name], d.out)) {
      Error(res, 400, absl::StrCat(d.name, " must be a duration"));
      return false;
    }
  }
  if (b.contains("token_num_uses")) {
    uint64_t n = 0;
    if (!ParseUint(b["token_num_uses"], &n) || n > UINT32_MAX) {
      Error(res, 400, "token_num_uses must be a count");
      return false;
    }
    s->token_num_uses = static_cast<uint32_t>(n);
  }
  return true;
}

json TokenSettingsJson(const coffer::LoginTokenSettings& s) {
  return {{"token_policies", s.token_policies},
          {"policies", s.token_policies},
          {"token_ttl", Seconds(s.token_ttl)},
          {"token_max_ttl", Seconds(s.token_max_ttl)},
          {"token_num_uses", s.token_num_uses},
          {"token_bound_cidrs", s.token_bound_cidrs},
          {"token_type", "default"}};
}

void SysAuth(coffer::Node* node, const std::string& method,
             const std::string& path, const httplib::Request& req,
             httplib::Response& res) {
  AuthMethods& m = node->auth_methods();
  if (path.empty()) {
    if (method != "GET") return MethodNotAllowed(res);
    absl::StatusOr<std::vector<coffer::AuthMethod>> all = m.List(CallerOf(req));
    if (!all.ok()) return StatusError(res, all.status());
    json data = json::object();
    // Vault lists the token store too.
    data["token/"] = {
        {"type", "token"},    {"description", "token based credentials"},
        {"accessor", ""},     {"local", false},
        {"seal_wrap", false}, {"options", nullptr}};
    for (const coffer::AuthMethod& a : *all) {
      json options = json::object();
      for (const auto& [k, v] : a.options) options[k] = v;
      data[a.path] = {{"type", a.type},         {"description", a.description},
                      {"accessor", a.accessor}, {"local", false},
                      {"seal_wrap", false},     {"options", options}};
    }
    json out = data;
    out.update(Envelope(data));
    return Reply(res, 200, out);
  }
  if (method == "DELETE") return Done(res, m.Disable(CallerOf(req), path));
  if (!IsWrite(method)) return MethodNotAllowed(res);
  std::optional<json> body = Body(req, res);
  if (!body) return;
  coffer::AuthMethod a;
  a.path = path;
  if (!(*body)["type"].is_string()) {
    return Error(res, 400, "missing or invalid \"type\"");
  }
  a.type = (*body)["type"].get<std::string>();
  if (body->contains("description") && (*body)["description"].is_string()) {
    a.description = (*body)["description"].get<std::string>();
  }
  if (body->contains("options") && !(*body)["options"].is_null()) {
    if (!(*body)["options"].is_object()) {
      return Error(res, 400, "options must be a map");
    }
    for (const auto& [k, v] : (*body)["options"].items()) {
      if (!v.is_string()) return Error(res, 400, "options must be strings");
      a.options[k] = v.get<std::string>();
    }
  }
  Done(res, m.Enable(CallerOf(req), a));
}

void Role(AuthMethods& m, const std::string& mount, const std::string& name,
          const std::string& method, const httplib::Request& req,
          httplib::Response& res) {
  const Caller as = CallerOf(req);
  if (method == "GET") {
    absl::StatusOr<coffer::AppRole> r = m.ReadRole(as, mount, name);
    if (!r.ok()) return StatusError(res, r.status());
    json data = TokenSettingsJson(r->token);
    data["secret_id_ttl"] = Seconds(r->secret_id_ttl);
    data["secret_id_num_uses"] = r->secret_id_num_uses;
    data["bind_secret_id"] = r->bind_secret_id;
    data["secret_id_bound_cidrs"] = r->secret_id_bound_cidrs;
    return Data(res, data);
  }
  if (method == "DELETE") return Done(res, m.DeleteRole(as, mount, name));
  if (!IsWrite(method)) return MethodNotAllowed(res);
  std::optional<json> body = Body(req, res);
  if (!body) return;
  coffer::AppRole r;
  if (!TokenSettings(*body, &r.token, res)) return;
  if (body->contains("secret_id_ttl") &&
      !ParseVaultDuration((*body)["secret_id_ttl"], &r.secret_id_ttl)) {
    return Error(res, 400, "secret_id_ttl must be a duration");
  }
  if (body->contains("secret_id_num_uses")) {
    uint64_t n = 0;
    if (!ParseUint((*body)["secret_id_num_uses"], &n) || n > UINT32_MAX) {
      return Error(res, 400, "secret_id_num_uses must be a count");
    }
    r.secret_id_num_uses = static_cast<uint32_t>(n);
  }
  if (body->contains("bind_secret_id") &&
      !ParseBool((*body)["bind_secret_id"], &r.bind_secret_id)) {
    return Error(res, 400, "bind_secret_id must be a bool");
  }
  if (body->contains("secret_id_bound_cidrs") &&
      !ListOrNull((*body)["secret_id_bound_cidrs"], &r.secret_id_bound_cidrs)) {
    return Error(res, 400, "secret_id_bound_cidrs must be a list");
  }
  Done(res, m.WriteRole(as, mount, name, r));
}

void SecretIdCall(AuthMethods& m, const std::string& mount,
                  const std::string& name, const std::string& what,
                  const httplib::Request& req, httplib::Response& res) {
  std::optional<json> body = Body(req, res);
  if (!body) return;
  const Caller as = CallerOf(req);
  if (what == "secret-id") {
    std::map<std::string, std::string> metadata;
    if (body->contains("metadata") && !(*body)["metadata"].is_null()) {
      // Vault takes the metadata as a JSON string of a map.
      json meta = (*body)["metadata"];
      if (meta.is_string()) {
        meta = json::parse(meta.get<std::string>(), nullptr, false);
      }
      if (!meta.is_object()) return Error(res, 400, "metadata must be a map");
      for (const auto& [k, v] : meta.items()) {
        if (!v.is_string()) return Error(res, 400, "metadata: strings only");
        metadata[k] = v.get<std::string>();
      }
    }
    std::vector<std::string> cidrs;
    if (body->contains("cidr_list") &&
        !ListOrNull((*body)["cidr_list"], &cidrs)) {
      return Error(res, 400, "cidr_list must be a list");
    }
    absl::StatusOr<coffer::SecretId> s =
        m.GenerateSecretId(as, mount, name, metadata, cidrs);
    if (!s.ok()) return StatusError(res, s.status());
    return Data(res, {{"secret_id", s->secret_id},
                      {"secret_id_accessor", s->accessor},
                      {"secret_id_ttl", Seconds(s->ttl)},
                      {"secret_id_num_uses", s->num_uses}});
  }
  const json& accessor = (*body)["secret_id_accessor"];
  if (!accessor.is_string()) {
    return Error(res, 400, "missing or invalid \"secret_id_accessor\"");
  }
  if (what == "secret-id-accessor/destroy") {
    return Done(res, m.DestroySecretIdAccessor(as, mount, name,
                                               accessor.get<std::string>()));
  }
  absl::StatusOr<coffer::SecretIdInfo> info =
      m.LookupSecretIdAccessor(as, mount, name, accessor.get<std::string>());
  if (!info.ok()) return StatusError(res, info.status());
  Data(res, {{"secret_id_accessor", info->accessor},
             {"creation_time", Rfc3339(info->creation_time)},
             {"expiration_time", info->expiration_time
                                     ? Rfc3339(*info->expiration_time)
                                     : Rfc3339(absl::UnixEpoch())},
             {"secret_id_num_uses", info->num_uses},
             {"metadata", MetadataJson(info->metadata)},
             {"cidr_list", info->cidr_list}});
}

void User(AuthMethods& m, const std::string& mount, const std::string& name,
          const std::string& method, bool password_path,
          const httplib::Request& req, httplib::Response& res) {
  const Caller as = CallerOf(req);
  if (!password_path && method == "GET") {
    absl::StatusOr<coffer::LoginTokenSettings> u = m.ReadUser(as, mount, name);
    if (!u.ok()) return StatusError(res, u.status());
    return Data(res, TokenSettingsJson(*u));
  }
  if (!password_path && method == "DELETE") {
    return Done(res, m.DeleteUser(as, mount, name));
  }
  if (!IsWrite(method)) return MethodNotAllowed(res);
  std::optional<json> body = Body(req, res);
  if (!body) return;
  std::optional<std::string> password;
  if (body->contains("password")) {
    if (!(*body)["password"].is_string()) {
      return Error(res, 400, "password must be a string");
    }
    password = (*body)["password"].get<std::string>();
  }
  if (password_path) {
    if (!password) return Error(res, 400, "missing password");
    return Done(res, m.UpdatePassword(as, mount, name, *password));
  }
  coffer::LoginTokenSettings s;
  if (!TokenSettings(*body, &s, res)) return;
  std::optional<absl::string_view> pw;
  if (password) pw = *password;
  Done(res, m.WriteUser(as, mount, name, s, pw));
}

// The method call `rest` (a path under auth/<mount>) names, if any.
struct Route {
  std::string mount;  // with its trailing '/'
  std::string kind;   // "role", "roles", "login", "users", "user", ...
  std::string name;
  std::string what;  // role-id, secret-id, secret-id-accessor/lookup, ...
};
std::optional<Route> RouteOf(absl::string_view p) {
  for (size_t i = p.find('/'); i != absl::string_view::npos;
       i = p.find('/', i + 1)) {
    Route r;
    r.mount = std::string(p.substr(0, i + 1));
    const std::vector<std::string> parts = absl::StrSplit(p.substr(i + 1), '/');
    const size_t n = parts.size();
    if (n == 1 && parts[0] == "login") r.kind = "approle-login";
    if (n == 1 && parts[0] == "role") r.kind = "roles";
    if (n == 1 && parts[0] == "users") r.kind = "users";
    if (n == 2 && parts[0] == "login") r.kind = "userpass-login";
    if (n == 2 && parts[0] == "role") r.kind = "role";
    if (n == 2 && parts[0] == "users") r.kind = "user";
    if (n == 3 && parts[0] == "users" && parts[2] == "password") {
      r.kind = "password";
    }
    if (n == 3 && parts[0] == "role" &&
        (parts[2] == "role-id" || parts[2] == "secret-id")) {
      r.kind = "role-call";
      r.what = parts[2];
    }
    if (n == 4 && parts[0] == "role" && parts[2] == "secret-id-accessor" &&
        (parts[3] == "lookup" || parts[3] == "destroy")) {
      r.kind = "role-call";
      r.what = absl::StrCat(parts[2], "/", parts[3]);
    }
    if (r.kind.empty()) continue;
    if (n >= 2) r.name = parts[1];
    if (n >= 2 && r.name.empty()) continue;
    return r;
  }
  return std::nullopt;
}

}  // namespace

bool HandleAuthMethods(coffer::Node* node, const std::string& method,
                       const std::string& path, const httplib::Request& req,
                       httplib::Response& res) {
  absl::string_view p = path;
  if (path == "sys/auth") {
    SysAuth(node, method, "", req, res);
    return true;
  }
  if (absl::ConsumePrefix(&p, "sys/auth/")) {
    SysAuth(node, method, std::string(p), req, res);
    return true;
  }
  if (!absl::ConsumePrefix(&p, "auth/") || absl::StartsWith(p, "token/")) {
    return false;
  }
  std::optional<Route> r = RouteOf(p);
  if (!r) return false;
  AuthMethods& m = node->auth_methods();
  if (r->kind == "roles" || r->kind == "users") {
    if (!IsList(method, req)) {
      MethodNotAllowed(res);
      return true;
    }
    absl::StatusOr<std::vector<std::string>> keys =
        r->kind == "roles" ? m.ListRoles(CallerOf(req), r->mount)
                           : m.ListUsers(CallerOf(req), r->mount);
    if (!keys.ok()) {
      StatusError(res, keys.status());
    } else {
      Data(res, {{"keys", *keys}});
    }
    return true;
  }
  if (r->kind == "role") {
    Role(m, r->mount, r->name, method, req, res);
  } else if (r->kind == "user" || r->kind == "password") {
    User(m, r->mount, r->name, method, r->kind == "password", req, res);
  } else if (r->kind == "role-call" && r->what == "role-id") {
    if (method != "GET") {
      MethodNotAllowed(res);
      return true;
    }
    absl::StatusOr<std::string> id =
        m.ReadRoleId(CallerOf(req), r->mount, r->name);
    id.ok() ? Data(res, {{"role_id", *id}}) : StatusError(res, id.status());
  } else if (!IsWrite(method)) {
    MethodNotAllowed(res);
  } else if (r->kind == "role-call") {
    SecretIdCall(m, r->mount, r->name, r->what, req, res);
  } else {
    std::optional<json> body = Body(req, res);
    if (!body) return true;
    const Caller as = CallerOf(req);
    if (r->kind == "approle-login") {
      const json& role_id = (*body)["role_id"];
      const json& secret_id = (*body)["secret_id"];
      if (!role_id.is_string()) {
        Error(res, 400, "missing role_id");
        return true;
      }
      Login(res,
            m.AppRoleLogin(as, r->mount, role_id.get<std::string>(),
                           secret_id.is_string() ? secret_id.get<std::string>()
                                                 : std::string()));
    } else {
      const json& password = (*body)["password"];
      if (!password.is_string()) {
        Error(res, 400, "missing password");
        return true;
      }
      Login(res, m.UserpassLogin(as, r->mount, r->name,
                                 password.get<std::string>()));
    }
  }
  return true;
}

}  // namespace cofferd
