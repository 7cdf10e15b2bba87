// Completion: the hand-off of one result from the event loop to a waiting
// caller thread.
//
// A public call creates a Completion, posts work that eventually calls
// Set() on the loop thread, and Wait()s with a deadline. Set is idempotent
// (the first result wins), so the loop, a deadline and Close may race to
// finish the same call safely; the loop holds a shared_ptr, so a caller that
// gave up never leaves it dangling.
//
// Thread-safety: thread-safe.
#ifndef COFFER_LIB_NODE_COMPLETION_H_
#define COFFER_LIB_NODE_COMPLETION_H_

#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace coffer::node {

// What Close() can abort without knowing the result type.
class Waiter {
 public:
  virtual ~Waiter() = default;
  virtual void Abort(const absl::Status& status) = 0;
};

template <typename T>
class Completion final : public Waiter {
 public:
  // Records the result unless one was recorded already; wakes the waiter.
  void Set(absl::StatusOr<T> value) {
    absl::MutexLock lock(&mu_);
    if (done_) return;
    value_ = std::move(value);
    done_ = true;
  }
  void Abort(const absl::Status& status) override { Set(status); }

  // Blocks until Set or until `timeout` passes (kDeadlineExceeded).
  absl::StatusOr<T> Wait(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&done_), timeout);
    if (!done_) {
      done_ = true;  // a late Set is ignored
      return absl::DeadlineExceededError("node: no result within the timeout");
    }
    return std::move(value_);
  }

 private:
  absl::Mutex mu_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  absl::StatusOr<T> value_ ABSL_GUARDED_BY(mu_) =
      absl::UnknownError("node: unset");
};

}  // namespace coffer::node

#endif  // COFFER_LIB_NODE_COMPLETION_H_
