"""ctypes declarations of include/coffer/c.h, and the library loader.

Private: the public API is in coffer.node, coffer.shamir and coffer.testing.
Every struct below mirrors c.h field by field; the header is the
specification.
"""

import ctypes
import ctypes.util
import os
import pathlib

from ctypes import (CFUNCTYPE, POINTER, Structure, c_char_p, c_int,
                    c_int64, c_size_t, c_uint32, c_uint64, c_void_p)

ABI_VERSION = 2

READ_LINEARIZABLE = 0
READ_STALE = 1

TOKEN_REF_ID = 0
TOKEN_REF_ACCESSOR = 1
TOKEN_REF_SELF = 2

REVOKE_TREE = 0
REVOKE_ORPHAN = 1


class StringList(Structure):
    _fields_ = [("items", POINTER(c_void_p)), ("lens", POINTER(c_size_t)),
                ("num_items", c_size_t)]


SEND_FN = CFUNCTYPE(None, c_void_p, c_uint64, c_char_p, c_void_p, c_size_t)
KMS_FN = CFUNCTYPE(c_int, c_void_p, c_void_p, c_char_p, c_void_p, c_size_t)
WRITE_FN = CFUNCTYPE(c_int, c_void_p, c_void_p, c_size_t)
READ_FN = CFUNCTYPE(c_int, c_void_p, c_void_p, c_size_t, POINTER(c_size_t))
LOG_FN = CFUNCTYPE(None, c_void_p, c_int, c_char_p, c_size_t)
METRIC_FN = CFUNCTYPE(None, c_void_p, c_int, c_char_p, ctypes.c_double)
AUDIT_FN = CFUNCTYPE(c_int, c_void_p, c_void_p, c_size_t)


class Kms(Structure):
    _fields_ = [("struct_size", c_size_t), ("type", c_char_p),
                ("key_id", c_char_p), ("wrap", KMS_FN), ("unwrap", KMS_FN),
                ("user_data", c_void_p)]


class Peer(Structure):
    _fields_ = [("id", c_uint64), ("address", c_char_p)]


class NodeOptions(Structure):
    _fields_ = [("struct_size", c_size_t), ("id", c_uint64),
                ("address", c_char_p), ("data_dir", c_char_p),
                ("send", SEND_FN), ("send_user_data", c_void_p),
                ("kms", POINTER(Kms)), ("tick_ns", c_int64),
                ("election_ticks", c_int), ("heartbeat_ticks", c_int),
                ("request_timeout_ns", c_int64), ("sync", c_int),
                ("max_entry_bytes", c_uint64), ("max_pending", c_int),
                ("snapshot_threshold", c_uint64), ("pre_vote", c_int),
                ("check_quorum", c_int), ("random_seed", c_uint64),
                ("retry_join", POINTER(Peer)), ("num_retry_join", c_size_t),
                ("retry_join_interval_ns", c_int64),
                ("cleanup_dead_servers", c_int),
                ("dead_server_last_contact_threshold_ns", c_int64),
                ("min_quorum", c_int),
                ("migrate_from_kms", POINTER(Kms)), ("mlock", c_int),
                ("log", LOG_FN), ("log_user_data", c_void_p),
                ("metric", METRIC_FN), ("metric_user_data", c_void_p),
                ("trailing_logs", c_uint64),
                ("key_rotation_max_operations", c_uint64),
                ("audit", AUDIT_FN), ("audit_user_data", c_void_p)]


class LeaderInfo(Structure):
    _fields_ = [("ha_enabled", c_int), ("is_self", c_int),
                ("leader_id", c_uint64), ("leader_address", c_char_p),
                ("term", c_uint64)]


class PeerInfo(Structure):
    _fields_ = [("id", c_uint64), ("address", c_char_p), ("state", c_char_p),
                ("voter", c_int), ("match_index", c_uint64),
                ("last_contact_ns", c_int64)]


class PeerList(Structure):
    _fields_ = [("peers", POINTER(POINTER(PeerInfo))),
                ("num_peers", c_size_t)]


class InitResult(Structure):
    _fields_ = [("keys", POINTER(c_char_p)), ("num_keys", c_size_t),
                ("recovery_keys", POINTER(c_char_p)),
                ("num_recovery_keys", c_size_t), ("root_token", c_char_p)]


