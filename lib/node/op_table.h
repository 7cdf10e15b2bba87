// The kinds of request a node takes: which are reads, which need an
// unsealed node, and the checks every request passes before it runs. Used
// by the request pipeline (where a request goes) and the node's executor
// (what runs it).
//
// Thread-safety: free functions over values; thread-safe.
#ifndef COFFER_LIB_NODE_OP_TABLE_H_
#define COFFER_LIB_NODE_OP_TABLE_H_

#include "absl/status/status.h"
#include "proto/node.pb.h"

namespace coffer::node {

// Reads run on the applied state after a read index (or stale); everything
// else is queued on the leader and proposed.
bool IsRead(const nodepb::Op& op);
// Ops that serve or change data: refused by a sealed node.
bool NeedsUnsealed(const nodepb::Op& op);
// kInvalidArgument for an op that is malformed on its face (an empty one,
// an unknown KV kind, a bad raw path, ...). Engines check the rest.
absl::Status CheckOp(const nodepb::Op& op);
// kInvalidArgument for a malformed operator op (ops.cc).
absl::Status CheckOpsOp(const nodepb::Op& op);

}  // namespace coffer::node

#endif  // COFFER_LIB_NODE_OP_TABLE_H_
