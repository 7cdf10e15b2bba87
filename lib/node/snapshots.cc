// Snapshots driven by the node: making one every snapshot_threshold applied
// entries (which compacts the log up to it), and installing one a leader
// sends (raft thesis chapter 5, InstallSnapshot in chunks).
//
// Raft snapshots must be made and checked by sealed nodes too (they
// replicate), so they cannot use a barrier-derived HMAC key. They use a
// fixed, public key and cluster id: the trailer's SHA-256 and HMAC then
// detect corruption, not forgery; the host's transport authenticates peers.
// Operator save/restore (snapshot_save.cc, snapshot_restore.cc) keeps a
// barrier-protected HMAC key.
#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "node/codec.h"
#include "node/node_impl.h"
#include "node/snapshot_ops.h"
#include "snapshot/restore.h"

namespace coffer::node {
namespace {

// Bound on a received snapshot file.
constexpr uint64_t kMaxSnapshotBytes = uint64_t{1} << 40;

// Stops a snapshot being written when the node closes: it ends early with
// kCancelled, so that the writer discards the file.
class CancellableIterator final : public storage::StateIterator {
 public:
  CancellableIterator(std::unique_ptr<storage::StateIterator> it,
                      const std::atomic<bool>* cancel)
      : it_(std::move(it)), cancel_(cancel) {}
  void SeekToFirst() override { it_->SeekToFirst(); }
  void Seek(absl::string_view key) override { it_->Seek(key); }
  bool Valid() const override { return !cancelled() && it_->Valid(); }
  void Next() override { it_->Next(); }
  absl::string_view key() const override { return it_->key(); }
  absl::string_view value() const override { return it_->value(); }
  absl::Status status() const override {
    if (cancelled()) return absl::CancelledError("node: closing");
    return it_->status();
  }

 private:
  bool cancelled() const { return cancel_->load(std::memory_order_relaxed); }

