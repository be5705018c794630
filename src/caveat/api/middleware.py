"""One pure-ASGI middleware: request ids, security headers, media types, access log.

Pure ASGI rather than BaseHTTPMiddleware: it adds no task or body copy per request.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import structlog
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from caveat.services.intel import MAX_CONTENT_LENGTH

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_BODY_METHODS = {b"POST", b"PUT", b"PATCH"}
# Artifact content travels as raw bytes, on the upload endpoints only (PATCH appends,
# PUT .../content sends everything at once).
_CONTENT_UPLOAD = {
    b"PATCH": re.compile(r"^/api/v1/uploads/[A-Za-z0-9-]{1,64}$"),
    b"PUT": re.compile(r"^/api/v1/uploads/[A-Za-z0-9-]{1,64}/content$"),
}

# Every body but artifact content is small: JSON and forms are capped before they are
# read, so an unauthenticated client cannot make the server buffer or parse megabytes.
MAX_SMALL_BODY = 1024 * 1024
_STREAMED_FORMS = {b"POST": re.compile(r"^/artifacts/new$")}  # the web upload streams its file
# TAXII add requests carry STIX envelopes up to the API root's max_content_length.
_TAXII_OBJECTS = re.compile(
    r"^/taxii2/[A-Za-z0-9_-]{1,64}/collections/[A-Za-z0-9-]{1,64}/objects/?$"
)
_TAXII = re.compile(r"^/taxii2(?:/|$)")

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)

# Web pages: scripts and styles from this origin only, no inline script, forms post here.
WEB_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

log = structlog.get_logger("caveat.access")


def _csp_for(path: str) -> str:
    if path.startswith("/api/docs"):
        return DOCS_CSP
    if path.startswith("/api/"):
        return API_CSP
    return WEB_CSP


def _headers(csp: str, request_id: str, tls: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"x-request-id", request_id.encode()),
        (b"content-security-policy", csp.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"cross-origin-resource-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        (b"cache-control", b"no-store"),
    ]
    if tls:
        headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
    return headers


class EdgeMiddleware:
    """Gives every request an id, every response security headers, and logs one line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id
        path: str = scope["path"]
        csp = _csp_for(path)
        extra = _headers(csp, request_id, scope.get("scheme") == "https")
        started = time.perf_counter()
        status_holder: dict[str, int] = {}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                own = list(message.get("headers", []))
                # A route that says how to cache its answer (immutable ledger tiles)
                # keeps its word; everything else is no-store.
                cached = any(name.lower() == b"cache-control" for name, _ in own)
                message["headers"] = own + [
                    h for h in extra if not (cached and h[0] == b"cache-control")
                ]
            await send(message)

        method: bytes = scope["method"].encode()
        limit = _body_limit(method, path, headers)
        if "\x00" in path or b"%00" in scope.get("query_string", b""):
            # No name, id or query holds a NUL; PostgreSQL refuses it in text, which
            # used to surface as a 500.
            await _send_problem(
                send_with_headers,
                request_id,
                422,
                "invalid_input",
                "the NUL character is not allowed in a path or query",
                "remove it; no name or id contains one",
                path=path,
            )
        elif limit is not None and _declared_length(headers) > limit:
            await _send_problem(
                send_with_headers,
                request_id,
                413,
                "body_too_large",
                f"the request body is larger than {limit} bytes",
                "send a smaller body; artifact content goes to the upload endpoints",
                path=path,
            )
        elif (
            method in _BODY_METHODS
            and path.startswith("/api/")
            and not _json_body(headers)
            and not _content_upload(method, path, headers)
        ):
            await _send_problem(
                send_with_headers,
                request_id,
                415,
                "unsupported_media_type",
                "the request body must be JSON",
                "send Content-Type: application/json (artifact content: "
                "application/octet-stream to the upload endpoints)",
                path=path,
            )
        else:
            if limit is not None:
                receive = _capped(receive, limit)
            try:
                await self.app(scope, receive, send_with_headers)
            except BodyTooLarge:
                if "status" in status_holder:
                    raise
                await _send_problem(
                    send_with_headers,
                    request_id,
                    413,
                    "body_too_large",
                    f"the request body is larger than {limit} bytes",
                    "send a smaller body; artifact content goes to the upload endpoints",
                    path=path,
                )
            except Exception:
                # The traceback goes to the log only; the client gets the request id.
                log.exception("unhandled error", path=path, request_id=request_id)
                if "status" in status_holder:
                    raise
                await _send_problem(
                    send_with_headers,
                    request_id,
                    500,
                    "internal_error",
                    "the server hit an unexpected error",
                    "report the request_id to the node operator",
                    path=path,
                )
        # Method, path and status only: never headers, bodies, tokens or query strings.
        log.info(
            "request",
            method=scope["method"],
            path=path,
            status=status_holder.get("status", 500),
            ms=round((time.perf_counter() - started) * 1000, 2),
            request_id=request_id,
        )


class BodyTooLarge(HTTPException):
    """Raised by the capped receive channel when a body outgrows its route's limit.

    An HTTPException, so the framework's body parser passes it on as a 413 instead of
    turning it into a 400 "error parsing the body"."""

    def __init__(self) -> None:
        super().__init__(413, "the request body is too large")


def _body_limit(method: bytes, path: str, headers: dict[bytes, bytes]) -> int | None:
    """The byte limit for this request's body; None for streamed artifact content."""
    if method not in _BODY_METHODS or _content_upload(method, path, headers):
        return None
    streamed = _STREAMED_FORMS.get(method)
    if streamed is not None and streamed.match(path):
        return None
    if method == b"POST" and _TAXII_OBJECTS.match(path):
        return MAX_CONTENT_LENGTH
    return MAX_SMALL_BODY


def _declared_length(headers: dict[bytes, bytes]) -> int:
    try:
        return int(headers.get(b"content-length", b"0"))
    except ValueError:
        return 0  # not a number: the server's own parser refuses it


def _capped(receive: Receive, limit: int) -> Receive:
    """A receive channel that stops a body (chunked or lying about its length) at ``limit``."""
    seen = 0

    async def capped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge
        return message

    return capped


def _json_body(headers: dict[bytes, bytes]) -> bool:
    length = headers.get(b"content-length")
    if length == b"0" or (length is None and b"transfer-encoding" not in headers):
        return True  # no body at all: nothing to check
    media = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    return media == b"application/json" or media.endswith(b"+json")


def _content_upload(method: bytes, path: str, headers: dict[bytes, bytes]) -> bool:
    pattern = _CONTENT_UPLOAD.get(method)
    media = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    octets = media == b"application/octet-stream"
    return pattern is not None and octets and bool(pattern.match(path))


async def _send_problem(
    send: Any, request_id: str, status: int, code: str, detail: str, hint: str, path: str = ""
) -> None:
    titles = {
        413: "Body too large",
        415: "Unsupported media type",
        422: "Invalid input",
        500: "Internal error",
    }
    media = b"application/problem+json"
    document: dict[str, Any] = {
        "type": f"urn:caveat:error:{code}",
        "title": titles.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": request_id,
        "hint": hint,
    }
    if _TAXII.match(path):  # the TAXII server's own error message (TAXII 2.1 §3.6.1)
        media = b"application/taxii+json;version=2.1"
        document = {
            "title": titles.get(status, "Error"),
            "description": detail,
            "error_code": code,
            "http_status": str(status),
            "details": {"hint": hint},
        }
    body = json.dumps(document).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", media),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
