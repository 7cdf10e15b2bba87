/* coffer's C ABI: the whole coffer::Node API for C and for language
 * bindings (bindings/python uses nothing else). The semantics of every call
 * are those of the C++ method named in its comment (coffer/node.h,
 * coffer/shamir.h); this header specifies only what C adds.
 *
 * Errors. Every function that can fail returns an int: COFFER_OK (0) or one
 * of the codes below, which mirror absl::StatusCode and are chosen by what
 * the caller should do next (see coffer/node.h). The message of the last
 * failure on the calling thread is coffer_last_error_message(); a successful
 * call clears it. No C++ exception crosses this interface: an allocation
 * failure is COFFER_RESOURCE_EXHAUSTED, anything unexpected COFFER_INTERNAL.
 * A NULL handle or a NULL required pointer is COFFER_INVALID_ARGUMENT.
 *
 * Ownership. Pointer arguments are borrowed for the duration of the call.
 * Everything coffer returns is allocated by coffer and released only by the
 * free function named for it; coffer_free releases single buffers. Every
 * free function accepts NULL and zeroizes what it frees (values, shares and
 * tokens are secrets). On failure, output pointers are set to NULL (and
 * lengths to 0). Strings coffer returns are NUL-terminated; byte values are
 * too, beyond their length, for convenience.
 *
 * ABI evolution. Structs that coffer returns are only ever read by callers
 * through pointers; new fields are appended, so a caller built against an
 * older header keeps working. Structs the caller passes in start with
 * `struct_size`: fill them with their _init function, passing sizeof the
 * struct (it writes only that many bytes: the defaults and struct_size);
 * coffer then reads only struct_size bytes and uses defaults for fields
 * beyond. Arrays of returned structs are arrays of pointers for the same
 * reason.
 *
 * Threads. Every function is thread-safe. Callbacks run on a coffer thread
 * (a node's event loop) and must not call back into that node; they may
 * call coffer_node_receive of any node. Strings are UTF-8 or bytes;
 * durations and times are in nanoseconds (times since the Unix epoch).
 *
 * This header compiles as C99 and as C++. */
#ifndef COFFER_C_H_
#define COFFER_C_H_

#include <stddef.h>
#include <stdint.h>

#include "coffer/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Incremented on every incompatible change; compare with
 * coffer_abi_version() at run time. */
#define COFFER_ABI_VERSION 1

/* ---- Errors, versions, memory ------------------------------------------ */

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

/* The library's COFFER_ABI_VERSION and version string ("0.1.0"; static). */
COFFER_EXPORT int coffer_abi_version(void);
COFFER_EXPORT const char* coffer_version(void);
/* The message of the last failed call on this thread, "" after a success.
 * Valid until the next coffer call on this thread. Never holds secrets. */
COFFER_EXPORT const char* coffer_last_error_message(void);
/* "INVALID_ARGUMENT" for COFFER_INVALID_ARGUMENT, ...; "UNKNOWN" for codes
 * outside 0..16. Static. */
COFFER_EXPORT const char* coffer_error_name(int code);
/* Zeroizes and frees one buffer that coffer returned as a single allocation
 * (a value, a string). NULL is a no-op. */
COFFER_EXPORT void coffer_free(void* p);

/* A list of byte strings (names, shares): each items[i] is NUL-terminated
 * beyond lens[i]. */
typedef struct coffer_string_list {
  char** items;
  size_t* lens;
  size_t num_items;
} coffer_string_list_t;
COFFER_EXPORT void coffer_string_list_free(coffer_string_list_t* list);

/* ---- Shamir secret sharing (coffer/shamir.h) --------------------------- */

/* ShamirSplit: `shares` parts of `secret`, any `threshold` recover it. */
COFFER_EXPORT int coffer_shamir_split(coffer_string_list_t** out,
                                      const void* secret, size_t secret_len,
                                      int shares, int threshold);
/* ShamirCombine over parts[i] of part_lens[i] bytes. *out is freed with
 * coffer_free. */
COFFER_EXPORT int coffer_shamir_combine(char** out, size_t* out_len,
                                        const void* const* parts,
                                        const size_t* part_lens,
                                        size_t num_parts);

/* ---- Host callbacks ------------------------------------------------------ */

