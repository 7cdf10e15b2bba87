#include "node/test_cluster.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "base/check.h"

namespace coffer::testing {

class TestNetwork::Endpoint_ final : public Transport {
 public:
  Endpoint_(TestNetwork* net, uint64_t id) : net_(net), id_(id) {}
  void Send(uint64_t to, const std::string& address,
            std::string frame) override {
    // The address must be the one the cluster configured for `to`.
    if (!address.empty() && address != TestCluster::Address(to)) {
      COFFER_CHECK(net_->drop_unroutable());
      return;
    }
    net_->Deliver(id_, to, frame);
  }

 private:
  TestNetwork* const net_;
  const uint64_t id_;
};

void TestNetwork::DropUnroutable(bool on) {
  absl::MutexLock lock(&mu_);
  drop_unroutable_ = on;
}

bool TestNetwork::drop_unroutable() const {
  absl::MutexLock lock(&mu_);
  return drop_unroutable_;
}

Transport* TestNetwork::Endpoint(uint64_t id) {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<Transport>& e = endpoints_[id];
  if (e == nullptr) e = std::make_unique<Endpoint_>(this, id);
  return e.get();
}

void TestNetwork::Attach(uint64_t id, Node* node) {
  absl::MutexLock lock(&mu_);
  nodes_[id] = node;
}

void TestNetwork::Detach(uint64_t id) {
  absl::MutexLock lock(&mu_);
  nodes_.erase(id);
}

void TestNetwork::Isolate(uint64_t id) {
  absl::MutexLock lock(&mu_);
  isolated_.insert(id);
}

void TestNetwork::Heal() {
  absl::MutexLock lock(&mu_);
  isolated_.clear();
}

void TestNetwork::SetFaults(double drop, double duplicate) {
  absl::MutexLock lock(&mu_);
  drop_ = drop;
  duplicate_ = duplicate;
}

void TestNetwork::DropIf(
    std::function<bool(uint64_t, uint64_t, const std::string&)> drop) {
  absl::MutexLock lock(&mu_);
  drop_if_ = std::move(drop);
}

uint64_t TestNetwork::dropped() const {
  absl::MutexLock lock(&mu_);
  return dropped_;
}

uint64_t TestNetwork::duplicated() const {
  absl::MutexLock lock(&mu_);
  return duplicated_;
}

void TestNetwork::Deliver(uint64_t from, uint64_t to,
                          const std::string& frame) {
  // Holding mu_ while handing over keeps Detach from racing a delivery;
  // Receive only queues, so this never waits on the destination's loop.
  absl::MutexLock lock(&mu_);
  auto it = nodes_.find(to);
  if (it == nodes_.end() || isolated_.count(from) || isolated_.count(to)) {
    return;
  }
  if (drop_if_ && drop_if_(from, to, frame)) return;
  std::uniform_real_distribution<double> u(0, 1);
  if (drop_ > 0 && u(rng_) < drop_) {
    ++dropped_;
    return;
  }
  it->second->Receive(frame);
  if (duplicate_ > 0 && u(rng_) < duplicate_) {
    ++duplicated_;
    it->second->Receive(frame);
  }
}

TestCluster::TestCluster(int n, uint64_t seed) : network_(seed) {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "coffer-node-XXXXXX").string();
  COFFER_CHECK(mkdtemp(tmpl.data()) != nullptr);
  root_ = tmpl;
  for (int i = 1; i <= n; ++i) ids_.push_back(static_cast<uint64_t>(i));
}

TestCluster::~TestCluster() {
  for (uint64_t id : ids_) {
    if (running(id)) Stop(id);
  }
  std::error_code ec;
  std::filesystem::remove_all(root_, ec);
}

// Sanitizer builds run several times slower, and a loop turn can outlast
// ten 10 ms ticks: a longer tick keeps elections from firing on a slow
// turn (tests that wait for one simply wait longer).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr absl::Duration kTick = absl::Milliseconds(30);
#else
constexpr absl::Duration kTick = absl::Milliseconds(10);
#endif

NodeOptions TestCluster::Options(uint64_t id) {
  NodeOptions o;
  o.id = id;
  o.address = Address(id);
  o.data_dir = root_ + "/n" + std::to_string(id);
  o.transport = network_.Endpoint(id);
  o.tick = kTick;
  o.election_ticks = 10;
  o.heartbeat_ticks = 1;
  o.request_timeout = absl::Seconds(3);
  o.random_seed = id * 7919;
  if (tweak) tweak(o);
  return o;
}

absl::Status TestCluster::Start(uint64_t id) {
  COFFER_CHECK(!running(id));
  absl::StatusOr<std::unique_ptr<Node>> n = Node::Open(Options(id));
  if (!n.ok()) return n.status();
  nodes_[id] = *std::move(n);
  network_.Attach(id, nodes_[id].get());
  return absl::OkStatus();
}

