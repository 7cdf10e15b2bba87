// NodeImpl's audit glue: every request made with a token goes through
// Audited, which has the node's audit devices (audit_log.h) record it before
// it runs and its response after; and the sys/audit calls themselves.
#include "base/status_macros.h"
#include "node/codec.h"
#include "node/node_impl.h"

namespace coffer::node {

absl::StatusOr<nodepb::OpResult> NodeImpl::Audited(
    nodepb::Op op,
    const std::function<absl::StatusOr<nodepb::OpResult>(nodepb::Op)>& run) {
  if (op.token().empty()) return run(std::move(op));  // internal: not audited
  absl::StatusOr<Access> access = RequiredAccess(op);
  if (!access.ok()) return access.status();
  if (!audit_->loaded()) {
    // The devices of this node's applied state, loaded before the first
    // record after a change. A sealed node serves nothing a device records.
    absl::Status loaded = RunOnLoop<bool>([this]() -> absl::StatusOr<bool> {
                            absl::Status s = audit_->Load();
                            if (!s.ok() && !loop_.barrier->sealed()) return s;
                            return true;
                          }).status();
    if (!loaded.ok()) return loaded;
  }
  absl::StatusOr<AuditLog::Call> call = audit_->Request(op, *access);
  if (!call.ok()) return call.status();  // fail closed: nothing ran
  nodepb::Op copy;
  if (call->audited()) {
    op.set_want_caller(true);
    copy = op;
  }
  absl::StatusOr<nodepb::OpResult> r = run(std::move(op));
  if (call->audited()) {
    COFFER_RETURN_IF_ERROR(audit_->Response(*call, copy, r));
  }
  return r;
}

namespace {

nodepb::Op AuditOpOf(const Caller& caller, nodepb::AuditOp::Kind kind,
                     absl::string_view path) {
  nodepb::Op op;
  SetCaller(caller, &op);
  op.mutable_audit()->set_kind(kind);
  op.mutable_audit()->set_path(std::string(path));
  return op;
}

}  // namespace

absl::Status NodeImpl::EnableAudit(const Caller& caller,
                                   const AuditDevice& device) {
  COFFER_ASSIGN_OR_RETURN(std::string path, CanonicalAuditPath(device.path));
  nodepb::Op op = AuditOpOf(caller, nodepb::AuditOp::ENABLE, path);
  nodepb::AuditDeviceRecord* r = op.mutable_audit()->mutable_device();
  r->set_type(device.type);
  r->set_description(device.description);
  for (const auto& [k, v] : device.options) (*r->mutable_options())[k] = v;
  return Submit(std::move(op)).status();
}

absl::Status NodeImpl::DisableAudit(const Caller& caller,
                                    absl::string_view path) {
  COFFER_ASSIGN_OR_RETURN(std::string canonical, CanonicalAuditPath(path));
  return Submit(AuditOpOf(caller, nodepb::AuditOp::DISABLE, canonical))
      .status();
}

absl::StatusOr<std::vector<AuditDevice>> NodeImpl::ListAudit(
    const Caller& caller) {
  COFFER_ASSIGN_OR_RETURN(nodepb::OpResult r,
                          Submit(AuditOpOf(caller, nodepb::AuditOp::LIST, "")));
  COFFER_RETURN_IF_ERROR(CheckResult(r, nodepb::OpResult::kAudit, "audit"));
  std::vector<AuditDevice> out;
  for (const nodepb::AuditDeviceRecord& d : r.audit().devices()) {
    AuditDevice a;
    a.path = d.path();
    a.type = d.type();
    a.description = d.description();
    for (const auto& [k, v] : d.options()) a.options[k] = v;
    out.push_back(std::move(a));
  }
  return out;
}

absl::StatusOr<std::string> NodeImpl::AuditHash(const Caller& caller,
                                                absl::string_view path,
                                                absl::string_view input) {
  COFFER_ASSIGN_OR_RETURN(std::string canonical, CanonicalAuditPath(path));
  if (input.size() > (size_t{1} << 20)) {
    return absl::InvalidArgumentError("node: audit-hash input above 1 MiB");
  }
  nodepb::Op op = AuditOpOf(caller, nodepb::AuditOp::HASH, canonical);
  op.mutable_audit()->set_input(std::string(input));
  COFFER_ASSIGN_OR_RETURN(nodepb::OpResult r, Submit(std::move(op)));
  COFFER_RETURN_IF_ERROR(CheckResult(r, nodepb::OpResult::kAudit, "audit"));
  return r.audit().hash();
}

}  // namespace coffer::node