/* Transport::Send: queue `frame` (borrowed for the call) for node `to` at
 * `address` (may be ""). Must not block; may drop frames. */
typedef void (*coffer_send_fn)(void* user_data, uint64_t to,
                               const char* address, const void* frame,
                               size_t frame_len);

/* Where a callback writes its output bytes; coffer owns it. */
typedef struct coffer_sink coffer_sink_t;
/* Appends `len` bytes to the sink. COFFER_INVALID_ARGUMENT for NULL. */
COFFER_EXPORT int coffer_sink_write(coffer_sink_t* sink, const void* data,
                                    size_t len);

/* Kms::Wrap / Kms::Unwrap: write the result to `out` and return COFFER_OK,
 * or return an error code (the operation fails and changes nothing).
 * `input` is key material on wrap: do not log or keep it. */
typedef int (*coffer_kms_fn)(void* user_data, coffer_sink_t* out,
                             const char* key_id, const void* input,
                             size_t input_len);
typedef struct coffer_kms {
  size_t struct_size;
  const char* type;   /* Kms::Type(), e.g. "awskms"; copied at open */
  const char* key_id; /* Kms::KeyId(); copied at open */
  coffer_kms_fn wrap;
  coffer_kms_fn unwrap;
  void* user_data; /* passed to wrap and unwrap; must outlive the node */
} coffer_kms_t;

/* Log levels of coffer::LogLevel. */
#define COFFER_LOG_DEBUG 0
#define COFFER_LOG_INFO 1
#define COFFER_LOG_WARNING 2
#define COFFER_LOG_ERROR 3
/* Logger::Log: one line (NUL-terminated, no newline, borrowed for the
 * call; never a secret). Must not block. */
typedef void (*coffer_log_fn)(void* user_data, int level, const char* message,
                              size_t message_len);
/* MetricsSink (coffer/observe.h names the metrics): a counter's delta, a
 * gauge's value, or a timing in seconds, by `kind`. Must not block. */
#define COFFER_METRIC_COUNTER 0
#define COFFER_METRIC_GAUGE 1
#define COFFER_METRIC_TIMING 2
typedef void (*coffer_metric_fn)(void* user_data, int kind, const char* name,
                                 double value);

/* ---- Opening a node ------------------------------------------------------ */

/* A cluster member (Bootstrap, Join, retry_join). */
typedef struct coffer_peer {
  uint64_t id;
  const char* address;
} coffer_peer_t;

typedef struct coffer_node coffer_node_t;

/* NodeOptions (coffer/options.h: defaults, units and ranges; durations
 * here are in nanoseconds, booleans are ints). Fill with
 * coffer_node_options_init(&o, sizeof o), which sets struct_size and every
 * default, then set the fields you need. */
typedef struct coffer_node_options {
  size_t struct_size;
  uint64_t id;
  const char* address;     /* copied at open */
  const char* data_dir;    /* copied at open */
  coffer_send_fn send;     /* required */
  void* send_user_data;    /* must outlive the node */
  const coffer_kms_t* kms; /* NULL: Shamir seal; copied at open */
  int64_t tick_ns;
  int election_ticks;
  int heartbeat_ticks;
  int64_t request_timeout_ns;
  int sync; /* bool */
  uint64_t max_entry_bytes;
  int max_pending;
  uint64_t snapshot_threshold;
  int pre_vote;     /* bool */
  int check_quorum; /* bool */
  uint64_t random_seed;
  /* Joining and autopilot. */
  const coffer_peer_t* retry_join; /* copied at open */
  size_t num_retry_join;
  int64_t retry_join_interval_ns;
  int cleanup_dead_servers; /* bool */
  int64_t dead_server_last_contact_threshold_ns;
  int min_quorum;
  /* Operations and host hooks. */
  const coffer_kms_t* migrate_from_kms; /* copied at open */
  int mlock;                            /* bool */
  coffer_log_fn log;                    /* NULL: no logging */
  void* log_user_data;                  /* must outlive the node */
  coffer_metric_fn metric;              /* NULL: no metrics */
  void* metric_user_data;               /* must outlive the node */
  uint64_t trailing_logs;
  uint64_t key_rotation_max_operations;
} coffer_node_options_t;
COFFER_EXPORT void coffer_node_options_init(coffer_node_options_t* options,
                                            size_t struct_size);

