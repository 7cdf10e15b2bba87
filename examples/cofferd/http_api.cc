#include "http_api.h"

#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "audit_api.h"
#include "auth_api.h"
#include "auth_methods_api.h"
#include "coffer/version.h"
#include "http_util.h"
#include "kv_api.h"
#include "metrics.h"
#include "snapshot_api.h"

namespace cofferd {
namespace {

class Api {
 public:
  Api(coffer::Node* node, HttpApiOptions options)
      : node_(node), options_(std::move(options)) {}

  void Handle(const httplib::Request& req, httplib::Response& res);

 private:
  json SealStatusJson(const coffer::SealStatus& s);
  std::string ApiAddrOf(uint64_t id);

  void SealStatus(httplib::Response& res);
  void Init(const std::string& method, const httplib::Request& req,
            httplib::Response& res);
  void Unseal(const httplib::Request& req, httplib::Response& res);
  void Health(const httplib::Request& req, httplib::Response& res);
  void Leader(httplib::Response& res);
  void Mounts(const httplib::Request& req, httplib::Response& res);
  void Mount(const std::string& method, const std::string& path,
             const httplib::Request& req, httplib::Response& res);
  void RaftConfiguration(const httplib::Request& req, httplib::Response& res);
  void RemovePeer(const httplib::Request& req, httplib::Response& res);
  void AddPeer(const httplib::Request& req, httplib::Response& res);

