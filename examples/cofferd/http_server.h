// HttpServer: the cpp-httplib server cofferd listens with, set up for many
// keep-alive clients that each wait on a raft commit.
//
// cpp-httplib 0.11 (Debian 12) serves a connection on one task-queue
// thread for the connection's whole life, so its usual fixed pool of N
// threads serves N connections and leaves the rest queued, unanswered,
// until one of the N closes. Its defaults also leave Nagle's algorithm on
// (the header and the body of a response are two writes: the second waits
// for the client's delayed ACK, about 40 ms), close a connection after 5
// requests, and listen with a backlog of 5 (a burst of connects overflows
// it and the dropped SYNs are retried after 1 s). NewHttpServer fixes all
// four:
//   - TCP_NODELAY on the listener, which accepted sockets inherit (Linux);
//   - ConnectionThreads: one thread per open connection, up to
//     kMaxConnectionThreads; an idle thread retires after a while;
//   - keep-alive without a request limit, and an idle connection closed
//     after kKeepAliveIdleSeconds (cpp-httplib's wait for the next request
//     polls every 10 ms, so an idle connection is not free: 1,000 of them
//     cost about 1.5 cores until they close);
//   - Listen(), which binds and re-listens with the system's largest
//     backlog.
//
// Thread-safety: NewHttpServer and Listen are called once from the thread
// that starts cofferd; ConnectionThreads is thread-safe.
#ifndef COFFER_EXAMPLES_COFFERD_HTTP_SERVER_H_
#define COFFER_EXAMPLES_COFFERD_HTTP_SERVER_H_

#include <cstddef>
#include <ctime>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "config.h"
#include "httplib.h"

namespace cofferd {

// Connections served at once; beyond it a connection waits for a thread.
// Each holds a file descriptor: main() raises RLIMIT_NOFILE to match.
inline constexpr size_t kMaxConnectionThreads = 4096;
// An open connection with no request for this long is closed.
inline constexpr time_t kKeepAliveIdleSeconds = 5;

// A cpp-httplib task queue that runs each task (a connection) on a thread
// of its own: it starts a thread when none is idle, up to `max_threads`,
// after which tasks wait in order. A thread idle for `idle_retire` exits.
// Thread-safe.
class ConnectionThreads final : public httplib::TaskQueue {
 public:
  ConnectionThreads(size_t max_threads, absl::Duration idle_retire);
  ~ConnectionThreads() override;  // shutdown()

  ConnectionThreads(const ConnectionThreads&) = delete;
  ConnectionThreads& operator=(const ConnectionThreads&) = delete;

  // Runs `fn` on an idle thread, a new one, or (at max_threads) the first
  // thread to finish its task. Never blocks on a task.
  void enqueue(std::function<void()> fn) override;
  // Runs the tasks already queued, then joins every thread. Blocks until
  // the running tasks return. Idempotent; enqueue after it runs the task
  // on the caller's thread.
  void shutdown() override;

  // Threads alive now, and those of them waiting for a task (for tests
  // and logs).
  size_t threads() const;
  size_t idle() const;

 private:
  // Starts a thread, counted idle until it takes a task.
  void Start() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Work(std::list<std::thread>::iterator self);

  const size_t max_threads_;
  const absl::Duration idle_retire_;
  mutable absl::Mutex mu_;
  // Signalled by enqueue (a task) and shutdown.
  absl::CondVar work_;
  std::list<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  // Invariant: idle_ <= threads_.size() - retired_.size().
  std::list<std::thread> threads_ ABSL_GUARDED_BY(mu_);
  // Threads that exited on their own, for the next enqueue to join.
  std::vector<std::list<std::thread>::iterator> retired_ ABSL_GUARDED_BY(mu_);
  size_t idle_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
};

// A plain server, or a TLS server when tls.enabled, with the settings
// above. kInvalidArgument when the certificate, key or CA file cannot be
// loaded.
absl::StatusOr<std::unique_ptr<httplib::Server>> NewHttpServer(
    const TlsConfig& tls);

// Binds `server` (from NewHttpServer) to host:port and raises its listen
// backlog to SOMAXCONN. false when the address cannot be bound; when only
// the backlog cannot be raised, logs it and returns true.
bool Listen(httplib::Server* server, const std::string& host, int port);

}  // namespace cofferd

#endif  // COFFER_EXAMPLES_COFFERD_HTTP_SERVER_H_
