#include "support/cluster_fixture.h"

#include "support/catch.h"

namespace coffer::testing {

uint64_t StartCluster(TestCluster& c) {
  c.StartAndBootstrap();
  return Leader(c);
}

InitializeResult StartUnsealed(TestCluster& c, const Setup& setup) {
  const uint64_t leader = StartCluster(c);
  if (setup.before_initialize) setup.before_initialize(c);
  uint64_t via = leader;
  if (setup.via == Setup::Via::kFollower && c.ids().size() > 1) {
    via = c.AFollower(leader);
  }
  InitializeOptions opts;
  if (setup.auto_unseal) {
    opts.recovery_shares = setup.shares;
    opts.recovery_threshold = setup.threshold;
  } else {
    opts.secret_shares = setup.shares;
    opts.secret_threshold = setup.threshold;
  }
  absl::StatusOr<InitializeResult> init = c.node(via).Initialize(opts);
  if (init.ok()) c.set_root_token(init->root_token);
  INFO("initialize through node " << via << ": " << init.status());
  REQUIRE(init.ok());
  if (setup.auto_unseal) {
    WaitUnsealedAll(c);
  } else {
    const std::vector<std::string> last(init->keys.end() - setup.threshold,
                                        init->keys.end());
    for (uint64_t id : c.ids()) {
      // Every node learns of the initialization through replication.
      INFO("node " << id);
      REQUIRE(
          Eventually([&] { return Initialized(c.node(id)); }, kSetupTimeout));
      REQUIRE(c.Unseal(id, last).ok());
    }
  }
  if (!setup.kv_mount.empty()) {
    REQUIRE(c.node(Leader(c))
                .EnableKvMount(c.root(), setup.kv_mount, setup.kv_config)
                .ok());
  }
  return *std::move(init);
}

uint64_t Leader(TestCluster& c, const std::set<uint64_t>& ignore,
                absl::Duration timeout) {
  const uint64_t leader = c.WaitForLeader(timeout, ignore);
  REQUIRE(leader != 0);
  return leader;
}

std::vector<uint64_t> Followers(TestCluster& c, uint64_t leader) {
  std::vector<uint64_t> out;
  for (uint64_t id : c.ids()) {
    if (id != leader && c.running(id)) out.push_back(id);
  }
  return out;
}

Roles LeaderAndFollower(TestCluster& c) {
  Roles r;
  r.leader = Leader(c);
  r.follower = c.AFollower(r.leader);
  REQUIRE(r.follower != 0);
  return r;
}

void RestartAll(TestCluster& c) {
  for (uint64_t id : c.ids()) {
    if (c.running(id)) c.Stop(id);
  }
  for (uint64_t id : c.ids()) REQUIRE(c.Start(id).ok());
  Leader(c);
}

void UnsealAll(TestCluster& c, const std::vector<std::string>& keys) {
  for (uint64_t id : c.ids()) {
    if (!c.running(id)) continue;
    INFO("node " << id);
    REQUIRE(c.Unseal(id, keys).ok());
  }
}

void WaitUnsealedAll(TestCluster& c) {
  for (uint64_t id : c.ids()) {
    if (!c.running(id)) continue;
    INFO("node " << id);
    REQUIRE(Eventually([&] { return Unsealed(c.node(id)); }, kSetupTimeout));
  }
}

bool Initialized(Node& n) {
  absl::StatusOr<SealStatus> s = n.GetSealStatus();
  return s.ok() && s->initialized;
}

bool StaleReads(Node& n, const Caller& as, const std::string& path,
                const std::string& value) {
  return Eventually(
      [&] {
        return n.GetRaw(as, path, ReadConsistency::kStale).value_or("") ==
               value;
      },
      kSetupTimeout);
}

bool AppliedEverywhere(TestCluster& c, const std::string& path,
                       const std::string& value) {
  for (uint64_t id : c.ids()) {
    if (c.running(id) && !StaleReads(c.node(id), c.root(), path, value)) {
      UNSCOPED_INFO("node " << id << " does not read " << path);
      return false;
    }
  }
  return true;
}

void PutRawMany(Node& n, const Caller& as, const std::string& prefix, int count,
                const std::string& value) {
  for (int i = 0; i < count; ++i) {
    const std::string path = prefix + std::to_string(i);
    INFO(path);
    REQUIRE(Retry([&] { return n.PutRaw(as, path, value); }).ok());
  }
}

std::optional<PeerInfo> PeerOf(Node& n, const Caller& as, uint64_t id) {
  absl::StatusOr<std::vector<PeerInfo>> peers = n.ListPeers(as);
  if (!peers.ok()) return std::nullopt;
  for (const PeerInfo& p : *peers) {
    if (p.id == id) return p;
  }
  return std::nullopt;
}

std::set<uint64_t> Voters(Node& n, const Caller& as) {
  std::set<uint64_t> out;
  absl::StatusOr<std::vector<PeerInfo>> peers = n.ListPeers(as);
  if (!peers.ok()) return out;
  for (const PeerInfo& p : *peers) {
    if (p.voter) out.insert(p.id);
  }
  return out;
}

uint64_t LeaderSeenBy(Node& n) {
  absl::StatusOr<LeaderInfo> info = n.Leader();
  return info.ok() ? info->leader_id : 0;
}

void CheckOpenNamesField(TestCluster& c, const BadOptions& cases) {
  for (const auto& [field, mutate] : cases) {
    NodeOptions o = c.Options(1);
    mutate(o);
    absl::StatusOr<std::unique_ptr<Node>> n = Node::Open(o);
    INFO(field);
    REQUIRE(n.status().code() == Code::kInvalidArgument);
    CHECK(n.status().message().find("node: " + field) !=
          absl::string_view::npos);
  }
}

}  // namespace coffer::testing
