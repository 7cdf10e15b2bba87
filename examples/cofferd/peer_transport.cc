#include "peer_transport.h"

#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "asio.hpp"
#include "asio/ssl.hpp"

namespace cofferd {
namespace {

using asio::ip::tcp;
using SslStream = asio::ssl::stream<tcp::socket>;

constexpr auto kMinBackoff = std::chrono::milliseconds(50);
constexpr auto kMaxBackoff = std::chrono::seconds(2);
// Frames queued for one peer while it is unreachable; older ones go first.
constexpr size_t kMaxFramesPerPeer = 8192;
// Frames written by one gather write.
constexpr size_t kMaxBatch = 64;

// One TCP connection, plain or TLS.
class Conn {
 public:
  Conn(asio::io_context& io, asio::ssl::context* tls) {
    if (tls != nullptr) {
      tls_.emplace(io, *tls);
    } else {
      plain_.emplace(io);
    }
  }
  tcp::socket& socket() { return tls_ ? tls_->next_layer() : *plain_; }
  bool is_tls() const { return tls_.has_value(); }
  SslStream& tls() { return *tls_; }
  // Calls f(stream) with the stream to read and write.
  template <typename F>
  void With(F&& f) {
    if (tls_) {
      f(*tls_);
    } else {
      f(*plain_);
    }
  }
  void Close() {
    asio::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }

 private:
  std::optional<tcp::socket> plain_;
  std::optional<SslStream> tls_;
};

// Both ends of every peer connection, dialed or accepted: frames are
// small and wait on each other (without TCP_NODELAY a frame written while
// the previous one is unacknowledged waits for the peer's delayed ACK,
// 40 ms on Linux), and TCP keep-alive notices a peer that vanished
// without closing.
void SetPeerSocketOptions(tcp::socket& socket) {
  asio::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  socket.set_option(asio::socket_base::keep_alive(true), ignored);
}

std::string Framed(std::string frame) {
  const uint32_t n = static_cast<uint32_t>(frame.size());
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(n >> (24 - 8 * i));
  out += frame;
  return out;
}

}  // namespace

class PeerTransport::Impl {
 public:
  explicit Impl(const Options& options)
      : options_(options),
        hello_(options.hello.api_addr.empty()
                   ? ""
                   : Framed(EncodeHello(options.hello))),
        acceptor_(io_),
        work_(io_.get_executor()) {}

  absl::Status Init();
  void Send(uint64_t to, const std::string& address, std::string frame);
  void Serve(coffer::Node* node) { node_.store(node); }
  void Stop();
  uint64_t dropped() const { return dropped_.load(); }

 private:
  // An outbound connection to one peer (I/O thread only).
  struct Link {
    explicit Link(asio::io_context& io) : timer(io) {}
    uint64_t id = 0;
    std::string address;
    std::deque<std::string> queue;  // framed
    bool writing = false;           // a write is in flight on conn
    // Shared with the handlers of its operations, which keep it alive
    // until they ran (a TLS stream's pending operations refer to it).
    std::shared_ptr<Conn> conn;
    enum State { kIdle, kConnecting, kConnected, kBackoff } state = kIdle;
    uint64_t generation = 0;  // bumped per connection; stale handlers stop
    std::chrono::milliseconds backoff = kMinBackoff;
    asio::steady_timer timer;
    char sink = 0;  // the read that notices the peer closing
  };

  void Enqueue(uint64_t to, std::string address, std::string framed);
  void Connect(Link* link);
  void OnConnected(Link* link, uint64_t gen);
  // Closes the link's connection (if any) and silences its handlers.
  void Reset(Link* link);
  // The connection of generation `gen` failed: reconnect after a backoff.
  void Fail(Link* link, uint64_t gen);
  void Write(Link* link);
  void Drop(size_t bytes) { queued_bytes_.fetch_sub(bytes); }

  void Accept();
  // `first`: the connection's first frame, which may be a hello.
  void ReadFrames(std::shared_ptr<Conn> conn, bool first);
  void Deliver(absl::string_view frame, bool first);

