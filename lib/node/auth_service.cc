#include "node/auth_service.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "acl/parse.h"
#include "acl/records.h"
#include "auth/methods.h"
#include "auth/random.h"
#include "base/status_macros.h"
#include "crypto/hash.h"
#include "crypto/secure_buffer.h"
#include "kv/records.h"
#include "node/barrier_txn.h"
#include "node/codec.h"

namespace coffer::node {
namespace {

// Draws of new random bytes when a creation collides (kAborted), which at
// 192 bits happens only with a broken random source.
constexpr int kCreateAttempts = 3;
// Expired tokens one upkeep batch revokes at most.
constexpr size_t kExpiredPerBatch = 256;
// Bounds of the policy cache: past them it starts over (a cache miss costs
// a few record reads and a compilation, not a wrong answer).
constexpr size_t kMaxCachedAcls = 1024;
constexpr size_t kMaxCachedPolicies = 4096;
constexpr size_t kMaxCachedCallers = 4096;

absl::Status Denied() {
  return absl::PermissionDeniedError("node: permission denied");
}

// The store's refusals of a caller's token become the node's one refusal.
absl::Status CallerError(const absl::Status& s) {
  return absl::IsPermissionDenied(s) ? Denied() : Annotate(s);
}

void Wipe(std::string* s) {
  crypto::Wipe(s->data(), s->size());
  s->clear();
}

}  // namespace

nodepb::TokenView TokenViewOf(const auth::Token& t) {
  nodepb::TokenView v;
  v.set_accessor(t.accessor);
  for (const std::string& p : t.policies) v.add_policies(p);
  for (const auto& [k, value] : t.metadata) (*v.mutable_metadata())[k] = value;
  v.set_display_name(t.display_name);
  v.set_num_uses(t.num_uses);
  v.set_creation_time_nanos(kv::ToNanos(t.creation_time));
  v.set_creation_ttl_nanos(kv::ToNanos(t.creation_ttl));
  if (t.expire_time.has_value()) {
    v.set_has_expire_time(true);
    v.set_expire_time_nanos(kv::ToNanos(*t.expire_time));
  }
  v.set_ttl_nanos(kv::ToNanos(t.ttl));
  v.set_explicit_max_ttl_nanos(kv::ToNanos(t.explicit_max_ttl));
  v.set_period_nanos(kv::ToNanos(t.period));
  v.set_renewable(t.renewable);
  v.set_orphan(t.orphan);
  if (t.last_renewal_time.has_value()) {
    v.set_has_last_renewal_time(true);
    v.set_last_renewal_time_nanos(kv::ToNanos(*t.last_renewal_time));
  }
  if (!t.mount_path.empty()) {
    v.set_path(absl::StrCat("auth/", t.mount_path, "login"));
  }
  for (const std::string& c : t.bound_cidrs) v.add_bound_cidrs(c);
  return v;
}

TokenInfo TokenInfoOf(const nodepb::TokenView& v) {
  TokenInfo t;
  t.accessor = v.accessor();
  t.policies.assign(v.policies().begin(), v.policies().end());
  for (const auto& [k, value] : v.metadata()) t.metadata[k] = value;
  t.display_name = v.display_name();
  t.num_uses = v.num_uses();
  t.creation_time = kv::FromNanos(v.creation_time_nanos());
  t.creation_ttl = absl::Nanoseconds(v.creation_ttl_nanos());
  if (v.has_expire_time()) t.expire_time = kv::FromNanos(v.expire_time_nanos());
  t.ttl = absl::Nanoseconds(v.ttl_nanos());
  t.explicit_max_ttl = absl::Nanoseconds(v.explicit_max_ttl_nanos());
  t.period = absl::Nanoseconds(v.period_nanos());
  t.renewable = v.renewable();
  t.orphan = v.orphan();
  if (v.has_last_renewal_time()) {
    t.last_renewal_time = kv::FromNanos(v.last_renewal_time_nanos());
  }
  t.path = v.path();
  t.bound_cidrs.assign(v.bound_cidrs().begin(), v.bound_cidrs().end());
  return t;
}

namespace {

auth::CreateRequest ToRequest(const nodepb::TokenCreate& c) {
  auth::CreateRequest r;
  r.policies.assign(c.policies().begin(), c.policies().end());
  r.no_default_policy = c.no_default_policy();
  for (const auto& [k, v] : c.metadata()) r.metadata[k] = v;
  r.no_parent = c.no_parent();
  r.renewable = c.renewable();
  r.ttl = absl::Nanoseconds(c.ttl_nanos());
  r.explicit_max_ttl = absl::Nanoseconds(c.explicit_max_ttl_nanos());
  r.period = absl::Nanoseconds(c.period_nanos());
  r.display_name = c.display_name();
  r.num_uses = c.num_uses();
  return r;
}

absl::Status CheckDuration(absl::Duration d, absl::string_view what) {
  if (d < absl::ZeroDuration() || d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("node: ", what, " must be finite and not negative"));
  }
  return absl::OkStatus();
}

absl::Status SetRef(const TokenRef& ref, nodepb::AuthOp* op) {
  switch (ref.kind) {
    case TokenRef::Kind::kSelf:
      op->set_ref(nodepb::AuthOp::SELF);
      return absl::OkStatus();
    case TokenRef::Kind::kId:
      op->set_ref(nodepb::AuthOp::ID);
      break;
    case TokenRef::Kind::kAccessor:
      op->set_ref(nodepb::AuthOp::ACCESSOR);
      break;
  }
  if (ref.value.empty() || ref.value.size() > 256) {
    return absl::InvalidArgumentError(
        "node: a token or accessor of 1..256 bytes is needed");
  }
  op->set_ref_value(std::string(ref.value));
  return absl::OkStatus();
}

}  // namespace

