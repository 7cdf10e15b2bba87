#include "snapshot/restore.h"

#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "snapshot/file_io.h"

namespace coffer::snapshot {
namespace {

absl::StatusOr<std::unique_ptr<SnapshotReader>> OpenVerified(
    const std::string& path, const VerifyOptions& verify) {
  if (verify.mac_key.empty()) {
    return absl::InvalidArgumentError("snapshot: no HMAC key given");
  }
  COFFER_ASSIGN_OR_RETURN(std::unique_ptr<SnapshotReader> reader,
                          SnapshotReader::Open(path, verify.mac_key));
  const std::string& theirs = reader->header().cluster_id;
  if (theirs != verify.cluster_id && !verify.force) {
    return absl::FailedPreconditionError(absl::StrCat(
        "snapshot: ", path, " belongs to cluster \"", theirs,
        "\", not this cluster \"", verify.cluster_id,
        "\"; force-restore it with that cluster's key to replace this data"));
  }
  return reader;
}

}  // namespace

absl::StatusOr<uint64_t> SaveSnapshot(const std::string& path,
                                      const SnapshotHeader& header,
                                      absl::string_view mac_key,
                                      storage::StateIterator& it) {
  COFFER_ASSIGN_OR_RETURN(std::unique_ptr<SnapshotWriter> writer,
                          SnapshotWriter::Create(path, header, mac_key));
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    COFFER_RETURN_IF_ERROR(writer->Add(it.key(), it.value()));
  }
  COFFER_RETURN_IF_ERROR(it.status());
  COFFER_RETURN_IF_ERROR(writer->Finish());
  return writer->bytes();
}

absl::StatusOr<SnapshotHeader> VerifySnapshot(const std::string& path,
                                              const VerifyOptions& verify) {
  COFFER_ASSIGN_OR_RETURN(std::unique_ptr<SnapshotReader> reader,
                          OpenVerified(path, verify));
  absl::string_view key, value;
  for (;;) {
    COFFER_ASSIGN_OR_RETURN(bool more, reader->Next(&key, &value));
    if (!more) break;
  }
  return reader->header();
}

absl::StatusOr<raftpb::SnapshotMetadata> RestoreSnapshot(
    const std::string& path, const VerifyOptions& verify,
    storage::StateStore* store) {
  COFFER_ASSIGN_OR_RETURN(std::unique_ptr<SnapshotReader> reader,
                          OpenVerified(path, verify));
  COFFER_ASSIGN_OR_RETURN(std::unique_ptr<storage::StateRestore> restore,
                          store->BeginRestore());
  absl::string_view key, value;
  for (;;) {
    COFFER_ASSIGN_OR_RETURN(bool more, reader->Next(&key, &value));
    if (!more) break;
    COFFER_RETURN_IF_ERROR(restore->Put(key, value));
  }
  // Only now, with the trailer verified, does the new state become current.
  raftpb::SnapshotMetadata metadata = reader->header().Metadata();
  COFFER_RETURN_IF_ERROR(restore->Commit(metadata));
  return metadata;
}

absl::StatusOr<std::unique_ptr<SnapshotReceiver>> SnapshotReceiver::Begin(
    std::string path, uint64_t max_bytes) {
  COFFER_ASSIGN_OR_RETURN(std::unique_ptr<FileWriter> file,
                          FileWriter::Create(path + ".partial"));
  return std::unique_ptr<SnapshotReceiver>(
      new SnapshotReceiver(std::move(path), std::move(file), max_bytes));
}

SnapshotReceiver::SnapshotReceiver(std::string path,
                                   std::unique_ptr<FileWriter> file,
                                   uint64_t max_bytes)
    : path_(std::move(path)), file_(std::move(file)), max_bytes_(max_bytes) {}

SnapshotReceiver::~SnapshotReceiver() {
  if (!finished_) {
    file_.reset();
    std::remove((path_ + ".partial").c_str());
  }
}

uint64_t SnapshotReceiver::received() const { return file_->size(); }

absl::Status SnapshotReceiver::Write(uint64_t offset, absl::string_view data) {
  uint64_t have = file_->size();
  if (offset + data.size() <= have) return absl::OkStatus();  // a resend
  if (offset != have) {
    return absl::InvalidArgumentError(
        absl::StrCat("snapshot: chunk at offset ", offset,
                     " does not follow the ", have, " bytes received"));
  }
  if (have + data.size() > max_bytes_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "snapshot: incoming snapshot exceeds ", max_bytes_, " bytes"));
  }
  return file_->Append(data);
}

absl::StatusOr<SnapshotHeader> SnapshotReceiver::Finish(
    const VerifyOptions& verify) {
  COFFER_RETURN_IF_ERROR(file_->Sync());
  COFFER_ASSIGN_OR_RETURN(SnapshotHeader header,
                          VerifySnapshot(path_ + ".partial", verify));
  COFFER_RETURN_IF_ERROR(RenameDurably(path_ + ".partial", path_));
  finished_ = true;
  return header;
}

}  // namespace coffer::snapshot
