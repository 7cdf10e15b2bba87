"""Errors raised by the coffer binding.

Every failure of the C ABI becomes a CofferError whose `code` is the C
code (COFFER_INVALID_ARGUMENT, ...; absl::StatusCode's numbers) and whose
`message` is the library's message (never a secret). A subclass per code
lets callers catch what they can act on, as coffer/node.h describes:
FailedPreconditionError (sealed, not initialized), UnavailableError (no
leader: retry), AbortedError (check-and-set conflict), NotFoundError, ...
"""


class CofferError(Exception):
    """A coffer call failed. `code` (int) and `message` (str)."""

    code = 2  # UNKNOWN, for codes without a subclass

    def __init__(self, code, message):
        super().__init__(f"{_NAMES.get(code, 'UNKNOWN')}: {message}")
        self.code = code
        self.message = message


class CancelledError(CofferError):
    code = 1


class UnknownError(CofferError):
    code = 2


class InvalidArgumentError(CofferError):
    code = 3


class DeadlineExceededError(CofferError):
    code = 4


class NotFoundError(CofferError):
    code = 5


class AlreadyExistsError(CofferError):
    code = 6


class PermissionDeniedError(CofferError):
    code = 7


class ResourceExhaustedError(CofferError):
    code = 8


class FailedPreconditionError(CofferError):
    code = 9


class AbortedError(CofferError):
    code = 10


class OutOfRangeError(CofferError):
    code = 11


class UnimplementedError(CofferError):
    code = 12


class InternalError(CofferError):
    code = 13


class UnavailableError(CofferError):
    code = 14


class DataLossError(CofferError):
    code = 15


class UnauthenticatedError(CofferError):
    code = 16


_NAMES = {
    0: "OK", 1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT",
    4: "DEADLINE_EXCEEDED", 5: "NOT_FOUND", 6: "ALREADY_EXISTS",
    7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED", 9: "FAILED_PRECONDITION",
    10: "ABORTED", 11: "OUT_OF_RANGE", 12: "UNIMPLEMENTED", 13: "INTERNAL",
    14: "UNAVAILABLE", 15: "DATA_LOSS", 16: "UNAUTHENTICATED",
}

_BY_CODE = {cls.code: cls for cls in (
    CancelledError, UnknownError, InvalidArgumentError, DeadlineExceededError,
    NotFoundError, AlreadyExistsError, PermissionDeniedError,
    ResourceExhaustedError, FailedPreconditionError, AbortedError,
    OutOfRangeError, UnimplementedError, InternalError, UnavailableError,
    DataLossError, UnauthenticatedError)}


def error_for(code, message):
    """The exception for C code `code` (CofferError for an unknown code)."""
    cls = _BY_CODE.get(code)
    if cls is None:
        return CofferError(code, message)
    return cls(code, message)
