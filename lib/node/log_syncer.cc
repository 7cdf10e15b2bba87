#include "node/log_syncer.h"

#include <utility>

namespace coffer::node {

LogSyncer::LogSyncer(storage::Db* db, Synced synced)
    : db_(db), synced_(std::move(synced)), thread_([this] { Run(); }) {}

LogSyncer::~LogSyncer() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

void LogSyncer::Request(Entry last) {
  absl::MutexLock lock(&mu_);
  requested_ = true;
  last_ = last;
}

void LogSyncer::Run() {
  for (;;) {
    Entry last;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](LogSyncer* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) {
            return s->requested_ || s->stop_;
          },
          this));
      if (stop_) return;
      requested_ = false;
      last = last_;
    }
    synced_(db_->SyncLog(), last);
  }
}

}  // namespace coffer::node
