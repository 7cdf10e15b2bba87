/* coffer's C ABI: tokens, ACL policies and capabilities, with Vault's
 * semantics (auth/token/..., sys/policies/acl/..., sys/capabilities...); the
 * rules every function follows (codes, tokens, node errors, request
 * errors, blocking, ownership) are in coffer/c.h.
 *
 * Concepts. A token is a bearer credential ("hvs." and 33 base62
 * characters) with a set of policies; its accessor names it without being
 * able to use it (for lookups and revocation by an operator). Tokens form
 * a tree: a token is the child of the token that created it, unless it is
 * an orphan, and revoking a token revokes its children too (unless they
 * are orphans, or the revocation orphans them). A policy is a named text
 * in Vault's policy language (HCL or its JSON form) granting capabilities
 * ("create", "read", "update", "patch", "delete", "list", "sudo", "deny")
 * on paths; "root" grants everything and "default", which every token has
 * unless created without it, lets a token look itself up, renew and
 * revoke itself.
 *
 * Tokens needed (the `token` argument, coffer/c.h): coffer_token_create
 * update on auth/token/create (or, with orphan_endpoint, on
 * auth/token/create-orphan); lookup update on auth/token/lookup (by id)
 * or auth/token/lookup-accessor, read on auth/token/lookup-self; renew
 * update on auth/token/renew or renew-self; revoke update
 * on auth/token/revoke, revoke-accessor or revoke-self, and for
 * COFFER_REVOKE_ORPHAN update with sudo on auth/token/revoke-orphan;
 * accessors list with sudo on auth/token/accessors; policy write create or
 * update, read read, delete delete on sys/policies/acl/<name>, list list on
 * sys/policies/acl; capabilities update on sys/capabilities (by id),
 * sys/capabilities-accessor or sys/capabilities-self.
 *
 * Every function here is a request (served by this node after a ReadIndex
 * round for the reads, by the leader for the writes) and needs this node
 * (and the leader) unsealed and the cluster initialized. The common auth
 * errors, which each of them may return besides its own:
 * COFFER_PERMISSION_DENIED for a token that may not make the call
 * ("node: permission denied", the same for every reason);
 * COFFER_INVALID_ARGUMENT for a NULL required pointer or a bad argument;
 * COFFER_FAILED_PRECONDITION when this node or the leader is sealed or
 * the cluster is not initialized; the node errors and request errors.
 *
 * Thread-safety: every function is thread-safe.
 * This header compiles as C99 and as C++. */
#ifndef COFFER_C_AUTH_H_
#define COFFER_C_AUTH_H_

#include <stddef.h>
#include <stdint.h>

#include "coffer/c/common.h"
#include "coffer/c/kv.h"
#include "coffer/c/node.h"
#include "coffer/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How a function names the token it acts on (`ref_kind`, with `ref`):
 *   COFFER_TOKEN_REF_ID        `ref` is the token's id
 *   COFFER_TOKEN_REF_ACCESSOR  `ref` is the token's accessor
 *   COFFER_TOKEN_REF_SELF      the caller's own token (`ref` is ignored
 *                              and may be NULL)
 * Any other value is COFFER_INVALID_ARGUMENT. */
#define COFFER_TOKEN_REF_ID 0
#define COFFER_TOKEN_REF_ACCESSOR 1
#define COFFER_TOKEN_REF_SELF 2

/* How coffer_token_revoke treats the token's children:
 *   COFFER_REVOKE_TREE    every descendant that is not an orphan is
 *                         revoked too (Vault's revoke, revoke-accessor,
 *                         revoke-self)
 *   COFFER_REVOKE_ORPHAN  the children become orphans (Vault's
 *                         revoke-orphan; by id or self, not by
 *                         accessor)
 * Any other value is COFFER_INVALID_ARGUMENT. */
#define COFFER_REVOKE_TREE 0
#define COFFER_REVOKE_ORPHAN 1

/* What a new token gets (Vault's auth/token/create parameters). Fill with
 * coffer_token_create_options_init (the defaults below), then set the
 * fields you need. Strings and arrays are borrowed for the call. */
