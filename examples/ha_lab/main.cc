// ha_lab: the hands-on lab of a Vault HA course, run in one process.
//
// Three coffer nodes talk over an in-memory transport (below). The lab
// initializes the cluster with 3 shares and a threshold of 2, unseals every
// node, enables kv-v2 at secret/, writes secret/test, lists the raft peers,
// crashes the leader, reads the secret from the new leader, saves a
// snapshot, writes secret/important, restores the snapshot and shows that
// secret/important is gone while secret/test is back. Each step is printed
// as an operator would see it with the vault CLI; the program exits
// non-zero if any step does not behave as expected.
//
// Only coffer's public API is used (include/coffer); the data directories
// live in a temporary directory that is removed at the end.
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "coffer/coffer.h"

namespace {

int failures = 0;

void Expect(bool ok, const std::string& what) {
  std::printf("  [%s] %s\n", ok ? " ok " : "FAIL", what.c_str());
  if (!ok) ++failures;
}

void Command(const std::string& line) { std::printf("\n$ %s\n", line.c_str()); }

// An in-memory network: a frame sent to an address is handed straight to
// that node's Receive (which only queues it, so Send never blocks). A node
// that is down is simply absent. Thread-safe: every node's loop sends.
class MemoryNetwork {
 public:
  class Endpoint final : public coffer::Transport {
   public:
    explicit Endpoint(MemoryNetwork* net) : net_(net) {}
    void Send(uint64_t /*to*/, const std::string& address,
              std::string frame) override {
      std::lock_guard<std::mutex> lock(net_->mu_);
      auto it = net_->nodes_.find(address);
      if (it != net_->nodes_.end()) it->second->Receive(frame);
    }

   private:
    MemoryNetwork* const net_;
  };

  void Attach(const std::string& address, coffer::Node* node) {
    std::lock_guard<std::mutex> lock(mu_);
    nodes_[address] = node;
  }
  // Returns once no frame is being delivered to `address`.
  void Detach(const std::string& address) {
    std::lock_guard<std::mutex> lock(mu_);
    nodes_.erase(address);
  }

 private:
  std::mutex mu_;
  std::map<std::string, coffer::Node*> nodes_;
};

// A temporary directory, removed with everything in it.
struct TempDir {
  TempDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "coffer-ha-lab-XXXXXX")
            .string();
    if (mkdtemp(tmpl.data()) != nullptr) path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

// The root token the demo acts with once the cluster is initialized; the
// peer listing before that takes any token.
std::string g_root_token;
coffer::Caller Root() { return coffer::Caller(g_root_token); }

struct Lab {
  MemoryNetwork net;
  std::vector<std::unique_ptr<MemoryNetwork::Endpoint>> endpoints;
  std::map<uint64_t, std::unique_ptr<coffer::Node>> nodes;
  std::string root;

  ~Lab() {
    // No frame may reach a node being closed.
    for (auto& [id, node] : nodes) net.Detach(Address(id));
    for (auto& [id, node] : nodes) node->Close();
  }

  static std::string Address(uint64_t id) {
    return "mem://node-" + std::to_string(id);
  }

  absl::Status Start(uint64_t id) {
    endpoints.push_back(std::make_unique<MemoryNetwork::Endpoint>(&net));
    coffer::NodeOptions o;
    o.id = id;
    o.address = Address(id);
    o.data_dir = root + "/node-" + std::to_string(id);
    o.transport = endpoints.back().get();
    o.tick = absl::Milliseconds(50);  // elections within about a second
    absl::StatusOr<std::unique_ptr<coffer::Node>> n = coffer::Node::Open(o);
    if (!n.ok()) return n.status();
    net.Attach(Address(id), n->get());
    nodes[id] = *std::move(n);
    return absl::OkStatus();
  }

  // A crash, as far as the others can tell: the node stops answering.
  void Crash(uint64_t id) {
    net.Detach(Address(id));
    nodes.at(id)->Close();
    nodes.erase(id);
  }

