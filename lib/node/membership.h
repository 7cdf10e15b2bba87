// Membership: who the members are and how they reach each other, how a node
// joins and leaves, and the leader's autopilot.
//
//   membership.cc    bootstrap, the address book, Leader() and ListPeers()
//   join.cc          the joining node: requests, the challenge, admission
//   join_leader.cc   the members: answering joins, proposing the change
//   join_removal.cc  the replicated join records and removal
//   autopilot.cc     the leader promotes caught-up learners and removes
//                    dead voters; each peer's last contact
// join.h has the records; docs/design.md ("Joining, removal and
// autopilot") the protocol.
//
// It owns the address book (replicated peer records, learned addresses),
// the join in progress, this node's removal, the replicated removed ids
// and voters-to-be, and the leader's changes in flight.
//
// Thread-safety: loop thread only.
#ifndef COFFER_LIB_NODE_MEMBERSHIP_H_
#define COFFER_LIB_NODE_MEMBERSHIP_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "coffer/node.h"
#include "crypto/secure_buffer.h"
#include "node/join.h"
#include "node/loop_state.h"
#include "node/ready_driver.h"
#include "node/request_pipeline.h"
#include "proto/node.pb.h"
#include "storage/state_store.h"

namespace coffer::node {

class Membership {
 public:
  // What membership needs of the node.
  class Host {
   public:
    virtual ~Host() = default;
    // Queues `frame` for peer `to`.
    virtual void SendFrame(uint64_t to, nodepb::Frame frame) = 0;
    // Creates the raft core over the stored state; `bootstrap_voters`, when
    // not empty, are the members of a new cluster.
    virtual absl::Status CreateRaft(
        const std::vector<uint64_t>& bootstrap_voters) = 0;
    // Carries out every pending Ready.
    virtual void Drive() = 0;
    // Enters the stopped state: every later call fails with `s`.
    virtual void Stop(absl::Status s) = 0;
  };

  using SealDone = std::function<void(absl::StatusOr<SealStatus>)>;
  using StatusDone = std::function<void(absl::Status)>;

  // Everything is borrowed and outlives this.
  Membership(LoopState* loop, RequestPipeline* pipeline,
             const ReadyDriver* driver, Host* host)
      : loop_(loop), pipeline_(pipeline), driver_(driver), host_(host) {}
  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;

  // --- The address book and the members (membership.cc) ------------------
  // Peer `id`'s address: this node's own, its replicated record, or one
  // learned from its frames or a bootstrap; empty if unknown.
  std::string AddressOf(uint64_t id) const;
  void Learn(uint64_t id, const std::string& address) {
    learned_addresses_[id] = address;
  }
  // Reloads the replicated peer and join records.
  absl::Status LoadPeerRecords();
  // This node leads and applied its term's first entry: it has seen every
  // entry earlier leaders committed, so it may run requests.
  bool LeaderReady() const;
  // Leader: records the addresses of members without a PeerRecord.
  void MaybeRecordPeers();
  absl::Status Bootstrap(const std::vector<Peer>& peers);
  LeaderInfo Leader() const;
  std::vector<PeerInfo> Peers() const;
  // This node became leader: a new term's bookkeeping.
  void OnBecameLeader() { peers_recorded_ = false; }

  // --- Joining (join.cc: the joining node; join_leader.cc: the members) ----
  // Whether this node has raft state (bootstrapped, or added to a cluster).
  bool HasRaftState() const;
  bool joining() const { return join_ != nullptr; }
  // Starts joining (Join, or retry_join when `retry`). `done` (may be null)
  // is called once: OK when the challenge arrived (Shamir) or the node was
  // admitted, or the refusal.
  void StartJoin(std::vector<Peer> peers, bool retry, StatusDone done);
  // Each tick: resends join requests on their backoff, expires waits, and
  // unseals an admitted node once it replicated the seal records.
  void JoinTick();
  void OnJoinResponse(const nodepb::Frame& frame);
  // The node received raft traffic: it is a member now.
  void OnJoinAdmitted();
  bool JoinTakesUnsealKeys() const;
  void JoinSubmitUnsealKey(const std::string& share, SealDone done);
  std::optional<SealStatus> JoinSealStatus() const;
  void MaybeUnsealJoined();
  // Members: a join request from a node.
  void OnJoinRequest(const nodepb::Frame& frame);
  // Leader: runs an add_peer or remove_peer op (AddPeer, RemovePeer).
  void ExecutePeerChange(const nodepb::Op& op, uint64_t deadline, Done done);
  // Proposes a membership change of one peer; `done` runs once applied.
  void ProposePeerChange(raftpb::ConfChangeType type, uint64_t id,
                         bool join_as_voter, Done done);

