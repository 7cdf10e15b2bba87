"""coffer: an embeddable, highly-available secrets store, from Python.

A ctypes binding over libcoffer's C ABI (include/coffer/c.h); no compiled
extension, no dependency outside the standard library. The library is found
through the COFFER_LIBRARY environment variable (a path), then next to this
package, then by the system loader.

    from coffer import Node, Caller, CofferError
    from coffer.testing import Cluster
    from coffer import shamir
"""

from . import shamir, snapshot, testing  # noqa: F401
from ._lib import lib as _library  # not _lib: that is the ctypes module
from .caller import AuditDevice, Caller, CreatedToken, TokenInfo
from .errors import (AbortedError, AlreadyExistsError, CancelledError,
                     CofferError, DataLossError, DeadlineExceededError,
                     FailedPreconditionError, InternalError,
                     InvalidArgumentError, NotFoundError, OutOfRangeError,
                     PermissionDeniedError, ResourceExhaustedError,
                     UnauthenticatedError, UnavailableError,
                     UnimplementedError, UnknownError)
from .node import (InitResult, KeyMetadata, KeyStatus, LeaderInfo,
                   MountInfo, Node,
                   PeerInfo, SealStatus, Secret, VersionMetadata)

__version__ = _library.coffer_version().decode()
ABI_VERSION = _library.coffer_abi_version()

__all__ = [
    "Node", "Caller", "AuditDevice", "CreatedToken", "TokenInfo",
    "CofferError", "AbortedError", "AlreadyExistsError",
    "CancelledError", "DataLossError", "DeadlineExceededError",
    "FailedPreconditionError", "InternalError", "InvalidArgumentError",
    "NotFoundError", "OutOfRangeError", "PermissionDeniedError",
    "ResourceExhaustedError", "UnauthenticatedError", "UnavailableError",
    "UnimplementedError", "UnknownError", "InitResult", "KeyMetadata", "KeyStatus",
    "LeaderInfo", "MountInfo", "PeerInfo", "SealStatus", "Secret",
    "VersionMetadata", "shamir", "snapshot", "testing",
]
