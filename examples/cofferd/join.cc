#include "join.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

namespace cofferd {
namespace {

void Log(const std::string& line) {
  std::fprintf(stderr, "cofferd: retry_join: %s\n", line.c_str());
}

// The leader as `api_addr` reports it, or nullopt.
std::optional<coffer::Peer> AskLeader(const std::string& api_addr,
                                      const Config& c) {
  std::unique_ptr<httplib::Client> client;
  if (c.tls.enabled && !c.tls.cert_file.empty()) {
    client = std::make_unique<httplib::Client>(api_addr, c.tls.cert_file,
                                               c.tls.key_file);
  } else {
    client = std::make_unique<httplib::Client>(api_addr);
  }
  if (!c.tls.client_ca_file.empty()) {
    client->set_ca_cert_path(c.tls.client_ca_file);
  }
  client->set_connection_timeout(5);
  client->set_read_timeout(10);
  httplib::Result r = client->Get("/v1/sys/leader");
  if (!r || r->status != 200) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  coffer::Peer p;
  const std::string id = j.value("leader_node_id", "");
  p.address = j.value("leader_cluster_address", "");
  if (!absl::SimpleAtoi(id, &p.id) || p.id == 0 || p.address.empty()) {
    return std::nullopt;
  }
  return p;
}

}  // namespace

RetryJoin::RetryJoin(coffer::Node* node, const Config& config)
    : node_(node), config_(config), thread_([this] { Run(); }) {}

RetryJoin::~RetryJoin() { Stop(); }

void RetryJoin::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool RetryJoin::Sleep(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, d, [this] { return stop_; });
}

void RetryJoin::Run() {
  std::chrono::milliseconds backoff(250);
  const std::chrono::milliseconds max_backoff(8000);
  for (;;) {
    // A member already (joined earlier, or bootstrapped): nothing to do.
    absl::StatusOr<std::vector<coffer::PeerInfo>> peers =
        node_->ListPeers(coffer::Caller(""));  // any token before Initialize
    if (!peers.ok()) {
      if (peers.status().message() == "node: closed") return;
      // A node of no cluster yet may fail to answer ListPeers (its access
      // check needs a cluster): not a member, so go on and ask to join.
      // A member that failed to answer will be refused by the leader.
    } else if (!peers->empty()) {
      return;
    }
    for (const std::string& addr : config_.retry_join) {
      std::optional<coffer::Peer> leader = AskLeader(addr, config_);
      if (!leader) continue;
      absl::Status s = node_->Join({*leader});
      if (s.ok()) {
        Log(absl::StrCat("asked node ", leader->id, " at ", leader->address,
                         " to join; unseal this node to answer its "
                         "challenge"));
        return;
      }
      Log(absl::StrCat("node ", leader->id, " at ", addr, ": ", s.message()));
      if (s.code() == absl::StatusCode::kInvalidArgument) return;
    }
    if (!Sleep(backoff)) return;
    backoff = std::min(backoff * 2, max_backoff);
  }
}

}  // namespace cofferd
