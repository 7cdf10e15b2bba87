// Unit tests of the core's public surface that need no cluster.
#include "raft/raft.h"

#include "raft/memory_storage.h"
#include "support/catch.h"

namespace coffer::raft {
namespace {

struct Single {
  MemoryStorage storage;
  SeededRandom random{7};
  Config config;
  Single() {
    config.id = 1;
    config.storage = &storage;
    config.random = &random;
    config.bootstrap_voters = {1};
  }
};

TEST_CASE("a bad config is refused naming the field", "[raft][config]") {
  Single s;
  s.config.election_tick = 1;
  auto r = Raft::Create(s.config);
  REQUIRE(r.status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(r.status().message() ==
          "raft: invalid election_tick (must exceed heartbeat_tick)");
  s.config.election_tick = 10;
  s.config.read_only_option = ReadOnlyOption::kLeaseBased;
  s.config.check_quorum = false;
  REQUIRE(Raft::Create(s.config).status().code() ==
          absl::StatusCode::kInvalidArgument);
}

TEST_CASE("a single voter elects itself and commits alone", "[raft][ready]") {
  Single s;
  auto r = *Raft::Create(s.config);
  for (int i = 0; i < 30 && r->role() != Role::kLeader; ++i) r->Tick();
  REQUIRE(r->role() == Role::kLeader);
  auto id = r->Propose("solo");
  REQUIRE(id.ok());
  Ready rd = r->GetReady();
  REQUIRE(rd.soft_state.has_value());
  REQUIRE(rd.must_sync);
  // Its term and vote are not durable yet: nothing may leave first.
  REQUIRE_FALSE(rd.send_before_save);
  REQUIRE(rd.messages.empty());
  // Its entries count for it only once written: "solo" is not committed.
  for (const auto& e : rd.committed_entries) REQUIRE(e.index() < id->index);
  REQUIRE(r->log().committed() < id->index);
  REQUIRE(s.storage.Save(*rd.hard_state, rd.entries, true).ok());
  r->Advance();
  REQUIRE(r->log().committed() == id->index);
  rd = r->GetReady();
  bool found = false;
  for (const auto& e : rd.committed_entries) found |= e.data() == "solo";
  REQUIRE(found);
  REQUIRE(rd.hard_state.has_value());
  REQUIRE(rd.hard_state->commit() == id->index);
  REQUIRE_FALSE(rd.must_sync);  // the commit index alone may be relearned
  REQUIRE(s.storage.Save(*rd.hard_state, rd.entries, false).ok());
  r->Advance();
  REQUIRE(r->GetStatus().applied == id->index);
  REQUIRE_FALSE(r->HasReady());
  r->CheckInvariants();
}

TEST_CASE("a message for another node is refused", "[raft][step]") {
  Single s;
  auto r = *Raft::Create(s.config);
  raftpb::Message m;
  m.set_type(raftpb::MSG_HEARTBEAT);
  m.set_to(2);
  REQUIRE(r->Step(m).code() == absl::StatusCode::kInvalidArgument);
  m.set_to(1);
  m.set_type(raftpb::MSG_UNKNOWN);
  REQUIRE(r->Step(m).code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("a node restarts from its storage with term, vote and commit",
          "[raft][persistence]") {
  Single s;
  {
    auto r = *Raft::Create(s.config);
    for (int i = 0; i < 30 && r->role() != Role::kLeader; ++i) r->Tick();
    REQUIRE(r->Propose("x").ok());
    while (r->HasReady()) {
      Ready rd = r->GetReady();
      REQUIRE(s.storage
                  .Save(rd.hard_state.value_or(raftpb::HardState()), rd.entries,
                        true)
                  .ok());
      r->Advance();
    }
  }
  auto r = *Raft::Create(s.config);
  Status st = r->GetStatus();
  REQUIRE(st.term == 2);
  REQUIRE(st.voted_for == 1);
  REQUIRE(st.commit_index == 3);
  REQUIRE(st.applied == 0);  // replays from the (empty) snapshot
  REQUIRE(st.conf_state.voters_size() == 1);
  Ready rd = r->GetReady();
  REQUIRE(rd.committed_entries.size() == 3);
  r->Advance();
  r->CheckInvariants();
}

TEST_CASE("a saved commit index past the saved log is data loss",
          "[raft][persistence]") {
  Single s;
  raftpb::HardState hs;
  hs.set_term(3);
  hs.set_commit(9);
  REQUIRE(s.storage.Save(hs, {}, true).ok());
  s.config.bootstrap_voters.clear();
  REQUIRE(Raft::Create(s.config).status().code() ==
          absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace coffer::raft
