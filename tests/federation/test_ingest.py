"""Received items become local artifacts read under the local policy (issue 18): A (the
world's US node) releases to B (British); B's peering names the project A's releases go
into, so each package becomes, in the transaction that keeps it, an artifact of that
project re-encrypted under B's content pipeline with its label exactly as received. B's
readers open it only as B's policy decides; no local flow widens it; a recall from A
hides it at once. Node B is SQLite in every run; node A is the session's database."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from caveat.adapters.db.models import EventRow
from caveat.adapters.db.models.artifacts import ArtifactVersionRow
from caveat.adapters.db.models.core import OrganisationRow
from caveat.adapters.db.models.federation import PeerIngestedRow, PeerOutboxRow, PeerRow
from caveat.adapters.db.models.ledger import AlertRow
from caveat.adapters.federation_transport import HttpPeerTransport
from caveat.api.app import create_app
from caveat.bootstrap.container import Node
from caveat.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from caveat.domain.identity import Role
from caveat.domain.policy import Action, GrantKind
from caveat.services.artifacts import NewArtifact, SearchQuery
from caveat.services.federation import PeerReleases
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext
from tests.compliance.support import World
from tests.federation.support import Pair, make_pair, releases
from tests.support import FakeClock, Scenario

CONSOLE = ConsoleOperator()
DATA = b"range_km,pd\n40,0.91\n60,0.74\n"
LABEL = "SECRET//REL TO USA, GBR"


def ctx() -> CallContext:
    return CallContext.cli()


@dataclass
class AtB:
    """The pair, B's receiving project and B's people."""

    pair: Pair
    world: World
    people: Scenario
    project: str
    afrl: str  # B's record of the organisation running A (the artifacts' originator)

    @property
    def b(self) -> Node:
        return self.pair.b

    def principal(self, username: str) -> Principal:
        return Principal(person=self.b.people.get_person(username), mfa_at=self.world.clock())

    def link(self) -> PeerReleases:
        a_http = TestClient(create_app(self.pair.a), base_url="https://a.example")
        return releases(self.b, HttpPeerTransport(http=a_http))

    def pull(self) -> int:
        [peer] = self.b.federation.peers(CONSOLE)
        return self.link().pull(ctx(), peer.id)

    def release(self, title: str = "trials", label: str = LABEL) -> str:
        """An artifact of A released to B: A's artifact id."""
        version = self.world.node.artifacts.put(
            self.world.principal("alice"),
            ctx(),
            [DATA],
            sha256=hashlib.sha256(DATA).hexdigest(),
            new=NewArtifact(project=self.world.project, kind="dataset", title=title, label=label),
            filename=f"{title}.csv",
            media_type="text/csv",
        )
        with self.world.node.uow.read() as session:
            row = session.get(ArtifactVersionRow, version.id)
            assert row is not None
            artifact = row.artifact_id
        self.world.node.federation_releases.send(
            self.world.principal("sol"), ctx(), "node-b", artifact
        )
        return artifact

    def ingested(self) -> list[PeerIngestedRow]:
        with self.b.uow.read() as session:
            rows = session.scalars(select(PeerIngestedRow)).all()
            for row in rows:
                session.expunge(row)
            return list(rows)


