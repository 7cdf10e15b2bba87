// coffer::Node: one member of a coffer cluster, embedded in the host process.
//
// Concepts. Nodes form a Raft cluster; the host moves their frames (see
// coffer/transport.h). The replicated state is a physical key/value store;
// all logical work (the seal, the barrier, secrets) runs on the leader, whose
// physical writes are replicated and applied by every node, sealed or not.
// Each node has its own seal (as in Vault): after Initialize, every node is
// unsealed separately, with the same shares, and holds the keys only in
// memory. A sealed node keeps replicating ciphertext but serves no data.
//
// Life cycle. Open a node on its data directory. A brand-new cluster starts
// with Bootstrap on its initial members (every one of them, with the same
// list); a node that joins later is opened empty and either added with
// AddPeer on the cluster or asks to join (Join, NodeOptions::retry_join).
// Reopening a data directory recovers everything; the node comes back
// sealed (Shamir) or unseals itself (Kms in the options).
//
// Access. Every call that reads or changes the cluster's data or settings
// takes a Caller, whose token is checked against its policies first; see
// coffer/auth.h for which calls are open.
//
// Threading. A Node owns one event-loop thread, the only one touching its
// raft core, storage and seal. Every public method is thread-safe: it posts
// its work to the loop and blocks until the result is ready or
// NodeOptions::request_timeout passes, except Receive (never blocks). Host
// callbacks (Transport::Send, the Kms) run on the loop thread (only Open
// calls the Kms on its caller's thread, before the loop starts); they must
// not call back into the Node.
//
// Errors (absl::Status; messages start with "node: ", never hold secrets):
//   kInvalidArgument    bad options (naming the field) or arguments
//   kFailedPrecondition sealed, not initialized, already initialized or
//                       bootstrapped, closed, removed from the cluster: do
//                       not retry until that changes
//   kPermissionDenied   the Caller's token may not make the call (see
//                       coffer/auth.h); a complete set of unseal shares
//                       that is wrong
//   kUnavailable        no leader or no quorum: retry; the message names the
//                       leader when one is known; a write that fails with it
//                       may or may not have been applied
//   kDeadlineExceeded   no result within request_timeout (same caveat)
//   kResourceExhausted  too many requests pending, or a request too large
//   kNotFound           GetRaw of an absent path; KV: no such mount, key
//                       or version
//   kAborted            KV: check-and-set mismatch: re-read and retry
//   kAlreadyExists      Join: the cluster has a member with this id or
//                       address
//   kDataLoss           corrupt or tampered data on disk or in a frame
//   kInternal           a bug
// After a storage write fails, or a snapshot received from the leader
// cannot be installed, the node stops (every call returns that error);
// Close and reopen it.
#ifndef COFFER_NODE_H_
#define COFFER_NODE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "coffer/auth.h"
#include "coffer/auth_methods.h"
#include "coffer/export.h"
#include "coffer/kv.h"
#include "coffer/options.h"
#include "coffer/peer.h"
#include "coffer/seal.h"
#include "coffer/snapshot.h"

