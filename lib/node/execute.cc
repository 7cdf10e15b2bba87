// The leader's executor: what runs each kind of request once the request
// pipeline (request_pipeline.h) hands it over, and what serves a read from
// the applied state. Writes run inside a StateView request; their writes
// go back to the pipeline as one proposal.
#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "acl/policy.h"
#include "auth/token.h"
#include "base/status_macros.h"
#include "crypto/secure_buffer.h"
#include "kv/txn.h"
#include "node/access.h"
#include "node/auth_service.h"
#include "node/barrier_txn.h"
#include "node/codec.h"
#include "node/node_impl.h"
#include "node/op_table.h"
#include "node/snapshot_ops.h"

namespace coffer::node {

void NodeImpl::Execute(nodepb::Op op, uint64_t deadline, Done done) {
  if (op.has_snapshot_commit()) {
    return snapshots_->ExecuteCommit(op, deadline, std::move(done));
  }
  if (op.has_add_peer() || op.has_remove_peer()) {
    return membership_->ExecutePeerChange(op, deadline, std::move(done));
  }
  if (op.has_kv() && (op.kv().kind() == nodepb::KvOp::DISABLE_MOUNT ||
                      op.kv().kind() == nodepb::KvOp::PURGE)) {
    done = ContinuePurge(std::move(done));
  }
  if (op.has_transfer_leadership()) {
    return ops_->StartTransfer(op.transfer_leadership().to(), deadline,
                               std::move(done));
  }
  if (op.has_seal_migrate()) done = ops_->SealUnlessApplied(std::move(done));
  const bool was_sealed = loop_.barrier->sealed();
  if (op.has_auth() && op.auth().kind() == nodepb::AuthOp::REVOKE) {
    done = [this, done = std::move(done)](absl::StatusOr<nodepb::OpResult> r) {
      if (r.ok()) auth_->AfterRevoke(r->auth());
      done(std::move(r));
    };
  }
  loop_.view->BeginRequest();
  absl::StatusOr<nodepb::OpResult> result = RunChecked(op);
  storage::WriteSet writes = loop_.view->EndRequest();
  if (!result.ok()) {
    // A failed Initialize must not leave a Kms-unsealed barrier holding a
    // keyring that was never replicated. (Only one that was sealed before:
    // a repeated Initialize on an initialized, unsealed leader must not
    // seal it.)
    if (op.has_initialize() && was_sealed) loop_.seal->Seal();
    result = Annotate(result.status());
  }
  // A refusal (a check-and-set mismatch, a missing key) or a result that
  // wrote nothing was decided on the applied state and this leader's writes
  // in flight: it is answered once those are known to be committed.
  if (!result.ok() || writes.empty()) {
    return pipeline_->AnswerWhenConfirmed(std::move(result), deadline,
                                          std::move(done));
  }
  pipeline_->Propose(writes, *std::move(result), deadline, std::move(done));
}

absl::StatusOr<nodepb::OpResult> NodeImpl::RunChecked(const nodepb::Op& op) {
  if (NeedsUnsealed(op) && loop_.barrier->sealed()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "node: the leader (node ", loop_.options.id, ") is sealed"));
  }
  COFFER_ASSIGN_OR_RETURN(const Access access, RequiredAccess(op));
  BarrierReader reader(loop_.barrier.get());
  kv::BufferedTxn txn(&reader);
  COFFER_ASSIGN_OR_RETURN(const AuthService::Checked caller,
                          auth_->Check(op, access, &txn, /*writing=*/true,
                                       [&] { return Exists(op, &txn); }));
  // A limited-use token's use: proposed with the request's own writes.
  COFFER_RETURN_IF_ERROR(WriteThrough(&txn, loop_.barrier.get()));
  absl::StatusOr<nodepb::OpResult> out = RunLogical(op, caller);
  if (out.ok() && caller.token.has_value() && op.want_caller()) {
    *out->mutable_caller() = TokenViewOf(*caller.token);
  }
  return out;
}

