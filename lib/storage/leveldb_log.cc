#include "storage/leveldb_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "leveldb/write_batch.h"
#include "proto/storage.pb.h"
#include "storage/keys.h"

namespace coffer::storage {
namespace {

absl::Status Corrupt(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("storage: ", what));
}

// Reads an optional protobuf record; absent leaves `msg` default.
template <typename Message>
absl::Status ReadRecord(Db* db, absl::string_view key, absl::string_view name,
                        Message* msg) {
  COFFER_ASSIGN_OR_RETURN(std::optional<std::string> value, db->Get(key));
  if (value.has_value() && !msg->ParseFromString(*value)) {
    return Corrupt(absl::StrCat(name, " record does not decode"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string SnapshotPath(absl::string_view dir, uint64_t index, uint64_t term) {
  return absl::StrFormat("%s/snapshot-%020d-%020d.snap", dir, index, term);
}

absl::StatusOr<std::unique_ptr<LevelDbLog>> LevelDbLog::Open(
    Db* db, std::string snapshot_dir) {
  std::unique_ptr<LevelDbLog> log(new LevelDbLog(db, std::move(snapshot_dir)));
  COFFER_RETURN_IF_ERROR(log->Load());
  return log;
}

LevelDbLog::LevelDbLog(Db* db, std::string snapshot_dir)
    : db_(db), snapshot_dir_(std::move(snapshot_dir)) {}

absl::Status LevelDbLog::Load() {
  COFFER_RETURN_IF_ERROR(
      ReadRecord(db_, keys::kHardState, "hard state", &hard_state_));
  COFFER_RETURN_IF_ERROR(
      ReadRecord(db_, keys::kLogSnapshot, "snapshot metadata", &snapshot_));
  storagepb::LogStart start;
  COFFER_RETURN_IF_ERROR(ReadRecord(db_, keys::kLogStart, "log start", &start));
  start_index_ = start.index();
  start_term_ = start.term();
  last_index_ = start_index_;
  last_term_ = start_term_;
  trim_from_ = start_index_ + 1;

  std::unique_ptr<leveldb::Iterator> it = db_->NewIterator();
  auto entry_key = [&](uint64_t* index) -> absl::StatusOr<bool> {
    absl::string_view key(it->key().data(), it->key().size());
    if (!keys::IsEntry(key)) return false;
    if (!keys::ParseEntry(key, index)) {
      return Corrupt("log key of wrong length");
    }
    return true;
  };
  // Entries below the start are compacted ones awaiting TrimLog.
  it->Seek(keys::Entry(0));
  uint64_t index = 0;
  if (it->Valid()) {
    COFFER_ASSIGN_OR_RETURN(bool is_entry, entry_key(&index));
    if (is_entry) trim_from_ = std::min(index, start_index_ + 1);
  }
  // One pass over the log validates every entry.
  for (it->Seek(keys::Entry(start_index_ + 1)); it->Valid(); it->Next()) {
    COFFER_ASSIGN_OR_RETURN(bool is_entry, entry_key(&index));
    if (!is_entry) break;
    if (index != last_index_ + 1) {
      return Corrupt(absl::StrCat("log has a gap: expected entry ",
                                  last_index_ + 1, ", found entry ", index));
    }
    raftpb::Entry entry;
    if (!entry.ParseFromArray(it->value().data(),
                              static_cast<int>(it->value().size()))) {
      return Corrupt(absl::StrCat("log entry ", index, " does not decode"));
    }
    if (entry.index() != index) {
      return Corrupt(absl::StrCat("log entry stored at ", index,
                                  " claims index ", entry.index()));
    }
    if (entry.term() < last_term_) {
      return Corrupt(absl::StrCat("log entry ", index, " has term ",
                                  entry.term(), ", below the previous term ",
                                  last_term_));
    }
    last_index_ = index;
    last_term_ = entry.term();
    if (entry.type() == raftpb::ENTRY_CONF_CHANGE) conf_changes_.insert(index);
  }
  COFFER_RETURN_IF_ERROR(FromLevelDb(it->status(), "scan log"));
  // A snapshot past the log start is one that kept trailing entries: the
  // log must still hold its entry.
  if (snapshot_.index() > start_index_ && snapshot_.index() > last_index_) {
    return Corrupt(absl::StrCat("snapshot index ", snapshot_.index(),
                                " is past the log start ", start_index_,
                                " and the last index ", last_index_));
  }
  if (hard_state_.commit() > last_index_) {
    return Corrupt(absl::StrCat("hard state commit ", hard_state_.commit(),
                                " is beyond the last log index ", last_index_));
  }
  return absl::OkStatus();
}

absl::Status LevelDbLog::CheckMatchesDisk() {
  auto differs = [](absl::string_view what) {
    return Corrupt(absl::StrCat("after a reopen, the log's ", what,
                                " differs from what was written before it"));
  };
  raftpb::HardState hard_state;
  COFFER_RETURN_IF_ERROR(
      ReadRecord(db_, keys::kHardState, "hard state", &hard_state));
  if (hard_state.SerializeAsString() != hard_state_.SerializeAsString()) {
    return differs("hard state");
  }
  raftpb::SnapshotMetadata snapshot;
  COFFER_RETURN_IF_ERROR(
      ReadRecord(db_, keys::kLogSnapshot, "snapshot metadata", &snapshot));
  if (snapshot.SerializeAsString() != snapshot_.SerializeAsString()) {
    return differs("snapshot metadata");
  }
  storagepb::LogStart start;
  COFFER_RETURN_IF_ERROR(ReadRecord(db_, keys::kLogStart, "log start", &start));
  if (start.index() != start_index_ || start.term() != start_term_) {
    return differs("start");
  }
  if (last_index_ > start_index_) {
    COFFER_ASSIGN_OR_RETURN(raftpb::Entry last, ReadEntry(last_index_));
    if (last.term() != last_term_) return differs("last entry");
  }
  COFFER_ASSIGN_OR_RETURN(std::optional<std::string> next,
                          db_->Get(keys::Entry(last_index_ + 1)));
  if (next.has_value()) return differs("end");
  return absl::OkStatus();
}

absl::StatusOr<raft::InitialState> LevelDbLog::LoadInitialState() {
  raft::InitialState state;
  state.hard_state = hard_state_;
  state.conf_state = snapshot_.conf_state();
  return state;
}

absl::StatusOr<raftpb::Entry> LevelDbLog::ReadEntry(uint64_t index) {
  COFFER_ASSIGN_OR_RETURN(std::optional<std::string> value,
                          db_->Get(keys::Entry(index)));
  raftpb::Entry entry;
  if (!value.has_value()) {
    return Corrupt(absl::StrCat("log entry ", index, " is missing"));
  }
  if (!entry.ParseFromString(*value) || entry.index() != index) {
    return Corrupt(absl::StrCat("log entry ", index, " does not decode"));
  }
  return entry;
}

absl::StatusOr<std::vector<raftpb::Entry>> LevelDbLog::Entries(
    uint64_t lo, uint64_t hi, uint64_t max_bytes) {
  if (lo <= start_index_) return raft::CompactedError(lo, FirstIndex());
  if (hi > last_index_ + 1) return raft::UnavailableError(hi - 1, last_index_);
  std::vector<raftpb::Entry> out;
  uint64_t total = 0;
  std::unique_ptr<leveldb::Iterator> it = db_->NewIterator();
  it->Seek(keys::Entry(lo));
  for (uint64_t index = lo; index < hi; ++index, it->Next()) {
    if (!it->Valid() || it->key() != keys::Entry(index)) {
      COFFER_RETURN_IF_ERROR(FromLevelDb(it->status(), "read log"));
      return Corrupt(absl::StrCat("log entry ", index, " is missing"));
    }
    raftpb::Entry entry;
    if (!entry.ParseFromArray(it->value().data(),
                              static_cast<int>(it->value().size())) ||
        entry.index() != index) {
      return Corrupt(absl::StrCat("log entry ", index, " does not decode"));
    }
    total += entry.ByteSizeLong();
    if (!out.empty() && total > max_bytes) break;
    out.push_back(std::move(entry));
  }
  return out;
}

absl::StatusOr<uint64_t> LevelDbLog::Term(uint64_t index) {
  if (index < start_index_) return raft::CompactedError(index, FirstIndex());
  if (index > last_index_) return raft::UnavailableError(index, last_index_);
  if (index == start_index_) return start_term_;
  if (index == last_index_) return last_term_;
  COFFER_ASSIGN_OR_RETURN(raftpb::Entry entry, ReadEntry(index));
  return entry.term();
}

absl::StatusOr<raft::SnapshotChunk> LevelDbLog::ReadSnapshotChunk(
    uint64_t snapshot_index, uint64_t offset, uint64_t max_bytes) {
  if (snapshot_.index() == 0 || snapshot_index != snapshot_.index()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "storage: snapshot ", snapshot_index, " is not the latest (",
        snapshot_.index(), "); restart from the latest"));
  }
  std::string path =
      SnapshotPath(snapshot_dir_, snapshot_.index(), snapshot_.term());
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("storage: open snapshot ", path,
                                               ": ", std::strerror(errno)));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return absl::UnavailableError(absl::StrCat("storage: stat snapshot ", path,
                                               ": ", std::strerror(err)));
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (offset > size) {
    ::close(fd);
    return absl::OutOfRangeError(absl::StrCat("storage: offset ", offset,
                                              " is past the end of snapshot ",
                                              path, " (", size, " bytes)"));
  }
  raft::SnapshotChunk chunk;
  chunk.data.resize(std::min(max_bytes, size - offset));
  size_t done = 0;
  while (done < chunk.data.size()) {
    ssize_t n = ::pread(fd, chunk.data.data() + done, chunk.data.size() - done,
                        static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      ::close(fd);
      return absl::UnavailableError(absl::StrCat(
          "storage: read snapshot ", path, ": ", std::strerror(err)));
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  chunk.last = offset + chunk.data.size() == size;
  return chunk;
}

absl::Status LevelDbLog::Save(const raftpb::HardState& hard_state,
                              absl::Span<const raftpb::Entry> entries,
                              bool sync) {
  WriteGroup group;
  COFFER_RETURN_IF_ERROR(StageSave(hard_state, entries, &group));
  return db_->Commit(&group, sync);
}

absl::Status LevelDbLog::StageSave(const raftpb::HardState& hard_state,
                                   absl::Span<const raftpb::Entry> entries,
                                   WriteGroup* group) {
  leveldb::WriteBatch& batch = group->batch();
  if (hard_state.term() != 0) {
    batch.Put(std::string(keys::kHardState), hard_state.SerializeAsString());
  }
  for (size_t i = 1; i < entries.size(); ++i) {
    if (entries[i].index() != entries[0].index() + i) {
      return absl::InvalidArgumentError(absl::StrCat(
          "storage: entries are not contiguous at index ", entries[i].index()));
    }
  }
  // Skip the part of `entries` the log no longer holds (already compacted).
  while (!entries.empty() && entries.front().index() <= start_index_) {
    entries.remove_prefix(1);
  }
  uint64_t new_last = last_index_;
  uint64_t new_last_term = last_term_;
  if (!entries.empty()) {
    if (entries.front().index() > last_index_ + 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "storage: entry ", entries.front().index(),
          " would leave a gap after the last index ", last_index_));
    }
    std::string value;
    for (const raftpb::Entry& e : entries) {
      e.SerializeToString(&value);
      batch.Put(keys::Entry(e.index()), value);
    }
    new_last = entries.back().index();
    new_last_term = entries.back().term();
    // A follower's conflicting suffix (Raft paper 5.3) goes in the same batch.
    for (uint64_t i = new_last + 1; i <= last_index_; ++i) {
      batch.Delete(keys::Entry(i));
    }
  }
  // The span may not outlive this call: the hook gets what it needs.
  const uint64_t first_new = entries.empty() ? 0 : entries.front().index();
  std::vector<uint64_t> confs;
  for (const raftpb::Entry& e : entries) {
    if (e.type() == raftpb::ENTRY_CONF_CHANGE) confs.push_back(e.index());
  }
  group->OnCommit([this, hard_state, new_last, new_last_term, first_new,
                   confs = std::move(confs)] {
    if (hard_state.term() != 0) hard_state_ = hard_state;
    last_index_ = new_last;
    last_term_ = new_last_term;
    TrackConfChanges(first_new, confs);
  });
  return absl::OkStatus();
}

void LevelDbLog::TrackConfChanges(uint64_t first_new,
                                  const std::vector<uint64_t>& confs) {
  if (first_new != 0) {
    conf_changes_.erase(conf_changes_.lower_bound(first_new),
                        conf_changes_.end());
    conf_changes_.insert(confs.begin(), confs.end());
  }
  conf_changes_.erase(conf_changes_.begin(),
                      conf_changes_.upper_bound(start_index_));
  conf_changes_.erase(conf_changes_.upper_bound(last_index_),
                      conf_changes_.end());
}

absl::Status LevelDbLog::ApplySnapshotKeeping(
    const raftpb::SnapshotMetadata& metadata, uint64_t keep_entries) {
  const uint64_t index = metadata.index();
  if (keep_entries == 0 || index <= start_index_ || index > last_index_ ||
      index < snapshot_.index()) {
    return ApplySnapshot(metadata);
  }
  COFFER_ASSIGN_OR_RETURN(uint64_t term, Term(index));
  if (term != metadata.term()) return ApplySnapshot(metadata);
  std::string path = SnapshotPath(snapshot_dir_, index, metadata.term());
  if (::access(path.c_str(), R_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("storage: snapshot file ", path,
                     " is not readable: ", std::strerror(errno)));
  }
  uint64_t new_start = index > keep_entries ? index - keep_entries : 0;
  new_start = std::max(new_start, start_index_);
  // The configuration at the new start must be the snapshot's: no
  // membership change may lie between them.
  auto conf = conf_changes_.upper_bound(index);
  if (conf != conf_changes_.begin()) new_start = std::max(new_start, *--conf);
  COFFER_ASSIGN_OR_RETURN(uint64_t new_start_term, Term(new_start));
  leveldb::WriteBatch batch;
  batch.Put(std::string(keys::kLogSnapshot), metadata.SerializeAsString());
  storagepb::LogStart start;
  start.set_index(new_start);
  start.set_term(new_start_term);
  batch.Put(std::string(keys::kLogStart), start.SerializeAsString());
  COFFER_RETURN_IF_ERROR(db_->Write(&batch, /*sync=*/true));
  snapshot_ = metadata;
  start_index_ = new_start;
  start_term_ = new_start_term;
  TrackConfChanges(0, {});
  return absl::OkStatus();
}

absl::Status LevelDbLog::ApplySnapshot(
    const raftpb::SnapshotMetadata& metadata) {
  if (metadata.index() < snapshot_.index()) {
    return absl::FailedPreconditionError(
        absl::StrCat("storage: snapshot ", metadata.index(),
                     " is older than the current ", snapshot_.index()));
  }
  std::string path =
      SnapshotPath(snapshot_dir_, metadata.index(), metadata.term());
  if (::access(path.c_str(), R_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("storage: snapshot file ", path,
                     " is not readable: ", std::strerror(errno)));
  }
  // The log restarts after the snapshot. Entries after it stay only if the
  // log holds the snapshot's last entry with the same term (a snapshot the
  // log start already passed changes nothing but the metadata).
  uint64_t new_start = start_index_;
  uint64_t new_start_term = start_term_;
  bool drop_suffix = false;
  if (metadata.index() > start_index_) {
    new_start = metadata.index();
    new_start_term = metadata.term();
    drop_suffix = true;
    if (metadata.index() <= last_index_) {
      COFFER_ASSIGN_OR_RETURN(uint64_t term, Term(metadata.index()));
      drop_suffix = term != metadata.term();
    }
  }
  leveldb::WriteBatch batch;
  batch.Put(std::string(keys::kLogSnapshot), metadata.SerializeAsString());
  storagepb::LogStart start;
  start.set_index(new_start);
  start.set_term(new_start_term);
  batch.Put(std::string(keys::kLogStart), start.SerializeAsString());
  if (drop_suffix) {
    for (uint64_t i = metadata.index() + 1; i <= last_index_; ++i) {
      batch.Delete(keys::Entry(i));
    }
  }
  COFFER_RETURN_IF_ERROR(db_->Write(&batch, /*sync=*/true));
  snapshot_ = metadata;
  start_index_ = new_start;
  start_term_ = new_start_term;
  if (drop_suffix) {
    last_index_ = metadata.index();
    last_term_ = metadata.term();
  }
  TrackConfChanges(0, {});
  return absl::OkStatus();
}

absl::StatusOr<std::set<uint64_t>> LevelDbLog::ReplaceConfiguration(
    const raftpb::ConfState& conf) {
  std::set<uint64_t> history;
  const raftpb::ConfState& old = snapshot_.conf_state();
  for (const auto* ids : {&old.voters(), &old.learners(),
                          &old.voters_outgoing(), &old.learners_next()}) {
    history.insert(ids->begin(), ids->end());
  }
  leveldb::WriteBatch batch;
  for (uint64_t index : conf_changes_) {
    COFFER_ASSIGN_OR_RETURN(raftpb::Entry entry, ReadEntry(index));
    raftpb::ConfChange cc;
    if (!cc.ParseFromString(entry.data())) {
      return Corrupt(absl::StrCat("log entry ", index,
                                  " is not a valid membership change"));
    }
    for (const raftpb::ConfChangeSingle& ch : cc.changes()) {
      history.insert(ch.node_id());
    }
    // Same index and term, so the log matching property (Raft paper 5.3)
    // still holds between survivors that replace the same entries.
    raftpb::Entry blank;
    blank.set_term(entry.term());
    blank.set_index(index);
    blank.set_type(raftpb::ENTRY_NORMAL);
    batch.Put(keys::Entry(index), blank.SerializeAsString());
  }
  raftpb::SnapshotMetadata meta = snapshot_;
  *meta.mutable_conf_state() = conf;
  batch.Put(std::string(keys::kLogSnapshot), meta.SerializeAsString());
  COFFER_RETURN_IF_ERROR(db_->Write(&batch, /*sync=*/true));
  snapshot_ = std::move(meta);
  conf_changes_.clear();
  return history;
}

absl::Status LevelDbLog::Compact(uint64_t compact_index) {
  if (compact_index <= FirstIndex()) return absl::OkStatus();
  if (compact_index > last_index_ + 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("storage: cannot compact to ", compact_index,
                     " past the last index ", last_index_));
  }
  COFFER_ASSIGN_OR_RETURN(uint64_t term, Term(compact_index - 1));
  storagepb::LogStart start;
  start.set_index(compact_index - 1);
  start.set_term(term);
  leveldb::WriteBatch batch;
  batch.Put(std::string(keys::kLogStart), start.SerializeAsString());
  // Synced: TrimLog's later deletions must never outlive this record.
  COFFER_RETURN_IF_ERROR(db_->Write(&batch, /*sync=*/true));
  start_index_ = compact_index - 1;
  start_term_ = term;
  TrackConfChanges(0, {});
  return absl::OkStatus();
}

absl::Status LevelDbLog::CompactToLimit(uint64_t applied_index,
                                        uint64_t max_entries) {
  uint64_t count = last_index_ - start_index_;
  if (max_entries == 0 || count <= max_entries) return absl::OkStatus();
  uint64_t to = std::min(last_index_ + 1 - max_entries,
                         std::min(applied_index, last_index_) + 1);
  return Compact(to);
}

absl::StatusOr<uint64_t> LevelDbLog::TrimLog(uint64_t max_entries) {
  uint64_t end = std::min(start_index_ + 1, trim_from_ + max_entries);
  if (end > trim_from_) {
    leveldb::WriteBatch batch;
    for (uint64_t i = trim_from_; i < end; ++i) batch.Delete(keys::Entry(i));
    COFFER_RETURN_IF_ERROR(db_->Write(&batch, /*sync=*/false));
    trim_from_ = end;
  }
  return PendingTrim();
}

}  // namespace coffer::storage