  coffer::Node* const node_;
  const HttpApiOptions options_;
};

// Largest request body but a snapshot's: above any replicated entry
// (NodeOptions::max_entry_bytes is at most 64 MiB).
constexpr uint64_t kMaxBodyBytes = uint64_t{64} << 20;

std::string Api::ApiAddrOf(uint64_t id) {
  return options_.api_addrs == nullptr ? "" : options_.api_addrs->Of(id);
}

json Api::SealStatusJson(const coffer::SealStatus& s) {
  json j = {{"type", s.type},
            {"initialized", s.initialized},
            {"sealed", s.sealed},
            {"t", s.threshold},
            {"n", s.shares},
            {"progress", s.progress},
            {"nonce", s.nonce},
            {"version", s.version},
            {"build_date", ""},
            {"migration", s.migration},
            {"recovery_seal", s.recovery_seal},
            {"storage_type", "raft"}};
  if (!s.sealed) {
    j["cluster_name"] = "coffer";
    j["cluster_id"] = "";
  }
  return j;
}

void Api::SealStatus(httplib::Response& res) {
  absl::StatusOr<coffer::SealStatus> s = node_->GetSealStatus();
  if (!s.ok()) return StatusError(res, s.status());
  Reply(res, 200, SealStatusJson(*s));
}

void Api::Init(const std::string& method, const httplib::Request& req,
               httplib::Response& res) {
  if (method == "GET") {
    absl::StatusOr<coffer::SealStatus> s = node_->GetSealStatus();
    if (!s.ok()) return StatusError(res, s.status());
    return Reply(res, 200, json{{"initialized", s->initialized}});
  }
  if (!IsWrite(method)) return MethodNotAllowed(res);
  std::optional<json> body = Body(req, res);
  if (!body) return;
  coffer::InitializeOptions opts;
  for (auto [name, field] :
       {std::pair{"secret_shares", &opts.secret_shares},
        std::pair{"secret_threshold", &opts.secret_threshold},
        std::pair{"recovery_shares", &opts.recovery_shares},
        std::pair{"recovery_threshold", &opts.recovery_threshold}}) {
    if (!body->contains(name)) continue;
    uint64_t v = 0;
    if (!ParseUint((*body)[name], &v) || v > 255) {
      return Error(res, 400, absl::StrCat(name, " must be an integer"));
    }
    *field = static_cast<int>(v);
  }
  for (const char* unsupported : {"pgp_keys", "recovery_pgp_keys"}) {
    if (body->contains(unsupported) && !(*body)[unsupported].is_null() &&
        !(*body)[unsupported].empty()) {
      return Error(res, 400,
                   absl::StrCat(unsupported, " are not supported by coffer"));
    }
  }
  absl::StatusOr<coffer::InitializeResult> r = node_->Initialize(opts);
  if (!r.ok()) {
    if (r.status().code() == absl::StatusCode::kFailedPrecondition ||
        r.status().code() == absl::StatusCode::kInvalidArgument) {
      return Error(res, 400, std::string(r.status().message()));
    }
    return StatusError(res, r.status());
  }
  auto encode = [](const std::vector<std::string>& hex, json* h, json* b64) {
    *h = json::array();
    *b64 = json::array();
    for (const std::string& k : hex) {
      h->push_back(k);
      b64->push_back(absl::Base64Escape(absl::HexStringToBytes(k)));
    }
  };
  json out = {{"root_token", r->root_token}};
  encode(r->keys, &out["keys"], &out["keys_base64"]);
  encode(r->recovery_keys, &out["recovery_keys"], &out["recovery_keys_base64"]);
  Reply(res, 200, out);
}

void Api::Unseal(const httplib::Request& req, httplib::Response& res) {
  std::optional<json> body = Body(req, res);
  if (!body) return;
  if (body->value("reset", false)) {
    return Error(res, 400,
                 "reset is not supported by coffer: a complete wrong set of "
                 "keys resets the attempt");
  }
  if (!body->contains("key") || !(*body)["key"].is_string() ||
      (*body)["key"].get<std::string>().empty()) {
    return Error(res, 400, "'key' must be specified in request body as JSON");
  }
  absl::StatusOr<coffer::SealStatus> s =
      node_->SubmitUnsealKey((*body)["key"].get<std::string>());
  if (!s.ok()) {
    const absl::StatusCode c = s.status().code();
    if (c == absl::StatusCode::kPermissionDenied ||
        c == absl::StatusCode::kFailedPrecondition) {
      return Error(res, 400, std::string(s.status().message()));
    }
    return StatusError(res, s.status());
  }
  Reply(res, 200, SealStatusJson(*s));
}

void Api::Health(const httplib::Request& req, httplib::Response& res) {
  auto code_param = [&](const char* name, int def) {
    int v = def;
    if (req.has_param(name) &&
        (!absl::SimpleAtoi(req.get_param_value(name), &v) || v < 100 ||
         v > 599)) {
      v = def;
    }
    return v;
  };
  absl::StatusOr<coffer::SealStatus> seal = node_->GetSealStatus();
  if (!seal.ok()) return StatusError(res, seal.status());
  absl::StatusOr<coffer::LeaderInfo> leader = node_->Leader();
  if (!leader.ok()) return StatusError(res, leader.status());
  const bool standby = !leader->is_self;
  int code;
  if (!seal->initialized) {
    code = code_param("uninitcode", 501);
  } else if (seal->sealed) {
    code = code_param("sealedcode", 503);
  } else if (standby) {
    const bool ok = req.get_param_value("standbyok") == "true" ||
                    req.get_param_value("perfstandbyok") == "true";
    code = ok ? code_param("activecode", 200) : code_param("standbycode", 429);
  } else {
    code = code_param("activecode", 200);
  }
  Reply(res, code,
        json{{"initialized", seal->initialized},
             {"sealed", seal->sealed},
             {"standby", standby},
             {"performance_standby", false},
             {"replication_performance_mode", "disabled"},
             {"replication_dr_mode", "disabled"},
             {"server_time_utc", absl::ToUnixSeconds(absl::Now())},
             {"version", seal->version},
             {"cluster_name", "coffer"},
             {"cluster_id", ""}});
}

void Api::Leader(httplib::Response& res) {
  absl::StatusOr<coffer::LeaderInfo> l = node_->Leader();
  if (!l.ok()) return StatusError(res, l.status());
  std::string api = l->is_self ? options_.api_addr : ApiAddrOf(l->leader_id);
  Reply(res, 200,
        json{{"ha_enabled", true},
             {"is_self", l->is_self},
             {"active_time", "0001-01-01T00:00:00Z"},
             {"leader_address", api},
             {"leader_cluster_address", l->leader_address},
             // coffer's: what a joining node needs to address the leader.
             {"leader_node_id",
              l->leader_id == 0 ? std::string() : absl::StrCat(l->leader_id)},
             {"performance_standby", false},
             {"raft_term", l->term}});
}

json MountJson(const coffer::MountInfo& m) {
  return json{
      {"type", "kv"},
      {"description", ""},
      {"accessor",
       absl::StrCat("kv_", m.id.substr(m.id.size() > 8 ? m.id.size() - 8 : 0))},
      {"uuid", m.id},
      {"local", false},
      {"seal_wrap", false},
      {"external_entropy_access", false},
      {"options", {{"version", "2"}}},
      {"config",
       {{"default_lease_ttl", 0},
        {"max_lease_ttl", 0},
        {"force_no_cache", false}}},
      {"coffer",
       {{"max_versions", m.config.max_versions},
        {"cas_required", m.config.cas_required},
        {"delete_version_after", GoDuration(m.config.delete_version_after)}}}};
}

void Api::Mounts(const httplib::Request& req, httplib::Response& res) {
  absl::StatusOr<std::vector<coffer::MountInfo>> mounts =
      node_->ListKvMounts(CallerOf(req));
  if (!mounts.ok()) return StatusError(res, mounts.status());
  json data = json::object();
  for (const coffer::MountInfo& m : *mounts) data[m.path] = MountJson(m);
  json out = data;  // Vault answers with the mounts at the top level too
  out.update(Envelope(data));
  Reply(res, 200, out);
}

void Api::Mount(const std::string& method, const std::string& path,
                const httplib::Request& req, httplib::Response& res) {
  if (path.empty()) return Error(res, 400, "missing mount path");
  if (method == "DELETE") {
    absl::Status s = node_->DisableKvMount(CallerOf(req), path);
    if (!s.ok() && s.code() != absl::StatusCode::kNotFound) {
      return StatusError(res, s);
    }
    return NoContent(res);  // Vault: disabling an absent mount is fine
  }
  if (method == "GET") {
    absl::StatusOr<std::vector<coffer::MountInfo>> mounts =
        node_->ListKvMounts(CallerOf(req));
    if (!mounts.ok()) return StatusError(res, mounts.status());
    const std::string want = absl::StrCat(absl::StripSuffix(path, "/"), "/");
    for (const coffer::MountInfo& m : *mounts) {
      if (m.path == want) return Reply(res, 200, Envelope(MountJson(m)));
    }
    return Error(res, 400, absl::StrCat("no mount at ", want));
  }
  if (!IsWrite(method)) return MethodNotAllowed(res);
  std::optional<json> body = Body(req, res);
  if (!body) return;
  const std::string type = body->value("type", "");
  json options = body->contains("options") && (*body)["options"].is_object()
                     ? (*body)["options"]
                     : json::object();
  const std::string version =
      options.contains("version") && options["version"].is_string()
          ? options["version"].get<std::string>()
          : "";
  if (type != "kv-v2" && !(type == "kv" && version == "2")) {
    return Error(res, 400,
                 absl::StrCat("coffer offers only the kv engine, version 2 ",
                              "(type \"kv-v2\", or \"kv\" with options ",
                              "version \"2\"); got type \"", type, "\""));
  }
  // coffer's extension: the mount's settings as string options.
  coffer::MountConfig config;
  if (options.contains("max_versions")) {
    uint64_t v = 0;
    if (!ParseUint(options["max_versions"], &v) || v > UINT32_MAX) {
      return Error(res, 400, "options.max_versions must be an integer");
    }
    config.max_versions = static_cast<uint32_t>(v);
  }
  if (options.contains("cas_required")) {
    const json& v = options["cas_required"];
    config.cas_required = v == true || v == "true";
  }
  if (options.contains("delete_version_after") &&
      !ParseVaultDuration(options["delete_version_after"],
                          &config.delete_version_after)) {
    return Error(res, 400, "options.delete_version_after must be a duration");
  }
  absl::Status s = node_->EnableKvMount(CallerOf(req), path, config);
  if (!s.ok()) {
    if (s.code() == absl::StatusCode::kInvalidArgument) {
      return Error(res, 400, std::string(s.message()));
    }
    return StatusError(res, s);
  }
  NoContent(res);
}

void Api::RaftConfiguration(const httplib::Request& req,
                            httplib::Response& res) {
  absl::StatusOr<std::vector<coffer::PeerInfo>> peers =
      node_->ListPeers(CallerOf(req));
  if (!peers.ok()) return StatusError(res, peers.status());
  absl::StatusOr<coffer::LeaderInfo> leader = node_->Leader();
  if (!leader.ok()) return StatusError(res, leader.status());
  json servers = json::array();
  for (const coffer::PeerInfo& p : *peers) {
    servers.push_back(json{{"node_id", absl::StrCat(p.id)},
                           {"address", p.address},
                           {"leader", p.id == leader->leader_id},
                           {"protocol_version", "3"},
                           {"voter", p.voter}});
  }
  Reply(res, 200,
        Envelope(json{{"config", {{"index", 0}, {"servers", servers}}}}));
}

// The body's server_id, a node id; answers 400 and returns nullopt for
// anything else.
std::optional<uint64_t> ServerId(const json& body, httplib::Response& res) {
  uint64_t id = 0;
  if (!body.contains("server_id") || !ParseUint(body["server_id"], &id) ||
      id == 0) {
    Error(res, 400, "server_id must be a node id (an integer >= 1)");
    return std::nullopt;
  }
  return id;
}

// A membership change's answer: 204, or 400 for a change the cluster
// refuses (not a member, a change in flight), or the status's code.
void MembershipReply(httplib::Response& res, const absl::Status& s) {
  if (s.code() == absl::StatusCode::kFailedPrecondition ||
      s.code() == absl::StatusCode::kInvalidArgument) {
    return Error(res, 400, std::string(s.message()));
  }
  if (!s.ok()) return StatusError(res, s);
  NoContent(res);
}

void Api::RemovePeer(const httplib::Request& req, httplib::Response& res) {
  std::optional<json> body = Body(req, res);
  if (!body) return;
  const std::optional<uint64_t> id = ServerId(*body, res);
  if (!id) return;
  MembershipReply(res, node_->RemovePeer(CallerOf(req), *id));
}

// coffer's extension (Vault has no equivalent): adds a node started with
// retry_join and an empty data directory, as a learner first; voter=true
// promotes a caught-up learner.
void Api::AddPeer(const httplib::Request& req, httplib::Response& res) {
  std::optional<json> body = Body(req, res);
  if (!body) return;
  const std::optional<uint64_t> id = ServerId(*body, res);
  if (!id) return;
  const std::string address = body->value("address", "");
  if (address.empty()) {
    return Error(res, 400, "address must be the node's cluster address");
  }
  const json voter = body->value("voter", json(false));
  if (!voter.is_boolean()) return Error(res, 400, "voter must be a bool");
  absl::Status s =
      node_->AddPeer(CallerOf(req), *id, address, voter.get<bool>());
  MembershipReply(res, s);
}

void Api::Handle(const httplib::Request& req, httplib::Response& res) {
  const std::string& method = req.method;
  std::string path = req.matches[1];
  if (path == "sys/seal-status") {
    return method == "GET" ? SealStatus(res) : MethodNotAllowed(res);
  }
  if (path == "sys/init") return Init(method, req, res);
  if (path == "sys/unseal") {
    return IsWrite(method) ? Unseal(req, res) : MethodNotAllowed(res);
  }
  if (path == "sys/health") {
    return method == "GET" || method == "HEAD" ? Health(req, res)
                                               : MethodNotAllowed(res);
  }
  if (path == "sys/leader") {
    return method == "GET" ? Leader(res) : MethodNotAllowed(res);
  }
  // GET is served by RegisterMetricsApi's route, registered first.
  if (path == "sys/metrics") return MethodNotAllowed(res);
  if (!Unsealed(node_, res)) return;
  if (HandleAuth(node_, method, path, req, res)) return;
  if (HandleAudit(node_, method, path, req, res)) return;
  if (HandleAuthMethods(node_, method, path, req, res)) return;
  if (path == "sys/seal") {
    if (!IsWrite(method)) return MethodNotAllowed(res);
    absl::Status s = node_->Seal(CallerOf(req));
    return s.ok() ? NoContent(res) : StatusError(res, s);
  }
  if (path == "sys/rotate" || path == "sys/key-status") {
    // Vault's rotate adds a keyring term (on the leader, replicated);
    // key-status reports this node's active term.
    const bool rotate = path == "sys/rotate";
    if (rotate ? !IsWrite(method) : method != "GET") {
      return MethodNotAllowed(res);
    }
    absl::StatusOr<coffer::KeyStatus> k =
        rotate ? node_->RotateKey(CallerOf(req))
               : node_->GetKeyStatus(CallerOf(req));
    if (!k.ok()) return StatusError(res, k.status());
    if (rotate) return NoContent(res);
    json j = {{"term", k->term},
              {"install_time", Rfc3339(k->install_time)},
              {"encryptions", k->encryptions}};
    json out = Envelope(j);
    out.update(j);  // Vault answers key-status with the fields at the top too
    return Reply(res, 200, out);
  }
  if (path == "sys/step-down") {
    // Vault's active node steps down; coffer hands the leadership to the
    // most caught-up other voter (forwarded from a standby).
    if (!IsWrite(method)) return MethodNotAllowed(res);
    absl::Status s = node_->TransferLeadership(CallerOf(req), 0);
    return s.ok() ? NoContent(res) : StatusError(res, s);
  }
  if (path == "sys/mounts") {
    return method == "GET" ? Mounts(req, res) : MethodNotAllowed(res);
  }
  if (absl::StartsWith(path, "sys/mounts/")) {
    return Mount(method, path.substr(11), req, res);
  }
  if (path == "sys/storage/raft/configuration") {
    return method == "GET" ? RaftConfiguration(req, res)
                           : MethodNotAllowed(res);
  }
  if (path == "sys/storage/raft/remove-peer") {
    return IsWrite(method) ? RemovePeer(req, res) : MethodNotAllowed(res);
  }
  if (path == "sys/storage/raft/add-peer") {
    return IsWrite(method) ? AddPeer(req, res) : MethodNotAllowed(res);
  }
  if (absl::StartsWith(path, "sys/internal/ui/mounts/")) {
    // Vault's CLI asks this before any kv command to learn the engine's
    // version and mount.
    if (method != "GET") return MethodNotAllowed(res);
    absl::StatusOr<std::optional<std::string>> mount =
        FindMount(node_, path.substr(23), req);
    if (!mount.ok()) return StatusError(res, mount.status());
    if (!*mount) return Error(res, 404, "");
    return Reply(res, 200,
                 Envelope(json{{"path", **mount},
                               {"type", "kv"},
                               {"description", ""},
                               {"options", {{"version", "2"}}}}));
  }
  if (absl::StartsWith(path, "sys/")) {
    return Error(res, 404,
                 absl::StrCat("no handler for route \"", path,
                              "\". route entry not found."));
  }
  HandleKv(node_, path, req, res);
}

}  // namespace

void RegisterHttpApi(httplib::Server* server, coffer::Node* node,
                     const HttpApiOptions& options) {
  RegisterSnapshotApi(server, node, options);  // before the catch-all
  auto api = std::make_shared<Api>(node, options);
  auto handler = [api, metrics = options.metrics](const httplib::Request& req,
                                                  httplib::Response& res) {
    const absl::Time start = absl::Now();
    api->Handle(req, res);
    if (metrics != nullptr) {
      metrics->ObserveHttp(req.method, res.status, absl::Now() - start);
    }
  };
  const std::string pattern = "/v1/(.*)";
  server->Get(pattern, handler);
  server->Post(pattern, handler);
  server->Put(pattern, handler);
  server->Patch(pattern, handler);
  server->Delete(pattern, handler);
  // Bodies are read into memory before a handler runs: refuse large ones
  // while only the headers are in.
  server->set_payload_max_length(kMaxSnapshotBytes);
  server->set_pre_routing_handler([](const httplib::Request& req,
                                     httplib::Response& res) {
    if (IsSnapshotRoute(req.path)) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    if (req.has_header("Transfer-Encoding")) {
      Error(res, 411, "a request body needs a Content-Length");
      return httplib::Server::HandlerResponse::Handled;
    }
    uint64_t length = 0;
    if (req.has_header("Content-Length") &&
        (!absl::SimpleAtoi(req.get_header_value("Content-Length"), &length) ||
         length > kMaxBodyBytes)) {
      Error(res, 413,
            absl::StrCat("request bodies are limited to ", kMaxBodyBytes >> 20,
                         " MiB"));
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server->set_error_handler(
      [](const httplib::Request& req, httplib::Response& res) {
        if (res.body.empty()) {
          Error(res, res.status,
                res.status == 404
                    ? absl::StrCat("no handler for route \"", req.path, "\"")
                    : std::string("the request failed"));
        }
      });
}

}  // namespace cofferd
