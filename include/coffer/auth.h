// Who may do what: the caller of a Node call, tokens and ACL policies, with
// Vault's semantics (token store, policy language, capabilities).
//
// Every Node call that reads or changes the cluster's data or configuration
// takes a Caller: the bearer token of whoever asks. The node checks it
// against the token's policies before the call does anything; a refused
// call is kPermissionDenied "node: permission denied" and changes nothing.
// There is no way around it: a host that trusts its own code holds a token
// (Initialize's root token, or one created for it) like any client. The
// calls Vault serves without a token take no Caller: Bootstrap, Join,
// Leader, Initialize, SubmitUnsealKey, GetSealStatus, Rekey, SealMigrate,
// and the peer calls of a cluster not yet initialized.
//
// Which capability on which path each call needs is one table in the
// library (lib/node/access.cc); docs/design.md lists it. The paths are
// Vault's: a KV read of "app" on mount "secret/" needs read on
// "secret/data/app", a token creation update on "auth/token/create", etc.
//
// Thread-safety: plain values.
#ifndef COFFER_AUTH_H_
#define COFFER_AUTH_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace coffer {

// The caller of one Node call. Borrowed: `token` and `remote_address`
// must outlive the call, which does not keep them. A distinct type, so that
// a token is never passed where a path was meant.
//
// `remote_address` is the client's IP address (IPv4 or IPv6, no port) as
// the host saw it, or empty when the host has none: it is checked against
// the bound CIDRs of login tokens, roles and secret-ids
// (coffer/auth_methods.h), which an empty one never satisfies.
class Caller {
 public:
  explicit Caller(absl::string_view token) : token_(token) {}
  Caller(absl::string_view token, absl::string_view remote_address)
      : token_(token), remote_address_(remote_address) {}
  absl::string_view token() const { return token_; }
  absl::string_view remote_address() const { return remote_address_; }

 private:
  absl::string_view token_;
  absl::string_view remote_address_;
};

// Vault's auth/token/create parameters.
struct TokenCreateRequest {
  // Empty: the caller's policies. Names are trimmed and lower-cased;
  // "default" is added unless no_default_policy; "root" stands alone and
  // needs a root caller. Others must be the caller's unless it has sudo on
  // the create path.
  std::vector<std::string> policies;
  bool no_default_policy = false;
  std::map<std::string, std::string> metadata;
  // An orphan: no parent, so it outlives the caller's revocation. Needs
  // sudo on auth/token/create, or update on auth/token/create-orphan
  // (CreateOrphanToken), or a root caller.
  bool no_parent = false;
  bool renewable = true;
  absl::Duration ttl = absl::ZeroDuration();  // zero: the default (768 h)
  absl::Duration explicit_max_ttl = absl::ZeroDuration();  // zero: none
  absl::Duration period = absl::ZeroDuration();  // periodic; needs sudo
  std::string display_name;                      // "token-<name>"
  uint32_t num_uses = 0;                         // 0: unlimited
};

// A token, as Vault's token lookup shows it. Never holds the token's id.
struct TokenInfo {
  std::string accessor;
  std::vector<std::string> policies;  // sorted
  std::map<std::string, std::string> metadata;
  std::string display_name;
  uint32_t num_uses = 0;  // uses left; 0: unlimited
  absl::Time creation_time = absl::UnixEpoch();
  absl::Duration creation_ttl = absl::ZeroDuration();  // zero: no expiry
  std::optional<absl::Time> expire_time;               // nullopt: never
  absl::Duration ttl = absl::ZeroDuration();  // left at the lookup's time
  absl::Duration explicit_max_ttl = absl::ZeroDuration();
  absl::Duration period = absl::ZeroDuration();
  bool renewable = false;
  bool orphan = false;
  std::optional<absl::Time> last_renewal_time;
  std::string type = "service";
  // A token from a login (coffer/auth_methods.h): Vault's "path" (e.g.
  // "auth/approle/login"; empty otherwise) and the CIDR blocks it is
  // usable from (empty: anywhere).
  std::string path;
  std::vector<std::string> bound_cidrs;
};

// A token just created. Secret: `id` is the credential; hand it to its
// holder, then wipe it. It cannot be shown again.
struct CreatedToken {
  std::string id;  // "hvs." + 33 base62 characters (192 random bits)
  TokenInfo info;
};

// A token addressed by its id or by its accessor (which names a token
// without being able to use it).
struct TokenRef {
  enum class Kind { kId, kAccessor, kSelf };
  static TokenRef Id(absl::string_view id) { return {Kind::kId, id}; }
  static TokenRef Accessor(absl::string_view a) { return {Kind::kAccessor, a}; }
  // The caller's own token (Vault's lookup-self, renew-self, revoke-self).
  static TokenRef Self() { return {Kind::kSelf, {}}; }

  Kind kind;
  absl::string_view value;  // borrowed for the call; empty for kSelf
};

// How a revocation treats the token's children.
enum class RevokeMode {
  kTree,    // revoke, revoke-self, revoke-accessor: the whole tree
  kOrphan,  // revoke-orphan: the children become orphans (needs sudo)
};

// An audit device (Vault's sys/audit). Every request made with a token is
// recorded, before it runs, by every device enabled on the node that
// serves it, and so is its response: one JSON object a line in Vault's
// format, with every string that may be sensitive (tokens, accessors,
// request and response data) replaced by "hmac-sha256:<hex>" under the
// device's own key (AuditHash computes it). If at least one device is
// enabled and none can record a request, the request fails with
// kUnavailable and changes nothing. The device table is replicated; each
// node writes its own records.
//
// Types:
//   "file"      options: file_path (required): an absolute path, "stdout",
//               or a path relative to the node's data_dir; mode (octal,
//               default "0600"). The leader checks that it can open it.
//   "callback"  hands each record to NodeOptions::audit_callback (a device
//               of a node without one cannot record).
struct AuditDevice {
  std::string path;  // where it is enabled, e.g. "file/" (trailing '/')
  std::string type;
  std::string description;
  std::map<std::string, std::string> options;
};

}  // namespace coffer

#endif  // COFFER_AUTH_H_
