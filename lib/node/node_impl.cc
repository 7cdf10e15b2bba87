#include "node/node_impl.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "crypto/secure_buffer.h"
#include "node/access.h"
#include "node/codec.h"
#include "node/op_table.h"
#include "node/options.h"
#include "node/recover.h"
#include "node/run_on_loop.h"
#include "storage/recovery.h"

namespace coffer {

Node::~Node() = default;
Transport::~Transport() = default;

absl::StatusOr<std::unique_ptr<Node>> Node::Open(const NodeOptions& options) {
  COFFER_RETURN_IF_ERROR(node::ValidateOptions(options));
  COFFER_ASSIGN_OR_RETURN(std::unique_ptr<node::NodeImpl> n,
                          node::NodeImpl::Open(options));
  return std::unique_ptr<Node>(std::move(n));
}

}  // namespace coffer

namespace coffer::node {
namespace {

// Files of this node's snapshot directory that a crash cut short: snapshots
// being written (".tmp") or received (".partial"). Nothing uses them once
// the node restarts.
void RemoveUnfinishedFiles(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (absl::EndsWith(name, ".tmp") || absl::EndsWith(name, ".partial")) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
}

}  // namespace

NodeImpl::NodeImpl(const NodeOptions& options) : loop_(options) {}

absl::StatusOr<std::unique_ptr<NodeImpl>> NodeImpl::Open(
    const NodeOptions& options) {
  std::unique_ptr<NodeImpl> n(new NodeImpl(options));
  // Vault's disable_mlock; the switch is process-wide (see options.h).
  if (!options.mlock) crypto::SetMlockEnabled(false);
  COFFER_RETURN_IF_ERROR(n->OpenStorage());
  if (options.sync) {
    n->driver_->set_log_syncer(std::make_unique<LogSyncer>(
        n->loop_.db.get(),
        [p = n.get()](absl::Status s, LogSyncer::Entry last) {
          // Dropped when closing: nothing waits for it then.
          (void)p->PostInternal(
              [p, s = std::move(s), last] { p->OnLogSynced(s, last); });
        }));
  }
  n->thread_ = std::thread([p = n.get()] { p->Run(); });
  if (!options.retry_join.empty()) {
    // On the loop (frames are sent from it). A node with raft state, or
    // removed, has nothing to join.
    (void)n->Post([p = n.get()] {
      Membership& m = *p->membership_;
      if (!m.removed() && !m.HasRaftState() && !m.joining()) {
        m.StartJoin(p->loop_.options.retry_join, /*retry=*/true, nullptr);
      }
    });
  }
  return n;
}

absl::Status NodeImpl::OpenStorage() {
  const std::filesystem::path dir(loop_.options.data_dir);
  const std::string db_dir = (dir / "db").string();
  const std::string snap_dir = (dir / "snapshots").string();
  for (const std::string& d : {db_dir, snap_dir}) {
    std::error_code ec;
    std::filesystem::create_directories(d, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("node: cannot create ", d, ": ", ec.message()));
    }
  }
  RemoveUnfinishedFiles(snap_dir);
  storage::DbOptions db_options;
  db_options.path = db_dir;
  COFFER_ASSIGN_OR_RETURN(loop_.db, storage::Db::Open(db_options));
  COFFER_ASSIGN_OR_RETURN(loop_.log,
                          storage::LevelDbLog::Open(loop_.db.get(), snap_dir));
  log_snapshots_ = std::make_unique<LogSnapshots>(&loop_, &observer_);
  storage::StateStoreOptions state_options;
  state_options.sync_apply = loop_.options.sync;
  COFFER_ASSIGN_OR_RETURN(loop_.state, storage::LevelDbStateStore::Open(
                                           loop_.db.get(), state_options));
  COFFER_RETURN_IF_ERROR(storage::Reconcile(*loop_.log, *loop_.state));
  // peers.json (node/recover.h): before the core reads the configuration.
  COFFER_ASSIGN_OR_RETURN(
      std::optional<std::vector<RecoveryPeer>> recovered,
      RecoverFromPeersFile(loop_.options, loop_.log.get(), observer_));

