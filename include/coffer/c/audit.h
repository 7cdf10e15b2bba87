/* coffer's C ABI: audit devices, with Vault's semantics (sys/audit,
 * sys/audit-hash); the rules every function follows (codes, tokens, node
 * errors, request errors, blocking, ownership) are in coffer/c.h.
 *
 * Concepts. An audit device, enabled at a path ("file/"), receives a
 * request record and a response record (one JSON object each, Vault's
 * format) for every authenticated request, on every node, with each
 * secret string (tokens, values, ...) replaced by "hmac-sha256:<hex>"
 * under the device's own key. The device table is replicated; each node
 * writes its own records. When at least one device is enabled and none
 * can record a request, the request fails and changes nothing.
 *
 * Types and their options (name = value):
 *   "file"      file_path (required): an absolute path, "stdout", or a
 *               path relative to the node's data_dir; mode (octal, default
 *               "0600"). The leader checks that it can open it.
 *   "callback"  hands each record to the node's options->audit callback
 *               (coffer/c/host.h); a node opened without one cannot record
 *               through this device.
 *
 * Tokens needed (the `token` argument, coffer/c.h): sudo on sys/audit/<path>
 * (enable: create or update; disable: delete) and on sys/audit (list:
 * read); update on sys/audit-hash/<path> for a hash.
 *
 * Every function here is a request (served by this node after a ReadIndex
 * round for the reads, by the leader for the writes) and needs this node
 * (and the leader) unsealed and the cluster initialized. Besides its own
 * errors, each may return the common auth errors (coffer/c/auth.h).
 *
 * Thread-safety: every function is thread-safe.
 * This header compiles as C99 and as C++. */
#ifndef COFFER_C_AUDIT_H_
#define COFFER_C_AUDIT_H_

#include <stddef.h>
#include <stdint.h>

#include "coffer/c/common.h"
#include "coffer/c/kv.h"
#include "coffer/c/node.h"
#include "coffer/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Enables a device of `type` at `path` (a trailing '/' is added when
 * missing) with `description` (NULL: none) and `num_options` options
 * (names unique; values NUL-free text).
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `path` or `type`, an unknown
 * type, a missing or unknown option, a bad value or a path in use;
 * COFFER_UNAVAILABLE when the leader cannot open the device's file; the
 * common auth errors. */
COFFER_EXPORT int coffer_audit_enable(coffer_node_t* node, const char* token,
                                      const char* path, const char* type,
                                      const char* description,
                                      const coffer_kv_field_t* options,
                                      size_t num_options);
/* Disables the device at `path`; its records stay where they were written.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `path`; COFFER_NOT_FOUND when
 * no device is enabled there; the common auth errors. */
COFFER_EXPORT int coffer_audit_disable(coffer_node_t* node, const char* token,
                                       const char* path);

/* One enabled device; owned by the coffer_audit_devices_t holding it. */
typedef struct coffer_audit_device {
  char* path; /* with its trailing '/' */
  char* type;
  char* description;
  coffer_kv_field_t* options; /* by name in byte order */
  size_t num_options;
} coffer_audit_device_t;
/* What coffer_audit_list returns; owned by coffer until
 * coffer_audit_devices_free. */
typedef struct coffer_audit_devices {
  coffer_audit_device_t** devices; /* num_devices entries, by path */
  size_t num_devices;
} coffer_audit_devices_t;

/* The enabled devices. On COFFER_OK, *out is new, freed with
 * coffer_audit_devices_free.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `out`; the common auth
 * errors. */
COFFER_EXPORT int coffer_audit_list(coffer_node_t* node, const char* token,
                                    coffer_audit_devices_t** out);
/* Frees `devices` and everything in it. NULL is a no-op. */
COFFER_EXPORT void coffer_audit_devices_free(coffer_audit_devices_t* devices);

/* Vault's sys/audit-hash: "hmac-sha256:<hex>" of the `input_len` bytes at
 * `input` under the key of the device at `path`, to find a known value in
 * the records. On COFFER_OK, *out is new, *out_len bytes NUL-terminated
 * beyond them, freed with coffer_free.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `out`, `out_len` or `path`,
 * or a NULL `input` with a non-zero length; COFFER_NOT_FOUND when no
 * device is enabled at `path`; the common auth errors. */
COFFER_EXPORT int coffer_audit_hash(coffer_node_t* node, const char* token,
                                    char** out, size_t* out_len,
                                    const char* path, const char* input,
                                    size_t input_len);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* COFFER_C_AUDIT_H_ */
