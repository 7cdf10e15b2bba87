// Vault's audit device endpoints over coffer::Node's audit devices:
// sys/audit (GET: the enabled devices), sys/audit/<path> (PUT/POST:
// enable, DELETE: disable) and sys/audit-hash/<path> (POST: the HMAC of an
// input under that device's key). Request and response bodies and status
// codes are Vault's; the node checks every request's token itself (sudo).
//
// Thread-safety: stateless; any number of requests at once.
// Errors: Vault's {"errors": [...]} bodies via StatusError (400 for
// malformed bodies or bad options, 403 for a refused token, 404 for no
// device at a path).
#ifndef COFFER_EXAMPLES_COFFERD_AUDIT_API_H_
#define COFFER_EXAMPLES_COFFERD_AUDIT_API_H_

#include <string>

#include "coffer/node.h"
#include "httplib.h"

namespace cofferd {

// Serves `path` (after /v1/) when it is one of the endpoints above and
// returns true; false (nothing answered) for any other path.
bool HandleAudit(coffer::Node* node, const std::string& method,
                 const std::string& path, const httplib::Request& req,
                 httplib::Response& res);

}  // namespace cofferd

#endif  // COFFER_EXAMPLES_COFFERD_AUDIT_API_H_
