// ConnectionThreads, cofferd's HTTP task queue: a thread per task up to a
// bound, idle threads reused and retired, shutdown drains. The only waits
// are liveness bounds (kLiveness), far above what any step takes.
#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "http_server.h"
#include "support/catch.h"

namespace cofferd {
namespace {

constexpr absl::Duration kLiveness = absl::Seconds(10);

// A gate tasks wait on until the test opens it; counts who arrived.
class Gate {
 public:
  void Arrive() {
    absl::MutexLock l(&mu_);
    ++arrived_;
    mu_.Await(absl::Condition(&open_));
  }
  void Open() {
    absl::MutexLock l(&mu_);
    open_ = true;
  }
  // True when `n` tasks arrived within kLiveness.
  bool WaitArrived(int n) {
    absl::MutexLock l(&mu_);
    auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return arrived_ >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kLiveness);
  }

 private:
  absl::Mutex mu_;
  int arrived_ ABSL_GUARDED_BY(mu_) = 0;
  bool open_ ABSL_GUARDED_BY(mu_) = false;
};

// Polls cond() until it holds or kLiveness passes.
template <typename F>
bool Eventually(F cond) {
  const absl::Time deadline = absl::Now() + kLiveness;
  while (!cond()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

TEST_CASE("tasks that block each get a thread of their own",
          "[cofferd][connection_threads]") {
  ConnectionThreads q(64, absl::Seconds(30));
  Gate gate;
  for (int i = 0; i < 40; ++i) q.enqueue([&] { gate.Arrive(); });
  // Each task waits for the gate: all 40 run at once, or some never do.
  CHECK(gate.WaitArrived(40));
  CHECK(q.threads() == 40);
  gate.Open();
  q.shutdown();
  CHECK(q.threads() == 0);
}

TEST_CASE("beyond max_threads tasks wait for a thread, then all run",
          "[cofferd][connection_threads]") {
  ConnectionThreads q(2, absl::Seconds(30));
  Gate gate;
  std::atomic<int> ran{0};
  q.enqueue([&] { gate.Arrive(); });
  q.enqueue([&] { gate.Arrive(); });
  REQUIRE(gate.WaitArrived(2));
  for (int i = 0; i < 5; ++i) q.enqueue([&] { ran.fetch_add(1); });
  CHECK(q.threads() == 2);
  CHECK(ran.load() == 0);  // both threads are held at the gate
  gate.Open();
  CHECK(Eventually([&] { return ran.load() == 5; }));
  CHECK(q.threads() == 2);
}

TEST_CASE("an idle thread takes the next task",
          "[cofferd][connection_threads]") {
  ConnectionThreads q(64, absl::Seconds(30));
  std::atomic<int> ran{0};
  q.enqueue([&] { ran.fetch_add(1); });
  REQUIRE(Eventually([&] { return ran.load() == 1 && q.idle() == 1; }));
  q.enqueue([&] { ran.fetch_add(1); });
  CHECK(Eventually([&] { return ran.load() == 2 && q.idle() == 1; }));
  CHECK(q.threads() == 1);
}

TEST_CASE("an idle thread retires and a later task starts a new one",
          "[cofferd][connection_threads]") {
  ConnectionThreads q(64, absl::Milliseconds(1));
  std::atomic<int> ran{0};
  q.enqueue([&] { ran.fetch_add(1); });
  CHECK(Eventually([&] { return ran.load() == 1 && q.threads() == 0; }));
  q.enqueue([&] { ran.fetch_add(1); });  // also joins the retired thread
  CHECK(Eventually([&] { return ran.load() == 2; }));
}

TEST_CASE("shutdown runs the queued tasks and joins every thread",
          "[cofferd][connection_threads]") {
  ConnectionThreads q(1, absl::Seconds(30));
  Gate gate;
  std::atomic<int> ran{0};
  q.enqueue([&] { gate.Arrive(); });
  REQUIRE(gate.WaitArrived(1));
  for (int i = 0; i < 3; ++i) q.enqueue([&] { ran.fetch_add(1); });
  std::thread stopper([&] { q.shutdown(); });
  gate.Open();
  stopper.join();
  CHECK(ran.load() == 3);
  CHECK(q.threads() == 0);
  // After shutdown a task runs on the caller's thread (it owns a socket
  // that must still be closed).
  const std::thread::id caller = std::this_thread::get_id();
  std::thread::id ran_on;
  q.enqueue([&] { ran_on = std::this_thread::get_id(); });
  CHECK(ran_on == caller);
  q.shutdown();  // idempotent
}

}  // namespace
}  // namespace cofferd
