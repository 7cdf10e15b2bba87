// cofferd's vault.hcl reader: the same Config as the JSON file, and every
// error at the line and column of the key it names.
#include "config.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/catch.h"

namespace cofferd {
namespace {

constexpr char kHcl[] = R"(storage "raft" {
  path    = "/var/lib/cofferd"
  node_id = "2"
  peers = [
    { node_id = "1", cluster_addr = "10.0.0.1:8201", api_addr = "http://10.0.0.1:8200" },
    { node_id = 2, cluster_addr = "10.0.0.2:8201" },
  ]
  retry_join { leader_api_addr = "http://10.0.0.1:8200" }
  retry_join { leader_api_addr = "https://10.0.0.3:8200" }
}
listener "tcp" {
  address         = "10.0.0.2:8200"
  cluster_address = "10.0.0.2:8201"
  tls_disable     = "true"
}
telemetry {
  prometheus_retention_time = "30s"
  disable_hostname          = true
}
api_addr      = "http://10.0.0.2:8200"
cluster_addr  = "https://10.0.0.2:8201"
ui            = true
disable_mlock = true
seal "shamir" {}
coffer {
  tick = "50ms"
  election_ticks = 20
  request_timeout = "5s"
  sync = false
}
)";

constexpr char kJson[] = R"({
  "storage": {"raft": {
    "path": "/var/lib/cofferd", "node_id": "2",
    "peers": [{"node_id": "1", "cluster_addr": "10.0.0.1:8201",
               "api_addr": "http://10.0.0.1:8200"},
              {"node_id": 2, "cluster_addr": "10.0.0.2:8201"}],
    "retry_join": [{"leader_api_addr": "http://10.0.0.1:8200"},
                   {"leader_api_addr": "https://10.0.0.3:8200"}]}},
  "listener": {"tcp": {"address": "10.0.0.2:8200",
                       "cluster_address": "10.0.0.2:8201",
                       "tls_disable": "true"}},
  "api_addr": "http://10.0.0.2:8200", "cluster_addr": "https://10.0.0.2:8201",
  "ui": true, "disable_mlock": true, "seal": {"shamir": {}},
  "coffer": {"tick": "50ms", "election_ticks": 20, "request_timeout": "5s",
             "sync": false}
})";

std::string HclError(const std::string& text) {
  absl::StatusOr<Config> c = ParseHclConfig(text);
  INFO(text);
  REQUIRE_FALSE(c.ok());
  REQUIRE(absl::IsInvalidArgument(c.status()));
  return std::string(c.status().message());
}

const char kBase[] =
    "storage \"raft\" {\n"
    "  path = \"/d\"\n"
    "  node_id = \"1\"\n"
    "}\n"
    "listener \"tcp\" {\n"
    "  address = \"127.0.0.1:8200\"\n"
    "  tls_disable = true\n"
    "}\n";

TEST_CASE("a vault.hcl gives the same configuration as its JSON form",
          "[cofferd][config]") {
  absl::StatusOr<Config> h = ParseHclConfig(kHcl);
  REQUIRE(h.status().ToString() == "OK");
  absl::StatusOr<Config> j = ParseConfig(kJson);
  REQUIRE(j.status().ToString() == "OK");
  for (const Config* c : {&*h, &*j}) {
    CHECK(c->path == "/var/lib/cofferd");
    CHECK(c->node_id == 2);
    REQUIRE(c->peers.size() == 2);
    CHECK(c->peers[0].api_addr == "http://10.0.0.1:8200");
    CHECK(c->peers[1].cluster_addr == "10.0.0.2:8201");
    CHECK(c->retry_join == std::vector<std::string>{"http://10.0.0.1:8200",
                                                    "https://10.0.0.3:8200"});
    CHECK(c->address == "10.0.0.2:8200");
    CHECK(c->cluster_address == "10.0.0.2:8201");
    CHECK_FALSE(c->tls.enabled);
    CHECK(c->api_addr == "http://10.0.0.2:8200");
    CHECK(c->cluster_addr == "10.0.0.2:8201");
    CHECK(c->disable_mlock);
    CHECK(c->tick == absl::Milliseconds(50));
    CHECK(c->election_ticks == 20);
    CHECK(c->request_timeout == absl::Seconds(5));
    CHECK_FALSE(c->sync);
  }
  CHECK(h->telemetry == std::vector<std::pair<std::string, std::string>>{
                            {"prometheus_retention_time", "30s"},
                            {"disable_hostname", "true"}});
}

