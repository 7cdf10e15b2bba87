/* coffer's C ABI: KV version 2 mounts, secrets and key metadata (as
 * Vault's kv-v2 engine). The rules every function follows (codes, node errors,
 * request errors, blocking, ownership) are in coffer/c.h.
 *
 * Concepts. A mount is a named engine instance ("secret/") with its own
 * configuration; mounts do not nest. Inside a mount, a key ("app/db")
 * holds versions 1, 2, 3, ...; each version is a whole set of fields. A
 * version can be soft-deleted (its data hidden, recoverable by undelete)
 * or destroyed (its data erased for good; its metadata stays).
 * Check-and-set (`cas`) makes a write conditional on the key's current
 * version: 0 means "only if the key has no version yet"; deleted and
 * destroyed versions count. Times are the leader's clock when the
 * operation was applied. Values are encrypted before they reach the log
 * or the disk.
 *
 * Paths. `mount` names a mount, its trailing '/' optional; `path` a key:
 * 1..1024 bytes of '/'-separated segments, none empty, "." or "..", with
 * no leading or trailing '/'. All are NUL-terminated.
 *
 * Tokens (coffer/c.h): each function needs a capability on one of Vault's
 * paths, where <mount> is the mount's path without its trailing '/':
 *   enable_mount          update on sys/mounts/<mount>
 *   disable_mount         delete on sys/mounts/<mount>
 *   tune_mount            update on sys/mounts/<mount>/tune
 *   list_mounts           read on sys/mounts
 *   find_mount            any capability on a path under the mount found
 *   put                   create (a key without versions) or update on
 *                         <mount>/data/<path>
 *   get, patch, delete    read, patch, delete on <mount>/data/<path>
 *   delete_versions,      update on <mount>/delete/<path>,
 *   undelete, destroy     <mount>/undelete/<path>, <mount>/destroy/<path>
 *   read_metadata         read on <mount>/metadata/<path>
 *   write_metadata        create (no metadata yet) or update there
 *   delete_metadata       delete there
 *   list                  list on <mount>/metadata/<folder>
 *
 * Every function taking a node is a request (local for a stale read) and
 * needs this node unsealed, and the leader too for a request. The common
 * KV errors, which each of them may return besides its own:
 * COFFER_PERMISSION_DENIED for a token that may not make the call;
 * COFFER_NOT_FOUND for an absent mount; COFFER_INVALID_ARGUMENT for a NULL
 * or bad mount or path; COFFER_FAILED_PRECONDITION when this node or the
 * leader is sealed; COFFER_RESOURCE_EXHAUSTED when a record would exceed
 * max_entry_bytes; COFFER_DATA_LOSS for a record that fails
 * authentication; the node errors and request errors.
 *
 * Thread-safety: every function is thread-safe.
 * This header compiles as C99 and as C++. */
#ifndef COFFER_C_KV_H_
#define COFFER_C_KV_H_

#include <stddef.h>
#include <stdint.h>

#include "coffer/c/common.h"
#include "coffer/c/node.h"
#include "coffer/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One field of a secret, or of a key's custom metadata: a NUL-terminated
 * `name` (non-empty; unique in its array) and `value_len` bytes at `value`
 * (NULL allowed when value_len is 0). Arrays passed in are borrowed for
 * the call; in returned structs both strings are owned by coffer and
 * NUL-terminated. */
typedef struct coffer_kv_field {
  const char* name;
  const char* value;
  size_t value_len;
} coffer_kv_field_t;

/* A mount's configuration; fill with coffer_mount_config_init. */
typedef struct coffer_mount_config {
  size_t struct_size;
  uint32_t max_versions;           /* kept per key before the oldest go;
                                      0 (default): 10 */
  int cas_required;                /* every write needs a cas; default 0 */
  int64_t delete_version_after_ns; /* a new version is deleted this long
                                      after its creation; 0 (default):
                                      never; not negative */
} coffer_mount_config_t;
/* Writes the defaults (all zero) and struct_size into the first
 * `struct_size` bytes at `config` (NULL or a size below a size_t: no-op). */
COFFER_EXPORT void coffer_mount_config_init(coffer_mount_config_t* config,
                                            size_t struct_size);

