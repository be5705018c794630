"""The release workflow end to end through the API: request, classify, approve; the new
label, the export record, its CSV report and the ledger events it leaves."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from caveat.adapters.db.models.compliance import ExportRecordRow
from caveat.api.app import create_app
from caveat.client import CaveatClient
from caveat.domain.errors import CaveatError
from caveat.domain.export_control import parse_export_classification
from caveat.domain.identity import Role
from caveat.domain.labels import parse_marking
from caveat.services.compliance._authorizations import AuthorizationDraft
from caveat.services.ledger._audit import EventFilter
from tests.compliance.support import CONSOLE, World, ctx
from tests.pdf_text import pdf_text
from tests.support import PASSWORD

LICENCE = "DSP5-2026-0042"
ITAR = "ITAR:USML-XI(c)(1)"


@pytest.fixture
def http(world: World) -> Iterator[list[TestClient]]:
    """One HTTP client per signed-in person (sessions must not share a cookie jar)."""
    opened: list[TestClient] = []
    yield opened
    for client in opened:
        client.__exit__(None, None, None)


def client_for(http: list[TestClient], world: World, username: str) -> CaveatClient:
    transport = TestClient(create_app(world.node), raise_server_exceptions=False)
    transport.__enter__()
    http.append(transport)
    client = CaveatClient("http://testserver", http=transport)
    world.clock.advance(seconds=30)
    client.login(username, PASSWORD, world.scenario.code(world.scenario.accounts[username]))
    return client


def refused(code: str, call: object, *args: object, **kwargs: object) -> None:
    assert callable(call)
    with pytest.raises(CaveatError) as info:
        call(*args, **kwargs)
    assert info.value.code == code, info.value


@pytest.fixture
def onera(world: World) -> str:
    org = world.scenario.org("ONERA", "FRA")
    world.scenario.person("claire", nations=("FRA",), org=org)
    world.node.projects.add_member(CONSOLE, ctx(), world.project, "claire")
    world.node.projects.add_member(CONSOLE, ctx(), world.project, "eco")
    agreement = world.node.agreements.create(
        CONSOLE, ctx(), world.draft(party_nations=("USA", "FRA"), name="FRA MoU")
    )
    world.node.agreements.move(CONSOLE, ctx(), agreement.id, "activate", reason="signed")
    world.node.authorizations.create(
        CONSOLE,
        ctx(),
        AuthorizationDraft(
            type="DSP-5",
            jurisdiction="USA",
            number=LICENCE,
            entries=(ITAR,),
            valid_from=world.today,
            valid_to=world.today + timedelta(days=365),
            organisations=(org,),
            max_level=3,
        ),
    )
    world.node.authorizations.create(
        CONSOLE,
        ctx(),
        AuthorizationDraft(
            type="DSP-5",
            jurisdiction="USA",
            number="DSP5-OTHER",
            entries=(ITAR,),
            valid_from=world.today,
            valid_to=None,
            nations=("GBR",),
        ),
    )
    return org


def test_release_of_a_controlled_resource_end_to_end(
    http: list[TestClient], world: World, onera: str
) -> None:
    assert "releasability" in world.failed("claire", world.controlled)
    alice = client_for(http, world, "alice")
    request = alice.request_release(
        world.controlled, "joint trial with ONERA", organisations=["ONERA"]
    )
    assert request["status"] == "pending"
    assert request["organisations"] == [onera]
    # Separation of duties and roles.
    refused("policy_denied", alice.classify_release, request["id"], authorization=LICENCE)
    eco = client_for(http, world, "eco")
    refused("authorization_required", eco.classify_release, request["id"])
    refused(
        "authorization_not_covering",
        eco.classify_release,
        request["id"],
        authorization="DSP5-OTHER",
    )
    refused(
        "authorization_not_needed",
        eco.classify_release,
        request["id"],
        controls=[],
        not_controlled_reason="public domain",
        authorization=LICENCE,
    )
    sol = client_for(http, world, "sol")
    refused("release_not_classified", sol.decide_release, request["id"], True, "fine by us")
    # An officer outside the project never learns the resource's entries.
    world.scenario.person("eve", nations=("USA",), roles=(Role.EXPORT_CONTROL_OFFICER,))
    eve = client_for(http, world, "eve")
    refused("unknown_release", eve.classify_release, request["id"], authorization=LICENCE)
    classified = eco.classify_release(request["id"], authorization=LICENCE)
    assert classified["status"] == "classified"
    assert classified["controls"] == [ITAR]
    refused("release_not_pending", eco.classify_release, request["id"], authorization=LICENCE)
    gso = client_for(http, world, "gso")
    refused("not_originator", gso.decide_release, request["id"], True, "fine by me")
    approved = sol.decide_release(request["id"], True, "the originator agrees")
    assert approved["status"] == "approved"
    refused("release_decided", sol.decide_release, request["id"], False, "changed my mind")
    # The new label lets the ONERA researcher read it under the licence.
    assert world.failed("claire", world.controlled) == set()
    [record] = eco.export_records(authorization=LICENCE)
    assert record["organisations"] == [onera]
    assert record["controls"] == [ITAR]
    assert record["authorization_number"] == LICENCE
    assert record["requested_by"] == world.scenario.accounts["alice"].person.id
    assert record["approved_by"] == world.scenario.accounts["sol"].person.id
    assert record["retain_until"] == (
        (world.today + timedelta(days=365)).replace(year=world.today.year + 6).isoformat()
    )
    assert eco.export_records(authorization="DSP5-OTHER") == []
    assert eco.export_records(since=(world.today + timedelta(days=2)).isoformat()) == []
    text = eco.export_records_csv(authorization=LICENCE)
    lines = text.splitlines()
    # Marked at its first and last line with the roll-up of what it concerns (issue 16).
    assert lines[0].strip('"').startswith("MARKING: SECRET")
    assert lines[-1] == lines[0]
    rows = list(csv.DictReader(io.StringIO("\n".join(lines[1:-1]))))
    assert [(r["record_id"], r["authorization_number"]) for r in rows] == [(record["id"], LICENCE)]
    refused("policy_denied", alice.export_records)
    # The ledger holds every step, with the record's content.
    events = world.node.audit.search(CONSOLE, EventFilter(since=None), limit=200).entries
    kinds = [e.type for e in events if e.type.startswith(("release.", "export.", "resource.rel"))]
    assert sorted(kinds) == sorted(
        [
            "release.requested",
            "release.classified",
            "release.decided",
            "resource.relabelled",
            "export.recorded",
        ]
    )
    [recorded] = [e for e in events if e.type == "export.recorded"]
    assert recorded.target_id == record["id"]
    assert recorded.data["label_sha256"] == record["label_sha256"]
    assert recorded.data["authorization_number"] == LICENCE
    # The readable report agrees with the ledger, names people, and prints as a PDF...
    report = eco.export_report(authorization=LICENCE)
    assert report["disagreements"] == 0
    [line] = report["lines"]
    assert (line["record_id"], line["ledger_agrees"]) == (record["id"], True)
    assert line["recipients"] == ["ONERA (organisation, FRA)"]  # not "FRA" (issue 16)
    assert line["approved_by"] == world.scenario.accounts["sol"].person.display_name
    assert report["totals"] == [
        {
            "authorization": LICENCE,
            "records": 1,
            "first": line["released_at"],
            "last": line["released_at"],
            "retain_until": record["retain_until"],
        }
    ]
    pdf = eco.export_records_pdf(authorization=LICENCE)
    assert pdf.startswith(b"%PDF-")
    assert LICENCE in pdf_text(pdf)
    assert "Every record matches its ledger event." in pdf_text(pdf)
    marking = lines[0].strip('"').removeprefix("MARKING: ")
    assert pdf_text(pdf).count(f"({marking})") == 2  # head and foot of its one page
    # ...and a record changed behind the ledger's back is flagged.
    with world.node.uow(ctx()) as uow:
        uow.session.execute(update(ExportRecordRow).values(content_sha256="0" * 64))
    tampered = eco.export_report(authorization=LICENCE)
    assert tampered["disagreements"] == 1
    assert "do NOT match the ledger" in pdf_text(eco.export_records_pdf())


def test_refusals_nothing_half_applied(http: list[TestClient], world: World, onera: str) -> None:
    world.scenario.person("eco2", nations=("USA",), roles=(Role.EXPORT_CONTROL_OFFICER,))
    world.node.projects.add_member(CONSOLE, ctx(), world.project, "eco2")
    eco2 = client_for(http, world, "eco2")
    request = eco2.request_release(world.plain, "share the plan with France", nations=["FRA"])
    # Nobody classifies their own request.
    refused("self_change", eco2.classify_release, request["id"], not_controlled_reason="x")
    eco = client_for(http, world, "eco")
    refused("reason_required", eco.classify_release, request["id"], not_controlled_reason="")
    eco.classify_release(request["id"], not_controlled_reason="no technical data: a test schedule")
    # Sol requests one himself and may not approve it.
    sol = client_for(http, world, "sol")
    own = sol.request_release(world.plain, "share with France too", nations=["FRA"])
    eco.classify_release(own["id"], not_controlled_reason="no technical data")
    refused("self_change", sol.decide_release, own["id"], True, "mine")
    refused("self_change", sol.decide_release, own["id"], False, "nor deny it")
    world.scenario.person("sue", nations=("USA",), roles=(Role.SECURITY_OFFICER,))
    sue = client_for(http, world, "sue")
    assert sue.decide_release(own["id"], False, "one request is enough")["status"] == "denied"
    # Bad requests: nothing to release to, unreadable resources, NOFORN, unknown ones.
    refused("release_recipients_required", eco2.request_release, world.plain, "to whom?")
    refused("already_releasable", eco2.request_release, world.plain, "again", nations=["GBR"])
    refused("unknown_resource", client_for(http, world, "bob").request_release,
            "no-such-resource", "why", nations=["FRA"])  # fmt: skip
    refused("invalid_nation", eco2.request_release, world.plain, "bad", nations=["XXX"])
    # The console takes no part in the workflow.
    refused(
        "policy_denied",
        world.node.releases.decide,
        CONSOLE,
        ctx(),
        request["id"],
        approve=True,
        reason="console",
    )
    # Unclassified dual-use items need a recorded review.
    dual = eco2.request_release(world.plain, "dual-use sensor", nations=["FRA"])
    refused(
        "dual_use_review_required",
        eco.classify_release,
        dual["id"],
        controls=["EAR:EAR99"],
        dual_use=True,
        not_controlled_reason="EAR99",
    )
    eco.classify_release(
        dual["id"],
        controls=["EAR:EAR99"],
        dual_use=True,
        not_controlled_reason="EAR99",
        dual_use_review="civil use only; reviewed against Annex I",
    )
    # Approval applies the label and writes one record without authorization.
    before = world.failed("claire", world.plain)
    assert "releasability" in before
    sol.decide_release(request["id"], True, "the originator agrees")
    assert "releasability" not in world.failed("claire", world.plain)
    [record] = eco.export_records()
    assert record["authorization_id"] is None
    assert record["nations"] == ["FRA"]
    listed = {r["id"]: r["status"] for r in eco.releases()}
    assert listed == {
        request["id"]: "approved",
        own["id"]: "denied",
        dual["id"]: "classified",
    }
    assert [r["id"] for r in client_for(http, world, "alice").releases()] == []


def test_release_commands_talk_to_the_server(
    http: list[TestClient], world: World, onera: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from typer.testing import CliRunner

    from caveat.cli import main as cli_main
    from caveat.cli import releases as cli_releases

    def as_user(username: str, *args: str) -> Any:
        monkeypatch.setattr(cli_releases, "_client", lambda: client_for(http, world, username))
        result = CliRunner().invoke(cli_main.app, list(args))
        assert result.exit_code == 0, result.stdout
        return result.stdout

    def parsed(text: str) -> Any:
        lines = text.splitlines()
        start = next(i for i, line in enumerate(lines) if line in ("{", "["))
        return json.loads("\n".join(lines[start:]))

    made = parsed(
        as_user(
            "alice",
            "release",
            "request",
            world.controlled,
            "--org",
            "ONERA",
            "--justification",
            "joint trial",
            "--json",
        )
    )
    as_user("eco", "release", "classify", made["id"], "--authorization", LICENCE, "--json")
    done = parsed(as_user("sol", "release", "approve", made["id"], "--reason", "agreed", "--json"))
    assert done["status"] == "approved"
    assert [r["status"] for r in parsed(as_user("eco", "release", "list", "--json"))] == [
        "approved"
    ]
    report = as_user("eco", "export-records", "--authorization", LICENCE, "--csv")
    assert LICENCE in report.splitlines()[-2]
    assert report.splitlines()[-1] == '"MARKING: SECRET//REL TO USA, FRA, GBR"'  # the CLI's too
    records = parsed(as_user("eco", "export-records", "--json"))
    assert records[0]["release_request_id"] == made["id"]
    as_user("eco", "export-records")  # the table for people


def test_releasing_an_artifact_signs_a_new_label_version(
    http: list[TestClient], world: World, onera: str
) -> None:
    from caveat.adapters.db.models.artifacts import ArtifactVersionRow
    from caveat.services.artifacts._service import NewArtifact
    from tests.artifacts.conftest import chunks, sha

    data = b"range_km,pd\n40,0.9\n"
    alice_principal = world.principal("alice")
    version = world.node.artifacts.put(
        alice_principal,
        ctx(),
        chunks(data),
        sha256=sha(data),
        new=NewArtifact(
            project=world.project,
            kind="dataset",
            title="Seeker trials",
            label="SECRET//REL TO USA, GBR",
            controls=(ITAR,),
        ),
        filename="seeker.csv",
    )
    with world.node.uow.read() as session:
        row = session.get(ArtifactVersionRow, version.id)
        assert row is not None
        artifact = row.artifact_id
    alice = client_for(http, world, "alice")
    request = alice.request_release(artifact, "trial with ONERA", organisations=["ONERA"])
    client_for(http, world, "eco").classify_release(request["id"], authorization=LICENCE)
    client_for(http, world, "sol").decide_release(request["id"], True, "the originator agrees")
    shown = world.node.artifacts.show(world.principal("alice"), artifact)
    assert [lv.seq for lv in shown.labels] == [1, 2]
    assert "FRA" in shown.labels[-1].banner
    assert world.failed("claire", artifact) == set()
    [record] = world.node.releases.export_records(CONSOLE, authorization=LICENCE)
    assert record.content_sha256 == sha(data)
    report = world.node.artifact_admin.verify(CONSOLE, ctx(), artifact)
    assert report.clean, report.problems


def _register(world: World, marking: str, title: str, export: tuple[str, ...] = ()) -> str:
    label = parse_marking(marking, groups=world.node.registry.directory(), on=world.today)
    return world.node.catalogue.register(
        CONSOLE,
        ctx(),
        project=world.project,
        kind="document",
        title=title,
        label=label,
        originator=world.afrl,
        export=parse_export_classification(list(export)),
    ).id


def _release(world: World, resource: str, requester: str, **to: Any) -> Any:
    node = world.node
    asked = node.releases.request(
        world.principal(requester), ctx(), resource=resource, justification="joint trial", **to
    )
    node.releases.classify(
        world.principal("eco"), ctx(), asked.id, not_controlled_reason="a test schedule only"
    )
    return node.releases.decide(
        world.principal("sol"), ctx(), asked.id, approve=True, reason="originator agrees"
    )


@pytest.mark.parametrize(
    ("marking", "lifts", "banner"),
    [
        ("SECRET//NOFORN", "NOFORN", "SECRET//REL TO USA, GBR"),
        ("SECRET//ORCON/NOFORN", "NOFORN", "SECRET//ORCON/REL TO USA, GBR"),
        ("SECRET", "originator-only", "SECRET//REL TO USA, GBR"),
    ],
)
def test_noforn_and_originator_only_material_is_released_by_the_originator(
    world: World, marking: str, lifts: str, banner: str
) -> None:
    agreement = world.node.agreements.create(CONSOLE, ctx(), world.draft())
    world.node.agreements.move(CONSOLE, ctx(), agreement.id, "activate", reason="signed")
    world.node.projects.add_member(CONSOLE, ctx(), world.project, "eco")
    resource = _register(world, marking, "us only")
    assert "releasability" in world.failed("bob", resource)
    approved = _release(world, resource, "alice", to_nations=["GBR"])
    assert approved.status == "approved"
    (view,) = [v for v in world.node.policy.catalogue() if v.id == resource]
    assert view.banner == banner
    assert "releasability" not in world.failed("bob", resource)
    (requested,) = world.node.audit.search(CONSOLE, EventFilter(action="release.requested")).entries
    assert requested.data["lifts"] == lifts


def test_the_no_retransfer_proviso_is_checked_by_machine(world: World, onera: str) -> None:
    world.node.authorizations.create(
        CONSOLE,
        ctx(),
        AuthorizationDraft(
            type="DSP-5",
            jurisdiction="USA",
            number="DSP5-NO-RETRANSFER",
            entries=(ITAR,),
            valid_from=world.today,
            valid_to=world.today + timedelta(days=365),
            organisations=(onera,),
            no_retransfer=True,
        ),
    )
    node = world.node
    asked = node.releases.request(
        world.principal("alice"), ctx(), resource=world.controlled, justification="trial",
        to_organisations=["ONERA"],
    )  # fmt: skip
    node.releases.classify(
        world.principal("eco"), ctx(), asked.id, authorization="DSP5-NO-RETRANSFER"
    )
    node.releases.decide(world.principal("sol"), ctx(), asked.id, approve=True, reason="agreed")
    assert "releasability" not in world.failed("claire", world.controlled)
    # ONERA received it under the proviso: it may not pass it on...
    with pytest.raises(CaveatError) as info:
        node.releases.request(
            world.principal("claire"), ctx(), resource=world.controlled,
            justification="share with our partner", to_nations=["DEU"],
        )  # fmt: skip
    assert info.value.code == "no_retransfer"
    assert "DSP5-NO-RETRANSFER" in info.value.detail
    # ...while the originator may release it further, under its own authorization.
    again = node.releases.request(
        world.principal("alice"), ctx(), resource=world.controlled, justification="trial",
        to_nations=["DEU"],
    )  # fmt: skip
    assert again.status == "pending"


def test_awaiting_lists_each_request_for_whoever_acts_next(
    http: list[TestClient], world: World, onera: str
) -> None:
    alice = client_for(http, world, "alice")
    asked = alice.request_release(world.controlled, "trial", organisations=["ONERA"])
    eco, sol, gso = (client_for(http, world, u) for u in ("eco", "sol", "gso"))
    assert [r["id"] for r in eco.releases(awaiting=True)] == [asked["id"]]
    assert alice.releases(awaiting=True) == []  # a researcher decides nothing
    assert sol.releases(awaiting=True) == []  # not classified yet
    eco.classify_release(asked["id"], authorization=LICENCE)
    assert eco.releases(awaiting=True) == []  # classified: not the classifier's turn
    assert [r["id"] for r in sol.releases(awaiting=True)] == [asked["id"]]
    assert gso.releases(awaiting=True) == []  # another organisation's resource
    sol.decide_release(asked["id"], True, "the originator agrees")
    assert sol.releases(awaiting=True) == []


def test_a_release_to_the_originating_nation_alone_is_refused(world: World) -> None:
    """A NOFORN US resource "released" to USA would become REL TO USA, which the marking
    rules refuse: the originating nation already holds it, so there is nothing to ask."""
    resource = _register(world, "SECRET//NOFORN", "us only")
    with pytest.raises(CaveatError) as refused:
        world.node.releases.request(
            world.principal("alice"),
            ctx(),
            resource=resource,
            justification="joint trial at home",
            to_nations=["USA"],
        )
    assert refused.value.code == "already_releasable"