  // --- Removal (join_removal.cc) ------------------------------------------
  bool removed() const { return removed_; }
  // Whether `id` was removed from the cluster (it is never admitted again).
  bool WasRemoved(uint64_t id) const { return removed_ids_.count(id) != 0; }
  absl::Status RemovedError() const;
  // The replicated records of a removal, a voter-to-be, a promotion.
  void StageJoinRecords(const raftpb::ConfChangeSingle& ch,
                        const nodepb::PeerContext* ctx, uint64_t index,
                        storage::WriteSet* writes);
  // After an Advance: marks this node removed once it applied its removal.
  void OnAdvanced() {
    if (self_removed_at_ != 0) FinishSelfRemoval();
  }
  // A member's answer to raft traffic from a removed node; true if sent.
  bool MaybeTellNotMember(uint64_t from);
  void OnJoinNotMember(const nodepb::Frame& frame);
  // Frames from `from` reach this node (the leader's last_contact).
  void NoteContact(uint64_t from) { last_heard_[from] = loop_->now_tick; }

  // --- Autopilot (autopilot.cc) -------------------------------------------
  // Leader: promotes caught-up voters-to-be, removes dead voters.
  void AutopilotTick();

  // Drops the join in progress and the shares it holds (key material).
  void Close() {
    join_.reset();
    join_unseal_shares_.clear();
  }

 private:
  void SendJoinRequests();
  uint64_t NextJoinBackoff();
  void OnJoinChallenge(const nodepb::JoinChallenge& challenge);
  // Decrypts the challenge with the join seal and sends the answer.
  absl::Status AnswerJoinChallenge();
  // Ends the join with `s` (explicit Join) or records it and keeps trying.
  void JoinFailed(absl::Status s, bool definitive);
  absl::Status CheckJoiner(uint64_t id, const std::string& address,
                           bool answering) const;
  absl::StatusOr<nodepb::JoinChallenge> MakeJoinChallenge(uint64_t id);
  absl::Status VerifyJoinAnswer(uint64_t id, const nodepb::JoinRequest& req);
  void SendJoinResponse(uint64_t to, nodepb::JoinResponse resp);
  absl::Status LoadJoinRecords();
  void FinishSelfRemoval();
  void MarkRemoved(uint64_t index);
  absl::Duration LastContact(uint64_t id) const;

  LoopState* const loop_;
  RequestPipeline* const pipeline_;
  const ReadyDriver* const driver_;
  Host* const host_;

  // Address book: replicated records win over learned addresses.
  std::map<uint64_t, std::string> peer_records_;
  std::map<uint64_t, std::string> learned_addresses_;
  bool peers_recorded_ = false;  // MaybeRecordPeers ran this term

  std::unique_ptr<JoinState> join_;  // while this node joins
  // Shares that answered the join challenge: they unseal this node once it
  // replicated the seal records (Shamir). Wiped when used.
  std::vector<crypto::SecureBuffer> join_unseal_shares_;
  bool removed_ = false;          // this node was removed from the cluster
  uint64_t self_removed_at_ = 0;  // set by StageJoinRecords until Advance
  // Replicated: removed members (id -> removing index), voters-to-be.
  std::map<uint64_t, uint64_t> removed_ids_;
  std::set<uint64_t> voters_to_be_;
  // Leader: peers whose AddLearner or promotion/removal is in flight.
  std::set<uint64_t> join_in_flight_;
  std::set<uint64_t> autopilot_in_flight_;
  std::map<uint64_t, uint64_t> not_member_sent_;  // id -> tick
  std::map<uint64_t, uint64_t> last_heard_;       // id -> tick
  uint64_t leader_since_ = 0;  // tick this node became leader; 0: not
};

}  // namespace coffer::node

#endif  // COFFER_LIB_NODE_MEMBERSHIP_H_
