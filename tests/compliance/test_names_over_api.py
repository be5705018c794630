"""Names instead of ids over the API and so on the command line (issue 16): a policy
explanation worded for the officer who asks, release requests with the resource's title
(only for who may discover it), the requester's and the recipients' names."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from caveat.cli import main as cli_main
from caveat.cli import policy as cli_policy
from caveat.cli import releases as cli_releases
from tests.compliance import test_releases as flow
from tests.compliance.support import World

http = flow.http
onera = flow.onera


def _cli(
    monkeypatch: pytest.MonkeyPatch,
    module: Any,
    http: list[TestClient],
    world: World,
    username: str,
    *args: str,
) -> str:
    """The command's output, signed in as ``username`` (a client per command: the CLI
    closes it)."""
    monkeypatch.setattr(module, "_client", lambda: flow.client_for(http, world, username))
    result = CliRunner().invoke(cli_main.app, list(args), terminal_width=200)
    assert result.exit_code in (0, 3), result.output
    return result.stdout


def _json(text: str) -> Any:
    """The JSON a command printed (after the request log lines)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line in ("{", "["))
    return json.loads("\n".join(lines[start:]))


def test_an_explanation_names_the_officers_project_and_says_durations_in_words(
    http: list[TestClient], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    project_id = world.project
    sol = flow.client_for(http, world, "sol")  # a member of Sensor fusion
    found = sol.explain("alice", world.controlled)
    details = [r["detail"] for r in found["requirements"]]
    worded = [r["worded"] for r in found["requirements"]]
    # The machine fields stay as scripts know them; the worded text beside them.
    assert f"member of project {project_id}" in details
    assert "member of project “Sensor fusion”" in worded
    assert not any(project_id in w for w in worded)
    [mfa] = [(d, w) for d, w in zip(details, worded, strict=True) if "MFA within" in d]
    assert re.search(r"MFA within \d+ s\b", mfa[0])
    assert re.search(r"MFA within the last \d+ (hour|minute)", mfa[1])
    assert not re.search(r"\d+ s\b", mfa[1])

    human = _cli(
        monkeypatch, cli_policy, http, world, "sol", "policy", "explain", "--user", "alice",
        "--resource", world.controlled,
    )  # fmt: skip
    assert "“Sensor fusion”" in human
    assert project_id not in human
    assert re.search(r"MFA within the last \d+ (hour|minute)", human)
    printed = _cli(
        monkeypatch, cli_policy, http, world, "sol", "policy", "explain", "--user", "alice",
        "--resource", world.controlled, "--json",
    )  # fmt: skip
    machine = _json(printed)
    assert f"member of project {project_id}" in [r["detail"] for r in machine["requirements"]]


def test_a_project_the_officer_may_not_name_stays_a_shortened_id(world: World) -> None:
    """The rule the API words with: gso (another organisation, no member, discovering
    nothing in the project) reads a shortened id where sol reads the name."""
    from caveat.services.readable import Names

    node = world.node
    text = f"not a member of project {world.project} and no access grant"
    gso = Names(node, world.principal("gso"))
    assert gso.explain(text) == f"not a member of project {world.project[:8]}… and no access grant"
    assert gso.resource(world.controlled) is None
    sol = Names(node, world.principal("sol"))
    assert "“Sensor fusion”" in sol.explain(text)


def test_the_release_list_names_the_resource_the_requester_and_the_recipient(
    http: list[TestClient], world: World, onera: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = flow.client_for(http, world, "alice")
    asked = alice.releases.request(world.controlled, "joint trial", organisations=["ONERA"])
    eco = flow.client_for(http, world, "eco")
    [listed] = eco.releases.requests()
    assert listed.id == asked.id
    assert listed.resource_id == world.controlled  # the machine fields unchanged
    assert listed.organisations == (onera,)
    assert listed.resource_title == "controlled"
    assert listed.requested_by_name is not None
    assert listed.requested_by_name.startswith("Alice")
    assert listed.organisation_names == ("ONERA",)
    table = _cli(monkeypatch, cli_releases, http, world, "eco", "release", "list")
    assert "controlled" in table
    assert "ONERA" in table
    assert world.controlled not in table
    listed_json = _cli(monkeypatch, cli_releases, http, world, "eco", "release", "list", "--json")
    machine = _json(listed_json)
    assert machine[0]["resource_id"] == world.controlled

    # An overseer who may not discover the resource reads no title, only its id.
    gso = flow.client_for(http, world, "gso")
    seen = gso.releases.requests()
    assert [(r.id, r.resource_title) for r in seen] == [(asked.id, None)]
    raw = gso._call("GET", "/api/v1/releases")
    assert '"controlled"' not in json.dumps(raw)