  loop_.view = std::make_unique<StateView>(loop_.state.get());
  seal::BarrierOptions barrier_options;
  barrier_options.rotate_after_encryptions =
      loop_.options.key_rotation_max_operations;
  barrier_options.replicated = true;
  loop_.barrier =
      std::make_unique<seal::Barrier>(loop_.view.get(), barrier_options);
  loop_.seal = std::make_unique<seal::SealManager>(
      loop_.view.get(), loop_.barrier.get(), loop_.options.kms,
      loop_.options.migrate_from_kms);
  uint64_t seed = loop_.options.random_seed;
  while (seed == 0) {
    COFFER_ASSIGN_OR_RETURN(std::string bytes, crypto::RandomString(8));
    for (char c : bytes) seed = (seed << 8) | static_cast<uint8_t>(c);
  }
  kv_ = std::make_unique<KvService>(
      loop_.options,
      [this](nodepb::KvOp op, const Caller& caller,
             ReadConsistency consistency) {
        return SubmitKv(std::move(op), caller, consistency);
      },
      loop_.barrier.get());
  audit_ = std::make_unique<AuditLog>(&loop_);
  auth_ = std::make_unique<AuthService>(
      &loop_, [this](nodepb::Op op) { return Submit(std::move(op)); },
      [this](nodepb::Op op, Done done) {
        pipeline_->Enqueue(std::move(op), std::move(done));
      });
  methods_ = std::make_unique<AuthMethodService>(
      &loop_, [this](nodepb::Op op) { return Submit(std::move(op)); },
      [this](nodepb::Op op, Done done) {
        pipeline_->Enqueue(std::move(op), std::move(done));
      });
  ops_ = std::make_unique<OperatorOps>(
      &loop_, &observer_,
      [this](nodepb::Op op) { return Submit(std::move(op)); });
  uint64_t session = 0;
  while (session == 0) {
    COFFER_ASSIGN_OR_RETURN(std::string bytes, crypto::RandomString(8));
    for (char c : bytes) session = (session << 8) | static_cast<uint8_t>(c);
  }
  pipeline_ = std::make_unique<RequestPipeline>(
      &loop_, static_cast<RequestPipeline::Host*>(this), session);
  driver_ = std::make_unique<ReadyDriver>(&loop_,
                                          static_cast<ReadyDriver::Host*>(this),
                                          pipeline_.get(), &observer_);
  membership_ =
      std::make_unique<Membership>(&loop_, pipeline_.get(), driver_.get(),
                                   static_cast<Membership::Host*>(this));
  snapshots_ = std::make_unique<OperatorSnapshots>(
      &loop_, &observer_, pipeline_.get(), log_snapshots_.get(),
      static_cast<OperatorSnapshots::Host*>(this));
  loop_.random = std::make_unique<raft::SeededRandom>(seed);
  if (recovered.has_value()) {
    // Members without a replicated address record (ids new to the log)
    // are reached at the file's addresses.
    for (const RecoveryPeer& p : *recovered) {
      if (p.id != loop_.options.id) membership_->Learn(p.id, p.address);
    }
  }
  COFFER_RETURN_IF_ERROR(CreateRaft({}));
  COFFER_RETURN_IF_ERROR(membership_->LoadPeerRecords());
  TryAutoUnseal();
  return absl::OkStatus();
}

NodeImpl::~NodeImpl() { Close(); }

void NodeImpl::Close() {
  absl::MutexLock close_lock(&close_mu_);
  {
    absl::MutexLock lock(&mu_);
    if (closing_) return;
    closing_ = true;
  }
  if (thread_.joinable()) thread_.join();
  if (log_snapshots_ != nullptr) log_snapshots_->Cancel();
  if (driver_ != nullptr) driver_->StopLogSyncer();
  std::set<std::shared_ptr<Waiter>> waiters;
  {
    absl::MutexLock lock(&mu_);
    waiters.swap(waiters_);
    tasks_.clear();
  }
  for (const std::shared_ptr<Waiter>& w : waiters) {
    w->Abort(absl::FailedPreconditionError("node: closed"));
  }
  // Callbacks of requests still pending belong to callers aborted above or
  // to peers (which time out); drop them, then release the storage.
  if (pipeline_ != nullptr) pipeline_->Clear();
  // The join's private seal and shares are key material.
  if (membership_ != nullptr) membership_->Close();
  if (snapshots_ != nullptr) snapshots_->Close();  // iterators over state
  loop_.raft.reset();
  loop_.seal.reset();
  loop_.barrier.reset();
  loop_.view.reset();
  loop_.state.reset();
  loop_.log.reset();
  loop_.db.reset();
}

