"""coffer.Node: one member of a coffer cluster, over the C ABI.

The semantics are those of coffer::Node (include/coffer/node.h): a node is
opened on its data directory with a `send` callable that carries frames to
other nodes; frames the host receives for it go to Node.receive. Every
method is thread-safe and blocks up to the node's request timeout. Failures
raise coffer.CofferError subclasses.

Access: the calls that read or change the cluster's data or configuration
need a caller's token; they are the methods of node.as_caller(token), a
coffer.Caller (coffer/caller.py). The Node's own methods are those that
need none (as in Vault): bootstrap, join, leader, initialize, unseal,
seal_status, rekey, seal_migrate, receive and close.

Values: KV data are dicts of field name -> value; values may be given as
str (stored as UTF-8) or bytes, and are read back as str when they are valid
UTF-8, else as bytes (or always bytes with raw=True). Times are aware UTC
datetimes; durations are datetime.timedelta (numbers are seconds).
"""

import ctypes
import dataclasses
import datetime
import threading
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Union

from . import _lib
from ._lib import lib
from .errors import FailedPreconditionError, error_for

if TYPE_CHECKING:  # coffer.caller imports this module
    from .caller import Caller

Value = Union[str, bytes]

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_UNAVAILABLE = 14  # COFFER_UNAVAILABLE: an audit record not kept


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
    """A version read by Caller.kv_get: `data` is None when it is deleted or
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
    mlock, trailing_logs, key_rotation_max_operations; and the hooks
    log(level: int, message: str) and metric(kind: int, name: str, value:
    float) (coffer/observe.h), called on the node's loop thread (exceptions
    in them are swallowed), and audit(record: str), where the node's
    "callback" audit devices send their records (one JSON object each): it
    is called on the thread of the audited call, from many threads at once,
    and an exception in it means the record was not kept (then, when no
    other device kept it, the audited request fails).
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
                 audit=None, trailing_logs=None,
                 key_rotation_max_operations=None):
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
        self._audit_fn = None
        if audit is not None:
            def on_audit(user_data, record, length):
                try:
                    audit(ctypes.string_at(record, length).decode("utf-8"))
                    return 0
                except Exception:  # noqa: BLE001 (the record was not kept)
                    return _UNAVAILABLE
            self._audit_fn = _lib.AUDIT_FN(on_audit)
            o.audit = self._audit_fn
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

    def leader(self) -> LeaderInfo:
        p = ctypes.POINTER(_lib.LeaderInfo)()
        self._call(lib.coffer_node_leader, ctypes.byref(p))
        try:
            i = p.contents
            return LeaderInfo(bool(i.ha_enabled), bool(i.is_self),
                              i.leader_id, _str(i.leader_address), i.term)
        finally:
            lib.coffer_leader_info_free(p)

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

    def seal_status(self) -> SealStatus:
        p = ctypes.POINTER(_lib.SealStatus)()
        self._call(lib.coffer_node_seal_status, ctypes.byref(p))
        try:
            return _seal_status(p)
        finally:
            lib.coffer_seal_status_free(p)

    # --- operator operations ------------------------------------------------

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

    # --- callers ------------------------------------------------------------

    def as_caller(self, token) -> "Caller":
        """The calls that need a token, made with `token` (str or bytes:
        Initialize's root token or one made by Caller.create_token). See
        coffer.caller."""
        from .caller import Caller
        return Caller(self, token)

