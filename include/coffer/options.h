// Options of a coffer::Node. Node::Open validates every field and names the
// first bad one in a kInvalidArgument error ("node: options.tick ...").
//
// Thread-safety: a plain value; Open copies it.
#ifndef COFFER_OPTIONS_H_
#define COFFER_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "coffer/observe.h"
#include "coffer/peer.h"
#include "coffer/seal.h"
#include "coffer/transport.h"

namespace coffer {

struct NodeOptions {
  // --- Identity -----------------------------------------------------------

  // This node's id in the cluster. Required; >= 1, unique in the cluster,
  // never reused for another node.
  uint64_t id = 0;
  // This node's address as the host's transport understands it (opaque to
  // coffer; replicated in the membership so that other nodes can reach this
  // one). Required; 1..1024 bytes.
  std::string address;
  // Directory of this node's durable state (raft log, state machine,
  // snapshots). Required; created when missing. One Node at a time may use
  // it (LevelDB locks it).
  //
  // Recovery when quorum is lost for good (Vault's raft/peers.json): when
  // <data_dir>/peers.json exists at Open, the node rewrites its raft
  // configuration to exactly the members the file lists, keeping its log,
  // logs it at kWarning, counts "raft.peers_recovered" and deletes the
  // file. Write the same file into every surviving member's data directory
  // while they are stopped, then start them. The format, Vault's with
  // coffer's numeric ids:
  //   [{"id": "1", "address": "host1:8201", "non_voter": false}, ...]
  // (id: a positive integer, as a number or a string of digits; address:
  // the member's address, used where no replicated record has one;
  // non_voter: optional, default false). Open refuses to start, changing
  // nothing, with kInvalidArgument for a malformed file ("node:
  // <path>:<line>:<column>: ...") or one that does not list this node, and
  // kFailedPrecondition in a data directory without raft state or of a
  // removed node. The file is only read at Open: a running node ignores it.
  std::string data_dir;

  // --- Host interfaces (borrowed; must outlive the Node) ------------------

  // Carries frames to other nodes. Required.
  Transport* transport = nullptr;
  // Auto-unseal: when set, the node wraps its root key with this Kms at
  // Initialize and unseals itself at Open and whenever it is sealed and the
  // replicated seal records allow it. nullptr (default): the Shamir seal.
  Kms* kms = nullptr;

  // --- Timing ---------------------------------------------------------------

  // Length of one raft tick. Default 100 ms; range 1 ms .. 10 s.
  absl::Duration tick = absl::Milliseconds(100);
  // Ticks without a leader's message before a follower campaigns; each
  // election waits a random [election_ticks, 2 * election_ticks). Default 10
  // (1 s at the default tick); range heartbeat_ticks + 1 .. 10000.
  int election_ticks = 10;
  // Ticks between a leader's heartbeats. Default 1; range 1 .. 1000.
  int heartbeat_ticks = 1;
  // How long a blocking call waits for its result before failing with
  // kDeadlineExceeded. Default 10 s; range 1 ms .. 1 h.
  absl::Duration request_timeout = absl::Seconds(10);

  // --- Durability and limits ----------------------------------------------

  // fsync raft log writes and applied state before acknowledging them.
  // Default true. Turning it off risks losing acknowledged writes (and raft
  // safety) when the machine, not just the process, crashes.
  bool sync = true;
  // Largest replicated entry (one request's physical writes) in bytes.
  // Larger requests fail with kResourceExhausted. Default 1 MiB; range
  // 1 KiB .. 64 MiB.
  uint64_t max_entry_bytes = uint64_t{1} << 20;
  // Requests and received frames waiting for the event loop, and requests
  // in flight on this node (proposed, forwarded or waiting to read). Beyond
  // it calls fail with kResourceExhausted and frames are dropped. Default
  // 4096; range 1 .. 1000000.
  int max_pending = 4096;

  // Applied entries between snapshots of the state: at each, the node
  // writes a snapshot file and compacts its log up to it (so the log stays
  // bounded across restarts); a follower too far behind then receives the
  // snapshot instead of the entries. 0 disables snapshots (the log then
  // grows without bound). Default 8192; range 0, or 16 .. 2^32.
  uint64_t snapshot_threshold = 8192;

  // --- Raft -----------------------------------------------------------------

