// Operator snapshot save (Node::SnapshotSave, SnapshotSaveTo).
//
// Any unsealed node saves. The linearizable point: the caller first asks
// the leader (forwarded if need be) for a ReadIndex round, whose answer is
// the leader's applied index; once this node has applied that much, its
// applied state holds every write acknowledged before the save began. A
// consistent iterator over that state (a LevelDB snapshot) is then read in
// batches on the loop and written by the caller's thread, so the loop
// never blocks on the file. The file is verified (framing, SHA-256, HMAC)
// before it is reported or streamed.
//
// Keys. The header names the cluster (core/cluster-id) and the trailer's
// HMAC is keyed by core/snapshot-hmac-key, a random key stored through the
// barrier: only holders of the cluster's keys can check or forge it. Both
// records are written by the leader on the first save (SnapshotPrepare).
#include <string.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "crypto/random.h"
#include "node/codec.h"
#include "node/operator_snapshots.h"
#include "node/snapshot_ops.h"
#include "snapshot/file_io.h"
#include "snapshot/snapshot.h"

namespace coffer::node {

struct OperatorSnapshots::SaveStart {
  uint64_t id = 0;
  snapshot::SnapshotHeader header;
  std::string mac_key;  // secret: wiped by the caller
};

struct OperatorSnapshots::SaveBatch {
  std::vector<std::pair<std::string, std::string>> records;
  bool done = false;
};

namespace {

// Records read from a save stream per loop turn.
constexpr size_t kSaveBatchBytes = 1 << 20;

void Wipe(std::string& s) {
  if (!s.empty()) explicit_bzero(s.data(), s.size());
  s.clear();
}

absl::StatusOr<std::string> RandomSuffix() {
  COFFER_ASSIGN_OR_RETURN(std::string bytes, crypto::RandomString(8));
  return absl::BytesToHexString(bytes);
}

}  // namespace

absl::StatusOr<nodepb::OpResult> OperatorSnapshots::RunOp(
    const nodepb::Op& op) {
  nodepb::OpResult out;
  if (op.has_snapshot_read_index()) {
    // Served once applied >= the read index: the applied index is a point
    // at least as new as the read, which the saving node waits for.
    out.set_read_index(loop_->state->AppliedIndex());
    return out;
  }
  if (op.has_snapshot_prepare()) {
    COFFER_ASSIGN_OR_RETURN(std::optional<std::string> id,
                            loop_->view->Get(kClusterIdPath));
    if (!id.has_value()) {
      COFFER_ASSIGN_OR_RETURN(std::string bytes, crypto::RandomString(16));
      COFFER_RETURN_IF_ERROR(
          loop_->view->Put(kClusterIdPath, absl::BytesToHexString(bytes)));
    }
    COFFER_ASSIGN_OR_RETURN(std::optional<std::string> key,
                            loop_->barrier->Get(kSnapshotKeyPath));
    if (!key.has_value() || op.snapshot_prepare().new_key()) {
      COFFER_ASSIGN_OR_RETURN(std::string bytes, crypto::RandomString(32));
      absl::Status s = loop_->barrier->Put(kSnapshotKeyPath, bytes);
      Wipe(bytes);
      COFFER_RETURN_IF_ERROR(s);
    }
    if (key.has_value()) Wipe(*key);
    return out;
  }
  if (op.has_snapshot_discard()) {
    // A batch of deletions within half an entry, like a stage batch.
    COFFER_ASSIGN_OR_RETURN(
        std::vector<std::string> staged,
        loop_->view->List(StagingPrefix(op.snapshot_discard().restore_id())));
    size_t bytes = 0;
    for (const std::string& key : staged) {
      if (bytes + key.size() + 16 > loop_->options.max_entry_bytes / 2) {
        out.set_more(true);
        return out;
      }
      COFFER_RETURN_IF_ERROR(loop_->view->Delete(key));
      bytes += key.size() + 16;
    }
    return out;
  }
  // SnapshotStage: raw physical puts (the values are the snapshot's
  // ciphertext, copied as they are).
  const nodepb::SnapshotStage& stage = op.snapshot_stage();
  const std::string prefix = StagingPrefix(stage.restore_id());
  for (const nodepb::Write& w : stage.records()) {
    if (IsKeptOnRestore(w.key()) || IsTransient(w.key())) {
      return absl::InvalidArgumentError(
          "node: a restore may not stage node/ or seal records");
    }
    COFFER_RETURN_IF_ERROR(
        loop_->view->Put(absl::StrCat(prefix, w.key()), w.value()));
  }
  return out;
}

absl::Status OperatorSnapshots::ReachLinearizablePoint() {
  nodepb::Op prepare;
  prepare.mutable_snapshot_prepare();
  COFFER_RETURN_IF_ERROR(host_->SubmitOp(std::move(prepare)).status());
  nodepb::Op read;
  read.mutable_snapshot_read_index();
  COFFER_ASSIGN_OR_RETURN(nodepb::OpResult r, host_->SubmitOp(std::move(read)));
  COFFER_RETURN_IF_ERROR(
      CheckResult(r, nodepb::OpResult::kReadIndex, "read index"));
  const uint64_t index = r.read_index();
  const absl::Time deadline = LoopState::Now() + loop_->options.request_timeout;
  const absl::Duration poll =
      std::min(loop_->options.tick, absl::Milliseconds(2));
  for (;;) {
    COFFER_ASSIGN_OR_RETURN(
        uint64_t applied,
        OnLoop<uint64_t>([this]() -> absl::StatusOr<uint64_t> {
          return loop_->state->AppliedIndex();
        }));
    if (applied >= index) return absl::OkStatus();
    if (LoopState::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "node: this node did not apply the leader's index ", index,
          " within options.request_timeout (it has ", applied, ")"));
    }
    absl::SleepFor(poll);
  }
}

