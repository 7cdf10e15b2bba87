"""coffer.Caller: a node's calls made with one caller's token.

Every coffer call that reads or changes the cluster's data or configuration
is made by a caller, whose bearer token the node checks against the
token's ACL policies first (include/coffer/auth.h; coffer/c.h, Tokens). In
Python such calls are the methods of a Caller, which pairs a Node with a
token:

    admin = node.as_caller(init.root_token)
    admin.enable_kv("secret")
    app = node.as_caller(admin.create_token(["app"]).id)
    app.kv_get("secret", "app/db")

A refused call raises PermissionDeniedError ("node: permission denied", the
same for every reason) and changes nothing. The Node itself keeps the calls
that take no token (bootstrap, join, leader, initialize, unseal,
seal_status, rekey, seal_migrate, receive, close).

A Caller holds no state beyond its node and token: it is as thread-safe as
its Node, is cheap to make, and stops working when its node is closed. Its
repr never shows the token.
"""

import ctypes
import dataclasses
import datetime
from typing import Dict, List, Optional

from . import _lib
from ._lib import lib
from .node import (KeyMetadata, KeyStatus, MountInfo, PeerInfo, Secret,
                   Value, VersionMetadata, _bytes, _cas, _consistency,
                   _field_array, _fields, _key_status, _ns, _set_settings,
                   _str, _time, _version_metadata, _versions)


