#include "config.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "hcl/hcl.h"
#include "nlohmann/json.hpp"

namespace cofferd {
namespace {

using json = nlohmann::json;
namespace hcl = coffer::hcl;

absl::Status Bad(absl::string_view key, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(key, ": ", reason));
}

// Refuses keys of `obj` outside `known`.
absl::Status OnlyKnown(const json& obj, absl::string_view where,
                       const std::set<std::string>& known) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (known.count(it.key()) == 0) {
      return Bad(where.empty() ? it.key() : absl::StrCat(where, ".", it.key()),
                 absl::StrCat("unknown key (expected one of: ",
                              absl::StrJoin(known, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<const json*> Object(const json& parent, const std::string& name,
                                   absl::string_view key) {
  auto it = parent.find(name);
  if (it == parent.end()) return nullptr;
  if (!it->is_object()) return Bad(key, "must be an object");
  return &*it;
}

absl::Status String(const json& obj, const std::string& name,
                    absl::string_view key, std::string* out) {
  auto it = obj.find(name);
  if (it == obj.end()) return absl::OkStatus();
  if (!it->is_string()) return Bad(key, "must be a string");
  *out = it->get<std::string>();
  return absl::OkStatus();
}

// Vault writes booleans as true/false or as the strings "true"/"false".
absl::Status Bool(const json& obj, const std::string& name,
                  absl::string_view key, bool* out) {
  auto it = obj.find(name);
  if (it == obj.end()) return absl::OkStatus();
  if (it->is_boolean()) {
    *out = it->get<bool>();
  } else if (it->is_string() && (*it == "true" || *it == "false")) {
    *out = *it == "true";
  } else {
    return Bad(key, "must be true or false");
  }
  return absl::OkStatus();
}

// A node id: a number or a string of digits, >= 1.
absl::StatusOr<uint64_t> NodeId(const json& v, absl::string_view key) {
  uint64_t id = 0;
  if (v.is_number_unsigned()) {
    id = v.get<uint64_t>();
  } else if (!v.is_string() || !absl::SimpleAtoi(v.get<std::string>(), &id)) {
    return Bad(key,
               "must be an integer >= 1 (coffer names nodes by number), "
               "as a number or a string of digits");
  }
  if (id == 0) return Bad(key, "must be >= 1");
  return id;
}

absl::Status HostPort(absl::string_view addr, absl::string_view key) {
  std::string host;
  int port = 0;
  absl::Status s = SplitHostPort(addr, &host, &port);
  if (!s.ok()) return Bad(key, s.message());
  return absl::OkStatus();
}

absl::Status Url(absl::string_view url, absl::string_view key) {
  if (!absl::StartsWith(url, "http://") && !absl::StartsWith(url, "https://")) {
    return Bad(key, "must be an http:// or https:// URL");
  }
  absl::string_view rest = url.substr(url.find("//") + 2);
  rest = rest.substr(0, rest.find('/'));
  return HostPort(rest, key);
}

absl::Status Duration(const json& obj, const std::string& name,
                      absl::string_view key, absl::Duration* out) {
  auto it = obj.find(name);
  if (it == obj.end()) return absl::OkStatus();
  if (!it->is_string() || !absl::ParseDuration(it->get<std::string>(), out) ||
      *out <= absl::ZeroDuration()) {
    return Bad(key, "must be a positive duration such as \"100ms\" or \"10s\"");
  }
  return absl::OkStatus();
}

// One telemetry setting, given as written (a string, or an HCL or JSON
// value formatted); unknown keys are kept by the caller, not refused
// (Vault has many: statsd_address, circonus_*, ...).
absl::Status TelemetryKey(const std::string& key, const std::string& value,
                          TelemetryConfig* t) {
  const std::string where = absl::StrCat("telemetry.", key);
  if (key == "prometheus_retention_time") {
    int64_t seconds = 0;
    absl::Duration d;
    if (absl::SimpleAtoi(value, &seconds) && seconds >= 0) {
      d = absl::Seconds(seconds);
    } else if (!absl::ParseDuration(value, &d) || d < absl::ZeroDuration()) {
      return Bad(where,
                 "must be a duration such as \"24h\" or a number of seconds "
                 "(0 disables the Prometheus format)");
    }
    t->prometheus_retention_time = d;
  } else if (key == "disable_hostname" ||
             key == "unauthenticated_metrics_access") {
    if (value != "true" && value != "false") {
      return Bad(where, "must be true or false");
    }
    (key == "disable_hostname" ? t->disable_hostname
                               : t->unauthenticated_metrics_access) =
        value == "true";
  }
  return absl::OkStatus();
}

// JSON's telemetry object: every key kept as written (strings as they are,
// other values in JSON), the known ones parsed.
absl::Status ParseTelemetry(const json& root, Config* c) {
  auto t = Object(root, "telemetry", "telemetry");
  if (!t.ok()) return t.status();
  if (*t == nullptr) return absl::OkStatus();
  for (auto it = (*t)->begin(); it != (*t)->end(); ++it) {
    const std::string value =
        it->is_string() ? it->get<std::string>() : it->dump();
    if (absl::Status s = TelemetryKey(it.key(), value, &c->telemetry_config);
        !s.ok()) {
      return s;
    }
    c->telemetry.emplace_back(it.key(), value);
  }
  return absl::OkStatus();
}

absl::Status ParseStorage(const json& root, Config* c) {
  auto storage = Object(root, "storage", "storage");
  if (!storage.ok()) return storage.status();
  if (*storage == nullptr) return Bad("storage.raft", "required");
  if (absl::Status s = OnlyKnown(**storage, "storage", {"raft"}); !s.ok()) {
    return s;
  }
  auto raft = Object(**storage, "raft", "storage.raft");
  if (!raft.ok()) return raft.status();
  if (*raft == nullptr) return Bad("storage.raft", "required");
  const json& r = **raft;
  if (absl::Status s = OnlyKnown(r, "storage.raft",
                                 {"path", "node_id", "peers", "retry_join"});
      !s.ok()) {
    return s;
  }
  if (absl::Status s = String(r, "path", "storage.raft.path", &c->path);
      !s.ok()) {
    return s;
  }
  if (c->path.empty()) {
    return Bad("storage.raft.path", "required: the node's data directory");
  }
  if (auto it = r.find("node_id"); it != r.end()) {
    absl::StatusOr<uint64_t> id = NodeId(*it, "storage.raft.node_id");
    if (!id.ok()) return id.status();
    c->node_id = *id;
  }
  if (auto it = r.find("peers"); it != r.end()) {
    if (!it->is_array()) return Bad("storage.raft.peers", "must be a list");
    std::set<uint64_t> ids;
    for (size_t i = 0; i < it->size(); ++i) {
      const std::string key = absl::StrCat("storage.raft.peers[", i, "]");
      const json& p = (*it)[i];
      if (!p.is_object()) return Bad(key, "must be an object");
      if (absl::Status s =
              OnlyKnown(p, key, {"node_id", "cluster_addr", "api_addr"});
          !s.ok()) {
        return s;
      }
      PeerConfig peer;
      if (!p.contains("node_id")) return Bad(key + ".node_id", "required");
      absl::StatusOr<uint64_t> id = NodeId(p["node_id"], key + ".node_id");
      if (!id.ok()) return id.status();
      peer.node_id = *id;
      if (!ids.insert(peer.node_id).second) {
        return Bad(key + ".node_id", "duplicate node id");
      }
      if (absl::Status s = String(p, "cluster_addr", key + ".cluster_addr",
                                  &peer.cluster_addr);
          !s.ok()) {
        return s;
      }
      if (absl::Status s = HostPort(peer.cluster_addr, key + ".cluster_addr");
          !s.ok()) {
        return s;
      }
      if (absl::Status s =
              String(p, "api_addr", key + ".api_addr", &peer.api_addr);
          !s.ok()) {
        return s;
      }
      if (!peer.api_addr.empty()) {
        if (absl::Status s = Url(peer.api_addr, key + ".api_addr"); !s.ok()) {
          return s;
        }
      }
      c->peers.push_back(std::move(peer));
    }
  }
  if (auto it = r.find("retry_join"); it != r.end()) {
    const json list = it->is_object() ? json::array({*it}) : *it;
    if (!list.is_array()) {
      return Bad("storage.raft.retry_join", "must be a list of objects");
    }
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string key = absl::StrCat("storage.raft.retry_join[", i, "]");
      if (!list[i].is_object()) return Bad(key, "must be an object");
      if (absl::Status s = OnlyKnown(list[i], key, {"leader_api_addr"});
          !s.ok()) {
        return s;
      }
      std::string addr;
      if (absl::Status s = String(list[i], "leader_api_addr",
                                  key + ".leader_api_addr", &addr);
          !s.ok()) {
        return s;
      }
      if (absl::Status s = Url(addr, key + ".leader_api_addr"); !s.ok()) {
        return s;
      }
      c->retry_join.push_back(addr);
    }
  }
  return absl::OkStatus();
}

absl::Status ParseListener(const json& root, Config* c) {
  auto it = root.find("listener");
  if (it == root.end()) return Bad("listener.tcp", "required");
  const json* l = &*it;
  if (l->is_array()) {
    if (l->size() != 1) {
      return Bad("listener", "cofferd takes exactly one tcp listener");
    }
    l = &(*l)[0];
  }
  if (!l->is_object()) return Bad("listener", "must be an object");
  if (absl::Status s = OnlyKnown(*l, "listener", {"tcp"}); !s.ok()) return s;
  auto tcp = Object(*l, "tcp", "listener.tcp");
  if (!tcp.ok()) return tcp.status();
  if (*tcp == nullptr) return Bad("listener.tcp", "required");
  const json& t = **tcp;
  if (absl::Status s = OnlyKnown(
          t, "listener.tcp",
          {"address", "cluster_address", "tls_disable", "tls_cert_file",
           "tls_key_file", "tls_client_ca_file", "telemetry"});
      !s.ok()) {
    return s;
  }
  auto telemetry = Object(t, "telemetry", "listener.tcp.telemetry");
  if (!telemetry.ok()) return telemetry.status();
  if (*telemetry != nullptr) {
    if (absl::Status s = OnlyKnown(**telemetry, "listener.tcp.telemetry",
                                   {"unauthenticated_metrics_access"});
        !s.ok()) {
      return s;
    }
    if (absl::Status s =
            Bool(**telemetry, "unauthenticated_metrics_access",
                 "listener.tcp.telemetry.unauthenticated_metrics_access",
                 &c->telemetry_config.unauthenticated_metrics_access);
        !s.ok()) {
      return s;
    }
  }
  c->address = "127.0.0.1:8200";
  if (absl::Status s =
          String(t, "address", "listener.tcp.address", &c->address);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = HostPort(c->address, "listener.tcp.address"); !s.ok()) {
    return s;
  }
  if (absl::Status s =
          String(t, "cluster_address", "listener.tcp.cluster_address",
                 &c->cluster_address);
      !s.ok()) {
    return s;
  }
  if (c->cluster_address.empty()) {
    // Vault's default: the API port + 1.
    std::string host;
    int port = 0;
    (void)SplitHostPort(c->address, &host, &port);
    if (port == 65535) {
      return Bad("listener.tcp.cluster_address",
                 "required when the API port is 65535");
    }
    c->cluster_address = absl::StrCat(
        host.find(':') != std::string::npos ? "[" + host + "]" : host, ":",
        port + 1);
  }
  if (absl::Status s =
          HostPort(c->cluster_address, "listener.tcp.cluster_address");
      !s.ok()) {
    return s;
  }
  bool disable = false;
  if (absl::Status s =
          Bool(t, "tls_disable", "listener.tcp.tls_disable", &disable);
      !s.ok()) {
    return s;
  }
  c->tls.enabled = !disable;
  for (auto [name, out] :
       {std::pair{"tls_cert_file", &c->tls.cert_file},
        std::pair{"tls_key_file", &c->tls.key_file},
        std::pair{"tls_client_ca_file", &c->tls.client_ca_file}}) {
    const std::string key = absl::StrCat("listener.tcp.", name);
    if (absl::Status s = String(t, name, key, out); !s.ok()) return s;
    if (!out->empty() && !std::ifstream(*out).good()) {
      return Bad(key, absl::StrCat("cannot read \"", *out, "\""));
    }
  }
  if (c->tls.enabled) {
    if (c->tls.cert_file.empty()) {
      return Bad("listener.tcp.tls_cert_file",
                 "required unless tls_disable is true");
    }
    if (c->tls.key_file.empty()) {
      return Bad("listener.tcp.tls_key_file",
                 "required unless tls_disable is true");
    }
  }
  return absl::OkStatus();
}

absl::Status ParseSeal(const json& root) {
  auto it = root.find("seal");
  if (it == root.end()) return absl::OkStatus();
  if (it->is_string() && *it == "shamir") return absl::OkStatus();
  if (it->is_object() && it->size() == 1 && it->contains("shamir")) {
    return absl::OkStatus();
  }
  return Bad("seal",
             "cofferd offers only the shamir seal (auto-unseal needs a Kms "
             "that a host program supplies through the library)");
}

absl::Status ParseCoffer(const json& root, Config* c) {
  auto obj = Object(root, "coffer", "coffer");
  if (!obj.ok()) return obj.status();
  if (*obj == nullptr) return absl::OkStatus();
  const json& o = **obj;
  if (absl::Status s = OnlyKnown(
          o, "coffer", {"tick", "election_ticks", "request_timeout", "sync"});
      !s.ok()) {
    return s;
  }
  if (absl::Status s = Duration(o, "tick", "coffer.tick", &c->tick); !s.ok()) {
    return s;
  }
  if (absl::Status s = Duration(o, "request_timeout", "coffer.request_timeout",
                                &c->request_timeout);
      !s.ok()) {
    return s;
  }
  if (auto it = o.find("election_ticks"); it != o.end()) {
    if (!it->is_number_unsigned() || it->get<uint64_t>() < 2 ||
        it->get<uint64_t>() > 10000) {
      return Bad("coffer.election_ticks", "must be an integer in 2..10000");
    }
    c->election_ticks = it->get<int>();
  }
  return Bool(o, "sync", "coffer.sync", &c->sync);
}

// Turns a vault.hcl body into the JSON shape that FromJson validates, and
// remembers where each key came from, so that FromJson's "key: reason"
// becomes "line:col: key: reason". Blocks become objects nested by their
// labels (`listener "tcp" {}` is {"listener": {"tcp": {}}}); a type given
// more than once, and retry_join always, becomes a list. telemetry is kept
// aside, and seals other than shamir are refused here, by name.
class HclConfig {
 public:
  absl::Status Read(const hcl::Body& body) {
    std::vector<const hcl::Block*> seals = body.BlocksOf("seal");
    for (size_t i = 0; i < seals.size(); ++i) {
      const hcl::Block& seal = *seals[i];
      const std::string& type = seal.labels[0];  // block_labels: one
      if (i > 0) return At(seal.pos, "seal", "cofferd takes one seal");
      if (type != "shamir") {
        return At(seal.pos, absl::StrCat("seal \"", type, "\""),
                  absl::StrCat("cofferd serves only the shamir seal: \"", type,
                               "\" is an auto-unseal seal, which needs a Kms "
                               "that a host program supplies through the "
                               "library"));
      }
      if (!seal.body.attributes.empty() || !seal.body.blocks.empty()) {
        return At(seal.pos, "seal \"shamir\"", "takes no settings");
      }
    }
    std::vector<const hcl::Block*> listeners = body.BlocksOf("listener");
    if (listeners.size() > 1) {
      return At(listeners[1]->pos, "listener",
                "cofferd takes exactly one tcp listener");
    }
    std::vector<const hcl::Block*> telemetry = body.BlocksOf("telemetry");
    if (telemetry.size() > 1) {
      return At(telemetry[1]->pos, "telemetry", "given twice");
    }
    for (const hcl::Block* t : telemetry) {
      if (!t->body.blocks.empty()) {
        const hcl::Block& b = t->body.blocks[0];
        return At(b.pos, "telemetry." + b.type, "unknown block");
      }
      for (const hcl::Attribute& a : t->body.attributes) {
        std::string value =
            a.value.is_string() ? a.value.string : hcl::Format(a.value);
        if (absl::Status s = TelemetryKey(a.key, value, &telemetry_config_);
            !s.ok()) {
          return absl::InvalidArgumentError(absl::StrCat(
              a.value.pos.line, ":", a.value.pos.column, ": ", s.message()));
        }
        telemetry_.emplace_back(a.key, std::move(value));
      }
    }
    if (const hcl::Attribute* ui = body.Find("ui")) {
      const hcl::Value& v = ui->value;
      if (!v.is_bool() &&
          !(v.is_string() && (v.string == "true" || v.string == "false"))) {
        return At(v.pos, "ui", "must be true or false");
      }
    }
    hcl::Body rest = body;  // FromJson knows no telemetry
    std::erase_if(rest.blocks,
                  [](const hcl::Block& b) { return b.type == "telemetry"; });
    return ToJson(rest, "", &root_);
  }

  const json& root() const { return root_; }
  std::vector<std::pair<std::string, std::string>> telemetry() const {
    return telemetry_;
  }
  const TelemetryConfig& telemetry_config() const { return telemetry_config_; }

  // FromJson's error `s` ("key: reason"), prefixed with where that key, or
  // the nearest enclosing one, was written.
  absl::Status Locate(const absl::Status& s) const {
    const std::string message(s.message());
    std::string key = message.substr(0, message.find(": "));
    while (!key.empty()) {
      if (auto it = pos_.find(key); it != pos_.end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            it->second.line, ":", it->second.column, ": ", message));
      }
      const size_t cut = key.find_last_of(".[");
      key.resize(cut == std::string::npos ? 0 : cut);
    }
    return s;
  }

 private:
  static absl::Status At(hcl::Pos pos, absl::string_view key,
                         absl::string_view reason) {
    return absl::InvalidArgumentError(
        absl::StrCat(pos.line, ":", pos.column, ": ", key, ": ", reason));
  }
  static std::string Join(const std::string& prefix, absl::string_view key) {
    return prefix.empty() ? std::string(key) : absl::StrCat(prefix, ".", key);
  }

  absl::Status ToJson(const hcl::Body& body, const std::string& prefix,
                      json* out) {
    *out = json::object();
    for (const hcl::Attribute& a : body.attributes) {
      const std::string path = Join(prefix, a.key);
      pos_.emplace(path, a.pos);
      (*out)[a.key] = ToJson(a.value, path);
    }
    std::vector<std::string> types;  // in order of first appearance
    for (const hcl::Block& b : body.blocks) {
      if (std::find(types.begin(), types.end(), b.type) == types.end()) {
        types.push_back(b.type);
      }
    }
    for (const std::string& type : types) {
      const std::vector<const hcl::Block*> blocks = body.BlocksOf(type);
      const std::string path = Join(prefix, type);
      if (out->contains(type)) {
        return At(blocks[0]->pos, path,
                  "given both as an attribute and as a block");
      }
      const bool list = blocks.size() > 1 || type == "retry_join";
      json& slot = (*out)[type];
      if (list) slot = json::array();
      for (size_t i = 0; i < blocks.size(); ++i) {
        const hcl::Block& b = *blocks[i];
        std::string at = list ? absl::StrCat(path, "[", i, "]") : path;
        json elem;
        json* target = list ? &elem : &slot;
        pos_.emplace(at, b.pos);
        for (const std::string& label : b.labels) {
          *target = json::object();
          target = &(*target)[label];
          at = Join(at, label);
          pos_.emplace(at, b.pos);
        }
        if (absl::Status s = ToJson(b.body, at, target); !s.ok()) return s;
        if (list) slot.push_back(std::move(elem));
      }
    }
    return absl::OkStatus();
  }

  json ToJson(const hcl::Value& v, const std::string& path) {
    switch (v.kind) {
      case hcl::Value::Kind::kString:
        return v.string;
      case hcl::Value::Kind::kNumber:
        if (!v.is_integer) return v.number;
        if (v.integer >= 0) return static_cast<uint64_t>(v.integer);
        return v.integer;
      case hcl::Value::Kind::kBool:
        return v.boolean;
      case hcl::Value::Kind::kList: {
        json list = json::array();
        for (size_t i = 0; i < v.list.size(); ++i) {
          const std::string at = absl::StrCat(path, "[", i, "]");
          pos_.emplace(at, v.list[i].pos);
          list.push_back(ToJson(v.list[i], at));
        }
        return list;
      }
      case hcl::Value::Kind::kObject: {
        json obj = json::object();
        for (const hcl::Attribute& a : v.object) {
          const std::string at = Join(path, a.key);
          pos_.emplace(at, a.pos);
          obj[a.key] = ToJson(a.value, at);
        }
        return obj;
      }
    }
    return nullptr;
  }

  json root_ = json::object();
  std::map<std::string, hcl::Pos> pos_;  // key path -> where it was written
  std::vector<std::pair<std::string, std::string>> telemetry_;
  TelemetryConfig telemetry_config_;
};

}  // namespace

absl::Status SplitHostPort(absl::string_view addr, std::string* host,
                           int* port) {
  size_t colon = addr.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", addr, "\" is not host:port"));
  }
  absl::string_view h = addr.substr(0, colon);
  if (absl::ConsumePrefix(&h, "[") && !absl::ConsumeSuffix(&h, "]")) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", addr, "\" is not host:port"));
  }
  int p = 0;
  if (!absl::SimpleAtoi(addr.substr(colon + 1), &p) || p < 1 || p > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", addr, "\" has no port in 1..65535"));
  }
  *host = std::string(h);
  *port = p;
  return absl::OkStatus();
}

