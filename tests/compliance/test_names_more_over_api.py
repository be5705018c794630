"""Names instead of ids over the API and the CLI, continued (issue 16): who-can, the
audit event listing, export records (JSON, CSV, PDF) and what-if, each naming only what
the caller may learn (a resource's title only when the policy lets the caller discover
it; a project's name only for its members or where the answer shows something in it)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from caveat.cli import ledger as cli_ledger
from caveat.cli import policy as cli_policy
from caveat.cli import releases as cli_releases
from caveat.client import CaveatClient
from caveat.domain.export_control import parse_export_classification
from caveat.domain.identity import Role
from caveat.domain.labels import parse_marking
from tests.compliance import test_releases as flow
from tests.compliance.support import CONSOLE, World, ctx
from tests.compliance.test_names_over_api import _cli, _json
from tests.pdf_text import pdf_text

http = flow.http
onera = flow.onera

# A title found nowhere else in the world, so its absence from an answer means something.
SECRET_TITLE = "Kestrel"


@pytest.fixture
def kestrel(world: World) -> str:
    """A controlled resource of Sensor fusion with a title to look for."""
    label = parse_marking(
        "SECRET//REL TO USA, GBR", groups=world.node.registry.directory(), on=world.today
    )
    return world.node.catalogue.register(
        CONSOLE,
        ctx(),
        project=world.project,
        kind="document",
        title=SECRET_TITLE,
        label=label,
        originator=world.afrl,
        export=parse_export_classification(["ITAR:USML-XI(c)(1)"]),
    ).id


def _csv_body(text: str) -> str:
    """A marked CSV without its marking lines (the first and the last)."""
    return "\n".join(text.splitlines()[1:-1])


def _raw(client: CaveatClient, path: str, **params: Any) -> str:
    return json.dumps(client._call("GET", path, params=params))


def test_who_can_names_people_their_organisations_and_the_resources_project(
    http: list[TestClient], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    sol = flow.client_for(http, world, "sol")
    found = sol.who_can(world.controlled)
    assert found["resource_id"] == world.controlled  # the machine fields stay
    assert found["resource_title"] == "controlled"
    assert (found["project_id"], found["project_name"]) == (world.project, "Sensor fusion")
    people = {w["username"]: w for w in found["people"]}
    assert people["alice"]["name"] == "Alice"
    assert people["alice"]["person_id"]
    assert people["alice"]["organisation"] == "Air Force Research Laboratory"
    assert people["alice"]["organisation_id"] == world.afrl
    others = {c["organisation"]: c["organisation_id"] for c in found["others"]}
    assert others["Dstl"] == world.dstl  # bob and gso are counted, not listed

    human = _cli(monkeypatch, cli_policy, http, world, "sol", "policy", "who-can", world.controlled)
    assert "“controlled”" in human
    assert "“Sensor fusion”" in human
    assert "Alice (alice)" in human
    assert world.project not in human
    machine = _json(
        _cli(
            monkeypatch, cli_policy, http, world, "sol", "policy", "who-can", world.controlled,
            "--json",
        )
    )  # fmt: skip
    assert {w["username"] for w in machine["people"]} >= {"alice", "sol"}

    # An officer who may not discover the resource learns nothing of it, title included.
    gso = flow.client_for(http, world, "gso")
    response = gso._http.get(f"/api/v1/policy/who-can/{world.controlled}")
    assert response.status_code == 404
    assert "controlled" not in response.text
    assert "Sensor fusion" not in response.text


def test_the_audit_listing_names_actors_and_targets_the_reader_may_know(
    http: list[TestClient], world: World, kestrel: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An auditor of another organisation, no member of Sensor fusion: she may not
    # discover Kestrel, so may not read its title anywhere in the listing.
    world.scenario.person("aud", nations=("GBR",), roles=(Role.AUDITOR,), org=world.dstl)
    sol = flow.client_for(http, world, "sol")
    sol.explain("alice", kestrel)  # sol acts: an event with a person as actor
    seen = sol.audit_events(target_id=kestrel)
    assert seen["entries"], "registering Kestrel is an event about it"
    assert {e["target_name"] for e in seen["entries"]} == {SECRET_TITLE}
    projects = sol.audit_events(target_type="project", target_id=world.project)["entries"]
    assert projects
    assert {e["target_name"] for e in projects} == {"Sensor fusion"}
    people = sol.audit_events(target_type="person")["entries"]
    assert any(e["target_name"] == "Alice" for e in people)
    mine = [e for e in sol.audit_events(actor="sol")["entries"] if e["actor_kind"] == "person"]
    assert mine
    assert {e["actor_display_name"] for e in mine} == {"Sol"}
    assert {e["actor_name"] for e in mine} == {"sol"}  # the ledger's own field unchanged
    table = sol.audit_table(target_id=kestrel)
    assert {e["target_name"] for e in table["entries"]} == {SECRET_TITLE}
    history = sol.target_history("resource", kestrel)
    assert {e["target_name"] for e in history["entries"]} == {SECRET_TITLE}

    aud = flow.client_for(http, world, "aud")
    hers = aud.audit_events(target_id=kestrel)["entries"]
    assert [e["id"] for e in hers] == [e["id"] for e in seen["entries"]]  # listed, unnamed
    assert {e["target_name"] for e in hers} == {None}
    for path, params in (
        ("/api/v1/audit/events", {"limit": 1000}),
        ("/api/v1/audit/events/table", {"limit": 1000}),
        (f"/api/v1/audit/targets/resource/{kestrel}", {}),
    ):
        assert SECRET_TITLE not in _raw(aud, path, **params), path
    # The CSV: the names in columns after ``data``, on the same rule.
    sols = list(csv.DictReader(io.StringIO(_csv_body(sol.audit_events_csv(target_id=kestrel)))))
    assert sols
    assert {r["target_name"] for r in sols} == {SECRET_TITLE}
    hers_csv = aud.audit_events_csv()
    assert SECRET_TITLE not in hers_csv
    rows = list(csv.DictReader(io.StringIO(_csv_body(hers_csv))))
    assert {r["target_name"] for r in rows if r["target_id"] == kestrel} == {""}
    assert any(r["actor_display_name"] == "Sol" for r in rows)
    theirs = aud.audit_events(target_type="project", target_id=world.project)["entries"]
    assert {e["target_name"] for e in theirs} == {None}

    human = _cli(
        monkeypatch, cli_ledger, http, world, "sol", "audit", "events", "--target-id", kestrel
    )
    assert f"“{SECRET_TITLE}”" in human
    assert kestrel not in human
    hidden = _cli(monkeypatch, cli_ledger, http, world, "aud", "audit", "events", "--limit", "1000")
    assert SECRET_TITLE not in hidden
    machine = _json(_cli(monkeypatch, cli_ledger, http, world, "sol", "audit", "events", "--json"))
    assert {"actor_name", "target_id", "actor_display_name", "target_name"} <= set(
        machine["entries"][0]
    )


def test_export_records_name_what_the_reader_may_know_and_hide_the_rest(
    http: list[TestClient],
    world: World,
    onera: str,
    kestrel: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alice = flow.client_for(http, world, "alice")
    asked = alice.releases.request(kestrel, "joint trial", organisations=["ONERA"])
    eco = flow.client_for(http, world, "eco")
    eco.releases.classify(asked.id, authorization=flow.LICENCE)
    sol = flow.client_for(http, world, "sol")
    sol.releases.decide(asked.id, approve=True, reason="agreed")

    [record] = eco.releases.export_records()
    assert record.resource_id == kestrel  # the machine fields unchanged
    assert record.organisations == (onera,)
    assert record.resource_title == SECRET_TITLE
    assert (record.requested_by_name, record.approved_by_name) == ("Alice", "Sol")
    assert record.organisation_names == ("ONERA",)
    table = _cli(monkeypatch, cli_releases, http, world, "eco", "export-records")
    assert SECRET_TITLE in table
    assert "ONERA" in table
    assert kestrel not in table
    machine = _json(_cli(monkeypatch, cli_releases, http, world, "eco", "export-records", "--json"))
    assert machine[0]["resource_id"] == kestrel
    [line] = eco.releases.export_report().lines
    assert (line.resource_title, line.approved_by, line.approved_by_id) == (
        SECRET_TITLE,
        "Sol",
        world.principal("sol").person_id,
    )
    assert SECRET_TITLE in eco.releases.export_records_csv()
    assert SECRET_TITLE in pdf_text(eco.releases.export_records_pdf())

    # gso oversees export records but may not discover Kestrel: its title is absent from
    # every form of the records he may fetch, the names of the people stay.
    gso = flow.client_for(http, world, "gso")
    [his] = gso.releases.export_records()
    assert (his.resource_id, his.resource_title) == (kestrel, None)
    assert his.approved_by_name == "Sol"
    assert SECRET_TITLE not in _raw(gso, "/api/v1/export-records")
    assert SECRET_TITLE not in _raw(gso, "/api/v1/export-records/report")
    [his_line] = gso.releases.export_report().lines
    assert (his_line.resource_id, his_line.resource_title) == (kestrel, None)
    csv_text = gso.releases.export_records_csv()
    assert kestrel in csv_text
    assert "Sol" in csv_text
    assert SECRET_TITLE not in csv_text
    assert SECRET_TITLE not in pdf_text(gso.releases.export_records_pdf())
    listed = _cli(monkeypatch, cli_releases, http, world, "gso", "export-records")
    assert SECRET_TITLE not in listed


def test_what_if_words_each_requirement_beside_its_detail(
    http: list[TestClient], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    sol = flow.client_for(http, world, "sol")
    change = [{"kind": "remove_membership", "project": world.project}]
    result = sol.what_if("alice", world.controlled, change)
    assert result["before"]["permitted"]
    assert not result["after"]["permitted"]
    for side in ("before", "after"):
        for r in result[side]["requirements"]:
            assert "detail" in r
            assert "worded" in r
            assert world.project not in r["worded"]
    details = [r["detail"] for r in result["before"]["requirements"]]
    assert f"member of project {world.project}" in details  # the machine text stays
    worded = [r["worded"] for r in result["after"]["requirements"]]
    assert any("“Sensor fusion”" in w for w in worded)

    human = _cli(
        monkeypatch, cli_policy, http, world, "sol", "policy", "what-if", "--user", "alice",
        "--resource", world.controlled, "--leave-project", "Sensor fusion",
    )  # fmt: skip
    assert "“Sensor fusion”" in human
    assert world.project not in human
    machine = _json(
        _cli(
            monkeypatch, cli_policy, http, world, "sol", "policy", "what-if", "--user", "alice",
            "--resource", world.controlled, "--leave-project", "Sensor fusion", "--json",
        )
    )  # fmt: skip
    assert machine["changed"]
    assert "detail" in machine["before"]["requirements"][0]