std::string PolicyKey(absl::string_view name) {
  return absl::StrCat(kPolicyPrefix, "acl/", name);
}

AuthService::AuthService(LoopState* loop, Submit submit, Enqueue enqueue)
    : loop_(loop), submit_(std::move(submit)), enqueue_(std::move(enqueue)) {}

// --- The check ------------------------------------------------------------

absl::StatusOr<AuthService::Checked> AuthService::Check(
    const nodepb::Op& op, const Access& access, kv::BufferedTxn* txn,
    bool writing, const std::function<absl::StatusOr<bool>()>& exists) {
  Checked out;
  if (access.kind == Access::Kind::kInternal) return out;
  if (access.kind == Access::Kind::kOpen) {
    if (loop_->barrier->sealed()) return loop_->SealedError();
    return out;
  }
  if (loop_->barrier->sealed()) {
    if (access.open_before_init) {
      absl::StatusOr<SealStatus> st = loop_->seal->Status();
      if (!st.ok()) return Annotate(st.status());
      if (!st->initialized) return out;
    }
    return loop_->SealedError();
  }
  COFFER_ASSIGN_OR_RETURN(CachedCaller who,
                          FindCaller(op.token(), txn, /*cached=*/!writing));
  // A login's token: its method still enabled, the caller in its CIDRs.
  // Checked every time, cached or not: the address is the request's, and
  // the method's record is not a token record.
  absl::Status bound =
      auth::CheckTokenBindings(txn, who.token, op.remote_address());
  if (!bound.ok()) return CallerError(bound);
  std::optional<auth::Token> token = std::move(who.token);
  out.acl = std::move(who.acl);
  const acl::Acl& acl = *out.acl;
  bool allowed = access.decided_by_result ||
                 acl.Allowed(access.path, access.capability).ok();
  if (access.create_if_absent) {
    // Vault's existence check: update for a record that exists, create for
    // one that does not. Read only when the answer depends on it.
    const bool can_create =
        acl.Allowed(access.path, acl::Capability::kCreate).ok();
    if (allowed != can_create) {
      COFFER_ASSIGN_OR_RETURN(bool present, exists());
      allowed = present ? allowed : can_create;
    }
  }
  if (allowed && access.sudo) {
    allowed = acl.Allowed(access.path, acl::Capability::kSudo).ok();
  }
  if (!allowed) return Denied();
  if (token->num_uses > 0) {
    if (!writing) {
      out.run_as_write = true;
      return out;
    }
    absl::StatusOr<auth::UseResult> used =
        store_.Use(txn, loop_->Clock(), op.token());
    if (!used.ok()) return CallerError(used.status());
    token = std::move(used->token);
  }
  out.token = *std::move(token);
  return out;
}

