// AuditLog: the node's audit devices (Vault's sys/audit) and the records
// they keep of every request made with a token.
//
// The device table is replicated: each device is a record
// "sys/audit/<path>" (nodepb::AuditDeviceRecord, with its own HMAC key)
// behind the barrier, written by the leader's executor (Run). Each node
// opens its own devices from its applied state (Load) and writes its own
// records: a request entry before the request runs and a response entry
// after, both for the calls served on this node (the node that a caller
// called; what a forwarded write did on the leader is recorded by the node
// the caller called). Records follow Vault's file audit format: one JSON
// object a line; "time", "type" ("request" or "response"), "auth",
// "request" {id, operation, client_token, client_token_accessor, path,
// data, remote_address}, "response" {data} and "error". Every string that
// may be secret (the token, its accessor, every string of the request's
// and the response's data) is "hmac-sha256:<hex>" under the device's key;
// only the path, the operation, numbers, enum names, policy names and the
// display name are in clear.
//
// Fail closed: with at least one device enabled, a request whose request
// entry no device could keep is refused before it runs (kUnavailable), as
// Vault does; a response no device could keep turns the call's result into
// kUnavailable "the response could not be audited" (the request did run).
//
//   Loop thread: Run (the ENABLE, DISABLE, LIST and HASH ops), Load,
//     Invalidate.
//   Caller threads: loaded, Request, Response (they take a snapshot of the
//     devices under a mutex and write outside it; a device serializes its
//     own writes).
#ifndef COFFER_LIB_NODE_AUDIT_LOG_H_
#define COFFER_LIB_NODE_AUDIT_LOG_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "kv/txn.h"
#include "node/access.h"
#include "node/loop_state.h"
#include "proto/node.pb.h"

namespace coffer::node {

class AuditSink;  // one enabled device (audit_log.cc)

class AuditLog {
 public:
  // `loop` is borrowed and outlives the log.
  explicit AuditLog(LoopState* loop);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // --- Loop thread.

  // Runs an audit op with its writes buffered in `txn`.
  absl::StatusOr<nodepb::AuditResult> Run(const nodepb::AuditOp& op,
                                          kv::BufferedTxn* txn);
  // Opens the devices the applied state holds. kFailedPrecondition when
  // sealed (the records are behind the barrier).
  absl::Status Load();
  // The device records changed, or the whole state did: load again before
  // the next record.
  void Invalidate() ABSL_LOCKS_EXCLUDED(mu_);

  // --- Caller threads.

  // Whether Load ran since the last change.
  bool loaded() const ABSL_LOCKS_EXCLUDED(mu_);

  // One audited call: its request entry, then its response entry, by the
  // devices enabled when it started.
  struct Call {
    bool audited() const { return !devices.empty(); }

    std::vector<std::shared_ptr<AuditSink>> devices;
    std::string id;  // a random request id, in both entries
    std::string operation;
    std::string path;
  };
  // Records the request entry of `op` (which carries its caller's token)
  // with `access`. kUnavailable if devices are enabled and none kept it.
  absl::StatusOr<Call> Request(const nodepb::Op& op, const Access& access)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Records the response entry of `call`; `result` is the call's. OK when
  // one device kept it (or none is enabled), else kUnavailable.
  absl::Status Response(const Call& call, const nodepb::Op& op,
                        const absl::StatusOr<nodepb::OpResult>& result);

 private:
  absl::StatusOr<nodepb::AuditResult> Enable(const nodepb::AuditOp& op,
                                             kv::BufferedTxn* txn);

  LoopState* const loop_;
  mutable absl::Mutex mu_;
  bool loaded_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::shared_ptr<AuditSink>> devices_ ABSL_GUARDED_BY(mu_);
};

// "sys/audit/<path>".
std::string AuditKey(absl::string_view path);

// The canonical form of a device path: no leading '/', one trailing '/',
// 1..128 bytes of [A-Za-z0-9._-/]. kInvalidArgument otherwise.
absl::StatusOr<std::string> CanonicalAuditPath(absl::string_view path);

}  // namespace coffer::node

#endif  // COFFER_LIB_NODE_AUDIT_LOG_H_