class SealStatus(Structure):
    _fields_ = [("type", c_char_p), ("initialized", c_int), ("sealed", c_int),
                ("threshold", c_int), ("shares", c_int), ("progress", c_int),
                ("nonce", c_char_p), ("version", c_char_p),
                ("migration", c_int), ("recovery_seal", c_int),
                ("removed_from_cluster", c_int)]


class KeyStatus(Structure):
    _fields_ = [("term", c_uint32), ("install_time_ns", c_int64),
                ("encryptions", c_uint64)]


class SnapshotRestoreOptions(Structure):
    _fields_ = [("struct_size", c_size_t), ("force", c_int),
                ("unseal_keys", POINTER(c_char_p)),
                ("num_unseal_keys", c_size_t)]


class SnapshotPrefixStats(Structure):
    _fields_ = [("prefix", c_char_p), ("records", c_uint64),
                ("bytes", c_uint64)]


class SnapshotInspection(Structure):
    _fields_ = [("format_version", c_uint32), ("cluster_id", c_char_p),
                ("index", c_uint64), ("term", c_uint64),
                ("voters", POINTER(c_uint64)), ("num_voters", c_size_t),
                ("learners", POINTER(c_uint64)), ("num_learners", c_size_t),
                ("voters_outgoing", POINTER(c_uint64)),
                ("num_voters_outgoing", c_size_t),
                ("records", c_uint64), ("file_bytes", c_uint64),
                ("key_bytes", c_uint64), ("value_bytes", c_uint64),
                ("prefixes", POINTER(POINTER(SnapshotPrefixStats))),
                ("num_prefixes", c_size_t), ("text", c_char_p),
                ("json", c_char_p)]


class KvField(Structure):
    # value is bytes: a void pointer, read with ctypes.string_at.
    _fields_ = [("name", c_char_p), ("value", c_void_p),
                ("value_len", c_size_t)]


class MountConfig(Structure):
    _fields_ = [("struct_size", c_size_t), ("max_versions", c_uint32),
                ("cas_required", c_int), ("delete_version_after_ns", c_int64)]


class MountInfo(Structure):
    _fields_ = [("path", c_char_p), ("id", c_char_p),
                ("created_time_ns", c_int64), ("max_versions", c_uint32),
                ("cas_required", c_int), ("delete_version_after_ns", c_int64)]


class MountList(Structure):
    _fields_ = [("mounts", POINTER(POINTER(MountInfo))),
                ("num_mounts", c_size_t)]


class VersionMetadata(Structure):
    _fields_ = [("version", c_uint64), ("created_time_ns", c_int64),
                ("has_deletion_time", c_int), ("deletion_time_ns", c_int64),
                ("destroyed", c_int), ("custom_metadata", POINTER(KvField)),
                ("num_custom_metadata", c_size_t)]


class KvResult(Structure):
    _fields_ = [("metadata", POINTER(VersionMetadata)), ("has_data", c_int),
                ("fields", POINTER(KvField)), ("num_fields", c_size_t)]


class KeyMetadata(Structure):
    _fields_ = [("created_time_ns", c_int64), ("updated_time_ns", c_int64),
                ("current_version", c_uint64), ("oldest_version", c_uint64),
                ("max_versions", c_uint32), ("cas_required", c_int),
                ("delete_version_after_ns", c_int64),
                ("custom_metadata", POINTER(KvField)),
                ("num_custom_metadata", c_size_t),
                ("versions", POINTER(POINTER(VersionMetadata))),
                ("num_versions", c_size_t)]


class MountConfigUpdate(Structure):
    _fields_ = [("struct_size", c_size_t), ("set_max_versions", c_int),
                ("max_versions", c_uint32), ("set_cas_required", c_int),
                ("cas_required", c_int), ("set_delete_version_after", c_int),
                ("delete_version_after_ns", c_int64)]


class KeyMetadataUpdate(Structure):
    _fields_ = [("struct_size", c_size_t), ("set_max_versions", c_int),
                ("max_versions", c_uint32), ("set_cas_required", c_int),
                ("cas_required", c_int), ("set_delete_version_after", c_int),
                ("delete_version_after_ns", c_int64),
                ("set_custom_metadata", c_int),
                ("custom_metadata", POINTER(KvField)),
                ("num_custom_metadata", c_size_t)]


