"""coffer.Node: one member of a coffer cluster, over the C ABI.

The semantics are those of coffer::Node (include/coffer/node.h): a node is
opened on its data directory with a `send` callable that carries frames to
other nodes; frames the host receives for it go to Node.receive. Every
method is thread-safe and blocks up to the node's request timeout. Failures
raise coffer.CofferError subclasses.

Values: KV data are dicts of field name -> value; values may be given as
str (stored as UTF-8) or bytes, and are read back as str when they are valid
UTF-8, else as bytes (or always bytes with raw=True). Times are aware UTC
datetimes; durations are datetime.timedelta (numbers are seconds).
"""

import ctypes
import dataclasses
import datetime
import threading
from typing import Callable, Dict, List, Optional, Union

from . import _lib
from ._lib import lib
from .errors import FailedPreconditionError, error_for

Value = Union[str, bytes]

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def check(rc):
    """Raises the CofferError for a C code (no-op for COFFER_OK)."""
    if rc != 0:
        message = lib.coffer_last_error_message().decode("utf-8", "replace")
        raise error_for(rc, message)


def _bytes(value, what="value"):
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"coffer: {what} must be str or bytes, not "
                    f"{type(value).__name__}")


def _str(value):
    return value.decode("utf-8", "replace") if value is not None else ""