  const Options options_;
  const std::string hello_;  // framed; empty: none is sent
  // Before io_: sockets destroyed with io_'s pending handlers still use
  // the contexts.
  std::optional<asio::ssl::context> server_tls_, client_tls_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
  std::atomic<coffer::Node*> node_{nullptr};
  std::atomic<size_t> queued_bytes_{0};
  std::atomic<uint64_t> dropped_{0};
  std::map<uint64_t, std::unique_ptr<Link>> links_;  // I/O thread only
  bool stopped_ = false;                             // Stop's caller only
};

absl::Status PeerTransport::Impl::Init() {
  if (options_.tls.enabled) {
    for (auto* ctx : {&server_tls_, &client_tls_}) {
      ctx->emplace(ctx == &server_tls_ ? asio::ssl::context::tls_server
                                       : asio::ssl::context::tls_client);
      asio::ssl::context& c = **ctx;
      asio::error_code ec;
      c.set_options(
          asio::ssl::context::default_workarounds |
              asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
              asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1,
          ec);
      c.use_certificate_chain_file(options_.tls.cert_file, ec);
      if (ec) {
        return absl::InvalidArgumentError(
            absl::StrCat("listener.tcp.tls_cert_file: ", ec.message()));
      }
      c.use_private_key_file(options_.tls.key_file, asio::ssl::context::pem,
                             ec);
      if (ec) {
        return absl::InvalidArgumentError(
            absl::StrCat("listener.tcp.tls_key_file: ", ec.message()));
      }
      if (!options_.tls.client_ca_file.empty()) {
        c.load_verify_file(options_.tls.client_ca_file, ec);
        if (ec) {
          return absl::InvalidArgumentError(
              absl::StrCat("listener.tcp.tls_client_ca_file: ", ec.message()));
        }
      } else if (ctx == &client_tls_) {
        c.set_default_verify_paths(ec);
      }
    }
    client_tls_->set_verify_mode(asio::ssl::verify_peer);
    server_tls_->set_verify_mode(
        options_.tls.client_ca_file.empty()
            ? asio::ssl::verify_none
            : asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
  }
  std::string host;
  int port = 0;
  if (absl::Status s = SplitHostPort(options_.listen, &host, &port); !s.ok()) {
    return s;
  }
  asio::error_code ec;
  const asio::ip::address ip = asio::ip::make_address(host, ec);
  if (ec) {
    return absl::InvalidArgumentError(absl::StrCat(
        "listener.tcp.cluster_address: \"", host, "\" is not an IP address"));
  }
  const tcp::endpoint ep(ip, static_cast<uint16_t>(port));
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options_.listen, ": ", ec.message()));
  }
  Accept();
  thread_ = std::thread([this] { io_.run(); });
  return absl::OkStatus();
}

void PeerTransport::Impl::Stop() {
  if (stopped_) return;
  stopped_ = true;
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
  node_.store(nullptr);
}

void PeerTransport::Impl::Send(uint64_t to, const std::string& address,
                               std::string frame) {
  if (frame.size() > options_.max_frame_bytes) {  // the peer would refuse it
    dropped_.fetch_add(1);
    return;
  }
  const size_t bytes = frame.size() + 4;
  if (queued_bytes_.fetch_add(bytes) + bytes > options_.max_queued_bytes) {
    queued_bytes_.fetch_sub(bytes);
    dropped_.fetch_add(1);
    return;
  }
  asio::post(io_, [this, to, address, f = Framed(std::move(frame))]() mutable {
    Enqueue(to, std::move(address), std::move(f));
  });
}

