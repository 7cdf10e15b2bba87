// A cluster member as the host names it: shared by node.h (Bootstrap, Join)
// and options.h (retry_join).
//
// Thread-safety: a plain value.
#ifndef COFFER_PEER_H_
#define COFFER_PEER_H_

#include <cstdint>
#include <string>

namespace coffer {

struct Peer {
  uint64_t id = 0;
  std::string address;  // opaque to coffer; handed to Transport::Send
};

}  // namespace coffer

#endif  // COFFER_PEER_H_
