/* coffer's C ABI: the seal and the barrier's keys (Vault's sys/init,
 * sys/unseal, sys/seal, sys/seal-status, sys/rotate, sys/key-status,
 * sys/rekey and seal migration); the rules every function follows (codes,
 * node errors, request errors, blocking, ownership) are in coffer/c.h.
 *
 * Concepts. Stored data is encrypted by the barrier with a keyring of data
 * keys; the keyring is encrypted by the root key; the root key is
 * protected by the seal: the Shamir seal encrypts it with an unseal key
 * that exists only as shares held by operators (unsealing means submitting
 * a threshold of them, one at a time, to each node); an auto-unseal seal
 * has the host's KMS wrap it, so that nodes unseal themselves, and
 * operator quorums (rekey, migration) use recovery shares instead. A
 * sealed node holds no key material and serves no data. Shares passed in
 * are NUL-terminated raw bytes, hex or base64 (a raw share holding a NUL
 * byte must be passed as hex or base64); shares returned are hex.
 *
 * Tokens (coffer/c.h). Seal needs update with sudo on sys/seal, rotate
 * update with sudo on sys/rotate, key status read on sys/key-status; the
 * shares authorize the others, which take no token.
 *
 * Thread-safety: every function is thread-safe.
 * This header compiles as C99 and as C++. */
#ifndef COFFER_C_SEAL_H_
#define COFFER_C_SEAL_H_

#include <stddef.h>
#include <stdint.h>

#include "coffer/c/common.h"
#include "coffer/c/node.h"
#include "coffer/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What coffer_node_initialize returns. Secret: show it to the operators
 * once, then free it with coffer_init_result_free (which zeroizes it). */
typedef struct coffer_init_result {
  char** keys; /* num_keys unseal shares, hex (Shamir seal; else none) */
  size_t num_keys;
  char** recovery_keys; /* num_recovery_keys recovery shares, hex (KMS) */
  size_t num_recovery_keys;
  /* The first administrator's token: an "hvs." token (37 characters)
   * with the root policy, to pass as `token` (coffer/c.h) and to create
   * other tokens with (coffer/c/auth.h). An ordinary token: it can be
   * revoked. Only a keyed hash of it is stored, so it cannot be shown
   * again. */
  char* root_token;
} coffer_init_result_t;
/* Initializes the cluster's seal: creates the root key and keyring and
 * splits the unseal key into `secret_shares` shares, any
 * `secret_threshold` of which unseal (Shamir seal: shares 1..255,
 * threshold 1..shares and at least 2 when shares > 1), or, with a KMS,
 * has the leader's KMS wrap the root key and makes `recovery_shares`
 * recovery shares of threshold `recovery_threshold` (same ranges). A
 * request: the result crosses the transport once. With the Shamir seal
 * every node, this one included, stays sealed until unsealed. On
 * COFFER_OK, *out is new, freed with coffer_init_result_free.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `out` or bad share counts;
 * COFFER_FAILED_PRECONDITION when already initialized; the KMS's error
 * when its wrap fails; the node errors and request errors. */
COFFER_EXPORT int coffer_node_initialize(
    coffer_node_t* node, coffer_init_result_t** out, int secret_shares,
    int secret_threshold, int recovery_shares, int recovery_threshold);
/* Zeroizes and frees `result` and its strings. NULL is a no-op. */
COFFER_EXPORT void coffer_init_result_free(coffer_init_result_t* result);

/* A node's seal status (Vault's sys/seal-status). Owned by coffer until
 * coffer_seal_status_free; read-only for the caller. */
typedef struct coffer_seal_status {
  char* type;        /* "shamir", or the KMS's type for auto-unseal */
  int initialized;   /* the cluster's seal is initialized */
  int sealed;        /* this node is sealed */
  int threshold;     /* shares (or recovery shares) needed */
  int shares;        /* shares handed out at init or rekey */
  int progress;      /* distinct valid-looking shares submitted so far */
  char* nonce;       /* identifies the current unseal attempt; "" if none */
  char* version;     /* coffer's version */
  int migration;     /* the stored seal differs from the configured one */
  int recovery_seal; /* shares are recovery shares (auto-unseal) */
  /* This node was removed from its cluster: it takes no part in it and
   * cannot rejoin with its data. */
  int removed_from_cluster;
} coffer_seal_status_t;
/* Submits one unseal share of `share_len` bytes at `share` (raw, hex or
 * base64; not NUL-terminated: share_len counts) to this node's current
 * unseal attempt; `sealed` turns 0 once a threshold of right shares is
 * in. On an unsealed node it only reports the status. On a joining node
 * (coffer_node_join) the shares open the join challenge; the last one
 * answers it and returns once the leader admitted the node (still sealed:
 * it unseals itself after catching up) or with the leader's refusal.
 * Local, except on a joining node (up to request_timeout_ns). On
 * COFFER_OK, when `out` is not NULL, *out is the status after the share,
 * freed with coffer_seal_status_free.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `share` or a malformed one;
 * COFFER_PERMISSION_DENIED for a complete set of wrong shares (the
 * attempt resets); COFFER_FAILED_PRECONDITION before initialization, with
 * an auto-unseal seal, or while a seal migration is pending; on a joining
 * node, the leader's refusal (COFFER_PERMISSION_DENIED for wrong shares,
 * COFFER_ALREADY_EXISTS, ...); the node errors. */