// --- Threading ---------------------------------------------------------------

absl::Status NodeImpl::Post(Task task) {
  {
    absl::MutexLock lock(&mu_);
    if (tasks_.size() >= static_cast<size_t>(loop_.options.max_pending)) {
      return absl::ResourceExhaustedError(
          "node: too many requests waiting for the event loop");
    }
  }
  return PostInternal(std::move(task));
}

absl::Status NodeImpl::PostInternal(Task task) {
  absl::MutexLock lock(&mu_);
  if (closing_) return absl::FailedPreconditionError("node: closed");
  if (!stopped_.ok()) return stopped_;
  tasks_.push_back(std::move(task));
  return absl::OkStatus();
}

void NodeImpl::Register(std::shared_ptr<Waiter> w) {
  absl::MutexLock lock(&mu_);
  waiters_.insert(std::move(w));
}

void NodeImpl::Unregister(const std::shared_ptr<Waiter>& w) {
  absl::MutexLock lock(&mu_);
  waiters_.erase(w);
}

absl::StatusOr<nodepb::OpResult> NodeImpl::Submit(nodepb::Op op) {
  return Audited(std::move(op), [this](nodepb::Op op) {
    return SubmitUnaudited(std::move(op));
  });
}

absl::StatusOr<nodepb::OpResult> NodeImpl::SubmitUnaudited(nodepb::Op op) {
  // A read whose token has limited uses comes back to run as a write.
  std::optional<nodepb::Op> again;
  if (IsRead(op) && !op.token().empty()) again = op;
  absl::StatusOr<nodepb::OpResult> r = SubmitOnce(std::move(op));
  if (again.has_value() && r.ok() && r->run_as_write()) {
    again->set_as_write(true);
    r = SubmitOnce(*std::move(again));
  }
  return r;
}

absl::StatusOr<nodepb::OpResult> NodeImpl::SubmitOnce(nodepb::Op op) {
  auto c = std::make_shared<Completion<nodepb::OpResult>>();
  Register(c);
  absl::Status posted = Post([this, c, op = std::move(op)]() mutable {
    pipeline_->Start(
        std::move(op), loop_.RequestDeadline(),
        [c](absl::StatusOr<nodepb::OpResult> r) { c->Set(std::move(r)); },
        /*local=*/true);
  });
  if (!posted.ok()) {
    Unregister(c);
    return posted;
  }
  // The loop fails the request at its deadline; the extra ticks only guard
  // against a loop that is itself stuck.
  absl::StatusOr<nodepb::OpResult> r =
      c->Wait(loop_.options.request_timeout + 2 * loop_.options.tick);
  Unregister(c);
  return r;
}

bool NodeImpl::HasWork() const { return closing_ || !tasks_.empty(); }

void NodeImpl::Run() {
  absl::Time next_tick = LoopState::Now() + loop_.options.tick;
  for (;;) {
    std::deque<Task> tasks;
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithDeadline(absl::Condition(this, &NodeImpl::HasWork),
                            next_tick);
      if (closing_) return;
      tasks.swap(tasks_);
    }
    for (Task& t : tasks) t();
    const absl::Time now = LoopState::Now();
    if (now >= next_tick) {
      next_tick += loop_.options.tick;
      // A loop that fell behind skips ticks rather than bursting them.
      if (next_tick <= now) next_tick = now + loop_.options.tick;
      OnTick();
    }
    Drive();
    pipeline_->Flush();
    ops_->CheckTransfers();
    observer_.ObserveLoop();
  }
}

// --- Public API
// ----------------------------------------------------------------

