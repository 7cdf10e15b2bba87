/* coffer's C ABI: snapshots of a cluster's state, as an operator handles
 * them (Vault's `operator raft snapshot save / restore / inspect`); the
 * rules every function follows (codes, node errors, request errors,
 * blocking, ownership) are in coffer/c.h.
 *
 * Concepts. A snapshot file holds a header (format version, the id of the
 * cluster that made it, the raft index and term it reflects, the
 * membership then), every record of the replicated state in key order
 * (still encrypted by the barrier: a snapshot holds no plaintext secret),
 * and a trailer: a SHA-256 over the whole file and an HMAC keyed by a
 * secret of the cluster that made it.
 *
 * Tokens (coffer/c.h). Saving needs read on sys/storage/raft/snapshot,
 * restoring update there, and a forced restore update with sudo on
 * sys/storage/raft/snapshot-force; inspecting needs no node and no token.
 *
 * Threads. The save and restore functions block their caller for the
 * whole operation (each step bounded by request_timeout_ns) and call
 * their write or read callback on the caller's thread; the callback may
 * block, and must not call into that node.
 * Thread-safety: every function is thread-safe.
 * This header compiles as C99 and as C++. */
#ifndef COFFER_C_SNAPSHOT_H_
#define COFFER_C_SNAPSHOT_H_

#include <stddef.h>
#include <stdint.h>

#include "coffer/c/common.h"
#include "coffer/c/node.h"
#include "coffer/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Receives the next `len` bytes at `data` (borrowed for the call) of a
 * snapshot; returns COFFER_OK to go on, or an error code, which stops the
 * save and is returned by it. */
typedef int (*coffer_write_fn)(void* user_data, const void* data, size_t len);
/* Fills up to `cap` bytes of `buf` with the next bytes of a snapshot and
 * sets *out_len to their number (0 at the end); returns COFFER_OK, or an
 * error code, which stops the restore and is returned by it. */
typedef int (*coffer_read_fn)(void* user_data, void* buf, size_t cap,
                              size_t* out_len);

/* How a restore treats a snapshot; fill with
 * coffer_snapshot_restore_options_init (no force, no keys). */
typedef struct coffer_snapshot_restore_options {
  size_t struct_size;
  int force; /* accept a snapshot made by another cluster (Vault's
                snapshot-force): its data replaces this cluster's, whose
                own unseal shares keep working */
  /* With force and another cluster's snapshot: a threshold of that
   * cluster's unseal shares (NUL-terminated; raw, hex or base64), which
   * unlock its keyring to re-wrap it under this cluster's root key;
   * ignored for this cluster's own snapshots. Borrowed for the call. */
  const char* const* unseal_keys;
  size_t num_unseal_keys;
} coffer_snapshot_restore_options_t;
/* Writes the defaults and struct_size into the first `struct_size` bytes
 * at `options` (NULL or a size below a size_t: no-op). */
COFFER_EXPORT void coffer_snapshot_restore_options_init(
    coffer_snapshot_restore_options_t* options, size_t struct_size);

/* Writes a snapshot of the cluster's replicated state to the file `path`:
 * first to a temporary file beside it, which is verified, fsynced and
 * renamed to `path`. Works on any unsealed node: the snapshot holds every
 * write acknowledged before the call (a ReadIndex round on the leader,
 * then this node's state once it reached that index). A cluster's first
 * save also records its cluster id and snapshot HMAC key (one write on the
 * leader).
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `path`;
 * COFFER_FAILED_PRECONDITION when this node or the leader is sealed or the
 * cluster is not initialized; COFFER_UNAVAILABLE without a leader or for
 * an I/O error (nothing is left at `path`); COFFER_DEADLINE_EXCEEDED when
 * this node does not catch up in time; COFFER_PERMISSION_DENIED for a
 * token that may not; the node errors and request errors. */
COFFER_EXPORT int coffer_node_snapshot_save(coffer_node_t* node,
                                            const char* token,
                                            const char* path);
/* Same, but streams the snapshot's bytes, in order, to `write` (called
 * with `user_data`) once the whole snapshot was written to a temporary
 * file in the data directory and verified.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `write`; the code `write`
 * returned; otherwise as coffer_node_snapshot_save. */
COFFER_EXPORT int coffer_node_snapshot_save_to(coffer_node_t* node,
                                               const char* token,
                                               coffer_write_fn write,
                                               void* user_data);