@pytest.fixture
def at_b(node: Node, clock: FakeClock, tmp_path: Path, world: World) -> Iterator[AtB]:
    for pair in make_pair(node, clock, tmp_path, b_nation="GBR", a_nation="USA"):
        mou = node.agreements.create(CONSOLE, ctx(), world.draft(name="Sensor MoU"))
        node.agreements.move(CONSOLE, ctx(), mou.id, "activate", reason="signed")
        node.federation.set_agreements(CONSOLE, ctx(), "node-b", ["Sensor MoU"])
        node.federation.set_recipient(
            CONSOLE, ctx(), "node-b", organisation=world.dstl, accredited="SECRET"
        )
        b = pair.b
        people = Scenario(b, clock)
        afrl = people.org("AFRL", "USA")
        dstl = people.org("Dstl", "GBR")
        operations = people.org("Node B Operations", "GBR")
        b.federation.set_recipient(CONSOLE, ctx(), "node-a", organisation=afrl, accredited="SECRET")
        project = b.projects.create_project(CONSOLE, ctx(), name="Partner trials").id
        people.person("reader", nations=("GBR",), org=dstl)
        people.person("dual", nations=("GBR", "FRA"), org=dstl)
        people.person("outsider", nations=("GBR",), org=dstl)
        people.person("bso", nations=("GBR",), roles=(Role.SECURITY_OFFICER,), org=operations)
        people.person("dso", nations=("GBR",), roles=(Role.SECURITY_OFFICER,), org=dstl)
        people.person("aso", nations=("USA",), roles=(Role.SECURITY_OFFICER,), org=afrl)
        for who in ("reader", "dual", "bso", "aso"):
            b.projects.add_member(CONSOLE, ctx(), project, who)
        # B's own policy: the MoU is in force here too, covering the receiving project.
        local = b.agreements.create(CONSOLE, ctx(), world.draft(projects=(project,)))
        b.agreements.move(CONSOLE, ctx(), local.id, "activate", reason="signed")
        yield AtB(pair, world, people, project, afrl)


def _events(node: Node, kind: str) -> list[dict[str, Any]]:
    with node.uow.read() as session:
        rows = session.scalars(select(EventRow).where(EventRow.type == kind).order_by(EventRow.seq))
        return [json.loads(r.body)["data"] for r in rows]


def _receiving(at_b: AtB) -> str:
    """B's node officer names the receiving project; the artifact made of one release."""
    at_b.b.federation.set_receiving_project(
        at_b.principal("bso"), ctx(), "node-a", "Partner trials"
    )
    origin = at_b.release()
    assert at_b.pull() == 1
    [ingested] = at_b.ingested()
    assert ingested.origin_resource_id == origin
    return ingested.artifact_id


def test_a_cleared_member_opens_a_received_item_under_the_local_policy(at_b: AtB) -> None:
    artifact = _receiving(at_b)
    reader = at_b.principal("reader")
    content = at_b.b.artifacts.open_content(reader, ctx(), artifact)
    assert b"".join(content.chunks) == DATA
    view = at_b.b.artifacts.show(reader, artifact)
    assert view.banner == LABEL  # exactly as received
    [ingested] = at_b.ingested()
    assert ingested.origin_node_id == at_b.pair.a.uow.node_id
    assert ingested.origin_banner == LABEL
    assert ingested.origin_organisation == "node-a lab"
    assert ingested.national_banner  # the label in the United Kingdom's form
    [event] = _events(at_b.b, "peer.ingested")
    assert event["artifact_id"] == artifact
    assert event["project_id"] == at_b.project
    # Stored re-encrypted under B's pipeline: the plaintext is in no blob.
    stored = list(at_b.b.artifacts.blobs.list("v/"))
    assert stored
    for blob in stored:
        with at_b.b.artifacts.blobs.open(blob.key) as raw:
            assert DATA not in raw.read()
    # The officers' list of received items points at the artifact; the content's digest
    # on record (taken from staging) is the digest of what was released.
    [item] = at_b.b.federation_releases.received(CONSOLE)
    assert item.artifact_id == artifact
    assert item.content_sha256 == hashlib.sha256(DATA).hexdigest()
    [received] = _events(at_b.b, "peer.received")
    assert received["content_sha256"] == hashlib.sha256(DATA).hexdigest()


def test_readers_the_local_policy_refuses_never_see_it_and_are_told_why(at_b: AtB) -> None:
    artifact = _receiving(at_b)
    dual = at_b.principal("dual")  # a French national too: not releasable to FRA
    with pytest.raises(NotFound):
        at_b.b.artifacts.open_content(dual, ctx(), artifact)
    # To them it does not exist; an officer asking why is told the reason.
    why = at_b.b.policy.explain(CONSOLE, person="dual", resource_id=artifact, action=Action.READ)
    assert not why.permitted
    assert why.failed == ("releasability",)
    outsider = at_b.principal("outsider")  # not a member of the receiving project
    with pytest.raises(NotFound):
        at_b.b.artifacts.open_content(outsider, ctx(), artifact)
    about = at_b.b.policy.explain(
        CONSOLE, person="outsider", resource_id=artifact, action=Action.READ
    )
    assert about.failed == ("need_to_know",)
    assert artifact not in {r.id for r in at_b.b.policy.list_visible(dual).items}
    assert artifact in {r.id for r in at_b.b.policy.list_visible(at_b.principal("reader")).items}