def _time(ns):
    return _EPOCH + datetime.timedelta(microseconds=ns // 1000)


def _ns(duration):
    if isinstance(duration, datetime.timedelta):
        return (duration.days * 86400 + duration.seconds) * 10**9 + \
            duration.microseconds * 1000
    return int(round(float(duration) * 1e9))


def _value(raw_bytes, raw):
    if raw:
        return raw_bytes
    try:
        return raw_bytes.decode("utf-8")
    except UnicodeDecodeError:
        return raw_bytes


def _fields(ptr, n, raw=False):
    out = {}
    for i in range(n):
        f = ptr[i]
        out[f.name.decode("utf-8", "replace")] = _value(
            ctypes.string_at(f.value, f.value_len) if f.value_len else b"",
            raw)
    return out


def _field_array(data, what):
    if data is None:
        return None, [], 0
    if not isinstance(data, dict):
        raise TypeError(f"coffer: {what} must be a dict")
    keep = []
    arr = (_lib.KvField * max(len(data), 1))()
    for i, (name, value) in enumerate(data.items()):
        n = _bytes(name, "field name")
        v = _bytes(value)
        keep += [n, v]
        arr[i].name = n
        arr[i].value = ctypes.cast(ctypes.c_char_p(v), ctypes.c_void_p)
        arr[i].value_len = len(v)
    return arr, keep, len(data)


def _versions(versions):
    versions = list(versions)
    arr = (ctypes.c_uint64 * max(len(versions), 1))(*versions)
    return arr, len(versions)


def _peer_array(items):
    arr = (_lib.Peer * max(len(items), 1))()
    keep = []
    for i, (pid, address) in enumerate(items):
        a = _bytes(address, "address")
        keep.append(a)
        arr[i].id = pid
        arr[i].address = a
    return arr, keep


def _key_status(p):
    k = p.contents
    return KeyStatus(k.term, _time(k.install_time_ns)
                     if k.install_time_ns else None, k.encryptions)


def _shares(keys):
    keys = [_bytes(k, "share") for k in keys]
    return (ctypes.c_char_p * max(len(keys), 1))(*keys), len(keys)


def _consistency(stale):
    return _lib.READ_STALE if stale else _lib.READ_LINEARIZABLE


def _cas(cas):
    return None if cas is None else ctypes.byref(ctypes.c_uint64(cas))


@dataclasses.dataclass
class LeaderInfo:
    ha_enabled: bool
    is_self: bool
    leader_id: int  # 0 when no leader is known
    leader_address: str
    term: int


@dataclasses.dataclass
class PeerInfo:
    id: int
    address: str
    state: str  # "leader", "follower", "candidate", "pre-candidate"
    voter: bool
    match_index: int
    last_contact: datetime.timedelta  # the leader's view; zero elsewhere


@dataclasses.dataclass
class SealStatus:
    type: str
    initialized: bool
    sealed: bool
    threshold: int
    shares: int
    progress: int
    nonce: str
    version: str
    migration: bool
    recovery_seal: bool
    removed_from_cluster: bool


@dataclasses.dataclass(repr=False)
class InitResult:
    """Secret: the unseal (or recovery) shares and the root token."""
    keys: List[str]
    recovery_keys: List[str]
    root_token: str

    def __repr__(self):
        return (f"InitResult(<{len(self.keys)} keys, "
                f"{len(self.recovery_keys)} recovery keys, root token>)")


@dataclasses.dataclass
class KeyStatus:
    term: int
    install_time: Optional[datetime.datetime]  # None when not recorded
    encryptions: int


@dataclasses.dataclass
class MountInfo:
    path: str
    id: str
    created_time: datetime.datetime
    max_versions: int
    cas_required: bool
    delete_version_after: datetime.timedelta


@dataclasses.dataclass
class VersionMetadata:
    version: int
    created_time: datetime.datetime
    deletion_time: Optional[datetime.datetime]
    destroyed: bool
    custom_metadata: Dict[str, Value]


@dataclasses.dataclass(repr=False)
class Secret:
    """A version read by Node.kv_get: `data` is None when it is deleted or
    destroyed."""
    data: Optional[Dict[str, Value]]
    metadata: VersionMetadata

    def __repr__(self):
        fields = "deleted" if self.data is None else sorted(self.data)
        return f"Secret(version={self.metadata.version}, fields={fields})"


@dataclasses.dataclass
class KeyMetadata:
    created_time: datetime.datetime
    updated_time: datetime.datetime
    current_version: int
    oldest_version: int
    max_versions: int
    cas_required: bool
    delete_version_after: datetime.timedelta
    custom_metadata: Dict[str, Value]
    versions: Dict[int, VersionMetadata]


def _version_metadata(p):
    m = p.contents
    return VersionMetadata(
        version=m.version, created_time=_time(m.created_time_ns),
        deletion_time=_time(m.deletion_time_ns) if m.has_deletion_time
        else None,
        destroyed=bool(m.destroyed),
        custom_metadata=_fields(m.custom_metadata, m.num_custom_metadata))


def _seal_status(p):
    s = p.contents
    return SealStatus(type=_str(s.type), initialized=bool(s.initialized),
                      sealed=bool(s.sealed), threshold=s.threshold,
                      shares=s.shares, progress=s.progress,
                      nonce=_str(s.nonce), version=_str(s.version),
                      migration=bool(s.migration),
                      recovery_seal=bool(s.recovery_seal),
                      removed_from_cluster=bool(s.removed_from_cluster))


class _KmsAdapter:
    """Wraps a Python Kms object (attributes `type` and `key_id`, methods
    wrap(key_id, plaintext) and unwrap(key_id, ciphertext) returning bytes)
    as coffer_kms_t callbacks. An exception fails the operation: its `code`
    if it is a CofferError, else UNAVAILABLE."""

    def __init__(self, kms):
        self.kms = kms
        self.wrap_fn = _lib.KMS_FN(self._callback(kms.wrap))
        self.unwrap_fn = _lib.KMS_FN(self._callback(kms.unwrap))
        self.struct = _lib.Kms(
            struct_size=ctypes.sizeof(_lib.Kms),
            type=_bytes(kms.type), key_id=_bytes(kms.key_id),
            wrap=self.wrap_fn, unwrap=self.unwrap_fn, user_data=None)

    @staticmethod
    def _callback(method):
        def call(user_data, sink, key_id, data, length):
            try:
                out = _bytes(method(key_id.decode("utf-8"),
                                    ctypes.string_at(data, length)))
                return lib.coffer_sink_write(sink, out, len(out))
            except Exception as e:  # noqa: BLE001 (reported as a code)
                code = getattr(e, "code", 14)
                return code if isinstance(code, int) and 0 < code <= 16 \
                    else 14
        return call



def _set_settings(u, max_versions, cas_required, delete_version_after):
    """Sets the settings a mount and a key share on a C update struct;
    None leaves one unchanged."""
    if max_versions is not None:
        u.set_max_versions, u.max_versions = 1, max_versions
    if cas_required is not None:
        u.set_cas_required, u.cas_required = 1, 1 if cas_required else 0
    if delete_version_after is not None:
        u.set_delete_version_after = 1
        u.delete_version_after_ns = _ns(delete_version_after)

class Node:
    """A coffer node (coffer::Node::Open). Close it with close() or a
    `with` block.

    send(to: int, address: str, frame: bytes) is called on the node's event
    loop thread for every outgoing frame: queue the frame and return; do
    not call this node from it (delivering to another node's receive is
    fine). Exceptions in it are swallowed (the frame is lost).

    Options (keyword; defaults as in coffer/options.h): kms, tick,
    election_ticks, heartbeat_ticks, request_timeout, sync,
    max_entry_bytes, max_pending, snapshot_threshold, pre_vote,
    check_quorum, random_seed, retry_join ({id: address}),
    retry_join_interval, cleanup_dead_servers,
    dead_server_last_contact_threshold, min_quorum, migrate_from_kms,
    mlock, trailing_logs, key_rotation_max_operations; and the hooks log(level: int, message: str) and
    metric(kind: int, name: str, value: float) (coffer/observe.h), called
    on the node's loop thread (exceptions in them are swallowed).
    """

    def __init__(self, id: int, address: str, data_dir: str,
                 send: Callable[[int, str, bytes], None], *, kms=None,
                 tick=None, election_ticks=None, heartbeat_ticks=None,
                 request_timeout=None, sync=None, max_entry_bytes=None,
                 max_pending=None, snapshot_threshold=None, pre_vote=None,
                 check_quorum=None, random_seed=None, retry_join=None,
                 retry_join_interval=None, cleanup_dead_servers=None,
                 dead_server_last_contact_threshold=None, min_quorum=None,
                 migrate_from_kms=None, mlock=None, log=None, metric=None,
                 trailing_logs=None, key_rotation_max_operations=None):
        self._handle = None
        self._lock = threading.Condition()
        self._calls = 0
        self._closing = False
        self.id = id
        self._send = send

        def on_send(user_data, to, address, frame, length):
            try:
                send(to, _str(address), ctypes.string_at(frame, length))
            except Exception:  # noqa: BLE001 (a lost frame)
                pass

        self._send_fn = _lib.SEND_FN(on_send)
        self._kms = _KmsAdapter(kms) if kms is not None else None
        o = _lib.NodeOptions()
        lib.coffer_node_options_init(ctypes.byref(o), ctypes.sizeof(o))
        o.id = id
        o.address = _bytes(address, "address")
        o.data_dir = _bytes(str(data_dir), "data_dir")
        o.send = self._send_fn
        if self._kms is not None:
            o.kms = ctypes.pointer(self._kms.struct)
        self._migrate_kms = None
        if migrate_from_kms is not None:
            self._migrate_kms = _KmsAdapter(migrate_from_kms)
            o.migrate_from_kms = ctypes.pointer(self._migrate_kms.struct)
        self._log_fn = self._metric_fn = None
        if log is not None:
            def on_log(user_data, level, message, length):
                try:
                    log(level, ctypes.string_at(message, length).decode(
                        "utf-8", "replace"))
                except Exception:  # noqa: BLE001 (a lost line)
                    pass
            self._log_fn = _lib.LOG_FN(on_log)
            o.log = self._log_fn
        if metric is not None:
            def on_metric(user_data, kind, name, value):
                try:
                    metric(kind, _str(name), value)
                except Exception:  # noqa: BLE001 (a lost sample)
                    pass
            self._metric_fn = _lib.METRIC_FN(on_metric)
            o.metric = self._metric_fn
        retry = list(retry_join.items()) if isinstance(retry_join, dict) \
            else list(retry_join or [])
        self._retry = _peer_array(retry)
        o.retry_join, o.num_retry_join = self._retry[0], len(retry)
        if retry_join_interval is not None:
            o.retry_join_interval_ns = _ns(retry_join_interval)
        if dead_server_last_contact_threshold is not None:
            o.dead_server_last_contact_threshold_ns = _ns(
                dead_server_last_contact_threshold)
        if tick is not None:
            o.tick_ns = _ns(tick)
        if request_timeout is not None:
            o.request_timeout_ns = _ns(request_timeout)
        for name, value in (("election_ticks", election_ticks),
                            ("heartbeat_ticks", heartbeat_ticks),
                            ("max_entry_bytes", max_entry_bytes),
                            ("max_pending", max_pending),
                            ("snapshot_threshold", snapshot_threshold),
                            ("random_seed", random_seed),
                            ("min_quorum", min_quorum),
                            ("trailing_logs", trailing_logs),
                            ("key_rotation_max_operations",
                             key_rotation_max_operations)):
            if value is not None:
                setattr(o, name, int(value))
        for name, value in (("sync", sync), ("pre_vote", pre_vote),
                            ("check_quorum", check_quorum),
                            ("cleanup_dead_servers", cleanup_dead_servers),
                            ("mlock", mlock)):
            if value is not None:
                setattr(o, name, 1 if value else 0)
        handle = ctypes.c_void_p()
        check(lib.coffer_node_open(ctypes.byref(handle), ctypes.byref(o)))
        self._handle = handle

    # --- life cycle ---------------------------------------------------------

    def close(self):
        """Stops the node (waiting calls fail with FailedPreconditionError),
        waits for calls in other threads to return, and frees it.
        Idempotent."""
        with self._lock:
            if self._handle is None or self._closing:
                return
            self._closing = True
            handle = self._handle
        lib.coffer_node_shutdown(handle)
        with self._lock:
            while self._calls > 0:
                self._lock.wait()
            self._handle = None
        lib.coffer_node_close(handle)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 (interpreter shutdown)
            pass

    def _call(self, fn, *args):
        with self._lock:
            if self._handle is None or self._closing:
                raise FailedPreconditionError(9, "coffer: node is closed")
            self._calls += 1
            handle = self._handle
        try:
            check(fn(handle, *args))
        finally:
            with self._lock:
                self._calls -= 1
                if self._calls == 0:
                    self._lock.notify_all()

    def receive(self, frame: bytes) -> bool:
        """Hands over a frame received for this node (copied; never
        blocks). False, and the frame dropped, once the node is closing."""
        try:
            self._call(lib.coffer_node_receive, frame, len(frame))
            return True
        except FailedPreconditionError:
            return False

    # --- membership ---------------------------------------------------------

    def bootstrap(self, peers):
        """Starts a new cluster of `peers`: {id: address} or [(id,
        address)], which must include this node."""
        items = list(peers.items() if isinstance(peers, dict) else peers)
        arr, _keep = _peer_array(items)
        self._call(lib.coffer_node_bootstrap, arr, len(items))

    def join(self, known_peers):
        """Asks `known_peers` ({id: address}) to admit this node, opened
        on an empty directory (Vault's `operator raft join`). With the
        Shamir seal, then submit a threshold of the cluster's unseal shares
        with unseal(): the last one returns once the node is admitted."""
        items = list(known_peers.items() if isinstance(known_peers, dict)
                     else known_peers)
        arr, _keep = _peer_array(items)
        self._call(lib.coffer_node_join, arr, len(items))

    def add_peer(self, id: int, address: str, voter: bool = True):
        self._call(lib.coffer_node_add_peer, id, _bytes(address, "address"),
                   1 if voter else 0)

    def remove_peer(self, id: int):
        self._call(lib.coffer_node_remove_peer, id)

    def leader(self) -> LeaderInfo:
        p = ctypes.POINTER(_lib.LeaderInfo)()
        self._call(lib.coffer_node_leader, ctypes.byref(p))
        try:
            i = p.contents
            return LeaderInfo(bool(i.ha_enabled), bool(i.is_self),
                              i.leader_id, _str(i.leader_address), i.term)
        finally:
            lib.coffer_leader_info_free(p)

    def peers(self) -> List[PeerInfo]:
        p = ctypes.POINTER(_lib.PeerList)()
        self._call(lib.coffer_node_list_peers, ctypes.byref(p))
        try:
            out = []
            for i in range(p.contents.num_peers):
                q = p.contents.peers[i].contents
                out.append(PeerInfo(
                    q.id, _str(q.address), _str(q.state), bool(q.voter),
                    q.match_index,
                    datetime.timedelta(microseconds=q.last_contact_ns // 1000)))
            return out
        finally:
            lib.coffer_peer_list_free(p)

    # --- seal ---------------------------------------------------------------

    def initialize(self, secret_shares=5, secret_threshold=3,
                   recovery_shares=5, recovery_threshold=3) -> InitResult:
        p = ctypes.POINTER(_lib.InitResult)()
        self._call(lib.coffer_node_initialize, ctypes.byref(p),
                   secret_shares, secret_threshold, recovery_shares,
                   recovery_threshold)
        try:
            r = p.contents
            return InitResult(
                keys=[_str(r.keys[i]) for i in range(r.num_keys)],
                recovery_keys=[_str(r.recovery_keys[i])
                               for i in range(r.num_recovery_keys)],
                root_token=_str(r.root_token))
        finally:
            lib.coffer_init_result_free(p)

    def unseal(self, share: Value) -> SealStatus:
        """Submits one unseal share (hex, base64 or raw)."""
        b = _bytes(share, "share")
        p = ctypes.POINTER(_lib.SealStatus)()
        self._call(lib.coffer_node_unseal, ctypes.byref(p), b, len(b))
        try:
            return _seal_status(p)
        finally:
            lib.coffer_seal_status_free(p)

    def seal(self):
        self._call(lib.coffer_node_seal)

    def seal_status(self) -> SealStatus:
        p = ctypes.POINTER(_lib.SealStatus)()
        self._call(lib.coffer_node_seal_status, ctypes.byref(p))
        try:
            return _seal_status(p)
        finally:
            lib.coffer_seal_status_free(p)

    # --- operator operations ------------------------------------------------

    def transfer_leadership(self, to: int = 0):
        """Hands the leadership to voter `to` (0: the most caught-up)."""
        self._call(lib.coffer_node_transfer_leadership, to)

    def rotate_key(self) -> KeyStatus:
        """Adds a keyring term; returns it."""
        p = ctypes.POINTER(_lib.KeyStatus)()
        self._call(lib.coffer_node_rotate_key, ctypes.byref(p))
        try:
            return _key_status(p)
        finally:
            lib.coffer_key_status_free(p)

    def key_status(self) -> KeyStatus:
        p = ctypes.POINTER(_lib.KeyStatus)()
        self._call(lib.coffer_node_key_status, ctypes.byref(p))
        try:
            return _key_status(p)
        finally:
            lib.coffer_key_status_free(p)

    def rekey(self, current_keys, secret_shares: int,
              secret_threshold: int) -> List[str]:
        """New shares (hex; secret) for a threshold of the current ones."""
        arr, n = _shares(current_keys)
        p = ctypes.POINTER(_lib.StringList)()
        self._call(lib.coffer_node_rekey, ctypes.byref(p), arr, n,
                   secret_shares, secret_threshold)
        try:
            lst = p.contents
            return [ctypes.string_at(lst.items[i], lst.lens[i]).decode()
                    for i in range(lst.num_items)]
        finally:
            lib.coffer_string_list_free(p)

    def seal_migrate(self, keys):
        """Completes a pending seal migration (see coffer/node.h)."""
        arr, n = _shares(keys)
        self._call(lib.coffer_node_seal_migrate, arr, n)

    # --- snapshots ----------------------------------------------------------

    def snapshot_save(self, path):
        """Writes a verified snapshot of the cluster's state to `path`."""
        self._call(lib.coffer_node_snapshot_save, _bytes(str(path), "path"))

    def snapshot_save_to(self, out):
        """Streams a verified snapshot to `out`: a binary file object (its
        write method) or a callable taking bytes."""
        write = out.write if hasattr(out, "write") else out
        failure = []

        def on_write(user_data, data, length):
            try:
                write(ctypes.string_at(data, length))
                return 0
            except Exception as e:  # noqa: BLE001 (re-raised below)
                failure.append(e)
                return 14

        fn = _lib.WRITE_FN(on_write)
        try:
            self._call(lib.coffer_node_snapshot_save_to, fn, None)
        except Exception:
            if failure:
                raise failure[0]
            raise

    @staticmethod
    def _restore_options(force, unseal_keys):
        keys = [_bytes(k, "unseal key") for k in unseal_keys]
        o = _lib.SnapshotRestoreOptions()
        lib.coffer_snapshot_restore_options_init(ctypes.byref(o),
                                                 ctypes.sizeof(o))
        o.force = 1 if force else 0
        arr = (ctypes.c_char_p * max(len(keys), 1))(*keys)
        o.unseal_keys = arr
        o.num_unseal_keys = len(keys)
        return o, (arr, keys)

    def snapshot_restore(self, path, force=False, unseal_keys=()):
        """Replaces the cluster's data with the snapshot at `path`. Run it
        on the leader. force: accept another cluster's snapshot, unlocked
        by that cluster's `unseal_keys`."""
        o, _keep = self._restore_options(force, unseal_keys)
        self._call(lib.coffer_node_snapshot_restore,
                   _bytes(str(path), "path"), ctypes.byref(o))

    def snapshot_restore_from(self, source, force=False, unseal_keys=()):
        """Same, reading the snapshot from `source`: a binary file object
        (its readinto or read method)."""
        o, _keep = self._restore_options(force, unseal_keys)
        failure = []

        def on_read(user_data, buf, cap, out_len):
            try:
                chunk = source.read(cap)
                n = len(chunk)
                ctypes.memmove(buf, chunk, n)
                out_len[0] = n
                return 0
            except Exception as e:  # noqa: BLE001 (re-raised below)
                failure.append(e)
                return 14

        fn = _lib.READ_FN(on_read)
        try:
            self._call(lib.coffer_node_snapshot_restore_from, fn, None,
                       ctypes.byref(o))
        except Exception:
            if failure:
                raise failure[0]
            raise

    # --- raw paths ----------------------------------------------------------

    def put_raw(self, path: str, value: Value):
        v = _bytes(value)
        self._call(lib.coffer_node_put_raw, _bytes(path, "path"), v, len(v))

    def get_raw(self, path: str, stale: bool = False) -> bytes:
        out = ctypes.c_void_p()
        n = ctypes.c_size_t()
        self._call(lib.coffer_node_get_raw, ctypes.byref(out),
                   ctypes.byref(n), _bytes(path, "path"), _consistency(stale))
        try:
            return ctypes.string_at(out, n.value)
        finally:
            lib.coffer_free(out)

    def delete_raw(self, path: str):
        self._call(lib.coffer_node_delete_raw, _bytes(path, "path"))

    # --- KV version 2 -------------------------------------------------------

    def enable_kv(self, path: str = "secret", max_versions: int = 0,
                  cas_required: bool = False, delete_version_after=0):
        c = _lib.MountConfig()
        lib.coffer_mount_config_init(ctypes.byref(c), ctypes.sizeof(c))
        c.max_versions = max_versions
        c.cas_required = 1 if cas_required else 0
        c.delete_version_after_ns = _ns(delete_version_after)
        self._call(lib.coffer_kv_enable_mount, _bytes(path, "path"),
                   ctypes.byref(c))

    def tune_kv(self, path: str = "secret", max_versions=None,
                cas_required=None, delete_version_after=None):
        """Changes the given settings of a mount (Vault's <mount>/config);
        they apply to later writes."""
        u = _lib.MountConfigUpdate()
        lib.coffer_mount_config_update_init(ctypes.byref(u), ctypes.sizeof(u))
        _set_settings(u, max_versions, cas_required, delete_version_after)
        self._call(lib.coffer_kv_tune_mount, _bytes(path, "path"),
                   ctypes.byref(u))

    def disable_kv(self, path: str):
        self._call(lib.coffer_kv_disable_mount, _bytes(path, "path"))

    def kv_mounts(self, stale: bool = False) -> List[MountInfo]:
        p = ctypes.POINTER(_lib.MountList)()
        self._call(lib.coffer_kv_list_mounts, ctypes.byref(p),
                   _consistency(stale))
        try:
            out = []
            for i in range(p.contents.num_mounts):
                m = p.contents.mounts[i].contents
                out.append(MountInfo(
                    _str(m.path), _str(m.id), _time(m.created_time_ns),
                    m.max_versions, bool(m.cas_required),
                    datetime.timedelta(
                        microseconds=m.delete_version_after_ns // 1000)))
            return out
        finally:
            lib.coffer_mount_list_free(p)

    def _write(self, fn, *args) -> VersionMetadata:
        p = ctypes.POINTER(_lib.VersionMetadata)()
        self._call(fn, ctypes.byref(p), *args)
        try:
            return _version_metadata(p)
        finally:
            lib.coffer_version_metadata_free(p)

    def kv_put(self, mount: str, path: str, data: Dict[str, Value],
               cas: Optional[int] = None) -> VersionMetadata:
        """Writes `data` as the key's next version (check-and-set when
        `cas` is given: AbortedError on a mismatch)."""
        arr, _keep, n = _field_array(data, "data")
        return self._write(lib.coffer_kv_put, _bytes(mount, "mount"),
                           _bytes(path, "path"), arr, n, _cas(cas))

    def kv_get(self, mount: str, path: str, version: int = 0,
               stale: bool = False, raw: bool = False) -> Secret:
        p = ctypes.POINTER(_lib.KvResult)()
        self._call(lib.coffer_kv_get, ctypes.byref(p), _bytes(mount, "mount"),
                   _bytes(path, "path"), version, _consistency(stale))
        try:
            r = p.contents
            data = _fields(r.fields, r.num_fields, raw) if r.has_data \
                else None
            return Secret(data, _version_metadata(r.metadata))
        finally:
            lib.coffer_kv_result_free(p)

    def kv_patch(self, mount: str, path: str,
                 set: Optional[Dict[str, Value]] = None, remove=(),
                 cas: Optional[int] = None) -> VersionMetadata:
        arr, _keep, n = _field_array(set or {}, "set")
        names = [_bytes(r, "field name") for r in remove]
        rm = (ctypes.c_char_p * max(len(names), 1))(*names)
        return self._write(lib.coffer_kv_patch, _bytes(mount, "mount"),
                           _bytes(path, "path"), arr, n, rm, len(names),
                           _cas(cas))

    def kv_delete(self, mount: str, path: str, versions=None):
        """Soft-deletes the current version, or the listed `versions`."""
        m, p = _bytes(mount, "mount"), _bytes(path, "path")
        if versions is None:
            self._call(lib.coffer_kv_delete, m, p)
        else:
            self._call(lib.coffer_kv_delete_versions, m, p,
                       *_versions(versions))

    def kv_undelete(self, mount: str, path: str, versions):
        self._call(lib.coffer_kv_undelete, _bytes(mount, "mount"),
                   _bytes(path, "path"), *_versions(versions))

    def kv_destroy(self, mount: str, path: str, versions):
        self._call(lib.coffer_kv_destroy, _bytes(mount, "mount"),
                   _bytes(path, "path"), *_versions(versions))

    def kv_metadata(self, mount: str, path: str,
                    stale: bool = False) -> KeyMetadata:
        p = ctypes.POINTER(_lib.KeyMetadata)()
        self._call(lib.coffer_kv_read_metadata, ctypes.byref(p),
                   _bytes(mount, "mount"), _bytes(path, "path"),
                   _consistency(stale))
        try:
            m = p.contents
            versions = {}
            for i in range(m.num_versions):
                v = _version_metadata(m.versions[i])
                versions[v.version] = v
            return KeyMetadata(
                created_time=_time(m.created_time_ns),
                updated_time=_time(m.updated_time_ns),
                current_version=m.current_version,
                oldest_version=m.oldest_version,
                max_versions=m.max_versions,
                cas_required=bool(m.cas_required),
                delete_version_after=datetime.timedelta(
                    microseconds=m.delete_version_after_ns // 1000),
                custom_metadata=_fields(m.custom_metadata,
                                        m.num_custom_metadata),
                versions=versions)
        finally:
            lib.coffer_key_metadata_free(p)

    def kv_write_metadata(self, mount: str, path: str, *, max_versions=None,
                          cas_required=None, delete_version_after=None,
                          custom_metadata=None):
        """Changes the given settings only; custom_metadata (a dict)
        replaces the whole map."""
        u = _lib.KeyMetadataUpdate()
        lib.coffer_key_metadata_update_init(ctypes.byref(u),
                                            ctypes.sizeof(u))
        _set_settings(u, max_versions, cas_required, delete_version_after)
        keep = None
        if custom_metadata is not None:
            arr, keep, n = _field_array(custom_metadata, "custom_metadata")
            u.set_custom_metadata = 1
            u.custom_metadata = arr
            u.num_custom_metadata = n
        self._call(lib.coffer_kv_write_metadata, _bytes(mount, "mount"),
                   _bytes(path, "path"), ctypes.byref(u))
        del keep

    def kv_delete_metadata(self, mount: str, path: str):
        self._call(lib.coffer_kv_delete_metadata, _bytes(mount, "mount"),
                   _bytes(path, "path"))

    def kv_list(self, mount: str, folder: str = "",
                stale: bool = False) -> List[str]:
        """Keys ("a") and sub-folders ("b/") of `folder`, in byte order."""
        p = ctypes.POINTER(_lib.StringList)()
        self._call(lib.coffer_kv_list, ctypes.byref(p), _bytes(mount, "mount"),
                   _bytes(folder, "folder"), _consistency(stale))
        try:
            lst = p.contents
            return [ctypes.string_at(lst.items[i], lst.lens[i]).decode(
                "utf-8", "replace") for i in range(lst.num_items)]
        finally:
            lib.coffer_string_list_free(p)