  std::unique_ptr<storage::StateIterator> it_;
  const std::atomic<bool>* const cancel_;
};

}  // namespace

snapshot::VerifyOptions RaftVerify() {
  snapshot::VerifyOptions v;
  v.mac_key = std::string(kRaftSnapshotMacKey);
  v.cluster_id = std::string(kRaftSnapshotCluster);
  return v;
}

std::string StagingPrefix(uint64_t restore_id) {
  return absl::StrCat(kStagingPrefix, absl::Hex(restore_id, absl::kZeroPad16),
                      "/");
}

bool IsKeptOnRestore(absl::string_view key) {
  if (absl::StartsWith(key, "node/")) return !IsTransient(key);
  return key == kClusterIdPath || key == "core/seal-config" ||
         key == "core/root-key" || key == "core/wrapped-root-key" ||
         key == "core/recovery-check";
}

bool IsTransient(absl::string_view key) {
  return absl::StartsWith(key, kStagingPrefix) || key == kRestoreCommitKey;
}

std::optional<nodepb::SnapshotRestoreCommit> RestoreCommitOf(
    const storage::WriteSet& writes, size_t from) {
  if (writes.ops().size() != from + 1) return std::nullopt;
  const storage::WriteSet::Op& op = writes.ops()[from];
  if (op.key != kRestoreCommitKey) return std::nullopt;
  nodepb::SnapshotRestoreCommit commit;
  if (!op.value.has_value() || !commit.ParseFromString(*op.value)) {
    commit.Clear();  // version 0: reported as corrupt when applied
  }
  return commit;
}

absl::Status NodeImpl::MaybeSnapshot() {
  if (pending_log_snapshot_.index() != 0) {
    // A restore commit made the snapshot file of the state it installed;
    // the log adopts it now, between Readies (until then, a restart finds
    // it through the state store: storage::Reconcile). A newer snapshot
    // installed meanwhile supersedes it.
    const raftpb::SnapshotMetadata meta = pending_log_snapshot_;
    pending_log_snapshot_.Clear();
    if (meta.index() > loop_.log->Snapshot().index()) {
      absl::Status s = loop_.log->ApplySnapshot(meta);
      if (!s.ok()) return Annotate(s);
      RemoveOldSnapshots();
    }
  }
  if (snapshot_job_ != nullptr) {
    if (!snapshot_job_->done.load(std::memory_order_acquire)) {
      return absl::OkStatus();
    }
    COFFER_RETURN_IF_ERROR(FinishSnapshot());
  }
  if (loop_.options.snapshot_threshold == 0) return absl::OkStatus();
  const uint64_t applied = loop_.state->AppliedIndex();
  if (applied <
          loop_.log->Snapshot().index() + loop_.options.snapshot_threshold ||
      applied < loop_.log->FirstIndex() ||
      applied_bytes_since_snapshot_ < last_snapshot_bytes_) {
    return absl::OkStatus();
  }
  StartSnapshot(applied);
  return absl::OkStatus();
}

void NodeImpl::StartSnapshot(uint64_t applied) {
  absl::StatusOr<uint64_t> term = loop_.log->Term(applied);
  if (!term.ok()) return Stop(Annotate(term.status()));
  auto job = std::make_unique<SnapshotJob>();
  job->header.cluster_id = std::string(kRaftSnapshotCluster);
  job->header.index = applied;
  job->header.term = *term;
  // Called between Readies: the core's configuration is the one of the
  // applied entries.
  job->header.conf_state = loop_.raft->GetStatus().conf_state;
  job->path = storage::SnapshotPath(loop_.log->snapshot_dir(), applied, *term);
  // A LevelDB iterator reads the state as of its creation: the writes the
  // loop makes meanwhile do not reach the file.
  auto it = std::make_unique<CancellableIterator>(loop_.state->NewIterator(),
                                                  &job->cancel);
  applied_bytes_since_snapshot_ = 0;
  SnapshotJob* j = job.get();
  job->thread = std::thread([j, it = std::move(it)]() mutable {
    j->bytes =
        snapshot::SaveSnapshot(j->path, j->header, kRaftSnapshotMacKey, *it);
    it.reset();  // releases the LevelDB snapshot
    j->done.store(true, std::memory_order_release);
  });
  snapshot_job_ = std::move(job);
}

absl::Status NodeImpl::FinishSnapshot() {
  std::unique_ptr<SnapshotJob> job = std::move(snapshot_job_);
  job->thread.join();
  if (!job->bytes.ok()) return Annotate(job->bytes.status());
  const raftpb::SnapshotMetadata meta = job->header.Metadata();
  if (meta.index() <= loop_.log->Snapshot().index()) {
    // A snapshot installed or restored meanwhile is as new or newer: this
    // one goes (unless it is that very file: same index, same term).
    RemoveOldSnapshots();
    return absl::OkStatus();
  }
  absl::Status s =
      loop_.log->ApplySnapshotKeeping(meta, loop_.options.trailing_logs);
  if (!s.ok()) return Annotate(s);
  last_snapshot_bytes_ = *job->bytes;
  RemoveOldSnapshots();
  observer_.ObserveSnapshot(/*installed=*/false, meta.index());
  return absl::OkStatus();
}

void NodeImpl::CancelSnapshot() {
  if (snapshot_job_ == nullptr) return;
  snapshot_job_->cancel.store(true, std::memory_order_relaxed);
  snapshot_job_->thread.join();
  snapshot_job_.reset();
}

absl::Status NodeImpl::InstallSnapshotChunks(const raft::Ready& rd) {
  for (const raft::ReceivedSnapshotChunk& chunk : rd.snapshot_chunks) {
    if (chunk.offset == 0) {
      receiving_.reset();  // a newer snapshot replaces a half-received one
      absl::StatusOr<std::unique_ptr<snapshot::SnapshotReceiver>> r =
          snapshot::SnapshotReceiver::Begin(
              storage::SnapshotPath(loop_.log->snapshot_dir(),
                                    chunk.metadata.index(),
                                    chunk.metadata.term()),
              kMaxSnapshotBytes);
      if (!r.ok()) return Annotate(r.status());
      receiving_ = *std::move(r);
    }
    if (receiving_ == nullptr) {
      return absl::InternalError("node: a snapshot chunk without its start");
    }
    absl::Status s = receiving_->Write(chunk.offset, chunk.data);
    if (!s.ok()) return Annotate(s);
  }
  if (!rd.snapshot.has_value()) return absl::OkStatus();
  if (receiving_ == nullptr) {
    return absl::InternalError("node: a snapshot to install was not received");
  }
  absl::StatusOr<snapshot::SnapshotHeader> header =
      receiving_->Finish(RaftVerify());
  receiving_.reset();
  if (!header.ok()) return Annotate(header.status());
  if (header->index != rd.snapshot->index() ||
      header->term != rd.snapshot->term()) {
    return absl::DataLossError(
        "node: a received snapshot is not the one its leader announced");
  }
  const std::string path = storage::SnapshotPath(
      loop_.log->snapshot_dir(), rd.snapshot->index(), rd.snapshot->term());
  absl::StatusOr<raftpb::SnapshotMetadata> meta =
      snapshot::RestoreSnapshot(path, RaftVerify(), loop_.state.get());
  if (!meta.ok()) return Annotate(meta.status());
  absl::Status s = loop_.log->ApplySnapshot(*rd.snapshot);
  if (!s.ok()) return Annotate(s);
  loop_.view->ClearInFlight();
  RemoveOldSnapshots();
  COFFER_RETURN_IF_ERROR(LoadPeerRecords());
  TryAutoUnseal();
  ReloadKeyring();  // the snapshot may hold a rotation this node missed
  observer_.ObserveSnapshot(/*installed=*/true, rd.snapshot->index());
  return absl::OkStatus();
}

void NodeImpl::RemoveOldSnapshots() {
  const raftpb::SnapshotMetadata current = loop_.log->Snapshot();
  const std::string keep = storage::SnapshotPath(
      loop_.log->snapshot_dir(), current.index(), current.term());
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator(loop_.log->snapshot_dir(), ec)) {
    const std::string p = entry.path().string();
    // Only finished snapshot files; a ".partial" or ".tmp" one belongs to
    // a transfer or save in progress.
    if (p != keep && absl::EndsWith(p, ".snap")) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
}

}  // namespace coffer::node