def test_no_local_flow_widens_a_received_artifact(at_b: AtB) -> None:
    artifact = _receiving(at_b)
    aso = at_b.principal("aso")  # an officer of B's record of the originating organisation
    attempts: list[Any] = [
        lambda: at_b.b.artifacts.relabel(
            aso, ctx(), artifact, label="SECRET//REL TO USA, GBR, FRA", reason="widen it"
        ),
        lambda: at_b.b.artifacts.relabel(
            aso, ctx(), artifact, label="SECRET//NOFORN", reason="tighten it"
        ),
        lambda: at_b.b.releases.request(
            aso, ctx(), resource=artifact, to_nations=["FRA"], justification="for France"
        ),
        lambda: at_b.b.grants.grant(
            aso, ctx(), resource=artifact, person="outsider", kind=GrantKind.ORIGINATOR
        ),
        lambda: at_b.b.grants.grant(  # need-to-know beyond the project the officers chose
            CONSOLE, ctx(), resource=artifact, person="outsider", kind=GrantKind.ACCESS
        ),
        lambda: at_b.b.artifacts.put(
            aso,
            ctx(),
            [b"other"],
            sha256=hashlib.sha256(b"other").hexdigest(),
            artifact_id=artifact,
        ),
        lambda: at_b.b.federation_releases.send(aso, ctx(), "node-a", artifact),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied) as refused:
            attempt()
        assert refused.value.code == "received_label_fixed", refused.value
    assert at_b.b.artifacts.show(at_b.principal("reader"), artifact).banner == LABEL
    assert _events(at_b.b, "resource.relabelled") == []


def test_a_recall_hides_the_ingested_artifact_at_once(at_b: AtB) -> None:
    artifact = _receiving(at_b)
    origin = at_b.ingested()[0].origin_resource_id
    at_b.world.node.federation_releases.recalls.recall(
        at_b.world.principal("sol"), ctx(), "node-b", origin, reason="mis_release"
    )
    assert at_b.pull() == 0
    reader = at_b.principal("reader")
    with pytest.raises(NotFound):
        at_b.b.artifacts.open_content(reader, ctx(), artifact)
    assert artifact not in {r.id for r in at_b.b.policy.list_visible(reader).items}
    [recalled] = at_b.ingested()
    assert recalled.recalled_at is not None
    [event] = _events(at_b.b, "peer.recall_received")
    assert event["withdrawn_artifacts"] == [artifact]
    # The node's own verification knows it was withdrawn on purpose.
    report = at_b.b.artifact_admin.verify(CONSOLE, ctx())
    assert report.problems == []


def test_who_may_name_the_receiving_project(at_b: AtB) -> None:
    b = at_b.b
    for who in ("reader", "dso", "aso"):  # a researcher; officers of other organisations
        with pytest.raises(PermissionDenied):
            b.federation.set_receiving_project(
                at_b.principal(who), ctx(), "node-a", "Partner trials"
            )
    with pytest.raises(NotFound):
        b.federation.set_receiving_project(at_b.principal("bso"), ctx(), "node-a", "nowhere")
    named = b.federation.set_receiving_project(
        at_b.principal("bso"), ctx(), "node-a", "Partner trials"
    )
    assert named.receiving_project == "Partner trials"
    [event] = _events(b, "peer.receiving_project_set")
    assert event["project_id"] == at_b.project
    cleared = b.federation.set_receiving_project(at_b.principal("bso"), ctx(), "node-a", None)
    assert cleared.receiving_project is None
    # Not the officer who recorded the peer: the four-eyes rule of its recipient.
    with b.uow(ctx()) as uow:
        row = uow.session.get(PeerRow, named.id)
        assert row is not None
        row.proposed_by = at_b.principal("bso").person_id
    with pytest.raises(PermissionDenied):
        b.federation.set_receiving_project(at_b.principal("bso"), ctx(), "node-a", "Partner trials")


