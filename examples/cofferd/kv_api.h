// The KV v2 routes of the HTTP API (see http_api.h): requests whose path
// starts with an enabled kv-v2 mount.
#ifndef COFFER_EXAMPLES_COFFERD_KV_API_H_
#define COFFER_EXAMPLES_COFFERD_KV_API_H_

#include <string>

#include "coffer/node.h"
#include "httplib.h"

namespace cofferd {

// Serves `path` (after /v1/, e.g. "secret/data/app/db"). REQUIRES: the
// request carries the root token. 404 when no mount matches.
void HandleKv(coffer::Node* node, const std::string& path,
              const httplib::Request& req, httplib::Response& res);

}  // namespace cofferd

#endif  // COFFER_EXAMPLES_COFFERD_KV_API_H_