COFFER_EXPORT int coffer_node_unseal(coffer_node_t* node,
                                     coffer_seal_status_t** out,
                                     const void* share, size_t share_len);
/* Seals this node only: wipes its keys and unseal progress. Idempotent:
 * on a sealed node COFFER_OK at once, whatever the token. Otherwise the
 * token is checked on this node's applied state (no round trip, so it
 * works while the leader is sealed), then the sealing is local.
 * Errors: COFFER_PERMISSION_DENIED for a token that may not; the node
 * errors and request errors. */
COFFER_EXPORT int coffer_node_seal(coffer_node_t* node, const char* token);
/* This node's seal status (on a joining node, the seal of the cluster it
 * joins). Local; works sealed. On COFFER_OK, *out is new, freed with
 * coffer_seal_status_free.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `out`; COFFER_DATA_LOSS for
 * corrupt seal records; the node errors. */
COFFER_EXPORT int coffer_node_seal_status(coffer_node_t* node,
                                          coffer_seal_status_t** out);
/* Frees `status` and its strings. NULL is a no-op. */
COFFER_EXPORT void coffer_seal_status_free(coffer_seal_status_t* status);

/* The barrier's active data key (Vault's sys/key-status). Owned by coffer
 * until coffer_key_status_free. */
typedef struct coffer_key_status {
  /* The keyring term that encrypts new data (1 at initialization). */
  uint32_t term;
  /* When coffer_node_rotate_key installed the term (the leader's clock);
   * 0 when not recorded: term 1 and the automatic rotations. */
  int64_t install_time_ns;
  /* Encryptions under the term as counted by this node: an upper bound;
   * 0 in coffer_node_rotate_key's result. */
  uint64_t encryptions;
} coffer_key_status_t;
/* Adds a new term to the keyring (Vault's rotate): new data is encrypted
 * with it, older data stays readable with older terms. Every node adopts
 * it when it applies the rotation (a sealed node when it next unseals). A
 * request. On COFFER_OK, when `out` is not NULL, *out is the new term's
 * status, freed with coffer_key_status_free.
 * Errors: COFFER_FAILED_PRECONDITION when this node or the leader is
 * sealed; COFFER_PERMISSION_DENIED for a token that may not; the node
 * errors and request errors. */
COFFER_EXPORT int coffer_node_rotate_key(coffer_node_t* node, const char* token,
                                         coffer_key_status_t** out);
/* This node's active key term (no forwarding: after a rotation, each node
 * reports the new term once it has applied it): local, after a token check
 * on this node's applied state (no round trip). On COFFER_OK, *out
 * is new, freed with coffer_key_status_free.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `out`;
 * COFFER_FAILED_PRECONDITION when this node is sealed;
 * COFFER_PERMISSION_DENIED for a token that may not; the node errors and
 * request errors. */
COFFER_EXPORT int coffer_node_key_status(coffer_node_t* node, const char* token,
                                         coffer_key_status_t** out);
/* Frees `status`. NULL is a no-op. */
COFFER_EXPORT void coffer_key_status_free(coffer_key_status_t* status);

/* Replaces the unseal shares (Shamir seal) or, with a KMS, the recovery
 * shares by `secret_shares` new ones of threshold `secret_threshold`,
 * authorised by at least a threshold of the current ones: the
 * `num_current_keys` strings at `current_keys`. The root key and the data
 * stay as they are; the old shares stop working everywhere once the
 * change is applied. A request. On COFFER_OK, *out is the new shares, hex
 * (secret: show them to the operators once), freed (and zeroized) with
 * coffer_string_list_free.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `out`, NULL `current_keys`
 * with a non-zero count, a NULL share, malformed shares, too few of them
 * or bad counts; COFFER_PERMISSION_DENIED when the current shares are
 * wrong (nothing changes); COFFER_FAILED_PRECONDITION when this node or
 * the leader is sealed or a seal migration is pending; the node errors
 * and request errors. */
COFFER_EXPORT int coffer_node_rekey(coffer_node_t* node,
                                    coffer_string_list_t** out,
                                    const char* const* current_keys,
                                    size_t num_current_keys, int secret_shares,
                                    int secret_threshold);
/* Migrates the seal (as Vault). To move a Shamir cluster to auto-unseal,
 * reopen every node with a kms: each reports `migration` and stays
 * sealed. To move back, reopen every node with kms NULL and
 * migrate_from_kms set to the old KMS. Then call this on any node with a
 * threshold of the stored seal's shares, the `num_keys` strings at `keys`
 * (unseal shares going to auto-unseal, recovery shares going back). The
 * leader recovers the root key, rewraps it under the new seal and
 * replicates the new seal records; the root key, the data and the shares
 * stay (the shares serve on in their new role). Once applied, KMS nodes
 * unseal themselves; after a move to Shamir the leader is unsealed and
 * the others are unsealed with the shares. A request; the leader calls
 * its KMS callbacks on its loop thread.
 * Errors: COFFER_INVALID_ARGUMENT for NULL `keys` with a non-zero count, a
 * NULL share, malformed or too few shares; COFFER_FAILED_PRECONDITION
 * when no migration is pending on the leader; COFFER_PERMISSION_DENIED for
 * wrong shares; COFFER_UNAVAILABLE when the KMS fails (nothing changes);
 * the node errors and request errors. */
COFFER_EXPORT int coffer_node_seal_migrate(coffer_node_t* node,
                                           const char* const* keys,
                                           size_t num_keys);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* COFFER_C_SEAL_H_ */
