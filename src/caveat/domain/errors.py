"""One error root for Caveat, with stable codes.

Every error a person can meet derives from :class:`CaveatError`. The ``code`` is a
stable, documented identifier (clients switch on it); ``kind`` says which family
the error belongs to, and the interfaces map that family to an HTTP status or an
exit code in exactly one place each.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorKind(StrEnum):
    """The families an interface maps to a status or exit code."""

    INVALID = "invalid"  # the input is wrong: the caller can fix it
    TOO_LARGE = "too_large"  # the input is bigger than the node accepts
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"  # the input clashes with existing state (duplicate name)
    UNAUTHENTICATED = "unauthenticated"
    DENIED = "denied"  # authenticated, but not allowed
    THROTTLED = "throttled"
    UNAVAILABLE = "unavailable"  # a dependency (database) is down
    INTEGRITY = "integrity"  # stored data failed a cryptographic or consistency check
    INTERNAL = "internal"


class CaveatError(Exception):
    """Root of every error Caveat raises on purpose."""

    code: str = "caveat_error"
    kind: ErrorKind = ErrorKind.INTERNAL

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        field: str | None = None,
        hint: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.field = field
        self.hint = hint
        self.data = dict(data or {})

    def diagnostics(self) -> str:
        """One or two human lines: what went wrong and, if known, how to fix it."""
        where = f" ({self.field})" if self.field else ""
        text = f"{self.detail}{where}"
        return f"{text}\nhint: {self.hint}" if self.hint else text


class InvalidInput(CaveatError):
    """Raised when input is malformed or breaks a rule the caller can satisfy."""

    code = "invalid_input"
    kind = ErrorKind.INVALID


class NotFound(CaveatError):
    """Raised when a named thing does not exist (or may not be revealed to exist)."""

    code = "not_found"
    kind = ErrorKind.NOT_FOUND


class Conflict(CaveatError):
    """Raised when a change clashes with existing state, such as a taken name."""

    code = "conflict"
    kind = ErrorKind.CONFLICT


class AuthenticationFailed(CaveatError):
    """Raised when credentials, a session or a token are missing, wrong or expired."""

    code = "authentication_failed"
    kind = ErrorKind.UNAUTHENTICATED


class PermissionDenied(CaveatError):
    """Raised when an authenticated subject may not perform an action."""

    code = "permission_denied"
    kind = ErrorKind.DENIED


class Throttled(CaveatError):
    """Raised when too many failures lock an account or a client address for a while."""

    code = "throttled"
    kind = ErrorKind.THROTTLED


class ServiceUnavailable(CaveatError):
    """Raised when a dependency such as the database cannot be reached."""

    code = "service_unavailable"
    kind = ErrorKind.UNAVAILABLE


class IntegrityError(CaveatError):
    """Raised when stored data fails a cryptographic or consistency check."""

    code = "integrity_failure"
    kind = ErrorKind.INTEGRITY
