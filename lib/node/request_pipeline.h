// RequestPipeline: where a client request runs, and how it completes.
//
// It owns every request in flight on this node:
//   - the leader's queue of requests waiting to run, and its proposals
//     waiting for their entries to apply (by log index);
//   - linearizable reads waiting for a read index (the leader's own
//     ReadIndex round, or the index a follower asked its leader for);
//   - a follower's requests forwarded to the leader, resent until answered;
//   - on the leader, the forwarded requests it runs or answered, by
//     (sender, session, id), so that a resend runs once;
//   - the ForwardBatch per peer that carries both, sent at the end of the
//     loop's turn (Flush).
//
// A write's path: Start -> the leader's queue (or a forward to the leader)
// -> ExecuteQueued hands it to Host::Execute once the leader may run
// requests -> the host runs its logical work and calls Propose -> the ready
// driver applies the entry and calls OnApplied -> Done gets the typed
// result. A read: Start -> a ReadIndex round (OnReadStates) or a
// follower's read index request -> ServeReads once applied.
//
// Thread-safety: loop-thread only.
#ifndef COFFER_LIB_NODE_REQUEST_PIPELINE_H_
#define COFFER_LIB_NODE_REQUEST_PIPELINE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "node/loop_state.h"
#include "proto/node.pb.h"
#include "raft/raft.h"
#include "storage/state_store.h"

namespace coffer::node {

// Finishes one request on the loop thread with its typed result: completes
// a local caller's Completion, or sends a ForwardResponse.
using Done = std::function<void(absl::StatusOr<nodepb::OpResult>)>;

class RequestPipeline {
 public:
  // What the pipeline asks of the node that runs it. Called on the loop.
  class Host {
   public:
    virtual ~Host() = default;
    // Leader: runs a queued request's work; completes `done` itself or
    // through Propose / AddProposal.
    virtual void Execute(nodepb::Op op, uint64_t deadline, Done done) = 0;
    // Serves a read op (GetRaw, a KV read, SnapshotReadIndex) from the
    // applied state. REQUIRES: unsealed.
    virtual absl::StatusOr<nodepb::OpResult> Read(const nodepb::Op& op) = 0;
    // Leader: whether queued requests may run now (it applied its term's
    // first entry, and no restore commit holds them).
    virtual bool MayExecute() const = 0;
    // Why this node takes no request now (removed from the cluster), or OK.
    virtual absl::Status Refusal() const = 0;
    virtual void SendFrame(uint64_t to, nodepb::Frame frame) = 0;
    virtual std::string AddressOf(uint64_t id) const = 0;
    // Local requests: wraps `done` to count and time the request.
    virtual Done Observe(Done done) = 0;
  };

  // `loop` and `host` are borrowed and outlive the pipeline. `session` is
  // random and != 0 (ForwardRequest.session).
  RequestPipeline(const LoopState* loop, Host* host, uint64_t session);
  RequestPipeline(const RequestPipeline&) = delete;
  RequestPipeline& operator=(const RequestPipeline&) = delete;

  // Takes a request: a caller's own (`local`) or one a follower forwarded.
  // Completes `done` at once when it is refused (bad op, sealed, stopped,
  // backlog full, no leader).
  void Start(nodepb::Op op, uint64_t deadline, Done done, bool local);
  // Leader: queues a request of its own (a purge or discard batch).
  void Enqueue(nodepb::Op op, Done done);
  // Leader: runs queued requests while Host::MayExecute.
  void ExecuteQueued();
  // Proposes `writes` as one Command and completes `done` with `result`
  // once its entry applied (or with why it could not be proposed).
  void Propose(const storage::WriteSet& writes, nodepb::OpResult result,
               uint64_t deadline, Done done);
  // Leader: answers a request that proposes nothing (a refusal such as a
  // check-and-set mismatch, or a result that wrote nothing) only once what
  // it saw is known to hold: a ReadIndex round confirms this node still
  // leads after the request ran, and every entry it had proposed by then
  // (whose writes the request read) has applied. Before, such an answer
  // could report a version never committed, or state a deposed leader
  // did not know was stale.
  void AnswerWhenConfirmed(absl::StatusOr<nodepb::OpResult> answer,
                           uint64_t deadline, Done done);
  // Waits for the entry proposed at `id` (a membership change).
  void AddProposal(raft::EntryId id, uint64_t deadline, Done done);
  // Whether a proposal of this node waits for the entry at `index`.
  bool HasProposal(uint64_t index) const {
    return proposals_.count(index) != 0;
  }
  // Completes the proposal whose index `e` holds.
  void OnApplied(const raftpb::Entry& e);
  // A Ready's read states: the reads they answer become ready.
  void OnReadStates(const std::vector<raft::ReadState>& states);
  // Serves the ready reads whose index is applied.
  void ServeReads();

  void OnForwardRequest(uint64_t from, const nodepb::ForwardRequest& req);
  void OnForwardResponse(uint64_t from, const nodepb::ForwardResponse& r);
  // End of the loop's turn: sends the batches filled during it.
  void Flush();