namespace {

// Validates a configuration in the JSON shape (from a JSON file, or built
// from a vault.hcl by HclToJson).
absl::StatusOr<Config> FromJson(const json& root) {
  if (absl::Status s = OnlyKnown(
          root, "",
          {"storage", "listener", "api_addr", "cluster_addr", "node_id",
           "disable_mlock", "seal", "coffer", "ui", "log_level", "telemetry"});
      !s.ok()) {
    return s;
  }
  Config c;
  if (absl::Status s = ParseStorage(root, &c); !s.ok()) return s;
  if (auto it = root.find("node_id"); it != root.end()) {
    absl::StatusOr<uint64_t> id = NodeId(*it, "node_id");
    if (!id.ok()) return id.status();
    if (c.node_id != 0 && c.node_id != *id) {
      return Bad("node_id", "differs from storage.raft.node_id");
    }
    c.node_id = *id;
  }
  if (c.node_id == 0) {
    return Bad("storage.raft.node_id", "required: this node's id, >= 1");
  }
  if (absl::Status s = ParseListener(root, &c); !s.ok()) return s;
  if (absl::Status s = String(root, "api_addr", "api_addr", &c.api_addr);
      !s.ok()) {
    return s;
  }
  if (c.api_addr.empty()) {
    c.api_addr =
        absl::StrCat(c.tls.enabled ? "https://" : "http://", c.address);
  }
  if (absl::Status s = Url(c.api_addr, "api_addr"); !s.ok()) return s;
  if (absl::Status s =
          String(root, "cluster_addr", "cluster_addr", &c.cluster_addr);
      !s.ok()) {
    return s;
  }
  // Vault writes cluster_addr as a URL; coffer's peers speak their own
  // protocol, so only host:port matters.
  absl::string_view ca = c.cluster_addr;
  if (absl::ConsumePrefix(&ca, "https://") ||
      absl::ConsumePrefix(&ca, "http://") ||
      absl::ConsumePrefix(&ca, "tcp://")) {
    c.cluster_addr = std::string(ca);
  }
  if (c.cluster_addr.empty()) c.cluster_addr = c.cluster_address;
  if (absl::Status s = HostPort(c.cluster_addr, "cluster_addr"); !s.ok()) {
    return s;
  }
  if (absl::Status s =
          Bool(root, "disable_mlock", "disable_mlock", &c.disable_mlock);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ParseSeal(root); !s.ok()) return s;
  if (absl::Status s = ParseTelemetry(root, &c); !s.ok()) return s;
  if (absl::Status s = ParseCoffer(root, &c); !s.ok()) return s;
  if (!c.peers.empty()) {
    bool self = false;
    for (size_t i = 0; i < c.peers.size(); ++i) {
      const PeerConfig& p = c.peers[i];
      if (p.node_id != c.node_id) continue;
      self = true;
      if (p.cluster_addr != c.cluster_addr) {
        return Bad(absl::StrCat("storage.raft.peers[", i, "].cluster_addr"),
                   absl::StrCat("differs from this node's cluster_addr \"",
                                c.cluster_addr, "\""));
      }
    }
    if (!self) {
      return Bad(
          "storage.raft.peers",
          absl::StrCat("does not list this node (node_id ", c.node_id, ")"));
    }
  }
  return c;
}

}  // namespace