  // Pre-vote (raft thesis 9.6) and check-quorum (thesis 6.2). Default on.
  bool pre_vote = true;
  bool check_quorum = true;
  // Seed of the election jitter. 0 (default): drawn from the operating
  // system's CSPRNG. Set it only to make tests reproducible.
  uint64_t random_seed = 0;
  // The host's clock: the time the leader stamps on what it writes (KV
  // versions, tokens' creation and expiry) and the time a token's expiry is
  // checked against. nullptr (default): absl::Now. Tests set it to drive
  // expiry. Called on the node's loop thread; must not block or call into
  // the node. Raft itself never reads a clock.
  std::function<absl::Time()> clock;
  // Where the "callback" audit devices of this node send their records
  // (one JSON object each, no newline; coffer/auth.h). An error means the
  // record was not kept. Called on the thread of the audited call, from
  // many threads at once: it must be thread-safe; it must not call into the
  // node. nullptr: a "callback" device cannot record here.
  std::function<absl::Status(absl::string_view record)> audit_callback;

  // --- Joining and autopilot ------------------------------------------------

  // Vault's retry_join: when non-empty and the data directory is empty (no
  // raft state), the node asks these members to admit it, as Node::Join
  // does, and retries until admitted or closed. Ignored once the node has
  // raft state. Each entry needs an id >= 1 other than this node's and an
  // address of 1..1024 bytes; ids are distinct. Default empty.
  std::vector<Peer> retry_join;
  // The first wait between join attempts; each failed attempt doubles it,
  // up to 16 times this, plus a random jitter of up to half of it (from the
  // seeded random_seed generator). Default 2 s; range 1 ms .. 1 h.
  absl::Duration retry_join_interval = absl::Seconds(2);
  // Vault's autopilot dead server cleanup: the leader removes a voter that
  // has not answered it for dead_server_last_contact_threshold, if at least
  // min_quorum voters remain. Default off.
  bool cleanup_dead_servers = false;
  // Default 24 h; range 1 ms .. 30 days, and more than the election
  // timeout (election_ticks * tick).
  absl::Duration dead_server_last_contact_threshold = absl::Hours(24);
  // Voters that must remain after a cleanup. Default 3; range 1 .. 1000.
  int min_quorum = 3;

  // --- Operations and host hooks ------------------------------------------

  // Seal migration away from auto-unseal (Vault's seal stanza with
  // disabled = "true"): the Kms the stored auto seal was wrapped with, so
  // that Node::SealMigrate can unwrap the root key once more. Set it, with
  // kms = nullptr, on the nodes of a cluster moving back to the Shamir
  // seal; nullptr (default) otherwise. Borrowed; must outlive the Node.
  Kms* migrate_from_kms = nullptr;
  // Lock key material in memory (mlock) so it never reaches swap. Default
  // true. false is Vault's disable_mlock: coffer's secure memory is then
  // not locked, for the whole process (the switch is process-wide, and
  // once turned off by any node it stays off); true leaves the switch as
  // it is. Use false only where swap is encrypted or absent.
  bool mlock = true;
  // Receives coffer's log lines (see coffer/observe.h). nullptr (default):
  // no logging. Borrowed; must outlive the Node.
  Logger* logger = nullptr;
  // Receives counters, gauges and timings (see coffer/observe.h). nullptr
  // (default): none. Borrowed; must outlive the Node.
  MetricsSink* metrics = nullptr;
  // Log entries kept before each snapshot when the log is compacted (Vault's
  // trailing_logs), so that a follower a little behind catches up from the
  // log instead of receiving the whole snapshot. The log then holds up to
  // snapshot_threshold + trailing_logs entries. Fewer are kept right after a
  // membership change (the log never starts before it). Default 10240;
  // range 0 .. 2^32.
  uint64_t trailing_logs = 10240;
  // Encryptions under one data key after which the leader rotates the
  // keyring by itself (Vault's sys/rotate/config max_operations). The
  // rotation is replicated like RotateKey's, and every node adopts it once
  // applied. Default 2^30, a quarter of the 2^32 bound for random GCM
  // nonces; range 64 .. 2^32.
  uint64_t key_rotation_max_operations = uint64_t{1} << 30;
};

}  // namespace coffer

#endif  // COFFER_OPTIONS_H_