  // Each tick: expires requests past their deadline, resends forwards.
  void OnTick();
  // After the core's soft state changed from `prev` to loop->soft.
  void OnSoftState(const raft::SoftState& prev);
  // Fails the requests that wait on this node with `s`: queued, reads,
  // forwarded (this node was removed). Proposals stay: they may commit.
  void FailWaiting(const absl::Status& s);
  // FailWaiting, and the proposals too (the node stopped).
  void FailAll(const absl::Status& s);
  // Fails only what never reached the log with `s`: the leader's queue and
  // the reads (a storage stall: ready_driver.h). Proposals and forwards
  // stay, and time out at their deadline if the stall outlasts it, since
  // they may still commit.
  void FailUnstarted(const absl::Status& s);
  // Close: drops every callback without calling it.
  void Clear();

  absl::Status NotLeaderError() const;
  size_t pending() const {
    return leader_queue_.size() + proposals_.size() + reads_.size() +
           forwards_.size();
  }

 private:
  struct Queued {
    nodepb::Op op;
    uint64_t deadline;
    Done done;
  };
  struct Proposal {
    uint64_t term;
    uint64_t deadline;
    nodepb::OpResult result;
    Done done;
  };
  struct Read {
    nodepb::Op op;  // get_raw or a KV read
    uint64_t deadline;
    uint64_t index = 0;  // valid once ready
    bool ready = false;
    Done done;
    // AnswerWhenConfirmed: the answer, served instead of reading `op`, and
    // the leader's last index when the request ran (the index waited for
    // is at least this).
    std::optional<absl::StatusOr<nodepb::OpResult>> answer;
    uint64_t min_index = 0;
  };
  // Asks the core for a read index for `read`; completes it on failure.
  void AddLeaderRead(Read read);
  struct Forwarded {
    uint64_t deadline;
    Done done;
    nodepb::Op op;         // resent until answered (the leader dedups)
    uint64_t next_resend;  // tick
    // The leader it was sent to. Resends go to the current leader, except
    // for a leadership transfer: it stays with the leader that runs it,
    // which answers once the leadership moved.
    uint64_t leader = 0;
  };
  // Leader: a forwarded request, running or answered, until its deadline.
  struct Served {
    uint64_t deadline;
    bool answered = false;
    nodepb::ForwardResponse response;
  };
  // (sender, session, id).
  using ServedKey = std::tuple<uint64_t, uint64_t, uint64_t>;

  void AddProposal(uint64_t index, Proposal p);
  void StartRead(nodepb::Op op, uint64_t deadline, Done done);
  // A follower's linearizable read: served from its own applied state once
  // that reaches an index the leader read after the request began (the
  // leader's read index, asked for by one forwarded SnapshotReadIndex per
  // batch of reads). The value never crosses the transport.
  void StartFollowerRead(nodepb::Op op, uint64_t deadline, Done done);
  void RequestFollowerReadIndex();
  void Forward(nodepb::Op op, uint64_t deadline, Done done);
  void SendForward(uint64_t id, Forwarded& f);
  nodepb::ForwardBatch& BatchFor(uint64_t to) { return outbox_[to].first; }
  // Sends `to`'s batch once it is large (1 MiB).
  void FlushIfLarge(uint64_t to);
  // Resends forwarded requests not answered within an election timeout;
  // fails them all once no leader was known for an election timeout.
  void ResendForwards();
  // Fails with kUnavailable ("node: <why>; ...") the forwarded requests
  // `lost` picks, except leadership transfers.
  void FailForwards(const std::function<bool(const Forwarded&)>& lost,
                    absl::string_view why);
  void ExpireRequests();
  // Fails the leader's queued requests and reads with `s`. Proposals stay:
  // they may still commit.
  void AbandonLeaderWork(const absl::Status& s);

  const LoopState* const loop_;
  Host* const host_;
  const uint64_t session_;

  std::deque<Queued> leader_queue_;
  std::map<uint64_t, Proposal> proposals_;  // by log index
  std::map<uint64_t, Read> reads_;          // by read sequence number
  uint64_t next_read_ = 0;
  // Follower reads waiting for the next read index request (one is in
  // flight at a time; reads that arrive meanwhile need a newer index).
  std::vector<uint64_t> follower_reads_waiting_;
  bool follower_read_index_in_flight_ = false;
  std::map<uint64_t, Forwarded> forwards_;  // by forward id
  uint64_t next_forward_ = 0;
  uint64_t leaderless_since_ = 0;  // tick when soft.lead last became 0
  uint64_t next_request_ = 0;      // Command.request_id
  // Batches being filled, by destination, with their sizes in bytes.
  std::map<uint64_t, std::pair<nodepb::ForwardBatch, size_t>> outbox_;
  std::map<ServedKey, Served> served_;
  // served_'s keys by the tick after which they may go, so that a tick
  // looks only at the expired ones (walking all of served_ at every tick
  // took half the leader's loop under a forwarded load).
  std::multimap<uint64_t, ServedKey> served_expiry_;
};

}  // namespace coffer::node

#endif  // COFFER_LIB_NODE_REQUEST_PIPELINE_H_
