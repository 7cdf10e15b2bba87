// Operator snapshot restore (Node::SnapshotRestore, SnapshotRestoreFrom).
//
// The restore is replicated through the raft log like any write, so every
// node, including one that is down meanwhile, reaches the same state, and
// no raft-core change is needed (docs/design.md, "Node snapshots and
// restore"):
//
//   1. The leader's caller verifies the whole file (SHA-256, then the HMAC
//      with the key the file's own core/snapshot-hmac-key record holds,
//      which only this cluster's keyring, or the snapshot cluster's unseal
//      shares for a force-restore, can decrypt). Nothing is proposed until
//      the file is known intact.
//   2. Its records are proposed in batches (SnapshotStage, each an
//      ordinary Command within max_entry_bytes) into a staging area,
//      node/staging/<restore id>/<key>: plain replicated records.
//   3. One commit entry (a Command whose one write is the marker
//      node/restore-commit) swaps them in. Every node applying it writes a
//      raft snapshot file of the new state (the staged records plus the
//      live records kept: node/, cluster id, seal records) at the commit's
//      index and installs it like a snapshot received from a leader: one
//      atomic switch of StateStore generations with the applied index. A
//      crash before the switch re-applies the entry from the log; after
//      it, storage::Reconcile finds the file. Staging areas not swapped in
//      (an abandoned restore) are dropped by that rebuild too, and the
//      next leader discards those its caller could not
//      (MaybeDiscardAbandonedStaging).
//
// The leader runs no request between proposing the commit and applying it
// (hold_index_), since their reads could not see its effect.
#include <string.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "crypto/random.h"
#include "node/codec.h"
#include "node/operator_snapshots.h"
#include "node/snapshot_ops.h"
#include "raft/confchange.h"
#include "seal/physical.h"
#include "snapshot/file_io.h"
#include "snapshot/snapshot.h"