def test_without_a_receiving_project_items_stay_sealed(at_b: AtB) -> None:
    at_b.release()
    assert at_b.pull() == 1
    assert at_b.ingested() == []
    assert len(at_b.b.federation_releases.received(CONSOLE)) == 1
    assert list(at_b.b.artifacts.blobs.list("v/")) == []  # nothing staged is left behind


def test_an_item_that_cannot_become_an_artifact_stays_sealed_and_is_alerted(
    at_b: AtB,
) -> None:
    # B's record of A's organisation is of another nation than the label's originator.
    at_b.b.federation.set_receiving_project(CONSOLE, ctx(), "node-a", "Partner trials")
    with at_b.b.uow(ctx()) as uow:
        org = uow.session.get(OrganisationRow, at_b.afrl)
        assert org is not None
        org.nation = "CAN"
    at_b.release()
    assert at_b.pull() == 1  # kept, sealed: the pull goes on
    assert at_b.ingested() == []
    [failed] = _events(at_b.b, "peer.ingest_failed")
    assert failed["code"]
    with at_b.b.uow.read() as session:
        assert session.scalars(select(AlertRow).where(AlertRow.rule == "peer_ingest_failed")).all()
    assert list(at_b.b.artifacts.blobs.list("v/")) == []


def test_the_receiving_project_needs_the_peers_organisation(
    node: Node, clock: FakeClock, tmp_path: Path
) -> None:
    for pair in make_pair(node, clock, tmp_path, b_nation="GBR", a_nation="USA"):
        pair.b.projects.create_project(CONSOLE, ctx(), name="Partner trials")
        with pytest.raises(Conflict) as refused:
            pair.b.federation.set_receiving_project(CONSOLE, ctx(), "node-a", "Partner trials")
        assert refused.value.code == "receiving_project_invalid"


