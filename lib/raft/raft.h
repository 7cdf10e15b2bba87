// The raft core: a deterministic state machine implementing the Raft
// consensus algorithm (Ongaro and Ousterhout, "In Search of an
// Understandable Consensus Algorithm", and Ongaro's thesis), in the style of
// etcd's raft package. It has no clock, no threads, no I/O and no global
// randomness: time is Tick(), input is Step(), output is Ready() (see
// raft/ready.h for the contract the embedder must follow).
//
// The core does not forward proposals or reads: on a follower they fail with
// kUnavailable naming the leader, and the embedder (lib/node) forwards.
//
// Status codes: every error message starts with "raft: ".
//   kUnavailable         no leader (hint in the message when known), not the
//                        leader, or a leadership transfer is in progress
//   kFailedPrecondition  this node was removed from the cluster, or a
//                        configuration change is already in progress
//   kResourceExhausted   the uncommitted-bytes bound is reached
//   kInvalidArgument     a malformed request
//
// Thread-safety: thread-compatible; in coffer only the node's loop thread
// touches it.
#ifndef COFFER_LIB_RAFT_RAFT_H_
#define COFFER_LIB_RAFT_RAFT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/raft.pb.h"
#include "raft/confchange.h"
#include "raft/config.h"
#include "raft/log.h"
#include "raft/progress.h"
#include "raft/read_only.h"
#include "raft/ready.h"

namespace coffer::raft {

// Where a proposal landed in the log.
struct EntryId {
  uint64_t term = 0;
  uint64_t index = 0;
};

struct PeerStatus {
  uint64_t match = 0;
  uint64_t next = 0;
  ProgressState state = ProgressState::kProbe;
  bool is_learner = false;
  bool recent_active = false;
};

struct Status {
  uint64_t id = 0;
  uint64_t term = 0;
  uint64_t voted_for = 0;
  uint64_t lead = 0;
  Role role = Role::kFollower;
  uint64_t commit_index = 0;
  // The log may be compacted up to here: entries at or below it are applied
  // and may be dropped once covered by a snapshot.
  uint64_t applied = 0;
  uint64_t last_index = 0;
  uint64_t first_index = 0;
  uint64_t lead_transferee = 0;
  raftpb::ConfState conf_state;  // the configuration in force
  // Leader only: each peer's replication progress, by id (lets the embedder
  // decide when a learner has caught up).
  std::map<uint64_t, PeerStatus> progress;
};

class Raft {
 public:
  // Builds a core over config.storage, recovering the hard state and
  // configuration it holds. kInvalidArgument for a bad Config.
  static absl::StatusOr<std::unique_ptr<Raft>> Create(const Config& config);
  Raft(const Raft&) = delete;
  Raft& operator=(const Raft&) = delete;

  // Advances the logical clock by one tick.
  void Tick();
  // Processes a message from a peer. kInvalidArgument for a message not
  // addressed to this node, of an unknown type, or that no correct peer
  // sends (entries out of order, a term or index out of range, an unusable
  // snapshot configuration; the core is unchanged); stale messages are
  // dropped silently (OK). Pass an rvalue to let the core keep the entries
  // without copying them.
  absl::Status Step(raftpb::Message m);
  // Appends `data` as a new entry (leader only). See the class comment for
  // the errors. The entry is committed when it appears in a Ready's
  // committed_entries with the returned term and index; a different entry at
  // that index means the proposal was lost.
  absl::StatusOr<EntryId> Propose(std::string data);
  // Proposes a membership change (leader only). Besides the common errors:
  // kFailedPrecondition when a change is still in flight (one at a time,
  // thesis 4.1), when promoting a learner that has not caught up (its match
  // index is below the commit index: add it as a learner first, and wait),
  // or when the change is invalid in the current configuration.
  absl::StatusOr<EntryId> ProposeConfChange(const raftpb::ConfChange& cc);
  // Requests a linearizable read (leader only). Once possible, a Ready
  // carries ReadState{index, context}: serve the read once applied >= index.
  absl::Status ReadIndex(std::string context);
  // Hands leadership to `transferee` (thesis 3.10): the leader catches it up,
  // then sends TimeoutNow. Proposals fail while the transfer runs; it is
  // abandoned after an election timeout.
  absl::Status TransferLeadership(uint64_t transferee);