void NodeImpl::Receive(absl::string_view bytes) {
  std::optional<nodepb::Frame> frame = DecodeFrame(bytes, loop_.options.id);
  if (!frame.has_value()) return;
  // Dropped when closed or over the backlog bound: the protocols recover.
  (void)Post([this, f = *std::move(frame)] { OnFrame(f); });
}

absl::Status NodeImpl::Bootstrap(const std::vector<Peer>& peers) {
  return RunOnLoop<bool>([this, peers]() -> absl::StatusOr<bool> {
           COFFER_RETURN_IF_ERROR(membership_->Bootstrap(peers));
           return true;
         })
      .status();
}

absl::Status NodeImpl::Authorize(const Caller& caller, absl::string_view path,
                                 acl::Capability capability, AuthorizeHow how) {
  if (how.open_before_init) {
    // Before Initialize there are no tokens and nothing to protect; this
    // node's own applied seal records tell (no round trip).
    absl::StatusOr<bool> uninitialized =
        RunOnLoop<bool>([this]() -> absl::StatusOr<bool> {
          if (!loop_.barrier->sealed()) return false;
          absl::StatusOr<SealStatus> s = loop_.seal->Status();
          if (!s.ok()) return Annotate(s.status());
          return !s->initialized;
        });
    if (!uninitialized.ok()) return uninitialized.status();
    if (*uninitialized) return absl::OkStatus();
  }
  nodepb::Op op = AuthorizeOp(caller.token(), path, capability, how.sudo,
                              how.open_before_init);
  op.set_remote_address(std::string(caller.remote_address()));
  return (how.local ? StaleRead(std::move(op)) : Submit(std::move(op)))
      .status();
}

absl::Status NodeImpl::AddPeer(const Caller& caller, uint64_t id,
                               const std::string& address, bool voter) {
  if (id == 0 || address.empty() || address.size() > 1024) {
    return absl::InvalidArgumentError(
        "node: AddPeer needs an id >= 1 and an address of 1..1024 bytes");
  }
  COFFER_RETURN_IF_ERROR(Authorize(caller, kRaftAddPeerPath,
                                   acl::Capability::kUpdate,
                                   {.sudo = true, .open_before_init = true}));
  nodepb::Op op;
  op.mutable_add_peer()->set_id(id);
  op.mutable_add_peer()->set_address(address);
  op.mutable_add_peer()->set_voter(voter);
  return Submit(std::move(op)).status();
}

absl::Status NodeImpl::RemovePeer(const Caller& caller, uint64_t id) {
  if (id == 0) return absl::InvalidArgumentError("node: peer id 0");
  COFFER_RETURN_IF_ERROR(Authorize(caller, kRaftRemovePeerPath,
                                   acl::Capability::kUpdate,
                                   {.open_before_init = true}));
  nodepb::Op op;
  op.mutable_remove_peer()->set_id(id);
  return Submit(std::move(op)).status();
}

absl::Status NodeImpl::Join(const std::vector<Peer>& known_peers) {
  return RunAsyncOnLoop<bool>(
             [this,
              known_peers](std::function<void(absl::StatusOr<bool>)> done) {
               membership_->StartJoin(known_peers, /*retry=*/false,
                                      [done](absl::Status s) {
                                        if (s.ok()) return done(true);
                                        done(s);
                                      });
             })
      .status();
}

absl::StatusOr<LeaderInfo> NodeImpl::Leader() {
  return RunOnLoop<LeaderInfo>([this]() -> absl::StatusOr<LeaderInfo> {
    if (membership_->removed()) return membership_->RemovedError();
    return membership_->Leader();
  });
}

absl::StatusOr<std::vector<PeerInfo>> NodeImpl::ListPeers(
    const Caller& caller) {
  COFFER_RETURN_IF_ERROR(Authorize(caller, kRaftConfigurationPath,
                                   acl::Capability::kRead,
                                   {.open_before_init = true}));
  return RunOnLoop<std::vector<PeerInfo>>(
      [this]() -> absl::StatusOr<std::vector<PeerInfo>> {
        if (membership_->removed()) return membership_->RemovedError();
        return membership_->Peers();
      });
}