namespace coffer::node {

struct OperatorSnapshots::RestoreKeys {
  std::string mac_key;  // secret: wiped by the caller
  // Another cluster's snapshot: its keyring sealed under this cluster's
  // root key, to stage in place of the snapshot's core/keyring.
  std::optional<std::string> keyring;
};

namespace {

// The snapshot records a restore needs before the HMAC is checked: the
// seal's (to unlock another cluster's keyring) and the HMAC key's.
bool IsRestoreKeyRecord(absl::string_view key) {
  return key == "core/seal-config" || key == "core/root-key" ||
         key == "core/wrapped-root-key" || key == "core/recovery-check" ||
         key == seal::kKeyringPath || key == kSnapshotKeyPath;
}

void Wipe(std::string& s) {
  if (!s.empty()) explicit_bzero(s.data(), s.size());
  s.clear();
}

// Reads every record (checking framing and the SHA-256, not the HMAC) and
// returns the header and the key records.
absl::StatusOr<snapshot::SnapshotHeader> ScanUnauthenticated(
    const std::string& path, std::map<std::string, std::string>* core) {
  COFFER_ASSIGN_OR_RETURN(std::unique_ptr<snapshot::SnapshotReader> reader,
                          snapshot::SnapshotReader::Open(path, std::nullopt));
  absl::string_view key, value;
  for (;;) {
    COFFER_ASSIGN_OR_RETURN(bool more, reader->Next(&key, &value));
    if (!more) break;
    if (IsRestoreKeyRecord(key)) (*core)[std::string(key)] = std::string(value);
  }
  return reader->header();
}

}  // namespace

absl::StatusOr<OperatorSnapshots::RestoreKeys>
OperatorSnapshots::RestoreKeysFor(
    const std::map<std::string, std::string>& core, bool foreign,
    const std::vector<std::string>& unseal_keys) {
  if (loop_->barrier->sealed()) return loop_->SealedError();
  auto key_record = core.find(std::string(kSnapshotKeyPath));
  if (key_record == core.end()) {
    return absl::DataLossError(
        "node: the snapshot has no HMAC key record; it was not made by "
        "SnapshotSave");
  }
  RestoreKeys out;
  if (!foreign) {
    absl::StatusOr<std::string> mac =
        loop_->barrier->Decrypt(kSnapshotKeyPath, key_record->second);
    if (!mac.ok()) {
      return absl::DataLossError(
          "node: the snapshot's HMAC key does not decrypt with this "
          "cluster's keyring: the file is corrupt or was altered");
    }
    out.mac_key = *std::move(mac);
    return out;
  }
  // Another cluster's snapshot: unseal its keyring, in memory only, with
  // that cluster's shares.
  seal::MemoryPhysicalStore store;
  for (const auto& [k, v] : core) COFFER_RETURN_IF_ERROR(store.Put(k, v));
  seal::Barrier theirs(&store);
  seal::SealManager manager(&store, &theirs, /*kms=*/nullptr);
  for (const std::string& share : unseal_keys) {
    absl::StatusOr<SealStatus> st = manager.SubmitUnsealKey(share);
    if (!st.ok()) {
      if (st.status().code() == absl::StatusCode::kFailedPrecondition) {
        return absl::FailedPreconditionError(absl::StrCat(
            "node: the snapshot's cluster cannot be unsealed with shares: ",
            st.status().message()));
      }
      return absl::Status(st.status().code(),
                          absl::StrCat("node: the snapshot's unseal keys: ",
                                       st.status().message()));
    }
    if (!st->sealed) break;
  }
  if (theirs.sealed()) {
    return absl::PermissionDeniedError(
        "node: too few unseal keys for the snapshot's cluster");
  }
  absl::StatusOr<std::string> mac =
      theirs.Decrypt(kSnapshotKeyPath, key_record->second);
  if (!mac.ok()) {
    return absl::DataLossError(
        "node: the snapshot's HMAC key does not decrypt with its keyring: "
        "the file is corrupt or was altered");
  }
  out.mac_key = *std::move(mac);
  absl::StatusOr<std::string> keyring = loop_->barrier->SealKeyringOf(theirs);
  if (!keyring.ok()) return Annotate(keyring.status());
  out.keyring = *std::move(keyring);
  return out;
}

absl::Status OperatorSnapshots::Restore(const std::string& path,
                                        const SnapshotRestoreOptions& options) {
  // On the leader only: the staged records then never cross the transport.
  COFFER_RETURN_IF_ERROR(
      OnLoop<bool>([this]() -> absl::StatusOr<bool> {
        if (loop_->soft.role != raft::Role::kLeader) {
          return absl::UnavailableError(
              absl::StrCat("node: a snapshot restore runs on the "
                           "leader; ",
                           pipeline_->NotLeaderError().message().substr(6)));
        }
        if (loop_->barrier->sealed()) return loop_->SealedError();
        return true;
      }).status());
  // Makes sure this cluster has its id (and snapshot key).
  nodepb::Op prepare;
  prepare.mutable_snapshot_prepare();
  COFFER_RETURN_IF_ERROR(host_->SubmitOp(std::move(prepare)).status());
  COFFER_ASSIGN_OR_RETURN(
      std::string live_id,
      OnLoop<std::string>([this]() -> absl::StatusOr<std::string> {
        COFFER_ASSIGN_OR_RETURN(std::optional<std::string> id,
                                loop_->view->Get(kClusterIdPath));
        if (!id.has_value()) {
          return absl::FailedPreconditionError("node: no cluster id yet");
        }
        return *std::move(id);
      }));

  // 1. Verify the whole file.
  std::map<std::string, std::string> core;
  absl::StatusOr<snapshot::SnapshotHeader> header =
      ScanUnauthenticated(path, &core);
  if (!header.ok()) return Annotate(header.status());
  const bool foreign = header->cluster_id != live_id;
  if (foreign && !options.force) {
    return absl::FailedPreconditionError(absl::StrCat(
        "node: the snapshot belongs to cluster \"",
        absl::CHexEscape(header->cluster_id), "\", not this cluster \"",
        live_id, "\"; force-restore it with that cluster's unseal keys"));
  }
  if (foreign && options.unseal_keys.empty()) {
    return absl::FailedPreconditionError(
        "node: restoring another cluster's snapshot needs that cluster's "
        "unseal keys (SnapshotRestoreOptions::unseal_keys)");
  }
  // The closure owns copies: it may outlive this call (a timeout).
  COFFER_ASSIGN_OR_RETURN(
      RestoreKeys keys,
      OnLoop<RestoreKeys>([this, core, foreign,
                           shares =
                               foreign ? options.unseal_keys
                                       : std::vector<std::string>()]() mutable {
        absl::StatusOr<RestoreKeys> r = RestoreKeysFor(core, foreign, shares);
        for (auto& [k, v] : core) Wipe(v);
        for (std::string& share : shares) Wipe(share);
        return r;
      }));
  for (auto& [k, v] : core) Wipe(v);
  snapshot::VerifyOptions verify;
  verify.mac_key = keys.mac_key;
  verify.cluster_id = live_id;
  verify.force = foreign;
  Wipe(keys.mac_key);
  absl::Status s = snapshot::VerifySnapshot(path, verify).status();
  if (!s.ok()) {
    Wipe(verify.mac_key);
    return Annotate(s);
  }

  // 2. Stage the records, checking the trailer again at the end: the
  // commit is proposed only if these very bytes verified.
  COFFER_ASSIGN_OR_RETURN(std::string rid_bytes, crypto::RandomString(8));
  uint64_t rid = 0;
  for (char c : rid_bytes) rid = (rid << 8) | static_cast<uint8_t>(c);
  if (rid == 0) rid = 1;
  absl::StatusOr<std::unique_ptr<snapshot::SnapshotReader>> reader =
      snapshot::SnapshotReader::Open(path, verify.mac_key);
  Wipe(verify.mac_key);
  if (!reader.ok()) return Annotate(reader.status());
  // Half an entry per batch leaves room for the staging prefix and the
  // Command's framing.
  const size_t batch_limit = loop_->options.max_entry_bytes / 2;
  uint64_t staged = 0;
  nodepb::Op batch;
  size_t batch_bytes = 0;
  auto flush = [&]() -> absl::Status {
    if (batch.snapshot_stage().records_size() == 0) return absl::OkStatus();
    batch.mutable_snapshot_stage()->set_restore_id(rid);
    absl::Status st = host_->SubmitOp(std::move(batch)).status();
    batch.Clear();
    batch_bytes = 0;
    if (!st.ok()) {
      return absl::Status(
          st.code(), absl::StrCat("node: the restore stopped while staging "
                                  "(nothing was restored): ",
                                  st.message()));
    }
    return absl::OkStatus();
  };
  // A restore that stops before its commit applies leaves staged records:
  // they are discarded (best effort; the next leader discards any left).
  absl::Status stage_and_commit = [&]() -> absl::Status {
    absl::string_view key, value;
    for (;;) {
      absl::StatusOr<bool> more = (*reader)->Next(&key, &value);
      if (!more.ok()) return Annotate(more.status());
      if (!*more) break;
      if (IsKeptOnRestore(key) || absl::StartsWith(key, "node/")) continue;
      if (key == seal::kKeyringPath && keys.keyring.has_value()) {
        value = *keys.keyring;
      }
      const size_t size = key.size() + value.size() + 64;
      if (size > batch_limit) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "node: a snapshot record of ", size,
            " bytes does not fit in half of options.max_entry_bytes"));
      }
      if (batch_bytes + size > batch_limit) COFFER_RETURN_IF_ERROR(flush());
      nodepb::Write* w = batch.mutable_snapshot_stage()->add_records();
      w->set_key(std::string(key));
      w->set_value(std::string(value));
      batch_bytes += size;
      ++staged;
    }
    COFFER_RETURN_IF_ERROR(flush());

    // 3. Swap them in on every node.
    nodepb::Op commit;
    commit.mutable_snapshot_commit()->set_restore_id(rid);
    commit.mutable_snapshot_commit()->set_records(staged);
    return Annotate(host_->SubmitOp(std::move(commit)).status());
  }();
  if (!stage_and_commit.ok()) {
    DiscardStaging(rid);
    return stage_and_commit;
  }
  if (foreign) {
    // The restored HMAC key is the other cluster's: this cluster's
    // snapshots get a key of their own. The restore itself is done; a
    // failure here only leaves the old key, and is reported.
    nodepb::Op fresh;
    fresh.mutable_snapshot_prepare()->set_new_key(true);
    absl::Status k = host_->SubmitOp(std::move(fresh)).status();
    if (!k.ok()) {
      return absl::Status(
          k.code(), absl::StrCat("node: the snapshot was restored, but its "
                                 "HMAC key could not be replaced: ",
                                 k.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status OperatorSnapshots::RestoreFrom(
    const std::function<absl::StatusOr<size_t>(char* buf, size_t cap)>& read,
    const SnapshotRestoreOptions& options) {
  COFFER_ASSIGN_OR_RETURN(std::string suffix, crypto::RandomString(8));
  const std::string tmp =
      (std::filesystem::path(loop_->options.data_dir) / "snapshots" /
       absl::StrCat("operator-restore-", absl::BytesToHexString(suffix),
                    ".partial"))
          .string();
  absl::Status s = [&]() -> absl::Status {
    COFFER_ASSIGN_OR_RETURN(std::unique_ptr<snapshot::FileWriter> file,
                            snapshot::FileWriter::Create(tmp));
    std::string buf(1 << 20, '\0');
    for (;;) {
      COFFER_ASSIGN_OR_RETURN(size_t n, read(buf.data(), buf.size()));
      if (n == 0) break;
      if (n > buf.size()) {
        return absl::InvalidArgumentError(
            "node: the snapshot reader returned more bytes than asked");
      }
      COFFER_RETURN_IF_ERROR(file->Append(absl::string_view(buf.data(), n)));
    }
    return file->Sync();
  }();
  if (s.ok()) s = Restore(tmp, options);
  std::remove(tmp.c_str());
  return s;
}

void OperatorSnapshots::ExecuteCommit(const nodepb::Op& op, uint64_t deadline,
                                      Done done) {
  if (loop_->barrier->sealed()) {
    return done(absl::FailedPreconditionError(absl::StrCat(
        "node: the leader (node ", loop_->options.id, ") is sealed")));
  }
  const uint64_t rid = op.snapshot_commit().restore_id();
  nodepb::SnapshotRestoreCommit marker;
  marker.set_version(kRestoreCommitVersion);
  marker.set_restore_id(rid);
  marker.set_records(op.snapshot_commit().records());
  storage::WriteSet writes;
  writes.Put(kRestoreCommitKey, marker.SerializeAsString());
  outcomes_.erase(rid);
  Done report = [this, rid,
                 done = std::move(done)](absl::StatusOr<nodepb::OpResult> r) {
    auto it = outcomes_.find(rid);
    absl::Status outcome =
        it == outcomes_.end()
            ? absl::InternalError("node: the restore's outcome is unknown")
            : it->second;
    if (it != outcomes_.end()) outcomes_.erase(it);
    if (!r.ok()) return done(r);
    if (!outcome.ok()) return done(outcome);
    return done(nodepb::OpResult());
  };
  const uint64_t before = loop_->raft->log().LastIndex();
  pipeline_->Propose(writes, nodepb::OpResult(), deadline, std::move(report));
  const uint64_t proposed = loop_->raft->log().LastIndex();
  if (proposed > before) hold_index_ = proposed;
}

absl::StatusOr<raftpb::ConfState> OperatorSnapshots::ConfStateBefore(
    uint64_t index) {
  // As the core recovers its configuration (raft.cc, RecoverConfiguration):
  // the snapshot's, then every configuration entry after it, in order.
  raft::Configuration config =
      raft::Configuration::FromConfState(loop_->log->Snapshot().conf_state());
  for (uint64_t lo = loop_->log->FirstIndex(); lo < index;) {
    absl::StatusOr<std::vector<raftpb::Entry>> ents =
        loop_->log->Entries(lo, index, 1 << 20);
    if (!ents.ok()) return Annotate(ents.status());
    for (const raftpb::Entry& e : *ents) {
      if (e.type() != raftpb::ENTRY_CONF_CHANGE) continue;
      raftpb::ConfChange cc;
      if (!cc.ParseFromString(e.data())) {
        return absl::DataLossError(
            absl::StrCat("node: log entry ", e.index(),
                         " is not a valid membership change"));
      }
      // A change the core refused leaves the configuration as it was.
      absl::StatusOr<raft::Configuration> next =
          raft::ApplyConfChange(config, cc);
      if (next.ok()) config = *std::move(next);
    }
    lo = ents->back().index() + 1;
  }
  return config.ToConfState();
}

void OperatorSnapshots::DiscardStaging(uint64_t restore_id) {
  // The leader's own discard chain; a node no longer leading leaves the
  // area to the next leader (MaybeDiscardAbandonedStaging).
  host_->PostToLoop([this, restore_id] {
    if (loop_->soft.role == raft::Role::kLeader) QueueDiscard(restore_id);
  });
}

void OperatorSnapshots::MaybeDiscardAbandonedStaging() {
  if (staging_checked_ || !host_->LeaderReady()) return;
  staging_checked_ = true;
  // The applied state holds what earlier terms staged: this term's
  // proposals are not applied yet. One seek per staging area.
  std::vector<uint64_t> abandoned;
  std::unique_ptr<storage::StateIterator> it = loop_->state->NewIterator();
  it->Seek(kStagingPrefix);
  while (it->Valid() && absl::StartsWith(it->key(), kStagingPrefix)) {
    const absl::string_view id = it->key().substr(kStagingPrefix.size(), 16);
    uint64_t restore_id = 0;
    if (id.size() != 16 || !absl::SimpleHexAtoi(id, &restore_id)) {
      observer_->Log(LogLevel::kWarning,
                     absl::StrCat("a malformed staging record at \"",
                                  absl::CEscape(it->key().substr(0, 64)),
                                  "\" is left in place"));
      it->Seek(absl::StrCat(it->key(), std::string(1, '\0')));
      continue;
    }
    abandoned.push_back(restore_id);
    // Past every key of this area: its prefix ends in '/', then '0' > '/'.
    it->Seek(absl::StrCat(kStagingPrefix, id, "0"));
  }
  if (!it->status().ok()) {
    observer_->Log(LogLevel::kWarning,
                   absl::StrCat("cannot look for abandoned restore staging: ",
                                it->status().message()));
  }
  for (uint64_t restore_id : abandoned) QueueDiscard(restore_id);
}

void OperatorSnapshots::QueueDiscard(uint64_t restore_id) {
  nodepb::Op op;
  op.mutable_snapshot_discard()->set_restore_id(restore_id);
  pipeline_->Enqueue(
      std::move(op), [this, restore_id](absl::StatusOr<nodepb::OpResult> r) {
        // A lost leadership stops the chain; the next leader resumes it.
        if (!r.ok()) return;
        if (r->more() && loop_->soft.role == raft::Role::kLeader) {
          return QueueDiscard(restore_id);
        }
        observer_->Log(
            LogLevel::kInfo,
            absl::StrCat("discarded the staging area of unfinished restore ",
                         absl::Hex(restore_id, absl::kZeroPad16)));
      });
}

absl::Status OperatorSnapshots::ApplyCommit(
    const raftpb::Entry& e, const nodepb::SnapshotRestoreCommit& commit) {
  if (commit.version() != kRestoreCommitVersion) {
    return absl::DataLossError(absl::StrCat("node: log entry ", e.index(),
                                            " has a malformed restore commit"));
  }
  const bool mine = pipeline_->HasProposal(e.index());
  COFFER_ASSIGN_OR_RETURN(raftpb::ConfState conf, ConfStateBefore(e.index()));
  // The live records a restore keeps: few and small (members, seal).
  std::map<std::string, std::string> kept;
  for (absl::string_view prefix : {"core/", "node/"}) {
    absl::Status s = storage::ScanPrefix(
        *loop_->state, prefix, [&](absl::string_view k, absl::string_view v) {
          if (IsKeptOnRestore(k)) kept[std::string(k)] = std::string(v);
          return true;
        });
    if (!s.ok()) return Annotate(s);
  }
  snapshot::SnapshotHeader header;
  header.cluster_id = std::string(kRaftSnapshotCluster);
  header.index = e.index();
  header.term = e.term();
  header.conf_state = conf;
  const std::string path =
      storage::SnapshotPath(loop_->log->snapshot_dir(), e.index(), e.term());
  absl::StatusOr<std::unique_ptr<snapshot::SnapshotWriter>> writer =
      snapshot::SnapshotWriter::Create(path, header, kRaftSnapshotMacKey);
  if (!writer.ok()) return Annotate(writer.status());
  // Merge the kept records with the staged ones, in key order.
  const std::string prefix = StagingPrefix(commit.restore_id());
  uint64_t staged = 0;
  auto next_kept = kept.begin();
  std::unique_ptr<storage::StateIterator> it = loop_->state->NewIterator();
  for (it->Seek(prefix); it->Valid() && absl::StartsWith(it->key(), prefix);
       it->Next()) {
    absl::string_view key = it->key().substr(prefix.size());
    if (IsKeptOnRestore(key) || IsTransient(key)) continue;
    for (; next_kept != kept.end() && next_kept->first < key; ++next_kept) {
      COFFER_RETURN_IF_ERROR(
          Annotate((*writer)->Add(next_kept->first, next_kept->second)));
    }
    COFFER_RETURN_IF_ERROR(Annotate((*writer)->Add(key, it->value())));
    ++staged;
  }
  if (!it->status().ok()) return Annotate(it->status());
  it.reset();
  for (; next_kept != kept.end(); ++next_kept) {
    COFFER_RETURN_IF_ERROR(
        Annotate((*writer)->Add(next_kept->first, next_kept->second)));
  }
  if (staged != commit.records()) {
    // Some batches never committed (their leader lost office midway): the
    // commit is void, on every node alike.
    writer->reset();
    absl::Status s = loop_->state->Apply(storage::WriteSet(), e.index());
    if (!s.ok()) return Annotate(s);
    if (mine) {
      outcomes_[commit.restore_id()] = absl::AbortedError(absl::StrCat(
          "node: the restore's staged records are incomplete (", staged, " of ",
          commit.records(), "); nothing was restored"));
    }
    return absl::OkStatus();
  }
  COFFER_RETURN_IF_ERROR(Annotate((*writer)->Finish()));
  writer->reset();
  absl::StatusOr<raftpb::SnapshotMetadata> meta =
      snapshot::RestoreSnapshot(path, RaftVerify(), loop_->state.get());
  if (!meta.ok()) return Annotate(meta.status());
  log_snapshots_->AdoptAfterReady(*meta);
  loop_->view->ReleaseInFlight(e.index());
  COFFER_RETURN_IF_ERROR(host_->OnStateReplaced());
  if (mine) outcomes_[commit.restore_id()] = absl::OkStatus();
  return absl::OkStatus();
}

}  // namespace coffer::node