def test_the_session_database_ingests_too(
    node: Node,
    clock: FakeClock,
    tmp_path: Path,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The other way round, so the receiving side runs on the session's database
    (PostgreSQL in its run): B releases its own items to A, whose peering names the
    world's project; A's reader opens them, and a relabel wider is refused. A page is
    written at once; one with an item that cannot become an artifact is redone item
    by item, that item alone left sealed."""
    for pair in make_pair(node, clock, tmp_path, b_nation="GBR", a_nation="GBR"):
        b, people = pair.b, Scenario(pair.b, clock)
        lab = people.org("Node B Operations", "GBR")
        olive = people.org("Olive Lab", "GBR")  # B's record of the organisation running A
        project = b.projects.create_project(CONSOLE, ctx(), name="Trials at B").id
        people.person("author", nations=("GBR",), org=lab)
        people.person("officer", nations=("GBR",), roles=(Role.SECURITY_OFFICER,), org=lab)
        for who in ("author", "officer"):
            b.projects.add_member(CONSOLE, ctx(), project, who)
        mou = b.agreements.create(CONSOLE, ctx(), world.draft(projects=(project,)))
        b.agreements.move(CONSOLE, ctx(), mou.id, "activate", reason="signed")
        b.federation.set_agreements(CONSOLE, ctx(), "node-a", ["Sensor MoU"])
        b.federation.set_recipient(
            CONSOLE, ctx(), "node-a", organisation=olive, accredited="SECRET"
        )
        author = Principal(person=b.people.get_person("author"), mfa_at=clock())
        officer = Principal(person=b.people.get_person("officer"), mfa_at=clock())

        origins = [_send(b, author, officer, project, f"b trials {i}") for i in range(2)]

        node.federation.set_recipient(
            CONSOLE, ctx(), "node-b", organisation=world.dstl, accredited="SECRET"
        )
        node.federation.set_receiving_project(CONSOLE, ctx(), "node-b", world.project)
        link = releases(node, HttpPeerTransport(http=pair.b_http))
        peer = node.federation.peer(CONSOLE, "node-b")
        pages = _pages(monkeypatch)
        assert link.pull(ctx(), peer.id) == 2
        assert pages == [True]
        with node.uow.read() as session:
            ingested = session.scalars(select(PeerIngestedRow)).all()
        assert sorted(i.origin_resource_id for i in ingested) == sorted(origins)
        bob = world.principal("bob")
        for row in ingested:
            content = node.artifacts.open_content(bob, ctx(), row.artifact_id)
            assert b"".join(content.chunks) == DATA
        artifact = ingested[0].artifact_id
        with pytest.raises(PermissionDenied) as refused:
            node.artifacts.relabel(
                bob,
                ctx(),
                artifact,
                label="SECRET//REL TO USA, GBR, FRA",
                reason="widen it",
            )
        assert refused.value.code == "received_label_fixed"

        more = [_send(b, author, officer, project, f"b trials {i}") for i in range(2, 5)]
        received = node.artifacts.received
        original = received.commit_in
        monkeypatch.setattr(received, "commit_in", _refusing(original, more[1]))
        assert link.pull(ctx(), peer.id) == 3
        assert pages == [True, False]
        monkeypatch.setattr(received, "commit_in", original)
        assert link.pull(ctx(), peer.id) == 0
        with node.uow.read() as session:
            ingested = session.scalars(select(PeerIngestedRow)).all()
            failed = session.scalars(select(EventRow).where(EventRow.type == "peer.ingest_failed"))
            assert len(list(failed)) == 1
        assert sorted(i.origin_resource_id for i in ingested) == sorted(
            [*origins, more[0], more[2]]
        )
        assert len(node.federation_releases.received(CONSOLE)) == 5


def _send(b: Node, author: Principal, officer: Principal, project: str, title: str) -> str:
    """An artifact of B (its id) that B's officer released to A."""
    version = b.artifacts.put(
        author,
        ctx(),
        [DATA],
        sha256=hashlib.sha256(DATA).hexdigest(),
        new=NewArtifact(project=project, kind="dataset", title=title, label=LABEL),
        media_type="text/csv",
    )
    with b.uow.read() as session:
        row = session.get(ArtifactVersionRow, version.id)
        assert row is not None
        origin = row.artifact_id
    b.federation_releases.send(officer, ctx(), "node-a", origin)
    return origin


def _refusing(commit_in: Callable[..., str], origin: str) -> Callable[..., str]:
    """``commit_in`` that fails for the item made of ``origin`` (its title names it),
    after writing its rows (undone with it)."""

    def refuses_one(uow: Any, staged: Any, made: Any, actor: Any, **kwargs: Any) -> str:
        artifact_id = commit_in(uow, staged, made, actor, **kwargs)
        if origin[:8] in made.title:
            raise InvalidInput("this item's title is refused here", code="invalid_title")
        return artifact_id

    return refuses_one


def _pages(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each page of the pulls that follow was written at once (True) or
    redone item by item (False)."""
    pages: list[bool] = []
    original = PeerReleases._keep_page

    def spy(self: PeerReleases, *args: Any, **kwargs: Any) -> tuple[int, set[int]] | None:
        result = original(self, *args, **kwargs)
        pages.append(result is not None)
        return result

    monkeypatch.setattr(PeerReleases, "_keep_page", spy)
    return pages


_ITEM_EVENTS = ("peer.received", "resource.registered", "artifact.created", "peer.ingested")


def _item_events(node: Node) -> list[str]:
    with node.uow.read() as session:
        return list(
            session.scalars(
                select(EventRow.type)
                .where(EventRow.type.in_([*_ITEM_EVENTS, "peer.ingest_failed"]))
                .order_by(EventRow.seq)
            )
        )


def test_a_page_of_items_becomes_artifacts_at_once(
    at_b: AtB, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page is written with one flush: each item still has its rows and its events,
    in the item's order, as item by item; the artifacts open, verify and are found."""
    at_b.b.federation.set_receiving_project(
        at_b.principal("bso"), ctx(), "node-a", "Partner trials"
    )
    origins = [at_b.release(f"trials {i}") for i in range(5)]
    pages = _pages(monkeypatch)
    assert at_b.pull() == 5
    assert pages == [True]
    ingested = at_b.ingested()
    assert sorted(r.origin_resource_id for r in ingested) == sorted(origins)
    assert _item_events(at_b.b) == list(_ITEM_EVENTS) * 5
    reader = at_b.principal("reader")
    for row in ingested:
        content = at_b.b.artifacts.open_content(reader, ctx(), row.artifact_id)
        assert b"".join(content.chunks) == DATA  # its parts, binding and label
    report = at_b.b.artifact_admin.verify(CONSOLE, ctx())
    assert report.clean
    assert report.artifacts == 5
    found = at_b.b.artifact_search.search(reader, SearchQuery(text="node-a", limit=50))
    assert {a.id for a in found.items} == {r.artifact_id for r in ingested}
    assert at_b.pull() == 0  # a re-sync takes nothing twice
    assert len(at_b.ingested()) == 5
    assert len(at_b.b.federation_releases.received(CONSOLE)) == 5


def test_one_bad_item_is_refused_alone_and_the_page_redone_item_by_item(
    at_b: AtB, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An item whose artifact cannot be written fails the page written at once; the
    page is redone item by item, where that item alone stays sealed (recorded with its
    reason and alerted) and the others become artifacts; a re-sync duplicates nothing
    and leaves no staged content behind."""
    at_b.b.federation.set_receiving_project(
        at_b.principal("bso"), ctx(), "node-a", "Partner trials"
    )
    origins = [at_b.release(f"trials {i}") for i in range(4)]
    bad = origins[2]
    received = at_b.b.artifacts.received
    original = received.commit_in
    monkeypatch.setattr(received, "commit_in", _refusing(original, bad))
    pages = _pages(monkeypatch)
    assert at_b.pull() == 4  # all kept: three artifacts and one sealed
    assert pages == [False]
    ingested = at_b.ingested()
    assert sorted(r.origin_resource_id for r in ingested) == sorted(set(origins) - {bad})
    [failed] = _events(at_b.b, "peer.ingest_failed")
    assert failed["code"] == "invalid_title"
    assert "refused here" in failed["detail"]
    with at_b.b.uow.read() as session:
        [alert] = session.scalars(select(AlertRow).where(AlertRow.rule == "peer_ingest_failed"))
        assert alert.subject_id == at_b.b.federation.peers(CONSOLE)[0].id
    expected = [*_ITEM_EVENTS] * 2 + ["peer.received", "peer.ingest_failed", *_ITEM_EVENTS]
    assert _item_events(at_b.b) == expected
    # One version's blobs for each artifact: the sealed item's staged content is gone.
    with at_b.b.uow.read() as session:
        versions = set(session.scalars(select(ArtifactVersionRow.id)))
    assert len(versions) == 3
    stored = {blob.key.split("/")[1] for blob in at_b.b.artifacts.blobs.list("v/")}
    assert stored <= versions
    monkeypatch.setattr(received, "commit_in", original)
    assert at_b.pull() == 0  # the cursor moved past every item: nothing twice
    assert len(at_b.b.federation_releases.received(CONSOLE)) == 4
    assert len(at_b.ingested()) == 3
    assert len(_events(at_b.b, "peer.received")) == 4


def test_a_tampered_package_in_a_page_is_refused_alone_at_once(
    at_b: AtB, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A package that fails its checks is refused (recorded with its reason and
    alerted) within the page written at once; the items before and after it become
    artifacts; a re-sync duplicates nothing."""
    at_b.b.federation.set_receiving_project(
        at_b.principal("bso"), ctx(), "node-a", "Partner trials"
    )
    origins = [at_b.release(f"trials {i}") for i in range(3)]
    with at_b.world.node.uow(ctx()) as uow:  # a relay changes one byte of the middle one
        row = uow.session.scalar(
            select(PeerOutboxRow).where(PeerOutboxRow.resource_id == origins[1])
        )
        assert row is not None
        changed = bytearray(row.package)
        changed[len(changed) // 2] ^= 1
        row.package = bytes(changed)
    pages = _pages(monkeypatch)
    assert at_b.pull() == 2
    assert pages == [True]
    assert sorted(r.origin_resource_id for r in at_b.ingested()) == sorted([origins[0], origins[2]])
    [refusal] = _events(at_b.b, "peer.package_refused")
    assert refusal["code"].startswith("tdf_")
    with at_b.b.uow.read() as session:
        [alert] = session.scalars(select(AlertRow).where(AlertRow.rule == "peer_package_refused"))
        assert alert.severity == "critical"
    assert at_b.pull() == 0
    assert len(at_b.ingested()) == 2
    assert len(_events(at_b.b, "peer.received")) == 2
