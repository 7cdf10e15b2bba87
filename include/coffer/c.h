/* coffer's C ABI: a coffer node (a member of a Raft cluster holding an
 * encrypted store of Vault-style secrets) for C and for language bindings
 * (bindings/python uses nothing else). These headers are its whole
 * specification; this one states the rules every function follows and
 * includes the others, one per topic:
 *
 *   coffer/c/common.h    error codes, versions, memory, string lists
 *   coffer/c/shamir.h    Shamir secret sharing
 *   coffer/c/host.h      the callbacks a host implements (transport, KMS,
 *                        logging, metrics)
 *   coffer/c/node.h      opening, closing and feeding a node; its options
 *   coffer/c/cluster.h   membership, the leader, leadership transfer
 *   coffer/c/seal.h      initializing, sealing, unsealing, keys, rekeying
 *   coffer/c/raw.h       raw paths through the barrier
 *   coffer/c/kv.h        KV version 2 mounts, secrets and key metadata
 *   coffer/c/auth.h      tokens, ACL policies, capabilities
 *   coffer/c/snapshot.h  snapshots: save, restore, inspect
 *
 * Concepts. A node is opened on its own data directory; the nodes of a
 * cluster exchange frames that the host carries (coffer opens no socket).
 * The replicated state is encrypted by a barrier whose keys are protected
 * by a seal: each node is unsealed separately, with a threshold of Shamir
 * shares or by a host KMS, and serves no data while sealed. Writes and
 * linearizable reads run on the leader: a follower forwards them.
 *
 * Errors. Every function that can fail returns an int: COFFER_OK (0) or a
 * code, chosen by what the caller should do next:
 *   COFFER_INVALID_ARGUMENT     bad input: fix the call. Also a NULL handle
 *                               or NULL required pointer ("capi: node is
 *                               NULL"): the handle is checked first,
 *                               then the outputs, then the inputs.
 *   COFFER_NOT_FOUND            an absent raw path, mount, key or version
 *   COFFER_FAILED_PRECONDITION  the node's state forbids it (sealed, not
 *                               initialized, already initialized or
 *                               bootstrapped, closed, removed from the
 *                               cluster): do not retry until it changes
 *   COFFER_UNAVAILABLE          no leader or no quorum, or the leader
 *                               changed: retry (the message names the
 *                               leader when one is known)
 *   COFFER_ABORTED              a check-and-set conflict: re-read, retry
 *   COFFER_PERMISSION_DENIED    the token may not make the call (see
 *                               Tokens below); wrong unseal or recovery
 *                               shares
 *   COFFER_ALREADY_EXISTS       a joining node's id or address is taken
 *   COFFER_DATA_LOSS            corrupt or tampered data on disk, in a
 *                               frame or in a snapshot
 *   COFFER_RESOURCE_EXHAUSTED   too many requests pending, a request
 *                               larger than max_entry_bytes, or out of
 *                               memory
 *   COFFER_DEADLINE_EXCEEDED    no result within request_timeout_ns
 *   COFFER_INTERNAL             a bug in coffer
 *   COFFER_UNKNOWN              a host callback returned a code outside
 *                               1..16
 * A snapshot callback's error code is returned unchanged; a KMS callback's
 * error fails the operation that needed it, as that function says. The
 * message of the last failure on the calling thread is
 * coffer_last_error_message(); a successful call clears it. Messages start with
 * a module ("capi: ", "node: ", "kv: ") and never hold secrets. No C++
 * exception crosses this interface.
 *
 * Tokens. Every function that reads or changes the cluster's data or
 * configuration takes `const char* token` right after the node handle:
 * the bearer token of whoever asks (a NUL-terminated "hvs." token, such
 * as coffer_node_initialize's root_token or one made by
 * coffer_token_create). Borrowed for the call; coffer keeps no copy. The
 * node checks it against the token's ACL policies before the call does
 * anything (coffer/c/auth.h names the capability on a Vault path each
 * function needs); an unknown, expired, revoked or used-up token, a NULL
 * or empty one, or one whose policies do not allow the call fails with
 * COFFER_PERMISSION_DENIED "node: permission denied" (the same for every
 * reason) and changes nothing. The C ABI's own argument checks (NULL
 * pointers, struct_size, enum values) come before the token's. The functions
 * without a token are the ones Vault serves without one: bootstrap, join,
 * leader, initialize, unseal, seal status, rekey, seal migration, and receive,
 * shutdown and close; the membership functions (add, remove and list peers)
 * accept any token, NULL included, until the cluster is initialized.
 *
 * Node errors. Besides its own codes, every function taking a
 * coffer_node_t* may return: COFFER_INVALID_ARGUMENT for a NULL handle;
 * COFFER_FAILED_PRECONDITION once the node is shut down or closed ("node:
 * closed"), or when it was removed from its cluster;
 * COFFER_RESOURCE_EXHAUSTED when max_pending requests already wait for
 * its event loop; COFFER_DEADLINE_EXCEEDED when the loop gives no answer
 * in time. After a storage write fails, or a snapshot from the leader
 * cannot be installed, the node stops and every call returns that failure
 * (COFFER_DATA_LOSS, COFFER_UNAVAILABLE, ...): close and reopen it.
 *
 * Request errors. A function documented as a request runs on the leader
 * (forwarded by a follower) and may also return: COFFER_UNAVAILABLE when
 * no leader is known, the leader cannot be reached, or the request was
 * lost in a change of leader; COFFER_RESOURCE_EXHAUSTED when max_pending
 * requests are in flight or its writes exceed max_entry_bytes;
 * COFFER_DEADLINE_EXCEEDED when it has no result within request_timeout_ns.
 * A write that fails with COFFER_UNAVAILABLE or COFFER_DEADLINE_EXCEEDED
 * may or may not have been applied.
 *
 * Blocking. A call on a node posts its work to the node's event loop and
 * blocks its caller until the result: "local" calls (this node's state
 * only) wait for the loop, at most request_timeout_ns plus one tick;
 * requests wait for the cluster, at most request_timeout_ns; the comment
 * of every other blocking call says how long it blocks. Functions without
 * a node handle do not block unless their comment says so.
 *
 * Ownership. Pointer arguments are borrowed for the duration of the call
 * unless their comment says otherwise. Everything coffer returns is
 * allocated by coffer and released only by the free function named for it
 * (coffer_free for single buffers); every free function accepts NULL and
 * zeroizes what it frees (values, shares and tokens are secrets). On
 * failure, output pointers are set to NULL and output lengths to 0, also
 * when the handle is NULL. Strings coffer returns are NUL-terminated; byte
 * values are too, beyond their length, for convenience. Strings passed in
 * are NUL-terminated UTF-8 or bytes; durations and times are int64
 * nanoseconds (times since the Unix epoch; metric timings excepted, which
 * are seconds as a double); booleans are ints (0 false).
 *
 * ABI evolution. Structs that coffer returns are only ever read by callers
 * through pointers; new fields are appended, so a caller built against an
 * older header keeps working. Structs the caller passes in start with
 * `struct_size`: fill them with their _init function, passing sizeof the
 * struct (it writes only that many bytes: the defaults and struct_size);
 * coffer then reads only struct_size bytes, uses defaults for fields
 * beyond, and refuses (COFFER_INVALID_ARGUMENT) a larger struct whose
 * fields unknown to it are not zero, or a struct_size smaller than a
 * size_t. Arrays of returned structs are arrays of pointers for the same
 * reason.
 *
 * Threads and callbacks. Every function is thread-safe, except that a
 * handle or result must not be freed or closed while another thread uses
 * it, and an _init function writes only the caller's struct. A node calls
 * the host's callbacks (coffer/c/host.h) one at a time, except the audit
 * callback (which host.h describes): on its event-loop thread while the
 * loop runs (it starts inside coffer_node_open and ends when
 * coffer_node_shutdown or coffer_node_close returns), and during
 * coffer_node_open also on the caller's thread. The snapshot functions
 * call their read and write callbacks on the caller's thread. A callback
 * must not call into the node that called it, except coffer_node_receive;
 * it may call the functions without a node handle, and the send callback
 * coffer_node_receive of any node (the log and metric callbacks call into
 * no node).
 *
 * This header and every one it includes compile as C99 and as C++. */
#ifndef COFFER_C_H_
#define COFFER_C_H_

#include "coffer/c/audit.h"
#include "coffer/c/auth.h"
#include "coffer/c/cluster.h"
#include "coffer/c/common.h"
#include "coffer/c/host.h"
#include "coffer/c/kv.h"
#include "coffer/c/node.h"
#include "coffer/c/raw.h"
#include "coffer/c/seal.h"
#include "coffer/c/shamir.h"
#include "coffer/c/snapshot.h"

#endif /* COFFER_C_H_ */
