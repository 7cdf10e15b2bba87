// ApiAddrs: the HTTP API URL of each cluster member, as this cofferd knows
// it, for what a standby tells a client about the active node (sys/leader's
// leader_address, the redirect of a snapshot restore).
//
// Two sources. The config's storage.raft peers name some (configured; they
// win). Every peer names its own in the hello frame it sends first on each
// connection it dials (learned): that is the only way a node joined by
// retry_join, or a node that was not in this node's config, becomes known.
// A learned address is as trustworthy as the peer listener it came
// through: with a client CA only verified peers can send one.
//
// The hello frame is "cofferd-hello/1\n<node id>\n<api url>". It is sent
// only as the first frame of a connection and looked for only there, so a
// raft frame is never taken for one; a cofferd that predates it hands it
// to Node::Receive, which drops it as malformed.
//
// Thread-safety: ApiAddrs is thread-safe; the free functions are pure.
#ifndef COFFER_EXAMPLES_COFFERD_API_ADDRS_H_
#define COFFER_EXAMPLES_COFFERD_API_ADDRS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace cofferd {

class ApiAddrs {
 public:
  void Configure(uint64_t id, std::string url);
  // Records what peer `id` says its URL is, unless the config names one.
  void Learn(uint64_t id, std::string url);
  // The URL of node `id`; "" when it is not known.
  std::string Of(uint64_t id) const;

 private:
  mutable absl::Mutex mu_;
  std::map<uint64_t, std::string> configured_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, std::string> learned_ ABSL_GUARDED_BY(mu_);
};

struct Hello {
  uint64_t node_id = 0;
  std::string api_addr;
};

std::string EncodeHello(const Hello& hello);
// nullopt unless `frame` is a well-formed hello: the prefix, a non-zero
// decimal id, and an http:// or https:// URL of at most 2,048 bytes with no
// control characters.
std::optional<Hello> DecodeHello(absl::string_view frame);

}  // namespace cofferd

#endif  // COFFER_EXAMPLES_COFFERD_API_ADDRS_H_