/* Replaces the cluster's replicated data (secrets, mounts, keyring,
 * tokens and policies) with the snapshot's at `path` (`options` NULL: the
 * defaults), on every node, atomically on each, also across crashes and
 * leader changes. The cluster keeps its membership, addresses, cluster id
 * and seal configuration: its unseal shares keep working and unsealed
 * nodes stay unsealed. Call it on the leader, unsealed. The file is first
 * verified whole; its records are then replicated in batches of at most
 * max_entry_bytes and swapped in by one final entry. Returns once the swap
 * is applied on the leader.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `path`, bad options (unset
 * struct_size, NULL unseal_keys with a non-zero count, a NULL share) or a
 * malformed share; COFFER_NOT_FOUND for no file at `path`;
 * COFFER_DATA_LOSS for a truncated, corrupt or tampered file;
 * COFFER_FAILED_PRECONDITION for another cluster's snapshot without force,
 * force without unseal_keys, or when sealed; COFFER_PERMISSION_DENIED when
 * unseal_keys do not unlock another cluster's snapshot;
 * COFFER_RESOURCE_EXHAUSTED for a record larger than max_entry_bytes;
 * COFFER_UNAVAILABLE on a follower (naming the leader: call it there) or
 * when the leadership changes midway, COFFER_DEADLINE_EXCEEDED when the
 * quorum is lost midway, COFFER_ABORTED when staged batches were lost:
 * for each of these nothing changed, retry; COFFER_PERMISSION_DENIED for
 * a token that may not (nothing changed); the node errors. The token is
 * checked against the cluster's tokens before the restore: afterwards
 * the snapshot's tokens are the ones that work. */
COFFER_EXPORT int coffer_node_snapshot_restore(
    coffer_node_t* node, const char* token, const char* path,
    const coffer_snapshot_restore_options_t* options);
/* Same, reading the snapshot from `read` (called with `user_data`); the
 * bytes are first copied to a temporary file in the data directory.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `read`, or when it reports
 * more than `cap` bytes; the code `read` returned; otherwise as
 * coffer_node_snapshot_restore. */
COFFER_EXPORT int coffer_node_snapshot_restore_from(
    coffer_node_t* node, const char* token, coffer_read_fn read,
    void* user_data, const coffer_snapshot_restore_options_t* options);

/* Records of one storage path prefix. */
typedef struct coffer_snapshot_prefix_stats {
  char* prefix; /* "core", "logical", "node", ..., or "(other)" */
  uint64_t records;
  uint64_t bytes; /* keys plus values */
} coffer_snapshot_prefix_stats_t;
/* What coffer_snapshot_inspect reports; owned by coffer until
 * coffer_snapshot_inspection_free. */
typedef struct coffer_snapshot_inspection {
  uint32_t format_version;
  char* cluster_id; /* the cluster that made the snapshot */
  uint64_t index;   /* the last raft index it reflects */
  uint64_t term;    /* the term of that entry */
  uint64_t* voters; /* the membership at that index, by node id */
  size_t num_voters;
  uint64_t* learners;
  size_t num_learners;
  uint64_t* voters_outgoing; /* non-empty only in a joint configuration */
  size_t num_voters_outgoing;
  uint64_t records;
  uint64_t file_bytes;
  uint64_t key_bytes;
  uint64_t value_bytes;
  /* Records by the first segment of their storage path, by prefix: at
   * most 1000 prefixes are named, any more are summed under "(other)". */
  coffer_snapshot_prefix_stats_t** prefixes;
  size_t num_prefixes;
  char* text; /* the above as text, one fact per line */
  char* json; /* the above as one JSON object */
} coffer_snapshot_inspection_t;
/* Reads the snapshot file at `path` front to back and checks its framing
 * and SHA-256 (the HMAC needs the cluster's key: a restore checks it).
 * Needs no key and no node; memory stays bounded whatever the file's
 * size; blocks on the file's I/O. On COFFER_OK, *out is new, freed with
 * coffer_snapshot_inspection_free.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `out` or `path`;
 * COFFER_NOT_FOUND for no such file; COFFER_DATA_LOSS for a truncated or
 * corrupt file; COFFER_FAILED_PRECONDITION for an unsupported format
 * version; COFFER_UNAVAILABLE for an I/O error. */
COFFER_EXPORT int coffer_snapshot_inspect(coffer_snapshot_inspection_t** out,
                                          const char* path);
/* Frees `inspection` and everything in it. NULL is a no-op. */
COFFER_EXPORT void coffer_snapshot_inspection_free(
    coffer_snapshot_inspection_t* inspection);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* COFFER_C_SNAPSHOT_H_ */