namespace coffer {

// What Vault's sys/leader reports.
struct LeaderInfo {
  bool ha_enabled = true;  // always true: coffer is always clustered
  bool is_self = false;    // this node is the leader
  uint64_t leader_id = 0;  // 0 when no leader is known
  std::string leader_address;
  uint64_t term = 0;  // this node's current raft term
};

// One member, as ListPeers reports it.
struct PeerInfo {
  uint64_t id = 0;
  std::string address;  // empty when not known yet
  // "leader", "follower", "candidate" or "pre-candidate" for this node;
  // "leader" or "follower" for others (as far as this node knows).
  std::string state;
  bool voter = true;  // false for a non-voting learner
  // The peer's highest log index known replicated to it. Reported by the
  // leader only (0 elsewhere); for the leader itself, its last index.
  uint64_t match_index = 0;
  // The leader's view of the time since the peer last answered it. Reported
  // by the leader only (zero elsewhere); zero for the leader itself.
  absl::Duration last_contact = absl::ZeroDuration();
};

struct InitializeOptions {
  int secret_shares = 5;       // Shamir seal: 1..255
  int secret_threshold = 3;    // 1..secret_shares (>= 2 when shares > 1)
  int recovery_shares = 5;     // auto seal (Kms): recovery shares
  int recovery_threshold = 3;  // auto seal
};

// Secret: show to the operators once, then wipe.
struct InitializeResult {
  std::vector<std::string> keys;           // unseal shares (Shamir seal), hex
  std::vector<std::string> recovery_keys;  // recovery shares (Kms), hex
  // A root-policy token for the cluster's first administrator (an ordinary
  // token: it can be revoked). Only a keyed hash of it is stored; it cannot
  // be shown again.
  std::string root_token;
};

// The barrier's active data key, as Vault's sys/key-status reports it.
struct KeyStatus {
  uint32_t term = 0;  // the keyring term that encrypts new data (1 at init)
  // When the term was installed by RotateKey (the leader's clock);
  // absl::UnixEpoch() when not recorded: term 1 (made by Initialize) and
  // terms added by the barrier's automatic rotation.
  absl::Time install_time = absl::UnixEpoch();
  // Encryptions under the term as counted by this node: an upper bound, as
  // each unseal and each adoption of a rotated keyring adds 1/64 of the
  // automatic rotation limit (2^30) so that a crash can only make the next
  // automatic rotation come early. 0 in RotateKey's result.
  uint64_t encryptions = 0;
};

// A version read by KvGet. A deleted or destroyed version is reported with
// its metadata and no data (Vault answers such a read with a 404 that still
// holds the metadata).
struct KvReadResult {
  VersionMetadata metadata;
  std::optional<SecretData> data;  // nullopt: deleted or destroyed
  // The fields of `data` written as JSON text (WriteOptions::json_fields).
  std::set<std::string> json_fields;
};

enum class ReadConsistency {
  // Linearizable (default): the read reflects every write acknowledged
  // before it began. Served by the leader after a ReadIndex round (raft
  // thesis 6.4); a follower forwards it.
  kLinearizable,
  // This node's applied state, without asking the leader: may miss recent
  // writes, works without a quorum.
  kStale,
};

class COFFER_EXPORT Node {
 public:
  // Opens (or creates) the node's state in options.data_dir and starts its
  // event loop. A new data directory waits for Bootstrap or to be added by a
  // cluster. Errors: kInvalidArgument naming a bad option; kUnavailable when
  // the directory cannot be created or is locked by another Node; kDataLoss
  // for corrupt state; kFailedPrecondition for a newer on-disk format.
  // Blocks on disk I/O; may call the Kms.
  static absl::StatusOr<std::unique_ptr<Node>> Open(const NodeOptions& options);

  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  // Closes the node (see Close).
  virtual ~Node();

  // Stops the event loop and releases the data directory. Waiting calls
  // fail with kFailedPrecondition; later calls too. Everything acknowledged
  // is durable (with options.sync). Idempotent; blocks until the loop ends.
  virtual void Close() = 0;

  // Hands over a frame that the host received for this node. Never blocks
  // and never fails: frames that are malformed, of another format version,
  // for another node, or beyond the backlog bound are dropped (the protocols
  // recover). `frame` is copied before returning. Thread-safe; the host
  // must stop calling it before destroying the Node.
  virtual void Receive(absl::string_view frame) = 0;

  // Starts a new cluster whose voters are `peers` (which must include this
  // node). Call it on every initial member with the same list, or on one
  // node with only itself and AddPeer the others. kFailedPrecondition when
  // this node already has raft state; kInvalidArgument for an empty list,
  // duplicate or zero ids, a missing address, or a list without this node.
  // Returns once the bootstrap is durable, not when a leader is elected.
  virtual absl::Status Bootstrap(const std::vector<Peer>& peers) = 0;

  // Adds a member (a voter, or a non-voting learner), forwarded to the
  // leader. Returns when the change is applied on the leader; the new node
  // (opened on an empty data directory) then catches up. The new member
  // must be unsealed separately. As in Vault, a safe way to grow is a
  // learner first (voter=false), then AddPeer(voter=true) once ListPeers
  // shows it caught up: that promotes it (refused until it has caught up).
  // kFailedPrecondition while another change is in flight or for an invalid
  // change (already a member in that role); kUnavailable without a leader.
  virtual absl::Status AddPeer(const Caller& caller, uint64_t id,
                               const std::string& address, bool voter) = 0;
  // Removes a member, forwarded to the leader. Errors as AddPeer. The
  // removed node learns it (see GetSealStatus's removed_from_cluster) and
  // its id is never admitted again.
  virtual absl::Status RemovePeer(const Caller& caller, uint64_t id) = 0;

