// cofferd: one coffer node per process, with Vault's HTTP API.
//
//   cofferd [server] -config=FILE
//
// Exit codes: 0 after SIGINT/SIGTERM, 1 when it cannot start, 2 for a bad
// configuration (the message names the key and the reason).
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "coffer/node.h"
#include "config.h"
#include "http_api.h"
#include "http_server.h"
#include "httplib.h"
#include "join.h"
#include "metrics.h"
#include "peer_transport.h"

namespace cofferd {
namespace {

void Log(const std::string& line) {
  std::fprintf(stderr, "cofferd: %s\n", line.c_str());
}

// The node's warnings and errors (peers.json recovery, a stopped node, a
// refused frame) on stderr, as the daemon's own lines; thread-safe
// (one fprintf per line).
class StderrLogger final : public coffer::Logger {
 public:
  void Log(coffer::LogLevel level, absl::string_view message) override {
    if (level < coffer::LogLevel::kWarning) return;
    std::fprintf(stderr, "cofferd: %s: %.*s\n", coffer::LogLevelName(level),
                 static_cast<int>(message.size()), message.data());
  }
};

// Vault keeps peers.json in <path>/raft/; the library reads it from the
// data directory itself (node/recover.h). A file in Vault's place is moved
// there first. Returns false (and says why) if it cannot be, or if both
// places hold one.
bool MoveVaultPeersFile(const std::string& path) {
  const std::filesystem::path vault =
      std::filesystem::path(path) / "raft" / "peers.json";
  const std::filesystem::path ours = std::filesystem::path(path) / "peers.json";
  std::error_code ec;
  if (!std::filesystem::exists(vault, ec)) return true;
  if (std::filesystem::exists(ours, ec)) {
    Log(absl::StrCat("both ", vault.string(), " and ", ours.string(),
                     " exist: keep one"));
    return false;
  }
  std::filesystem::rename(vault, ours, ec);
  if (ec) {
    Log(absl::StrCat("cannot move ", vault.string(), " to ", ours.string(),
                     ": ", ec.message()));
    return false;
  }
  return true;
}

int Usage() {
  std::fprintf(stderr, "usage: cofferd [server] -config=FILE\n");
  return 2;
}

// The voters a new node bootstraps with: storage.raft.peers, or itself
// alone when it has neither peers nor retry_join (a single-node cluster,
// as Vault's first node). With retry_join only, it waits to be added.
std::vector<coffer::Peer> BootstrapPeers(const Config& c) {
  std::vector<coffer::Peer> peers;
  for (const PeerConfig& p : c.peers) {
    peers.push_back(coffer::Peer{p.node_id, p.cluster_addr});
  }
  if (peers.empty() && c.retry_join.empty()) {
    peers.push_back(coffer::Peer{c.node_id, c.cluster_addr});
  }
  return peers;
}

// Every HTTP connection and peer connection holds a descriptor, and the
// usual soft limit (1024) is below kMaxConnectionThreads: take the hard
// limit.
void RaiseFileLimit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur >= r.rlim_max) return;
  const rlim_t want = r.rlim_cur;
  r.rlim_cur = r.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &r) != 0) {
    Log(absl::StrCat("cannot raise the open-file limit above ", want));
  }
}