absl::StatusOr<AuthService::CachedCaller> AuthService::FindCaller(
    absl::string_view id, kv::Reader* txn, bool cached) {
  const absl::Time now = loop_->Clock();
  crypto::Digest key{};
  if (cached) {
    key = crypto::Sha256::Hash(id);
    if (auto it = callers_.find(key); it != callers_.end()) {
      const std::optional<absl::Time>& until = it->second.usable_until;
      if (!until.has_value() || now < *until) {
        CachedCaller hit = it->second;
        if (hit.token.expire_time.has_value()) {
          hit.token.ttl =
              std::max(absl::ZeroDuration(), *hit.token.expire_time - now);
        }
        return hit;
      }
      callers_.erase(it);  // expired: the store refuses it (or has news)
    }
  }
  absl::StatusOr<auth::TokenStore::Checked> found =
      store_.LookupChecked(txn, now, id);
  if (!found.ok()) return CallerError(found.status());
  CachedCaller who;
  COFFER_ASSIGN_OR_RETURN(who.acl, AclFor(txn, found->token.policies));
  who.token = std::move(found->token);
  who.usable_until = found->usable_until;
  // A token with limited uses changes with every use: never cached.
  if (cached && who.token.num_uses == 0) {
    if (callers_.size() >= kMaxCachedCallers) callers_.clear();
    callers_.emplace(key, who);
  }
  return who;
}

absl::StatusOr<std::shared_ptr<const acl::Acl>> AuthService::AclFor(
    kv::Reader* txn, const std::vector<std::string>& policies) {
  const std::string key = absl::StrJoin(policies, ",");
  if (auto it = acls_.find(key); it != acls_.end()) return it->second;
  std::vector<std::shared_ptr<const acl::Policy>> held;
  std::vector<const acl::Policy*> ptrs;
  for (const std::string& name : policies) {
    COFFER_ASSIGN_OR_RETURN(std::shared_ptr<const acl::Policy> p,
                            LoadPolicy(txn, name));
    if (p == nullptr) continue;  // deleted: grants nothing
    ptrs.push_back(p.get());
    held.push_back(std::move(p));
  }
  absl::StatusOr<std::unique_ptr<acl::Acl>> compiled = acl::Acl::Create(ptrs);
  if (!compiled.ok()) {
    // Stored policies passed ValidatePolicy when written.
    return absl::DataLossError(
        absl::StrCat("node: the stored policies do not compile: ",
                     compiled.status().message()));
  }
  std::shared_ptr<const acl::Acl> acl = *std::move(compiled);
  if (acls_.size() >= kMaxCachedAcls) acls_.clear();
  acls_.emplace(key, acl);
  return acl;
}

absl::StatusOr<std::shared_ptr<const acl::Policy>> AuthService::LoadPolicy(
    kv::Reader* txn, const std::string& name) {
  if (auto it = policies_.find(name); it != policies_.end()) return it->second;
  std::shared_ptr<const acl::Policy> p;
  if (name == acl::kRootPolicyName) {
    p = std::make_shared<const acl::Policy>(acl::RootPolicy());
  } else {
    COFFER_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                            txn->Get(PolicyKey(name)));
    if (bytes.has_value()) {
      absl::StatusOr<acl::Policy> decoded = acl::DecodePolicy(*bytes);
      if (!decoded.ok()) {
        return absl::DataLossError(
            absl::StrCat("node: the record of policy \"", name,
                         "\" is corrupt: ", decoded.status().message()));
      }
      p = std::make_shared<const acl::Policy>(*std::move(decoded));
    } else if (name == acl::kDefaultPolicyName) {
      p = std::shared_ptr<const acl::Policy>(&acl::DefaultPolicy(),
                                             [](const acl::Policy*) {});
    }
  }
  if (policies_.size() >= kMaxCachedPolicies) policies_.clear();
  policies_.emplace(name, p);
  return p;
}

void AuthService::InvalidatePolicies() {
  policies_.clear();
  acls_.clear();
  callers_.clear();  // they hold compiled ACLs
}

void AuthService::InvalidateTokens() { callers_.clear(); }

// --- Running token and policy ops ----------------------------------------

absl::StatusOr<auth::CreatedToken> AuthService::CreateRoot(
    kv::BufferedTxn* txn) {
  for (int attempt = 1;; ++attempt) {
    COFFER_ASSIGN_OR_RETURN(auth::TokenRandom random, auth::DrawTokenRandom());
    absl::StatusOr<auth::CreatedToken> t =
        store_.CreateRoot(txn, loop_->Clock(), random);
    crypto::Wipe(&random, sizeof(random));
    if (!absl::IsAborted(t.status()) || attempt == kCreateAttempts) {
      if (!t.ok()) return Annotate(t.status());
      return t;
    }
  }
}