  // Asks to join an existing cluster (Vault's `operator raft join`), for a
  // node opened on an empty data directory. The node asks `known_peers`
  // (any members: a follower points it to the leader) through the
  // transport; the leader answers with a challenge that only a node holding
  // the cluster's seal can answer: with the Shamir seal, submit a threshold
  // of the cluster's unseal shares to this node (SubmitUnsealKey); with a
  // Kms, the node unwraps the cluster's root key with its own Kms. The
  // leader then adds the node as a learner and, once it has caught up,
  // promotes it to voter. The node unseals itself with the keys it derived
  // once it has replicated the seal records.
  //
  // Returns OK once the challenge arrived (Shamir: the node now waits for
  // the unseal shares) or once admitted (Kms). NodeOptions::retry_join does
  // the same at Open, retrying until admitted. Errors: kFailedPrecondition
  // when this node already has raft state, was removed from a cluster, or
  // a join is already running, or from the leader: the cluster is not
  // initialized; kAlreadyExists when the cluster has a member with this id
  // or address; kInvalidArgument for an empty list, a zero id, this node's
  // own id or a bad address; kPermissionDenied when this node's Kms cannot
  // open the cluster's root key; kDeadlineExceeded when no leader answered
  // within request_timeout. Blocks up to request_timeout; may call the Kms.
  virtual absl::Status Join(const std::vector<Peer>& known_peers) = 0;

  // This node's view of the leader (no network round trip).
  virtual absl::StatusOr<LeaderInfo> Leader() = 0;
  // The members in the configuration this node has applied, by id.
  virtual absl::StatusOr<std::vector<PeerInfo>> ListPeers(
      const Caller& caller) = 0;

  // Initializes the cluster's seal: creates the root key and keyring and
  // splits the unseal key into shares (or, with a Kms, wraps the root key
  // and makes recovery shares). Runs on the leader (forwarded), so the
  // result crosses the transport once. With the Shamir seal every node,
  // including this one, stays sealed until unsealed. kFailedPrecondition if
  // already initialized; kInvalidArgument for bad share counts.
  virtual absl::StatusOr<InitializeResult> Initialize(
      const InitializeOptions& options) = 0;

  // Submits one unseal share to this node's current unseal attempt (raw,
  // hex or base64). Returns the seal status after it; `sealed` turns false
  // when a threshold of right shares is in. Reads only this node's applied
  // seal records. kInvalidArgument for a malformed share; kPermissionDenied
  // for a wrong complete set (the attempt resets); kFailedPrecondition
  // before Initialize, with an auto seal, or while a seal migration is
  // pending (use SealMigrate). On an unsealed node it only returns the
  // status. On a joining node (see Join) the shares open the
  // seal records of the join challenge; the last one answers it and
  // returns once the leader admitted the node (still sealed: it unseals
  // itself after catching up), or with the leader's refusal.
  virtual absl::StatusOr<SealStatus> SubmitUnsealKey(
      absl::string_view share) = 0;
  // Seals this node only: wipes its keys and unseal progress. Idempotent.
  virtual absl::Status Seal(const Caller& caller) = 0;
  // This node's seal status.
  virtual absl::StatusOr<SealStatus> GetSealStatus() = 0;

  // --- Tokens (Vault's auth/token/*; types in coffer/auth.h). A token is
  // checked on the node that serves the call, on its applied state after a
  // ReadIndex round, so a token revoked or expired anywhere is refused
  // everywhere once the change is acknowledged. Writes (create, renew,
  // revoke, and every use of a token with limited uses) run on the leader.
  // Errors besides the node's: kPermissionDenied for a caller whose token
  // is unknown, expired, revoked or used up, or whose policies do not allow
  // the call ("node: permission denied", the same for every reason);
  // kFailedPrecondition before Initialize; kInvalidArgument for bad
  // arguments and the renewals Vault refuses.