void PeerTransport::Impl::Enqueue(uint64_t to, std::string address,
                                  std::string framed) {
  std::unique_ptr<Link>& slot = links_[to];
  if (slot == nullptr) {
    slot = std::make_unique<Link>(io_);
    slot->id = to;
  }
  Link* link = slot.get();
  if (!address.empty() && address != link->address) {
    // The peer moved (or its address is learned now): reconnect at once.
    link->address = std::move(address);
    Reset(link);
    link->state = Link::kIdle;
    link->backoff = kMinBackoff;
  }
  link->queue.push_back(std::move(framed));
  while (link->queue.size() > kMaxFramesPerPeer) {
    Drop(link->queue.front().size());
    link->queue.pop_front();
    dropped_.fetch_add(1);
  }
  if (link->address.empty()) return;  // kept until an address is known
  if (link->state == Link::kIdle) {
    Connect(link);
  } else if (link->state == Link::kConnected) {
    Write(link);
  }
}

void PeerTransport::Impl::Connect(Link* link) {
  std::string host;
  int port = 0;
  if (!SplitHostPort(link->address, &host, &port).ok()) {
    // An address this transport cannot dial: drop what waits for it.
    for (const std::string& f : link->queue) Drop(f.size());
    dropped_.fetch_add(link->queue.size());
    link->queue.clear();
    return;
  }
  const uint64_t gen = ++link->generation;
  link->state = Link::kConnecting;
  auto conn =
      std::make_shared<Conn>(io_, client_tls_ ? &*client_tls_ : nullptr);
  link->conn = conn;
  auto resolver = std::make_shared<tcp::resolver>(io_);
  resolver->async_resolve(
      host, std::to_string(port),
      [this, link, gen, conn, resolver, host](
          const asio::error_code& ec, tcp::resolver::results_type results) {
        if (gen != link->generation) return;
        if (ec) return Fail(link, gen);
        asio::async_connect(
            conn->socket(), results,
            [this, link, gen, conn, host](const asio::error_code& ec,
                                          const tcp::endpoint&) {
              if (gen != link->generation) return;
              if (ec) return Fail(link, gen);
              SetPeerSocketOptions(conn->socket());
              if (!conn->is_tls()) return OnConnected(link, gen);
              SslStream& s = conn->tls();
              s.set_verify_callback(asio::ssl::host_name_verification(host));
              // SNI for name-based certificates; harmless for IPs.
              SSL_set_tlsext_host_name(s.native_handle(), host.c_str());
              s.async_handshake(
                  asio::ssl::stream_base::client,
                  [this, link, gen, conn](const asio::error_code& ec) {
                    if (gen != link->generation) return;
                    if (ec) return Fail(link, gen);
                    OnConnected(link, gen);
                  });
            });
      });
}

void PeerTransport::Impl::OnConnected(Link* link, uint64_t gen) {
  link->state = Link::kConnected;
  link->backoff = kMinBackoff;
  if (!hello_.empty()) {  // first on the wire; Write's handler uncounts it
    queued_bytes_.fetch_add(hello_.size());
    link->queue.push_front(hello_);
  }
  // The peer never writes on this connection: a completed read means it
  // closed (or broke) the connection.
  std::shared_ptr<Conn> conn = link->conn;
  conn->With([&](auto& stream) {
    stream.async_read_some(
        asio::buffer(&link->sink, 1),
        [this, link, gen, conn](const asio::error_code&, size_t) {
          if (gen == link->generation) Fail(link, gen);
        });
  });
  Write(link);
}

void PeerTransport::Impl::Reset(Link* link) {
  ++link->generation;  // silences the old connection's handlers
  link->timer.cancel();
  if (link->conn) link->conn->Close();
  link->conn.reset();
  link->writing = false;
}

void PeerTransport::Impl::Fail(Link* link, uint64_t gen) {
  if (gen != link->generation) return;
  Reset(link);
  link->state = Link::kBackoff;
  link->timer.expires_after(link->backoff);
  link->backoff =
      std::min<std::chrono::milliseconds>(link->backoff * 2, kMaxBackoff);
  const uint64_t now = link->generation;
  link->timer.async_wait([this, link, now](const asio::error_code& ec) {
    if (ec || now != link->generation) return;
    link->state = Link::kIdle;
    if (!link->queue.empty()) Connect(link);
  });
}

