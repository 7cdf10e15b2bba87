#include "sim/simulation.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "raft/memory_storage.h"
#include "raft/raft.h"
#include "sim/linearizability.h"

namespace coffer::sim {
namespace {

using raft::Role;
using raftpb::Entry;
using raftpb::Message;

uint64_t g_seed = 0;

// Liveness bound: ticks from healing until a leader has committed an entry.
// Randomized timeouts make elections terminate with high probability, not
// surely (paper 5.2); this bound is many election timeouts.
constexpr int kElectionBound = 300;

// ------------------------------------------------------------ KV machine

// Entry data: id, kind, key, value, expected; separated by \x1f.
std::string EncodeCommand(const Operation& op) {
  std::string s = std::to_string(op.id);
  s += '\x1f';
  s += op.kind == OpKind::kPut ? 'p' : 'c';
  s += '\x1f' + op.key + '\x1f' + op.value + '\x1f' + op.expected;
  return s;
}

struct Command {
  uint64_t id = 0;
  char kind = 0;
  std::string key, value, expected;
};

std::optional<Command> DecodeCommand(const std::string& data) {
  std::vector<std::string> parts(1);
  for (char ch : data) {
    if (ch == '\x1f') {
      parts.emplace_back();
    } else {
      parts.back() += ch;
    }
  }
  if (parts.size() != 5 || parts[1].size() != 1) return std::nullopt;
  return Command{std::stoull(parts[0]), parts[1][0], parts[2], parts[3],
                 parts[4]};
}

using Kv = std::map<std::string, std::string>;

std::string EncodeKv(const Kv& kv) {
  std::string s;
  for (const auto& [k, v] : kv) s += k + '\0' + v + '\0';
  return s;
}

Kv DecodeKv(const std::string& s) {
  Kv kv;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t a = s.find('\0', pos);
    size_t b = s.find('\0', a + 1);
    kv[s.substr(pos, a - pos)] = s.substr(a + 1, b - a - 1);
    pos = b + 1;
  }
  return kv;
}

// ------------------------------------------------------------------ nodes

struct Node {
  uint64_t id = 0;
  // Survives crashes: the "disk".
  raft::MemoryStorage disk;
  std::string pending_snapshot;
  // Lost on a crash.
  bool up = false;
  int down_until = 0;
  int incarnation = 0;
  std::unique_ptr<raft::SeededRandom> random;
  std::unique_ptr<raft::Raft> raft;
  Kv kv;
  uint64_t applied = 0;
  uint64_t last_commit = 0;
  std::map<uint64_t, std::pair<uint64_t, size_t>> writes;  // index -> term, op
  std::map<std::string, size_t> reads;                     // ctx -> op
  std::vector<std::pair<uint64_t, size_t>> ready_reads;    // index, op
  // A leader's entries written without a sync (as coffer::Node's log
  // syncer does): (index, term) to report with Raft::Persisted once synced.
  std::vector<std::pair<uint64_t, uint64_t>> unpersisted;
};

struct Client {
  bool busy = false;
  uint64_t target = 0;  // the node it talks to; 0 to look for the leader
  size_t op = 0;
  int started = 0;
};

class Simulation {
 public:
  explicit Simulation(const SimOptions& o)
      : o_(o), rng_(o.seed * 0x9e3779b97f4a7c15ULL + 12345) {}

  SimResult Run();

 private:
  bool Chance(double p) { return (rng_.Next() % 1000000) < p * 1000000; }
  uint64_t Uniform(uint64_t n) { return rng_.Uniform(n); }
  void Fail(const std::string& what) {
    if (result_.failure.empty()) {
      result_.failure = "step " + std::to_string(step_) + ": " + what;
    }
  }

