/* coffer's C ABI: Shamir's secret sharing over GF(2^8), compatible with
 * HashiCorp Vault (parts made by Vault combine here and the reverse).
 *
 * A secret of any length is split into parts such that any `threshold` of
 * them recover it and fewer reveal nothing about it. A part is the
 * secret's length plus one byte (its x coordinate, 1..255): raw bytes, not
 * hex. The arithmetic has no secret-dependent branches or table look-ups;
 * randomness comes from the operating system's CSPRNG. These functions
 * need no node: they are the seal's scheme, exposed for tools and tests.
 *
 * Thread-safety: both functions are thread-safe; neither blocks (beyond
 * reading the CSPRNG) nor calls a callback. Secrets: the parts and the
 * combined secret are secret; their free functions zeroize them.
 * This header compiles as C99 and as C++. */
#ifndef COFFER_C_SHAMIR_H_
#define COFFER_C_SHAMIR_H_

#include <stddef.h>

#include "coffer/c/common.h"
#include "coffer/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Splits the `secret_len` bytes at `secret` into `shares` parts, any
 * `threshold` of which recover it. On COFFER_OK, *out is a new list of
 * `shares` parts of secret_len + 1 bytes each, freed (and zeroized) with
 * coffer_string_list_free; `secret` is only read during the call.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `out`, a NULL `secret` with
 * a non-zero length, an empty secret, `shares` outside 1..255, `threshold`
 * outside 1..shares, or a threshold of 1 with more than one share (every
 * part would be the secret); COFFER_INTERNAL if the random number
 * generator fails; COFFER_RESOURCE_EXHAUSTED when out of memory. */
COFFER_EXPORT int coffer_shamir_split(coffer_string_list_t** out,
                                      const void* secret, size_t secret_len,
                                      int shares, int threshold);
/* Recovers a secret from `num_parts` parts, parts[i] being part_lens[i]
 * bytes (at least a threshold of one split, in any order). On COFFER_OK,
 * *out is a new buffer of *out_len bytes (each part's length minus one),
 * NUL-terminated beyond them, freed (and zeroized) with coffer_free. Fewer
 * parts than the threshold, or parts of different splits, give a wrong
 * secret rather than an error: the scheme cannot tell, so verify the
 * result (coffer's seal does, with AES-GCM).
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `out` or `out_len`, NULL
 * `parts` or `part_lens` with num_parts > 0, a NULL parts[i] with a
 * non-zero length, no parts, more than 255, a part shorter than 2 bytes,
 * parts of different lengths, two parts with the same x coordinate, or an
 * x coordinate of 0; COFFER_RESOURCE_EXHAUSTED when out of memory. */
COFFER_EXPORT int coffer_shamir_combine(char** out, size_t* out_len,
                                        const void* const* parts,
                                        const size_t* part_lens,
                                        size_t num_parts);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* COFFER_C_SHAMIR_H_ */