def _duration(ns):
    return datetime.timedelta(microseconds=ns // 1000)


@dataclasses.dataclass
class TokenInfo:
    """A token, as Vault's token lookup shows it (never its id)."""
    accessor: str
    policies: List[str]  # sorted
    metadata: Dict[str, str]
    display_name: str
    num_uses: int  # uses left; 0: unlimited
    creation_time: datetime.datetime
    creation_ttl: datetime.timedelta  # zero: no expiry
    expire_time: Optional[datetime.datetime]  # None: never
    ttl: datetime.timedelta  # left at the lookup's time
    explicit_max_ttl: datetime.timedelta
    period: datetime.timedelta
    renewable: bool
    orphan: bool
    last_renewal_time: Optional[datetime.datetime]  # None: never renewed
    type: str


@dataclasses.dataclass(repr=False)
class CreatedToken:
    """A token just created. Secret: `id` is the credential (it cannot be
    shown again); the repr shows only its accessor."""
    id: str
    info: TokenInfo

    def __repr__(self):
        return f"CreatedToken(<id>, accessor={self.info.accessor!r})"


@dataclasses.dataclass
class AuditDevice:
    """An enabled audit device (Vault's sys/audit list entry)."""
    path: str  # with its trailing "/"
    type: str
    description: str
    options: Dict[str, str]


def _token_info(p):
    t = p.contents
    return TokenInfo(
        accessor=_str(t.accessor),
        policies=[_str(t.policies[i]) for i in range(t.num_policies)],
        metadata={k: v if isinstance(v, str) else v.decode("utf-8",
                                                           "replace")
                  for k, v in _fields(t.metadata, t.num_metadata).items()},
        display_name=_str(t.display_name), num_uses=t.num_uses,
        creation_time=_time(t.creation_time_ns),
        creation_ttl=_duration(t.creation_ttl_ns),
        expire_time=_time(t.expire_time_ns) if t.has_expire_time else None,
        ttl=_duration(t.ttl_ns),
        explicit_max_ttl=_duration(t.explicit_max_ttl_ns),
        period=_duration(t.period_ns), renewable=bool(t.renewable),
        orphan=bool(t.orphan),
        last_renewal_time=_time(t.last_renewal_time_ns)
        if t.has_last_renewal_time else None,
        type=_str(t.type))


def _mount_info(m):
    return MountInfo(
        _str(m.path), _str(m.id), _time(m.created_time_ns), m.max_versions,
        bool(m.cas_required), _duration(m.delete_version_after_ns))


def _ref(token_id, accessor):
    """(ref_kind, ref) of the C ABI: the token `token_id` or `accessor`
    names, or the caller's own when both are None."""
    if token_id is not None and accessor is not None:
        raise ValueError("coffer: give a token id or an accessor, not both")
    if token_id is not None:
        return _lib.TOKEN_REF_ID, _bytes(token_id, "token id")
    if accessor is not None:
        return _lib.TOKEN_REF_ACCESSOR, _bytes(accessor, "accessor")
    return _lib.TOKEN_REF_SELF, None


class Caller:
    """The calls of `node` made with `token` (str or bytes). Made by
    Node.as_caller(token)."""

    def __init__(self, node, token):
        self._node = node
        self._token = _bytes(token, "token")

    @property
    def node(self):
        """The Node this caller's calls go to."""
        return self._node

    def __repr__(self):
        return f"Caller(node={self._node.id}, token=<redacted>)"

    def _call(self, fn, *args):
        self._node._call(fn, self._token, *args)

    # --- membership, seal and keys -------------------------------------------

    def add_peer(self, id: int, address: str, voter: bool = True):
        self._call(lib.coffer_node_add_peer, id, _bytes(address, "address"),
                   1 if voter else 0)

    def remove_peer(self, id: int):
        self._call(lib.coffer_node_remove_peer, id)

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

    def seal(self):
        self._call(lib.coffer_node_seal)

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
            return [_mount_info(p.contents.mounts[i].contents)
                    for i in range(p.contents.num_mounts)]
        finally:
            lib.coffer_mount_list_free(p)

    def find_kv_mount(self, path: str, stale: bool = False) -> MountInfo:
        """The mount that serves `path`, if this caller's token grants
        anything under it (Vault's sys/internal/ui/mounts/<path>);
        PermissionDeniedError otherwise, and when no mount serves it."""
        p = ctypes.POINTER(_lib.MountInfo)()
        self._call(lib.coffer_kv_find_mount, ctypes.byref(p),
                   _bytes(path, "path"), _consistency(stale))
        try:
            return _mount_info(p.contents)
        finally:
            lib.coffer_mount_info_free(p)

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

    # --- tokens (Vault's auth/token/*) ---------------------------------------

    def create_token(self, policies=None, *, no_default_policy=False,
                     metadata=None, no_parent=False, renewable=True,
                     ttl=None, explicit_max_ttl=None, period=None,
                     display_name=None, num_uses=0,
                     orphan_endpoint=False) -> CreatedToken:
        """Creates a token, a child of this caller's unless no_parent or
        orphan_endpoint (Vault's create-orphan). policies None: this
        caller's; metadata a dict of str; durations timedelta or seconds
        (None: the defaults)."""
        o = _lib.TokenCreateOptions()
        lib.coffer_token_create_options_init(ctypes.byref(o),
                                             ctypes.sizeof(o))
        if isinstance(policies, (str, bytes)):
            raise TypeError("coffer: policies must be a list of names")
        names = [_bytes(p, "policy") for p in (policies or [])]
        arr = (ctypes.c_char_p * max(len(names), 1))(*names)
        o.policies, o.num_policies = arr, len(names)
        o.no_default_policy = 1 if no_default_policy else 0
        fields, _keep, n = _field_array(metadata or {}, "metadata")
        o.metadata, o.num_metadata = fields, n
        o.no_parent = 1 if no_parent else 0
        o.renewable = 1 if renewable else 0
        for name, value in (("ttl_ns", ttl),
                            ("explicit_max_ttl_ns", explicit_max_ttl),
                            ("period_ns", period)):
            if value is not None:
                setattr(o, name, _ns(value))
        display = None if display_name is None else _bytes(display_name,
                                                           "display_name")
        o.display_name = display
        o.num_uses = num_uses
        o.orphan_endpoint = 1 if orphan_endpoint else 0
        p = ctypes.POINTER(_lib.CreatedToken)()
        self._call(lib.coffer_token_create, ctypes.byref(p), ctypes.byref(o))
        try:
            return CreatedToken(_str(p.contents.id),
                                _token_info(p.contents.info))
        finally:
            lib.coffer_created_token_free(p)

    def lookup_token(self, token_id=None, *, accessor=None) -> TokenInfo:
        """The token `token_id` or `accessor` names; this caller's own
        without either (lookup-self)."""
        kind, ref = _ref(token_id, accessor)
        p = ctypes.POINTER(_lib.TokenInfo)()
        self._call(lib.coffer_token_lookup, ctypes.byref(p), kind, ref)
        try:
            return _token_info(p)
        finally:
            lib.coffer_token_info_free(p)

    def renew_token(self, token_id=None, *, accessor=None,
                    increment=0) -> TokenInfo:
        """Renews the token `token_id` or `accessor` names (this caller's
        own without either) by `increment` (0: its last ttl); returns it as
        renewed."""
        kind, ref = _ref(token_id, accessor)
        p = ctypes.POINTER(_lib.TokenInfo)()
        self._call(lib.coffer_token_renew, ctypes.byref(p), kind, ref,
                   _ns(increment))
        try:
            return _token_info(p)
        finally:
            lib.coffer_token_info_free(p)

    def revoke_token(self, token_id=None, *, accessor=None, orphan=False):
        """Revokes the token `token_id` or `accessor` names (this caller's
        own without either) and its tree; orphan=True (revoke-orphan)
        makes its children orphans instead."""
        kind, ref = _ref(token_id, accessor)
        mode = _lib.REVOKE_ORPHAN if orphan else _lib.REVOKE_TREE
        self._call(lib.coffer_token_revoke, kind, ref, mode)

    def token_accessors(self) -> List[str]:
        """Every token's accessor, sorted (needs sudo)."""
        return self._list(lib.coffer_token_accessors)

    # --- ACL policies (Vault's sys/policies/acl/*) ----------------------------

    def write_policy(self, name: str, text: str):
        """Stores `text` (Vault's policy language, HCL or JSON) as policy
        `name`. InvalidArgumentError "acl: line:col: ..." when malformed."""
        self._call(lib.coffer_policy_write, _bytes(name, "name"),
                   _bytes(text, "text"))

    def read_policy(self, name: str) -> str:
        out = ctypes.c_void_p()
        n = ctypes.c_size_t()
        self._call(lib.coffer_policy_read, ctypes.byref(out), ctypes.byref(n),
                   _bytes(name, "name"))
        try:
            return ctypes.string_at(out, n.value).decode("utf-8", "replace")
        finally:
            lib.coffer_free(out)

    def policies(self) -> List[str]:
        """Every policy's name, sorted ("default" and "root" included)."""
        return self._list(lib.coffer_policy_list)

    def delete_policy(self, name: str):
        self._call(lib.coffer_policy_delete, _bytes(name, "name"))

    def capabilities(self, paths, token_id=None, *,
                     accessor=None) -> Dict[str, List[str]]:
        """{path: capabilities} that the token `token_id` or `accessor`
        names (this caller's own without either) has on each of `paths` (a
        list, or one path): ["root"], ["deny"] or sorted names."""
        if isinstance(paths, (str, bytes)):
            paths = [paths]
        names = [_bytes(p, "path") for p in paths]
        arr = (ctypes.c_char_p * max(len(names), 1))(*names)
        kind, ref = _ref(token_id, accessor)
        p = ctypes.POINTER(_lib.Capabilities)()
        self._call(lib.coffer_capabilities, ctypes.byref(p), kind, ref, arr,
                   len(names))
        try:
            out = {}
            for i in range(p.contents.num_paths):
                c = p.contents.paths[i].contents
                out[_str(c.path)] = [_str(c.capabilities[j])
                                     for j in range(c.num_capabilities)]
            return out
        finally:
            lib.coffer_capabilities_free(p)

    # --- Audit devices (Vault's sys/audit, sys/audit-hash) -------------------

    def enable_audit(self, path: str, type: str, options=None, *,
                     description: str = ""):
        """Enables an audit device of `type` ("file" with options
        {"file_path": ...}, or "callback": the node's audit hook) at
        `path`. Needs sudo."""
        arr, keep, n = _field_array(options or {}, "options")
        self._call(lib.coffer_audit_enable, _bytes(path, "path"),
                   _bytes(type, "type"), _bytes(description, "description"),
                   arr, n)
        del keep

    def disable_audit(self, path: str):
        """Disables the device at `path`; NotFoundError when none."""
        self._call(lib.coffer_audit_disable, _bytes(path, "path"))

    def audit_devices(self) -> List[AuditDevice]:
        """The enabled devices, by path. Needs sudo."""
        p = ctypes.POINTER(_lib.AuditDevices)()
        self._call(lib.coffer_audit_list, ctypes.byref(p))
        try:
            out = []
            for i in range(p.contents.num_devices):
                d = p.contents.devices[i].contents
                out.append(AuditDevice(
                    path=_str(d.path), type=_str(d.type),
                    description=_str(d.description),
                    options={k: v if isinstance(v, str) else
                             v.decode("utf-8", "replace")
                             for k, v in _fields(d.options,
                                                 d.num_options).items()}))
            return out
        finally:
            lib.coffer_audit_devices_free(p)

    def audit_hash(self, path: str, value) -> str:
        """"hmac-sha256:<hex>" of `value` (str or bytes) under the key of
        the device at `path`, to find a known value in its records."""
        v = _bytes(value)
        out = ctypes.c_void_p()
        n = ctypes.c_size_t()
        self._call(lib.coffer_audit_hash, ctypes.byref(out), ctypes.byref(n),
                   _bytes(path, "path"), v, len(v))
        try:
            return ctypes.string_at(out, n.value).decode("ascii")
        finally:
            lib.coffer_free(out)

    def _list(self, fn) -> List[str]:
        p = ctypes.POINTER(_lib.StringList)()
        self._call(fn, ctypes.byref(p))
        try:
            lst = p.contents
            return [ctypes.string_at(lst.items[i], lst.lens[i]).decode(
                "utf-8", "replace") for i in range(lst.num_items)]
        finally:
            lib.coffer_string_list_free(p)
