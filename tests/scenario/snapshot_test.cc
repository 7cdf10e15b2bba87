// Snapshots and log compaction (Raft paper section 7, Figure 13:
// InstallSnapshot in chunks with offset and done).
#include "scenario/cluster.h"
#include "support/catch.h"

namespace coffer::raft::testing {
namespace {

void ChunkSize(Config& cfg) { cfg.max_snapshot_chunk_bytes = 16; }

// Makes `id` snapshot its applied state with `data` and compact its log.
void SnapshotAndCompact(Cluster& c, uint64_t id, const std::string& data) {
  Raft& r = c[id];
  Status st = r.GetStatus();
  REQUIRE(
      c.node(id).storage.CreateSnapshot(st.applied, st.conf_state, data).ok());
  REQUIRE(c.node(id).storage.Compact(st.applied + 1).ok());
}

// Puts 3 far behind 1: 1 compacts entries 3 never received.
void FarBehind(Cluster& c, const std::string& data) {
  c.Elect(1);
  c.Isolate(3);
  for (int i = 0; i < 20; ++i)
    REQUIRE(c[1].Propose("e" + std::to_string(i)).ok());
  c.Stabilize();
  SnapshotAndCompact(c, 1, data);
  REQUIRE(c[1].log().FirstIndex() > c[3].log().LastIndex() + 1);
}

// FarBehind, then heals and lets a few chunks of `data` reach 3: the
// transfer is under way but not finished.
void StartTransferHalfway(Cluster& c, const std::string& data) {
  FarBehind(c, data);
  c.Heal();
  c.Tick(1);
  for (int i = 0; i < 4; ++i) {
    c.ProcessReadies();
    c.DeliverAll();
  }
  REQUIRE(c.node(3).snapshots_installed == 0);
}

TEST_CASE("a far-behind follower receives the snapshot in chunks",
          "[raft][snapshot]") {
  Cluster c({1, 2, 3}, ChunkSize);
  std::string data(100, 's');
  for (size_t i = 0; i < data.size(); ++i) data[i] = 'a' + i % 26;
  FarBehind(c, data);
  c.Heal();
  c.TickAll(3);
  TestNode& n = c.node(3);
  REQUIRE(n.snapshots_installed == 1);
  REQUIRE(n.snapshot_data == data);
  REQUIRE(n.chunks_seen.size() == 7);  // 100 bytes in 16-byte chunks
  for (const auto& ch : n.chunks_seen) REQUIRE(ch.data.size() <= 16);
  REQUIRE(n.storage.snapshot_data() == data);
  // It then catches up through ordinary replication.
  REQUIRE(c[1].Propose("later").ok());
  c.Stabilize();
  REQUIRE(AppliedData(n) == std::vector<std::string>{"later"});
  REQUIRE(c[3].log().LastIndex() == c[1].log().LastIndex());
}

TEST_CASE("a snapshot transfer survives lost chunks", "[raft][snapshot]") {
  Cluster c({1, 2, 3}, ChunkSize);
  FarBehind(c, std::string(100, 'x'));
  c.Heal();
  int dropped = 0;
  for (int round = 0; round < 200 && c.node(3).snapshots_installed == 0;
       ++round) {
    c.Tick(1);
    c.ProcessReadies();
    for (const raftpb::Message& m : c.TakeQueue()) {
      // Lose every third snapshot chunk.
      if (m.type() == raftpb::MSG_SNAP && ++dropped % 3 == 0) continue;
      c.Deliver(m);
    }
    c.Stabilize();
  }
  REQUIRE(c.node(3).snapshots_installed == 1);
  REQUIRE(c.node(3).snapshot_data == std::string(100, 'x'));
}

TEST_CASE("duplicated chunk acknowledgements do not multiply chunks",
          "[raft][snapshot]") {
  Cluster c({1, 2, 3}, ChunkSize);
  FarBehind(c, std::string(100, 'x'));
  c.Heal();
  int chunks_sent = 0;
  for (int round = 0; round < 50 && c.node(3).snapshots_installed == 0;
       ++round) {
    if (round % 4 == 0) c.Tick(1);
    c.ProcessReadies();
    for (const raftpb::Message& m : c.TakeQueue()) {
      chunks_sent += m.type() == raftpb::MSG_SNAP;
      c.Deliver(m);
      if (m.type() == raftpb::MSG_SNAP_RESP) c.Deliver(m);  // duplicated
    }
  }
  REQUIRE(c.node(3).snapshots_installed == 1);
  // Seven chunks, plus at most one resend per heartbeat.
  REQUIRE(chunks_sent <= 7 + 4);
}

TEST_CASE("a snapshot transfer restarts when the leader changes",
          "[raft][snapshot]") {
  Cluster c({1, 2, 3}, ChunkSize);
  FarBehind(c, std::string(100, 'x'));
  SnapshotAndCompact(c, 2, std::string(80, 'y'));
  c.Heal();
  // Deliver a few chunks from 1, then cut 1 off and let 2 take over.
  c.Tick(1);
  for (int i = 0; i < 6; ++i) {
    c.ProcessReadies();
    c.DeliverAll();
  }
  REQUIRE(!c.node(3).chunks_seen.empty());
  REQUIRE(c.node(3).snapshots_installed == 0);
  c.Isolate(1);
  c.Elect(2);
  REQUIRE(c[2].role() == Role::kLeader);
  c.TickAll(10);
  REQUIRE(c.node(3).snapshots_installed == 1);
  REQUIRE(c.node(3).snapshot_data == std::string(80, 'y'));
}

TEST_CASE("a newer snapshot mid-transfer restarts the transfer",
          "[raft][snapshot]") {
  Cluster c({1, 2, 3}, ChunkSize);
  StartTransferHalfway(c, std::string(100, 'x'));
  // The leader takes a newer snapshot meanwhile.
  c.Isolate(3);
  REQUIRE(c[1].Propose("more").ok());
  c.Stabilize();
  SnapshotAndCompact(c, 1, std::string(50, 'z'));
  c.Heal();
  c.TickAll(10);
  REQUIRE(c.node(3).snapshots_installed == 1);
  REQUIRE(c.node(3).snapshot_data == std::string(50, 'z'));
  REQUIRE(c[3].log().committed() == c[1].log().committed());
}

TEST_CASE(
    "a follower that restarts mid-transfer receives the snapshot "
    "again from the start",
    "[raft][snapshot]") {
  Cluster c({1, 2, 3}, ChunkSize);
  StartTransferHalfway(c, std::string(100, 'x'));
  c.Restart(3);
  c.TickAll(10);
  REQUIRE(c.node(3).snapshots_installed == 1);
  REQUIRE(c.node(3).snapshot_data == std::string(100, 'x'));
}

TEST_CASE("the applied index tells when the log may be compacted",
          "[raft][snapshot]") {
  Cluster c({1, 2, 3});
  c.Elect(1);
  for (int i = 0; i < 5; ++i) REQUIRE(c[1].Propose("e").ok());
  c.Stabilize();
  Status st = c[2].GetStatus();
  REQUIRE(st.applied == st.commit_index);
  REQUIRE(st.applied == c[1].log().LastIndex());
  SnapshotAndCompact(c, 2, "state");
  REQUIRE(c[2].log().FirstIndex() == st.applied + 1);
  // A restarted node resumes from its snapshot.
  c.Restart(2);
  REQUIRE(c[2].log().applied() == st.applied);
  REQUIRE(c[2].log().committed() == st.applied);
}

}  // namespace
}  // namespace coffer::raft::testing