  // Creates a token, a child of the caller's unless request.no_parent
  // (auth/token/create). `orphan_endpoint` is Vault's create-orphan: an
  // orphan, authorized by update on auth/token/create-orphan.
  virtual absl::StatusOr<CreatedToken> CreateToken(
      const Caller& caller, const TokenCreateRequest& request,
      bool orphan_endpoint = false) = 0;
  // The token `ref` names (lookup, lookup-accessor, lookup-self).
  // kPermissionDenied for an unusable id; kNotFound for an unknown accessor.
  virtual absl::StatusOr<TokenInfo> LookupToken(const Caller& caller,
                                                const TokenRef& ref) = 0;
  // Renews the token `ref` names by `increment` (zero: its last ttl;
  // periodic tokens get their period): renew, renew-accessor, renew-self.
  // Returns it as renewed. kNotFound for an unknown accessor.
  virtual absl::StatusOr<TokenInfo> RenewToken(
      const Caller& caller, const TokenRef& ref,
      absl::Duration increment = absl::ZeroDuration()) = 0;
  // Revokes the token `ref` names: at once it and (kTree) every descendant
  // not an orphan are refused everywhere; the leader removes their records
  // in bounded batches afterwards, resumed by the next leader after a
  // failover. kOrphan (revoke-orphan, sudo) makes the children orphans
  // instead. An unknown id is OK (nothing to do); an unknown accessor is
  // kNotFound.
  virtual absl::Status RevokeToken(const Caller& caller, const TokenRef& ref,
                                   RevokeMode mode = RevokeMode::kTree) = 0;
  // Every token's accessor, sorted (auth/token/accessors, sudo).
  virtual absl::StatusOr<std::vector<std::string>> ListTokenAccessors(
      const Caller& caller) = 0;

  // --- ACL policies (Vault's sys/policies/acl/*), in Vault's language, HCL
  // or its JSON form. Replicated like any write; a change applies to every
  // later request on every node. "root" can be neither written nor
  // deleted; "default" can be written, not deleted.

  // Parses, checks and stores `text` as policy `name` (lower-cased).
  // kInvalidArgument "acl: line:col: ..." for a malformed policy.
  virtual absl::Status WritePolicy(const Caller& caller, absl::string_view name,
                                   absl::string_view text) = 0;
  // The policy's text as written; kNotFound for no such policy.
  virtual absl::StatusOr<std::string> ReadPolicy(const Caller& caller,
                                                 absl::string_view name) = 0;
  // Every policy's name, sorted ("default" and "root" included).
  virtual absl::StatusOr<std::vector<std::string>> ListPolicies(
      const Caller& caller) = 0;
  // Deletes policy `name` (OK when absent). Tokens keep the name; it
  // grants nothing until a policy of that name is written again.
  virtual absl::Status DeletePolicy(const Caller& caller,
                                    absl::string_view name) = 0;
  // Vault's sys/capabilities (ref by id), capabilities-accessor and
  // capabilities-self: for each of `paths`, the capabilities the token's
  // policies grant there ({"root"}, {"deny"}, or sorted names).
  virtual absl::StatusOr<std::map<std::string, std::vector<std::string>>>
  Capabilities(const Caller& caller, const TokenRef& ref,
               const std::vector<std::string>& paths) = 0;

  // --- Auth methods and logins (Vault's sys/auth, auth/approle/*,
  // auth/userpass/*; coffer/auth_methods.h). The object lives as long as
  // the node; its calls fail like the node's once it is closed.
  virtual AuthMethods& auth_methods() = 0;

  // --- Audit devices (Vault's sys/audit, sudo; coffer/auth.h).

  // Enables `device` at device.path. kInvalidArgument for an unknown type,
  // missing or unknown options, or a path in use; kUnavailable when the
  // leader cannot open the device's file.
  virtual absl::Status EnableAudit(const Caller& caller,
                                   const AuditDevice& device) = 0;
  // Disables the device at `path`; kNotFound when there is none.
  virtual absl::Status DisableAudit(const Caller& caller,
                                    absl::string_view path) = 0;
  // The enabled devices, by path.
  virtual absl::StatusOr<std::vector<AuditDevice>> ListAudit(
      const Caller& caller) = 0;
  // Vault's sys/audit-hash: "hmac-sha256:<hex>" of `input` under the key of
  // the device at `path` (to find a known value in the records).
  virtual absl::StatusOr<std::string> AuditHash(const Caller& caller,
                                                absl::string_view path,
                                                absl::string_view input) = 0;