absl::StatusOr<InitializeResult> NodeImpl::Initialize(
    const InitializeOptions& options) {
  nodepb::Op op;
  nodepb::Initialize* init = op.mutable_initialize();
  init->set_secret_shares(options.secret_shares);
  init->set_secret_threshold(options.secret_threshold);
  init->set_recovery_shares(options.recovery_shares);
  init->set_recovery_threshold(options.recovery_threshold);
  COFFER_ASSIGN_OR_RETURN(nodepb::OpResult r, Submit(std::move(op)));
  COFFER_RETURN_IF_ERROR(
      CheckResult(r, nodepb::OpResult::kInitialize, "Initialize"));
  const nodepb::InitializeResult& pb = r.initialize();
  InitializeResult out;
  out.keys.assign(pb.keys().begin(), pb.keys().end());
  out.recovery_keys.assign(pb.recovery_keys().begin(),
                           pb.recovery_keys().end());
  out.root_token = pb.root_token();
  return out;
}

absl::StatusOr<SealStatus> NodeImpl::SubmitUnsealKey(absl::string_view share) {
  return RunAsyncOnLoop<SealStatus>(
      [this, s = std::string(share)](Membership::SealDone done) {
        // A joining node's shares open the join challenge (join.cc).
        if (membership_->JoinTakesUnsealKeys()) {
          return membership_->JoinSubmitUnsealKey(s, done);
        }
        absl::StatusOr<SealStatus> r = loop_.seal->SubmitUnsealKey(s);
        if (!r.ok()) return done(Annotate(r.status()));
        r->removed_from_cluster = membership_->removed();
        done(r);
      });
}

absl::Status NodeImpl::Seal(const Caller& caller) {
  absl::StatusOr<bool> sealed =
      RunOnLoop<bool>([this] { return loop_.barrier->sealed(); });
  if (!sealed.ok()) return sealed.status();
  if (*sealed) return absl::OkStatus();  // nothing to do, nothing to tell
  COFFER_RETURN_IF_ERROR(Authorize(caller, kSealPath, acl::Capability::kUpdate,
                                   {.sudo = true, .local = true}));
  return RunOnLoop<bool>([this]() -> absl::StatusOr<bool> {
           loop_.seal->Seal();
           return true;
         })
      .status();
}

absl::StatusOr<SealStatus> NodeImpl::GetSealStatus() {
  return RunOnLoop<SealStatus>([this]() -> absl::StatusOr<SealStatus> {
    if (std::optional<SealStatus> j = membership_->JoinSealStatus();
        j.has_value()) {
      return *j;  // the seal of the cluster this node joins
    }
    absl::StatusOr<SealStatus> r = loop_.seal->Status();
    if (!r.ok()) return Annotate(r.status());
    r->removed_from_cluster = membership_->removed();
    return r;
  });
}

absl::Status NodeImpl::PutRaw(const Caller& caller, absl::string_view path,
                              absl::string_view value) {
  COFFER_RETURN_IF_ERROR(CheckRawPath(path));
  nodepb::Op op;
  SetCaller(caller, &op);
  op.mutable_put_raw()->set_path(std::string(path));
  op.mutable_put_raw()->set_value(std::string(value));
  return Submit(std::move(op)).status();
}

absl::Status NodeImpl::DeleteRaw(const Caller& caller, absl::string_view path) {
  COFFER_RETURN_IF_ERROR(CheckRawPath(path));
  nodepb::Op op;
  SetCaller(caller, &op);
  op.mutable_delete_raw()->set_path(std::string(path));
  return Submit(std::move(op)).status();
}

absl::StatusOr<std::string> NodeImpl::GetRaw(const Caller& caller,
                                             absl::string_view path,
                                             ReadConsistency consistency) {
  COFFER_RETURN_IF_ERROR(CheckRawPath(path));
  nodepb::Op op;
  SetCaller(caller, &op);
  op.mutable_get_raw()->set_path(std::string(path));
  COFFER_ASSIGN_OR_RETURN(nodepb::OpResult r,
                          consistency == ReadConsistency::kStale
                              ? StaleRead(std::move(op))
                              : Submit(std::move(op)));
  COFFER_RETURN_IF_ERROR(CheckResult(r, nodepb::OpResult::kValue, "GetRaw"));
  return std::move(*r.mutable_value());
}

