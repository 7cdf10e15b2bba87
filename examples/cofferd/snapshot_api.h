// The snapshot routes of the HTTP API (see http_api.h), as Vault's:
//   GET  sys/storage/raft/snapshot        the snapshot file, streamed
//   POST sys/storage/raft/snapshot        restores this cluster's snapshot
//   POST sys/storage/raft/snapshot-force  also another cluster's; its
//        unseal shares go in X-Coffer-Unseal-Keys (comma-separated)
// The file passes through a temporary file in `scratch_dir` each way, so
// memory stays bounded and a failed save or restore answers with an error
// status before any byte is streamed. A restore runs on the leader: a
// standby answers 307 with the leader's API address when it knows it.
#ifndef COFFER_EXAMPLES_COFFERD_SNAPSHOT_API_H_
#define COFFER_EXAMPLES_COFFERD_SNAPSHOT_API_H_

#include <string>

#include "coffer/node.h"
#include "http_api.h"
#include "httplib.h"

namespace cofferd {

// Largest snapshot accepted by a restore.
inline constexpr uint64_t kMaxSnapshotBytes = uint64_t{64} << 30;

// True for the routes whose request body is streamed to disk.
bool IsSnapshotRoute(const std::string& path);

// Registers the routes; call before the API's catch-all routes. `node` is
// borrowed and must outlive the server's last request.
void RegisterSnapshotApi(httplib::Server* server, coffer::Node* node,
                         const HttpApiOptions& options);

}  // namespace cofferd

#endif  // COFFER_EXAMPLES_COFFERD_SNAPSHOT_API_H_