  // Raw secret storage through the barrier, as Vault's sys/raw: `path` is a
  // physical path (1..1024 bytes; the prefixes "core/", "node/" and "sys/"
  // are reserved); every call needs sudo on "sys/raw/<path>", the value is
  // encrypted with the cluster's keyring and bound to the path. A minimal API
  // that proves the whole path (leader execution, replication, per-node seal)
  // until the KV v2 engine is wired in.
  //
  // PutRaw and DeleteRaw run on the leader (forwarded from a follower) and
  // return once applied there. Errors: kFailedPrecondition when this node
  // or the leader is sealed; kResourceExhausted above max_entry_bytes.
  virtual absl::Status PutRaw(const Caller& caller, absl::string_view path,
                              absl::string_view value) = 0;
  virtual absl::Status DeleteRaw(const Caller& caller,
                                 absl::string_view path) = 0;
  // Reads `path`: kNotFound when absent; kFailedPrecondition when sealed
  // (this node; for a linearizable read on a follower, also the leader).
  virtual absl::StatusOr<std::string> GetRaw(
      const Caller& caller, absl::string_view path,
      ReadConsistency consistency = ReadConsistency::kLinearizable) = 0;

  // --- KV version 2 secrets (types and semantics in coffer/kv.h). The
  // engine runs on the leader over the barrier: values are encrypted before
  // they reach the log or the disk. `mount` names a mount ("secret/", the
  // trailing '/' optional) and `path` a key inside it ("app/db").
  //
  // Writes run on the leader (forwarded from a follower), stamped with the
  // leader's clock, and return once applied there. Reads are linearizable
  // (a ReadIndex round on the leader, forwarded from a follower) or stale.
  // Errors, besides the node's: kNotFound for an absent mount, key or version;
  // kInvalidArgument for a bad path, field name, setting, or a missing cas
  // where it is required; kAborted for a check-and-set mismatch;
  // kResourceExhausted when a record exceeds max_entry_bytes. Every call needs
  // this node (and the leader) unsealed. Blocks up to request_timeout.

  // Enables a mount at `path` (kInvalidArgument when it nests with another).
  virtual absl::Status EnableKvMount(const Caller& caller,
                                     absl::string_view path,
                                     const MountConfig& config) = 0;
  // Disables the mount at `path`: its secrets are unreadable at once; its
  // records are deleted by the leader in batches, one proposal each, after
  // this returns. A batch interrupted by a change of leader is resumed by
  // the next DisableKvMount; leftovers only take space (ids are never
  // reused).
  virtual absl::Status DisableKvMount(const Caller& caller,
                                      absl::string_view path) = 0;
  // Changes the settings set in `update` of the mount at `path` (Vault's
  // POST <mount>/config); they apply to later writes. kNotFound for no
  // such mount; kInvalidArgument for a negative or infinite
  // delete_version_after.
  virtual absl::Status TuneKvMount(const Caller& caller, absl::string_view path,
                                   const MountConfigUpdate& update) = 0;
  // The enabled mounts, sorted by path.
  virtual absl::StatusOr<std::vector<MountInfo>> ListKvMounts(
      const Caller& caller,
      ReadConsistency consistency = ReadConsistency::kLinearizable) = 0;
  // The mount that serves `path` (the longest mount path that prefixes
  // it, "secret" finding "secret/"), for a caller whose token grants any
  // capability on some path under that mount: Vault's
  // sys/internal/ui/mounts/<path>, which is how a client finds the mount
  // of a path without read on sys/mounts. kPermissionDenied when no mount
  // serves the path as well, so that it cannot list the mounts;
  // kInvalidArgument for an empty path.
  virtual absl::StatusOr<MountInfo> FindKvMount(
      const Caller& caller, absl::string_view path,
      ReadConsistency consistency = ReadConsistency::kLinearizable) = 0;

  // Writes `data` as the key's next version; returns its metadata.
  virtual absl::StatusOr<VersionMetadata> KvPut(
      const Caller& caller, absl::string_view mount, absl::string_view path,
      const SecretData& data, const WriteOptions& options = WriteOptions()) = 0;
  // Reads `version` (0: the current one). A deleted or destroyed version is
  // OK with no data; kNotFound for a key without versions, a version above
  // the current one or one removed by max_versions.
  virtual absl::StatusOr<KvReadResult> KvGet(
      const Caller& caller, absl::string_view mount, absl::string_view path,
      uint64_t version = 0,
      ReadConsistency consistency = ReadConsistency::kLinearizable) = 0;
  // Writes a new version: the latest one's data with `patch` applied.
  // kNotFound when the latest version is absent, deleted or destroyed.
  virtual absl::StatusOr<VersionMetadata> KvPatch(
      const Caller& caller, absl::string_view mount, absl::string_view path,
      const SecretPatch& patch,
      const WriteOptions& options = WriteOptions()) = 0;
  // Soft-deletes the current version (OK when there is none).
  virtual absl::Status KvDelete(const Caller& caller, absl::string_view mount,
                                absl::string_view path) = 0;
  // Soft-delete, undelete, destroy the listed versions; versions the key
  // does not have are skipped. kInvalidArgument for an empty list.
  virtual absl::Status KvDeleteVersions(
      const Caller& caller, absl::string_view mount, absl::string_view path,
      const std::vector<uint64_t>& versions) = 0;
  virtual absl::Status KvUndelete(const Caller& caller, absl::string_view mount,
                                  absl::string_view path,
                                  const std::vector<uint64_t>& versions) = 0;
  virtual absl::Status KvDestroy(const Caller& caller, absl::string_view mount,
                                 absl::string_view path,
                                 const std::vector<uint64_t>& versions) = 0;