  bool HasReady() const;
  // REQUIRES: HasReady(). See raft/ready.h.
  Ready GetReady();
  // Acknowledges the last Ready: everything in it was done.
  void Advance();
  // As Advance, for a leader's Ready with send_before_save whose entries
  // were written but are not durable yet: the leader counts them toward a
  // quorum only once Persisted() says they are.
  void AdvanceWithoutPersisting();
  // The leader's own entries up to `index`, whose term was `term` when they
  // were written, are durable. Ignored unless this node still leads and
  // its log still holds that entry. May commit (a Ready follows).
  void Persisted(uint64_t index, uint64_t term);

  Status GetStatus() const;
  // Aborts (COFFER_CHECK) when an internal invariant is broken: terms and
  // indexes in order, applied <= commit <= last index, the configuration is
  // the one of the last applied configuration entry, role bookkeeping.
  void CheckInvariants() const;

  uint64_t id() const { return id_; }
  uint64_t term() const { return term_; }
  uint64_t lead() const { return lead_; }
  Role role() const { return role_; }
  const RaftLog& log() const { return log_; }
  const Configuration& configuration() const { return config_; }

 private:
  enum class CampaignType { kPreElection, kElection, kTransfer };

  Raft(const Config& config, LogStorage* storage);
  void Bootstrap(const std::vector<uint64_t>& voters);
  void RecoverConfiguration(const raftpb::ConfState& snapshot_conf);

  // Roles (raft.cc).
  void BecomeFollower(uint64_t term, uint64_t lead);
  void BecomePreCandidate();
  void BecomeCandidate();
  void BecomeLeader();
  void Reset(uint64_t term);
  void ResetRandomizedElectionTimeout();
  // Ends the slow first election (Config::slow_first_election) once a
  // leader is known.
  void NoteLeaderKnown();
  bool Promotable() const;
  bool PastElectionTimeout() const;
  void TickElection();
  void TickHeartbeat();
  void Hup(CampaignType t);
  void Campaign(CampaignType t);
  VoteResult Poll(uint64_t from, bool granted);
  void StepVote(const raftpb::Message& m);
  // kInvalidArgument for a message no correct peer sends (validate.cc).
  absl::Status CheckMessage(const raftpb::Message& m) const;
  absl::Status CheckAppend(const raftpb::Message& m) const;
  void StepCandidate(raftpb::Message& m);
  void StepFollower(raftpb::Message& m);
  absl::Status CheckCanPropose() const;
  void Send(raftpb::Message m);
  // CheckInvariants() in debug builds, after every call that changes state.
  // Its replay of the log costs one read of every entry: on a log longer
  // than kReplayEntries it runs on one call in every length/kReplayEntries,
  // so that a debug build's cost stays linear in its steps (a node's log
  // holds up to snapshot_threshold + trailing_logs entries; replaying them
  // all at every step made debug nodes quadratic).
  void DebugCheck() const {
#ifndef NDEBUG
    CheckInvariants(ReplayDue());
#endif
  }
  static constexpr uint64_t kReplayEntries = 64;
  bool ReplayDue() const;
  void CheckInvariants(bool replay_log) const;

  // Leader (replication.cc).
  void StepLeader(const raftpb::Message& m);
  void HandleAppendResponse(const raftpb::Message& m, Progress& pr);
  void HandleHeartbeatResponse(const raftpb::Message& m, Progress& pr);
  void HandleSnapshotResponse(const raftpb::Message& m, Progress& pr);
  bool MaybeSendAppend(uint64_t to, bool send_if_empty);
  void SendSnapshotChunk(uint64_t to, Progress& pr);
  void SendHeartbeat(uint64_t to, const std::string& ctx);
  void BroadcastAppend();
  void BroadcastHeartbeat();
  bool MaybeCommit();
  bool AppendEntry(raftpb::Entry&& entry);
  bool CommittedEntryInCurrentTerm() const;
  void ReleasePendingReads();
  void SendTimeoutNow(uint64_t to);
  void AbortLeaderTransfer() { lead_transferee_ = 0; }
  bool QuorumActive();

