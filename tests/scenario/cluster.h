// A small in-memory cluster for scenario tests: every node follows the Ready
// contract against a MemoryStorage, and messages move only when a test says
// so, which makes each scenario an exact, step-by-step script.
#ifndef COFFER_TESTS_SCENARIO_CLUSTER_H_
#define COFFER_TESTS_SCENARIO_CLUSTER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/check.h"
#include "raft/memory_storage.h"
#include "raft/raft.h"

namespace coffer::raft::testing {

struct TestNode {
  uint64_t id = 0;
  MemoryStorage storage;
  std::unique_ptr<SeededRandom> random;
  std::unique_ptr<Raft> raft;
  std::vector<raftpb::Entry> applied;  // committed entries, in order
  std::vector<ReadState> read_states;  // released reads
  std::string pending_snapshot;        // chunks written so far
  std::vector<ReceivedSnapshotChunk> chunks_seen;
  size_t snapshots_installed = 0;
  std::string snapshot_data;  // the installed snapshot's data
};

class Cluster {
 public:
  using ConfigFn = std::function<void(Config&)>;

  // Nodes `ids`, bootstrapped with `voters` (default: all of ids).
  explicit Cluster(std::vector<uint64_t> ids, ConfigFn fn = nullptr,
                   std::vector<uint64_t> voters = {})
      : fn_(std::move(fn)) {
    if (voters.empty()) voters = ids;
    for (uint64_t id : ids) {
      auto n = std::make_unique<TestNode>();
      n->id = id;
      nodes_[id] = std::move(n);
      Start(id, voters);
    }
    Stabilize();
  }

  // (Re)creates the core of `id` over its storage (a restart).
  void Start(uint64_t id, const std::vector<uint64_t>& voters = {}) {
    TestNode& n = *nodes_.at(id);
    n.random = std::make_unique<SeededRandom>(id * 7919);
    Config c;
    c.id = id;
    c.storage = &n.storage;
    c.random = n.random.get();
    c.election_tick = 10;
    c.heartbeat_tick = 1;
    c.pre_vote = false;
    c.check_quorum = false;
    c.bootstrap_voters = voters;
    if (fn_) fn_(c);
    auto r = Raft::Create(c);
    COFFER_CHECK(r.ok());
    n.raft = *std::move(r);
    // A restarted node's state machine starts from its snapshot.
    n.applied.clear();
  }

  // Replaces the storage of `id` by a log whose entry i+1 has terms[i], a
  // configuration of `voters` and a hard state at `term`, then restarts it.
  void SeedLog(uint64_t id, const std::vector<uint64_t>& voters,
               const std::vector<uint64_t>& terms, uint64_t term) {
    TestNode& n = node(id);
    n.storage = MemoryStorage();
    raftpb::SnapshotMetadata meta;
    for (uint64_t v : voters) meta.mutable_conf_state()->add_voters(v);
    COFFER_CHECK(n.storage.ApplySnapshot(meta).ok());
    std::vector<raftpb::Entry> ents;
    for (size_t i = 0; i < terms.size(); ++i) {
      raftpb::Entry e;
      e.set_index(i + 1);
      e.set_term(terms[i]);
      e.set_data("t" + std::to_string(terms[i]) + "i" + std::to_string(i + 1));
      ents.push_back(e);
    }
    raftpb::HardState hs;
    hs.set_term(term);
    COFFER_CHECK(n.storage.Save(hs, ents, true).ok());
    Start(id, {});
  }

  Raft& operator[](uint64_t id) { return *nodes_.at(id)->raft; }
  TestNode& node(uint64_t id) { return *nodes_.at(id); }
  std::vector<uint64_t> ids() const {
    std::vector<uint64_t> out;
    for (auto& [id, n] : nodes_) out.push_back(id);
    return out;
  }
  void AddNode(uint64_t id) {
    auto n = std::make_unique<TestNode>();
    n->id = id;
    nodes_[id] = std::move(n);
    Start(id, {});
  }

  // Carries out every Ready of every node (the contract of raft/ready.h).
  bool ProcessReadies() {
    bool any = false;
    for (auto& [id, n] : nodes_) {
      if (!down_.count(id) && n->raft->HasReady()) {
        ProcessReady(*n);
        any = true;
      }
    }
    return any;
  }

  // Delivers queued messages (one round); returns whether any moved.
  bool DeliverAll() {
    std::deque<raftpb::Message> q = std::move(queue_);
    queue_.clear();
    for (raftpb::Message& m : q) {
      if (Dropped(m)) continue;
      absl::Status s = nodes_.at(m.to())->raft->Step(m);
      COFFER_CHECK(s.ok());
      nodes_.at(m.to())->raft->CheckInvariants();
    }
    return !q.empty();
  }

  // Runs until no node has work and no message is queued.
  void Stabilize(int max_rounds = 10000) {
    for (int i = 0; i < max_rounds; ++i) {
      bool a = ProcessReadies();
      bool b = DeliverAll();
      if (!a && !b) return;
    }
    COFFER_CHECK_MSG(false, "cluster did not stabilize");
  }