  void Start(Node& n);
  void Crash(Node& n);
  // Syncs, now and then, what a leader wrote without a sync, and tells its
  // core (Raft::Persisted).
  void SyncLater(Node& n);
  void Step(bool faults);
  void InjectFaults();
  void Send(Message m);
  void DeliverDue();
  void ProcessReady(Node& n);
  void Apply(Node& n, const Entry& e);
  void ServeReads(Node& n);
  void MaybeSnapshot(Node& n);
  void StartClientOps();
  void ChangeMembership(Node& leader);
  void CheckSafety();
  void CheckLeaderCompleteness(Node& leader);
  void CheckLogEntries(Node& n, absl::Span<const Entry> entries);
  void Complete(size_t op) {
    history_[op].response = ++clock_;
    for (Client& c : clients_) {
      if (c.busy && c.op == op) c.busy = false;
    }
  }
  void Drop(size_t op) {
    dropped_[op] = true;
    for (Client& c : clients_) {
      if (c.busy && c.op == op) c.busy = false;
    }
  }
  Node* Leader();
  bool Liveness();
  std::string Dump() const;

  SimOptions o_;
  raft::SeededRandom rng_;
  SimResult result_;
  int step_ = 0;
  uint64_t clock_ = 0;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<uint64_t> initial_;

  // Network.
  std::map<std::pair<uint64_t, uint64_t>, Message> in_flight_;  // (time, tie)
  std::set<std::pair<uint64_t, uint64_t>> blocked_;
  double drop_ = 0, dup_ = 0;
  int max_delay_ = 0;
  bool pre_vote_ = true, check_quorum_ = true;
  int snapshot_every_ = 20;
  bool faults_ = true;

  // Checks.
  std::map<uint64_t, uint64_t> leader_of_term_;
  std::map<std::pair<uint64_t, uint64_t>, std::pair<std::string, uint64_t>>
      entries_seen_;  // (i,t)
  std::map<uint64_t, std::pair<uint64_t, std::string>> applied_log_;
  uint64_t max_committed_ = 0;
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> committed_;  // i -> ct, t

  // Clients.
  std::vector<Operation> history_;
  std::vector<bool> dropped_;
  std::vector<Client> clients_;
  std::vector<std::string> written_;
};

void Simulation::Start(Node& n) {
  ++n.incarnation;
  n.random = std::make_unique<raft::SeededRandom>(o_.seed * 1000003 +
                                                  n.id * 7919 + n.incarnation);
  raft::Config c;
  c.id = n.id;
  c.storage = &n.disk;
  c.random = n.random.get();
  c.election_tick = 10;
  c.heartbeat_tick = 1;
  c.pre_vote = pre_vote_;
  c.check_quorum = check_quorum_;
  c.max_size_per_msg = 256;
  c.max_inflight_msgs = 4;
  c.max_uncommitted_entries_size = 4096;
  c.max_snapshot_chunk_bytes = 48;
  c.bootstrap_voters = initial_;
  auto r = raft::Raft::Create(c);
  if (!r.ok()) {
    Fail("restart of node " + std::to_string(n.id) +
         " failed: " + std::string(r.status().message()));
    return;
  }
  n.raft = *std::move(r);
  n.up = true;
  n.kv = DecodeKv(n.disk.snapshot_data());
  n.applied = n.disk.Snapshot().index();
  n.last_commit = n.raft->log().committed();
}

void Simulation::Crash(Node& n) {
  ++result_.crashes;
  n.up = false;
  n.raft.reset();
  n.down_until = step_ + 5 + static_cast<int>(Uniform(40));
  // Writes in flight have an unknown outcome; reads simply never answer.
  for (auto& [index, w] : n.writes) {
    for (Client& c : clients_) {
      if (c.busy && c.op == w.second) c.busy = false;
    }
  }
  for (auto& [ctx, op] : n.reads) Drop(op);
  for (auto& [index, op] : n.ready_reads) Drop(op);
  n.writes.clear();
  n.reads.clear();
  n.ready_reads.clear();
  // What was written but not synced is lost.
  n.disk.LoseUnsynced();
  n.unpersisted.clear();
}

void Simulation::SyncLater(Node& n) {
  if (n.unpersisted.empty() || !Chance(0.3)) return;
  n.disk.MarkSynced();
  for (const auto& [index, term] : n.unpersisted) {
    n.raft->Persisted(index, term);
  }
  n.unpersisted.clear();
}

Node* Simulation::Leader() {
  Node* best = nullptr;
  for (auto& n : nodes_) {
    if (n->up && n->raft->role() == Role::kLeader &&
        (best == nullptr || n->raft->term() > best->raft->term())) {
      best = n.get();
    }
  }
  return best;
}

void Simulation::Send(Message m) {
  if (Chance(drop_)) return;
  int copies = Chance(dup_) ? 2 : 1;
  for (int i = 0; i < copies; ++i) {
    uint64_t at = step_ + 1 + Uniform(max_delay_ + 1);
    in_flight_.emplace(std::make_pair(at, rng_.Next()), m);
  }
}

void Simulation::DeliverDue() {
  while (!in_flight_.empty() &&
         in_flight_.begin()->first.first <= static_cast<uint64_t>(step_)) {
    Message m = std::move(in_flight_.begin()->second);
    in_flight_.erase(in_flight_.begin());
    if (blocked_.count({m.from(), m.to()})) continue;
    Node& n = *nodes_[m.to() - 1];
    if (!n.up) continue;
    absl::Status s = n.raft->Step(m);
    if (!s.ok()) Fail("Step failed: " + std::string(s.message()));
    n.raft->CheckInvariants();
  }
}

void Simulation::CheckLogEntries(Node& n, absl::Span<const Entry> entries) {
  // Log matching (paper 5.3), checked inductively: an (index, term) pair
  // always names the same command and follows the same previous term.
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    uint64_t prev =
        i > 0 ? entries[i - 1].term() : n.raft->log().TermOrZero(e.index() - 1);
    auto [it, fresh] = entries_seen_.emplace(
        std::make_pair(e.index(), e.term()), std::make_pair(e.data(), prev));
    if (fresh) continue;
    if (it->second.first != e.data()) {
      Fail("log matching: two entries at index " + std::to_string(e.index()) +
           " term " + std::to_string(e.term()));
    }
    if (prev != 0 && it->second.second != 0 && it->second.second != prev) {
      Fail("log matching: entry " + std::to_string(e.index()) +
           " follows different terms on different nodes");
    }
  }
}