  // The key's metadata; kNotFound if it has none.
  virtual absl::StatusOr<KeyMetadata> KvReadMetadata(
      const Caller& caller, absl::string_view mount, absl::string_view path,
      ReadConsistency consistency = ReadConsistency::kLinearizable) = 0;
  // Changes the fields set in `update` (creates the metadata if absent).
  virtual absl::Status KvWriteMetadata(const Caller& caller,
                                       absl::string_view mount,
                                       absl::string_view path,
                                       const KeyMetadataUpdate& update) = 0;
  // Removes the key with every version (OK when absent).
  virtual absl::Status KvDeleteMetadata(const Caller& caller,
                                        absl::string_view mount,
                                        absl::string_view path) = 0;
  // The keys ("a") and sub-folders ("b/") of `folder` ("" = the mount's
  // root), in byte order; empty for a missing folder.
  virtual absl::StatusOr<std::vector<std::string>> KvList(
      const Caller& caller, absl::string_view mount, absl::string_view folder,
      ReadConsistency consistency = ReadConsistency::kLinearizable) = 0;

  // --- Operator operations (Vault's sys/step-down, sys/rotate,
  // sys/key-status, sys/rekey and seal migration). Each runs on the leader
  // (forwarded from a follower) and what it changes is replicated like any
  // write, so every node adopts it when it applies it; a failed proposal
  // changes nothing anywhere. Blocks up to request_timeout.

  // Hands the leadership to voter `to` (0: the other voter whose log is the
  // most caught up; ties go to the lowest id), as Vault's step-down does.
  // Returns once the current leader sees `to` lead (OK at once when `to`
  // already leads). kFailedPrecondition when `to` is not a voter or there is
  // no other voter; kUnavailable without a leader or when another node
  // won the election instead; kDeadlineExceeded when the transfer did not
  // complete (the raft core gives up after an election timeout).
  virtual absl::Status TransferLeadership(const Caller& caller,
                                          uint64_t to = 0) = 0;

  // Adds a new term to the keyring (Vault's rotate): new data is encrypted
  // with it, older data stays readable with older terms. The leader stores
  // the new keyring through the log without adopting it; every node, the
  // leader included, adopts it when it applies that entry (a sealed node
  // when it next unseals). Returns the new term. Needs this node and the
  // leader unsealed (kFailedPrecondition).
  virtual absl::StatusOr<KeyStatus> RotateKey(const Caller& caller) = 0;
  // This node's active key term (no forwarding): after RotateKey returns,
  // each node reports the new term once it has applied the rotation.
  // kFailedPrecondition when this node is sealed.
  virtual absl::StatusOr<KeyStatus> GetKeyStatus(const Caller& caller) = 0;

  // Replaces the unseal shares (Shamir seal) or, with a Kms, the recovery
  // shares by `secret_shares` new ones with threshold `secret_threshold`,
  // authorised by at least a threshold of the current ones (raw, hex or
  // base64). The root key and data are unchanged; the old shares stop
  // working everywhere once the change is applied. Returns the new shares,
  // hex (secret: show to the operators once). kPermissionDenied when the
  // current shares are wrong (nothing changes); kInvalidArgument for
  // malformed shares, too few of them or bad counts; kFailedPrecondition
  // when this node or the leader is sealed or a migration is pending.
  virtual absl::StatusOr<std::vector<std::string>> Rekey(
      const std::vector<std::string>& current_keys, int secret_shares,
      int secret_threshold) = 0;