  void Tick(uint64_t id, int n = 1) {
    for (int i = 0; i < n; ++i) {
      nodes_.at(id)->raft->Tick();
      nodes_.at(id)->raft->CheckInvariants();
    }
  }
  // Ticks every live node once, then stabilizes.
  void TickAll(int n = 1) {
    for (int i = 0; i < n; ++i) {
      for (auto& [id, node] : nodes_) {
        if (!down_.count(id)) Tick(id);
      }
      Stabilize();
    }
  }

  // Makes `id` time out and campaign, then lets the cluster settle.
  void Elect(uint64_t id) {
    for (int i = 0; i < 100 && (*this)[id].role() == Role::kFollower; ++i) {
      Tick(id);
    }
    Stabilize();
  }

  std::vector<raftpb::Message> TakeQueue() {
    std::vector<raftpb::Message> out(queue_.begin(), queue_.end());
    queue_.clear();
    return out;
  }
  void Deliver(const raftpb::Message& m) {
    COFFER_CHECK(nodes_.at(m.to())->raft->Step(m).ok());
  }

  // Network faults.
  void Isolate(uint64_t id) {
    for (auto& [other, n] : nodes_) {
      if (other != id) Cut(id, other);
    }
  }
  void Cut(uint64_t a, uint64_t b) {
    cut_.insert({a, b});
    cut_.insert({b, a});
  }
  void CutOneWay(uint64_t from, uint64_t to) { cut_.insert({from, to}); }
  void Heal() {
    cut_.clear();
    drop_types_.clear();
  }
  void DropType(raftpb::MessageType t) { drop_types_.insert(t); }
  void Crash(uint64_t id) { down_.insert(id); }
  void Restart(uint64_t id) {
    down_.erase(id);
    Start(id, {});
  }

  uint64_t Leader() {
    for (auto& [id, n] : nodes_) {
      if (!down_.count(id) && n->raft->role() == Role::kLeader) return id;
    }
    return 0;
  }

 private:
  bool Dropped(const raftpb::Message& m) const {
    return down_.count(m.to()) || down_.count(m.from()) ||
           cut_.count({m.from(), m.to()}) || drop_types_.count(m.type());
  }

  void ProcessReady(TestNode& n) {
    Ready rd = n.raft->GetReady();
    for (ReceivedSnapshotChunk& c : rd.snapshot_chunks) {
      if (c.offset == 0) n.pending_snapshot.clear();
      COFFER_CHECK(c.offset == n.pending_snapshot.size());
      n.pending_snapshot += c.data;
      n.chunks_seen.push_back(c);
    }
    if (rd.snapshot) {
      n.storage.SetPendingSnapshotData(n.pending_snapshot);
      n.snapshot_data = n.pending_snapshot;
      COFFER_CHECK(n.storage.ApplySnapshot(*rd.snapshot).ok());
      ++n.snapshots_installed;
    }
    COFFER_CHECK(n.storage
                     .Save(rd.hard_state.value_or(raftpb::HardState()),
                           rd.entries, rd.must_sync)
                     .ok());
    for (raftpb::Message& m : rd.messages) queue_.push_back(std::move(m));
    for (raftpb::Entry& e : rd.committed_entries) n.applied.push_back(e);
    for (ReadState& r : rd.read_states) n.read_states.push_back(r);
    n.raft->Advance();
    n.raft->CheckInvariants();
  }

  ConfigFn fn_;
  std::map<uint64_t, std::unique_ptr<TestNode>> nodes_;
  std::deque<raftpb::Message> queue_;
  std::set<std::pair<uint64_t, uint64_t>> cut_;
  std::set<raftpb::MessageType> drop_types_;
  std::set<uint64_t> down_;
};

// Entries of `n`'s log in [lo, last], as (term) values: handy to compare.
inline std::vector<uint64_t> LogTerms(Raft& r) {
  std::vector<uint64_t> out;
  for (uint64_t i = r.log().FirstIndex(); i <= r.log().LastIndex(); ++i) {
    out.push_back(r.log().TermOrZero(i));
  }
  return out;
}

// Normal entries' data in the order they were applied.
inline std::vector<std::string> AppliedData(const TestNode& n) {
  std::vector<std::string> out;
  for (const raftpb::Entry& e : n.applied) {
    if (e.type() == raftpb::ENTRY_NORMAL && !e.data().empty()) {
      out.push_back(e.data());
    }
  }
  return out;
}

inline raftpb::ConfChange Change(raftpb::ConfChangeType t, uint64_t id) {
  raftpb::ConfChange cc;
  auto* ch = cc.add_changes();
  ch->set_type(t);
  ch->set_node_id(id);
  return cc;
}

}  // namespace coffer::raft::testing

#endif  // COFFER_TESTS_SCENARIO_CLUSTER_H_
