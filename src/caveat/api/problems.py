"""RFC 9457 problem+json: the one place where error kinds become HTTP statuses.

A code's status follows from its kind (``STATUS``), except for the few codes the HTTP
edge answers with a status of the protocol's own (``EDGE_STATUS``); ``http_status`` gives
either, and ``docs/errors.md`` lists them (``caveat.domain.error_catalogue``).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from caveat.domain.error_catalogue import ErrorCode, lookup
from caveat.domain.errors import CaveatError, ErrorKind

PROBLEM_JSON = "application/problem+json"
TAXII_JSON = "application/taxii+json;version=2.1"
TAXII_PREFIX = "/taxii2"  # the TAXII 2.1 server answers errors as TAXII error messages

STATUS: dict[ErrorKind, int] = {
    ErrorKind.INVALID: 422,
    ErrorKind.TOO_LARGE: 413,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.UNAUTHENTICATED: 401,
    ErrorKind.DENIED: 403,
    ErrorKind.THROTTLED: 429,
    ErrorKind.UNAVAILABLE: 503,
    ErrorKind.INTEGRITY: 500,
    ErrorKind.INTERNAL: 500,
}

# Codes whose status HTTP itself names, not their kind; None: the framework's status.
EDGE_STATUS: dict[ErrorCode, int | None] = {
    ErrorCode.MALFORMED_JSON: 400,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.NOT_ACCEPTABLE: 406,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.RANGE_NOT_SATISFIABLE: 416,
    ErrorCode.HTTP_ERROR: None,
}


def http_status(code: ErrorCode) -> int | None:
    """The HTTP status a problem with ``code`` has (None: whatever the framework gave)."""
    return EDGE_STATUS[code] if code in EDGE_STATUS else STATUS[code.kind]


TITLES: dict[int, str] = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


def problem(
    status: int,
    code: str,
    detail: str,
    request: Request,
    *,
    field: str | None = None,
    hint: str | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response with Caveat's stable ``code`` and the request id (on the
    TAXII server, a TAXII error message with the same facts)."""
    if is_taxii(request.url.path):
        details = dict(extra or {})
        details.update({k: v for k, v in (("field", field), ("hint", hint)) if v is not None})
        return taxii_error(status, code, detail, details=details, headers=headers)
    body: dict[str, Any] = {
        "type": f"urn:caveat:error:{code}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": getattr(request.state, "request_id", None),
    }
    if field is not None:
        body["field"] = field
    if hint is not None:
        body["hint"] = hint
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def is_taxii(path: str) -> bool:
    """Whether ``path`` is on the TAXII 2.1 server (``/taxii2/``)."""
    return path == TAXII_PREFIX or path.startswith(TAXII_PREFIX + "/")


def taxii_error(
    status: int,
    code: str,
    detail: str,
    *,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A TAXII 2.1 error message (§3.6.1): title, description, Caveat's code as
    ``error_code`` and the status as text. No request id in the body (it is in the
    X-Request-Id header): the same refusal is the same body, byte for byte."""
    body: dict[str, Any] = {
        "title": TITLES.get(status, "Error"),
        "description": detail,
        "error_code": code,
        "http_status": str(status),
    }
    if details:
        body["details"] = details
    return JSONResponse(body, status_code=status, media_type=TAXII_JSON, headers=headers)


async def caveat_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Render a CaveatError; its kind alone decides the status (on the TAXII server, the
    status HTTP names for a code of its own: 406 and 415 for media types)."""
    assert isinstance(exc, CaveatError)
    status = STATUS[exc.kind]
    edge = lookup(exc.code)
    if is_taxii(request.url.path) and edge in EDGE_STATUS:
        status = EDGE_STATUS[edge] or status
    headers: dict[str, str] = {}
    if exc.kind is ErrorKind.UNAUTHENTICATED:
        headers["WWW-Authenticate"] = 'Bearer realm="caveat"'
        if is_taxii(request.url.path):  # an API token as Basic's password
            headers["WWW-Authenticate"] += ', Basic realm="caveat-taxii"'
    retry = exc.data.get("retry_after")
    if exc.kind is ErrorKind.THROTTLED and isinstance(retry, int):
        headers["Retry-After"] = str(retry)
    elif exc.kind is ErrorKind.UNAVAILABLE:
        headers["Retry-After"] = "1"  # a busy or restarting database: worth a quick retry
    if exc.kind in (ErrorKind.INTEGRITY, ErrorKind.INTERNAL):
        # Details of integrity failures are for the logs and the ledger, not the client.
        return problem(status, exc.code, "the server could not complete the request", request)
    return problem(
        status,
        exc.code,
        exc.detail,
        request,
        field=exc.field,
        hint=exc.hint,
        extra=dict(exc.data) or None,
        headers=headers or None,
    )


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "body"


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Pydantic validation errors: name every field and what is wrong with it."""
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem(
            400,
            "malformed_json",
            "the request body is not valid JSON",
            request,
            hint="send a JSON object with Content-Type: application/json",
        )
    fields = [{"field": _field_name(tuple(e["loc"])), "message": e["msg"]} for e in errors]
    first = fields[0] if fields else {"field": "body", "message": "invalid"}
    return problem(
        422,
        "invalid_input",
        f"{first['field']}: {first['message']}",
        request,
        field=first["field"],
        hint="see `errors` for every field that needs fixing",
        extra={"errors": fields},
    )


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Framework errors (unknown route, wrong method) as problem+json too."""
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "error")
    return problem(exc.status_code, code, detail, request, headers=getattr(exc, "headers", None))