absl::StatusOr<bool> NodeImpl::Exists(const nodepb::Op& op, kv::Reader* txn) {
  if (op.has_kv()) return kv_->Exists(op.kv());
  if (op.has_method()) return methods_->Exists(op.method(), txn);
  if (op.has_auth() && op.auth().kind() == nodepb::AuthOp::WRITE_POLICY) {
    COFFER_ASSIGN_OR_RETURN(std::string name,
                            acl::NormalizePolicyName(op.auth().name()));
    COFFER_ASSIGN_OR_RETURN(std::optional<std::string> v,
                            txn->Get(PolicyKey(name)));
    return v.has_value();
  }
  return true;  // no existence check: update is needed
}

absl::StatusOr<nodepb::OpResult> NodeImpl::RunLogical(
    const nodepb::Op& op, const AuthService::Checked& caller) {
  if (op.has_put_raw()) {
    COFFER_RETURN_IF_ERROR(
        loop_.barrier->Put(op.put_raw().path(), op.put_raw().value()));
    return nodepb::OpResult();
  }
  if (op.has_delete_raw()) {
    COFFER_RETURN_IF_ERROR(loop_.barrier->Delete(op.delete_raw().path()));
    return nodepb::OpResult();
  }
  if (op.has_kv()) {
    nodepb::OpResult out;
    COFFER_ASSIGN_OR_RETURN(*out.mutable_kv(), RunKv(op.kv(), caller));
    return out;
  }
  if (op.has_auth()) {
    BarrierReader reader(loop_.barrier.get());
    kv::BufferedTxn txn(&reader);
    nodepb::OpResult out;
    COFFER_ASSIGN_OR_RETURN(*out.mutable_auth(), auth_->Run(op, caller, &txn));
    COFFER_RETURN_IF_ERROR(WriteThrough(&txn, loop_.barrier.get()));
    return out;
  }
  if (op.has_audit()) {
    BarrierReader reader(loop_.barrier.get());
    kv::BufferedTxn txn(&reader);
    nodepb::OpResult out;
    COFFER_ASSIGN_OR_RETURN(*out.mutable_audit(),
                            audit_->Run(op.audit(), &txn));
    COFFER_RETURN_IF_ERROR(WriteThrough(&txn, loop_.barrier.get()));
    return out;
  }
  if (op.has_method()) {
    BarrierReader reader(loop_.barrier.get());
    kv::BufferedTxn txn(&reader);
    nodepb::OpResult out;
    COFFER_ASSIGN_OR_RETURN(*out.mutable_method(), methods_->Run(op, &txn));
    COFFER_RETURN_IF_ERROR(WriteThrough(&txn, loop_.barrier.get()));
    return out;
  }
  if (op.has_authorize()) return nodepb::OpResult();  // the check was all
  if (op.has_get_raw()) {  // a read run as a write (limited uses)
    nodepb::OpResult out;
    COFFER_ASSIGN_OR_RETURN(*out.mutable_value(), ReadRaw(op.get_raw().path()));
    return out;
  }
  if (op.has_rotate_key() || op.has_rekey() || op.has_seal_migrate()) {
    return ops_->Run(op);
  }
  if (op.has_snapshot_prepare() || op.has_snapshot_stage() ||
      op.has_snapshot_discard()) {
    return snapshots_->RunOp(op);
  }
  if (op.has_initialize()) return Initialize(op.initialize());
  return absl::InternalError("node: not a write request");
}

absl::StatusOr<nodepb::OpResult> NodeImpl::Initialize(
    const nodepb::Initialize& init) {
  seal::InitOptions o;
  o.secret_shares = init.secret_shares();
  o.secret_threshold = init.secret_threshold();
  o.recovery_shares = init.recovery_shares();
  o.recovery_threshold = init.recovery_threshold();
  auth::CreatedToken root;
  auto first_records = [&]() -> absl::Status {
    BarrierReader reader(loop_.barrier.get());
    kv::BufferedTxn txn(&reader);
    COFFER_ASSIGN_OR_RETURN(root, auth_->CreateRoot(&txn));
    return WriteThrough(&txn, loop_.barrier.get());
  };
  absl::StatusOr<seal::InitResult> r = loop_.seal->Initialize(o, first_records);
  if (!r.ok()) {
    crypto::Wipe(root.id.data(), root.id.size());
    return r.status();
  }
  nodepb::OpResult out;
  nodepb::InitializeResult* result = out.mutable_initialize();
  for (const std::string& k : r->keys) {
    result->add_keys(absl::BytesToHexString(k));
  }
  for (const std::string& k : r->recovery_keys) {
    result->add_recovery_keys(absl::BytesToHexString(k));
  }
  result->set_root_token(root.id);
  crypto::Wipe(root.id.data(), root.id.size());
  return out;
}