void Simulation::ProcessReady(Node& n) {
  raft::Ready rd = n.raft->GetReady();
  // Where a crash hits: before the Ready is persisted, after persisting
  // but before sending (a leader: after sending but before persisting), or
  // after both but before applying.
  int crash_at = faults_ && Chance(0.003) ? static_cast<int>(Uniform(3)) : -1;
  if (crash_at == 0) return Crash(n);
  for (raft::ReceivedSnapshotChunk& ch : rd.snapshot_chunks) {
    if (ch.offset == 0) n.pending_snapshot.clear();
    if (ch.offset != n.pending_snapshot.size()) {
      Fail("snapshot chunk out of order");
      return;
    }
    n.pending_snapshot += ch.data;
  }
  if (rd.snapshot) {
    n.disk.SetPendingSnapshotData(n.pending_snapshot);
    if (!n.disk.ApplySnapshot(*rd.snapshot).ok()) Fail("ApplySnapshot failed");
    n.kv = DecodeKv(n.pending_snapshot);
    n.applied = rd.snapshot->index();
    ++result_.snapshots_installed;
    // Writes proposed here and covered by the snapshot: outcome unknown.
    for (auto it = n.writes.begin();
         it != n.writes.end() && it->first <= n.applied;) {
      for (Client& c : clients_) {
        if (c.busy && c.op == it->second.second) c.busy = false;
      }
      it = n.writes.erase(it);
    }
  }
  CheckLogEntries(n, rd.entries);
  // Half of a leader's appends are synced later, off the Ready.
  const bool sync_later =
      rd.send_before_save && rd.must_sync && !rd.entries.empty() && Chance(0.5);
  std::optional<std::pair<uint64_t, uint64_t>> last_written;
  if (!rd.entries.empty()) {
    last_written.emplace(rd.entries.back().index(), rd.entries.back().term());
  }
  if (rd.send_before_save) {
    for (Message& m : rd.messages) Send(std::move(m));
    if (crash_at == 1) return Crash(n);
  }
  absl::Status s = n.disk.Save(rd.hard_state.value_or(raftpb::HardState()),
                               rd.entries, rd.must_sync && !sync_later);
  if (!s.ok()) Fail("Save failed: " + std::string(s.message()));
  if (!rd.send_before_save) {
    if (crash_at == 1) return Crash(n);
    for (Message& m : rd.messages) Send(std::move(m));
  }
  if (crash_at == 2) return Crash(n);
  for (const Entry& e : rd.committed_entries) Apply(n, e);
  for (raft::ReadState& rs : rd.read_states) {
    auto it = n.reads.find(rs.context);
    if (it == n.reads.end()) continue;
    n.ready_reads.emplace_back(rs.index, it->second);
    n.reads.erase(it);
  }
  if (sync_later) {
    n.raft->AdvanceWithoutPersisting();
    n.unpersisted.push_back(*last_written);
  } else {
    n.raft->Advance();
  }
  ServeReads(n);
  MaybeSnapshot(n);
}

