// NodeImpl: the implementation of coffer::Node, and the wiring of its
// collaborators.
//
// One event-loop thread owns everything below the public API. Public
// methods post closures to the loop (Post) and wait on a Completion. The
// loop runs posted closures, ticks the core every options.tick, carries out
// the core's Ready (raft_driver.cc) and flushes what the turn forwarded.
//
// Collaborators, each with its own state and header:
//   LoopState (loop_state.h): the infrastructure every collaborator reads:
//     options, storage, barrier and seal, the raft core, tick, soft state.
//   RequestPipeline (request_pipeline.h): every request in flight: the
//     leader's queue and proposals, reads waiting for a read index,
//     forwarding and its dedup, deadlines.
//   KvService (kv_service.h): the KV v2 calls and the engine that runs them.
//   AuthService (auth_service.h): tokens, policies and the access check of
//     every caller's request (access.h: which capability each op needs).
//   AuthMethodService (auth_methods.h): auth methods (AppRole, userpass)
//     and their logins.
//   AuditLog (audit_log.h): the audit devices and their records of every
//     request made with a token.
//   Observer (observer.h): the host's logger and metrics sink.
//   OperatorOps (operator_ops.h): leadership transfer, key rotation,
//     rekey, seal migration, and the transfers in flight.
//   LogSnapshots (log_snapshots.h): raft snapshots made, received and
//     installed, and the log compaction they bring.
//   ReadyDriver (ready_driver.h): carries out the core's Ready against the
//     log and the state store, and owns the leader's log syncer.
//   OperatorSnapshots (operator_snapshots.h): the operator's snapshot save
//     and restore, its save streams and the leader's restore hold.
//   Membership (membership.h): the address book, joining, removal and the
//     leader's autopilot.
// NodeImpl itself keeps the threading (node_impl.cc), the loop's pass over
// the core and what applied records change here (raft_driver.cc), and the
// executor that runs each kind of op on the leader (execute.cc).
//
// A write's path: KvService::Put builds the op -> Submit -> the pipeline
// queues it on the leader (or forwards it there) -> Execute runs its logical
// work inside a StateView request -> the pipeline proposes the writes ->
// ReadyDriver applies the entry (StageCommitted, FinishApply) -> the
// pipeline completes the caller with the typed result (nodepb::OpResult).
//
// Time: the real clock is read only in LoopState::Now(); deadlines of
// requests are counted in ticks.
//
// Thread-safety: the public methods are thread-safe; every other member
// function runs on the loop thread only.
#ifndef COFFER_LIB_NODE_NODE_IMPL_H_
#define COFFER_LIB_NODE_NODE_IMPL_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "acl/capability.h"
#include "coffer/node.h"
#include "coffer/observe.h"
#include "kv/engine.h"
#include "node/audit_log.h"
#include "node/auth_methods.h"
#include "node/auth_service.h"
#include "node/completion.h"
#include "node/join.h"
#include "node/kv_service.h"
#include "node/log_snapshots.h"
#include "node/log_syncer.h"
#include "node/loop_state.h"
#include "node/membership.h"
#include "node/observer.h"
#include "node/operator_ops.h"
#include "node/operator_snapshots.h"
#include "node/ready_driver.h"
#include "node/request_pipeline.h"
#include "node/state_view.h"
#include "proto/node.pb.h"
#include "raft/raft.h"
#include "seal/barrier.h"
#include "seal/seal_manager.h"
#include "snapshot/restore.h"
#include "storage/db.h"
#include "storage/leveldb_log.h"
#include "storage/leveldb_state_store.h"

