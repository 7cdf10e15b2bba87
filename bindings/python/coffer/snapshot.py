"""Snapshot files, as an operator handles them (coffer/snapshot.h).

Caller.snapshot_save / snapshot_restore write and restore them; inspect()
reads one without any key or node.
"""

import ctypes
import dataclasses
from typing import Dict, List

from . import _lib
from ._lib import lib
from .node import _bytes, check


@dataclasses.dataclass
class SnapshotInspection:
    format_version: int
    cluster_id: str
    index: int  # the last raft index the snapshot reflects
    term: int
    voters: List[int]
    learners: List[int]
    voters_outgoing: List[int]
    records: int
    file_bytes: int
    key_bytes: int
    value_bytes: int
    by_prefix: Dict[str, Dict[str, int]]  # prefix -> {records, bytes}
    text: str  # as `coffer operator raft snapshot inspect` prints it
    json: str


def inspect(path) -> SnapshotInspection:
    """Reads the snapshot at `path` and checks its framing and SHA-256.
    NotFoundError, DataLossError (corrupt), FailedPreconditionError."""
    p = ctypes.POINTER(_lib.SnapshotInspection)()
    check(lib.coffer_snapshot_inspect(ctypes.byref(p),
                                      _bytes(str(path), "path")))
    try:
        s = p.contents
        ids = lambda arr, n: [arr[i] for i in range(n)]  # noqa: E731
        prefixes = {}
        for i in range(s.num_prefixes):
            q = s.prefixes[i].contents
            prefixes[q.prefix.decode()] = {"records": q.records,
                                           "bytes": q.bytes}
        return SnapshotInspection(
            s.format_version, s.cluster_id.decode(), s.index, s.term,
            ids(s.voters, s.num_voters), ids(s.learners, s.num_learners),
            ids(s.voters_outgoing, s.num_voters_outgoing), s.records,
            s.file_bytes, s.key_bytes, s.value_bytes, prefixes,
            s.text.decode("utf-8", "replace"),
            s.json.decode("utf-8", "replace"))
    finally:
        lib.coffer_snapshot_inspection_free(p)