void Simulation::Apply(Node& n, const Entry& e) {
  if (e.index() != n.applied + 1) {
    Fail("node " + std::to_string(n.id) + " applied " +
         std::to_string(e.index()) + " after " + std::to_string(n.applied));
    return;
  }
  // State machine safety (paper 5.4.3): one entry per index everywhere.
  auto [it, fresh] =
      applied_log_.emplace(e.index(), std::make_pair(e.term(), e.data()));
  if (!fresh &&
      (it->second.first != e.term() || it->second.second != e.data())) {
    Fail("state machine safety: index " + std::to_string(e.index()) +
         " applied with different entries");
  }
  n.applied = e.index();
  std::optional<Command> cmd;
  if (e.type() == raftpb::ENTRY_NORMAL && !e.data().empty()) {
    cmd = DecodeCommand(e.data());
    if (!cmd) {
      Fail("undecodable command");
      return;
    }
  }
  bool cas_ok = false;
  if (cmd) {
    std::string& v = n.kv[cmd->key];
    if (cmd->kind == 'p') {
      v = cmd->value;
    } else if (v == cmd->expected) {
      v = cmd->value;
      cas_ok = true;
    }
  }
  auto w = n.writes.find(e.index());
  if (w == n.writes.end()) return;
  auto [term, op] = w->second;
  n.writes.erase(w);
  if (cmd && e.term() == term && cmd->id == history_[op].id) {
    history_[op].ok = cas_ok;
    if (history_[op].response == Operation::kPending) Complete(op);
  } else {
    // Another entry took the index: the proposal was lost.
    Drop(op);
  }
}

void Simulation::ServeReads(Node& n) {
  for (auto it = n.ready_reads.begin(); it != n.ready_reads.end();) {
    if (it->first > n.applied) {
      ++it;
      continue;
    }
    Operation& op = history_[it->second];
    auto v = n.kv.find(op.key);
    op.output = v == n.kv.end() ? "" : v->second;
    Complete(it->second);
    it = n.ready_reads.erase(it);
  }
}

void Simulation::MaybeSnapshot(Node& n) {
  uint64_t snap = n.disk.Snapshot().index();
  if (n.applied < snap + snapshot_every_) return;
  raft::Status st = n.raft->GetStatus();
  if (st.applied != n.applied) return;
  absl::Status s =
      n.disk.CreateSnapshot(n.applied, st.conf_state, EncodeKv(n.kv));
  if (s.ok()) s = n.disk.Compact(n.applied + 1);
  if (!s.ok()) Fail("snapshot failed: " + std::string(s.message()));
}

