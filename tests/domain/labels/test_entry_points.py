"""Every way a label comes in refuses a broken one alike (issue 13): /labels/parse with
the banner, and with its canonical JSON /labels/render, /resources, uploads and
`caveat label render`: the same code and rule, the canonical forms a JSON path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from tests.domain.labels.label_strategies import GROUPS, ON, any_labels, labels
from tests.support import PASSWORD, FakeClock, Scenario
from typer.testing import CliRunner

from caveat.api.app import create_app
from caveat.bootstrap.container import Node
from caveat.cli.main import app
from caveat.domain.labels import (
    DISSEM,
    MAX_CANONICAL_BYTES,
    REL_TO,
    Category,
    CategoryType,
    Label,
    find_violation,
    label_to_canonical_json,
    label_to_json_object,
)
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext

P, R = CategoryType.PERMISSIVE, CategoryType.RESTRICTIVE
BROKEN = [
    (Label("USA", 2, (Category(DISSEM, R, frozenset({"FOUO"})),)), "SECRET//FOUO"),
    (
        Label("USA", 2, (Category(REL_TO, P, frozenset({"FRA", "GBR"})),)),
        "SECRET//REL TO FRA, GBR",
    ),
    (
        Label(
            "USA",
            2,
            (
                Category(DISSEM, R, frozenset({"NOFORN"})),
                Category(REL_TO, P, frozenset({"USA", "GBR"})),
            ),
        ),
        "SECRET//NOFORN/REL TO USA, GBR",
    ),
]


@pytest.fixture
def signed_in(node: Node, clock: FakeClock) -> Iterator[tuple[TestClient, str]]:
    """A client signed in as alice, and a project she is a member of."""
    world = Scenario(node, clock)
    alice = world.person("alice")
    project = node.projects.create_project(ConsoleOperator(), CallContext.cli(), name="Radar")
    node.projects.add_member(ConsoleOperator(), CallContext.cli(), project.id, "alice")
    with TestClient(create_app(node), raise_server_exceptions=False) as client:
        clock.advance(seconds=30)
        answer = client.post(
            "/api/v1/auth/login",
            json={"username": "alice", "password": PASSWORD, "otp": world.code(alice)},
        )
        assert answer.status_code == 201, answer.text
        client.headers["Authorization"] = f"Bearer {answer.json()['token']}"
        yield client, project.id


def _refused(answer: Any) -> dict[str, Any]:
    assert answer.status_code == 422, answer.text
    body: dict[str, Any] = answer.json()
    assert body["code"] == "invalid_marking"
    return body


@pytest.mark.parametrize(("label", "text"), BROKEN)
def test_every_entry_point_refuses_a_broken_label_alike(
    signed_in: tuple[TestClient, str], label: Label, text: str
) -> None:
    http, project = signed_in
    canonical = label_to_canonical_json(label).decode()
    parsed = _refused(http.post("/api/v1/labels/parse", json={"text": text}))
    rule = parsed["rule"]
    rendered = _refused(
        http.post("/api/v1/labels/render", json={"label": label_to_json_object(label)})
    )
    registered = _refused(
        http.post(
            "/api/v1/resources",
            json={"project": project, "title": "Trial 4", "label": label_to_json_object(label)},
        )
    )
    uploaded = _refused(
        http.post(
            "/api/v1/uploads",
            json={
                "project": project,
                "kind": "dataset",
                "title": "Trial 4",
                "label": canonical,
                "filename": "a.bin",
                "size": 1,
                "sha256": "0" * 64,
            },
        )
    )
    for body in (rendered, registered, uploaded):
        assert body["rule"] == rule
        assert body["path"].startswith("/categories/")
    runner = CliRunner()
    for args in (["render", "--json", canonical], ["parse", "--json", text]):
        cli = runner.invoke(app, ["label", *args])
        assert cli.exit_code == 2, cli.stdout
        assert json.loads(cli.stdout)["error"]["code"] == "invalid_marking"


def test_render_refuses_an_oversized_label(signed_in: tuple[TestClient, str]) -> None:
    http, _ = signed_in
    document = label_to_json_object(Label("USA", 0))
    document["privacy_mark"] = None
    document["alternatives"] = [{"padding": "X" * MAX_CANONICAL_BYTES}]
    answer = http.post("/api/v1/labels/render", json={"label": document})
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "label_too_large"


def test_render_checks_group_codes_against_the_nodes_directory(
    signed_in: tuple[TestClient, str],
) -> None:
    # ZZZZ could name a group, but this node has none: /labels/parse refuses the banner,
    # and /labels/render, given the node's directory, refuses its canonical JSON alike.
    http, _ = signed_in
    label = Label("USA", 2, (Category(REL_TO, P, frozenset({"USA", "ZZZZ"})),))
    parsed = _refused(http.post("/api/v1/labels/parse", json={"text": "SECRET//REL TO USA, ZZZZ"}))
    rendered = _refused(
        http.post("/api/v1/labels/render", json={"label": label_to_json_object(label)})
    )
    assert parsed["rule"] == rendered["rule"] == "unknown_value"
    assert rendered["path"] == "/categories/0/values/1"


# The round trip and the validator's verdict through the API, for generated labels (the
# same properties test_validation.py checks on the domain functions). Few examples: each
# is two or three HTTP requests.
_THROUGH_HTTP = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@_THROUGH_HTTP
@given(value=labels())
def test_the_api_reads_back_every_label_it_renders(
    signed_in: tuple[TestClient, str], value: Label
) -> None:
    http, _ = signed_in
    rendered = http.post("/api/v1/labels/render", json={"label": label_to_json_object(value)})
    assert rendered.status_code == 200, rendered.text
    out = rendered.json()
    assert out["canonical"] == label_to_canonical_json(value).decode()
    for text in (out["banner"], out["portion"]):
        parsed = http.post("/api/v1/labels/parse", json={"text": text, "on": ON.isoformat()})
        assert parsed.status_code == 200, parsed.text
        assert parsed.json()["canonical"] == out["canonical"], text


@_THROUGH_HTTP
@given(value=any_labels())
def test_the_api_accepts_and_refuses_labels_as_the_validator_does(
    signed_in: tuple[TestClient, str], value: Label
) -> None:
    http, _ = signed_in
    found = find_violation(value, groups=GROUPS)
    answer = http.post("/api/v1/labels/render", json={"label": label_to_json_object(value)})
    if found is None:
        assert answer.status_code == 200, answer.text
    else:
        assert _refused(answer)["rule"] == found.rule