absl::StatusOr<Config> ParseConfig(absl::string_view text) {
  json root;
  try {
    root = json::parse(text.begin(), text.end(), nullptr, true, true);
  } catch (const json::parse_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("not valid JSON: ", e.what()));
  }
  if (!root.is_object()) {
    return absl::InvalidArgumentError("the configuration must be an object");
  }
  return FromJson(root);
}

absl::StatusOr<Config> ParseHclConfig(absl::string_view text) {
  hcl::Options options;
  options.block_labels = {{"storage", 1},   {"listener", 1},   {"seal", 1},
                          {"telemetry", 0}, {"retry_join", 0}, {"coffer", 0}};
  absl::StatusOr<hcl::Body> body = hcl::Parse(text, options);
  if (!body.ok()) {
    absl::string_view message = body.status().message();
    absl::ConsumePrefix(&message, "hcl: ");
    return absl::InvalidArgumentError(message);
  }
  HclConfig reader;
  if (absl::Status s = reader.Read(*body); !s.ok()) return s;
  absl::StatusOr<Config> c = FromJson(reader.root());
  if (!c.ok()) return reader.Locate(c.status());
  c->telemetry = reader.telemetry();
  const bool unauthenticated =
      c->telemetry_config.unauthenticated_metrics_access;  // the listener's
  c->telemetry_config = reader.telemetry_config();
  c->telemetry_config.unauthenticated_metrics_access |= unauthenticated;
  return c;
}

absl::StatusOr<Config> LoadConfig(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read \"", file, "\""));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (absl::EndsWith(file, ".hcl")) return ParseHclConfig(text.str());
  return ParseConfig(text.str());
}

}  // namespace cofferd
