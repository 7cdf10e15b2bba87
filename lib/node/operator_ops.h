// OperatorOps: leadership transfer, key rotation and status, rekey and seal
// migration.
//
// Each is an ordinary Op, so it is checked, forwarded to the leader,
// deduplicated and completed like a write. What changes state runs on the
// leader inside a StateView request: its writes (a new keyring, new seal
// records) are proposed, and every node, the leader included, adopts them
// only when it applies them (NodeImpl::ReloadKeyring and TryAutoUnseal
// after core/ records apply). Nothing in memory changes before that, so a
// proposal that is lost leaves no node out of step.
//
// It owns the leadership transfers this node waits on.
//
// Thread-safety: the public calls are thread-safe (they only call
// `submit`); everything else is loop-thread only.
#ifndef COFFER_LIB_NODE_OPERATOR_OPS_H_
#define COFFER_LIB_NODE_OPERATOR_OPS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "coffer/node.h"
#include "node/loop_state.h"
#include "node/observer.h"
#include "node/request_pipeline.h"
#include "proto/node.pb.h"

namespace coffer::node {

class OperatorOps {
 public:
  // Runs an op for a caller through the pipeline and returns its result.
  using Submit = std::function<absl::StatusOr<nodepb::OpResult>(nodepb::Op op)>;

  // `loop` and `observer` are borrowed and outlive this.
  OperatorOps(LoopState* loop, const Observer* observer, Submit submit)
      : loop_(loop), observer_(observer), submit_(std::move(submit)) {}
  OperatorOps(const OperatorOps&) = delete;
  OperatorOps& operator=(const OperatorOps&) = delete;

  // The public calls (coffer::Node's, with its contracts).
  absl::Status TransferLeadership(uint64_t to);
  absl::StatusOr<KeyStatus> RotateKey(const Caller& caller);
  absl::StatusOr<std::vector<std::string>> Rekey(
      const std::vector<std::string>& current_keys, int secret_shares,
      int secret_threshold);
  absl::Status SealMigrate(const std::vector<std::string>& keys);

  // Loop: this node's key status (GetKeyStatus).
  absl::StatusOr<KeyStatus> KeyStatusNow() const;
  // Leader: asks the core to hand the leadership to `to` (0: pick the most
  // caught-up other voter); `done` runs from CheckTransfers.
  void StartTransfer(uint64_t to, uint64_t deadline, Done done);
  // Completes transfers whose target leads, that failed or timed out.
  void CheckTransfers();
  // Runs rotate_key, rekey or seal_migrate inside a StateView request on
  // the leader; returns the op's result.
  absl::StatusOr<nodepb::OpResult> Run(const nodepb::Op& op);
  // Leader: wraps the Done of a seal_migrate op so that a migration that
  // fails (or whose outcome is unknown) seals the leader again if it was
  // sealed: its barrier was unsealed by a seal change the cluster may not
  // have.
  Done SealUnlessApplied(Done done);

 private:
  LoopState* const loop_;
  const Observer* const observer_;
  const Submit submit_;

  // Leadership transfers this node (the leader when each started) waits
  // on. They outlive the leadership: they complete when `to` leads.
  struct Transfer {
    uint64_t to;
    uint64_t deadline;
    Done done;
  };
  std::vector<Transfer> transfers_;
};

}  // namespace coffer::node

#endif  // COFFER_LIB_NODE_OPERATOR_OPS_H_
