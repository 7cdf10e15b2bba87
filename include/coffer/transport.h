// The host's side of node-to-node messaging.
//
// coffer never opens a socket. A node hands each outgoing frame (opaque bytes)
// to the host's Transport, addressed by the receiving node's id and by the
// address string the host configured for that node (NodeOptions::address,
// carried in the cluster's membership). The host delivers it, by any means, to
// the receiving process, which passes it to coffer::Node::Receive.
//
// Delivery may be unreliable: frames may be lost, duplicated, delayed or
// reordered; coffer's protocols tolerate all of that. Frames are not
// encrypted or authenticated by coffer: the host's transport should protect
// them (mutual TLS, for example), since they carry the replicated
// (barrier-encrypted) state and the answers to forwarded requests.
//
// Thread-safety: Send is called from the node's one event-loop thread only,
// but a host serving several nodes in one process sees calls from several
// threads and must be thread-safe for that.
#ifndef COFFER_TRANSPORT_H_
#define COFFER_TRANSPORT_H_

#include <cstdint>
#include <string>

#include "coffer/export.h"

namespace coffer {

class COFFER_EXPORT Transport {
 public:
  virtual ~Transport();

  // Queues `frame` for the node `to`, reachable at `address` (may be empty
  // when the address is not yet known; the host may still know `to`).
  // Must not block and must not call back into the sending Node (queue and
  // return); frames that cannot be delivered may be dropped silently.
  virtual void Send(uint64_t to, const std::string& address,
                    std::string frame) = 0;
};

}  // namespace coffer

#endif  // COFFER_TRANSPORT_H_
