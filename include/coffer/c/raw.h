/* coffer's C ABI: raw secret storage through the barrier, as Vault's
 * sys/raw; the rules every function follows (codes, node errors, request
 * errors, blocking, ownership) are in coffer/c.h.
 *
 * A raw path is a physical path of 1..1024 bytes (NUL-terminated; the
 * prefixes "core/", "node/" and "sys/" are reserved); its value is any
 * bytes, encrypted with the cluster's keyring and bound to the path before
 * it reaches the log or the disk. Every call needs this node unsealed, and
 * the leader too for writes and linearizable reads. Tokens (coffer/c.h):
 * put needs update, get read, delete delete on "sys/raw/<path>", each with
 * sudo; COFFER_PERMISSION_DENIED otherwise.
 *
 * Thread-safety: every function is thread-safe.
 * This header compiles as C99 and as C++. */
#ifndef COFFER_C_RAW_H_
#define COFFER_C_RAW_H_

#include <stddef.h>

#include "coffer/c/common.h"
#include "coffer/c/node.h"
#include "coffer/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes the `value_len` bytes at `value` (NULL allowed when value_len is
 * 0) at `path`. A request: returns once applied on the leader.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `path`, a path outside
 * 1..1024 bytes or under a reserved prefix, or a NULL `value` with
 * value_len > 0; COFFER_FAILED_PRECONDITION when this node or the leader
 * is sealed; COFFER_RESOURCE_EXHAUSTED above max_entry_bytes; the node
 * errors and request errors. */
COFFER_EXPORT int coffer_node_put_raw(coffer_node_t* node, const char* token,
                                      const char* path, const void* value,
                                      size_t value_len);
/* Reads `path` with `consistency` (a COFFER_READ_ value: linearizable, a
 * request; stale, local). On COFFER_OK, *out is a copy of the value,
 * *out_len bytes NUL-terminated beyond them, freed (and zeroized) with
 * coffer_free.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `out`, `out_len` or `path`, a
 * bad path or consistency; COFFER_NOT_FOUND when `path` holds no value;
 * COFFER_FAILED_PRECONDITION when this node (or, for a linearizable read,
 * the leader) is sealed; COFFER_DATA_LOSS when the stored value fails
 * authentication; the node errors, and for a linearizable read the
 * request errors. */
COFFER_EXPORT int coffer_node_get_raw(coffer_node_t* node, const char* token,
                                      char** out, size_t* out_len,
                                      const char* path, int consistency);
/* Deletes `path` (COFFER_OK when it holds no value). A request.
 * Errors: as coffer_node_put_raw, without the value's. */
COFFER_EXPORT int coffer_node_delete_raw(coffer_node_t* node, const char* token,
                                         const char* path);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* COFFER_C_RAW_H_ */
