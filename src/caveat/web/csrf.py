"""CSRF protection for forms.

Signed-in forms carry HMAC(node secret, "csrf" || session id): nothing to store, and a
token is worthless for any other session. The sign-in form (no session yet) uses a
double-submit token: a random value in a SameSite=Strict cookie that must equal the
hidden field.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from caveat.domain.errors import PermissionDenied

PRE_SESSION_COOKIE = "caveat_csrf"


class CsrfRejected(PermissionDenied):
    """Raised when a form arrives without the token of the session that served it."""

    code = "csrf_rejected"


def session_token(secret_key: bytes, session_id: str) -> str:
    """The CSRF token of a signed-in session."""
    mac = hmac.new(secret_key, b"csrf\x00" + session_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def check_session_token(secret_key: bytes, session_id: str, token: str | None) -> None:
    """Raise CsrfRejected unless ``token`` belongs to ``session_id``."""
    if not token or not hmac.compare_digest(session_token(secret_key, session_id), token):
        raise CsrfRejected(
            "the form has expired or did not come from this site",
            hint="reload the page and submit it again",
        )


def new_pre_session_token() -> str:
    """A random double-submit token for the sign-in form."""
    return secrets.token_urlsafe(24)


def check_pre_session_token(cookie: str | None, field: str | None) -> None:
    """Raise CsrfRejected unless the cookie and the hidden field agree."""
    if not cookie or not field or not hmac.compare_digest(cookie, field):
        raise CsrfRejected("the sign-in form has expired", hint="reload the page and try again")