typedef struct coffer_token_create_options {
  size_t struct_size;
  /* Its policies: none (default) gives the caller's. Names are trimmed
   * and lower-cased; "default" is added unless no_default_policy; "root"
   * stands alone and needs a root caller; the others must be the caller's
   * unless it has sudo on the create path. */
  const char* const* policies;
  size_t num_policies;
  int no_default_policy; /* default 0 */
  /* Metadata shown by lookups: names unique; values are strings
   * (value_len bytes). Default none. */
  const coffer_kv_field_t* metadata;
  size_t num_metadata;
  /* An orphan: no parent, so it outlives its creator's revocation. Needs
   * sudo on auth/token/create, or a root caller. Default 0. */
  int no_parent;
  int renewable; /* default 1 */
  /* Its time to live: 0 (default) is the default, 768 h; explicit_max_ttl
   * caps every renewal (0: none); a period makes it periodic (renewed by
   * the period each time; needs sudo). Not negative. */
  int64_t ttl_ns;
  int64_t explicit_max_ttl_ns;
  int64_t period_ns;
  /* Shown as "token-<display_name>" (sanitized as Vault does); NULL or
   * "" (default): "token". */
  const char* display_name;
  uint32_t num_uses; /* uses before it is revoked; 0 (default): unlimited */
  /* Vault's auth/token/create-orphan endpoint: an orphan, authorized by
   * update on auth/token/create-orphan instead. Default 0. */
  int orphan_endpoint;
} coffer_token_create_options_t;
/* Writes the defaults and struct_size into the first `struct_size` bytes
 * at `options` (NULL or a size below a size_t: no-op). */
COFFER_EXPORT void coffer_token_create_options_init(
    coffer_token_create_options_t* options, size_t struct_size);

/* A token, as Vault's token lookup shows it (never its id). Owned by
 * coffer until coffer_token_info_free; read-only for the caller. */
typedef struct coffer_token_info {
  char* accessor;
  char** policies; /* num_policies names, sorted */
  size_t num_policies;
  coffer_kv_field_t* metadata; /* by name in byte order */
  size_t num_metadata;
  char* display_name;
  uint32_t num_uses; /* uses left; 0: unlimited */
  int64_t creation_time_ns;
  int64_t creation_ttl_ns; /* 0: no expiry */
  int has_expire_time;     /* 0: it never expires (expire_time_ns 0) */
  int64_t expire_time_ns;
  int64_t ttl_ns; /* left at the lookup's time */
  int64_t explicit_max_ttl_ns;
  int64_t period_ns;
  int renewable;
  int orphan;
  int has_last_renewal_time; /* 0: never renewed */
  int64_t last_renewal_time_ns;
  char* type; /* "service" */
} coffer_token_info_t;
/* Frees `info` and everything in it. NULL is a no-op. */
COFFER_EXPORT void coffer_token_info_free(coffer_token_info_t* info);

/* A token just created. Secret: `id` is the credential; hand it to its
 * holder, then free the struct with coffer_created_token_free (which
 * zeroizes it). It cannot be shown again. */
typedef struct coffer_created_token {
  char* id; /* "hvs." + 33 base62 characters */
  coffer_token_info_t* info;
} coffer_created_token_t;
/* Zeroizes and frees `token` and its info. NULL is a no-op. */
COFFER_EXPORT void coffer_created_token_free(coffer_created_token_t* token);

/* Creates a token with `options` (NULL: the defaults), a child of the
 * caller's token unless no_parent or orphan_endpoint. On COFFER_OK, *out
 * is new, freed with coffer_created_token_free.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `out`, bad options (unset
 * struct_size, NULL policies or metadata with a non-zero count, a NULL
 * policy name, a metadata field with a NULL name or given twice,
 * a negative duration) or what Vault refuses (a ttl above the caller's,
 * "root" with other policies); COFFER_PERMISSION_DENIED also for
 * policies, no_parent or a period the caller may not give, or a caller
 * whose token has limited uses; the common auth errors. */
COFFER_EXPORT int coffer_token_create(
    coffer_node_t* node, const char* token, coffer_created_token_t** out,
    const coffer_token_create_options_t* options);

/* Looks up the token that `ref_kind` and `ref` name. On COFFER_OK, *out is
 * new, freed with coffer_token_info_free.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `out`, a bad ref_kind or a
 * NULL `ref` (id or accessor); COFFER_PERMISSION_DENIED also for an id
 * that is not a usable token; COFFER_NOT_FOUND for an unknown accessor;
 * the common auth errors. */
COFFER_EXPORT int coffer_token_lookup(coffer_node_t* node, const char* token,
                                      coffer_token_info_t** out, int ref_kind,
                                      const char* ref);

/* Renews the token that `ref_kind` and `ref` name by `increment_ns` (0:
 * its last ttl; a periodic token gets its period), never beyond its
 * explicit_max_ttl or the system maximum. On COFFER_OK, when `out` is not
 * NULL, *out is the token as renewed, freed with coffer_token_info_free.
 * Errors: COFFER_INVALID_ARGUMENT for a bad ref_kind, a NULL id or
 * accessor, a negative increment, or a token that is not renewable or
 * never expires; COFFER_PERMISSION_DENIED also for an id that is not a
 * usable token; COFFER_NOT_FOUND for an accessor of no usable token; the
 * common auth errors. */
