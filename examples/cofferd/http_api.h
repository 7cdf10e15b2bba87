// HttpApi: the subset of HashiCorp Vault's HTTP API that coffer implements,
// served by cpp-httplib over a coffer::Node.
//
// Routes (all under /v1/; bodies and answers in Vault's JSON shapes):
//   sys/init GET PUT, sys/unseal PUT, sys/seal PUT, sys/seal-status GET,
//   sys/health GET HEAD (Vault's codes and its query parameters),
//   sys/leader GET, sys/mounts GET, sys/mounts/<path> GET POST DELETE,
//   sys/storage/raft/configuration GET, sys/storage/raft/remove-peer POST,
//   sys/storage/raft/add-peer POST (coffer's: {server_id, address, voter}),
//   sys/internal/ui/mounts/<path> GET (what Vault's CLI asks first),
//   sys/storage/raft/snapshot GET POST, snapshot-force POST
//   (snapshot_api.h),
//   and KV v2 under each mount: data/, delete/, undelete/, destroy/,
//   metadata/ (LIST as GET ?list=true, which is what Vault's clients send;
//   cpp-httplib refuses the LIST method itself), config GET.
//   auth/token/*, sys/policies/acl/*, sys/policy/*, sys/capabilities*
//   (auth_api.h).
// Every route but init, unseal, seal-status, health and leader passes the
// token in X-Vault-Token (or "Authorization: Bearer") to the node, which
// checks it against its policies (coffer/auth.h). Errors are
// {"errors": [...]} with Vault's status codes: 400 bad input (and a
// check-and-set mismatch), 403 "permission denied" (a token missing,
// unknown, expired, revoked or not allowed the call), 404 no such key or
// route, 405 a method the route does not take, 503 sealed, no leader or no
// quorum (never 403).
// A standby serves every request itself: the Node forwards writes and
// linearizable reads to the leader. "X-Coffer-Consistency: stale" makes a
// read use this node's applied state instead (coffer's extension).
//
// Thread-safety: handlers run on cpp-httplib's worker threads and share
// nothing but the (thread-safe) Node.
#ifndef COFFER_EXAMPLES_COFFERD_HTTP_API_H_
#define COFFER_EXAMPLES_COFFERD_HTTP_API_H_

#include <cstdint>
#include <map>
#include <string>

#include "api_addrs.h"
#include "coffer/node.h"
#include "httplib.h"

namespace cofferd {

class MetricsRegistry;

struct HttpApiOptions {
  std::string api_addr;  // this node's API URL
  // The other nodes' URLs, when known. Borrowed; outlives the server.
  const ApiAddrs* api_addrs = nullptr;
  // Where snapshots pass through on their way (the data directory).
  std::string scratch_dir;
  // Set: every /v1/ request but snapshots' is counted and timed there
  // (MetricsRegistry::ObserveHttp). Borrowed; outlives the server.
  MetricsRegistry* metrics = nullptr;
};

// Registers the routes on `server`. `node` is borrowed and must outlive
// the server's last request.
void RegisterHttpApi(httplib::Server* server, coffer::Node* node,
                     const HttpApiOptions& options);

}  // namespace cofferd

#endif  // COFFER_EXAMPLES_COFFERD_HTTP_API_H_
