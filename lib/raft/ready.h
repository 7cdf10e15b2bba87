// Ready: the batch of work the core hands to its embedder, and the contract
// for carrying it out. This is what keeps a raft node correct across crashes.
//
// After any call that changes the core (Tick, Step, Propose, ...), the
// embedder asks HasReady(); when true it takes Ready() and, IN THIS ORDER:
//
//  1. snapshot_chunks: writes each chunk's data at chunk.offset of the
//     pending snapshot for chunk.metadata.index (offset 0 starts a new
//     pending snapshot and discards any other). The core never holds more
//     than the chunks of one Ready.
//  2. snapshot: when set, the last chunk has arrived: installs the pending
//     snapshot (restores the state machine from it) and calls
//     WritableLogStorage::ApplySnapshot(*snapshot).
//  3. Persists hard_state (when set) and entries with one
//     WritableLogStorage::Save(hard_state, entries, must_sync): with
//     must_sync the data is durable before the next step. Votes, terms and
//     log entries must be durable before any message of this Ready leaves
//     (Raft paper Figure 2, "Persistent state ... updated on stable storage
//     before responding to RPCs") -- except with send_before_save: a
//     leader's messages may leave before (or while) its entries are
//     written, because its own copy counts toward a quorum only after
//     Advance (Raft thesis 10.2.1).
//  4. Sends messages (in any order; the network may lose or reorder them).
//  5. Applies committed_entries to the state machine in order, each exactly
//     once. They are never newer than what step 3 made durable. A
//     configuration entry needs no action from the embedder: the core applies
//     it itself in Advance (it may inspect the ConfChange, e.g. for peer
//     addresses in its context).
//  6. Serves read_states whose index <= the applied index.
//  7. Calls Advance(). Nothing else may be called on the core between Ready()
//     and Advance(). A leader's Ready with send_before_save may instead be
//     written without waiting for durability and acknowledged with
//     AdvanceWithoutPersisting(); the embedder then calls Persisted(index,
//     term) once those entries are durable, and only then do they count
//     toward the leader's quorum.
//
// A crash at any point loses only what was not yet made durable; restarting
// a core on the same storage recovers a safe state.
//
// Thread-safety: a value type, except `entries`, a view into the core.
#ifndef COFFER_LIB_RAFT_READY_H_
#define COFFER_LIB_RAFT_READY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "proto/raft.pb.h"
#include "raft/read_only.h"

namespace coffer::raft {

enum class Role { kFollower, kPreCandidate, kCandidate, kLeader };

const char* RoleName(Role r);

// Volatile state; reported when it changes. Need not be persisted.
struct SoftState {
  uint64_t lead = 0;  // 0 when no leader is known
  Role role = Role::kFollower;
  bool operator==(const SoftState& o) const {
    return lead == o.lead && role == o.role;
  }
};

// A received piece of an incoming snapshot (InstallSnapshot, Figure 13).
struct ReceivedSnapshotChunk {
  raftpb::SnapshotMetadata metadata;  // the snapshot this piece belongs to
  uint64_t offset = 0;                // byte offset of data in the snapshot
  std::string data;
  bool last = false;  // data ends the snapshot
};

struct Ready {
  std::optional<SoftState> soft_state;
  // Persist before sending messages; unset when unchanged.
  std::optional<raftpb::HardState> hard_state;
  std::vector<ReceivedSnapshotChunk> snapshot_chunks;
  std::optional<raftpb::SnapshotMetadata> snapshot;
  // New log entries to persist; may replace saved entries from their first
  // index on (a follower's conflicting suffix). A view of the core's
  // unstable log (not a copy): valid until Advance().
  absl::Span<const raftpb::Entry> entries;
  std::vector<raftpb::Entry> committed_entries;
  std::vector<raftpb::Message> messages;
  std::vector<ReadState> read_states;
  // Whether the Save of step 3 must be synchronous.
  bool must_sync = false;
  // Whether step 4 may come before step 3 (the node is the leader and the
  // Ready changes neither term nor vote).
  bool send_before_save = false;
};

}  // namespace coffer::raft

#endif  // COFFER_LIB_RAFT_READY_H_
