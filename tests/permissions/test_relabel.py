"""Issue 11, labels: marking is the originating organisation's decision.

Reproductions 1-3 through the API: a reader's widening or lowering is a release request,
omitted controls stay, and a relabel by someone else is a request that never breaks the
signed binding; the originator's security officer decides relabel requests.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from caveat.adapters.db.models.artifacts import ArtifactVersionRow
from caveat.api.app import create_app
from caveat.bootstrap.container import Node
from caveat.client import CaveatClient
from caveat.domain.errors import CaveatError
from caveat.services.artifacts._service import NewArtifact
from caveat.services.ledger._audit import EventFilter
from tests.compliance.support import CONSOLE, World, build, ctx
from tests.support import PASSWORD, FakeClock

EAR = "EAR:3A001.a.1"


@pytest.fixture
def world(node: Node, clock: FakeClock) -> World:
    made = build(node, clock)
    onera = made.scenario.org("ONERA", "FRA")
    made.scenario.person("claire", nations=("FRA",), org=onera)
    node.projects.add_member(CONSOLE, ctx(), made.project, "claire")
    for who in ("eco", "gso"):
        node.projects.add_member(CONSOLE, ctx(), made.project, who)
    agreement = node.agreements.create(
        CONSOLE, ctx(), made.draft(party_nations=("USA", "GBR", "FRA"), name="Trilateral")
    )
    node.agreements.move(CONSOLE, ctx(), agreement.id, "activate", reason="signed")
    return made


@pytest.fixture
def http() -> Iterator[list[TestClient]]:
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


def upload(world: World, label: str, controls: tuple[str, ...] = (), title: str = "Run") -> str:
    data = b"range_km,pd\n40,0.9\n"
    import hashlib

    version = world.node.artifacts.put(
        world.principal("alice"),
        ctx(),
        iter([data]),
        sha256=hashlib.sha256(data).hexdigest(),
        new=NewArtifact(
            project=world.project, kind="dataset", title=title, label=label, controls=controls
        ),
        filename="run.csv",
    )
    with world.node.uow.read() as session:
        row = session.get(ArtifactVersionRow, version.id)
        assert row is not None
        return row.artifact_id


def refused(code: str, call: Any, *args: Any, **kwargs: Any) -> CaveatError:
    with pytest.raises(CaveatError) as info:
        call(*args, **kwargs)
    assert info.value.code == code, info.value
    return info.value


def downloads(client: CaveatClient, artifact: str) -> bytes:
    out = io.BytesIO()
    client.download(artifact, out)
    return out.getvalue()


def banner(world: World, artifact: str) -> str:
    return world.node.artifacts.show(world.principal("alice"), artifact).banner


def test_a_reader_widening_or_lowering_a_label_asks_for_a_release(
    http: list[TestClient], world: World
) -> None:
    """Reproduction 1: bob (Dstl) widened AFRL's SECRET//REL TO USA, GBR to FRA and
    lowered another to UNCLASSIFIED; claire (ONERA) then found them."""
    wide = upload(world, "SECRET//REL TO USA, GBR", title="Antenna array")
    low = upload(world, "SECRET//REL TO USA, GBR", title="Seeker trials")
    bob, claire = client_for(http, world, "bob"), client_for(http, world, "claire")
    refused("unknown_artifact", claire.artifact, wide)
    preview = bob.preview_relabel(wide, "SECRET//REL TO USA, FRA, GBR")
    assert preview["path"] == "release_requested"
    assert [(c["organisation"], c["people"]) for c in preview["gains"]] == [("ONERA", 1)]
    assert preview["lost"] == 0
    widened = bob.relabel(wide, "SECRET//REL TO USA, FRA, GBR", reason="joint trial")
    assert widened["outcome"] == "release_requested"
    lowered = bob.relabel(low, "UNCLASSIFIED", reason="nothing secret in it")
    assert lowered["outcome"] == "release_requested"
    # Nothing changed: claire still finds neither.
    assert banner(world, wide) == banner(world, low) == "SECRET//REL TO USA, GBR"
    refused("unknown_artifact", claire.artifact, wide)
    refused("unknown_artifact", claire.artifact, low)
    assert claire.search_artifacts()["items"] == []
    # The release workflow decides, and approval applies exactly the label asked for.
    eco, sol = client_for(http, world, "eco"), client_for(http, world, "sol")
    [waiting] = [r for r in eco.releases(awaiting=True) if r["id"] == widened["release_id"]]
    assert waiting["label"] == "SECRET//REL TO USA, FRA, GBR"
    assert waiting["nations"] == ["FRA"]
    eco.classify_release(widened["release_id"], not_controlled_reason="test data only")
    refused("not_originator", client_for(http, world, "gso").decide_release,
            widened["release_id"], True, "fine by Dstl")  # fmt: skip
    sol.decide_release(widened["release_id"], True, "AFRL agrees")
    assert banner(world, wide) == "SECRET//REL TO USA, FRA, GBR"
    assert downloads(claire, wide) == b"range_km,pd\n40,0.9\n"
    [record] = world.node.releases.export_records(CONSOLE)
    assert record.nations == ("FRA",)
    assert world.node.artifact_admin.verify(CONSOLE, ctx()).clean


def test_omitted_controls_stay_and_dropping_them_is_a_release(
    http: list[TestClient], world: World
) -> None:
    """Reproduction 2: alice relabelled an EAR:3A001.a.1 artifact without resending its
    controls, and bob (no licence) downloaded it."""
    artifact = upload(world, "SECRET//REL TO USA, GBR", controls=(EAR,))
    alice, bob = client_for(http, world, "alice"), client_for(http, world, "bob")
    refused("policy_denied", downloads, bob, artifact)
    same = alice.relabel(artifact, "SECRET//REL TO USA, GBR", reason="annual review")
    assert same["outcome"] == "applied"
    assert same["export"] == [EAR]  # omitted controls mean unchanged
    refused("policy_denied", downloads, bob, artifact)
    dropped = alice.relabel(artifact, "SECRET//REL TO USA, GBR", [], reason="not controlled")
    assert dropped["outcome"] == "release_requested"  # fewer entries: a release
    assert alice.artifact(artifact)["export"] == [EAR]
    refused("policy_denied", downloads, bob, artifact)
    cleared = alice.relabel(artifact, "SECRET//REL TO USA, GBR", [EAR], False, reason="x-y-z")
    assert cleared["outcome"] == "applied"  # not dual-use before: nothing loosens


def test_a_relabel_by_someone_else_is_a_request_and_never_breaks_the_binding(
    http: list[TestClient], world: World
) -> None:
    """Reproduction 3: a no-op relabel by a reader of another organisation signed a label
    naming their organisation; every download then failed with binding_invalid."""
    artifact = upload(world, "SECRET//REL TO USA, GBR")
    alice, bob = client_for(http, world, "alice"), client_for(http, world, "bob")
    asked = bob.relabel(artifact, "SECRET//REL TO USA, GBR", reason="checking the marking")
    assert asked["outcome"] == "requested"
    request = asked["relabel_request"]
    assert request["status"] == "pending"
    assert downloads(alice, artifact) == downloads(bob, artifact) == b"range_km,pd\n40,0.9\n"
    # claire narrowing AFRL's document to cut the UK partners off is only a request too.
    shared = upload(world, "SECRET//REL TO USA, FRA, GBR", title="Shared")
    narrowed = client_for(http, world, "claire").relabel(
        shared, "SECRET//REL TO USA, FRA", reason="no UK"
    )
    assert narrowed["outcome"] == "requested"
    assert banner(world, shared) == "SECRET//REL TO USA, FRA, GBR"
    assert banner(world, artifact) == "SECRET//REL TO USA, GBR"
    # Only a security officer of the originating organisation decides.
    refused("not_originator", client_for(http, world, "gso").decide_relabel_request,
            request["id"], True, "Dstl agrees")  # fmt: skip
    refused("policy_denied", alice.decide_relabel_request, request["id"], True, "me too")
    sol = client_for(http, world, "sol")
    assert {r["id"] for r in sol.relabel_requests(awaiting=True)} == {
        request["id"],
        narrowed["relabel_request"]["id"],
    }
    assert client_for(http, world, "gso").relabel_requests(awaiting=True) == []
    assert [r["id"] for r in bob.relabel_requests()] == [request["id"]]
    done = sol.decide_relabel_request(request["id"], True, "the marking is right")
    assert done["status"] == "approved"
    refused("relabel_decided", sol.decide_relabel_request, request["id"], False, "again")
    denied = sol.decide_relabel_request(narrowed["relabel_request"]["id"], False, "UK stays")
    assert denied["decision_reason"] == "UK stays"
    shown = alice.artifact(artifact)
    assert [lab["seq"] for lab in shown["labels"]] == [1, 2]
    assert shown["originating_organisation"] == "Air Force Research Laboratory"
    assert downloads(alice, artifact) == downloads(bob, artifact) == b"range_km,pd\n40,0.9\n"
    assert world.node.artifact_admin.verify(CONSOLE, ctx()).clean
    [event] = world.node.audit.search(
        CONSOLE, EventFilter(action="artifact.relabelled", target_id=artifact)
    ).entries
    assert "checking the marking" in event.data["reason"]
    assert "the marking is right" in event.data["reason"]
    kinds = {e.type for e in world.node.audit.search(CONSOLE, EventFilter(since=None)).entries}
    assert {"relabel.requested", "relabel.decided"} <= kinds


def test_the_catalogue_refuses_a_direct_loosening_even_from_the_console(world: World) -> None:
    from caveat.domain.labels import parse_marking

    wider = parse_marking(
        "SECRET//REL TO USA, FRA, GBR", groups=world.node.registry.directory(), on=world.today
    )
    with world.node.uow(ctx()) as uow:
        refused("policy_denied", world.node.catalogue.relabel_in, uow, CONSOLE, world.plain,
                label=wider)  # fmt: skip
    assert "releasability" in world.failed("claire", world.plain)
