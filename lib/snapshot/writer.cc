#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/coding.h"
#include "base/status_macros.h"
#include "proto/snapshot.pb.h"
#include "snapshot/file_io.h"
#include "snapshot/format.h"
#include "snapshot/snapshot.h"

namespace coffer::snapshot {

raftpb::SnapshotMetadata SnapshotHeader::Metadata() const {
  raftpb::SnapshotMetadata m;
  m.set_index(index);
  m.set_term(term);
  *m.mutable_conf_state() = conf_state;
  return m;
}

absl::StatusOr<std::unique_ptr<SnapshotWriter>> SnapshotWriter::Create(
    std::string path, const SnapshotHeader& header, absl::string_view mac_key) {
  snapshotpb::Header proto;
  proto.set_format_version(format::kVersion);
  proto.set_cluster_id(header.cluster_id);
  proto.set_index(header.index);
  proto.set_term(header.term);
  *proto.mutable_conf_state() = header.conf_state;
  std::string body = proto.SerializeAsString();
  if (body.size() > format::kMaxHeaderSize) {
    return absl::InvalidArgumentError("snapshot: header too large");
  }
  COFFER_ASSIGN_OR_RETURN(std::unique_ptr<FileWriter> file,
                          FileWriter::Create(path + ".tmp"));
  std::unique_ptr<SnapshotWriter> writer(
      new SnapshotWriter(std::move(path), std::move(file), mac_key));
  std::string bytes(format::kMagic);
  base::PutBigEndian32(&bytes, format::kVersion);
  base::PutBigEndian32(&bytes, static_cast<uint32_t>(body.size()));
  bytes += body;
  COFFER_RETURN_IF_ERROR(writer->Write(bytes));
  return writer;
}

SnapshotWriter::SnapshotWriter(std::string path,
                               std::unique_ptr<FileWriter> file,
                               absl::string_view mac_key)
    : path_(std::move(path)), file_(std::move(file)), mac_(mac_key) {}

SnapshotWriter::~SnapshotWriter() {
  if (!finished_) {
    file_.reset();
    std::remove((path_ + ".tmp").c_str());
  }
}

uint64_t SnapshotWriter::bytes() const { return file_->size(); }

absl::Status SnapshotWriter::Write(absl::string_view data) {
  sha_.Update(data);
  mac_.Update(data);
  return file_->Append(data);
}

absl::Status SnapshotWriter::Add(absl::string_view key,
                                 absl::string_view value) {
  if (records_ > 0 && key <= last_key_) {
    return absl::InvalidArgumentError(
        "snapshot: records must be added in increasing key order");
  }
  if (key.size() > format::kMaxKeySize ||
      value.size() > format::kMaxValueSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("snapshot: record too large (key ", key.size(),
                     " bytes, value ", value.size(), " bytes)"));
  }
  std::string head(1, static_cast<char>(format::kRecordTag));
  base::PutBigEndian32(&head, static_cast<uint32_t>(key.size()));
  base::PutBigEndian32(&head, static_cast<uint32_t>(value.size()));
  COFFER_RETURN_IF_ERROR(Write(head));
  COFFER_RETURN_IF_ERROR(Write(key));
  COFFER_RETURN_IF_ERROR(Write(value));
  last_key_.assign(key.data(), key.size());
  ++records_;
  return absl::OkStatus();
}

absl::Status SnapshotWriter::Finish() {
  std::string end(1, static_cast<char>(format::kEndTag));
  base::PutBigEndian64(&end, records_);
  COFFER_RETURN_IF_ERROR(Write(end));
  crypto::Digest sha = sha_.Finish();
  crypto::Digest mac = mac_.Finish();
  COFFER_RETURN_IF_ERROR(file_->Append(crypto::DigestView(sha)));
  COFFER_RETURN_IF_ERROR(file_->Append(crypto::DigestView(mac)));
  COFFER_RETURN_IF_ERROR(file_->Sync());
  COFFER_RETURN_IF_ERROR(RenameDurably(path_ + ".tmp", path_));
  finished_ = true;
  return absl::OkStatus();
}

}  // namespace coffer::snapshot