void Simulation::StartClientOps() {
  static const char* kKeys[] = {"a", "b", "c"};
  for (Client& c : clients_) {
    if (c.busy && step_ - c.started > 40) {
      // Gives up (the outcome stays unknown) and looks for the leader.
      c.busy = false;
      c.target = 0;
    }
    if (c.busy || history_.size() >= 240 || !Chance(0.25)) continue;
    // Clients stick to the node they last reached, as real ones do, and
    // look for the leader again only after an error: this is what exposes
    // a deposed leader that still thinks it leads.
    if (c.target == 0 || !nodes_[c.target - 1]->up || Chance(0.02)) {
      Node* leader = Leader();
      if (leader != nullptr && !Chance(0.1)) {
        c.target = leader->id;
      } else {
        c.target = 1 + Uniform(nodes_.size());
      }
    }
    if (!nodes_[c.target - 1]->up) continue;
    Node& n = *nodes_[c.target - 1];
    Operation op;
    op.id = history_.size() + 1;
    op.key = kKeys[Uniform(3)];
    uint64_t r = Uniform(10);
    op.kind = r < 4 ? OpKind::kPut : r < 7 ? OpKind::kGet : OpKind::kCas;
    op.value = "v" + std::to_string(op.id);
    if (op.kind == OpKind::kCas) {
      op.expected =
          written_.empty() || Chance(0.2)
              ? ""
              : written_[written_.size() - 1 -
                         Uniform(std::min<size_t>(3, written_.size()))];
    }
    op.invoke = ++clock_;
    size_t idx = history_.size();
    if (op.kind == OpKind::kGet) {
      std::string ctx = std::to_string(op.id);
      if (!n.raft->ReadIndex(ctx).ok()) {
        c.target = 0;
        continue;
      }
      n.reads[ctx] = idx;
    } else {
      auto id = n.raft->Propose(EncodeCommand(op));
      if (!id.ok()) {
        c.target = 0;
        continue;
      }
      n.writes[id->index] = {id->term, idx};
      written_.push_back(op.value);
    }
    history_.push_back(op);
    dropped_.push_back(false);
    c.busy = true;
    c.op = idx;
    c.started = step_;
  }
}

void Simulation::ChangeMembership(Node& leader) {
  const raft::Configuration& conf = leader.raft->configuration();
  if (conf.IsJoint()) return;
  std::vector<uint64_t> voters(conf.voters.incoming.begin(),
                               conf.voters.incoming.end());
  std::vector<uint64_t> learners(conf.learners.begin(), conf.learners.end());
  std::vector<uint64_t> outside;
  for (auto& n : nodes_) {
    if (!conf.Contains(n->id)) outside.push_back(n->id);
  }
  raftpb::ConfChange cc;
  auto add = [&](raftpb::ConfChangeType t, uint64_t id) {
    auto* ch = cc.add_changes();
    ch->set_type(t);
    ch->set_node_id(id);
  };
  switch (Uniform(5)) {
    case 0:  // demote a voter
      if (voters.size() <= 2) return;
      add(raftpb::CONF_ADD_LEARNER, voters[Uniform(voters.size())]);
      break;
    case 1:  // promote a learner
      if (learners.empty()) return;
      add(raftpb::CONF_ADD_VOTER, learners[Uniform(learners.size())]);
      break;
    case 2:  // remove a voter or learner
      if (voters.size() <= 2 && learners.empty()) return;
      if (!learners.empty() && Chance(0.5)) {
        add(raftpb::CONF_REMOVE_NODE, learners[Uniform(learners.size())]);
      } else if (voters.size() > 2) {
        add(raftpb::CONF_REMOVE_NODE, voters[Uniform(voters.size())]);
      } else {
        return;
      }
      break;
    case 3:  // bring a removed node back as a learner
      if (outside.empty()) return;
      add(raftpb::CONF_ADD_LEARNER, outside[Uniform(outside.size())]);
      break;
    case 4:  // swap a voter and a learner through a joint configuration
      if (learners.empty() || voters.size() <= 2) return;
      add(raftpb::CONF_ADD_VOTER, learners[Uniform(learners.size())]);
      add(raftpb::CONF_ADD_LEARNER, voters[Uniform(voters.size())]);
      if (Chance(0.5)) cc.set_transition(raftpb::TRANSITION_JOINT_IMPLICIT);
      break;
  }
  if (leader.raft->ProposeConfChange(cc).ok()) ++result_.conf_changes;
}

