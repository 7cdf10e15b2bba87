// Vault's token store and ACL policy endpoints over coffer::Node's access
// control: auth/token/* (create, create-orphan, lookup*, renew*, revoke*,
// accessors), sys/policies/acl/*, the older sys/policy/*, and
// sys/capabilities*. Request and response bodies and status codes are
// Vault's. The node checks every request's token itself.
//
// Thread-safety: stateless; any number of requests at once.
// Errors: Vault's {"errors": [...]} bodies via StatusError (403 "permission
// denied" for any refused token; 400 for malformed bodies).
#ifndef COFFER_EXAMPLES_COFFERD_AUTH_API_H_
#define COFFER_EXAMPLES_COFFERD_AUTH_API_H_

#include <string>

#include "coffer/node.h"
#include "httplib.h"

namespace cofferd {

// Serves `path` (after /v1/) when it is one of the endpoints above and
// returns true; false (nothing answered) for any other path.
bool HandleAuth(coffer::Node* node, const std::string& method,
                const std::string& path, const httplib::Request& req,
                httplib::Response& res);

}  // namespace cofferd

#endif  // COFFER_EXAMPLES_COFFERD_AUTH_API_H_