class TokenCreateOptions(Structure):
    _fields_ = [("struct_size", c_size_t), ("policies", POINTER(c_char_p)),
                ("num_policies", c_size_t), ("no_default_policy", c_int),
                ("metadata", POINTER(KvField)), ("num_metadata", c_size_t),
                ("no_parent", c_int), ("renewable", c_int),
                ("ttl_ns", c_int64), ("explicit_max_ttl_ns", c_int64),
                ("period_ns", c_int64), ("display_name", c_char_p),
                ("num_uses", c_uint32), ("orphan_endpoint", c_int)]


class TokenInfo(Structure):
    _fields_ = [("accessor", c_char_p), ("policies", POINTER(c_char_p)),
                ("num_policies", c_size_t), ("metadata", POINTER(KvField)),
                ("num_metadata", c_size_t), ("display_name", c_char_p),
                ("num_uses", c_uint32), ("creation_time_ns", c_int64),
                ("creation_ttl_ns", c_int64), ("has_expire_time", c_int),
                ("expire_time_ns", c_int64), ("ttl_ns", c_int64),
                ("explicit_max_ttl_ns", c_int64), ("period_ns", c_int64),
                ("renewable", c_int), ("orphan", c_int),
                ("has_last_renewal_time", c_int),
                ("last_renewal_time_ns", c_int64), ("type", c_char_p)]


class CreatedToken(Structure):
    # id is a secret (coffer_created_token_free zeroizes the C copy).
    _fields_ = [("id", c_char_p), ("info", POINTER(TokenInfo))]


class PathCapabilities(Structure):
    _fields_ = [("path", c_char_p), ("capabilities", POINTER(c_char_p)),
                ("num_capabilities", c_size_t)]


class Capabilities(Structure):
    _fields_ = [("paths", POINTER(POINTER(PathCapabilities))),
                ("num_paths", c_size_t)]


class AuditDevice(Structure):
    _fields_ = [("path", c_char_p), ("type", c_char_p),
                ("description", c_char_p), ("options", POINTER(KvField)),
                ("num_options", c_size_t)]


class AuditDevices(Structure):
    _fields_ = [("devices", POINTER(POINTER(AuditDevice))),
                ("num_devices", c_size_t)]


P = POINTER
PP = lambda t: POINTER(POINTER(t))  # noqa: E731 (an out parameter)
NODE = c_void_p
TOKEN = c_char_p  # the caller's token (coffer/c.h, Tokens)
U64P = POINTER(c_uint64)

