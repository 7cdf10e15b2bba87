/* coffer's C ABI: a node's handle, its options, and opening, shutting
 * down, closing and feeding it; the rules every function follows (codes,
 * node errors, blocking, ownership) are in coffer/c.h.
 *
 * Life cycle. coffer_node_open opens a node on its data directory and
 * starts its event loop. A brand-new cluster starts with
 * coffer_node_bootstrap on its initial members; a node that joins later is
 * opened on an empty directory and is added by the cluster
 * (coffer_node_add_peer) or asks to join (coffer_node_join, or retry_join
 * below) (coffer/c/cluster.h). Reopening a data directory recovers
 * everything; the node comes back sealed (Shamir seal) or unseals itself
 * (with a KMS). The host passes every frame it receives for the node to
 * coffer_node_receive. coffer_node_shutdown stops the node,
 * coffer_node_close frees it.
 *
 * Thread-safety: a handle may be used from any number of threads at once,
 * except coffer_node_close (see there).
 * This header compiles as C99 and as C++. */
#ifndef COFFER_C_NODE_H_
#define COFFER_C_NODE_H_

#include <stddef.h>
#include <stdint.h>

#include "coffer/c/host.h"
#include "coffer/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A cluster member, as given to coffer_node_bootstrap, coffer_node_join
 * and retry_join: an id >= 1 and an address of 1..1024 bytes
 * (NUL-terminated, opaque to coffer: what the host's transport
 * understands). Borrowed by the call it is passed to. */
typedef struct coffer_peer {
  uint64_t id;
  const char* address;
} coffer_peer_t;

/* An open node. Created by coffer_node_open, freed by coffer_node_close. */
typedef struct coffer_node coffer_node_t;

/* A node's options. Fill with coffer_node_options_init(&o, sizeof o),
 * which sets struct_size and every default, then set the fields you need.
 * coffer_node_open validates every field and names the first bad one
 * ("node: options.tick ..."); strings and arrays are copied at open, and
 * the callbacks' user_data must stay valid until coffer_node_close
 * returns. Ranges are inclusive. */
typedef struct coffer_node_options {
  size_t struct_size;
  /* Identity. Required: an id >= 1, unique in the cluster and never
   * reused; the address (1..1024 bytes) by which the others reach it; the
   * data directory, created when missing, which one node at a time may
   * use (it is locked). */
  uint64_t id;
  const char* address;
  const char* data_dir;
  /* Host callbacks (coffer/c/host.h). send is required; kms NULL
   * (default) is the Shamir seal, else an auto-unseal seal. */
  coffer_send_fn send;
  void* send_user_data; /* passed to send */
  const coffer_kms_t* kms;
  /* Timing. A tick: default 100 ms, 1 ms .. 10 s. Ticks without a leader
   * before a follower campaigns (each election waits a random [n, 2n)):
   * default 10, heartbeat_ticks + 1 .. 10000. Ticks between a leader's
   * heartbeats: default 1, 1 .. 1000. How long a blocking call waits for
   * its result: default 10 s, 1 ms .. 1 h. */
  int64_t tick_ns;
  int election_ticks;
  int heartbeat_ticks;
  int64_t request_timeout_ns;
  /* Durability and limits. sync: fsync before acknowledging (default 1;
   * 0 risks losing acknowledged writes, and raft safety, when the machine
   * crashes). max_entry_bytes: the largest replicated entry (one
   * request's writes), default 1 MiB, 1 KiB .. 64 MiB. max_pending:
   * requests and frames waiting for the event loop, and requests in
   * flight, beyond which calls fail with COFFER_RESOURCE_EXHAUSTED and
   * frames are dropped; default 4096, 1 .. 1000000. snapshot_threshold:
   * applied entries between snapshots of the state, which compact the
   * log; 0 never (the log grows without bound); default 8192, 0 or
   * 16 .. 2^32. */
  int sync;
  uint64_t max_entry_bytes;
  int max_pending;
  uint64_t snapshot_threshold;
  /* Raft: pre-vote (thesis 9.6) and check-quorum (thesis 6.2), default 1;
   * the election jitter's seed, 0 (default) drawn from the operating
   * system's CSPRNG (set it only for reproducible tests). */
  int pre_vote;
  int check_quorum;
  uint64_t random_seed;
  /* Joining (Vault's retry_join): when non-empty and the data directory
   * has no raft state, the node asks these members to admit it, as
   * coffer_node_join does, and retries until admitted or shut down; ids
   * distinct and not this node's; default none. The first wait between
   * attempts doubles after each failure, up to 16 times, plus a jitter of
   * up to half of it: default 2 s, 1 ms .. 1 h. */
  const coffer_peer_t* retry_join;
  size_t num_retry_join;
  int64_t retry_join_interval_ns;
  /* Autopilot: with cleanup_dead_servers (default 0), the leader removes
   * a voter that has not answered it for the threshold (default 24 h,
   * 1 ms .. 30 days, and more than election_ticks * tick_ns) if at least
   * min_quorum voters remain (default 3, 1 .. 1000). */
  int cleanup_dead_servers;
  int64_t dead_server_last_contact_threshold_ns;
  int min_quorum;
  /* Operations and host hooks. migrate_from_kms: moving back to the
   * Shamir seal, with kms NULL, the KMS the stored seal was wrapped with
   * (default NULL). mlock: lock key material in memory (default 1; 0
   * turns it off for the whole process, for good: only where swap is
   * encrypted or absent). log and metric: NULL (default) for none.
   * trailing_logs: log entries kept behind each snapshot for followers a
   * little behind; default 10240, 0 .. 2^32. key_rotation_max_operations:
   * encryptions under one data key after which the leader rotates it;
   * default 2^30, 64 .. 2^32. */
  const coffer_kms_t* migrate_from_kms;
  int mlock;
  coffer_log_fn log;
  void* log_user_data; /* passed to log */
  coffer_metric_fn metric;
  void* metric_user_data; /* passed to metric */
  uint64_t trailing_logs;
  uint64_t key_rotation_max_operations;
  /* Where this node's "callback" audit devices send their records
   * (coffer/c/audit.h); NULL (default): such a device cannot record
   * here. */
  coffer_audit_fn audit;
  void* audit_user_data; /* passed to audit */
} coffer_node_options_t;
/* Writes the defaults and struct_size into the first `struct_size` bytes
 * at `options` (pass sizeof *options; a NULL `options` or a size smaller
 * than a size_t is a no-op). Never fails; touches nothing else. */