absl::StatusOr<nodepb::AuthResult> AuthService::Run(const nodepb::Op& op,
                                                    const Checked& caller,
                                                    kv::BufferedTxn* txn) {
  const nodepb::AuthOp& a = op.auth();
  const absl::Time now = loop_->Clock();
  const absl::string_view caller_id = op.token();
  nodepb::AuthResult out;
  switch (a.kind()) {
    case nodepb::AuthOp::CREATE:
      return Create(a, caller, caller_id, txn);
    case nodepb::AuthOp::LOOKUP: {
      COFFER_ASSIGN_OR_RETURN(auth::Token t, Target(a, caller, txn));
      *out.mutable_token() = TokenViewOf(t);
      return out;
    }
    case nodepb::AuthOp::RENEW: {
      const absl::Duration increment = absl::Nanoseconds(a.increment_nanos());
      const bool by_accessor = a.ref() == nodepb::AuthOp::ACCESSOR;
      const absl::string_view ref =
          a.ref() == nodepb::AuthOp::SELF ? caller_id : a.ref_value();
      absl::StatusOr<absl::Duration> ttl =
          by_accessor ? store_.RenewAccessor(txn, now, ref, increment)
                      : store_.Renew(txn, now, ref, increment);
      if (!ttl.ok()) return Annotate(ttl.status());
      // The renewed record: what a lookup sees once the writes land.
      COFFER_ASSIGN_OR_RETURN(auth::Token t,
                              by_accessor ? store_.LookupAccessor(txn, now, ref)
                                          : store_.Lookup(txn, now, ref));
      *out.mutable_token() = TokenViewOf(t);
      return out;
    }
    case nodepb::AuthOp::REVOKE: {
      absl::StatusOr<bool> more;
      if (a.ref() == nodepb::AuthOp::ACCESSOR) {
        more = store_.RevokeAccessor(txn, a.ref_value());
      } else {
        const absl::string_view id =
            a.ref() == nodepb::AuthOp::SELF ? caller_id : a.ref_value();
        more = a.orphan_mode() ? store_.RevokeOrphan(txn, id)
                               : store_.Revoke(txn, id);
      }
      if (!more.ok()) return Annotate(more.status());
      out.set_more(*more);
      return out;
    }
    case nodepb::AuthOp::LIST_ACCESSORS: {
      COFFER_ASSIGN_OR_RETURN(std::vector<std::string> all,
                              store_.ListAccessors(txn));
      for (std::string& s : all) out.add_names(std::move(s));
      return out;
    }
    case nodepb::AuthOp::CAPABILITIES: {
      COFFER_ASSIGN_OR_RETURN(auth::Token t, Target(a, caller, txn));
      COFFER_ASSIGN_OR_RETURN(std::shared_ptr<const acl::Acl> acl,
                              AclFor(txn, t.policies));
      for (const std::string& path : a.paths()) {
        if (out.capabilities().contains(path)) continue;  // asked twice
        nodepb::CapabilityList& l = (*out.mutable_capabilities())[path];
        for (std::string& n : acl->CapabilityNames(path)) {
          l.add_names(std::move(n));
        }
      }
      return out;
    }
    case nodepb::AuthOp::TIDY:
      return Tidy(txn);
    default:
      return RunPolicyOp(a, txn);
  }
}

absl::StatusOr<auth::Token> AuthService::Target(const nodepb::AuthOp& op,
                                                const Checked& caller,
                                                kv::Reader* txn) const {
  const absl::Time now = loop_->Clock();
  switch (op.ref()) {
    case nodepb::AuthOp::SELF:
      return *caller.token;
    case nodepb::AuthOp::ACCESSOR: {
      absl::StatusOr<auth::Token> t =
          store_.LookupAccessor(txn, now, op.ref_value());
      if (!t.ok()) return Annotate(t.status());
      return t;
    }
    default: {
      absl::StatusOr<auth::Token> t = store_.Lookup(txn, now, op.ref_value());
      // Vault answers a lookup of a bad token with 403 as well.
      if (!t.ok()) return CallerError(t.status());
      return t;
    }
  }
}