/* Node::Open. *out is released with coffer_node_close. */
COFFER_EXPORT int coffer_node_open(coffer_node_t** out,
                                   const coffer_node_options_t* options);
/* Node::Close without freeing the handle: stops the event loop (blocking
 * until it ends, so no callback runs after it returns); calls waiting on
 * the node return COFFER_FAILED_PRECONDITION, and so do later ones.
 * Idempotent. Use it to wake other threads before coffer_node_close. */
COFFER_EXPORT int coffer_node_shutdown(coffer_node_t* node);
/* Shuts the node down (as above) and frees the handle; NULL is a no-op.
 * REQUIRES: no other thread is in, or will enter, a call on `node`. */
COFFER_EXPORT void coffer_node_close(coffer_node_t* node);
/* Node::Receive: `frame` is copied. Never blocks. Callable from any thread
 * (also from a send callback) until coffer_node_close begins. */
COFFER_EXPORT int coffer_node_receive(coffer_node_t* node, const void* frame,
                                      size_t frame_len);

/* ---- Membership ---------------------------------------------------------- */

COFFER_EXPORT int coffer_node_bootstrap(coffer_node_t* node,
                                        const coffer_peer_t* peers,
                                        size_t num_peers);
COFFER_EXPORT int coffer_node_add_peer(coffer_node_t* node, uint64_t id,
                                       const char* address, int voter);
COFFER_EXPORT int coffer_node_remove_peer(coffer_node_t* node, uint64_t id);
/* Node::Join: asks `known_peers` to admit this node (opened empty). */
COFFER_EXPORT int coffer_node_join(coffer_node_t* node,
                                   const coffer_peer_t* known_peers,
                                   size_t num_known_peers);

typedef struct coffer_leader_info {
  int ha_enabled;
  int is_self;
  uint64_t leader_id; /* 0: no leader known */
  char* leader_address;
  uint64_t term;
} coffer_leader_info_t;
COFFER_EXPORT int coffer_node_leader(coffer_node_t* node,
                                     coffer_leader_info_t** out);
COFFER_EXPORT void coffer_leader_info_free(coffer_leader_info_t* info);

typedef struct coffer_peer_info {
  uint64_t id;
  char* address;
  char* state; /* "leader", "follower", "candidate", "pre-candidate" */
  int voter;
  uint64_t match_index;
  int64_t last_contact_ns; /* the leader's view; 0 elsewhere */
} coffer_peer_info_t;
typedef struct coffer_peer_list {
  coffer_peer_info_t** peers;
  size_t num_peers;
} coffer_peer_list_t;
COFFER_EXPORT int coffer_node_list_peers(coffer_node_t* node,
                                         coffer_peer_list_t** out);
COFFER_EXPORT void coffer_peer_list_free(coffer_peer_list_t* list);

/* ---- Seal ------------------------------------------------------------------
 */

typedef struct coffer_init_result {
  char** keys; /* unseal shares, hex (Shamir seal) */
  size_t num_keys;
  char** recovery_keys; /* recovery shares, hex (Kms) */
  size_t num_recovery_keys;
  char* root_token;
} coffer_init_result_t;
/* Node::Initialize. Secret result: free it with coffer_init_result_free
 * (which zeroizes it) once shown to the operators. */
COFFER_EXPORT int coffer_node_initialize(
    coffer_node_t* node, coffer_init_result_t** out, int secret_shares,
    int secret_threshold, int recovery_shares, int recovery_threshold);
COFFER_EXPORT void coffer_init_result_free(coffer_init_result_t* result);

typedef struct coffer_seal_status {
  char* type;
  int initialized;
  int sealed;
  int threshold;
  int shares;
  int progress;
  char* nonce;
  char* version;
  int migration;
  int recovery_seal;
  int removed_from_cluster;
} coffer_seal_status_t;
/* Node::SubmitUnsealKey with a share of `share_len` bytes (raw, hex or
 * base64). `out` may be NULL when the status is not wanted. */
COFFER_EXPORT int coffer_node_unseal(coffer_node_t* node,
                                     coffer_seal_status_t** out,
                                     const void* share, size_t share_len);
