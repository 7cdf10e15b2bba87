#include "node/log_snapshots.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "node/codec.h"
#include "node/snapshot_ops.h"
#include "snapshot/restore.h"
#include "storage/db.h"
#include "storage/leveldb_log.h"

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

// A snapshot file that did not fit (lib/snapshot reports errno's text).
bool NoSpace(const absl::Status& s) {
  return storage::IsDiskFull(s) ||
         absl::StrContains(s.message(), std::strerror(ENOSPC)) ||
         absl::StrContains(s.message(), std::strerror(EDQUOT));
}

}  // namespace

LogSnapshots::LogSnapshots(LoopState* loop, const Observer* observer)
    : loop_(loop), observer_(observer) {
  const raftpb::SnapshotMetadata snap = loop_->log->Snapshot();
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(
      storage::SnapshotPath(loop_->log->snapshot_dir(), snap.index(),
                            snap.term()),
      ec);
  last_snapshot_bytes_ = ec ? 0 : size;
}

absl::Status LogSnapshots::MaybeSnapshot() {
  if (pending_log_snapshot_.index() != 0) {
    // A restore commit made the snapshot file of the state it installed;
    // the log adopts it now, between Readies (until then, a restart finds
    // it through the state store: storage::Reconcile). A newer snapshot
    // installed meanwhile supersedes it.
    const raftpb::SnapshotMetadata meta = pending_log_snapshot_;
    pending_log_snapshot_.Clear();
    if (meta.index() > loop_->log->Snapshot().index()) {
      absl::Status s = loop_->log->ApplySnapshot(meta);
      if (!s.ok()) {
        // A full disk: adopted again once the node resumes.
        if (storage::IsDiskFull(s)) pending_log_snapshot_ = meta;
        return Annotate(s);
      }
      RemoveOld();
    }
  }
  if (job_ != nullptr) {
    if (!job_->done.load(std::memory_order_acquire)) {
      return absl::OkStatus();
    }
    COFFER_RETURN_IF_ERROR(Finish());
  }
  if (loop_->options.snapshot_threshold == 0) return absl::OkStatus();
  const uint64_t applied = loop_->state->AppliedIndex();
  if (applied <
          loop_->log->Snapshot().index() + loop_->options.snapshot_threshold ||
      applied < loop_->log->FirstIndex() ||
      applied_bytes_since_snapshot_ < last_snapshot_bytes_) {
    return absl::OkStatus();
  }
  return Start(applied);
}

absl::Status LogSnapshots::Start(uint64_t applied) {
  absl::StatusOr<uint64_t> term = loop_->log->Term(applied);
  if (!term.ok()) return Annotate(term.status());
  auto job = std::make_unique<Job>();
  job->header.cluster_id = std::string(kRaftSnapshotCluster);
  job->header.index = applied;
  job->header.term = *term;
  // Called between Readies: the core's configuration is the one of the
  // applied entries.
  job->header.conf_state = loop_->raft->GetStatus().conf_state;
  job->path = storage::SnapshotPath(loop_->log->snapshot_dir(), applied, *term);
  // A LevelDB iterator reads the state as of its creation: the writes the
  // loop makes meanwhile do not reach the file.
  auto it = std::make_unique<CancellableIterator>(loop_->state->NewIterator(),
                                                  &job->cancel);
  applied_bytes_since_snapshot_ = 0;
  Job* j = job.get();
  job->thread = std::thread([j, it = std::move(it)]() mutable {
    j->bytes =
        snapshot::SaveSnapshot(j->path, j->header, kRaftSnapshotMacKey, *it);
    it.reset();  // releases the LevelDB snapshot
    j->done.store(true, std::memory_order_release);
  });
  job_ = std::move(job);
  return absl::OkStatus();
}

absl::Status LogSnapshots::Finish() {
  std::unique_ptr<Job> job = std::move(job_);
  if (job->thread.joinable()) job->thread.join();
  if (!job->bytes.ok()) {
    const absl::Status& s = job->bytes.status();
    if (!NoSpace(s)) return Annotate(s);
    // The file did not fit: nothing changed but a partial file, removed
    // now. The next snapshot is due after as many applied bytes again.
    observer_->Log(LogLevel::kWarning,
                   absl::StrCat("raft snapshot not made: ", s.message()));
    std::error_code ec;
    std::filesystem::remove(job->path, ec);
    return absl::OkStatus();
  }
  const raftpb::SnapshotMetadata meta = job->header.Metadata();
  if (meta.index() <= loop_->log->Snapshot().index()) {
    // A snapshot installed or restored meanwhile is as new or newer: this
    // one goes (unless it is that very file: same index, same term).
    RemoveOld();
    return absl::OkStatus();
  }
  absl::Status s =
      loop_->log->ApplySnapshotKeeping(meta, loop_->options.trailing_logs);
  if (!s.ok()) {
    // A full disk: the finished job is adopted once the node resumes.
    if (storage::IsDiskFull(s)) job_ = std::move(job);
    return Annotate(s);
  }
  last_snapshot_bytes_ = *job->bytes;
  RemoveOld();
  observer_->ObserveSnapshot(/*installed=*/false, meta.index());
  return absl::OkStatus();
}

void LogSnapshots::Cancel() {
  if (job_ == nullptr) return;
  job_->cancel.store(true, std::memory_order_relaxed);
  job_->thread.join();
  job_.reset();
}

absl::StatusOr<bool> LogSnapshots::Receive(const raft::Ready& rd) {
  for (const raft::ReceivedSnapshotChunk& chunk : rd.snapshot_chunks) {
    if (chunk.offset == 0) {
      receiving_.reset();  // a newer snapshot replaces a half-received one
      absl::StatusOr<std::unique_ptr<snapshot::SnapshotReceiver>> r =
          snapshot::SnapshotReceiver::Begin(
              storage::SnapshotPath(loop_->log->snapshot_dir(),
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
  if (!rd.snapshot.has_value()) return false;
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
      loop_->log->snapshot_dir(), rd.snapshot->index(), rd.snapshot->term());
  absl::StatusOr<raftpb::SnapshotMetadata> meta =
      snapshot::RestoreSnapshot(path, RaftVerify(), loop_->state.get());
  if (!meta.ok()) return Annotate(meta.status());
  absl::Status s = loop_->log->ApplySnapshot(*rd.snapshot);
  if (!s.ok()) return Annotate(s);
  loop_->view->ClearInFlight();
  RemoveOld();
  return true;
}

void LogSnapshots::RemoveOld() {
  const raftpb::SnapshotMetadata current = loop_->log->Snapshot();
  const std::string keep = storage::SnapshotPath(
      loop_->log->snapshot_dir(), current.index(), current.term());
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator(loop_->log->snapshot_dir(), ec)) {
    const std::string p = entry.path().string();
    // Only finished snapshot files; a ".partial" or ".tmp" one belongs to
    // a transfer or save in progress.
    if (p != keep && absl::EndsWith(p, ".snap")) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
}

}  // namespace coffer::node
