"""Every API operation documents its success body (issue 15: views are the contract).

A handler that returns a bare dict is documented as "an object with any properties",
which tells a client nothing; each JSON success answer must be a model (or a list of
models) with named properties, and an answer that is not JSON (a file, a CSV export, a
C2SP checkpoint) must name its media type.
"""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute

from caveat.api.app import create_app
from caveat.api.openapi import api_routes
from caveat.bootstrap.container import Node

JSON = "application/json"


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    name = ref.rsplit("/", 1)[-1]
    return _resolve(spec, spec["components"]["schemas"][name])


def _typed(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    """A schema naming the properties of its object, or a list of such objects."""
    schema = _resolve(spec, schema)
    if schema.get("type") == "array":
        return _typed(spec, schema.get("items", {}))
    if "anyOf" in schema:
        return all(_typed(spec, s) for s in schema["anyOf"] if s.get("type") != "null")
    return schema.get("type") == "object" and bool(schema.get("properties"))


def _undocumented(spec: dict[str, Any], route: APIRoute) -> list[str]:
    path = spec["paths"][route.path_format]
    wrong = []
    for method in sorted(route.methods or ()):
        operation = path[method.lower()]
        successes = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
        if not successes:
            wrong.append(f"{method} {route.path}: no success answer documented")
        for status, answer in successes.items():
            if status == "204":
                continue
            content = answer.get("content") or {}
            if not content:
                wrong.append(f"{method} {route.path} {status}: no media type")
            for media, body in content.items():
                schema = body.get("schema", {})
                if schema.get("format") == "binary":
                    continue  # a file, served as its own media type (an artifact's content)
                if media == JSON and not _typed(spec, schema):
                    wrong.append(f"{method} {route.path} {status}: untyped JSON body {schema}")
                elif media != JSON and not schema:
                    wrong.append(f"{method} {route.path} {status}: {media} without a schema")
    return wrong


def test_every_handler_documents_a_typed_success_body(node: Node) -> None:
    app = create_app(node)
    spec = app.openapi()
    routes = [r for r in api_routes(app.routes) if r.include_in_schema]
    assert len(routes) >= 100
    wrong = [line for route in routes for line in _undocumented(spec, route)]
    assert wrong == [], "\n".join(wrong)