  // The leader every running node agrees on, once they do (0 on timeout).
  uint64_t WaitForLeader() {
    const absl::Time end = absl::Now() + absl::Seconds(20);
    while (absl::Now() < end) {
      uint64_t agreed = 0;
      bool all = true;
      for (auto& [id, node] : nodes) {
        absl::StatusOr<coffer::LeaderInfo> l = node->Leader();
        if (!l.ok() || l->leader_id == 0 || nodes.count(l->leader_id) == 0 ||
            (agreed != 0 && agreed != l->leader_id)) {
          all = false;
          break;
        }
        agreed = l->leader_id;
      }
      if (all && agreed != 0) return agreed;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return 0;
  }
};

void PrintPeers(coffer::Node& node) {
  absl::StatusOr<std::vector<coffer::PeerInfo>> peers = node.ListPeers(Root());
  if (!peers.ok()) {
    std::printf("  error: %s\n", peers.status().ToString().c_str());
    return;
  }
  std::printf("  %-8s %-18s %-10s %s\n", "Node", "Address", "State", "Voter");
  std::printf("  %-8s %-18s %-10s %s\n", "----", "-------", "-----", "-----");
  for (const coffer::PeerInfo& p : *peers) {
    std::printf("  %-8s %-18s %-10s %s\n",
                ("node-" + std::to_string(p.id)).c_str(), p.address.c_str(),
                p.state.c_str(), p.voter ? "true" : "false");
  }
}

void PrintSealStatus(const coffer::SealStatus& s) {
  std::printf("  Key             Value\n");
  std::printf("  ---             -----\n");
  std::printf("  Seal Type       %s\n", s.type.c_str());
  std::printf("  Initialized     %s\n", s.initialized ? "true" : "false");
  std::printf("  Sealed          %s\n", s.sealed ? "true" : "false");
  std::printf("  Total Shares    %d\n", s.shares);
  std::printf("  Threshold       %d\n", s.threshold);
  std::printf("  Unseal Progress %d/%d\n", s.progress, s.threshold);
}

void PrintWrite(const std::string& key, const coffer::VersionMetadata& m) {
  std::printf("  ==== Secret Path ====\n  secret/data/%s\n\n", key.c_str());
  std::printf("  ======= Metadata =======\n");
  std::printf("  Key                Value\n");
  std::printf("  ---                -----\n");
  std::printf(
      "  created_time       %s\n",
      absl::FormatTime(absl::RFC3339_full, m.created_time, absl::UTCTimeZone())
          .c_str());
  std::printf("  deletion_time      n/a\n");
  std::printf("  destroyed          %s\n", m.destroyed ? "true" : "false");
  std::printf("  version            %llu\n",
              static_cast<unsigned long long>(m.version));
}

// `vault kv get secret/<key>`: prints it; returns the field's value or
// nullopt when absent.
std::optional<std::string> KvGet(coffer::Node& node, const std::string& key,
                                 const std::string& field) {
  absl::StatusOr<coffer::KvReadResult> r = node.KvGet(Root(), "secret/", key);
  if (r.status().code() == absl::StatusCode::kNotFound) {
    std::printf("  No value found at secret/data/%s\n", key.c_str());
    return std::nullopt;
  }
  if (!r.ok() || !r->data.has_value()) {
    std::printf("  error: %s\n", r.status().ToString().c_str());
    return std::nullopt;
  }
  std::printf("  ====== Data ======\n  Key        Value\n  ---        -----\n");
  for (const auto& [k, v] : *r->data) {
    std::printf("  %-10s %s\n", k.c_str(), v.c_str());
  }
  auto it = r->data->find(field);
  if (it == r->data->end()) return std::nullopt;
  return it->second;
}

int RunLab(const std::string& root) {
  Lab lab;
  lab.root = root;
  std::printf("# Three nodes in one process, over an in-memory transport.\n");
  std::vector<coffer::Peer> peers;
  for (uint64_t id = 1; id <= 3; ++id) {
    Command("vault server -config=node-" + std::to_string(id) + ".hcl");
    absl::Status s = lab.Start(id);
    Expect(s.ok(), "node-" + std::to_string(id) + " started at " +
                       Lab::Address(id) + (s.ok() ? "" : ": " + s.ToString()));
    if (!s.ok()) return 1;
    peers.push_back({id, Lab::Address(id)});
  }
  for (auto& [id, node] : lab.nodes) {
    Expect(node->Bootstrap(peers).ok(),
           "node-" + std::to_string(id) + " joined the raft cluster");
  }
  uint64_t leader = lab.WaitForLeader();
  Expect(leader != 0, "a leader was elected");
  if (leader == 0) return 1;

  Command("vault operator init -key-shares=3 -key-threshold=2");
  coffer::InitializeOptions init_options;
  init_options.secret_shares = 3;
  init_options.secret_threshold = 2;
  absl::StatusOr<coffer::InitializeResult> init =
      lab.nodes.at(leader)->Initialize(init_options);
  Expect(init.ok() && init->keys.size() == 3, "the cluster is initialized");
  if (!init.ok()) return 1;
  g_root_token = init->root_token;
  for (size_t i = 0; i < init->keys.size(); ++i) {
    std::printf("  Unseal Key %zu: %s\n", i + 1, init->keys[i].c_str());
  }
  std::printf("\n  Initial Root Token: %s\n", init->root_token.c_str());
  std::printf(
      "\n  Vault initialized with 3 key shares and a key threshold of 2.\n");

  for (auto& [id, node] : lab.nodes) {
    // Each node is unsealed on its own, with any two of the three shares.
    for (int k : {0, 2}) {
      Command("VAULT_ADDR=" + Lab::Address(id) + " vault operator unseal " +
              init->keys[k].substr(0, 8) + "...");
      absl::StatusOr<coffer::SealStatus> st =
          node->SubmitUnsealKey(init->keys[k]);
      while (!st.ok() &&
             st.status().code() == absl::StatusCode::kFailedPrecondition) {
        // A follower learns of the initialization by replication.
        absl::SleepFor(absl::Milliseconds(20));
        st = node->SubmitUnsealKey(init->keys[k]);
      }
      if (!st.ok()) {
        Expect(false, "unseal: " + st.status().ToString());
        return 1;
      }
      PrintSealStatus(*st);
    }
    absl::StatusOr<coffer::SealStatus> st = node->GetSealStatus();
    Expect(st.ok() && !st->sealed,
           "node-" + std::to_string(id) + " is unsealed");
  }

  Command("vault secrets enable -path=secret kv-v2");
  Expect(lab.nodes.at(leader)->EnableKvMount(Root(), "secret/", {}).ok(),
         "Success! Enabled the kv-v2 secrets engine at: secret/");

  Command("vault kv put secret/test message=\"HA cluster working\"");
  absl::StatusOr<coffer::VersionMetadata> put = lab.nodes.at(leader)->KvPut(
      Root(), "secret/", "test", {{"message", "HA cluster working"}});
  Expect(put.ok(), "secret/test written");
  if (put.ok()) PrintWrite("test", *put);

  Command("vault operator raft list-peers");
  PrintPeers(*lab.nodes.at(leader));
  absl::StatusOr<std::vector<coffer::PeerInfo>> listed =
      lab.nodes.at(leader)->ListPeers(Root());
  Expect(listed.ok() && listed->size() == 3, "three voters, one leader");

  std::printf("\n# The leader, node-%llu, crashes.\n",
              static_cast<unsigned long long>(leader));
  const uint64_t old_leader = leader;
  lab.Crash(old_leader);
  leader = lab.WaitForLeader();
  Expect(leader != 0 && leader != old_leader,
         "the two survivors elected a new leader");
  if (leader == 0) return 1;
  coffer::Node& active = *lab.nodes.at(leader);

  Command("VAULT_ADDR=" + Lab::Address(leader) + " vault status");
  absl::StatusOr<coffer::LeaderInfo> info = active.Leader();
  if (info.ok()) {
    std::printf("  HA Enabled      %s\n", info->ha_enabled ? "true" : "false");
    std::printf("  HA Mode         %s\n", info->is_self ? "active" : "standby");
    std::printf("  Active Node     %s\n", info->leader_address.c_str());
    std::printf("  Raft Term       %llu\n",
                static_cast<unsigned long long>(info->term));
  }
  Expect(info.ok() && info->is_self,
         "node-" + std::to_string(leader) + " is the active node");

  Command("vault operator raft list-peers");
  PrintPeers(active);
  std::printf("  (node-%llu is down: it stays a member until it is removed)\n",
              static_cast<unsigned long long>(old_leader));

  Command("vault kv get secret/test");
  Expect(KvGet(active, "test", "message") == "HA cluster working",
         "the new leader serves secret/test");

  const std::string snap = root + "/backup.snap";
  Command("vault operator raft snapshot save backup.snap");
  absl::Status saved = active.SnapshotSave(Root(), snap);
  Expect(saved.ok(), "snapshot saved and verified" +
                         (saved.ok() ? "" : ": " + saved.ToString()));

  Command("vault operator raft snapshot inspect backup.snap");
  absl::StatusOr<coffer::SnapshotInspection> inspected =
      coffer::InspectSnapshot(snap);
  if (inspected.ok()) {
    const std::string text = coffer::SnapshotInspectionText(*inspected);
    size_t start = 0;
    for (size_t end; (end = text.find('\n', start)) != std::string::npos;
         start = end + 1) {
      std::printf("  %s\n", text.substr(start, end - start).c_str());
    }
  }
  Expect(inspected.ok() && inspected->records > 0,
         "the snapshot is intact (SHA-256 checked without any key)");

  Command("vault kv put secret/important data=critical");
  Expect(
      active.KvPut(Root(), "secret/", "important", {{"data", "critical"}}).ok(),
      "secret/important written after the snapshot");
  Command("vault kv get secret/important");
  Expect(KvGet(active, "important", "data") == "critical",
         "secret/important is readable");

  Command("vault operator raft snapshot restore backup.snap");
  absl::Status restored = active.SnapshotRestore(Root(), snap, {});
  Expect(restored.ok(), "snapshot restored on every node" +
                            (restored.ok() ? "" : ": " + restored.ToString()));

  Command("vault kv get secret/important");
  Expect(!KvGet(active, "important", "data").has_value(),
         "secret/important is gone: it was written after the snapshot");
  Command("vault kv get secret/test");
  Expect(KvGet(active, "test", "message") == "HA cluster working",
         "secret/test is there");

  std::printf("\n# node-%llu comes back, is unsealed, and catches up.\n",
              static_cast<unsigned long long>(old_leader));
  Expect(lab.Start(old_leader).ok(),
         "node-" + std::to_string(old_leader) + " restarted (sealed)");
  coffer::Node& back = *lab.nodes.at(old_leader);
  bool unsealed = false;
  for (int k : {1, 2}) {
    absl::StatusOr<coffer::SealStatus> st = back.SubmitUnsealKey(init->keys[k]);
    unsealed = st.ok() && !st->sealed;
  }
  Expect(unsealed, "unsealed with two shares");
  std::optional<std::string> seen;
  const absl::Time end = absl::Now() + absl::Seconds(20);
  while (absl::Now() < end) {
    absl::StatusOr<coffer::KvReadResult> r = back.KvGet(
        Root(), "secret/", "important", 0, coffer::ReadConsistency::kStale);
    absl::StatusOr<coffer::KvReadResult> t = back.KvGet(
        Root(), "secret/", "test", 0, coffer::ReadConsistency::kStale);
    if (r.status().code() == absl::StatusCode::kNotFound && t.ok() &&
        t->data.has_value()) {
      seen = t->data->at("message");
      break;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  Expect(seen == "HA cluster working", "its own copy shows the restored state");
  Command("vault operator raft list-peers");
  PrintPeers(active);

  return 0;
}

}  // namespace

int main() {
  TempDir dir;
  if (dir.path.empty()) {
    std::fprintf(stderr, "ha_lab: cannot create a temporary directory\n");
    return 1;
  }
  const int early = RunLab(dir.path);
  if (early != 0 || failures != 0) {
    std::printf("\nha_lab: %d step(s) did not behave as expected\n",
                failures + (early != 0 && failures == 0 ? 1 : 0));
    return 1;
  }
  std::printf("\nha_lab: every step behaved as expected\n");
  return 0;
}
