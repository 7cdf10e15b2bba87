#include "support/fault_env.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

namespace coffer::testing {
namespace {

std::string DirName(const std::string& name) {
  size_t slash = name.rfind('/');
  return slash == std::string::npos ? "." : name.substr(0, slash);
}

bool IsManifest(const std::string& name) {
  size_t slash = name.rfind('/');
  std::string base = slash == std::string::npos ? name : name.substr(slash + 1);
  return base.rfind("MANIFEST", 0) == 0;
}

leveldb::Status Crashed(const std::string& name) {
  return leveldb::Status::IOError(name, "fault env: crashed");
}

}  // namespace

class FaultEnv::File : public leveldb::WritableFile {
 public:
  File(FaultEnv* env, std::string name, leveldb::WritableFile* base)
      : env_(env), name_(std::move(name)), base_(base) {}
  ~File() override { delete base_; }

  leveldb::Status Append(const leveldb::Slice& data) override {
    leveldb::Status s = env_->OnAppend(name_, data.size());
    return s.ok() ? base_->Append(data) : s;
  }
  leveldb::Status Close() override { return base_->Close(); }
  leveldb::Status Flush() override {
    if (env_->crashed()) return Crashed(name_);
    return base_->Flush();
  }
  leveldb::Status Sync() override {
    // Durability is what the env models: hand the data to the OS and skip
    // the real fsync, which keeps crash sweeps fast.
    leveldb::Status s = env_->OnSync(name_);
    return s.ok() ? base_->Flush() : s;
  }

 private:
  FaultEnv* const env_;
  const std::string name_;
  leveldb::WritableFile* const base_;
};

FaultEnv::FaultEnv(leveldb::Env* base) : leveldb::EnvWrapper(base) {}

int64_t FaultEnv::sync_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return syncs_;
}

void FaultEnv::CrashAtSync(int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  crash_at_ = n;
}

bool FaultEnv::crashed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return crashed_;
}

void FaultEnv::SetWriteBudget(int64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  write_budget_ = bytes;
}

leveldb::Status FaultEnv::Wrap(const std::string& name,
                               leveldb::WritableFile* base, FileState state,
                               leveldb::WritableFile** result) {
  std::lock_guard<std::mutex> lock(mu_);
  files_[name] = state;
  *result = new File(this, name, base);
  return leveldb::Status::OK();
}

leveldb::Status FaultEnv::NewWritableFile(const std::string& name,
                                          leveldb::WritableFile** result) {
  if (crashed()) return Crashed(name);
  leveldb::WritableFile* base = nullptr;
  leveldb::Status s = target()->NewWritableFile(name, &base);
  if (!s.ok()) return s;
  return Wrap(name, base, FileState{}, result);
}

leveldb::Status FaultEnv::NewAppendableFile(const std::string& name,
                                            leveldb::WritableFile** result) {
  if (crashed()) return Crashed(name);
  uint64_t size = 0;
  bool existed = target()->GetFileSize(name, &size).ok();
  leveldb::WritableFile* base = nullptr;
  leveldb::Status s = target()->NewAppendableFile(name, &base);
  if (!s.ok()) return s;
  FileState state;
  state.size = state.synced = existed ? size : 0;
  state.name_durable = existed;
  return Wrap(name, base, state, result);
}

leveldb::Status FaultEnv::RemoveFile(const std::string& name) {
  if (crashed()) return Crashed(name);
  {
    std::lock_guard<std::mutex> lock(mu_);
    files_.erase(name);
  }
  return target()->RemoveFile(name);
}

leveldb::Status FaultEnv::RenameFile(const std::string& from,
                                     const std::string& to) {
  if (crashed()) return Crashed(from);
  leveldb::Status s = target()->RenameFile(from, to);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(from);
  if (it != files_.end()) {
    FileState state = it->second;
    state.name_durable = true;
    files_.erase(it);
    files_[to] = state;
  } else {
    files_.erase(to);
  }
  return s;
}

leveldb::Status FaultEnv::SyncFileByName(const std::string& name) {
  return OnSync(name);
}

leveldb::Status FaultEnv::OnAppend(const std::string& name, size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  if (crashed_) return Crashed(name);
  if (write_budget_ >= 0) {
    if (static_cast<int64_t>(n) > write_budget_) {
      return leveldb::Status::IOError(name, std::strerror(ENOSPC));
    }
    write_budget_ -= static_cast<int64_t>(n);
  }
  files_[name].size += n;
  return leveldb::Status::OK();
}

leveldb::Status FaultEnv::OnSync(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  if (crashed_) return Crashed(name);
  ++syncs_;
  if (crash_at_ > 0 && syncs_ >= crash_at_) {
    crashed_ = true;
    return Crashed(name);
  }
  FileState& state = files_[name];
  state.synced = state.size;
  state.name_durable = true;
  if (IsManifest(name)) {
    std::string dir = DirName(name);
    for (auto& [other, other_state] : files_) {
      if (DirName(other) == dir) other_state.name_durable = true;
    }
  }
  return leveldb::Status::OK();
}

leveldb::Status FaultEnv::DropUnsyncedData() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, state] : files_) {
    if (!target()->FileExists(name)) continue;
    if (!state.name_durable) {
      leveldb::Status s = target()->RemoveFile(name);
      if (!s.ok()) return s;
    } else if (::truncate(name.c_str(), static_cast<off_t>(state.synced)) !=
               0) {
      return leveldb::Status::IOError(name, std::strerror(errno));
    }
  }
  return leveldb::Status::OK();
}

void FaultEnv::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  files_.clear();
  syncs_ = 0;
  crash_at_ = 0;
  crashed_ = false;
  write_budget_ = -1;
}

}  // namespace coffer::testing
