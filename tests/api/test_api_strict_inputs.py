"""Every request body refuses fields it does not know (issue 12): a typo or a field meant
for another version must never be silently dropped, least of all on a security label."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel
from starlette.routing import BaseRoute

from caveat.api.app import create_app
from caveat.bootstrap.container import Node
from caveat.client import CaveatClient
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext


def _models(annotation: object) -> Iterator[type[BaseModel]]:
    """Every pydantic model an annotation names, however nested (lists, unions)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        for field in annotation.model_fields.values():
            yield from _models(field.annotation)
        return
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        yield from _models(typing.get_args(annotation)[0])
    elif origin is not None or isinstance(annotation, types.UnionType):
        for arg in typing.get_args(annotation):
            yield from _models(arg)


def _api_routes(routes: list[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)  # an included router's routes
        if included is not None:
            yield from _api_routes(included.routes)


def body_models(app: FastAPI) -> dict[str, type[BaseModel]]:
    """Each request-body model of the API, by its qualified name."""
    found: dict[str, type[BaseModel]] = {}
    for route in _api_routes(app.routes):
        for param in route.dependant.body_params:
            for model in _models(param.field_info.annotation):
                found.setdefault(f"{model.__module__}.{model.__qualname__}", model)
    return found


def test_every_request_body_refuses_unknown_fields(node: Node) -> None:
    models = body_models(create_app(node))
    assert len(models) >= 25  # the walk finds the API's bodies
    lax = sorted(
        name for name, model in models.items() if model.model_config.get("extra") != "forbid"
    )
    assert lax == []


def test_an_upload_with_an_unknown_field_is_refused(
    http: TestClient, signed_in: CaveatClient
) -> None:
    # signed_in put alice's session on the shared test client
    answer = http.post(
        "/api/v1/uploads",
        json={
            "project": "none",
            "kind": "dataset",
            "title": "t",
            "label": "UNCLASSIFIED",
            "filename": "a.bin",
            "size": 1,
            "sha256": "0" * 64,
            "classification_override": "UNCLASSIFIED",
        },
    )
    assert answer.status_code == 422
    assert "classification_override" in answer.text


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("SECRET//REL TO USA, GBR\n", 23),  # refused by /labels/parse, once taken by uploads
        ("SECRET//REL TO USA,\u200b GBR", 19),  # a zero-width space
        ("SECRET//REL TO USA,\u00a0GBR", 19),  # a no-break space, as pasted from documents
        ("SECRET//NO\u202eFORN", 10),  # a right-to-left override
    ],
)
def test_a_marking_is_refused_alike_by_every_entry_point(
    http: TestClient, signed_in: CaveatClient, node: Node, text: str, position: int
) -> None:
    project = node.projects.create_project(ConsoleOperator(), CallContext.cli(), name="Radar")
    node.projects.add_member(ConsoleOperator(), CallContext.cli(), project.id, "alice")
    parsed = http.post("/api/v1/labels/parse", json={"text": text})
    upload = http.post(
        "/api/v1/uploads",
        json={
            "project": project.id,
            "kind": "dataset",
            "title": "Trial 4",
            "label": text,
            "filename": "a.bin",
            "size": 1,
            "sha256": "0" * 64,
        },
    )
    for answer in (parsed, upload):
        assert answer.status_code == 422, answer.text
        assert answer.json()["code"] == "invalid_marking"
        assert answer.json()["position"] == position


def test_a_nul_character_is_invalid_input_everywhere(
    http: TestClient, signed_in: CaveatClient
) -> None:
    # PostgreSQL refuses NUL in text: it used to answer 500, even before signing in.
    login = http.post(
        "/api/v1/auth/login", json={"username": "a\u0000b", "password": "x" * 12, "otp": "1"}
    )
    assert login.status_code == 422
    assert http.post("/api/v1/projects", json={"name": "Ra\u0000dar"}).status_code == 422
    assert http.get("/api/v1/people/%00").status_code == 422
    assert http.get("/api/v1/audit/events?actor=%00").status_code == 422