absl::StatusOr<nodepb::OpResult> NodeImpl::StaleRead(nodepb::Op op) {
  return Audited(std::move(op), [this](nodepb::Op op) {
    return StaleReadUnaudited(std::move(op));
  });
}

absl::StatusOr<nodepb::OpResult> NodeImpl::StaleReadUnaudited(nodepb::Op op) {
  std::optional<nodepb::Op> again;
  if (!op.token().empty()) again = op;
  absl::StatusOr<nodepb::OpResult> r = RunOnLoop<nodepb::OpResult>(
      [this, op = std::move(op)]() -> absl::StatusOr<nodepb::OpResult> {
        if (membership_->removed()) return membership_->RemovedError();
        if (loop_.barrier->sealed()) return loop_.SealedError();
        return Read(op);
      });
  if (again.has_value() && r.ok() && r->run_as_write()) {
    // Each use of a limited-use token is a write: this read goes to the
    // leader after all.
    again->set_as_write(true);
    return SubmitUnaudited(*std::move(again));
  }
  if (!r.ok()) return Annotate(r.status());
  return r;
}

absl::StatusOr<nodepb::KvResult> NodeImpl::SubmitKv(
    nodepb::KvOp op, const Caller& caller, ReadConsistency consistency) {
  nodepb::Op wrapped;
  *wrapped.mutable_kv() = std::move(op);
  SetCaller(caller, &wrapped);
  absl::StatusOr<nodepb::OpResult> r = consistency == ReadConsistency::kStale
                                           ? StaleRead(std::move(wrapped))
                                           : Submit(std::move(wrapped));
  if (!r.ok()) return Annotate(r.status());
  COFFER_RETURN_IF_ERROR(CheckResult(*r, nodepb::OpResult::kKv, "KV"));
  return std::move(*r->mutable_kv());
}

absl::StatusOr<KeyStatus> NodeImpl::GetKeyStatus(const Caller& caller) {
  COFFER_RETURN_IF_ERROR(Authorize(caller, kKeyStatusPath,
                                   acl::Capability::kRead, {.local = true}));
  return RunOnLoop<KeyStatus>([this] { return ops_->KeyStatusNow(); });
}

absl::Status NodeImpl::TransferLeadership(const Caller& caller, uint64_t to) {
  COFFER_RETURN_IF_ERROR(Authorize(caller, kStepDownPath,
                                   acl::Capability::kUpdate,
                                   {.sudo = true, .open_before_init = true}));
  return ops_->TransferLeadership(to);
}

absl::Status NodeImpl::SnapshotSave(const Caller& caller,
                                    const std::string& path) {
  COFFER_RETURN_IF_ERROR(
      Authorize(caller, kSnapshotPath, acl::Capability::kRead));
  return snapshots_->Save(path);
}

absl::Status NodeImpl::SnapshotSaveTo(
    const Caller& caller,
    const std::function<absl::Status(absl::string_view)>& write) {
  COFFER_RETURN_IF_ERROR(
      Authorize(caller, kSnapshotPath, acl::Capability::kRead));
  return snapshots_->SaveTo(write);
}

absl::Status NodeImpl::AuthorizeRestore(const Caller& caller,
                                        const SnapshotRestoreOptions& options) {
  if (options.force) {
    return Authorize(caller, kSnapshotForcePath, acl::Capability::kUpdate,
                     {.sudo = true});
  }
  return Authorize(caller, kSnapshotPath, acl::Capability::kUpdate);
}

absl::Status NodeImpl::SnapshotRestore(const Caller& caller,
                                       const std::string& path,
                                       const SnapshotRestoreOptions& options) {
  COFFER_RETURN_IF_ERROR(AuthorizeRestore(caller, options));
  return snapshots_->Restore(path, options);
}

absl::Status NodeImpl::SnapshotRestoreFrom(
    const Caller& caller,
    const std::function<absl::StatusOr<size_t>(char* buf, size_t cap)>& read,
    const SnapshotRestoreOptions& options) {
  COFFER_RETURN_IF_ERROR(AuthorizeRestore(caller, options));
  return snapshots_->RestoreFrom(read, options);
}

}  // namespace coffer::node