  // Follower (follower.cc).
  void HandleAppendEntries(raftpb::Message& m);
  void HandleHeartbeat(const raftpb::Message& m);
  void HandleSnapshotChunk(const raftpb::Message& m);
  bool Restore(const raftpb::SnapshotMetadata& meta);

  // Membership (membership.cc).
  void ApplyConfiguration(const Configuration& c);
  void ApplyConfChangeEntry(const raftpb::Entry& e);
  bool HasUnappliedConfChange() const;
  void MaybeAutoLeaveJoint();

  // Configuration.
  const uint64_t id_;
  const int election_timeout_;
  const int heartbeat_timeout_;
  RandomSource* const random_;
  const uint64_t max_msg_size_;
  const size_t max_inflight_msgs_;
  const uint64_t max_inflight_bytes_;
  const uint64_t max_uncommitted_size_;
  const uint64_t max_committed_size_per_ready_;
  const uint64_t max_chunk_bytes_;
  const bool pre_vote_;
  const bool check_quorum_;
  const ReadOnlyOption read_only_option_;
  const bool slow_first_election_;

  // Figure 2, persistent state (with the log).
  uint64_t term_ = 0;
  uint64_t vote_ = 0;
  RaftLog log_;

  // Volatile state.
  Role role_ = Role::kFollower;
  uint64_t lead_ = 0;
  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int randomized_election_timeout_ = 0;
  // Whether a leader was known at some point since Create.
  bool leader_known_ = false;
  std::map<uint64_t, bool> votes_;

  // Membership. Invariant: config_ is the configuration of the last
  // configuration entry at or below conf_index_ (or of the snapshot), and
  // no configuration entry lies in (conf_index_, applied].
  Configuration config_;
  uint64_t conf_index_ = 0;
  mutable uint64_t debug_checks_ = 0;      // DebugCheck calls (ReplayDue)
  std::map<uint64_t, Progress> progress_;  // leader only: peers and self

  // Leader.
  uint64_t lead_transferee_ = 0;
  // Index of the latest configuration entry the leader appended; a new
  // change waits until it is applied (thesis 4.1).
  uint64_t pending_conf_index_ = 0;
  uint64_t uncommitted_size_ = 0;
  // New entries or a new commit index wait for one AppendEntries round at
  // the next Ready (batching).
  bool broadcast_pending_ = false;
  ReadOnly read_only_;
  // Reads requested before the leader committed an entry of its term
  // (thesis 6.4 step 1).
  std::vector<std::string> pending_reads_;

  // Follower: the snapshot being received (Figure 13).
  struct IncomingSnapshot {
    uint64_t term = 0;
    raftpb::SnapshotMetadata metadata;
    uint64_t next_offset = 0;
  };
  std::optional<IncomingSnapshot> incoming_;

  // Output for the next Ready.
  std::vector<raftpb::Message> msgs_;
  std::vector<ReadState> read_states_;
  std::vector<ReceivedSnapshotChunk> chunks_;
  SoftState prev_soft_;
  raftpb::HardState prev_hard_;

  // What the outstanding Ready handed out, for Advance.
  struct InFlightReady {
    uint64_t last_index = 0, last_term = 0;
    uint64_t snapshot_index = 0;
    uint64_t applied = 0;
    std::vector<raftpb::Entry> conf_entries;
    uint64_t committed_payload = 0;  // data bytes of committed entries
  };
  std::optional<InFlightReady> in_flight_;
  void AdvanceReady(bool persisted);
};

}  // namespace coffer::raft

#endif  // COFFER_LIB_RAFT_RAFT_H_