void PeerTransport::Impl::Write(Link* link) {
  if (link->writing || link->queue.empty()) return;
  // The batch belongs to the write's handler: it outlives the write even
  // when the link moves on to a new connection.
  auto batch = std::make_shared<std::vector<std::string>>();
  while (!link->queue.empty() && batch->size() < kMaxBatch) {
    batch->push_back(std::move(link->queue.front()));
    link->queue.pop_front();
  }
  std::vector<asio::const_buffer> buffers;
  for (const std::string& f : *batch) buffers.emplace_back(asio::buffer(f));
  link->writing = true;
  const uint64_t gen = link->generation;
  std::shared_ptr<Conn> conn = link->conn;
  conn->With([&](auto& stream) {
    asio::async_write(
        stream, buffers,
        [this, link, gen, conn, batch](const asio::error_code& ec, size_t) {
          for (const std::string& f : *batch) Drop(f.size());
          if (gen != link->generation) return;
          if (ec) return Fail(link, gen);
          link->writing = false;
          Write(link);
        });
  });
}

void PeerTransport::Impl::Accept() {
  auto conn =
      std::make_shared<Conn>(io_, server_tls_ ? &*server_tls_ : nullptr);
  acceptor_.async_accept(conn->socket(), [this,
                                          conn](const asio::error_code& ec) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      SetPeerSocketOptions(conn->socket());
      if (conn->is_tls()) {
        conn->tls().async_handshake(asio::ssl::stream_base::server,
                                    [this, conn](const asio::error_code& ec) {
                                      if (!ec) ReadFrames(conn, true);
                                    });
      } else {
        ReadFrames(conn, true);
      }
    }
    Accept();
  });
}

void PeerTransport::Impl::Deliver(absl::string_view frame, bool first) {
  if (first) {
    if (std::optional<Hello> hello = DecodeHello(frame)) {
      if (options_.api_addrs != nullptr) {
        options_.api_addrs->Learn(hello->node_id, std::move(hello->api_addr));
      }
      return;
    }
  }
  if (coffer::Node* node = node_.load()) node->Receive(frame);
}

void PeerTransport::Impl::ReadFrames(std::shared_ptr<Conn> conn, bool first) {
  auto header = std::make_shared<std::array<unsigned char, 4>>();
  conn->With([&](auto& stream) {
    asio::async_read(
        stream, asio::buffer(*header),
        [this, conn, header, &stream, first](const asio::error_code& ec,
                                             size_t) {
          if (ec) return conn->Close();
          const uint32_t n = uint32_t{(*header)[0]} << 24 |
                             uint32_t{(*header)[1]} << 16 |
                             uint32_t{(*header)[2]} << 8 | (*header)[3];
          if (n > options_.max_frame_bytes) return conn->Close();
          auto body = std::make_shared<std::string>(n, '\0');
          asio::async_read(
              stream, asio::buffer(*body),
              [this, conn, body, first](const asio::error_code& ec, size_t) {
                if (ec) return conn->Close();
                Deliver(*body, first);
                ReadFrames(conn, false);
              });
        });
  });
}

absl::StatusOr<std::unique_ptr<PeerTransport>> PeerTransport::Start(
    const Options& options) {
  auto impl = std::make_unique<Impl>(options);
  if (absl::Status s = impl->Init(); !s.ok()) return s;
  return std::unique_ptr<PeerTransport>(new PeerTransport(std::move(impl)));
}

PeerTransport::PeerTransport(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

PeerTransport::~PeerTransport() { Stop(); }

void PeerTransport::Send(uint64_t to, const std::string& address,
                         std::string frame) {
  impl_->Send(to, address, std::move(frame));
}

void PeerTransport::Serve(coffer::Node* node) { impl_->Serve(node); }

void PeerTransport::Stop() { impl_->Stop(); }

uint64_t PeerTransport::dropped() const { return impl_->dropped(); }

}  // namespace cofferd
