// Buffered POSIX file access for snapshot files (internal to lib/snapshot).
// Errors are kUnavailable ("snapshot: <op> <path>: <strerror>"); a read past
// the end is kDataLoss ("truncated"). Thread-compatible.
#ifndef COFFER_LIB_SNAPSHOT_FILE_IO_H_
#define COFFER_LIB_SNAPSHOT_FILE_IO_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace coffer::snapshot {

// Appends to a new file through a 1 MiB buffer.
class FileWriter {
 public:
  // Creates (truncates) `path`.
  static absl::StatusOr<std::unique_ptr<FileWriter>> Create(std::string path);
  ~FileWriter();  // closes without syncing
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  absl::Status Append(absl::string_view data);
  // Flushes the buffer and fsyncs the file.
  absl::Status Sync();
  uint64_t size() const { return size_; }

 private:
  FileWriter(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  absl::Status Flush();

  const std::string path_;
  int fd_;
  std::string buffer_;
  uint64_t size_ = 0;
};

// Reads a file front to back through a 1 MiB buffer.
class FileReader {
 public:
  // kNotFound when `path` does not exist.
  static absl::StatusOr<std::unique_ptr<FileReader>> Open(std::string path);
  ~FileReader();
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  // Reads exactly n bytes into *out (replacing its contents).
  absl::Status Read(size_t n, std::string* out);
  // True when every byte was read (may read ahead).
  absl::StatusOr<bool> AtEnd();
  uint64_t offset() const { return offset_; }
  uint64_t file_size() const { return file_size_; }
  const std::string& path() const { return path_; }

 private:
  FileReader(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), file_size_(size) {}
  absl::Status Fill();

  const std::string path_;
  int fd_;
  const uint64_t file_size_;
  std::string buffer_;
  size_t buffer_pos_ = 0;
  uint64_t offset_ = 0;  // bytes handed out so far
};

// Renames `from` to `to` and fsyncs the directory of `to`.
absl::Status RenameDurably(const std::string& from, const std::string& to);

}  // namespace coffer::snapshot

#endif  // COFFER_LIB_SNAPSHOT_FILE_IO_H_
