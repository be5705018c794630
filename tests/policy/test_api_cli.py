"""The policy over HTTP (SDK) and on the command line: denies name their requirements."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from caveat.api.app import create_app
from caveat.bootstrap.container import Node
from caveat.cli.main import app
from caveat.client import CaveatClient
from caveat.domain.errors import InvalidInput, NotFound, PermissionDenied
from caveat.domain.identity import Role
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from tests.cli.remote_support import remote_cli
from tests.support import PASSWORD, FakeClock, Scenario


@pytest.fixture
def world(node: Node, clock: FakeClock) -> Scenario:
    return Scenario(node, clock)


def client_for(node: Node, world: Scenario, username: str) -> CaveatClient:
    client = CaveatClient(
        "http://testserver", http=TestClient(create_app(node), raise_server_exceptions=False)
    )
    world.clock.advance(seconds=30)
    client.login(username, PASSWORD, world.code_for(username))
    return client


def test_labels_projects_resources_and_decisions_over_http(node: Node, world: Scenario) -> None:
    world.person("alice")
    world.person("sam", nations=("USA", "GBR"))
    world.person("pmo", roles=(Role.PROGRAMME_MANAGER, Role.SECURITY_OFFICER))
    pmo = client_for(node, world, "pmo")
    parsed = pmo.parse_label("SECRET//REL TO USA, GBR")
    assert parsed["banner"] == "SECRET//REL TO USA, GBR"
    assert parsed["common_level"] == 3
    assert (
        pmo.normalise_label("(S//REL TO USA, AUS, CAN, GBR, NZL)")["normalised"]
        == "(S//REL TO USA, FVEY)"
    )
    bad = pmo.validate_label("SECRET//NOFORN/REL TO USA, GBR")
    assert bad["valid"] is False
    assert bad["error"]["position"] > 0
    with pytest.raises(InvalidInput):
        pmo.parse_label("REL TO USA")
    assert pmo.render_label(parsed["label"])["portion"] == "(S//REL TO USA, GBR)"
    assert pmo.roll_up_labels(["(S//NF)", "(C//REL TO USA, GBR)"])["banner"] == "SECRET//NOFORN"
    project = pmo.create_project("Sensor fusion")
    for who in ("alice", "sam"):  # pmo is their security officer
        pmo.add_project_member(project["id"], who)
    with pytest.raises(PermissionDenied) as own:  # never oneself
        pmo.add_project_member(project["id"], "pmo")
    assert own.value.code == "self_change"
    node.projects.add_member(ConsoleOperator(), CallContext.cli(), project["id"], "pmo")
    made = pmo.register_resource(project=project["id"], title="plan", marking="SECRET//NOFORN")
    alice = client_for(node, world, "alice")
    assert alice.resources()["total"] == 1
    assert alice.resources()["total_exact"] is True
    assert alice.resource(made["id"])["banner"] == "SECRET//NOFORN"
    assert alice.my_decision(made["id"])["permitted"] is True
    sam = client_for(node, world, "sam")
    with pytest.raises(NotFound):
        sam.resource(made["id"])
    with pytest.raises(NotFound):
        sam.my_decision(made["id"])
    why = pmo.explain("sam", made["id"])
    assert why["permitted"] is False
    assert why["failed"] == ["releasability"]
    assert any(
        w["username"] == "sam" and w["failed"] == ["releasability"]
        for w in pmo.who_can(made["id"])["people"]
    )
    changed = pmo.what_if("sam", made["id"], [{"kind": "remove_nationality", "nation": "GBR"}])
    assert changed["after"]["permitted"] is True
    assert changed["changed"] == ["releasability"]
    wider = pmo.what_if(
        "sam", made["id"], [{"kind": "relabel", "marking": "SECRET//REL TO USA, GBR"}]
    )
    assert (wider["before"]["permitted"], wider["after"]["permitted"]) == (False, True)
    with pytest.raises(InvalidInput) as unmarked:
        pmo.what_if("sam", made["id"], [{"kind": "relabel"}])
    assert unmarked.value.field == "marking"
    with pytest.raises(PermissionDenied) as denied:
        sam.register_resource(project=project["id"], title="x", marking="TOP SECRET//NOFORN")
    assert denied.value.code == "policy_denied"
    grant = pmo.grant(made["id"], "alice", "originator")
    assert grant["kind"] == "originator"


def test_cli_labels_and_explain(node: Node, world: Scenario, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["label", "normalise", "--json", "(S//REL TO USA, AUS, CAN, DEU, GBR, NZL)"]
    )
    assert json.loads(result.stdout)["normalised"] == "(S//REL TO USA, DEU, FVEY)"
    result = runner.invoke(app, ["label", "parse", "NOFORN"])
    assert result.exit_code == 2
    parsed = runner.invoke(app, ["label", "parse", "--json", "//NATO SECRET//REL TO USA, NATO"])
    canonical = json.loads(parsed.stdout)["canonical"]
    rendered = runner.invoke(app, ["label", "render", "--json", canonical])
    assert json.loads(rendered.stdout)["banner"] == "//NATO SECRET//REL TO USA, NATO"
    rolled = runner.invoke(
        app, ["label", "roll-up", "--json", "(S//REL TO USA, GBR)", "(C//REL TO USA, FVEY)"]
    )
    assert json.loads(rolled.stdout)["banner"] == "SECRET//REL TO USA, GBR"

    # The policy commands act as the signed-in person through the server (issue 16).
    world.person("alice")
    world.person("sam", nations=("USA", "GBR"))
    world.person("pmo", roles=(Role.PROGRAMME_MANAGER, Role.SECURITY_OFFICER))
    with remote_cli(world, tmp_path) as cli:
        assert cli.error("alice", 3, "policy", "project", "create", "PSF") == "policy_denied"
        assert cli.ok("pmo", "policy", "project", "create", "PSF")["name"] == "PSF"
        for who in ("alice", "sam"):  # pmo is their security officer
            cli.ok("pmo", "policy", "project", "add-member", "PSF", who)
        assert cli.error("pmo", 3, "policy", "project", "add-member", "PSF", "pmo") == (
            "self_change"  # never oneself
        )
        changed = cli.ok(
            "pmo", "policy", "project", "change-member", "PSF", "sam", "--role", "lead"
        )
        assert changed["role"] == "lead"
        added = cli.ok(
            "alice", "policy", "resource", "add", "--project", "PSF", "--title", "RCS data",
            "--marking", "SECRET//NOFORN", "--originator", "Air Force Research Laboratory",
        )  # fmt: skip
        assert [r["title"] for r in cli.ok("alice", "policy", "resource", "list")["items"]] == [
            "RCS data"
        ]
        # An officer asks only about resources they may discover themselves (the console
        # could ask about any): pmo is no member of PSF, and neither its title nor its id
        # tells pmo anything until sam, its lead now, adds pmo.
        explain = ("policy", "explain", "--user", "sam", "--resource", "RCS data")
        assert cli.error("pmo", 4, *explain) == "unknown_resource"
        by_id = ("policy", "explain", "--user", "sam", "--resource", added["id"])
        assert cli.error("pmo", 4, *by_id) == "unknown_resource"
        cli.ok("sam", "policy", "project", "add-member", "PSF", "pmo")
        code, explained = cli.run("pmo", *explain)
        assert code == 3
        assert explained["failed"] == ["releasability"]
        human = cli.invoke("pmo", *explain)
        assert "DENY" in human.stdout
        assert "releasability" in human.stdout
        # A researcher is no officer: the question itself is refused.
        assert cli.error("alice", 3, *explain) == "policy_denied"
        who = cli.ok("pmo", "policy", "who-can", added["id"])
        assert {w["username"]: w["permitted"] for w in who["people"]}["sam"] is False
        what_if = ("policy", "what-if", "--user", "sam", "--resource", "RCS data")
        what = cli.ok("pmo", *what_if, "--remove-nationality", "GBR")
        assert what["changed"] == ["releasability"]
        relabelled = cli.invoke("pmo", *what_if, "--label", "(S//REL TO USA, GBR)")
        assert relabelled.exit_code == 0, relabelled.output
        assert "what if:  permit read" in relabelled.stdout
        assert cli.error(None, 3, "policy", "project", "list") == "not_logged_in"