void TestCluster::Stop(uint64_t id) {
  network_.Detach(id);
  nodes_.at(id)->Close();
  nodes_.erase(id);
}

void TestCluster::StartAndBootstrap() {
  std::vector<Peer> peers;
  for (uint64_t id : ids_) peers.push_back(Peer{id, Address(id)});
  for (uint64_t id : ids_) COFFER_CHECK(Start(id).ok());
  for (uint64_t id : ids_) COFFER_CHECK(node(id).Bootstrap(peers).ok());
}

uint64_t TestCluster::WaitForLeader(absl::Duration timeout,
                                    const std::set<uint64_t>& ignore) {
  uint64_t leader = 0;
  Eventually(
      [&] {
        leader = 0;
        for (auto& [id, n] : nodes_) {
          if (ignore.count(id)) continue;
          absl::StatusOr<LeaderInfo> info = n->Leader();
          if (!info.ok() || info->leader_id == 0) return false;
          if (leader != 0 && leader != info->leader_id) return false;
          leader = info->leader_id;
        }
        return leader != 0 && running(leader) && !ignore.count(leader);
      },
      timeout);
  return leader;
}

absl::Status TestCluster::Unseal(uint64_t id,
                                 const std::vector<std::string>& keys) {
  for (const std::string& k : keys) {
    absl::StatusOr<SealStatus> s = node(id).SubmitUnsealKey(k);
    if (!s.ok()) return s.status();
    if (!s->sealed) return absl::OkStatus();
  }
  return absl::FailedPreconditionError("still sealed");
}

absl::StatusOr<std::vector<std::string>> TestCluster::StartInitialized(
    int shares, int threshold, uint64_t via) {
  StartAndBootstrap();
  const uint64_t leader = WaitForLeader();
  if (leader == 0) return absl::UnavailableError("no leader");
  if (via == 0) via = ids_.size() > 1 ? AFollower(leader) : leader;
  InitializeOptions opts;
  opts.secret_shares = shares;
  opts.secret_threshold = threshold;
  absl::StatusOr<InitializeResult> init = node(via).Initialize(opts);
  if (!init.ok()) return init.status();
  set_root_token(init->root_token);
  const std::vector<std::string> last(init->keys.end() - threshold,
                                      init->keys.end());
  for (uint64_t id : ids_) {
    // Every node learns of the initialization through replication.
    if (!Eventually([&] {
          absl::StatusOr<SealStatus> s = node(id).GetSealStatus();
          return s.ok() && s->initialized;
        })) {
      return absl::DeadlineExceededError("initialization not replicated");
    }
    if (absl::Status s = Unseal(id, last); !s.ok()) return s;
  }
  return init->keys;
}

uint64_t TestCluster::AFollower(uint64_t leader) const {
  for (uint64_t id : ids_) {
    if (id != leader && running(id)) return id;
  }
  return 0;
}

std::vector<Peer> PeersOf(const std::vector<uint64_t>& ids) {
  std::vector<Peer> out;
  for (uint64_t id : ids) out.push_back(Peer{id, TestCluster::Address(id)});
  return out;
}

bool Unsealed(Node& n) {
  absl::StatusOr<SealStatus> s = n.GetSealStatus();
  return s.ok() && s->initialized && !s->sealed;
}

bool Eventually(const std::function<bool()>& cond, absl::Duration timeout) {
  const absl::Time end = absl::Now() + timeout;
  while (absl::Now() < end) {
    if (cond()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return cond();
}

DiskScan ScanDataDirs(TestCluster& c, const std::vector<std::string>& needles) {
  DiskScan scan;
  for (uint64_t id : c.ids()) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(
             c.Options(id).data_dir)) {
      if (!e.is_regular_file()) continue;
      std::ifstream in(e.path(), std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
      ++scan.files;
      for (const std::string& needle : needles) {
        if (bytes.find(needle) != std::string::npos) {
          scan.files_with_needle.push_back(e.path().string());
          break;
        }
      }
    }
  }
  return scan;
}

StateOnDisk OpenStateOnDisk(TestCluster& c, uint64_t id) {
  COFFER_CHECK(!c.running(id));
  storage::DbOptions o;
  o.path = c.Options(id).data_dir + "/db";
  o.create_if_missing = false;
  absl::StatusOr<std::unique_ptr<storage::Db>> db = storage::Db::Open(o);
  COFFER_CHECK(db.ok());
  absl::StatusOr<std::unique_ptr<storage::LevelDbStateStore>> state =
      storage::LevelDbStateStore::Open(db->get());
  COFFER_CHECK(state.ok());
  return StateOnDisk{*std::move(db), *std::move(state)};
}

}  // namespace coffer::testing