absl::StatusOr<nodepb::AuthResult> AuthService::Create(
    const nodepb::AuthOp& op, const Checked& caller,
    absl::string_view caller_id, kv::BufferedTxn* txn) {
  auth::CreateRequest request = ToRequest(op.create());
  if (op.create_orphan()) request.no_parent = true;
  auth::CreatePrivileges privileges;
  privileges.sudo =
      caller.acl->Allowed("auth/token/create", acl::Capability::kSudo).ok();
  privileges.may_orphan = op.create_orphan() || privileges.sudo;
  for (int attempt = 1;; ++attempt) {
    COFFER_ASSIGN_OR_RETURN(auth::TokenRandom random, auth::DrawTokenRandom());
    absl::StatusOr<auth::CreatedToken> t = store_.Create(
        txn, loop_->Clock(), caller_id, request, privileges, random);
    crypto::Wipe(&random, sizeof(random));
    if (absl::IsAborted(t.status()) && attempt < kCreateAttempts) continue;
    if (!t.ok()) return Annotate(t.status());
    nodepb::AuthResult out;
    out.set_id(t->id);
    Wipe(&t->id);
    *out.mutable_token() = TokenViewOf(t->token);
    return out;
  }
}

absl::StatusOr<nodepb::AuthResult> AuthService::RunPolicyOp(
    const nodepb::AuthOp& op, kv::BufferedTxn* txn) {
  nodepb::AuthResult out;
  if (op.kind() == nodepb::AuthOp::LIST_POLICIES) {
    COFFER_ASSIGN_OR_RETURN(std::vector<std::string> keys,
                            txn->List(PolicyKey("")));
    std::vector<std::string> names = {std::string(acl::kRootPolicyName),
                                      std::string(acl::kDefaultPolicyName)};
    const std::string prefix = PolicyKey("");
    for (const std::string& k : keys) names.push_back(k.substr(prefix.size()));
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    for (std::string& n : names) out.add_names(std::move(n));
    return out;
  }
  COFFER_ASSIGN_OR_RETURN(std::string name,
                          acl::NormalizePolicyName(op.name()));
  switch (op.kind()) {
    case nodepb::AuthOp::WRITE_POLICY: {
      if (!acl::CanWritePolicy(name)) {
        return absl::InvalidArgumentError(
            absl::StrCat("node: cannot update the \"", name, "\" policy"));
      }
      COFFER_ASSIGN_OR_RETURN(acl::Policy p, acl::ParsePolicy(name, op.text()));
      COFFER_ASSIGN_OR_RETURN(std::string record, acl::EncodePolicy(p));
      txn->Put(PolicyKey(name), record);
      return out;
    }
    case nodepb::AuthOp::READ_POLICY: {
      if (name == acl::kRootPolicyName) return out;  // no rules, no text
      COFFER_ASSIGN_OR_RETURN(std::shared_ptr<const acl::Policy> p,
                              LoadPolicy(txn, name));
      if (p == nullptr) {
        return absl::NotFoundError(
            absl::StrCat("node: no policy named \"", name, "\""));
      }
      out.set_text(p->text);
      return out;
    }
    case nodepb::AuthOp::DELETE_POLICY:
      if (!acl::CanDeletePolicy(name)) {
        return absl::InvalidArgumentError(
            absl::StrCat("node: cannot delete the \"", name, "\" policy"));
      }
      txn->Delete(PolicyKey(name));
      return out;
    default:
      return absl::InvalidArgumentError("node: an unknown token operation");
  }
}

// --- The leader's upkeep ----------------------------------------------------

absl::StatusOr<nodepb::AuthResult> AuthService::Tidy(kv::BufferedTxn* txn) {
  nodepb::AuthResult out;
  absl::StatusOr<bool> more = store_.ContinueRevocations(txn);
  if (!more.ok()) return Annotate(more.status());
  if (*more || txn->size() > 0) {
    out.set_more(*more);
    return out;
  }
  const absl::Time now = loop_->Clock();
  COFFER_ASSIGN_OR_RETURN(std::vector<auth::TokenHash> expired,
                          store_.ListExpired(txn, now, kExpiredPerBatch));
  for (const auth::TokenHash& h : expired) {
    // Each revocation stays within its own batch bound; a whole batch of
    // them stays below the entry size limit as their trees are small. One
    // that leaves work behind ends the batch.
    COFFER_ASSIGN_OR_RETURN(bool left, store_.RevokeExpired(txn, now, h));
    if (left || txn->size() >= store_.options().revoke_batch_writes) {
      out.set_more(true);
      return out;
    }
  }
  out.set_more(expired.size() == kExpiredPerBatch);
  return out;
}

