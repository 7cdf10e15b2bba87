// AuthService: who may do what on a node. It owns the token store (lib/auth,
// stateless), the node's cache of ACL policies (lib/acl) and the leader's
// token upkeep, and it checks every caller's request.
//
//   Caller threads: the public token and policy calls (coffer::Node's, with
//     its contracts). Each builds its op with the caller's token and hands
//     it to the node's Submit function (the request pipeline).
//   Loop thread: Check, the access check of every op (access.h) on the node
//     that runs it, on the same state the op runs on; Run, the token and
//     policy ops; CreateRoot for Initialize; the leader's upkeep (OnTick):
//     unfinished revocations and the revocation of expired tokens, one
//     bounded batch per proposal, resumed by a new leader.
//
// Records (behind the barrier, under "sys/", which the raw API reserves):
// the token store's (auth/records.h) and "sys/policy/acl/<name>" (one
// acl::EncodePolicy each). The built-in "default" policy is used until one
// is written; "root" is never stored.
//
// The policy cache. Compiled ACLs are cached by policy set, and decoded
// policies by name; both are dropped whenever a write under
// "sys/policy/" is applied (OnPoliciesApplied), the state is replaced, or
// the node's role changes. A leader may fill the cache from writes still
// in flight; any answer that depends on them waits for them to commit
// (execute.cc), and they can be lost only with the leadership, which
// clears the cache.
//
// Thread-safety: the public calls are thread-safe (they only call
// `submit`); everything else is loop-thread only.
#ifndef COFFER_LIB_NODE_AUTH_SERVICE_H_
#define COFFER_LIB_NODE_AUTH_SERVICE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "acl/acl.h"
#include "auth/token_store.h"
#include "coffer/auth.h"
#include "crypto/hash.h"
#include "kv/txn.h"
#include "node/access.h"
#include "node/loop_state.h"
#include "proto/node.pb.h"

namespace coffer::node {

class AuthService {
 public:
  using Submit = std::function<absl::StatusOr<nodepb::OpResult>(nodepb::Op op)>;
  // Queues an op of the leader's own; `done` runs on the loop.
  using Enqueue = std::function<void(
      nodepb::Op op, std::function<void(absl::StatusOr<nodepb::OpResult>)>)>;

  // `loop` is borrowed and outlives the service.
  AuthService(LoopState* loop, Submit submit, Enqueue enqueue);
  AuthService(const AuthService&) = delete;
  AuthService& operator=(const AuthService&) = delete;

  // --- Loop thread.

  // The caller of an op, as Check found it.
  struct Checked {
    std::optional<auth::Token> token;  // nullopt: a kInternal op
    std::shared_ptr<const acl::Acl> acl;
    // A read whose token has limited uses: run it again as a write (each
    // use is a replicated write). Nothing was checked beyond the token.
    bool run_as_write = false;
  };
  // Checks `op`'s token against `access` on the state `txn` reads. When
  // `writing`, a token with limited uses is used once (the write is
  // buffered in `txn`). `exists` answers Vault's existence check for an
  // access with create_if_absent (called only when it decides).
  // kPermissionDenied "node: permission denied" for any refusal, the same
  // whatever the reason; kFailedPrecondition when not initialized or
  // sealed.
  absl::StatusOr<Checked> Check(
      const nodepb::Op& op, const Access& access, kv::BufferedTxn* txn,
      bool writing, const std::function<absl::StatusOr<bool>()>& exists);

  // Runs a token or policy op for `caller` (Check's result) with its writes
  // buffered in `txn`, at the leader's time for a write.
  absl::StatusOr<nodepb::AuthResult> Run(const nodepb::Op& op,
                                         const Checked& caller,
                                         kv::BufferedTxn* txn);

  // Initialize's root token, its records buffered in `txn`.
  absl::StatusOr<auth::CreatedToken> CreateRoot(kv::BufferedTxn* txn);

  // Leader: after a revocation applied; if it left work, the upkeep
  // continues it at the next tick.
  void AfterRevoke(const nodepb::AuthResult& result);
  // Every tick: an unsealed leader queues its token upkeep once a second,
  // or at once while a batch reported more work.
  void OnTick();
  // The policy records changed, or the whole state did, or the role.
  void InvalidatePolicies();
  // A token record changed (an applied write under "sys/token/").
  void InvalidateTokens();