void Simulation::InjectFaults() {
  int n = static_cast<int>(nodes_.size());
  if (Chance(0.01)) {
    blocked_.clear();
    Node* leader = Leader();
    if (leader != nullptr && Chance(0.3)) {
      // Cut the leader off with a minority: the deposed-leader case.
      std::vector<bool> side(n + 1);
      side[leader->id] = true;
      if (n >= 5) side[1 + Uniform(n)] = true;
      for (int a = 1; a <= n; ++a) {
        for (int b = 1; b <= n; ++b) {
          if (side[a] != side[b]) blocked_.insert({a, b});
        }
      }
    } else if (Chance(0.5)) {
      // A symmetric partition: a minority or majority side.
      std::vector<bool> side(n + 1);
      for (int i = 1; i <= n; ++i) side[i] = Chance(0.4);
      for (int a = 1; a <= n; ++a) {
        for (int b = 1; b <= n; ++b) {
          if (side[a] != side[b]) blocked_.insert({a, b});
        }
      }
    } else {
      // Asymmetric: some links fail in one direction only.
      for (int k = 0; k < 1 + n / 2; ++k) {
        blocked_.insert({1 + Uniform(n), 1 + Uniform(n)});
      }
    }
  }
  if (Chance(0.02)) blocked_.clear();
  if (Chance(0.008)) {
    Node& v = *nodes_[Uniform(n)];
    if (v.up) Crash(v);
  }
  if (Node* l = Leader()) {
    if (Chance(0.01)) ChangeMembership(*l);
    if (Chance(0.005)) {
      (void)l->raft->TransferLeadership(1 + Uniform(n));
    }
  }
}

void Simulation::Step(bool faults) {
  ++step_;
  faults_ = faults;
  if (faults) InjectFaults();
  for (auto& n : nodes_) {
    if (!n->up && step_ >= n->down_until) Start(*n);
  }
  for (auto& n : nodes_) {
    if (n->up) {
      n->raft->Tick();
      n->raft->CheckInvariants();
    }
  }
  DeliverDue();
  StartClientOps();
  for (auto& n : nodes_) {
    if (n->up) SyncLater(*n);
    if (n->up && n->raft->HasReady()) ProcessReady(*n);
    if (n->up) n->raft->CheckInvariants();
  }
  CheckSafety();
}

void Simulation::CheckLeaderCompleteness(Node& leader) {
  // Paper 5.4: a leader holds every entry committed in an earlier term.
  uint64_t term = leader.raft->term();
  const raft::RaftLog& log = leader.raft->log();
  for (const auto& [index, ct] : committed_) {
    if (ct.first >= term || index < log.FirstIndex()) continue;
    if (log.TermOrZero(index) != ct.second) {
      Fail("leader completeness: leader " + std::to_string(leader.id) +
           " of term " + std::to_string(term) + " lacks committed entry " +
           std::to_string(index) + " (term " + std::to_string(ct.second) +
           ", committed in term " + std::to_string(ct.first) + "; it has " +
           std::to_string(log.TermOrZero(index)) + ", last index " +
           std::to_string(log.LastIndex()) + ")");
      return;
    }
  }
}

void Simulation::CheckSafety() {
  for (auto& n : nodes_) {
    if (!n->up) continue;
    raft::Raft& r = *n->raft;
    uint64_t commit = r.log().committed();
    if (commit < n->last_commit) Fail("commit index went backwards");
    n->last_commit = commit;
    if (r.role() != Role::kLeader) continue;
    auto [it, fresh] = leader_of_term_.emplace(r.term(), n->id);
    if (it->second != n->id) {
      Fail("election safety: two leaders in term " + std::to_string(r.term()));
    }
    if (fresh) {
      ++result_.leaders;
      CheckLeaderCompleteness(*n);
    }
    for (uint64_t i = max_committed_ + 1; i <= commit; ++i) {
      // The leader may already have compacted it into a snapshot.
      uint64_t t = r.log().TermOrZero(i);
      auto a = applied_log_.find(i);
      if (t == 0 && a != applied_log_.end()) t = a->second.first;
      if (t != 0) committed_[i] = {r.term(), t};
    }
    max_committed_ = std::max(max_committed_, commit);
  }
}