void AuthService::AfterRevoke(const nodepb::AuthResult& result) {
  if (result.more()) next_tidy_tick_ = loop_->now_tick;  // at the next tick
}

void AuthService::OnTick() {
  if (!loop_->leading() || loop_->barrier->sealed() || tidy_queued_) return;
  if (loop_->now_tick < next_tidy_tick_) return;
  next_tidy_tick_ = loop_->now_tick + loop_->TicksFor(absl::Seconds(1));
  tidy_queued_ = true;
  nodepb::Op op;
  op.mutable_auth()->set_kind(nodepb::AuthOp::TIDY);
  enqueue_(std::move(op), [this](absl::StatusOr<nodepb::OpResult> r) {
    tidy_queued_ = false;
    if (r.ok()) AfterRevoke(r->auth());
  });
}

// --- Caller threads --------------------------------------------------------

absl::StatusOr<nodepb::AuthResult> AuthService::SubmitAuth(const Caller& caller,
                                                           nodepb::AuthOp op) {
  nodepb::Op wrapped;
  *wrapped.mutable_auth() = std::move(op);
  SetCaller(caller, &wrapped);
  absl::StatusOr<nodepb::OpResult> r = submit_(std::move(wrapped));
  if (!r.ok()) return r.status();
  COFFER_RETURN_IF_ERROR(CheckResult(*r, nodepb::OpResult::kAuth, "token"));
  return std::move(*r->mutable_auth());
}

absl::StatusOr<CreatedToken> AuthService::CreateToken(
    const Caller& caller, const TokenCreateRequest& request,
    bool orphan_endpoint) {
  COFFER_RETURN_IF_ERROR(CheckDuration(request.ttl, "ttl"));
  COFFER_RETURN_IF_ERROR(
      CheckDuration(request.explicit_max_ttl, "explicit_max_ttl"));
  COFFER_RETURN_IF_ERROR(CheckDuration(request.period, "period"));
  nodepb::AuthOp op;
  op.set_kind(nodepb::AuthOp::CREATE);
  op.set_create_orphan(orphan_endpoint);
  nodepb::TokenCreate* c = op.mutable_create();
  for (const std::string& p : request.policies) c->add_policies(p);
  c->set_no_default_policy(request.no_default_policy);
  for (const auto& [k, v] : request.metadata) (*c->mutable_metadata())[k] = v;
  c->set_no_parent(request.no_parent);
  c->set_renewable(request.renewable);
  c->set_ttl_nanos(kv::ToNanos(request.ttl));
  c->set_explicit_max_ttl_nanos(kv::ToNanos(request.explicit_max_ttl));
  c->set_period_nanos(kv::ToNanos(request.period));
  c->set_display_name(request.display_name);
  c->set_num_uses(request.num_uses);
  COFFER_ASSIGN_OR_RETURN(nodepb::AuthResult r,
                          SubmitAuth(caller, std::move(op)));
  CreatedToken out;
  out.id = r.id();
  Wipe(r.mutable_id());
  out.info = TokenInfoOf(r.token());
  return out;
}

absl::StatusOr<TokenInfo> AuthService::LookupToken(const Caller& caller,
                                                   const TokenRef& ref) {
  nodepb::AuthOp op;
  op.set_kind(nodepb::AuthOp::LOOKUP);
  COFFER_RETURN_IF_ERROR(SetRef(ref, &op));
  COFFER_ASSIGN_OR_RETURN(nodepb::AuthResult r,
                          SubmitAuth(caller, std::move(op)));
  return TokenInfoOf(r.token());
}

absl::StatusOr<TokenInfo> AuthService::RenewToken(const Caller& caller,
                                                  const TokenRef& ref,
                                                  absl::Duration increment) {
  COFFER_RETURN_IF_ERROR(CheckDuration(increment, "increment"));
  nodepb::AuthOp op;
  op.set_kind(nodepb::AuthOp::RENEW);
  COFFER_RETURN_IF_ERROR(SetRef(ref, &op));
  op.set_increment_nanos(kv::ToNanos(increment));
  COFFER_ASSIGN_OR_RETURN(nodepb::AuthResult r,
                          SubmitAuth(caller, std::move(op)));
  return TokenInfoOf(r.token());
}

