// cofferd's configuration: a JSON file in HashiCorp Vault's vocabulary.
//
//   {
//     "storage": {"raft": {
//       "path": "/var/lib/cofferd",          // required: the data directory
//       "node_id": "1",                      // required: an integer >= 1
//       "peers": [                           // coffer: the initial voters
//         {"node_id": "1", "cluster_addr": "10.0.0.1:8201",
//          "api_addr": "https://10.0.0.1:8200"}, ...],
//       "retry_join": [{"leader_api_addr": "https://10.0.0.1:8200"}]
//     }},
//     "listener": {"tcp": {                  // or a list of one {"tcp": ...}
//       "address": "127.0.0.1:8200",         // the HTTP API
//       "cluster_address": "127.0.0.1:8201", // peer traffic
//       "tls_disable": false, "tls_cert_file": "...", "tls_key_file": "...",
//       "tls_client_ca_file": "...",         // given: mutual TLS
//       "telemetry": {"unauthenticated_metrics_access": false}
//     }},
//     "api_addr": "https://10.0.0.1:8200", "cluster_addr": "10.0.0.1:8201",
//     "disable_mlock": false,
//     "telemetry": {"prometheus_retention_time": "24h",
//                   "disable_hostname": true},      // other keys: kept
//     "seal": {"shamir": {}},                // the only seal cofferd offers
//     "coffer": {"tick": "100ms", "election_ticks": 10,
//                "request_timeout": "10s", "sync": true}
//   }
//
// node_id may also sit at the top level (as Vault allows). Unknown keys are
// rejected, so a misspelt key cannot silently change nothing.
//
// A file whose name ends in .hcl is read as Vault's own vault.hcl (as Vault
// picks the format by extension; anything else is JSON, as before), with
// the same keys and rules in HCL's shape:
//
//   storage "raft" {
//     path    = "/var/lib/cofferd"
//     node_id = "1"
//     retry_join { leader_api_addr = "https://10.0.0.1:8200" }   // repeats
//     peers = [{ node_id = "1", cluster_addr = "10.0.0.1:8201" }] // coffer
//   }
//   listener "tcp" { address = "...", cluster_address = "...",
//                    tls_disable = true, tls_cert_file = "...", ... }
//   api_addr = "..."  cluster_addr = "..."  ui = true  disable_mlock = true
//   telemetry { prometheus_retention_time = "30s"     // see TelemetryConfig
//               disable_hostname = true }            // others: kept
//   listener "tcp" { telemetry { unauthenticated_metrics_access = true } }
//   seal "shamir" {}                                 // others: refused
//   coffer { tick = "100ms" }
//
// Its errors say where: "12:3: storage.raft.node_id: must be an integer
// >= 1 ..." (line:column of the key, or of the nearest enclosing block).
// cofferd serves no UI: `ui` must be a boolean and is otherwise ignored.
//
// Thread-safety: plain values and pure functions.
#ifndef COFFER_EXAMPLES_COFFERD_CONFIG_H_
#define COFFER_EXAMPLES_COFFERD_CONFIG_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cofferd {

struct PeerConfig {
  uint64_t node_id = 0;
  std::string cluster_addr;  // host:port of its peer listener
  std::string api_addr;      // its HTTP API URL; may be empty
};

struct TlsConfig {
  bool enabled = false;        // !tls_disable
  std::string cert_file;       // PEM certificate chain
  std::string key_file;        // PEM private key
  std::string client_ca_file;  // PEM CA; set: peers must present a cert
};

// Metrics settings (Vault's telemetry stanza and the listener's telemetry
// block); see metrics.h.
struct TelemetryConfig {
  // telemetry.prometheus_retention_time (Vault's default 24h; a duration,
  // or an integer of seconds). Zero refuses ?format=prometheus, as Vault.
  // cofferd never expires a value: the library reports a gauge only when
  // it changes, so an unchanged gauge must not vanish after the period.
  absl::Duration prometheus_retention_time = absl::Hours(24);
  // telemetry.disable_hostname: false labels every gauge host="<name>"
  // (Vault prefixes the gauge's name with it instead; see docs/design.md).
  bool disable_hostname = false;
  // listener.tcp.telemetry.unauthenticated_metrics_access (Vault's place;
  // also accepted in the top-level telemetry stanza): sys/metrics without
  // a token.
  bool unauthenticated_metrics_access = false;
};

struct Config {
  std::string path;  // storage.raft.path
  uint64_t node_id = 0;
  std::vector<PeerConfig> peers;        // storage.raft.peers
  std::vector<std::string> retry_join;  // leader_api_addr of each entry
  std::string address;                  // listener.tcp.address (host:port)
  std::string cluster_address;  // listener.tcp.cluster_address (host:port)
  TlsConfig tls;
  std::string api_addr;      // advertised HTTP API URL
  std::string cluster_addr;  // advertised peer address (host:port)
  bool disable_mlock = false;
  // coffer's tuning ("coffer" object), defaults as in coffer::NodeOptions.
  absl::Duration tick = absl::Milliseconds(100);
  int election_ticks = 10;
  absl::Duration request_timeout = absl::Seconds(10);
  bool sync = true;
  // vault.hcl's telemetry { } settings (key, value as written), all kept;
  // the ones cofferd uses are also parsed into telemetry_config, the others
  // (statsd_address, ...) are accepted so that a Vault file loads.
  std::vector<std::pair<std::string, std::string>> telemetry;
  TelemetryConfig telemetry_config;
};

// Parses and validates a configuration. kInvalidArgument naming the key and
// the reason ("storage.raft.path: required: the data directory").
absl::StatusOr<Config> ParseConfig(absl::string_view json);
// Parses and validates a vault.hcl configuration; kInvalidArgument
// "line:col: key: reason" (no position when a required key is absent).
absl::StatusOr<Config> ParseHclConfig(absl::string_view hcl);
// Reads `file` and parses it (ParseHclConfig when its name ends in .hcl,
// else ParseConfig); kNotFound / kInvalidArgument.
absl::StatusOr<Config> LoadConfig(const std::string& file);

// Splits "host:port" (host may be "[v6]"); kInvalidArgument otherwise.
absl::Status SplitHostPort(absl::string_view addr, std::string* host,
                           int* port);

}  // namespace cofferd

#endif  // COFFER_EXAMPLES_COFFERD_CONFIG_H_