COFFER_EXPORT int coffer_token_renew(coffer_node_t* node, const char* token,
                                     coffer_token_info_t** out, int ref_kind,
                                     const char* ref, int64_t increment_ns);

/* Revokes the token that `ref_kind` and `ref` name, with `mode` (a
 * COFFER_REVOKE_ value): from the moment it returns, the token (and with
 * COFFER_REVOKE_TREE every descendant that is not an orphan) is refused on
 * every node; the leader removes their records in bounded batches
 * afterwards. COFFER_OK for an unknown id (nothing to do).
 * Errors: COFFER_INVALID_ARGUMENT for a bad ref_kind or mode, a NULL
 * `ref` (id or accessor), or COFFER_REVOKE_ORPHAN by accessor;
 * COFFER_NOT_FOUND for an unknown accessor; the
 * common auth errors. */
COFFER_EXPORT int coffer_token_revoke(coffer_node_t* node, const char* token,
                                      int ref_kind, const char* ref, int mode);

/* Every token's accessor, sorted (Vault's auth/token/accessors). On
 * COFFER_OK, *out is new, freed with coffer_string_list_free.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `out`; the common auth
 * errors. */
COFFER_EXPORT int coffer_token_accessors(coffer_node_t* node, const char* token,
                                         coffer_string_list_t** out);

/* Parses, checks and stores `text` as policy `name` (lower-cased),
 * replacing any policy of that name; it applies to every later request on
 * every node. "root" cannot be written.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `name` or `text`, a bad name,
 * or a malformed policy ("acl: <line>:<column>: ..."); the common auth
 * errors. */
COFFER_EXPORT int coffer_policy_write(coffer_node_t* node, const char* token,
                                      const char* name, const char* text);
/* The text of policy `name` as written. On COFFER_OK, *out is a copy,
 * *out_len bytes NUL-terminated beyond them, freed with coffer_free.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `out`, `out_len` or `name`;
 * COFFER_NOT_FOUND for no such policy; the common auth errors. */
COFFER_EXPORT int coffer_policy_read(coffer_node_t* node, const char* token,
                                     char** out, size_t* out_len,
                                     const char* name);
/* Every policy's name, sorted ("default" and "root" included). On
 * COFFER_OK, *out is new, freed with coffer_string_list_free.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `out`; the common auth
 * errors. */
COFFER_EXPORT int coffer_policy_list(coffer_node_t* node, const char* token,
                                     coffer_string_list_t** out);
/* Deletes policy `name` (COFFER_OK when absent). Tokens keep the name; it
 * grants nothing until a policy of that name is written again.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `name`, or "root" or
 * "default" (which cannot be deleted); the common auth errors. */
COFFER_EXPORT int coffer_policy_delete(coffer_node_t* node, const char* token,
                                       const char* name);

/* The capabilities a token's policies grant on one path. */
typedef struct coffer_path_capabilities {
  char* path;
  /* {"root"}, {"deny"}, or capability names, sorted */
  char** capabilities;
  size_t num_capabilities;
} coffer_path_capabilities_t;
/* What coffer_capabilities returns; owned by coffer until
 * coffer_capabilities_free. */
typedef struct coffer_capabilities {
  coffer_path_capabilities_t** paths; /* num_paths entries, by path */
  size_t num_paths;
} coffer_capabilities_t;
/* For each of the `num_paths` NUL-terminated paths at `paths`, the
 * capabilities that the policies of the token `ref_kind` and `ref` name
 * grant there (Vault's sys/capabilities, capabilities-accessor and
 * capabilities-self). On COFFER_OK,
 * *out is new, freed with coffer_capabilities_free.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `out`, a bad ref_kind, a
 * NULL `ref` (id or accessor), NULL `paths` with a non-zero count, a NULL
 * path, a path above 4096 bytes, or a list outside 1..1024 paths;
 * COFFER_PERMISSION_DENIED also for an id that is not a usable token;
 * COFFER_NOT_FOUND for an unknown accessor; the common auth errors. */
COFFER_EXPORT int coffer_capabilities(coffer_node_t* node, const char* token,
                                      coffer_capabilities_t** out, int ref_kind,
                                      const char* ref, const char* const* paths,
                                      size_t num_paths);
/* Frees `capabilities` and everything in it. NULL is a no-op. */
COFFER_EXPORT void coffer_capabilities_free(
    coffer_capabilities_t* capabilities);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* COFFER_C_AUTH_H_ */
