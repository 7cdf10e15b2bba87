#include "storage/ordered_log_env.h"

#include <string>

#include "absl/strings/match.h"

namespace coffer::storage {
namespace {

// A LevelDB log file ("NNNNNN.log") that is synced before it is closed.
class SyncOnCloseFile final : public leveldb::WritableFile {
 public:
  explicit SyncOnCloseFile(leveldb::WritableFile* base) : base_(base) {}
  // LevelDB may delete a log file without closing it first.
  ~SyncOnCloseFile() override {
    if (!closed_) (void)Close();
  }

  leveldb::Status Append(const leveldb::Slice& data) override {
    return base_->Append(data);
  }
  leveldb::Status Flush() override { return base_->Flush(); }
  leveldb::Status Sync() override { return base_->Sync(); }
  leveldb::Status Close() override {
    closed_ = true;
    leveldb::Status s = base_->Sync();
    leveldb::Status c = base_->Close();
    return s.ok() ? c : s;
  }

 private:
  std::unique_ptr<leveldb::WritableFile> base_;
  bool closed_ = false;
};

class OrderedLogEnv final : public leveldb::EnvWrapper {
 public:
  explicit OrderedLogEnv(leveldb::Env* base) : EnvWrapper(base) {}

  leveldb::Status NewWritableFile(const std::string& name,
                                  leveldb::WritableFile** result) override {
    return Wrap(name, target()->NewWritableFile(name, result), result);
  }
  leveldb::Status NewAppendableFile(const std::string& name,
                                    leveldb::WritableFile** result) override {
    return Wrap(name, target()->NewAppendableFile(name, result), result);
  }

 private:
  static leveldb::Status Wrap(const std::string& name, leveldb::Status s,
                              leveldb::WritableFile** result) {
    if (s.ok() && absl::EndsWith(name, ".log")) {
      *result = new SyncOnCloseFile(*result);
    }
    return s;
  }
};

}  // namespace

std::unique_ptr<leveldb::Env> NewOrderedLogEnv(leveldb::Env* base) {
  return std::make_unique<OrderedLogEnv>(base);
}

}  // namespace coffer::storage
