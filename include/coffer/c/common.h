/* coffer's C ABI: error codes, versions, the last error message, memory
 * and string lists; the rules they follow are in coffer/c.h.
 *
 * Thread-safety: every function here is thread-safe and never blocks.
 * This header compiles as C99 and as C++. */
#ifndef COFFER_C_COMMON_H_
#define COFFER_C_COMMON_H_

#include <stddef.h>
#include <stdint.h>

#include "coffer/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Incremented on every incompatible change; compare with
 * coffer_abi_version() at run time. 2: the functions that read or change
 * the cluster's data take the caller's token (coffer/c.h, Tokens). */
#define COFFER_ABI_VERSION 2

/* Return codes: absl::StatusCode's values. coffer/c.h says which code
 * means what and what the caller should do. */
#define COFFER_OK 0
#define COFFER_CANCELLED 1
#define COFFER_UNKNOWN 2
#define COFFER_INVALID_ARGUMENT 3
#define COFFER_DEADLINE_EXCEEDED 4
#define COFFER_NOT_FOUND 5
#define COFFER_ALREADY_EXISTS 6
#define COFFER_PERMISSION_DENIED 7
#define COFFER_RESOURCE_EXHAUSTED 8
#define COFFER_FAILED_PRECONDITION 9
#define COFFER_ABORTED 10
#define COFFER_OUT_OF_RANGE 11
#define COFFER_UNIMPLEMENTED 12
#define COFFER_INTERNAL 13
#define COFFER_UNAVAILABLE 14
#define COFFER_DATA_LOSS 15
#define COFFER_UNAUTHENTICATED 16

/* The read consistency of the functions that read (coffer_node_get_raw,
 * coffer_kv_get, ...):
 *   COFFER_READ_LINEARIZABLE  reflects every write acknowledged before
 *                             the call began: a request, served by the
 *                             leader after a ReadIndex round (raft thesis
 *                             6.4); needs a leader and a quorum.
 *   COFFER_READ_STALE         this node's applied state, without asking
 *                             the leader: may miss recent writes; a local
 *                             call that works without a quorum.
 * Any other value is COFFER_INVALID_ARGUMENT. */
#define COFFER_READ_LINEARIZABLE 0
#define COFFER_READ_STALE 1

/* The library's COFFER_ABI_VERSION, which may differ from the header's. */
COFFER_EXPORT int coffer_abi_version(void);
/* The library's version, "MAJOR.MINOR.PATCH" (static storage: never
 * free it). */
COFFER_EXPORT const char* coffer_version(void);
/* The message of the last failed call on the calling thread, "" after a
 * success or before any call; at most 1023 bytes (longer ones are cut).
 * Owned by coffer (thread-local): valid until the calling thread's next
 * coffer call. Never holds secrets. */
COFFER_EXPORT const char* coffer_last_error_message(void);
/* The name of a code: "OK" for COFFER_OK, "INVALID_ARGUMENT" for
 * COFFER_INVALID_ARGUMENT, ...; "UNKNOWN" for a value outside 0..16.
 * Static storage: never free it. */
COFFER_EXPORT const char* coffer_error_name(int code);
/* Zeroizes and frees one buffer that coffer returned as a single
 * allocation: a value or string documented as "freed with coffer_free".
 * NULL is a no-op. REQUIRES: `p` came from coffer and is freed once; never
 * a pointer inside a returned struct, which its own free function
 * releases. */
COFFER_EXPORT void coffer_free(void* p);

/* A list of byte strings (names, shares), returned by coffer. items[i]
 * holds lens[i] bytes and is NUL-terminated beyond them; num_items may be
 * 0 (items and lens are then non-NULL but empty). Owned by coffer until
 * coffer_string_list_free; read-only for the caller. */
typedef struct coffer_string_list {
  char** items; /* num_items strings */
  size_t* lens; /* their lengths in bytes, without the NUL */
  size_t num_items;
} coffer_string_list_t;
/* Zeroizes and frees the list and every string in it. NULL is a no-op. */
COFFER_EXPORT void coffer_string_list_free(coffer_string_list_t* list);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* COFFER_C_COMMON_H_ */
