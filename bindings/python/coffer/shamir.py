"""Shamir secret sharing, compatible with HashiCorp Vault (coffer/shamir.h).

split(secret, shares, threshold) returns `shares` byte strings, any
`threshold` of which recover the secret with combine(parts). Fewer parts, or
parts of different splits, give a wrong secret, not an error: verify it.
"""

import ctypes
from typing import List, Sequence, Union

from . import _lib
from ._lib import lib
from .node import _bytes, check


def split(secret: Union[str, bytes], shares: int, threshold: int) -> List[bytes]:
    s = _bytes(secret, "secret")
    p = ctypes.POINTER(_lib.StringList)()
    check(lib.coffer_shamir_split(ctypes.byref(p), s, len(s), shares,
                                  threshold))
    try:
        lst = p.contents
        return [ctypes.string_at(lst.items[i], lst.lens[i])
                for i in range(lst.num_items)]
    finally:
        lib.coffer_string_list_free(p)


def combine(parts: Sequence[bytes]) -> bytes:
    parts = [_bytes(x, "part") for x in parts]
    n = len(parts)
    ptrs = (ctypes.c_void_p * max(n, 1))(
        *[ctypes.cast(ctypes.c_char_p(x), ctypes.c_void_p) for x in parts])
    lens = (ctypes.c_size_t * max(n, 1))(*[len(x) for x in parts])
    out = ctypes.c_void_p()
    out_len = ctypes.c_size_t()
    check(lib.coffer_shamir_combine(ctypes.byref(out), ctypes.byref(out_len),
                                    ptrs, lens, n))
    try:
        return ctypes.string_at(out, out_len.value)
    finally:
        lib.coffer_free(out)
