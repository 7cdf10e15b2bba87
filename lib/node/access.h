// The one table of coffer's access rules: which capability, on which of
// Vault's paths, each kind of request needs of its caller's token.
//
// A request a caller makes carries the caller's token (nodepb::Op.token).
// The node that runs it (the leader for a write, the serving node for a
// read) asks RequiredAccess what the op needs and AuthService::Check
// checks the token against it, on the same state the op then runs on.
// Ops the node makes itself (a purge batch, the steps of a snapshot, a
// peer change after its Authorize, the leader's token tidy) and those a
// peer sends for its own protocols need no token: they are kInternal.
// A kInternal op is never built from a caller's arguments alone: each
// public call that starts one first runs an Authorize op with the call's
// own access (node_impl.cc).
//
// The paths are Vault's: KV v2 at "<mount>/data/<key>", "<mount>/metadata/
// <key>", "<mount>/delete|undelete|destroy/<key>"; "sys/mounts/<mount>";
// "sys/raw/<path>" (sudo); "auth/token/*"; "sys/policies/acl/<name>";
// "sys/capabilities*"; "sys/rotate", "sys/seal", "sys/step-down" (sudo);
// "sys/key-status"; "sys/storage/raft/*"; "sys/auth/<path>" (sudo) and
// "auth/<path>..." of the auth methods, whose logins need no token.
// docs/design.md lists the table.
//
// Thread-safety: pure functions.
#ifndef COFFER_LIB_NODE_ACCESS_H_
#define COFFER_LIB_NODE_ACCESS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "acl/capability.h"
#include "coffer/auth.h"
#include "proto/node.pb.h"

namespace coffer::node {

struct Access {
  enum class Kind {
    kInternal,  // no token: the node's own ops and its peers' protocols
    kToken,     // the caller's token must grant what follows
    // No token: a login (Vault's auth/<path>/login), which is its own
    // credential check. Served by an unsealed node only.
    kOpen,
  };
  Kind kind = Kind::kInternal;
  std::string path;
  acl::Capability capability = acl::Capability::kRead;
  bool sudo = false;  // sudo on `path` as well
  // `capability` is kUpdate, but kCreate suffices when the target does not
  // exist yet (Vault's existence check: KV writes, policy writes).
  bool create_if_absent = false;
  // Allowed before the cluster is initialized (there are no tokens yet).
  bool open_before_init = false;
  // The op's result decides (FIND_MOUNT): the token must be usable, and the
  // op answers only with a mount its ACL grants something under. `path` is
  // for the audit record only.
  bool decided_by_result = false;
};

// What `op` needs. kInvalidArgument for an op whose paths are malformed
// (a bad mount or key), before any check; the engines check the rest.
absl::StatusOr<Access> RequiredAccess(const nodepb::Op& op);

// Sets `op`'s token and remote address from `caller`.
void SetCaller(const Caller& caller, nodepb::Op* op);

// The Authorize op a call made of internal steps runs first.
nodepb::Op AuthorizeOp(absl::string_view token, absl::string_view path,
                       acl::Capability capability, bool sudo = false,
                       bool open_before_init = false);

// Paths of the operator calls (the Authorize ops of node_impl.cc).
inline constexpr absl::string_view kSealPath = "sys/seal";
inline constexpr absl::string_view kStepDownPath = "sys/step-down";
inline constexpr absl::string_view kKeyStatusPath = "sys/key-status";
inline constexpr absl::string_view kRaftConfigurationPath =
    "sys/storage/raft/configuration";
inline constexpr absl::string_view kRaftAddPeerPath =
    "sys/storage/raft/add-peer";
inline constexpr absl::string_view kRaftRemovePeerPath =
    "sys/storage/raft/remove-peer";
inline constexpr absl::string_view kSnapshotPath = "sys/storage/raft/snapshot";
inline constexpr absl::string_view kSnapshotForcePath =
    "sys/storage/raft/snapshot-force";

}  // namespace coffer::node

#endif  // COFFER_LIB_NODE_ACCESS_H_