namespace coffer::node {

// How NodeImpl::Authorize checks a call made of internal steps.
struct AuthorizeHow {
  bool sudo = false;              // sudo on the path as well
  bool open_before_init = false;  // Access::open_before_init
  // On this node's applied state, for the calls that act on this node
  // alone (Seal, GetKeyStatus) and must work while the leader is sealed;
  // otherwise linearizable.
  bool local = false;
};

class NodeImpl final : public Node,
                       private RequestPipeline::Host,
                       private ReadyDriver::Host,
                       private OperatorSnapshots::Host,
                       private Membership::Host {
 public:
  // REQUIRES: options passed ValidateOptions.
  static absl::StatusOr<std::unique_ptr<NodeImpl>> Open(
      const NodeOptions& options);
  ~NodeImpl() override;

  void Close() override;
  void Receive(absl::string_view frame) override;
  absl::Status Bootstrap(const std::vector<Peer>& peers) override;
  absl::Status AddPeer(const Caller& caller, uint64_t id,
                       const std::string& address, bool voter) override;
  absl::Status RemovePeer(const Caller& caller, uint64_t id) override;
  absl::Status Join(const std::vector<Peer>& known_peers) override;
  absl::StatusOr<LeaderInfo> Leader() override;
  absl::StatusOr<std::vector<PeerInfo>> ListPeers(
      const Caller& caller) override;
  absl::StatusOr<InitializeResult> Initialize(
      const InitializeOptions& options) override;
  absl::StatusOr<SealStatus> SubmitUnsealKey(absl::string_view share) override;
  absl::Status Seal(const Caller& caller) override;
  absl::StatusOr<SealStatus> GetSealStatus() override;
  // Tokens and policies go to the auth service (auth_service.h).
  absl::StatusOr<CreatedToken> CreateToken(const Caller& caller,
                                           const TokenCreateRequest& request,
                                           bool orphan_endpoint) override {
    return auth_->CreateToken(caller, request, orphan_endpoint);
  }
  absl::StatusOr<TokenInfo> LookupToken(const Caller& caller,
                                        const TokenRef& ref) override {
    return auth_->LookupToken(caller, ref);
  }
  absl::StatusOr<TokenInfo> RenewToken(const Caller& caller,
                                       const TokenRef& ref,
                                       absl::Duration increment) override {
    return auth_->RenewToken(caller, ref, increment);
  }
  absl::Status RevokeToken(const Caller& caller, const TokenRef& ref,
                           RevokeMode mode) override {
    return auth_->RevokeToken(caller, ref, mode);
  }
  absl::StatusOr<std::vector<std::string>> ListTokenAccessors(
      const Caller& caller) override {
    return auth_->ListTokenAccessors(caller);
  }
  absl::Status WritePolicy(const Caller& caller, absl::string_view name,
                           absl::string_view text) override {
    return auth_->WritePolicy(caller, name, text);
  }
  absl::StatusOr<std::string> ReadPolicy(const Caller& caller,
                                         absl::string_view name) override {
    return auth_->ReadPolicy(caller, name);
  }
  absl::StatusOr<std::vector<std::string>> ListPolicies(
      const Caller& caller) override {
    return auth_->ListPolicies(caller);
  }
  absl::Status DeletePolicy(const Caller& caller,
                            absl::string_view name) override {
    return auth_->DeletePolicy(caller, name);
  }
  absl::StatusOr<std::map<std::string, std::vector<std::string>>> Capabilities(
      const Caller& caller, const TokenRef& ref,
      const std::vector<std::string>& paths) override {
    return auth_->Capabilities(caller, ref, paths);
  }
  // Auth methods and logins (auth_methods.h).
  AuthMethods& auth_methods() override { return *methods_; }
  // Audit devices (audit_log.h; the calls in audit_calls.cc).
  absl::Status EnableAudit(const Caller& caller,
                           const AuditDevice& device) override;
  absl::Status DisableAudit(const Caller& caller,
                            absl::string_view path) override;
  absl::StatusOr<std::vector<AuditDevice>> ListAudit(
      const Caller& caller) override;
  absl::StatusOr<std::string> AuditHash(const Caller& caller,
                                        absl::string_view path,
                                        absl::string_view input) override;
  absl::Status PutRaw(const Caller& caller, absl::string_view path,
                      absl::string_view value) override;
  absl::Status DeleteRaw(const Caller& caller, absl::string_view path) override;
  absl::StatusOr<std::string> GetRaw(const Caller& caller,
                                     absl::string_view path,
                                     ReadConsistency consistency) override;
  // The KV v2 calls go to the KV service (kv_service.h).
  absl::Status EnableKvMount(const Caller& caller, absl::string_view path,
                             const MountConfig& config) override {
    return kv_->EnableMount(caller, path, config);
  }
  absl::Status DisableKvMount(const Caller& caller,
                              absl::string_view path) override {
    return kv_->DisableMount(caller, path);
  }
  absl::Status TuneKvMount(const Caller& caller, absl::string_view path,
                           const MountConfigUpdate& update) override {
    return kv_->TuneMount(caller, path, update);
  }
  absl::StatusOr<std::vector<MountInfo>> ListKvMounts(
      const Caller& caller, ReadConsistency consistency) override {
    return kv_->ListMounts(caller, consistency);
  }
  absl::StatusOr<MountInfo> FindKvMount(const Caller& caller,
                                        absl::string_view path,
                                        ReadConsistency consistency) override {
    return kv_->FindMount(caller, path, consistency);
  }
  absl::StatusOr<VersionMetadata> KvPut(const Caller& caller,
                                        absl::string_view mount,
                                        absl::string_view path,
                                        const SecretData& data,
                                        const WriteOptions& options) override {
    return kv_->Put(caller, mount, path, data, options);
  }
  absl::StatusOr<KvReadResult> KvGet(const Caller& caller,
                                     absl::string_view mount,
                                     absl::string_view path, uint64_t version,
                                     ReadConsistency consistency) override {
    return kv_->Get(caller, mount, path, version, consistency);
  }
  absl::StatusOr<VersionMetadata> KvPatch(
      const Caller& caller, absl::string_view mount, absl::string_view path,
      const SecretPatch& patch, const WriteOptions& options) override {
    return kv_->Patch(caller, mount, path, patch, options);
  }
  absl::Status KvDelete(const Caller& caller, absl::string_view mount,
                        absl::string_view path) override {
    return kv_->Delete(caller, mount, path);
  }
  absl::Status KvDeleteVersions(
      const Caller& caller, absl::string_view mount, absl::string_view path,
      const std::vector<uint64_t>& versions) override {
    return kv_->DeleteVersions(caller, mount, path, versions);
  }
  absl::Status KvUndelete(const Caller& caller, absl::string_view mount,
                          absl::string_view path,
                          const std::vector<uint64_t>& versions) override {
    return kv_->Undelete(caller, mount, path, versions);
  }
  absl::Status KvDestroy(const Caller& caller, absl::string_view mount,
                         absl::string_view path,
                         const std::vector<uint64_t>& versions) override {
    return kv_->Destroy(caller, mount, path, versions);
  }
  absl::StatusOr<KeyMetadata> KvReadMetadata(
      const Caller& caller, absl::string_view mount, absl::string_view path,
      ReadConsistency consistency) override {
    return kv_->ReadMetadata(caller, mount, path, consistency);
  }
  absl::Status KvWriteMetadata(const Caller& caller, absl::string_view mount,
                               absl::string_view path,
                               const KeyMetadataUpdate& update) override {
    return kv_->WriteMetadata(caller, mount, path, update);
  }
  absl::Status KvDeleteMetadata(const Caller& caller, absl::string_view mount,
                                absl::string_view path) override {
    return kv_->DeleteMetadata(caller, mount, path);
  }
  absl::StatusOr<std::vector<std::string>> KvList(
      const Caller& caller, absl::string_view mount, absl::string_view folder,
      ReadConsistency consistency) override {
    return kv_->List(caller, mount, folder, consistency);
  }
  // Operator operations go to OperatorOps (operator_ops.h).
  absl::Status TransferLeadership(const Caller& caller, uint64_t to) override;
  absl::StatusOr<KeyStatus> RotateKey(const Caller& caller) override {
    return ops_->RotateKey(caller);
  }
  absl::StatusOr<KeyStatus> GetKeyStatus(const Caller& caller) override;
  absl::StatusOr<std::vector<std::string>> Rekey(
      const std::vector<std::string>& current_keys, int secret_shares,
      int secret_threshold) override {
    return ops_->Rekey(current_keys, secret_shares, secret_threshold);
  }
  absl::Status SealMigrate(const std::vector<std::string>& keys) override {
    return ops_->SealMigrate(keys);
  }
  // Operator snapshots go to OperatorSnapshots (operator_snapshots.h),
  // once the caller is authorized (node_impl.cc).
  absl::Status SnapshotSave(const Caller& caller,
                            const std::string& path) override;
  absl::Status SnapshotSaveTo(
      const Caller& caller,
      const std::function<absl::Status(absl::string_view)>& write) override;
  absl::Status SnapshotRestore(const Caller& caller, const std::string& path,
                               const SnapshotRestoreOptions& options) override;
  absl::Status SnapshotRestoreFrom(
      const Caller& caller,
      const std::function<absl::StatusOr<size_t>(char* buf, size_t cap)>& read,
      const SnapshotRestoreOptions& options) override;

 private:
  using Task = std::function<void()>;

  explicit NodeImpl(const NodeOptions& options);
  absl::Status OpenStorage();

  // --- Threading (node_impl.cc) -------------------------------------------
  // Queues `task` for the loop. kFailedPrecondition once closed or stopped;
  // kResourceExhausted beyond options.max_pending.
  absl::Status Post(Task task) ABSL_LOCKS_EXCLUDED(mu_);
  // Post without the max_pending bound: the node's own notices, which must
  // not be lost to a backlog of callers.
  absl::Status PostInternal(Task task) ABSL_LOCKS_EXCLUDED(mu_);
  // Runs `fn` on the loop and waits for its result.
  template <typename T>
  absl::StatusOr<T> RunOnLoop(std::function<absl::StatusOr<T>()> fn);
  // Runs `start` on the loop and waits until the callback it is given is
  // called (possibly later, from the loop), or request_timeout passes.
  template <typename T>
  absl::StatusOr<T> RunAsyncOnLoop(
      std::function<void(std::function<void(absl::StatusOr<T>)>)> start) {
    auto c = std::make_shared<Completion<T>>();
    Register(c);
    absl::Status posted = Post([c, start = std::move(start)] {
      start([c](absl::StatusOr<T> r) { c->Set(std::move(r)); });
    });
    if (!posted.ok()) {
      Unregister(c);
      return posted;
    }
    absl::StatusOr<T> r =
        c->Wait(loop_.options.request_timeout + 2 * loop_.options.tick);
    Unregister(c);
    return r;
  }
  // Starts `op` on the loop (StartOp) and waits for its result; a read
  // whose token turns out to have limited uses runs again as a write.
  absl::StatusOr<nodepb::OpResult> Submit(nodepb::Op op);
  absl::StatusOr<nodepb::OpResult> SubmitOnce(nodepb::Op op);
  // Runs `run` on `op` between its audit request and response entries
  // (audit_calls.cc); an op without a token is not audited.
  absl::StatusOr<nodepb::OpResult> Audited(
      nodepb::Op op,
      const std::function<absl::StatusOr<nodepb::OpResult>(nodepb::Op)>& run);
  absl::StatusOr<nodepb::OpResult> SubmitUnaudited(nodepb::Op op);
  void Register(std::shared_ptr<Waiter> w) ABSL_LOCKS_EXCLUDED(mu_);
  void Unregister(const std::shared_ptr<Waiter>& w) ABSL_LOCKS_EXCLUDED(mu_);
  bool HasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Run();
  absl::Time Now() const { return loop_.Clock(); }

  // --- Raft driving (raft_driver.cc) --------------------------------------
  absl::Status CreateRaft(
      const std::vector<uint64_t>& bootstrap_voters) override;
  void OnTick();
  // Carries out every pending Ready, then runs what waited on it.
  void Drive() override;
  // On the loop, after the log syncer ran (log_syncer.h).
  void OnLogSynced(const absl::Status& s, LogSyncer::Entry last);
  // ReadyDriver::Host (raft_driver.cc).
  void OnSoftState(const raft::SoftState& ss) override;
  void StageJoinRecords(const raftpb::ConfChangeSingle& ch,
                        const nodepb::PeerContext* ctx, uint64_t index,
                        storage::WriteSet* writes) override {
    membership_->StageJoinRecords(ch, ctx, index, writes);
  }
  absl::Status OnPeersApplied() override;
  void OnEntryApplied(const raftpb::Entry& e) override;
  void OnCoreApplied() override;
  void OnPoliciesApplied() override { auth_->InvalidatePolicies(); }
  void OnTokensApplied() override { auth_->InvalidateTokens(); }
  void OnAuditApplied() override { audit_->Invalidate(); }
  void OnAdvanced() override;
  void OnFrame(const nodepb::Frame& frame);
  // Enters the stopped state: every later call fails with `s`.
  void Stop(absl::Status s) override;
  void TryAutoUnseal();
  // After core/ records change: adopts a keyring rotated on another node,
  // or seals this node if the stored keyring cannot be read.
  void ReloadKeyring();

  // --- Raft snapshots (log_snapshots.h) ----------------------------------
  // Ready steps 1-2 (LogSnapshots::Receive), then what an installed
  // snapshot changes here (peer records, the seal and keyring).
  absl::Status InstallSnapshotChunks(const raft::Ready& rd) override;

  // --- Operator snapshots: OperatorSnapshots::Host (raft_driver.cc) -----
  absl::StatusOr<nodepb::OpResult> SubmitOp(nodepb::Op op) override {
    return Submit(std::move(op));
  }
  absl::Status RunOnLoopAndWait(std::function<absl::Status()> fn) override;
  void PostToLoop(std::function<void()> fn) override {
    (void)Post(std::move(fn));
  }
  bool LeaderReady() const override { return membership_->LeaderReady(); }
  absl::Status OnStateReplaced() override;
  // After a Ready's durable part: applies the restore commit `applied`
  // stopped at, then the entries after it (more restores included).
  absl::Status ApplyRestore(const std::vector<raftpb::Entry>& entries,
                            ReadyDriver::Applied applied) override;

  // --- Executing requests (execute.cc): RequestPipeline::Host ----------
  void Execute(nodepb::Op op, uint64_t deadline, Done done) override;
  absl::StatusOr<nodepb::OpResult> Read(const nodepb::Op& op) override;
  bool MayExecute() const override {
    return LeaderReady() && !snapshots_->Holding();
  }
  absl::Status Refusal() const override {
    return membership_->removed() ? membership_->RemovedError()
                                  : absl::OkStatus();
  }
  void SendFrame(uint64_t to, nodepb::Frame frame) override;
  std::string AddressOf(uint64_t id) const override {
    return membership_->AddressOf(id);
  }
  Done Observe(Done done) override {
    return observer_.ObserveRequest(std::move(done));
  }
  // Checks the caller of a write (access.h) and runs its logical work
  // inside a StateView request; returns its result.
  absl::StatusOr<nodepb::OpResult> RunChecked(const nodepb::Op& op);
  absl::StatusOr<nodepb::OpResult> RunLogical(
      const nodepb::Op& op, const AuthService::Checked& caller);
  // A KV op for `caller`, on the loop, for a read or a write.
  absl::StatusOr<nodepb::KvResult> RunKv(const nodepb::KvOp& op,
                                         const AuthService::Checked& caller);
  absl::StatusOr<nodepb::OpResult> Initialize(const nodepb::Initialize& init);
  // Vault's existence check of a create_if_absent access.
  absl::StatusOr<bool> Exists(const nodepb::Op& op, kv::Reader* txn);
  absl::Status AuthorizeRestore(const Caller& caller,
                                const SnapshotRestoreOptions& options);
  // Runs the Authorize op of a call made of internal steps.
  absl::Status Authorize(const Caller& caller, absl::string_view path,
                         acl::Capability capability, AuthorizeHow how = {});
  absl::StatusOr<std::string> ReadRaw(absl::string_view path);

  // --- KV v2 (kv_service.h) ----------------------------------------------
  // Leader: wraps the Done of a DISABLE_MOUNT or PURGE op so that, once it
  // applied and records remain, the next PURGE batch is queued.
  Done ContinuePurge(Done done);
  // KvService's Submit: a stale read on this node's applied state,
  // anything else through Submit.
  absl::StatusOr<nodepb::KvResult> SubmitKv(nodepb::KvOp op,
                                            const Caller& caller,
                                            ReadConsistency consistency);
  // A read on this node's applied state, checked as any read (Read).
  absl::StatusOr<nodepb::OpResult> StaleRead(nodepb::Op op);
  absl::StatusOr<nodepb::OpResult> StaleReadUnaudited(nodepb::Op op);

  LoopState loop_;

  // Shared with the public methods.
  absl::Mutex mu_;
  std::deque<Task> tasks_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status stopped_ ABSL_GUARDED_BY(mu_);
  std::set<std::shared_ptr<Waiter>> waiters_ ABSL_GUARDED_BY(mu_);
  absl::Mutex close_mu_;  // serializes Close
  std::thread thread_;

  // Loop thread only.
  Observer observer_{&loop_};
  // Before the pipeline, whose pending callbacks may reach them.
  std::unique_ptr<AuthService> auth_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<AuthMethodService> methods_;
  std::unique_ptr<RequestPipeline> pipeline_;
  std::unique_ptr<ReadyDriver> driver_;
  std::unique_ptr<KvService> kv_;
  std::unique_ptr<OperatorOps> ops_;
  std::unique_ptr<LogSnapshots> log_snapshots_;
  std::unique_ptr<OperatorSnapshots> snapshots_;
  std::unique_ptr<Membership> membership_;
  uint64_t refused_messages_ = 0;  // raft messages the core refused
};

}  // namespace coffer::node

#endif  // COFFER_LIB_NODE_NODE_IMPL_H_