absl::StatusOr<nodepb::OpResult> NodeImpl::Read(const nodepb::Op& op) {
  if (loop_.barrier->sealed() && NeedsUnsealed(op)) return loop_.SealedError();
  COFFER_ASSIGN_OR_RETURN(const Access access, RequiredAccess(op));
  BarrierReader reader(loop_.barrier.get());
  kv::BufferedTxn txn(&reader);
  COFFER_ASSIGN_OR_RETURN(const AuthService::Checked caller,
                          auth_->Check(op, access, &txn, /*writing=*/false, [] {
                            return absl::StatusOr<bool>(true);
                          }));
  nodepb::OpResult out;
  if (caller.run_as_write) {
    out.set_run_as_write(true);
    return out;
  }
  if (op.has_kv()) {
    COFFER_ASSIGN_OR_RETURN(*out.mutable_kv(), RunKv(op.kv(), caller));
  } else if (op.has_snapshot_read_index()) {
    return snapshots_->RunOp(op);
  } else if (op.has_auth()) {
    COFFER_ASSIGN_OR_RETURN(*out.mutable_auth(), auth_->Run(op, caller, &txn));
  } else if (op.has_audit()) {
    COFFER_ASSIGN_OR_RETURN(*out.mutable_audit(),
                            audit_->Run(op.audit(), &txn));
  } else if (op.has_method()) {
    COFFER_ASSIGN_OR_RETURN(*out.mutable_method(), methods_->Run(op, &txn));
  } else if (op.has_authorize()) {
    // The check was all.
  } else {
    COFFER_ASSIGN_OR_RETURN(*out.mutable_value(), ReadRaw(op.get_raw().path()));
  }
  if (caller.token.has_value() && op.want_caller())
    *out.mutable_caller() = TokenViewOf(*caller.token);
  return out;
}

absl::StatusOr<nodepb::KvResult> NodeImpl::RunKv(
    const nodepb::KvOp& op, const AuthService::Checked& caller) {
  COFFER_ASSIGN_OR_RETURN(nodepb::KvResult out, kv_->Run(op, Now()));
  if (op.kind() == nodepb::KvOp::FIND_MOUNT) {
    // Only a mount the caller may use something under; no mount at all is
    // refused the same way, so the call cannot list the mounts.
    if (out.mounts().empty() || caller.acl == nullptr ||
        !caller.acl->GrantsUnder(out.mounts(0).path())) {
      return absl::PermissionDeniedError("node: permission denied");
    }
  }
  return out;
}

absl::StatusOr<std::string> NodeImpl::ReadRaw(absl::string_view path) {
  // Outside a request the view is the applied state alone.
  absl::StatusOr<std::optional<std::string>> v = loop_.barrier->Get(path);
  if (!v.ok()) return Annotate(v.status());
  if (!v->has_value()) {
    return absl::NotFoundError(
        absl::StrCat("node: no value at \"", path, "\""));
  }
  return **std::move(v);
}

Done NodeImpl::ContinuePurge(Done done) {
  return [this, done = std::move(done)](absl::StatusOr<nodepb::OpResult> r) {
    if (r.ok() && r->kv().more() && loop_.soft.role == raft::Role::kLeader) {
      nodepb::Op next;
      next.mutable_kv()->set_kind(nodepb::KvOp::PURGE);
      pipeline_->Enqueue(std::move(next),
                         [](absl::StatusOr<nodepb::OpResult>) {});
    }
    done(std::move(r));
  };
}

}  // namespace coffer::node