/* One enabled mount. */
typedef struct coffer_mount_info {
  char* path; /* with a trailing '/', e.g. "secret/" */
  char* id;   /* unique over the store's life, never reused */
  int64_t created_time_ns;
  uint32_t max_versions; /* the configuration, as coffer_mount_config_t */
  int cas_required;
  int64_t delete_version_after_ns;
} coffer_mount_info_t;
/* The enabled mounts, sorted by path; owned by coffer until
 * coffer_mount_list_free. */
typedef struct coffer_mount_list {
  coffer_mount_info_t** mounts; /* num_mounts mounts */
  size_t num_mounts;
} coffer_mount_list_t;

/* Enables a mount at `path` with `config` (NULL: the defaults).
 * Errors: COFFER_INVALID_ARGUMENT for a NULL or bad `path`, a path that
 * is or nests with an enabled mount's, a bad config (negative
 * delete_version_after_ns, unset struct_size); the common KV errors. */
COFFER_EXPORT int coffer_kv_enable_mount(coffer_node_t* node, const char* token,
                                         const char* path,
                                         const coffer_mount_config_t* config);
/* A partial update of a mount's configuration: a setting changes only
 * when its set_ flag is non-zero. Fill with
 * coffer_mount_config_update_init (nothing set). */
typedef struct coffer_mount_config_update {
  size_t struct_size;
  int set_max_versions;
  uint32_t max_versions;
  int set_cas_required;
  int cas_required;
  int set_delete_version_after;
  int64_t delete_version_after_ns;
} coffer_mount_config_update_t;
/* As coffer_mount_config_init, for an update (nothing set). */
COFFER_EXPORT void coffer_mount_config_update_init(
    coffer_mount_config_update_t* update, size_t struct_size);
/* Changes the settings set in `update` of the mount at `path` (Vault's
 * <mount>/config); they apply to later writes.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `path` or `update`, an unset
 * struct_size or a negative delete_version_after_ns; COFFER_NOT_FOUND for
 * no such mount; the common KV errors. */
COFFER_EXPORT int coffer_kv_tune_mount(
    coffer_node_t* node, const char* token, const char* path,
    const coffer_mount_config_update_t* update);
/* Disables the mount at `path`: its secrets are unreadable at once; the
 * leader deletes its records in batches after this returns (an
 * interrupted purge resumes with the next disable).
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `path`; COFFER_NOT_FOUND for
 * no such mount; the common KV errors. */
COFFER_EXPORT int coffer_kv_disable_mount(coffer_node_t* node,
                                          const char* token, const char* path);
/* The enabled mounts, read with `consistency` (a COFFER_READ_ value). On
 * COFFER_OK, *out is new, freed with coffer_mount_list_free.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `out` or a bad consistency;
 * the common KV errors. */
COFFER_EXPORT int coffer_kv_list_mounts(coffer_node_t* node, const char* token,
                                        coffer_mount_list_t** out,
                                        int consistency);
/* Frees `list`, its mounts and their strings. NULL is a no-op. */
COFFER_EXPORT void coffer_mount_list_free(coffer_mount_list_t* list);
/* The mount that serves `path` (the longest enabled mount path that
 * prefixes it; "secret" finds "secret/"), read with `consistency`, for a
 * token that grants any capability on some path under that mount: Vault's
 * sys/internal/ui/mounts/<path>, how a client without read on sys/mounts
 * finds the mount of a path. On COFFER_OK, *out is new, freed with
 * coffer_mount_info_free.
 * Errors: COFFER_PERMISSION_DENIED also when no mount serves the path (so
 * that the call cannot list the mounts); COFFER_INVALID_ARGUMENT for a
 * NULL `out`, a NULL or empty `path` or a bad consistency; the common KV
 * errors. */
COFFER_EXPORT int coffer_kv_find_mount(coffer_node_t* node, const char* token,
                                       coffer_mount_info_t** out,
                                       const char* path, int consistency);
/* Frees `mount` and its strings. NULL is a no-op. */
COFFER_EXPORT void coffer_mount_info_free(coffer_mount_info_t* mount);

