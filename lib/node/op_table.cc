#include "node/op_table.h"

#include "node/codec.h"

namespace coffer::node {

bool IsRead(const nodepb::Op& op) {
  if (op.as_write()) return false;
  if (op.has_get_raw() || op.has_snapshot_read_index() || op.has_authorize()) {
    return true;
  }
  if (op.has_audit()) {
    return op.audit().kind() == nodepb::AuditOp::LIST ||
           op.audit().kind() == nodepb::AuditOp::HASH;
  }
  if (op.has_method()) {
    switch (op.method().kind()) {
      case nodepb::AuthMethodOp::LIST:
      case nodepb::AuthMethodOp::READ_ROLE:
      case nodepb::AuthMethodOp::LIST_ROLES:
      case nodepb::AuthMethodOp::READ_ROLE_ID:
      case nodepb::AuthMethodOp::LOOKUP_SECRET_ID:
      case nodepb::AuthMethodOp::READ_USER:
      case nodepb::AuthMethodOp::LIST_USERS:
      case nodepb::AuthMethodOp::LOGIN_SALT:
        return true;
      default:
        return false;
    }
  }
  if (op.has_auth()) {
    switch (op.auth().kind()) {
      case nodepb::AuthOp::LOOKUP:
      case nodepb::AuthOp::LIST_ACCESSORS:
      case nodepb::AuthOp::READ_POLICY:
      case nodepb::AuthOp::LIST_POLICIES:
      case nodepb::AuthOp::CAPABILITIES:
        return true;
      default:
        return false;
    }
  }
  if (!op.has_kv()) return false;
  switch (op.kv().kind()) {
    case nodepb::KvOp::LIST_MOUNTS:
    case nodepb::KvOp::FIND_MOUNT:
    case nodepb::KvOp::GET:
    case nodepb::KvOp::READ_METADATA:
    case nodepb::KvOp::LIST:
      return true;
    default:
      return false;
  }
}

bool NeedsUnsealed(const nodepb::Op& op) {
  return op.has_put_raw() || op.has_delete_raw() || op.has_get_raw() ||
         op.has_kv() || op.has_auth() || op.has_audit() || op.has_method() ||
         op.has_rotate_key() || op.has_rekey() || op.has_snapshot_prepare() ||
         op.has_snapshot_read_index() || op.has_snapshot_stage() ||
         op.has_snapshot_commit() || op.has_snapshot_discard();
}

absl::Status CheckOp(const nodepb::Op& op) {
  switch (op.op_case()) {
    case nodepb::Op::kPutRaw:
      return CheckRawPath(op.put_raw().path());
    case nodepb::Op::kDeleteRaw:
      return CheckRawPath(op.delete_raw().path());
    case nodepb::Op::kGetRaw:
      return CheckRawPath(op.get_raw().path());
    case nodepb::Op::kKv:
      // The engine checks the rest.
      if (!nodepb::KvOp::Kind_IsValid(op.kv().kind()) ||
          op.kv().kind() == nodepb::KvOp::KIND_UNSPECIFIED) {
        return absl::InvalidArgumentError("node: an unknown KV operation");
      }
      return absl::OkStatus();
    case nodepb::Op::kAuth:
      if (!nodepb::AuthOp::Kind_IsValid(op.auth().kind()) ||
          op.auth().kind() == nodepb::AuthOp::KIND_UNSPECIFIED ||
          !nodepb::AuthOp::Ref_IsValid(op.auth().ref())) {
        return absl::InvalidArgumentError("node: an unknown token operation");
      }
      return absl::OkStatus();
    case nodepb::Op::kAudit:
      if (!nodepb::AuditOp::Kind_IsValid(op.audit().kind()) ||
          op.audit().kind() == nodepb::AuditOp::KIND_UNSPECIFIED) {
        return absl::InvalidArgumentError("node: an unknown audit operation");
      }
      return absl::OkStatus();
    case nodepb::Op::kMethod:
      if (!nodepb::AuthMethodOp::Kind_IsValid(op.method().kind()) ||
          op.method().kind() == nodepb::AuthMethodOp::KIND_UNSPECIFIED) {
        return absl::InvalidArgumentError(
            "node: an unknown auth method operation");
      }
      return absl::OkStatus();
    case nodepb::Op::kAuthorize:
      if (op.authorize().path().empty() ||
          op.authorize().path().size() > 4096) {
        return absl::InvalidArgumentError("node: Authorize needs a path");
      }
      return absl::OkStatus();
    case nodepb::Op::kInitialize:
      return absl::OkStatus();  // the seal checks the share counts
    case nodepb::Op::kAddPeer:
      if (op.add_peer().id() == 0 || op.add_peer().address().empty()) {
        return absl::InvalidArgumentError("node: AddPeer needs id and address");
      }
      return absl::OkStatus();
    case nodepb::Op::kRemovePeer:
      if (op.remove_peer().id() == 0) {
        return absl::InvalidArgumentError("node: RemovePeer of id 0");
      }
      return absl::OkStatus();
    case nodepb::Op::kTransferLeadership:
    case nodepb::Op::kRotateKey:
    case nodepb::Op::kRekey:
    case nodepb::Op::kSealMigrate:
      return CheckOpsOp(op);
    case nodepb::Op::kSnapshotPrepare:
    case nodepb::Op::kSnapshotReadIndex:
      return absl::OkStatus();
    case nodepb::Op::kSnapshotStage:
    case nodepb::Op::kSnapshotCommit:
    case nodepb::Op::kSnapshotDiscard:
      if ((op.has_snapshot_stage() ? op.snapshot_stage().restore_id()
           : op.has_snapshot_commit()
               ? op.snapshot_commit().restore_id()
               : op.snapshot_discard().restore_id()) == 0) {
        return absl::InvalidArgumentError("node: a restore id of 0");
      }
      return absl::OkStatus();
    case nodepb::Op::OP_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("node: an empty request");
}

}  // namespace coffer::node
