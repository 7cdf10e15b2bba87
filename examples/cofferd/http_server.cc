#include "http_server.h"

#include <sys/socket.h>

#include <cstdio>
#include <limits>
#include <system_error>
#include <utility>

namespace cofferd {
namespace {

// How long a connection thread outlives its last connection, so that
// clients that reconnect do not start a thread each time.
constexpr absl::Duration kThreadRetire = absl::Seconds(30);

// Exposes the listening socket, which cpp-httplib keeps protected, so
// that Listen can raise its backlog.
class ListenerAccess {
 public:
  virtual socket_t listener() const = 0;

 protected:
  ~ListenerAccess() = default;
};

template <typename Base>
class Server final : public Base, public ListenerAccess {
 public:
  using Base::Base;
  socket_t listener() const override { return this->svr_sock_.load(); }
};

void Configure(httplib::Server* server) {
  server->set_tcp_nodelay(true);
  server->set_keep_alive_max_count(std::numeric_limits<size_t>::max());
  server->set_keep_alive_timeout(kKeepAliveIdleSeconds);
  server->new_task_queue = [] {
    return new ConnectionThreads(kMaxConnectionThreads, kThreadRetire);
  };
}

}  // namespace

ConnectionThreads::ConnectionThreads(size_t max_threads,
                                     absl::Duration idle_retire)
    : max_threads_(max_threads), idle_retire_(idle_retire) {}

ConnectionThreads::~ConnectionThreads() { shutdown(); }

void ConnectionThreads::enqueue(std::function<void()> fn) {
  std::list<std::thread> retired;
  bool stopped = false;
  {
    absl::MutexLock l(&mu_);
    stopped = shutdown_;
    if (!stopped) {
      for (auto it : retired_) retired.splice(retired.end(), threads_, it);
      retired_.clear();
      tasks_.push_back(std::move(fn));
      // idle_ threads will each take one queued task: start one more when
      // the queue outnumbers them.
      if (tasks_.size() > idle_ && threads_.size() < max_threads_) {
        Start();
      }
      work_.Signal();
    }
  }
  for (std::thread& t : retired) t.join();
  // Not expected (cpp-httplib stops accepting before it shuts the queue
  // down); the task owns an accepted socket, which it closes at once when
  // it sees the server stopped.
  if (stopped) fn();
}

void ConnectionThreads::Start() {
  threads_.emplace_back();
  auto self = std::prev(threads_.end());
  try {
    *self = std::thread([this, self] { Work(self); });
    ++idle_;
  } catch (const std::system_error& e) {
    threads_.erase(self);
    std::fprintf(stderr,
                 "cofferd: http: cannot start a thread (%s); the connection "
                 "waits for one\n",
                 e.what());
  }
}

void ConnectionThreads::Work(std::list<std::thread>::iterator self) {
  absl::MutexLock l(&mu_);
  for (;;) {
    // Counted in idle_ here (by enqueue, or below after a task).
    const absl::Time retire_at = absl::Now() + idle_retire_;
    bool timed_out = false;
    while (tasks_.empty() && !shutdown_ && !timed_out) {
      timed_out = work_.WaitWithDeadline(&mu_, retire_at);
    }
    --idle_;
    if (tasks_.empty()) {
      // Shut down, or idle for idle_retire_: exit. shutdown() joins every
      // thread; before it, the next enqueue joins a retired one.
      if (!shutdown_) retired_.push_back(self);
      return;
    }
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    mu_.Unlock();
    task();
    task = nullptr;  // closes what the task captured, outside the lock
    mu_.Lock();
    ++idle_;
  }
}

void ConnectionThreads::shutdown() {
  std::list<std::thread> all;
  {
    absl::MutexLock l(&mu_);
    if (shutdown_) return;
    shutdown_ = true;
    work_.SignalAll();
    all.splice(all.end(), threads_);
    retired_.clear();
  }
  for (std::thread& t : all) t.join();
}

size_t ConnectionThreads::threads() const {
  absl::MutexLock l(&mu_);
  return threads_.size() - retired_.size();
}

size_t ConnectionThreads::idle() const {
  absl::MutexLock l(&mu_);
  return idle_;
}

absl::StatusOr<std::unique_ptr<httplib::Server>> NewHttpServer(
    const TlsConfig& tls) {
  std::unique_ptr<httplib::Server> server;
  if (tls.enabled) {
    server = std::make_unique<Server<httplib::SSLServer>>(
        tls.cert_file.c_str(), tls.key_file.c_str(),
        tls.client_ca_file.empty() ? nullptr : tls.client_ca_file.c_str());
    if (!server->is_valid()) {
      return absl::InvalidArgumentError(
          "listener.tcp: cannot load tls_cert_file, tls_key_file or "
          "tls_client_ca_file");
    }
  } else {
    server = std::make_unique<Server<httplib::Server>>();
  }
  Configure(server.get());
  return server;
}

bool Listen(httplib::Server* server, const std::string& host, int port) {
  if (!server->bind_to_port(host, port)) return false;
  // cpp-httplib listens with a backlog of 5: a burst of connects (a
  // client pool opening at once) overflows it, and Linux drops the SYNs,
  // which clients resend only after a second. listen() again on the bound
  // socket only changes the backlog.
  auto* access = dynamic_cast<ListenerAccess*>(server);
  if (access == nullptr || ::listen(access->listener(), SOMAXCONN) != 0) {
    std::fprintf(stderr,
                 "cofferd: http: cannot raise the listen backlog; bursts of "
                 "connects may wait a second\n");
  }
  return true;
}

}  // namespace cofferd
