#include <utility>

#include "absl/strings/str_cat.h"
#include "base/coding.h"
#include "base/status_macros.h"
#include "proto/snapshot.pb.h"
#include "snapshot/file_io.h"
#include "snapshot/format.h"
#include "snapshot/snapshot.h"

namespace coffer::snapshot {
namespace {

absl::Status Corrupt(const FileReader& file, absl::string_view what) {
  return absl::DataLossError(absl::StrCat("snapshot: ", file.path(), ": ", what,
                                          " (at byte ", file.offset(), ")"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<SnapshotReader>> SnapshotReader::Open(
    std::string path, std::optional<std::string> mac_key) {
  COFFER_ASSIGN_OR_RETURN(std::unique_ptr<FileReader> file,
                          FileReader::Open(std::move(path)));
  std::unique_ptr<SnapshotReader> reader(
      new SnapshotReader(std::move(file), std::move(mac_key)));
  COFFER_RETURN_IF_ERROR(reader->ReadHeader());
  return reader;
}

SnapshotReader::SnapshotReader(std::unique_ptr<FileReader> file,
                               std::optional<std::string> mac_key)
    : file_(std::move(file)) {
  if (mac_key.has_value()) mac_.emplace(*mac_key);
}

SnapshotReader::~SnapshotReader() = default;

uint64_t SnapshotReader::file_size() const { return file_->file_size(); }

// Reads n bytes that the trailer covers.
absl::Status SnapshotReader::Read(size_t n, std::string* out) {
  COFFER_RETURN_IF_ERROR(file_->Read(n, out));
  sha_.Update(*out);
  if (mac_.has_value()) mac_->Update(*out);
  return absl::OkStatus();
}

absl::Status SnapshotReader::ReadHeader() {
  COFFER_RETURN_IF_ERROR(Read(format::kMagic.size() + 8, &scratch_));
  if (absl::string_view(scratch_).substr(0, format::kMagic.size()) !=
      format::kMagic) {
    return Corrupt(*file_, "not a coffer snapshot (bad magic)");
  }
  absl::string_view rest = absl::string_view(scratch_).substr(8);
  uint32_t version = base::GetBigEndian32(rest);
  uint32_t header_size = base::GetBigEndian32(rest.substr(4));
  if (version != format::kVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("snapshot: ", file_->path(), " has format version ",
                     version, "; this build reads version ", format::kVersion));
  }
  if (header_size > format::kMaxHeaderSize) {
    return Corrupt(*file_, absl::StrCat("header size ", header_size,
                                        " exceeds the limit"));
  }
  COFFER_RETURN_IF_ERROR(Read(header_size, &scratch_));
  snapshotpb::Header proto;
  if (!proto.ParseFromString(scratch_) ||
      proto.format_version() != format::kVersion) {
    return Corrupt(*file_, "header does not decode");
  }
  header_.cluster_id = proto.cluster_id();
  header_.index = proto.index();
  header_.term = proto.term();
  header_.conf_state = proto.conf_state();
  return absl::OkStatus();
}

absl::StatusOr<bool> SnapshotReader::Next(absl::string_view* key,
                                          absl::string_view* value) {
  if (done_) return false;
  COFFER_RETURN_IF_ERROR(Read(1, &scratch_));
  uint8_t tag = static_cast<uint8_t>(scratch_[0]);
  if (tag == format::kEndTag) {
    COFFER_RETURN_IF_ERROR(VerifyEnd());
    done_ = true;
    return false;
  }
  if (tag != format::kRecordTag) {
    return Corrupt(*file_, absl::StrCat("unknown record tag ", tag));
  }
  COFFER_RETURN_IF_ERROR(Read(8, &scratch_));
  uint32_t key_size = base::GetBigEndian32(scratch_);
  uint32_t value_size =
      base::GetBigEndian32(absl::string_view(scratch_).substr(4));
  if (key_size > format::kMaxKeySize || value_size > format::kMaxValueSize) {
    return Corrupt(*file_, absl::StrCat("record ", records_ + 1,
                                        " has impossible sizes (key ", key_size,
                                        ", value ", value_size, ")"));
  }
  if (file_->offset() + key_size + value_size > file_->file_size()) {
    return Corrupt(*file_, absl::StrCat("record ", records_ + 1,
                                        " runs past the end of the file"));
  }
  key_.swap(previous_key_);  // reuses both buffers
  COFFER_RETURN_IF_ERROR(Read(key_size, &key_));
  if (records_ > 0 && key_ <= previous_key_) {
    return Corrupt(
        *file_, absl::StrCat("record ", records_ + 1, " is out of key order"));
  }
  COFFER_RETURN_IF_ERROR(Read(value_size, &value_));
  ++records_;
  *key = key_;
  *value = value_;
  return true;
}

absl::Status SnapshotReader::VerifyEnd() {
  COFFER_RETURN_IF_ERROR(Read(8, &scratch_));
  uint64_t count = base::GetBigEndian64(scratch_);
  if (count != records_) {
    return Corrupt(*file_, absl::StrCat("end record counts ", count,
                                        " records, read ", records_));
  }
  crypto::Digest sha = sha_.Finish();
  COFFER_RETURN_IF_ERROR(file_->Read(format::kTrailerSize, &scratch_));
  absl::string_view trailer = scratch_;
  if (!crypto::ConstantTimeEquals(trailer.substr(0, crypto::kSha256Size),
                                  crypto::DigestView(sha))) {
    return Corrupt(*file_, "SHA-256 checksum mismatch");
  }
  if (mac_.has_value()) {
    crypto::Digest mac = mac_->Finish();
    if (!crypto::ConstantTimeEquals(trailer.substr(crypto::kSha256Size),
                                    crypto::DigestView(mac))) {
      return Corrupt(*file_,
                     "HMAC mismatch: written with another key or altered");
    }
  }
  COFFER_ASSIGN_OR_RETURN(bool at_end, file_->AtEnd());
  if (!at_end) return Corrupt(*file_, "data after the trailer");
  return absl::OkStatus();
}

}  // namespace coffer::snapshot
