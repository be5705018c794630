"""The OpenAPI document says every answer an operation can give, errors included.

FastAPI documents the success and a JSON 422; Caveat answers every error as RFC 9457
``application/problem+json`` from one place (``problems.py``), and the edge middleware
answers 413 and 429 before a route runs. So each operation gets the error statuses any
request can meet (below), the ones its shape adds (416 for ranged downloads, 401 for
operations that need a principal), and every error is documented as problem+json with
one ``Problem`` schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from caveat.api.deps import principal_any
from caveat.api.problems import PROBLEM_JSON, TITLES

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details with Caveat's stable error code.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "examples": ["urn:caveat:error:not_permitted"]},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "stable, for programs to act on"},
        "request_id": {"type": ["string", "null"]},
        "field": {"type": "string", "description": "the input the error is about"},
        "hint": {"type": "string", "description": "what to do about it"},
    },
    "additionalProperties": True,
}

# Statuses any operation can answer: bad input (422, or 400 for a body that is not
# JSON), refusals (403), what does not exist or may not be discovered (404), clashes
# (409), bodies over the edge's cap (413), an unsupported body type (415), throttling
# (429) and a database that is not available (503).
EVERY_OPERATION = (400, 403, 404, 409, 413, 415, 422, 429, 503)
WHY = {
    400: "The request could not be read.",
    401: "No valid session or API token (sign in, or send a token).",
    403: "Refused; the problem says which rule failed.",
    404: "Not found, or not something the caller may know exists.",
    409: "Clashes with the current state.",
    413: "The body is larger than this route accepts.",
    415: "The body's media type is not accepted here.",
    416: "The range asked for is not satisfiable.",
    422: "Invalid input; ``field`` names it.",
    429: "Throttled; ``retry_after`` says when to try again.",
    503: "The database is not available; try again.",
}
_CONVERTER = re.compile(r"\{(\w+):\w+\}")  # {path:path} in a route is {path} in the document
_VALIDATION_REF = "#/components/schemas/HTTPValidationError"  # FastAPI's default 422
BEARER = {"type": "http", "scheme": "bearer", "description": "a session or API token"}


def _problem_response(status: int) -> dict[str, Any]:
    return {
        "description": WHY.get(status, TITLES.get(status, "Error")),
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _error_statuses(method: str, path: str, operation: dict[str, Any], signed: bool) -> list[int]:
    statuses = list(EVERY_OPERATION)
    if signed or path.startswith(("/api/v1/auth/", "/federation/")):
        statuses.append(401)  # signing in, or a peer's signature, refused
    ranged = any(
        p.get("in") == "header" and p.get("name", "").lower() == "range"
        for p in operation.get("parameters", [])
    )
    if ranged or (method == "get" and path.endswith("/content")):
        statuses.append(416)
    return sorted(statuses)


def api_routes(routes: list[BaseRoute]) -> Iterator[APIRoute]:
    """Every API route, also those of included routers."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from api_routes(included.routes)


def _needs_principal(dependant: Dependant) -> bool:
    return dependant.call is principal_any or any(
        _needs_principal(d) for d in dependant.dependencies
    )


def signed_operations(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every operation that needs a session or an API token."""
    return {
        (method.lower(), _CONVERTER.sub(r"{\1}", route.path))  # as the document writes it
        for route in api_routes(app.routes)
        if _needs_principal(route.dependant)
        for method in route.methods or ()
    }


def document_problems(spec: dict[str, Any], signed: set[tuple[str, str]]) -> dict[str, Any]:
    """``spec`` with every operation's error answers documented as problem+json, and
    the bearer scheme on the operations in ``signed``."""
    components = spec.setdefault("components", {})
    components.setdefault("securitySchemes", {})["bearer"] = BEARER
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)  # validation errors are problems like every other error
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            needs = (method, path) in signed
            if needs:
                operation["security"] = [{"bearer": []}]
            responses = operation.setdefault("responses", {})
            for status in _error_statuses(method, path, operation, needs):
                own = responses.get(str(status), {}).get("content", {})
                if own and _VALIDATION_REF not in str(own):
                    continue  # the route documents its own answer (tlog-witness: text)
                responses[str(status)] = _problem_response(status)
    return spec


def install(app: FastAPI) -> None:
    """Serve the documented schema (built once, on first request, as FastAPI does)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = document_problems(spec, signed_operations(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