# name: (restype, argtypes); restype c_int means "returns a coffer code".
_PROTOTYPES = {
    "coffer_abi_version": (c_int, []),
    "coffer_version": (c_char_p, []),
    "coffer_last_error_message": (c_char_p, []),
    "coffer_error_name": (c_char_p, [c_int]),
    "coffer_free": (None, [c_void_p]),
    "coffer_string_list_free": (None, [P(StringList)]),
    "coffer_shamir_split": (c_int, [PP(StringList), c_void_p, c_size_t, c_int,
                                    c_int]),
    "coffer_shamir_combine": (c_int, [P(c_void_p), P(c_size_t), P(c_void_p),
                                      P(c_size_t), c_size_t]),
    "coffer_sink_write": (c_int, [c_void_p, c_void_p, c_size_t]),
    "coffer_node_options_init": (None, [P(NodeOptions), c_size_t]),
    "coffer_node_open": (c_int, [P(NODE), P(NodeOptions)]),
    "coffer_node_shutdown": (c_int, [NODE]),
    "coffer_node_close": (None, [NODE]),
    "coffer_node_receive": (c_int, [NODE, c_void_p, c_size_t]),
    "coffer_node_bootstrap": (c_int, [NODE, P(Peer), c_size_t]),
    "coffer_node_join": (c_int, [NODE, P(Peer), c_size_t]),
    "coffer_node_add_peer": (c_int, [NODE, TOKEN, c_uint64, c_char_p, c_int]),
    "coffer_node_remove_peer": (c_int, [NODE, TOKEN, c_uint64]),
    "coffer_node_leader": (c_int, [NODE, PP(LeaderInfo)]),
    "coffer_leader_info_free": (None, [P(LeaderInfo)]),
    "coffer_node_list_peers": (c_int, [NODE, TOKEN, PP(PeerList)]),
    "coffer_peer_list_free": (None, [P(PeerList)]),
    "coffer_node_initialize": (c_int, [NODE, PP(InitResult), c_int, c_int,
                                       c_int, c_int]),
    "coffer_init_result_free": (None, [P(InitResult)]),
    "coffer_node_unseal": (c_int, [NODE, PP(SealStatus), c_void_p, c_size_t]),
    "coffer_node_seal": (c_int, [NODE, TOKEN]),
    "coffer_node_seal_status": (c_int, [NODE, PP(SealStatus)]),
    "coffer_seal_status_free": (None, [P(SealStatus)]),
    "coffer_node_put_raw": (c_int, [NODE, TOKEN, c_char_p, c_void_p, c_size_t]),
    "coffer_node_get_raw": (c_int, [NODE, TOKEN, P(c_void_p), P(c_size_t), c_char_p,
                                    c_int]),
    "coffer_node_delete_raw": (c_int, [NODE, TOKEN, c_char_p]),
    "coffer_mount_config_init": (None, [P(MountConfig), c_size_t]),
    "coffer_kv_enable_mount": (c_int, [NODE, TOKEN, c_char_p, P(MountConfig)]),
    "coffer_kv_disable_mount": (c_int, [NODE, TOKEN, c_char_p]),
    "coffer_mount_config_update_init": (None, [P(MountConfigUpdate),
                                                c_size_t]),
    "coffer_kv_tune_mount": (c_int, [NODE, TOKEN, c_char_p, P(MountConfigUpdate)]),
    "coffer_kv_list_mounts": (c_int, [NODE, TOKEN, PP(MountList), c_int]),
    "coffer_mount_list_free": (None, [P(MountList)]),
    "coffer_kv_find_mount": (c_int, [NODE, TOKEN, PP(MountInfo), c_char_p,
                                     c_int]),
    "coffer_mount_info_free": (None, [P(MountInfo)]),
    "coffer_version_metadata_free": (None, [P(VersionMetadata)]),
    "coffer_kv_result_free": (None, [P(KvResult)]),
    "coffer_kv_put": (c_int, [NODE, TOKEN, PP(VersionMetadata), c_char_p, c_char_p,
                              P(KvField), c_size_t, U64P]),
    "coffer_kv_get": (c_int, [NODE, TOKEN, PP(KvResult), c_char_p, c_char_p,
                              c_uint64, c_int]),
    "coffer_kv_patch": (c_int, [NODE, TOKEN, PP(VersionMetadata), c_char_p, c_char_p,
                                P(KvField), c_size_t, P(c_char_p), c_size_t,
                                U64P]),
    "coffer_kv_delete": (c_int, [NODE, TOKEN, c_char_p, c_char_p]),
    "coffer_kv_delete_versions": (c_int, [NODE, TOKEN, c_char_p, c_char_p, U64P,
                                          c_size_t]),
    "coffer_kv_undelete": (c_int, [NODE, TOKEN, c_char_p, c_char_p, U64P, c_size_t]),
    "coffer_kv_destroy": (c_int, [NODE, TOKEN, c_char_p, c_char_p, U64P, c_size_t]),
    "coffer_kv_read_metadata": (c_int, [NODE, TOKEN, PP(KeyMetadata), c_char_p,
                                        c_char_p, c_int]),
    "coffer_key_metadata_free": (None, [P(KeyMetadata)]),
    "coffer_key_metadata_update_init": (None, [P(KeyMetadataUpdate),
                                                c_size_t]),
    "coffer_kv_write_metadata": (c_int, [NODE, TOKEN, c_char_p, c_char_p,
                                         P(KeyMetadataUpdate)]),
    "coffer_kv_delete_metadata": (c_int, [NODE, TOKEN, c_char_p, c_char_p]),
    "coffer_kv_list": (c_int, [NODE, TOKEN, PP(StringList), c_char_p, c_char_p,
                               c_int]),
    "coffer_snapshot_restore_options_init": (None, [P(SnapshotRestoreOptions),
                                                    c_size_t]),
    "coffer_node_snapshot_save": (c_int, [NODE, TOKEN, c_char_p]),
    "coffer_node_snapshot_save_to": (c_int, [NODE, TOKEN, WRITE_FN, c_void_p]),
    "coffer_node_snapshot_restore": (c_int, [NODE, TOKEN, c_char_p,
                                             P(SnapshotRestoreOptions)]),
    "coffer_node_snapshot_restore_from": (c_int, [
        NODE, TOKEN, READ_FN, c_void_p, P(SnapshotRestoreOptions)]),
    "coffer_snapshot_inspect": (c_int, [PP(SnapshotInspection), c_char_p]),
    "coffer_snapshot_inspection_free": (None, [P(SnapshotInspection)]),
    "coffer_node_transfer_leadership": (c_int, [NODE, TOKEN, c_uint64]),
    "coffer_node_rotate_key": (c_int, [NODE, TOKEN, PP(KeyStatus)]),
    "coffer_node_key_status": (c_int, [NODE, TOKEN, PP(KeyStatus)]),
    "coffer_key_status_free": (None, [P(KeyStatus)]),
    "coffer_node_rekey": (c_int, [NODE, PP(StringList), P(c_char_p), c_size_t,
                                  c_int, c_int]),
    "coffer_node_seal_migrate": (c_int, [NODE, P(c_char_p), c_size_t]),
    "coffer_token_create_options_init": (None, [P(TokenCreateOptions),
                                                 c_size_t]),
    "coffer_token_info_free": (None, [P(TokenInfo)]),
    "coffer_created_token_free": (None, [P(CreatedToken)]),
    "coffer_token_create": (c_int, [NODE, TOKEN, PP(CreatedToken),
                                    P(TokenCreateOptions)]),
    "coffer_token_lookup": (c_int, [NODE, TOKEN, PP(TokenInfo), c_int,
                                    c_char_p]),
    "coffer_token_renew": (c_int, [NODE, TOKEN, PP(TokenInfo), c_int,
                                   c_char_p, c_int64]),
    "coffer_token_revoke": (c_int, [NODE, TOKEN, c_int, c_char_p, c_int]),
    "coffer_token_accessors": (c_int, [NODE, TOKEN, PP(StringList)]),
    "coffer_policy_write": (c_int, [NODE, TOKEN, c_char_p, c_char_p]),
    "coffer_policy_read": (c_int, [NODE, TOKEN, P(c_void_p), P(c_size_t),
                                   c_char_p]),
    "coffer_policy_list": (c_int, [NODE, TOKEN, PP(StringList)]),
    "coffer_policy_delete": (c_int, [NODE, TOKEN, c_char_p]),
    "coffer_capabilities": (c_int, [NODE, TOKEN, PP(Capabilities), c_int,
                                    c_char_p, P(c_char_p), c_size_t]),
    "coffer_capabilities_free": (None, [P(Capabilities)]),
    "coffer_audit_enable": (c_int, [NODE, TOKEN, c_char_p, c_char_p,
                                    c_char_p, P(KvField), c_size_t]),
    "coffer_audit_disable": (c_int, [NODE, TOKEN, c_char_p]),
    "coffer_audit_list": (c_int, [NODE, TOKEN, PP(AuditDevices)]),
    "coffer_audit_devices_free": (None, [P(AuditDevices)]),
    "coffer_audit_hash": (c_int, [NODE, TOKEN, P(c_void_p), P(c_size_t),
                                  c_char_p, c_char_p, c_size_t]),
}


def _candidates():
    env = os.environ.get("COFFER_LIBRARY")
    if env:
        yield env
        return
    here = pathlib.Path(__file__).resolve().parent
    for name in ("libcoffer.so", "libcoffer.so.0", "libcoffer.dylib"):
        if (here / name).exists():
            yield str(here / name)
    found = ctypes.util.find_library("coffer")
    if found:
        yield found
    yield "libcoffer.so.0"
    yield "libcoffer.so"


def _load():
    errors = []
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            errors.append(f"{path}: {e}")
            continue
        for name, (restype, argtypes) in _PROTOTYPES.items():
            fn = getattr(lib, name)
            fn.restype = restype
            fn.argtypes = argtypes
        if lib.coffer_abi_version() != ABI_VERSION:
            raise ImportError(
                f"coffer: {path} has C ABI version "
                f"{lib.coffer_abi_version()}, this package needs "
                f"{ABI_VERSION}")
        return lib
    raise ImportError("coffer: cannot load libcoffer (set COFFER_LIBRARY to "
                      "its path): " + "; ".join(errors))


lib = _load()
