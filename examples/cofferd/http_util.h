// Helpers shared by the HTTP handlers: Vault's JSON envelope and errors,
// status code mapping, time and duration formats.
#ifndef COFFER_EXAMPLES_COFFERD_HTTP_UTIL_H_
#define COFFER_EXAMPLES_COFFERD_HTTP_UTIL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "coffer/node.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

namespace cofferd {

using json = nlohmann::json;

// Writes `body` with `code`. Bytes that are not UTF-8 (values written by
// other front ends) are replaced rather than failing the response.
void Reply(httplib::Response& res, int code, const json& body);
// 204 No Content.
void NoContent(httplib::Response& res);
// {"errors": [message]} with `code`.
void Error(httplib::Response& res, int code, const std::string& message);
// Maps a Node status to Vault's code and error body:
// kInvalidArgument, kAborted (cas) -> 400; kPermissionDenied -> 403
// "permission denied" (Vault's words, whatever the reason);
// kNotFound -> 404; kFailedPrecondition, kUnavailable, kDeadlineExceeded,
// a full backlog -> 503; an entry too large -> 413; else 500.
void StatusError(httplib::Response& res, const absl::Status& s);
// Vault's envelope around `data` for a secret response.
json Envelope(json data);
// Parses the request body as a JSON object ({} when empty); on failure
// answers 400 and returns nullopt.
std::optional<json> Body(const httplib::Request& req, httplib::Response& res);

// RFC 3339 with nanoseconds in UTC, as Vault; "" for nullopt.
std::string Rfc3339(absl::Time t);
// Go's duration format ("0s", "1h30m0s", "250ms").
std::string GoDuration(absl::Duration d);
// A duration as Vault takes it: "30m", "1h30m", or an integer of seconds
// (number or string). False when malformed or negative.
bool ParseVaultDuration(const json& v, absl::Duration* out);
// An unsigned integer given as a JSON number or a string of digits.
bool ParseUint(const json& v, uint64_t* out);
// A list as Vault takes it: a JSON array of strings, or one string of
// comma-separated items (trimmed, empty ones skipped).
bool ParseStringList(const json& v, std::vector<std::string>* out);
// A boolean given as JSON true/false or the string "true"/"false".
bool ParseBool(const json& v, bool* out);
// Whole seconds, as Vault's JSON shows ttls.
int64_t Seconds(absl::Duration d);
// Token or login metadata as Vault shows it: an object, or null when empty.
json MetadataJson(const std::map<std::string, std::string>& m);

// The methods Vault writes with, and its LIST (also GET ?list=true).
bool IsWrite(const std::string& method);
bool IsList(const std::string& method, const httplib::Request& req);
// 405 "unsupported operation".
void MethodNotAllowed(httplib::Response& res);

// The request's bearer token (X-Vault-Token, else "Authorization: Bearer
// <token>"; empty when neither) as the Caller of a Node call. Borrows from
// `req`'s headers: use it within the handler. The node checks the token
// itself; cofferd never does.
coffer::Caller CallerOf(const httplib::Request& req);

// Answers 503 "coffer is sealed" when this node is sealed or
// uninitialized (Vault's answer before any token is looked at); true when
// the request may go on to the node.
bool Unsealed(coffer::Node* node, httplib::Response& res);

// The consistency asked for by X-Coffer-Consistency.
coffer::ReadConsistency Consistency(const httplib::Request& req);

}  // namespace cofferd

#endif  // COFFER_EXAMPLES_COFFERD_HTTP_UTIL_H_