COFFER_EXPORT int coffer_node_seal(coffer_node_t* node);
COFFER_EXPORT int coffer_node_seal_status(coffer_node_t* node,
                                          coffer_seal_status_t** out);
COFFER_EXPORT void coffer_seal_status_free(coffer_seal_status_t* status);

/* ---- Operator operations (Node::TransferLeadership, RotateKey, ...) ---- */

/* Node::TransferLeadership (`to` 0: the most caught-up other voter). */
COFFER_EXPORT int coffer_node_transfer_leadership(coffer_node_t* node,
                                                  uint64_t to);

/* KeyStatus: the barrier's active data key. */
typedef struct coffer_key_status {
  uint32_t term;
  int64_t install_time_ns; /* 0 when not recorded */
  uint64_t encryptions;
} coffer_key_status_t;
/* Node::RotateKey; `out` (the new term) may be NULL. */
COFFER_EXPORT int coffer_node_rotate_key(coffer_node_t* node,
                                         coffer_key_status_t** out);
/* Node::GetKeyStatus (this node's view). */
COFFER_EXPORT int coffer_node_key_status(coffer_node_t* node,
                                         coffer_key_status_t** out);
COFFER_EXPORT void coffer_key_status_free(coffer_key_status_t* status);

/* Node::Rekey: new shares (hex; secret) in *out, freed (and zeroized) with
 * coffer_string_list_free. */
COFFER_EXPORT int coffer_node_rekey(coffer_node_t* node,
                                    coffer_string_list_t** out,
                                    const char* const* current_keys,
                                    size_t num_current_keys, int secret_shares,
                                    int secret_threshold);
/* Node::SealMigrate with a threshold of the stored seal's shares. */
COFFER_EXPORT int coffer_node_seal_migrate(coffer_node_t* node,
                                           const char* const* keys,
                                           size_t num_keys);

/* ---- Raw paths (Node::PutRaw, GetRaw, DeleteRaw) ------------------------ */

/* Read consistency of the reading calls below (coffer::ReadConsistency). */
#define COFFER_READ_LINEARIZABLE 0
#define COFFER_READ_STALE 1

COFFER_EXPORT int coffer_node_put_raw(coffer_node_t* node, const char* path,
                                      const void* value, size_t value_len);
/* *out is freed with coffer_free. */
COFFER_EXPORT int coffer_node_get_raw(coffer_node_t* node, char** out,
                                      size_t* out_len, const char* path,
                                      int consistency);
COFFER_EXPORT int coffer_node_delete_raw(coffer_node_t* node, const char* path);

/* ---- KV version 2 (coffer/kv.h) ----------------------------------------- */

/* One field of a secret or of custom metadata: a NUL-terminated name and a
 * value of value_len bytes. */
typedef struct coffer_kv_field {
  const char* name;
  const char* value;
  size_t value_len;
} coffer_kv_field_t;

typedef struct coffer_mount_config {
  size_t struct_size;
  uint32_t max_versions;           /* 0: default (10) */
  int cas_required;                /* bool */
  int64_t delete_version_after_ns; /* 0: never */
} coffer_mount_config_t;
COFFER_EXPORT void coffer_mount_config_init(coffer_mount_config_t* config,
                                            size_t struct_size);

typedef struct coffer_mount_info {
  char* path; /* "secret/" */
  char* id;
  int64_t created_time_ns;
  uint32_t max_versions;
  int cas_required;
  int64_t delete_version_after_ns;
} coffer_mount_info_t;
typedef struct coffer_mount_list {
  coffer_mount_info_t** mounts;
  size_t num_mounts;
} coffer_mount_list_t;

/* `config` may be NULL for the defaults. */
COFFER_EXPORT int coffer_kv_enable_mount(coffer_node_t* node, const char* path,
                                         const coffer_mount_config_t* config);
/* MountConfigUpdate: a setting changes only when its set_ flag is
 * non-zero. */
typedef struct coffer_mount_config_update {
  size_t struct_size;
  int set_max_versions;
  uint32_t max_versions;
  int set_cas_required;
  int cas_required;
  int set_delete_version_after;
  int64_t delete_version_after_ns;
} coffer_mount_config_update_t;
COFFER_EXPORT void coffer_mount_config_update_init(
    coffer_mount_config_update_t* update, size_t struct_size);