  // Seal migration, as Vault's. To move a Shamir cluster to auto-unseal,
  // reopen every node with NodeOptions::kms set: each reports
  // SealStatus::migration and stays sealed. To move back, reopen every node
  // with kms = nullptr and NodeOptions::migrate_from_kms set to the old
  // Kms. Then call SealMigrate on any node with a threshold of the stored
  // seal's shares (unseal shares going to auto, recovery shares going
  // back). The leader recovers the root key with them (or with the old
  // Kms), rewraps it under the new seal, and replicates the new seal
  // records; the root key and all data stay as they are, and the same
  // shares serve on in their new role (recovery shares, or unseal shares).
  // Once the change is applied, nodes with the Kms unseal themselves; after
  // a move to Shamir the leader is unsealed and every other node is
  // unsealed with the shares. kFailedPrecondition when no migration is
  // pending on the leader (it was not reopened with the new seal);
  // kPermissionDenied for wrong shares; kInvalidArgument for malformed or
  // too few shares; kUnavailable when the Kms fails (nothing changes).
  virtual absl::Status SealMigrate(const std::vector<std::string>& keys) = 0;

  // --- Snapshots (file format and InspectSnapshot in coffer/snapshot.h).

  // Writes a snapshot of the cluster's replicated state to `path`: first to
  // a temporary file beside it, which is then verified (framing, SHA-256,
  // HMAC), fsynced and renamed to `path`. Works on any unsealed node: the
  // snapshot reflects a linearizable point (a ReadIndex round on the
  // leader, then this node's applied state once it reached that index), so
  // it holds every write acknowledged before the call. The first save of a
  // cluster also records its cluster id and snapshot HMAC key (one write
  // on the leader). Errors: kFailedPrecondition when this node or the
  // leader is sealed or the cluster is not initialized; kUnavailable
  // without a leader; kDeadlineExceeded when this node does not catch up
  // within request_timeout; kUnavailable for I/O errors (nothing is left
  // at `path`). Blocks for the whole save.
  virtual absl::Status SnapshotSave(const Caller& caller,
                                    const std::string& path) = 0;
  // Same, but streams the snapshot's bytes, in order, to `write` once the
  // whole snapshot was written to a temporary file in the data directory
  // and verified. An error from `write` stops the save and is returned.
  // `write` runs on the caller's thread and may block.
  virtual absl::Status SnapshotSaveTo(
      const Caller& caller,
      const std::function<absl::Status(absl::string_view)>& write) = 0;

  // Replaces the cluster's replicated data (secrets, mounts, keyring, the
  // tokens, policies) with the snapshot's, on every node, atomically on
  // each: a node reads either the old state or the restored one, also
  // across crashes, restarts and leader changes. The live cluster keeps its
  // membership, peer addresses, cluster id and seal configuration, so its
  // current unseal shares keep working and unsealed nodes stay unsealed.
  //
  // Runs on the leader, which must be unsealed: on a follower it fails
  // with kUnavailable naming the leader (call it there). The file is first
  // verified whole; then its records are replicated in batches of at most
  // max_entry_bytes into a staging area, and one final entry swaps them in
  // on every node (a node that is down catches up from the log or from a
  // raft snapshot). Returns once the swap is applied on the leader.
  //
  // Errors: kDataLoss for a truncated, corrupt or tampered file (nothing
  // changed); kFailedPrecondition for another cluster's snapshot without
  // options.force, for force without unseal_keys, or when sealed;
  // kPermissionDenied when options.unseal_keys do not unlock another
  // cluster's snapshot (nothing changed); kInvalidArgument for a malformed
  // share; kResourceExhausted for a record larger than max_entry_bytes;
  // kUnavailable or kDeadlineExceeded when the leadership changes or the
  // quorum is lost midway (nothing changed, retry). Blocks for the whole
  // restore, each step bounded by request_timeout.
  virtual absl::Status SnapshotRestore(
      const Caller& caller, const std::string& path,
      const SnapshotRestoreOptions& options) = 0;
  // Same, reading the snapshot from `read`, which fills up to `cap` bytes
  // of `buf` and returns how many it wrote (0 at the end). The bytes are
  // first copied to a temporary file in the data directory. An error from
  // `read` stops the restore and is returned.
  virtual absl::Status SnapshotRestoreFrom(
      const Caller& caller,
      const std::function<absl::StatusOr<size_t>(char* buf, size_t cap)>& read,
      const SnapshotRestoreOptions& options) = 0;

 protected:
  Node() = default;
};

}  // namespace coffer

#endif  // COFFER_NODE_H_
