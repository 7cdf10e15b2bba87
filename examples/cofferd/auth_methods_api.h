// Vault's auth method endpoints over coffer::Node's auth methods
// (coffer/auth_methods.h): sys/auth (GET: the enabled methods),
// sys/auth/<path> (PUT/POST: enable, DELETE: disable), and under
// auth/<mount>: AppRole's role/<name> (POST, GET, DELETE), role (LIST),
// role/<name>/role-id (GET), role/<name>/secret-id (POST),
// role/<name>/secret-id-accessor/lookup|destroy (POST), login (POST, no
// token); userpass's users/<name> (POST, GET, DELETE), users (LIST),
// users/<name>/password (POST), login/<name> (POST, no token). Bodies and
// codes are Vault's; the node checks every token itself, and the caller's
// address (the connection's peer) goes with each request for bound CIDRs.
//
// Thread-safety: stateless; any number of requests at once.
// Errors: Vault's {"errors": [...]} bodies via StatusError (400 for
// malformed bodies, 403 for a refused token or a refused login, 404 for no
// method, role or user).
#ifndef COFFER_EXAMPLES_COFFERD_AUTH_METHODS_API_H_
#define COFFER_EXAMPLES_COFFERD_AUTH_METHODS_API_H_

#include <string>

#include "coffer/node.h"
#include "httplib.h"

namespace cofferd {

// Serves `path` (after /v1/) when it is one of the endpoints above and
// returns true; false (nothing answered) for any other path.
bool HandleAuthMethods(coffer::Node* node, const std::string& method,
                       const std::string& path, const httplib::Request& req,
                       httplib::Response& res);

}  // namespace cofferd

#endif  // COFFER_EXAMPLES_COFFERD_AUTH_METHODS_API_H_
