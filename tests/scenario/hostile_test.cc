// Messages no correct peer sends: the core must refuse or ignore them, never
// abort the host's process, and keep its invariants. A peer's frames reach
// the core through the host's transport; a bug or a corrupted frame there
// must cost at most that message.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "raft/memory_storage.h"
#include "raft/raft.h"
#include "support/catch.h"

namespace coffer::raft {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

// Node 1 of {1, 2, 3} over a log of terms 1 1 2 2 3 (hard state term 3),
// carrying out its Readies as a host would.
class Target {
 public:
  explicit Target(uint64_t seed) : random_(seed) {
    raftpb::SnapshotMetadata meta;
    for (uint64_t v : {1, 2, 3}) meta.mutable_conf_state()->add_voters(v);
    REQUIRE(storage_.ApplySnapshot(meta).ok());
    std::vector<raftpb::Entry> ents;
    const uint64_t terms[] = {1, 1, 2, 2, 3};
    for (uint64_t i = 0; i < 5; ++i) {
      raftpb::Entry e;
      e.set_index(i + 1);
      e.set_term(terms[i]);
      e.set_data("e" + std::to_string(i + 1));
      ents.push_back(e);
    }
    raftpb::HardState hs;
    hs.set_term(3);
    hs.set_commit(2);
    REQUIRE(storage_.Save(hs, ents, true).ok());
    Config c;
    c.id = 1;
    c.storage = &storage_;
    c.random = &random_;
    c.election_tick = 10;
    c.heartbeat_tick = 1;
    auto r = Raft::Create(c);
    REQUIRE(r.ok());
    raft_ = *std::move(r);
  }

  Raft& raft() { return *raft_; }

  // Makes node 1 leader: it campaigns and node 2 votes for it.
  void Lead() {
    for (int i = 0; i < 30 && raft_->role() != Role::kCandidate &&
                    raft_->role() != Role::kPreCandidate;
         ++i) {
      raft_->Tick();
      Drain();
    }
    for (int round = 0; round < 2 && raft_->role() != Role::kLeader; ++round) {
      raftpb::Message m;
      m.set_type(raft_->role() == Role::kPreCandidate
                     ? raftpb::MSG_PRE_VOTE_RESP
                     : raftpb::MSG_VOTE_RESP);
      m.set_to(1);
      m.set_from(2);
      m.set_term(raft_->role() == Role::kPreCandidate ? raft_->term() + 1
                                                      : raft_->term());
      REQUIRE(raft_->Step(m).ok());
      Drain();
    }
    REQUIRE(raft_->role() == Role::kLeader);
  }

  // Carries out every Ready (chunks that do not follow the data received
  // so far are dropped, as a node's receiver does).
  void Drain() {
    for (int i = 0; i < 100 && raft_->HasReady(); ++i) {
      Ready rd = raft_->GetReady();
      for (const ReceivedSnapshotChunk& c : rd.snapshot_chunks) {
        if (c.offset == 0) pending_.clear();
        if (c.offset == pending_.size()) pending_ += c.data;
      }
      if (rd.snapshot) {
        storage_.SetPendingSnapshotData(pending_);
        REQUIRE(storage_.ApplySnapshot(*rd.snapshot).ok());
      }
      REQUIRE(storage_
                  .Save(rd.hard_state.value_or(raftpb::HardState()), rd.entries,
                        rd.must_sync)
                  .ok());
      raft_->Advance();
      raft_->CheckInvariants();
    }
  }

  // A value near the log's edges, at the extremes, or anywhere.
  uint64_t Index() {
    const uint64_t last = raft_->log().LastIndex();
    switch (random_.Uniform(8)) {
      case 0:
        return 0;
      case 1:
        return kMax;
      case 2:
        return last + 1 + random_.Uniform(3);
      case 3:
        return last > 0 ? last - 1 : 0;
      case 4:
        return last;
      default:
        return random_.Uniform(last + 8);
    }
  }
  uint64_t Term() {
    const uint64_t term = raft_->term();
    switch (random_.Uniform(6)) {
      case 0:
        return 0;
      case 1:
        return kMax;
      case 2:
        return term + 1;
      case 3:
        return term > 0 ? term - 1 : 0;
      default:
        return term;
    }
  }

