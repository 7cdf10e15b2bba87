// The KV v2 routes of the HTTP API (see http_api.h): requests whose path
// starts with an enabled kv-v2 mount.
#ifndef COFFER_EXAMPLES_COFFERD_KV_API_H_
#define COFFER_EXAMPLES_COFFERD_KV_API_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "coffer/node.h"
#include "httplib.h"

namespace cofferd {

// The longest enabled mount that `path` lies in ("secret/"), or nullopt.
// Looks at this node's applied mounts first, then asks the leader, so that
// a mount enabled through another node a moment ago is found.
// A caller that may not list the mounts (read on sys/mounts) gets the
// path's first segment as its mount; the KV call it makes is checked by
// the node like any other.
absl::StatusOr<std::optional<std::string>> FindMount(
    coffer::Node* node, const std::string& path, const httplib::Request& req);

// Serves `path` (after /v1/, e.g. "secret/data/app/db"). The node checks
// the request's token. 404 when no mount matches.
void HandleKv(coffer::Node* node, const std::string& path,
              const httplib::Request& req, httplib::Response& res);

}  // namespace cofferd

#endif  // COFFER_EXAMPLES_COFFERD_KV_API_H_