absl::Status AuthService::RevokeToken(const Caller& caller, const TokenRef& ref,
                                      RevokeMode mode) {
  nodepb::AuthOp op;
  op.set_kind(nodepb::AuthOp::REVOKE);
  COFFER_RETURN_IF_ERROR(SetRef(ref, &op));
  if (mode == RevokeMode::kOrphan) {
    if (ref.kind == TokenRef::Kind::kAccessor) {
      return absl::InvalidArgumentError(
          "node: revoke-orphan takes a token, not an accessor");
    }
    op.set_orphan_mode(true);
  }
  return SubmitAuth(caller, std::move(op)).status();
}

absl::StatusOr<std::vector<std::string>> AuthService::ListTokenAccessors(
    const Caller& caller) {
  nodepb::AuthOp op;
  op.set_kind(nodepb::AuthOp::LIST_ACCESSORS);
  COFFER_ASSIGN_OR_RETURN(nodepb::AuthResult r,
                          SubmitAuth(caller, std::move(op)));
  return std::vector<std::string>(r.names().begin(), r.names().end());
}

absl::Status AuthService::WritePolicy(const Caller& caller,
                                      absl::string_view name,
                                      absl::string_view text) {
  COFFER_ASSIGN_OR_RETURN(std::string normal, acl::NormalizePolicyName(name));
  // Parsed here too, so that a malformed policy costs no trip to the leader.
  COFFER_RETURN_IF_ERROR(acl::ParsePolicy(normal, text).status());
  nodepb::AuthOp op;
  op.set_kind(nodepb::AuthOp::WRITE_POLICY);
  op.set_name(normal);
  op.set_text(std::string(text));
  return SubmitAuth(caller, std::move(op)).status();
}

absl::StatusOr<std::string> AuthService::ReadPolicy(const Caller& caller,
                                                    absl::string_view name) {
  COFFER_ASSIGN_OR_RETURN(std::string normal, acl::NormalizePolicyName(name));
  nodepb::AuthOp op;
  op.set_kind(nodepb::AuthOp::READ_POLICY);
  op.set_name(normal);
  COFFER_ASSIGN_OR_RETURN(nodepb::AuthResult r,
                          SubmitAuth(caller, std::move(op)));
  return std::move(*r.mutable_text());
}

absl::StatusOr<std::vector<std::string>> AuthService::ListPolicies(
    const Caller& caller) {
  nodepb::AuthOp op;
  op.set_kind(nodepb::AuthOp::LIST_POLICIES);
  COFFER_ASSIGN_OR_RETURN(nodepb::AuthResult r,
                          SubmitAuth(caller, std::move(op)));
  return std::vector<std::string>(r.names().begin(), r.names().end());
}

absl::Status AuthService::DeletePolicy(const Caller& caller,
                                       absl::string_view name) {
  COFFER_ASSIGN_OR_RETURN(std::string normal, acl::NormalizePolicyName(name));
  nodepb::AuthOp op;
  op.set_kind(nodepb::AuthOp::DELETE_POLICY);
  op.set_name(normal);
  return SubmitAuth(caller, std::move(op)).status();
}

absl::StatusOr<std::map<std::string, std::vector<std::string>>>
AuthService::Capabilities(const Caller& caller, const TokenRef& ref,
                          const std::vector<std::string>& paths) {
  if (paths.empty() || paths.size() > 1024) {
    return absl::InvalidArgumentError("node: 1..1024 paths are needed");
  }
  nodepb::AuthOp op;
  op.set_kind(nodepb::AuthOp::CAPABILITIES);
  COFFER_RETURN_IF_ERROR(SetRef(ref, &op));
  for (const std::string& p : paths) {
    if (p.size() > 4096) {
      return absl::InvalidArgumentError("node: a path above 4096 bytes");
    }
    op.add_paths(p);
  }
  COFFER_ASSIGN_OR_RETURN(nodepb::AuthResult r,
                          SubmitAuth(caller, std::move(op)));
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [path, list] : r.capabilities()) {
    out[path].assign(list.names().begin(), list.names().end());
  }
  return out;
}

}  // namespace coffer::node
