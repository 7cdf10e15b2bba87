#include "snapshot/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace coffer::snapshot {
namespace {

constexpr size_t kBufferSize = 1 << 20;

absl::Status IoError(absl::string_view op, absl::string_view path, int err) {
  return absl::UnavailableError(
      absl::StrCat("snapshot: ", op, " ", path, ": ", std::strerror(err)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<FileWriter>> FileWriter::Create(
    std::string path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("create", path, errno);
  return std::unique_ptr<FileWriter>(new FileWriter(std::move(path), fd));
}

FileWriter::~FileWriter() { ::close(fd_); }

absl::Status FileWriter::Append(absl::string_view data) {
  size_ += data.size();
  if (buffer_.size() + data.size() > kBufferSize) {
    COFFER_RETURN_IF_ERROR(Flush());
  }
  if (data.size() >= kBufferSize) {
    buffer_.assign(data.data(), data.size());
    return Flush();
  }
  buffer_.append(data.data(), data.size());
  return absl::OkStatus();
}

absl::Status FileWriter::Flush() {
  size_t done = 0;
  while (done < buffer_.size()) {
    ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("write", path_, errno);
    done += static_cast<size_t>(n);
  }
  buffer_.clear();
  return absl::OkStatus();
}

absl::Status FileWriter::Sync() {
  COFFER_RETURN_IF_ERROR(Flush());
  if (::fsync(fd_) != 0) return IoError("fsync", path_, errno);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<FileReader>> FileReader::Open(std::string path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(
          absl::StrCat("snapshot: no snapshot file ", path));
    }
    return IoError("open", path, errno);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return IoError("stat", path, err);
  }
  return std::unique_ptr<FileReader>(
      new FileReader(std::move(path), fd, static_cast<uint64_t>(st.st_size)));
}

FileReader::~FileReader() { ::close(fd_); }

absl::Status FileReader::Fill() {
  buffer_.erase(0, buffer_pos_);
  buffer_pos_ = 0;
  size_t have = buffer_.size();
  buffer_.resize(std::max(kBufferSize, have));
  for (;;) {
    ssize_t n = ::read(fd_, buffer_.data() + have, buffer_.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      buffer_.resize(have);
      return IoError("read", path_, errno);
    }
    buffer_.resize(have + static_cast<size_t>(n));
    return absl::OkStatus();
  }
}

absl::Status FileReader::Read(size_t n, std::string* out) {
  out->clear();
  while (out->size() < n) {
    if (buffer_pos_ == buffer_.size()) {
      COFFER_RETURN_IF_ERROR(Fill());
      if (buffer_.empty()) {
        return absl::DataLossError(
            absl::StrCat("snapshot: ", path_, " is truncated at byte ",
                         offset_ + out->size(), " (", file_size_, " bytes)"));
      }
    }
    size_t take = std::min(n - out->size(), buffer_.size() - buffer_pos_);
    out->append(buffer_, buffer_pos_, take);
    buffer_pos_ += take;
  }
  offset_ += n;
  return absl::OkStatus();
}

absl::StatusOr<bool> FileReader::AtEnd() {
  if (buffer_pos_ < buffer_.size()) return false;
  COFFER_RETURN_IF_ERROR(Fill());
  return buffer_.empty();
}

absl::Status RenameDurably(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    return IoError("rename to", to, errno);
  }
  size_t slash = to.rfind('/');
  std::string dir = slash == std::string::npos ? "." : to.substr(0, slash);
  if (dir.empty()) dir = "/";
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("open directory", dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return IoError("fsync directory", dir, err);
  return absl::OkStatus();
}

}  // namespace coffer::snapshot