absl::StatusOr<OperatorSnapshots::SaveStart> OperatorSnapshots::StartSave() {
  if (loop_->barrier->sealed()) return loop_->SealedError();
  SaveStart out;
  const uint64_t applied = loop_->state->AppliedIndex();
  absl::StatusOr<uint64_t> term = loop_->log->Term(applied);
  if (!term.ok()) return Annotate(term.status());
  COFFER_ASSIGN_OR_RETURN(std::optional<std::string> cluster,
                          loop_->view->Get(kClusterIdPath));
  absl::StatusOr<std::optional<std::string>> key =
      loop_->barrier->Get(kSnapshotKeyPath);
  if (!key.ok()) return Annotate(key.status());
  if (!cluster.has_value() || !key->has_value()) {
    return absl::FailedPreconditionError(
        "node: the cluster has no snapshot key yet");
  }
  out.header.cluster_id = *std::move(cluster);
  out.header.index = applied;
  out.header.term = *term;
  // Between Readies the core's configuration is that of the applied
  // entries (the membership is informational: restore keeps the live one).
  out.header.conf_state = loop_->raft->GetStatus().conf_state;
  out.mac_key = **std::move(key);
  std::unique_ptr<storage::StateIterator> it = loop_->state->NewIterator();
  it->SeekToFirst();
  out.id = ++next_save_stream_;
  save_streams_[out.id] = std::move(it);
  return out;
}

absl::StatusOr<OperatorSnapshots::SaveBatch> OperatorSnapshots::NextSaveBatch(
    uint64_t id) {
  auto found = save_streams_.find(id);
  if (found == save_streams_.end()) {
    return absl::FailedPreconditionError("node: the save was interrupted");
  }
  storage::StateIterator& it = *found->second;
  SaveBatch out;
  size_t bytes = 0;
  for (; it.Valid() && bytes < kSaveBatchBytes; it.Next()) {
    if (IsTransient(it.key())) continue;
    bytes += it.key().size() + it.value().size();
    out.records.emplace_back(std::string(it.key()), std::string(it.value()));
  }
  if (!it.Valid()) {
    absl::Status s = it.status();
    save_streams_.erase(found);
    if (!s.ok()) return Annotate(s);
    out.done = true;
  }
  return out;
}

absl::Status OperatorSnapshots::SaveVerified(const std::string& tmp) {
  COFFER_RETURN_IF_ERROR(ReachLinearizablePoint());
  COFFER_ASSIGN_OR_RETURN(SaveStart start,
                          OnLoop<SaveStart>([this]() { return StartSave(); }));
  auto release = [this, id = start.id] {
    host_->PostToLoop([this, id] { save_streams_.erase(id); });
  };
  absl::Status s = [&]() -> absl::Status {
    COFFER_ASSIGN_OR_RETURN(
        std::unique_ptr<snapshot::SnapshotWriter> writer,
        snapshot::SnapshotWriter::Create(tmp, start.header, start.mac_key));
    for (bool done = false; !done;) {
      COFFER_ASSIGN_OR_RETURN(SaveBatch batch,
                              OnLoop<SaveBatch>([this, id = start.id]() {
                                return NextSaveBatch(id);
                              }));
      for (const auto& [key, value] : batch.records) {
        COFFER_RETURN_IF_ERROR(writer->Add(key, value));
      }
      done = batch.done;
    }
    COFFER_RETURN_IF_ERROR(writer->Finish());
    snapshot::VerifyOptions verify;
    verify.mac_key = start.mac_key;
    verify.cluster_id = start.header.cluster_id;
    absl::Status v = snapshot::VerifySnapshot(tmp, verify).status();
    Wipe(verify.mac_key);
    return v;
  }();
  Wipe(start.mac_key);
  release();
  if (!s.ok()) {
    std::remove(tmp.c_str());
    return Annotate(s);
  }
  return absl::OkStatus();
}

absl::Status OperatorSnapshots::Save(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("node: an empty path");
  COFFER_ASSIGN_OR_RETURN(std::string suffix, RandomSuffix());
  const std::string tmp = absl::StrCat(path, ".partial-", suffix);
  COFFER_RETURN_IF_ERROR(SaveVerified(tmp));
  absl::Status s = snapshot::RenameDurably(tmp, path);
  if (!s.ok()) {
    std::remove(tmp.c_str());
    return Annotate(s);
  }
  return absl::OkStatus();
}

absl::Status OperatorSnapshots::SaveTo(
    const std::function<absl::Status(absl::string_view)>& write) {
  COFFER_ASSIGN_OR_RETURN(std::string suffix, RandomSuffix());
  const std::string tmp =
      (std::filesystem::path(loop_->options.data_dir) / "snapshots" /
       absl::StrCat("operator-save-", suffix, ".partial"))
          .string();
  COFFER_RETURN_IF_ERROR(SaveVerified(tmp));
  absl::Status s = [&]() -> absl::Status {
    COFFER_ASSIGN_OR_RETURN(std::unique_ptr<snapshot::FileReader> file,
                            snapshot::FileReader::Open(tmp));
    std::string chunk;
    for (uint64_t left = file->file_size(); left > 0;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(left, 1 << 20));
      COFFER_RETURN_IF_ERROR(file->Read(n, &chunk));
      COFFER_RETURN_IF_ERROR(write(chunk));
      left -= n;
    }
    return absl::OkStatus();
  }();
  std::remove(tmp.c_str());
  return s;
}

}  // namespace coffer::node