/* What Vault reports about one version. */
typedef struct coffer_version_metadata {
  uint64_t version; /* 1, 2, ... */
  int64_t created_time_ns;
  int has_deletion_time;    /* 0: deletion_time_ns is unset */
  int64_t deletion_time_ns; /* when it became or becomes deleted (a soft
                               delete, or created + delete_version_after);
                               deleted once the time has come */
  int destroyed;            /* its data is gone for good */
  coffer_kv_field_t* custom_metadata; /* the key's, at the read; empty in
                                         the versions of a key metadata */
  size_t num_custom_metadata;
} coffer_version_metadata_t;
/* Frees `metadata` and its fields. NULL is a no-op. */
COFFER_EXPORT void coffer_version_metadata_free(
    coffer_version_metadata_t* metadata);

/* A version read by coffer_kv_get; owned by coffer until
 * coffer_kv_result_free. */
typedef struct coffer_kv_result {
  coffer_version_metadata_t* metadata;
  int has_data;              /* 0: the version is deleted or destroyed */
  coffer_kv_field_t* fields; /* its data, by name in byte order */
  size_t num_fields;
} coffer_kv_result_t;
/* Zeroizes and frees `result`, its metadata and fields. NULL: no-op. */
COFFER_EXPORT void coffer_kv_result_free(coffer_kv_result_t* result);

/* Writes the `num_fields` fields at `fields` as the key's next version.
 * `cas`: NULL for none, else the version the key's current one must be.
 * The oldest versions beyond max_versions are removed. On COFFER_OK, when
 * `out` is not NULL, *out is the new version's metadata, freed with
 * coffer_version_metadata_free.
 * Errors: COFFER_INVALID_ARGUMENT for NULL `fields` with num_fields > 0,
 * a field with a NULL or empty name, a NULL value with a non-zero length,
 * a name given twice, or a missing cas where the mount or key requires
 * one; COFFER_ABORTED when cas does not match (re-read and retry);
 * COFFER_RESOURCE_EXHAUSTED when the key's version numbers are exhausted;
 * the common KV errors. */
COFFER_EXPORT int coffer_kv_put(coffer_node_t* node, const char* token,
                                coffer_version_metadata_t** out,
                                const char* mount, const char* path,
                                const coffer_kv_field_t* fields,
                                size_t num_fields, const uint64_t* cas);
/* Reads `version` of the key (0: the current one) with `consistency`. A
 * deleted or destroyed version is COFFER_OK with has_data 0. On
 * COFFER_OK, *out is new, freed (and zeroized) with coffer_kv_result_free.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `out` or a bad consistency;
 * COFFER_NOT_FOUND for a key without versions, a version above the
 * current one or one removed by max_versions; the common KV errors. */
COFFER_EXPORT int coffer_kv_get(coffer_node_t* node, const char* token,
                                coffer_kv_result_t** out, const char* mount,
                                const char* path, uint64_t version,
                                int consistency);
/* Writes a new version: the latest one's data with the `num_set` fields
 * at `set` added or replaced and the `num_remove` names at `remove`
 * removed. `cas` and `out` as coffer_kv_put.
 * Errors: as coffer_kv_put (for `set`), plus COFFER_INVALID_ARGUMENT for
 * NULL `remove` with num_remove > 0, a NULL name in it, or a name both set
 * and removed; COFFER_NOT_FOUND when the latest version is absent,
 * deleted or destroyed. */
COFFER_EXPORT int coffer_kv_patch(coffer_node_t* node, const char* token,
                                  coffer_version_metadata_t** out,
                                  const char* mount, const char* path,
                                  const coffer_kv_field_t* set, size_t num_set,
                                  const char* const* remove, size_t num_remove,
                                  const uint64_t* cas);
/* Soft-deletes the key's current version (COFFER_OK when there is none).
 * Errors: the common KV errors. */
COFFER_EXPORT int coffer_kv_delete(coffer_node_t* node, const char* token,
                                   const char* mount, const char* path);
/* Soft-delete, undelete, or destroy the `num_versions` versions at
 * `versions`; versions the key does not have (or a key without any) are
 * skipped.
 * Errors: COFFER_INVALID_ARGUMENT for an empty list or NULL `versions`
 * with num_versions > 0; the common KV errors. */
COFFER_EXPORT int coffer_kv_delete_versions(coffer_node_t* node,
                                            const char* token,
                                            const char* mount, const char* path,
                                            const uint64_t* versions,
                                            size_t num_versions);
COFFER_EXPORT int coffer_kv_undelete(coffer_node_t* node, const char* token,
                                     const char* mount, const char* path,
                                     const uint64_t* versions,
                                     size_t num_versions);