int Run(const std::string& config_file) {
  absl::StatusOr<Config> config = LoadConfig(config_file);
  if (!config.ok()) {
    std::fprintf(stderr, "cofferd: %s: %s\n", config_file.c_str(),
                 std::string(config.status().message()).c_str());
    return 2;
  }
  const Config& c = *config;

  // Signals are taken by sigwait below; every thread started from here on
  // inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  RaiseFileLimit();

  ApiAddrs api_addrs;
  for (const PeerConfig& p : c.peers) {
    if (!p.api_addr.empty()) api_addrs.Configure(p.node_id, p.api_addr);
  }
  PeerTransport::Options topts;
  topts.listen = c.cluster_address;
  topts.tls = c.tls;
  topts.hello = Hello{c.node_id, c.api_addr};
  topts.api_addrs = &api_addrs;
  absl::StatusOr<std::unique_ptr<PeerTransport>> transport =
      PeerTransport::Start(topts);
  if (!transport.ok()) {
    Log(std::string(transport.status().message()));
    return transport.status().code() == absl::StatusCode::kInvalidArgument ? 2
                                                                           : 1;
  }

  if (!MoveVaultPeersFile(c.path)) return 2;
  StderrLogger logger;
  // Before the node, which reports to it, and outliving it.
  std::string hostname;
  if (!c.telemetry_config.disable_hostname) {
    char name[256] = {};
    if (gethostname(name, sizeof(name) - 1) == 0) hostname = name;
  }
  MetricsRegistry metrics(hostname);

  coffer::NodeOptions o;
  o.logger = &logger;
  o.id = c.node_id;
  o.address = c.cluster_addr;
  o.data_dir = c.path;
  o.transport = transport->get();
  o.tick = c.tick;
  o.election_ticks = c.election_ticks;
  o.request_timeout = c.request_timeout;
  o.sync = c.sync;
  o.mlock = !c.disable_mlock;
  o.metrics = &metrics;
  absl::StatusOr<std::unique_ptr<coffer::Node>> node = coffer::Node::Open(o);
  if (!node.ok()) {
    Log(std::string(node.status().message()));
    return node.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  (*transport)->Serve(node->get());

  const std::vector<coffer::Peer> peers = BootstrapPeers(c);
  if (!peers.empty()) {
    absl::Status s = (*node)->Bootstrap(peers);
    if (s.ok()) {
      Log(absl::StrCat("bootstrapped a new cluster of ", peers.size(),
                       " voter(s)"));
    } else if (s.code() != absl::StatusCode::kFailedPrecondition) {
      Log(std::string(s.message()));
      return 1;
    }
  }
  std::unique_ptr<RetryJoin> joiner;
  if (peers.empty()) {
    Log("joining through retry_join");
    joiner = std::make_unique<RetryJoin>(node->get(), c);
  }

  absl::StatusOr<std::unique_ptr<httplib::Server>> made = NewHttpServer(c.tls);
  if (!made.ok()) {
    Log(std::string(made.status().message()));
    return 2;
  }
  std::unique_ptr<httplib::Server> server = *std::move(made);
  HttpApiOptions api;
  api.api_addr = c.api_addr;
  api.scratch_dir = c.path;
  api.metrics = &metrics;
  api.api_addrs = &api_addrs;
  RegisterMetricsApi(server.get(), node->get(), &metrics,
                     c.telemetry_config);  // before the catch-all
  RegisterHttpApi(server.get(), node->get(), api);
  std::string host;
  int port = 0;
  (void)SplitHostPort(c.address, &host, &port);
  if (!Listen(server.get(), host, port)) {
    Log(absl::StrCat("cannot listen on ", c.address));
    return 1;
  }
  std::thread http([&server] { server->listen_after_bind(); });
  Log(absl::StrCat("node ", c.node_id, ": API on ", c.api_addr, ", peers on ",
                   c.cluster_address, c.tls.enabled ? " (TLS)" : ""));

  int sig = 0;
  sigwait(&signals, &sig);
  Log(absl::StrCat("signal ", sig, ": shutting down"));
  server->stop();
  http.join();
  (*node)->Close();  // a pending Join returns
  if (joiner) joiner->Stop();
  (*transport)->Stop();
  return 0;
}

}  // namespace
}  // namespace cofferd

int main(int argc, char** argv) {
  std::string config;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i == 1 && arg == "server") continue;
    for (const char* flag : {"-config", "--config"}) {
      if (arg == flag && i + 1 < argc) {
        config = argv[++i];
      } else if (absl::StartsWith(arg, absl::StrCat(flag, "="))) {
        config = arg.substr(std::string(flag).size() + 1);
      } else {
        continue;
      }
      arg.clear();
      break;
    }
    if (!arg.empty()) return cofferd::Usage();
  }
  if (config.empty()) return cofferd::Usage();
  return cofferd::Run(config);
}
