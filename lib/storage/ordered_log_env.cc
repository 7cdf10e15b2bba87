#include "storage/ordered_log_env.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"

namespace coffer::storage {
namespace {

// The log files LevelDB has open, and which one is current.
struct LogFiles {
  absl::Mutex mu;
  std::string current ABSL_GUARDED_BY(mu);  // "" before the first
  int open ABSL_GUARDED_BY(mu) = 0;         // more than 1: a switch
  std::atomic<bool> sync_failed{false};     // OrderedLogEnv::log_sync_failed
};

leveldb::Status NoteSync(LogFiles* files, leveldb::Status s) {
  if (!s.ok()) files->sync_failed.store(true, std::memory_order_relaxed);
  return s;
}

// A LevelDB log file ("NNNNNN.log") that is synced before it is closed.
class SyncOnCloseFile final : public leveldb::WritableFile {
 public:
  SyncOnCloseFile(leveldb::WritableFile* base, LogFiles* files)
      : base_(base), files_(files) {}
  // LevelDB may delete a log file without closing it first.
  ~SyncOnCloseFile() override {
    if (!closed_) (void)Close();
  }

  leveldb::Status Append(const leveldb::Slice& data) override {
    return base_->Append(data);
  }
  leveldb::Status Flush() override { return base_->Flush(); }
  leveldb::Status Sync() override { return NoteSync(files_, base_->Sync()); }
  leveldb::Status Close() override {
    closed_ = true;
    leveldb::Status s = NoteSync(files_, base_->Sync());
    leveldb::Status c = base_->Close();
    {
      absl::MutexLock lock(&files_->mu);
      --files_->open;
    }
    return s.ok() ? c : s;
  }

 private:
  std::unique_ptr<leveldb::WritableFile> base_;
  LogFiles* const files_;
  bool closed_ = false;
};

class OrderedLogEnvImpl final : public OrderedLogEnv {
 public:
  explicit OrderedLogEnvImpl(leveldb::Env* base) : OrderedLogEnv(base) {}
  ~OrderedLogEnvImpl() override {
    if (fd_ >= 0) ::close(fd_);
  }

  leveldb::Status NewWritableFile(const std::string& name,
                                  leveldb::WritableFile** result) override {
    return Wrap(name, target()->NewWritableFile(name, result), result);
  }
  leveldb::Status NewAppendableFile(const std::string& name,
                                    leveldb::WritableFile** result) override {
    return Wrap(name, target()->NewAppendableFile(name, result), result);
  }

  bool log_sync_failed() const override {
    return files_.sync_failed.load(std::memory_order_relaxed);
  }

  leveldb::Status SyncLog() override {
    return NoteSync(&files_, SyncCurrentLog());
  }

 private:
  leveldb::Status SyncCurrentLog() {
    std::string name;
    {
      absl::MutexLock lock(&files_.mu);
      // A switch in progress: the writes that returned may be in the old
      // file, which is synced as it closes.
      files_.mu.Await(absl::Condition(
          +[](LogFiles* f)
               ABSL_EXCLUSIVE_LOCKS_REQUIRED(f->mu) { return f->open <= 1; },
          &files_));
      name = files_.current;
    }
    if (name.empty()) return leveldb::Status::OK();
    if (auto* named = dynamic_cast<NamedSync*>(target())) {
      return named->SyncFileByName(name);
    }
    absl::MutexLock lock(&sync_mu_);
    if (fd_name_ != name) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
      fd_name_ = name;
      // Gone: switched and closed (so synced) since it was current.
      if (fd_ < 0 && errno == ENOENT) return leveldb::Status::OK();
      if (fd_ < 0) return leveldb::Status::IOError(name, std::strerror(errno));
    }
    if (fd_ < 0) return leveldb::Status::OK();
    if (::fdatasync(fd_) != 0) {
      return leveldb::Status::IOError(name, std::strerror(errno));
    }
    return leveldb::Status::OK();
  }

  leveldb::Status Wrap(const std::string& name, leveldb::Status s,
                       leveldb::WritableFile** result) {
    if (s.ok() && absl::EndsWith(name, ".log")) {
      *result = new SyncOnCloseFile(*result, &files_);
      absl::MutexLock lock(&files_.mu);
      files_.current = name;
      ++files_.open;
    }
    return s;
  }

  LogFiles files_;
  absl::Mutex sync_mu_;  // one SyncLog at a time
  std::string fd_name_ ABSL_GUARDED_BY(sync_mu_);
  int fd_ ABSL_GUARDED_BY(sync_mu_) = -1;
};

}  // namespace

std::unique_ptr<OrderedLogEnv> NewOrderedLogEnv(leveldb::Env* base) {
  return std::make_unique<OrderedLogEnvImpl>(base);
}

}  // namespace coffer::storage