COFFER_EXPORT int coffer_kv_destroy(coffer_node_t* node, const char* token,
                                    const char* mount, const char* path,
                                    const uint64_t* versions,
                                    size_t num_versions);

/* --- Key metadata and listing (Vault's <mount>/metadata endpoints). Custom
 * metadata is a key's non-secret annotations: at most 64 fields, names of
 * 1..128 bytes, values of at most 512 bytes (Vault's limits). */

/* What Vault reports about a key; owned by coffer until
 * coffer_key_metadata_free. */
typedef struct coffer_key_metadata {
  int64_t created_time_ns;  /* first write of a version or of metadata */
  int64_t updated_time_ns;  /* last write of a version or of metadata */
  uint64_t current_version; /* 0 until a version is written */
  uint64_t oldest_version;  /* the oldest version still recorded; 0 if
                               none */
  /* The key's own settings: max_versions and delete_version_after_ns 0
   * mean "the mount's"; cas_required 1 requires cas for this key even
   * where the mount does not. */
  uint32_t max_versions;
  int cas_required;
  int64_t delete_version_after_ns;
  coffer_kv_field_t* custom_metadata; /* by name in byte order */
  size_t num_custom_metadata;
  coffer_version_metadata_t** versions; /* every recorded version, oldest
                                           first (deleted and destroyed
                                           ones too; those removed by
                                           max_versions no longer) */
  size_t num_versions;
} coffer_key_metadata_t;
/* The key's metadata, read with `consistency` (a COFFER_READ_ value). On
 * COFFER_OK, *out is new, freed with coffer_key_metadata_free.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `out` or a bad consistency;
 * COFFER_NOT_FOUND when the key has no metadata; the common KV errors. */
COFFER_EXPORT int coffer_kv_read_metadata(coffer_node_t* node,
                                          const char* token,
                                          coffer_key_metadata_t** out,
                                          const char* mount, const char* path,
                                          int consistency);
/* Frees `metadata`, its fields and versions. NULL is a no-op. */
COFFER_EXPORT void coffer_key_metadata_free(coffer_key_metadata_t* metadata);

/* A partial update of a key's metadata: a setting changes only when its
 * set_ flag is non-zero. Fill with coffer_key_metadata_update_init
 * (nothing set). */
typedef struct coffer_key_metadata_update {
  size_t struct_size;
  int set_max_versions;
  uint32_t max_versions; /* 0: the mount's */
  int set_cas_required;
  int cas_required;
  int set_delete_version_after;
  int64_t delete_version_after_ns;          /* 0: the mount's; not negative */
  int set_custom_metadata;                  /* replaces the whole map */
  const coffer_kv_field_t* custom_metadata; /* borrowed for the call */
  size_t num_custom_metadata;
} coffer_key_metadata_update_t;
/* Writes the defaults (nothing set) and struct_size into the first
 * `struct_size` bytes at `update` (NULL or a size below a size_t: no-op). */
COFFER_EXPORT void coffer_key_metadata_update_init(
    coffer_key_metadata_update_t* update, size_t struct_size);
/* Changes the settings set in `update` (creating the metadata if absent).
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `update`, an unset
 * struct_size, a negative delete_version_after_ns, or custom metadata
 * with a NULL name, a NULL value with a non-zero length, a name given
 * twice, or beyond the limits
 * above; the common KV errors. */
COFFER_EXPORT int coffer_kv_write_metadata(
    coffer_node_t* node, const char* token, const char* mount, const char* path,
    const coffer_key_metadata_update_t* update);
/* Removes the key with every version (COFFER_OK when absent).
 * Errors: the common KV errors. */
COFFER_EXPORT int coffer_kv_delete_metadata(coffer_node_t* node,
                                            const char* token,
                                            const char* mount,
                                            const char* path);
/* The keys ("a") and sub-folders ("b/") of `folder` ("" = the mount's
 * root; else a path as for keys, its trailing '/' optional), in byte
 * order, read with `consistency`; empty for a missing folder. On
 * COFFER_OK, *out is new, freed with coffer_string_list_free.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `out` or `folder`, a bad
 * folder or consistency; the common KV errors. */
COFFER_EXPORT int coffer_kv_list(coffer_node_t* node, const char* token,
                                 coffer_string_list_t** out, const char* mount,
                                 const char* folder, int consistency);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* COFFER_C_KV_H_ */