  // --- Caller threads: coffer::Node's token and policy calls.
  absl::StatusOr<CreatedToken> CreateToken(const Caller& caller,
                                           const TokenCreateRequest& request,
                                           bool orphan_endpoint);
  absl::StatusOr<TokenInfo> LookupToken(const Caller& caller,
                                        const TokenRef& ref);
  absl::StatusOr<TokenInfo> RenewToken(const Caller& caller,
                                       const TokenRef& ref,
                                       absl::Duration increment);
  absl::Status RevokeToken(const Caller& caller, const TokenRef& ref,
                           RevokeMode mode);
  absl::StatusOr<std::vector<std::string>> ListTokenAccessors(
      const Caller& caller);
  absl::Status WritePolicy(const Caller& caller, absl::string_view name,
                           absl::string_view text);
  absl::StatusOr<std::string> ReadPolicy(const Caller& caller,
                                         absl::string_view name);
  absl::StatusOr<std::vector<std::string>> ListPolicies(const Caller& caller);
  absl::Status DeletePolicy(const Caller& caller, absl::string_view name);
  absl::StatusOr<std::map<std::string, std::vector<std::string>>> Capabilities(
      const Caller& caller, const TokenRef& ref,
      const std::vector<std::string>& paths);

 private:
  // A caller's token as the store shows it, with its ACL and until when
  // that holds (auth::TokenStore::Checked).
  struct CachedCaller {
    auth::Token token;
    std::shared_ptr<const acl::Acl> acl;
    std::optional<absl::Time> usable_until;
  };
  // The caller with token `id` on `txn`'s state; from the cache of
  // checked callers when `cached` (reads: `txn` is the applied state).
  // Errors as Check's.
  absl::StatusOr<CachedCaller> FindCaller(absl::string_view id, kv::Reader* txn,
                                          bool cached);
  absl::StatusOr<nodepb::AuthResult> SubmitAuth(const Caller& caller,
                                                nodepb::AuthOp op);
  // The compiled ACL of `policies` (sorted names), from the cache.
  absl::StatusOr<std::shared_ptr<const acl::Acl>> AclFor(
      kv::Reader* txn, const std::vector<std::string>& policies);
  absl::StatusOr<std::shared_ptr<const acl::Policy>> LoadPolicy(
      kv::Reader* txn, const std::string& name);
  // The token a TokenRef op names (the caller's own for SELF).
  absl::StatusOr<auth::Token> Target(const nodepb::AuthOp& op,
                                     const Checked& caller,
                                     kv::Reader* txn) const;
  absl::StatusOr<nodepb::AuthResult> Create(const nodepb::AuthOp& op,
                                            const Checked& caller,
                                            absl::string_view caller_id,
                                            kv::BufferedTxn* txn);
  absl::StatusOr<nodepb::AuthResult> RunPolicyOp(const nodepb::AuthOp& op,
                                                 kv::BufferedTxn* txn);
  absl::StatusOr<nodepb::AuthResult> Tidy(kv::BufferedTxn* txn);

  LoopState* const loop_;
  const Submit submit_;
  const Enqueue enqueue_;
  const auth::TokenStore store_;

  // Loop thread only.
  absl::flat_hash_map<std::string, std::shared_ptr<const acl::Policy>>
      policies_;  // by name; a null pointer: no such policy
  absl::flat_hash_map<std::string, std::shared_ptr<const acl::Acl>> acls_;
  // Reads' cache of checked callers, by the SHA-256 of their token (never
  // the token itself). A write checks on the leader's state with its
  // writes in flight, so only reads (on the applied state) use it. Dropped
  // with the policy cache and whenever an applied entry writes under
  // "sys/token/" (before that entry's requests complete); an entry past
  // its usable_until is looked up again.
  absl::flat_hash_map<crypto::Digest, CachedCaller> callers_;
  uint64_t next_tidy_tick_ = 0;
  bool tidy_queued_ = false;
};

// A token as lookup shows it, for results that cross the transport, and
// back.
nodepb::TokenView TokenViewOf(const auth::Token& t);
TokenInfo TokenInfoOf(const nodepb::TokenView& v);

// The stored record of policy `name` (a NormalizePolicyName form).
std::string PolicyKey(absl::string_view name);

}  // namespace coffer::node

#endif  // COFFER_LIB_NODE_AUTH_SERVICE_H_