bool Simulation::Liveness() {
  // Heal everything: restart crashed nodes, reconnect, stop losing messages.
  blocked_.clear();
  drop_ = dup_ = 0;
  // Paper 5.6: elections settle when the broadcast time is well below the
  // election timeout; the fault phase may have violated that on purpose.
  max_delay_ = std::min(max_delay_, 1);
  for (auto& n : nodes_) {
    if (!n->up) Start(*n);
  }
  int deadline = step_ + kElectionBound;
  Node* leader = nullptr;
  std::optional<raft::EntryId> marker;
  const bool trace = std::getenv("COFFER_SIM_TRACE") != nullptr;
  while (step_ < deadline) {
    Step(false);
    if (trace) std::fprintf(stderr, "step %d\n%s\n", step_, Dump().c_str());
    if (!result_.failure.empty()) return false;
    leader = Leader();
    if (leader == nullptr) continue;
    if (!marker || leader->raft->term() != marker->term) {
      auto id = leader->raft->Propose("");
      if (id.ok()) marker = *id;
      continue;
    }
    if (leader->raft->log().committed() >= marker->index) break;
  }
  if (step_ >= deadline) {
    Fail("liveness: no leader committed an entry within " +
         std::to_string(kElectionBound) + " steps of healing\n" + Dump());
    return false;
  }
  // Every member converges on the leader's state.
  int converge = step_ + o_.liveness_steps;
  while (step_ < converge) {
    Step(false);
    if (!result_.failure.empty()) return false;
    leader = Leader();
    if (leader == nullptr) continue;
    uint64_t commit = leader->raft->log().committed();
    bool all = true;
    for (auto& n : nodes_) {
      if (!leader->raft->configuration().Contains(n->id)) continue;
      if (n->applied != commit || n->kv != leader->kv) all = false;
    }
    if (all) return true;
  }
  Fail("liveness: members did not converge after healing\n" + Dump());
  return false;
}

std::string Simulation::Dump() const {
  std::string out;
  for (const auto& n : nodes_) {
    out += "  node " + std::to_string(n->id);
    if (!n->up) {
      out += " down\n";
      continue;
    }
    raft::Status st = n->raft->GetStatus();
    out += std::string(" ") + raft::RoleName(st.role) +
           " term=" + std::to_string(st.term) +
           " vote=" + std::to_string(st.voted_for) +
           " lead=" + std::to_string(st.lead) +
           " commit=" + std::to_string(st.commit_index) +
           " applied=" + std::to_string(n->applied) +
           " last=" + std::to_string(st.last_index) + "/" +
           std::to_string(n->raft->log().LastTerm()) + " voters=";
    for (uint64_t v : st.conf_state.voters()) out += std::to_string(v) + ",";
    out += " outgoing=";
    for (uint64_t v : st.conf_state.voters_outgoing()) {
      out += std::to_string(v) + ",";
    }
    out += " learners=";
    for (uint64_t v : st.conf_state.learners()) out += std::to_string(v) + ",";
    out += "\n";
  }
  out += std::string("  pre_vote=") + (pre_vote_ ? "1" : "0") +
         " check_quorum=" + (check_quorum_ ? "1" : "0");
  return out;
}

SimResult Simulation::Run() {
  g_seed = o_.seed;
  for (int i = 1; i <= o_.nodes; ++i) initial_.push_back(i);
  pre_vote_ = Chance(0.8);
  check_quorum_ = Chance(0.8);
  drop_ = Chance(0.3) ? 0 : 0.1 * (Uniform(100) / 100.0);
  dup_ = 0.05 * (Uniform(100) / 100.0);
  max_delay_ = static_cast<int>(Uniform(4));
  snapshot_every_ = 5 + static_cast<int>(Uniform(30));
  clients_.resize(3);
  for (int i = 1; i <= o_.nodes; ++i) {
    auto n = std::make_unique<Node>();
    n->id = i;
    nodes_.push_back(std::move(n));
    Start(*nodes_.back());
  }
  for (int i = 0; i < o_.fault_steps && result_.failure.empty(); ++i) {
    Step(true);
  }
  if (result_.failure.empty()) Liveness();
  if (result_.failure.empty()) {
    std::vector<Operation> h;
    for (size_t i = 0; i < history_.size(); ++i) {
      if (dropped_[i]) continue;
      if (history_[i].kind == OpKind::kGet &&
          history_[i].response == Operation::kPending) {
        continue;
      }
      h.push_back(history_[i]);
    }
    std::string lin = CheckLinearizable(h);
    if (!lin.empty()) Fail("linearizability: " + lin);
    result_.client_ops = h.size();
  }
  result_.committed = max_committed_;
  return result_;
}

}  // namespace

SimResult RunSimulation(const SimOptions& options) {
  return Simulation(options).Run();
}

uint64_t CurrentSeed() { return g_seed; }

}  // namespace coffer::sim
