// lib/snapshot: streaming snapshot files of the state machine.
//
// A snapshot file holds a header (format version, cluster id, raft index and
// term, membership), the state machine's records in key order (values are
// barrier ciphertext, copied as opaque bytes) and a trailer with a SHA-256
// over everything before it and an HMAC-SHA256 keyed by the caller (the node
// derives the key from its barrier). See format.h for the byte layout.
//
// Writing, reading, receiving in chunks, restoring and inspecting all stream:
// memory stays bounded (a few MiB plus the largest record) whatever the size
// of the snapshot.
//
// Errors, by what the caller should do: kDataLoss for a truncated or corrupt
// file or a failed checksum or HMAC; kFailedPrecondition for another
// cluster's snapshot (unless forced) or an unsupported format version;
// kInvalidArgument for bad input from the caller (keys out of order,
// oversized records, chunks out of order); kNotFound for a missing file;
// kUnavailable for I/O errors. Messages start with "snapshot: ".
//
// Thread-safety: every class is thread-compatible; distinct objects may be
// used from distinct threads.
#ifndef COFFER_LIB_SNAPSHOT_SNAPSHOT_H_
#define COFFER_LIB_SNAPSHOT_SNAPSHOT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/hash.h"
#include "proto/raft.pb.h"
#include "snapshot/format.h"

namespace coffer::snapshot {

class FileReader;
class FileWriter;

// What a snapshot describes.
struct SnapshotHeader {
  std::string cluster_id;
  uint64_t index = 0;  // last raft index the snapshot covers
  uint64_t term = 0;   // term of that entry
  raftpb::ConfState conf_state;

  raftpb::SnapshotMetadata Metadata() const;
};

// Writes one snapshot file. The data goes to `path` + ".tmp" and appears at
// `path` only once Finish() has synced it, so a crash never leaves a partial
// file under the final name.
class SnapshotWriter {
 public:
  // `mac_key` is copied. Errors: kUnavailable (I/O).
  static absl::StatusOr<std::unique_ptr<SnapshotWriter>> Create(
      std::string path, const SnapshotHeader& header,
      absl::string_view mac_key);
  // Removes the temporary file unless Finish() succeeded.
  ~SnapshotWriter();
  SnapshotWriter(const SnapshotWriter&) = delete;
  SnapshotWriter& operator=(const SnapshotWriter&) = delete;

  // Adds one record. kInvalidArgument if `key` is not greater than the
  // previous key or the record exceeds the size limits.
  absl::Status Add(absl::string_view key, absl::string_view value);

  // Writes the trailer, syncs, and renames into place (durably).
  absl::Status Finish();

  uint64_t records() const { return records_; }
  uint64_t bytes() const;

 private:
  SnapshotWriter(std::string path, std::unique_ptr<FileWriter> file,
                 absl::string_view mac_key);
  absl::Status Write(absl::string_view data);

  const std::string path_;
  std::unique_ptr<FileWriter> file_;
  crypto::Sha256 sha_;
  crypto::HmacSha256 mac_;
  std::string last_key_;
  uint64_t records_ = 0;
  bool finished_ = false;
};

// Reads one snapshot file front to back.
class SnapshotReader {
 public:
  // Opens `path` and reads the header. With a `mac_key` the HMAC is checked
  // at the end; without one (inspection) only the SHA-256 is.
  static absl::StatusOr<std::unique_ptr<SnapshotReader>> Open(
      std::string path, std::optional<std::string> mac_key);
  ~SnapshotReader();
  SnapshotReader(const SnapshotReader&) = delete;
  SnapshotReader& operator=(const SnapshotReader&) = delete;

  const SnapshotHeader& header() const { return header_; }
  uint32_t format_version() const { return format::kVersion; }

  // Reads the next record into *key and *value (views valid until the next
  // call). Returns false at the end, after the trailer verified: only then
  // is everything read known to be intact.
  absl::StatusOr<bool> Next(absl::string_view* key, absl::string_view* value);

  uint64_t records() const { return records_; }
  uint64_t file_size() const;

 private:
  SnapshotReader(std::unique_ptr<FileReader> file,
                 std::optional<std::string> mac_key);
  absl::Status ReadHeader();
  absl::Status Read(size_t n, std::string* out);
  absl::Status VerifyEnd();

  std::unique_ptr<FileReader> file_;
  crypto::Sha256 sha_;
  std::optional<crypto::HmacSha256> mac_;
  SnapshotHeader header_;
  std::string key_, previous_key_, value_, scratch_;
  uint64_t records_ = 0;
  bool done_ = false;
};

}  // namespace coffer::snapshot

#endif  // COFFER_LIB_SNAPSHOT_SNAPSHOT_H_