  raftpb::Message Hostile() {
    raftpb::Message m;
    m.set_type(static_cast<raftpb::MessageType>(1 + random_.Uniform(11)));
    m.set_to(1);
    m.set_from(random_.Uniform(10) == 0 ? random_.Uniform(5)
                                        : 2 + random_.Uniform(2));
    m.set_term(Term());
    m.set_log_term(Term());
    m.set_index(Index());
    m.set_commit(Index());
    m.set_reject(random_.Uniform(2) == 0);
    m.set_reject_hint(Index());
    const int entries = static_cast<int>(random_.Uniform(4));
    const bool contiguous = random_.Uniform(2) == 0;
    for (int i = 0; i < entries; ++i) {
      raftpb::Entry* e = m.add_entries();
      e->set_index(contiguous ? m.index() + 1 + i : Index());
      e->set_term(Term());
      if (random_.Uniform(4) == 0) {
        e->set_type(raftpb::ENTRY_CONF_CHANGE);
        e->set_data(std::string(random_.Uniform(6), '\x07'));
      } else {
        e->set_data("x");
      }
    }
    switch (random_.Uniform(3)) {
      case 0:
        m.set_context("transfer");
        break;
      case 1:
        m.set_context(std::string(8, '\x01'));
        break;
      default:
        break;
    }
    if (m.type() == raftpb::MSG_SNAP || random_.Uniform(8) == 0) {
      raftpb::SnapshotMetadata* s = m.mutable_snapshot();
      s->set_index(Index());
      s->set_term(Term());
      const int voters = static_cast<int>(random_.Uniform(4));
      for (int v = 0; v < voters; ++v) {
        s->mutable_conf_state()->add_voters(random_.Uniform(5));
      }
      if (random_.Uniform(4) == 0) s->mutable_conf_state()->add_learners(1);
      m.set_snapshot_offset(random_.Uniform(3) == 0 ? Index() : 0);
      m.set_snapshot_data(std::string(random_.Uniform(5), 's'));
      m.set_snapshot_done(random_.Uniform(2) == 0);
    }
    return m;
  }

 private:
  MemoryStorage storage_;
  SeededRandom random_;
  std::unique_ptr<Raft> raft_;
  std::string pending_;
};

TEST_CASE("an impossible acknowledgement is refused, a stale one dropped",
          "[raft][hostile]") {
  Target t(1);
  t.Lead();
  const uint64_t last = t.raft().log().LastIndex();
  raftpb::Message m;
  m.set_type(raftpb::MSG_APP_RESP);
  m.set_to(1);
  m.set_from(2);
  m.set_index(last + 5);
  m.set_term(t.raft().term());
  absl::Status s = t.raft().Step(m);
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(s.message() ==
        "raft: refused MSG_APP_RESP from 2: acknowledges entries this leader "
        "does not have");
  // From an earlier term the leader's log may have been longer: stale.
  m.set_term(t.raft().term() - 1);
  CHECK(t.raft().Step(m).ok());
  CHECK(t.raft().role() == Role::kLeader);
  t.raft().CheckInvariants();
}

// COFFER_HOSTILE_SEED and COFFER_HOSTILE_RUNS widen or replay a sweep.
TEST_CASE("hostile messages never abort the core nor break its invariants",
          "[raft][hostile]") {
  const char* seed_env = std::getenv("COFFER_HOSTILE_SEED");
  const char* runs_env = std::getenv("COFFER_HOSTILE_RUNS");
  const uint64_t first =
      seed_env != nullptr ? std::strtoull(seed_env, nullptr, 10) : 0xC0FFEE;
  const uint64_t runs =
      runs_env != nullptr ? std::strtoull(runs_env, nullptr, 10) : 400;
  std::printf("hostile messages: seeds %llu..%llu\n",
              static_cast<unsigned long long>(first),
              static_cast<unsigned long long>(first + runs - 1));
  for (uint64_t seed = first; seed < first + runs; ++seed) {
    INFO("seed " << seed);
    Target t(seed);
    if (seed % 2 == 0) t.Lead();
    for (int step = 0; step < 60; ++step) {
      const raftpb::Message m = t.Hostile();
      INFO("step " << step << ": " << m.ShortDebugString());
      // Refused (an error) or taken: both are fine; aborting is not.
      (void)t.raft().Step(m);
      t.raft().CheckInvariants();
      t.Drain();
      if (step % 10 == 0) {
        t.raft().Tick();
        t.Drain();
      }
    }
  }
}

}  // namespace
}  // namespace coffer::raft