COFFER_EXPORT void coffer_node_options_init(coffer_node_options_t* options,
                                            size_t struct_size);

/* Opens (or creates) the node's state in options->data_dir and starts its
 * event loop. On COFFER_OK, *out is the new handle, released with
 * coffer_node_close. Blocks for the disk I/O of opening and recovery (no
 * time bound); may call the log, metric and kms callbacks on the caller's
 * thread (a KMS node unseals itself here), and from here on the node's
 * callbacks run on its event-loop thread.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `out` or `options`, an unset
 * struct_size or unknown non-zero fields, a NULL send, a kms or
 * migrate_from_kms with a NULL field, a retry_join entry with a NULL
 * address, or an option out of its range (the message names it);
 * COFFER_UNAVAILABLE when the data directory cannot be created or is
 * locked by another node; COFFER_DATA_LOSS for corrupt state;
 * COFFER_FAILED_PRECONDITION for a newer on-disk format; a KMS failure
 * while unsealing is logged, not returned (the node stays sealed). */
COFFER_EXPORT int coffer_node_open(coffer_node_t** out,
                                   const coffer_node_options_t* options);
/* Stops the node without freeing the handle: stops the event loop and
 * blocks until it ends, so that no callback runs after this returns, then
 * releases the data directory. Everything acknowledged is durable (with
 * sync). Calls waiting on the node on other threads return
 * COFFER_FAILED_PRECONDITION, and so do later calls (coffer_node_receive
 * drops frames). Idempotent; use it to wake other threads before
 * coffer_node_close. Returns COFFER_OK, or COFFER_INVALID_ARGUMENT for a
 * NULL node. */
COFFER_EXPORT int coffer_node_shutdown(coffer_node_t* node);
/* Shuts the node down (as above) and frees the handle; NULL is a no-op.
 * After it returns the callbacks' user_data may be released.
 * REQUIRES: no other thread is in, or will enter, a call on `node`, and
 * no callback of `node` calls it. */
COFFER_EXPORT void coffer_node_close(coffer_node_t* node);
/* Hands over a frame that the host received for this node: copies the
 * frame_len bytes at `frame` and queues them for the event loop. Never
 * blocks. Frames that are malformed, of another format version, for
 * another node, beyond the max_pending backlog, or that arrive after
 * shutdown are dropped silently (the protocols recover): COFFER_OK even
 * then. Callable from any thread, also from a send callback, until
 * coffer_node_close begins.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL node, or a NULL frame with
 * frame_len > 0. */
COFFER_EXPORT int coffer_node_receive(coffer_node_t* node, const void* frame,
                                      size_t frame_len);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* COFFER_C_NODE_H_ */
