// PeerTransport: coffer::Transport over TCP (optionally TLS) with Asio.
//
// Each frame travels as a 4-byte big-endian length and the frame's bytes.
// A node opens one outbound connection per peer and only writes to it; it
// reads frames only from the connections its listener accepts, and hands
// each to Node::Receive. Send never blocks: it queues the frame (bounded;
// beyond the bound frames are dropped, which coffer's protocols tolerate)
// and the I/O thread writes it. A broken connection is reopened with
// exponential backoff (50 ms doubling to 2 s); frames lost with it are
// resent by raft.
//
// With Options::hello set, every connection this node dials starts with
// that hello frame (api_addrs.h), and the first frame of every accepted
// connection that is a hello goes to Options::api_addrs, not to the node.
//
// TLS: with TlsConfig::enabled both directions use TLS 1.2+ with the
// listener's certificate. With a client CA file the listener requires and
// verifies a peer certificate issued by it (mutual TLS), and the dialling
// side verifies the listener's certificate against the same CA and the
// peer's address (IP or DNS name in subjectAltName). Without a CA file the
// dialling side verifies against the system's trust store.
//
// Thread-safety: Send and Serve are thread-safe. One I/O thread does every
// socket operation. Stop joins it; after Stop no Receive call is made.
#ifndef COFFER_EXAMPLES_COFFERD_PEER_TRANSPORT_H_
#define COFFER_EXAMPLES_COFFERD_PEER_TRANSPORT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "api_addrs.h"
#include "coffer/node.h"
#include "coffer/transport.h"
#include "config.h"

namespace cofferd {

class PeerTransport final : public coffer::Transport {
 public:
  struct Options {
    std::string listen;  // host:port of the peer listener
    TlsConfig tls;
    // Frames queued and not yet written, over all peers, in bytes.
    size_t max_queued_bytes = size_t{256} << 20;
    // Largest frame accepted from a peer; a longer one closes the
    // connection.
    uint32_t max_frame_bytes = uint32_t{128} << 20;
    // This node's hello (node id and API URL); none is sent when its
    // api_addr is empty.
    Hello hello;
    // Where peers' hellos are recorded; borrowed, outlives the transport.
    // Null: hellos received are dropped.
    ApiAddrs* api_addrs = nullptr;
  };

  // Binds the listener and starts the I/O thread. Frames received before
  // Serve are dropped. kInvalidArgument for a bad certificate or key;
  // kUnavailable when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<PeerTransport>> Start(
      const Options& options);
  ~PeerTransport() override;  // Stop()

  void Send(uint64_t to, const std::string& address,
            std::string frame) override;

  // Delivers received frames to `node` (borrowed; call Stop before
  // destroying it).
  void Serve(coffer::Node* node);
  // Stops the I/O thread and closes every connection. Idempotent.
  void Stop();

  // Frames dropped because a queue was full (for logs and tests).
  uint64_t dropped() const;

 private:
  class Impl;
  explicit PeerTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cofferd

#endif  // COFFER_EXAMPLES_COFFERD_PEER_TRANSPORT_H_
