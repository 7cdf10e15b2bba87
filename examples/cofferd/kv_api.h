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

// The longest enabled mount that `path` lies in ("secret/"), or nullopt,
// as the caller may see it (Node::FindKvMount, Vault's
// sys/internal/ui/mounts: a mount its token grants something under).
// Asks this node's applied state first, then the leader, so that a mount
// enabled through another node a moment ago is found. Refused, it tells
// "no mount" (nullopt) from "no access" only to a caller that may list
// the mounts (read on sys/mounts); any other gets kPermissionDenied.
absl::StatusOr<std::optional<std::string>> FindMount(
    coffer::Node* node, const std::string& path, const httplib::Request& req);

// Serves `path` (after /v1/, e.g. "secret/data/app/db"). The node checks
// the request's token. 404 when no mount matches.
void HandleKv(coffer::Node* node, const std::string& path,
              const httplib::Request& req, httplib::Response& res);

}  // namespace cofferd

#endif  // COFFER_EXAMPLES_COFFERD_KV_API_H_