/* Node::TuneKvMount (Vault's <mount>/config). */
COFFER_EXPORT int coffer_kv_tune_mount(
    coffer_node_t* node, const char* path,
    const coffer_mount_config_update_t* update);
COFFER_EXPORT int coffer_kv_disable_mount(coffer_node_t* node,
                                          const char* path);
COFFER_EXPORT int coffer_kv_list_mounts(coffer_node_t* node,
                                        coffer_mount_list_t** out,
                                        int consistency);
COFFER_EXPORT void coffer_mount_list_free(coffer_mount_list_t* list);

typedef struct coffer_version_metadata {
  uint64_t version;
  int64_t created_time_ns;
  int has_deletion_time;
  int64_t deletion_time_ns;
  int destroyed;
  coffer_kv_field_t* custom_metadata;
  size_t num_custom_metadata;
} coffer_version_metadata_t;
COFFER_EXPORT void coffer_version_metadata_free(
    coffer_version_metadata_t* metadata);

typedef struct coffer_kv_result {
  coffer_version_metadata_t* metadata;
  int has_data;              /* 0: the version is deleted or destroyed */
  coffer_kv_field_t* fields; /* by name, in byte order */
  size_t num_fields;
} coffer_kv_result_t;
COFFER_EXPORT void coffer_kv_result_free(coffer_kv_result_t* result);

/* Node::KvPut. `cas`: NULL for none, else the check-and-set version. `out`
 * may be NULL. */
COFFER_EXPORT int coffer_kv_put(coffer_node_t* node,
                                coffer_version_metadata_t** out,
                                const char* mount, const char* path,
                                const coffer_kv_field_t* fields,
                                size_t num_fields, const uint64_t* cas);
/* Node::KvGet (version 0: the current one). */
COFFER_EXPORT int coffer_kv_get(coffer_node_t* node, coffer_kv_result_t** out,
                                const char* mount, const char* path,
                                uint64_t version, int consistency);
/* Node::KvPatch: sets `set`, removes the names in `remove`. */
COFFER_EXPORT int coffer_kv_patch(coffer_node_t* node,
                                  coffer_version_metadata_t** out,
                                  const char* mount, const char* path,
                                  const coffer_kv_field_t* set, size_t num_set,
                                  const char* const* remove, size_t num_remove,
                                  const uint64_t* cas);
COFFER_EXPORT int coffer_kv_delete(coffer_node_t* node, const char* mount,
                                   const char* path);
COFFER_EXPORT int coffer_kv_delete_versions(coffer_node_t* node,
                                            const char* mount, const char* path,
                                            const uint64_t* versions,
                                            size_t num_versions);
COFFER_EXPORT int coffer_kv_undelete(coffer_node_t* node, const char* mount,
                                     const char* path, const uint64_t* versions,
                                     size_t num_versions);
COFFER_EXPORT int coffer_kv_destroy(coffer_node_t* node, const char* mount,
                                    const char* path, const uint64_t* versions,
                                    size_t num_versions);

typedef struct coffer_key_metadata {
  int64_t created_time_ns;
  int64_t updated_time_ns;
  uint64_t current_version;
  uint64_t oldest_version;
  uint32_t max_versions;
  int cas_required;
  int64_t delete_version_after_ns;
  coffer_kv_field_t* custom_metadata;
  size_t num_custom_metadata;
  coffer_version_metadata_t** versions; /* oldest first */
  size_t num_versions;
} coffer_key_metadata_t;
COFFER_EXPORT int coffer_kv_read_metadata(coffer_node_t* node,
                                          coffer_key_metadata_t** out,
                                          const char* mount, const char* path,
                                          int consistency);
COFFER_EXPORT void coffer_key_metadata_free(coffer_key_metadata_t* metadata);

/* KeyMetadataUpdate: a field changes only when its set_ flag is non-zero. */
typedef struct coffer_key_metadata_update {
  size_t struct_size;
  int set_max_versions;
  uint32_t max_versions;
  int set_cas_required;
  int cas_required;
  int set_delete_version_after;
  int64_t delete_version_after_ns;
  int set_custom_metadata; /* replaces the whole map */
  const coffer_kv_field_t* custom_metadata;
  size_t num_custom_metadata;
} coffer_key_metadata_update_t;
COFFER_EXPORT void coffer_key_metadata_update_init(
    coffer_key_metadata_update_t* update, size_t struct_size);
