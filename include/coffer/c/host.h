/* coffer's C ABI: the callbacks a host implements for a node: the
 * transport that carries its frames, the KMS of an auto-unseal seal, and
 * optional logging and metrics. They are set in coffer_node_options_t
 * (coffer/c/node.h).
 *
 * Threads. A node calls its callbacks one at a time, on its event-loop
 * thread while the loop runs (from inside coffer_node_open until
 * coffer_node_shutdown or coffer_node_close returns) and, during
 * coffer_node_open, on the caller's thread: a callback shared by several
 * nodes is called from several threads and must be thread-safe. The
 * node's whole cluster role waits while a callback runs, so none may
 * block, except a KMS callback (see below). The user_data pointers are
 * passed back unchanged and must stay valid until coffer_node_close
 * returns.
 *
 * Secrets. coffer never passes key material, shares, a root token or a
 * secret value to the send, log or metric callbacks; a KMS callback's
 * input is key material on wrap.
 * This header compiles as C99 and as C++. */
#ifndef COFFER_C_HOST_H_
#define COFFER_C_HOST_H_

#include <stddef.h>
#include <stdint.h>

#include "coffer/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Transport: queues `frame` (frame_len opaque bytes, borrowed for the
 * call: copy them) for node `to`, reachable at `address` (the address that
 * node was given at open, NUL-terminated; "" while it is not known, when
 * the host may still know `to`). The host delivers it, by any means, to
 * coffer_node_receive of that node. Delivery may lose, duplicate, delay or
 * reorder frames: coffer's protocols tolerate it. Frames are neither
 * encrypted nor authenticated by coffer: protect them in transit (mutual
 * TLS, for example). Must not block and must not call into the sending
 * node except through coffer_node_receive; it may call coffer_node_receive
 * of any node (an in-process transport). */
typedef void (*coffer_send_fn)(void* user_data, uint64_t to,
                               const char* address, const void* frame,
                               size_t frame_len);

/* Where a KMS callback writes its result. Owned by coffer and valid only
 * during the callback that received it, on that callback's thread. */
typedef struct coffer_sink coffer_sink_t;
/* Appends the `len` bytes at `data` to the sink (a NULL `data` is allowed
 * when len is 0). Earlier bytes are never left unwiped in freed memory.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL sink or a NULL `data` with
 * len > 0; COFFER_RESOURCE_EXHAUSTED when out of memory. */
COFFER_EXPORT int coffer_sink_write(coffer_sink_t* sink, const void* data,
                                    size_t len);

/* KMS wrap or unwrap: wraps (encrypts) or unwraps the `input_len` bytes at
 * `input` under the key `key_id` (NUL-terminated: the KMS's key_id on
 * wrap, the one recorded at wrap time on unwrap), writes the result to
 * `out` with coffer_sink_write and returns COFFER_OK. Or it returns an
 * error code: the operation that needed the KMS fails and changes nothing
 * (bytes already written to the sink are wiped and dropped). `input` is
 * borrowed for the call; on wrap it is the cluster's root key: never log
 * or keep it. A wrong unwrap result is caught by coffer's own
 * authentication. May block (a network KMS), which stalls the calling
 * node meanwhile; it is called when a node opens, unseals itself,
 * initializes, joins or migrates its seal. */
typedef int (*coffer_kms_fn)(void* user_data, coffer_sink_t* out,
                             const char* key_id, const void* input,
                             size_t input_len);
/* An auto-unseal KMS (a cloud KMS, an HSM): set struct_size to
 * sizeof(coffer_kms_t); every other field is required (a NULL one is
 * COFFER_INVALID_ARGUMENT at open, naming it). Borrowed during
 * coffer_node_open, which copies it. */
typedef struct coffer_kms {
  size_t struct_size;
  const char* type;     /* a short name for status output, e.g. "awskms" */
  const char* key_id;   /* the key new wraps use */
  coffer_kms_fn wrap;   /* see coffer_kms_fn */
  coffer_kms_fn unwrap; /* see coffer_kms_fn */
  void* user_data;      /* passed to wrap and unwrap */
} coffer_kms_t;

/* Log levels. */
#define COFFER_LOG_DEBUG 0   /* detail for debugging coffer itself */
#define COFFER_LOG_INFO 1    /* elections, seal changes, snapshots */
#define COFFER_LOG_WARNING 2 /* something unusual that coffer recovers from */
#define COFFER_LOG_ERROR 3   /* the node stopped or an operation failed */
/* Logger: one line of `level` (a COFFER_LOG_ value) and message_len bytes,
 * NUL-terminated, without a trailing newline, starting with "node <id>: ";
 * `message` is borrowed for the call. Lines hold ids, addresses, terms,
 * indexes, share counts and status messages, never secrets (a KMS's error
 * message is passed on as it is). Must not block or call into any node. */
typedef void (*coffer_log_fn)(void* user_data, int level, const char* message,
                              size_t message_len);

/* Metric kinds. */
#define COFFER_METRIC_COUNTER 0 /* `value` is a delta to add */
#define COFFER_METRIC_GAUGE 1   /* `value` is the current value */
#define COFFER_METRIC_TIMING 2  /* `value` is a duration in seconds */
/* Metrics sink: one value of metric `name` (NUL-terminated, borrowed for
 * the call) of `kind` (a COFFER_METRIC_ value). Names are stable, dot-
 * separated and lower case; each node reports its own values:
 *   gauges (when they change): raft.term, raft.commit_index,
 *     raft.applied_index, raft.last_index, raft.is_leader (0 or 1),
 *     node.sealed (0 or 1)
 *   counters: node.requests (writes, linearizable reads and operator
 *     operations started here), node.request_errors (those that failed),
 *     raft.leader_changes, raft.snapshot_saves, raft.snapshot_installs,
 *     raft.entries_written, raft.entries_applied, raft.messages_refused
 *     (malformed raft messages), storage.writes, storage.synced_writes,
 *     storage.log_syncs
 *   timings: node.request_latency (one request, start to result),
 *     storage.write_latency (one step's write, with fsync when sync)
 * Must not block or call into any node. */
typedef void (*coffer_metric_fn)(void* user_data, int kind, const char* name,
                                 double value);

/* Audit sink of the node's "callback" audit devices (coffer/c/audit.h):
 * one record, a JSON object of record_len bytes, NUL-terminated, without a
 * newline, borrowed for the call. Return COFFER_OK when the record is
 * kept, any other code when it is not: then, when no other device kept
 * it, the audited request fails and changes nothing (Vault's rule).
 * Records hold HMACs of secrets, never secrets. Unlike the other
 * callbacks, it is called on the thread of the audited call, from many
 * threads at once: it must be thread-safe; it must not call into any
 * node. */
typedef int (*coffer_audit_fn)(void* user_data, const char* record,
                               size_t record_len);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* COFFER_C_HOST_H_ */