TEST_CASE("the telemetry settings cofferd uses are parsed, others kept",
          "[cofferd][config]") {
  absl::StatusOr<Config> h = ParseHclConfig(kHcl);
  REQUIRE(h.ok());
  CHECK(h->telemetry_config.prometheus_retention_time == absl::Seconds(30));
  CHECK(h->telemetry_config.disable_hostname);
  CHECK_FALSE(h->telemetry_config.unauthenticated_metrics_access);
  // Vault's place for unauthenticated access: the listener's block.
  std::string hcl = kBase;
  hcl.replace(hcl.find("  tls_disable"), 0,
              "  telemetry { unauthenticated_metrics_access = true }\n");
  absl::StatusOr<Config> l =
      ParseHclConfig(hcl +
                     "telemetry {\n  prometheus_retention_time = 0\n"
                     "  statsd_address = \"x:8125\"\n}\n");
  REQUIRE(l.status().ToString() == "OK");
  CHECK(l->telemetry_config.unauthenticated_metrics_access);
  CHECK(l->telemetry_config.prometheus_retention_time == absl::ZeroDuration());
  CHECK_FALSE(l->telemetry_config.disable_hostname);
  CHECK(l->telemetry.size() == 2);
  // The defaults, and the JSON form.
  absl::StatusOr<Config> j = ParseConfig(kJson);
  REQUIRE(j.ok());
  CHECK(j->telemetry_config.prometheus_retention_time == absl::Hours(24));
  absl::StatusOr<Config> t = ParseConfig(std::string(kJson).replace(
      std::string(kJson).rfind('}'), 1,
      R"(, "telemetry": {"prometheus_retention_time": "1h",
                "unauthenticated_metrics_access": true, "x": 1}})"));
  REQUIRE(t.status().ToString() == "OK");
  CHECK(t->telemetry_config.prometheus_retention_time == absl::Hours(1));
  CHECK(t->telemetry_config.unauthenticated_metrics_access);
  CHECK(t->telemetry.size() == 3);
  // Bad values of the known keys name the key and where.
  CHECK(HclError(std::string(kBase) +
                 "telemetry {\n  disable_hostname = \"maybe\"\n}\n") ==
        "10:22: telemetry.disable_hostname: must be true or false");
  CHECK(HclError(hcl.replace(hcl.find("metrics_access = true"), 21,
                             "metrics_access = 1")) ==
        "7:15: listener.tcp.telemetry.unauthenticated_metrics_access: must "
        "be true or false");
}

TEST_CASE("vault.hcl errors name the line, column and key",
          "[cofferd][config]") {
  const std::string base = kBase;
  CHECK(HclError(base + "max_lease_ttl = \"768h\"\n") ==
        "9:1: max_lease_ttl: unknown key (expected one of: api_addr, "
        "cluster_addr, coffer, disable_mlock, listener, log_level, node_id, "
        "seal, storage, telemetry, ui)");
  std::string consul = base;
  consul.replace(consul.find("\"raft\""), 6, "\"consul\"");
  CHECK(HclError(consul) ==
        "1:1: storage.consul: unknown key (expected one of: raft)");
  CHECK(HclError(base + "listener \"tcp\" { address = \"x:1\" }\n") ==
        "9:1: listener: cofferd takes exactly one tcp listener");
  std::string unix_socket = base;
  unix_socket.replace(unix_socket.find("\"tcp\""), 5, "\"unix\"");
  CHECK(HclError(unix_socket) ==
        "5:1: listener.unix: unknown key (expected one of: tcp)");
  CHECK(HclError(base + "seal \"gcpckms\" { project = \"p\" }\n") ==
        "9:1: seal \"gcpckms\": cofferd serves only the shamir seal: "
        "\"gcpckms\" is an auto-unseal seal, which needs a Kms that a host "
        "program supplies through the library");
  CHECK(HclError(base + "seal \"shamir\" { x = 1 }\n") ==
        "9:1: seal \"shamir\": takes no settings");
  CHECK(HclError(base + "telemetry { a = 1 }\ntelemetry { b = 2 }\n") ==
        "10:1: telemetry: given twice");
  CHECK(HclError(base + "ui = 1\n") == "9:6: ui: must be true or false");
  CHECK(HclError(base + "coffer { election_ticks = 1 }\n") ==
        "9:10: coffer.election_ticks: must be an integer in 2..10000");
  CHECK(HclError(base + "api_addr = \"10.0.0.1:8200\"\n") ==
        "9:1: api_addr: must be an http:// or https:// URL");
  std::string peers = base;
  peers.replace(peers.find("  node_id"), 0,
                "  peers = [{ node_id = \"1\", cluster_addr = \"a:1\" },\n"
                "           { node_id = \"1\", cluster_addr = \"b:1\" }]\n");
  CHECK(HclError(peers) ==
        "4:14: storage.raft.peers[1].node_id: duplicate node id");
  std::string path = base;
  path.replace(path.find("  path = \"/d\"\n"), 14, "");
  CHECK(HclError(path) ==
        "1:1: storage.raft.path: required: the node's data directory");
  CHECK(HclError("ui = true\n") == "storage.raft: required");
  CHECK(HclError(base + "a = \"open\n") == "9:5: unterminated string");
}

TEST_CASE("LoadConfig reads .hcl files as vault.hcl and others as JSON",
          "[cofferd][config]") {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("cofferd_config_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto write = [&](const char* name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  };
  absl::StatusOr<Config> h = LoadConfig(write("vault.hcl", kHcl));
  CHECK(h.ok());
  absl::StatusOr<Config> j = LoadConfig(write("cofferd.json", kJson));
  CHECK(j.ok());
  absl::StatusOr<Config> hcl_as_json = LoadConfig(write("vault.conf", kHcl));
  CHECK(absl::IsInvalidArgument(hcl_as_json.status()));
  CHECK(absl::IsNotFound(LoadConfig((dir / "none.hcl").string()).status()));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cofferd