COFFER_EXPORT int coffer_kv_write_metadata(
    coffer_node_t* node, const char* mount, const char* path,
    const coffer_key_metadata_update_t* update);
COFFER_EXPORT int coffer_kv_delete_metadata(coffer_node_t* node,
                                            const char* mount,
                                            const char* path);
/* Node::KvList: keys and sub-folders ("b/") of `folder` ("" = root). */
COFFER_EXPORT int coffer_kv_list(coffer_node_t* node,
                                 coffer_string_list_t** out, const char* mount,
                                 const char* folder, int consistency);

/* ---- Snapshots (coffer/snapshot.h, Node::Snapshot*) --------------------- */

/* Receives the next `len` bytes of a snapshot; COFFER_OK to go on, or an
 * error code, which stops the save and is returned. */
typedef int (*coffer_write_fn)(void* user_data, const void* data, size_t len);
/* Fills up to `cap` bytes of `buf` and sets *out_len (0 at the end);
 * COFFER_OK, or an error code, which stops the restore and is returned. */
typedef int (*coffer_read_fn)(void* user_data, void* buf, size_t cap,
                              size_t* out_len);

/* SnapshotRestoreOptions. */
typedef struct coffer_snapshot_restore_options {
  size_t struct_size;
  int force; /* accept another cluster's snapshot */
  /* With force: a threshold of the other cluster's unseal shares. */
  const char* const* unseal_keys;
  size_t num_unseal_keys;
} coffer_snapshot_restore_options_t;
COFFER_EXPORT void coffer_snapshot_restore_options_init(
    coffer_snapshot_restore_options_t* options, size_t struct_size);

/* Node::SnapshotSave to `path`. */
COFFER_EXPORT int coffer_node_snapshot_save(coffer_node_t* node,
                                            const char* path);
/* Node::SnapshotSaveTo: the bytes go to `write`, on the caller's thread. */
COFFER_EXPORT int coffer_node_snapshot_save_to(coffer_node_t* node,
                                               coffer_write_fn write,
                                               void* user_data);
/* Node::SnapshotRestore (`options` NULL: the defaults). Run it on the
 * leader. */
COFFER_EXPORT int coffer_node_snapshot_restore(
    coffer_node_t* node, const char* path,
    const coffer_snapshot_restore_options_t* options);
/* Node::SnapshotRestoreFrom: bytes come from `read`, on the caller's
 * thread. */
COFFER_EXPORT int coffer_node_snapshot_restore_from(
    coffer_node_t* node, coffer_read_fn read, void* user_data,
    const coffer_snapshot_restore_options_t* options);

typedef struct coffer_snapshot_prefix_stats {
  char* prefix; /* "core", "logical", ..., or "(other)" */
  uint64_t records;
  uint64_t bytes;
} coffer_snapshot_prefix_stats_t;
/* SnapshotInspection, plus its text and JSON renderings. */
typedef struct coffer_snapshot_inspection {
  uint32_t format_version;
  char* cluster_id;
  uint64_t index;
  uint64_t term;
  uint64_t* voters;
  size_t num_voters;
  uint64_t* learners;
  size_t num_learners;
  uint64_t* voters_outgoing;
  size_t num_voters_outgoing;
  uint64_t records;
  uint64_t file_bytes;
  uint64_t key_bytes;
  uint64_t value_bytes;
  coffer_snapshot_prefix_stats_t** prefixes; /* by prefix */
  size_t num_prefixes;
  char* text; /* SnapshotInspectionText */
  char* json; /* SnapshotInspectionJson */
} coffer_snapshot_inspection_t;
/* InspectSnapshot: reads the file at `path` without any key or node. */
COFFER_EXPORT int coffer_snapshot_inspect(coffer_snapshot_inspection_t** out,
                                          const char* path);
COFFER_EXPORT void coffer_snapshot_inspection_free(
    coffer_snapshot_inspection_t* inspection);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* COFFER_C_H_ */
