#include "node/operator_ops.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "crypto/secure_buffer.h"
#include "node/access.h"
#include "node/codec.h"
#include "node/op_table.h"

namespace coffer::node {
namespace {

// The latest rotation's term and time (OpsKeyStatus, through the barrier).
constexpr absl::string_view kKeyInstallPath = "core/key-install";
constexpr uint32_t kKeyInstallVersion = 1;

KeyStatus FromProto(const nodepb::OpsKeyStatus& pb) {
  KeyStatus k;
  k.term = pb.term();
  k.install_time = absl::FromUnixNanos(pb.install_time_unix_nanos());
  k.encryptions = pb.encryptions();
  return k;
}

absl::Status CheckShareList(
    const google::protobuf::RepeatedPtrField<std::string>& keys,
    absl::string_view what) {
  if (keys.empty() || keys.size() > 255) {
    return absl::InvalidArgumentError(
        absl::StrCat("node: ", what, " needs 1..255 shares"));
  }
  for (const std::string& k : keys) {
    if (k.empty() || k.size() > 1024) {
      return absl::InvalidArgumentError(
          absl::StrCat("node: ", what, " got a malformed share"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

// --- Public API --------------------------------------------------------------

absl::Status OperatorOps::TransferLeadership(uint64_t to) {
  nodepb::Op op;
  op.mutable_transfer_leadership()->set_to(to);
  return submit_(std::move(op)).status();
}

absl::StatusOr<KeyStatus> OperatorOps::RotateKey(const Caller& caller) {
  nodepb::Op op;
  op.mutable_rotate_key();
  SetCaller(caller, &op);
  COFFER_ASSIGN_OR_RETURN(nodepb::OpResult r, submit_(std::move(op)));
  COFFER_RETURN_IF_ERROR(
      CheckResult(r, nodepb::OpResult::kKeyStatus, "RotateKey"));
  return FromProto(r.key_status());
}

absl::StatusOr<KeyStatus> OperatorOps::KeyStatusNow() const {
  if (loop_->barrier->sealed()) return loop_->SealedError();
  KeyStatus k;
  k.term = loop_->barrier->active_term();
  k.encryptions = loop_->barrier->active_encryptions();
  // Outside a request the view is the applied state.
  absl::StatusOr<std::optional<std::string>> rec =
      loop_->barrier->Get(kKeyInstallPath);
  if (!rec.ok()) return Annotate(rec.status());
  nodepb::OpsKeyStatus pb;
  if (rec->has_value() && pb.ParseFromString(**rec) &&
      pb.version() == kKeyInstallVersion && pb.term() == k.term) {
    k.install_time = absl::FromUnixNanos(pb.install_time_unix_nanos());
  }
  return k;
}

absl::StatusOr<std::vector<std::string>> OperatorOps::Rekey(
    const std::vector<std::string>& current_keys, int secret_shares,
    int secret_threshold) {
  nodepb::Op op;
  nodepb::OpsRekey* r = op.mutable_rekey();
  for (const std::string& k : current_keys) r->add_current_keys(k);
  r->set_secret_shares(secret_shares);
  r->set_secret_threshold(secret_threshold);
  COFFER_ASSIGN_OR_RETURN(nodepb::OpResult result, submit_(std::move(op)));
  COFFER_RETURN_IF_ERROR(
      CheckResult(result, nodepb::OpResult::kRekey, "Rekey"));
  return std::vector<std::string>(result.rekey().keys().begin(),
                                  result.rekey().keys().end());
}

absl::Status OperatorOps::SealMigrate(const std::vector<std::string>& keys) {
  nodepb::Op op;
  for (const std::string& k : keys) op.mutable_seal_migrate()->add_keys(k);
  if (keys.empty()) op.mutable_seal_migrate();
  return submit_(std::move(op)).status();
}

// --- On the loop
// ---------------------------------------------------------------

absl::Status CheckOpsOp(const nodepb::Op& op) {
  switch (op.op_case()) {
    case nodepb::Op::kTransferLeadership:
    case nodepb::Op::kRotateKey:
      return absl::OkStatus();
    case nodepb::Op::kRekey:
      return CheckShareList(op.rekey().current_keys(), "Rekey");
    case nodepb::Op::kSealMigrate:
      return CheckShareList(op.seal_migrate().keys(), "SealMigrate");
    default:
      return absl::InternalError("node: not an operator op");
  }
}

void OperatorOps::StartTransfer(uint64_t to, uint64_t deadline, Done done) {
  const raft::Status st = loop_->raft->GetStatus();
  const auto& voters = st.conf_state.voters();
  auto is_voter = [&](uint64_t id) {
    return std::find(voters.begin(), voters.end(), id) != voters.end();
  };
  if (to == 0) {
    // The most caught-up other voter; ties go to the lowest id (the
    // progress map is ordered by id).
    uint64_t best_match = 0;
    for (const auto& [id, pr] : st.progress) {
      if (id == loop_->options.id || !is_voter(id)) continue;
      if (to == 0 || pr.match > best_match) {
        to = id;
        best_match = pr.match;
      }
    }
    if (to == 0) {
      return done(absl::FailedPreconditionError(
          "node: there is no other voter to hand the leadership to"));
    }
  }
  if (to == loop_->options.id)
    return done(nodepb::OpResult());  // already leads
  if (!is_voter(to)) {
    return done(absl::FailedPreconditionError(
        absl::StrCat("node: node ", to, " is not a voter")));
  }
  if (absl::Status s = loop_->raft->TransferLeadership(to); !s.ok()) {
    return done(Annotate(s));
  }
  observer_->Log(LogLevel::kInfo,
                 absl::StrCat("handing the leadership to node ", to));
  transfers_.push_back(Transfer{to, deadline, std::move(done)});
}

void OperatorOps::CheckTransfers() {
  if (transfers_.empty()) return;
  const bool leading = loop_->soft.role == raft::Role::kLeader;
  const uint64_t transferee =
      leading ? loop_->raft->GetStatus().lead_transferee : 0;
  std::vector<Transfer> pending;
  std::vector<std::pair<Done, absl::StatusOr<nodepb::OpResult>>> finished;
  for (Transfer& t : transfers_) {
    absl::Status s;
    if (!loop_->fatal.ok()) {
      s = loop_->fatal;
    } else if (loop_->soft.lead == t.to) {
      finished.emplace_back(std::move(t.done), nodepb::OpResult());
      continue;
    } else if (loop_->soft.lead != 0 && loop_->soft.lead != loop_->options.id) {
      s = absl::UnavailableError(
          absl::StrCat("node: node ", loop_->soft.lead,
                       " became the leader instead of node ", t.to));
    } else if (leading && transferee != t.to) {
      // The core gave up (an election timeout passed) or another transfer
      // replaced this one.
      s = absl::DeadlineExceededError(
          absl::StrCat("node: the leadership transfer to node ", t.to,
                       " did not complete; this node is still the leader"));
    } else if (t.deadline < loop_->now_tick) {
      s = absl::DeadlineExceededError(absl::StrCat(
          "node: the leadership transfer to node ", t.to, " timed out"));
    } else {
      pending.push_back(std::move(t));
      continue;
    }
    finished.emplace_back(std::move(t.done), s);
  }
  transfers_ = std::move(pending);
  for (auto& [done, result] : finished) done(std::move(result));
}

Done OperatorOps::SealUnlessApplied(Done done) {
  // A leader unsealed before the op (no migration pending) stays unsealed.
  return [this, was_sealed = loop_->barrier->sealed(),
          done = std::move(done)](absl::StatusOr<nodepb::OpResult> r) {
    if (!r.ok() && was_sealed) loop_->seal->Seal();
    done(std::move(r));
  };
}

absl::StatusOr<nodepb::OpResult> OperatorOps::Run(const nodepb::Op& op) {
  if (op.has_rotate_key()) {
    // Stored, not adopted: see Barrier::StoreRotation.
    COFFER_ASSIGN_OR_RETURN(uint32_t term, loop_->barrier->StoreRotation());
    nodepb::OpsKeyStatus rec;
    rec.set_version(kKeyInstallVersion);
    rec.set_term(term);
    rec.set_install_time_unix_nanos(absl::ToUnixNanos(LoopState::Now()));
    COFFER_RETURN_IF_ERROR(
        loop_->barrier->Put(kKeyInstallPath, rec.SerializeAsString()));
    observer_->Log(LogLevel::kInfo,
                   absl::StrCat("proposing keyring rotation to term ", term));
    nodepb::OpResult out;
    *out.mutable_key_status() = std::move(rec);
    return out;
  }
  if (op.has_rekey()) {
    const nodepb::OpsRekey& r = op.rekey();
    std::vector<std::string> current(r.current_keys().begin(),
                                     r.current_keys().end());
    absl::StatusOr<std::vector<std::string>> keys =
        loop_->seal->Rekey(current, r.secret_shares(), r.secret_threshold());
    for (std::string& k : current) crypto::Wipe(k.data(), k.size());
    if (!keys.ok()) return keys.status();
    nodepb::OpResult out;
    for (std::string& k : *keys) {
      out.mutable_rekey()->add_keys(absl::BytesToHexString(k));
      crypto::Wipe(k.data(), k.size());
    }
    observer_->Log(LogLevel::kInfo,
                   absl::StrCat("proposing a rekey to ", r.secret_shares(),
                                " shares, threshold ", r.secret_threshold()));
    return out;
  }
  if (op.has_seal_migrate()) {
    COFFER_ASSIGN_OR_RETURN(SealStatus before, loop_->seal->Status());
    if (!before.initialized) {
      return absl::FailedPreconditionError("node: not initialized");
    }
    if (!before.migration) {
      return absl::FailedPreconditionError(absl::StrCat(
          "node: no seal migration is pending on the leader (node ",
          loop_->options.id,
          "): open the nodes with the new seal (options.kms, or "
          "options.migrate_from_kms to leave a Kms) first"));
    }
    loop_->seal->ResetUnseal();
    for (const std::string& key : op.seal_migrate().keys()) {
      absl::StatusOr<SealStatus> st =
          loop_->seal->SubmitUnsealKey(key, /*migrate=*/true);
      if (!st.ok()) {
        loop_->seal->ResetUnseal();
        return st.status();
      }
      if (!st->sealed) {
        observer_->Log(
            LogLevel::kInfo,
            absl::StrCat("proposing a seal migration from ",
                         before.recovery_seal ? "auto-unseal" : "shamir"));
        return nodepb::OpResult();
      }
    }
    loop_->seal->ResetUnseal();
    return absl::InvalidArgumentError(
        absl::StrCat("node: SealMigrate needs ", before.threshold,
                     " distinct shares of the stored seal"));
  }
  return absl::InternalError("node: not an operator op");
}

}  // namespace coffer::node
