"""Recalling a release, end to end between two real nodes: the originator's officer
recalls what went to a peer; on its next pull the peer hides the item from every reader
in the same transaction, records it and confirms over the signed protocol; the
originator records the confirmation once. A recall is believed only under the
originator's key and for what it originated; an agreement taken out of force recalls
what it covered; a received item never goes on to a third node from here."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import select

from caveat.adapters.db.models import EventRow
from caveat.adapters.db.models.artifacts import ArtifactVersionRow
from caveat.adapters.db.models.federation import PeerLinkRow, PeerOutboxRow
from caveat.adapters.db.models.ledger import AlertRow
from caveat.adapters.federation_transport import HttpPeerTransport
from caveat.api.app import create_app
from caveat.bootstrap.container import Node
from caveat.client import CaveatClient
from caveat.domain.errors import (
    Conflict,
    IntegrityError,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from caveat.domain.federation_recalls import (
    RecallReason,
    RecallStatement,
    open_recall,
    sign_recall,
)
from caveat.domain.identity import Role
from caveat.services.artifacts import NewArtifact
from caveat.services.federation import PeerReleases
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from tests.compliance.support import World
from tests.federation.support import Pair, make_pair, releases
from tests.federation.test_cli import nodes, ok, run  # noqa: F401 (nodes: a fixture)
from tests.support import FakeClock

CONSOLE = ConsoleOperator()
DATA = b"range_km,pd\n40,0.91\n60,0.74\n"


def ctx() -> CallContext:
    return CallContext.cli()


@pytest.fixture
def gbr(node: Node, clock: FakeClock, tmp_path: Path, world: World) -> Iterator[Pair]:
    """The world's US node (A) peered with a British node (B) under the Sensor MoU."""
    for made in make_pair(node, clock, tmp_path, b_nation="GBR"):
        mou = node.agreements.create(CONSOLE, ctx(), world.draft(name="Sensor MoU"))
        node.agreements.move(CONSOLE, ctx(), mou.id, "activate", reason="signed")
        node.federation.set_agreements(CONSOLE, ctx(), "node-b", ["Sensor MoU"])
        node.federation.set_recipient(
            CONSOLE, ctx(), "node-b", organisation=world.dstl, accredited="SECRET"
        )
        yield made


def _upload(world: World, title: str, label: str = "SECRET//REL TO USA, GBR") -> str:
    version = world.node.artifacts.put(
        world.principal("alice"),
        ctx(),
        [DATA],
        sha256=hashlib.sha256(DATA).hexdigest(),
        new=NewArtifact(project=world.project, kind="dataset", title=title, label=label),
        filename=f"{title}.csv",
        media_type="text/csv",
    )
    with world.node.uow.read() as session:
        row = session.get(ArtifactVersionRow, version.id)
        assert row is not None
        return row.artifact_id


def _b_pulls_from(pair: Pair) -> PeerReleases:
    a_http = TestClient(create_app(pair.a), base_url="https://a.example")
    return releases(pair.b, HttpPeerTransport(http=a_http))


def _a_at_b(pair: Pair) -> str:
    [peer] = pair.b.federation.peers(CONSOLE)
    return peer.id


def _events(node: Node, kind: str) -> list[dict[str, Any]]:
    with node.uow.read() as session:
        rows = session.scalars(select(EventRow).where(EventRow.type == kind).order_by(EventRow.seq))
        return [json.loads(r.body)["data"] for r in rows]


def _released_and_pulled(pair: Pair, world: World, title: str = "trials") -> tuple[str, str]:
    artifact = _upload(world, title)
    world.node.federation_releases.send(world.principal("sol"), ctx(), "node-b", artifact)
    assert _b_pulls_from(pair).pull(ctx(), _a_at_b(pair)) == 1
    [kept] = pair.b.federation_releases.received(CONSOLE)
    return artifact, kept.id


def test_a_recall_hides_the_item_at_once_and_both_ledgers_record_it(
    gbr: Pair, world: World
) -> None:
    artifact, item = _released_and_pulled(gbr, world)
    sent = world.node.federation_releases.recalls.recall(
        world.principal("sol"), ctx(), "node-b", artifact, reason="mis_release"
    )
    assert sent.direction == "sent"
    assert not sent.confirmed
    [recalled] = _events(world.node, "peer.recalled")
    assert recalled["resource_id"] == artifact
    assert recalled["reason"] == "mis_release"
    assert len(gbr.b.federation_releases.received(CONSOLE)) == 1  # not pulled yet

    pulling = _b_pulls_from(gbr)
    assert pulling.pull(ctx(), _a_at_b(gbr)) == 0
    assert gbr.b.federation_releases.received(CONSOLE) == []  # hidden from everyone
    [taken] = _events(gbr.b, "peer.recall_received")
    assert taken["recall_id"] == sent.id
    assert taken["outcome"] == "hidden"
    assert taken["hidden"] == [item]
    # The pull confirmed it, signed: the originator recorded the confirmation.
    [confirmed] = _events(world.node, "peer.recall_confirmed")
    assert confirmed == {
        "recall_id": sent.id,
        "resource_id": artifact,
        "outcome": "hidden",
        "hidden": 1,
    }
    [at_a] = world.node.federation_releases.recalls.recalls(CONSOLE)
    assert at_a.confirmed
    assert at_a.outcome == "hidden"
    assert at_a.peer == "node-b"
    [at_b] = gbr.b.federation_releases.recalls.recalls(CONSOLE)
    assert at_b.direction == "received"
    assert at_b.confirmed
    assert at_b.peer == "node-a"

    # Replayed from the start (a reset cursor, a resend): nothing changes, nothing twice.
    with gbr.b.uow(ctx()) as uow:
        link = uow.session.get(PeerLinkRow, _a_at_b(gbr))
        assert link is not None
        link.pulled_seq = 0
    assert pulling.pull(ctx(), _a_at_b(gbr)) == 0
    assert gbr.b.federation_releases.received(CONSOLE) == []
    assert len(_events(gbr.b, "peer.recall_received")) == 1
    assert len(_events(world.node, "peer.recall_confirmed")) == 1
    with pytest.raises(Conflict) as again:
        world.node.federation_releases.recalls.recall(
            world.principal("sol"), ctx(), "node-b", artifact, reason="mis_release"
        )
    assert again.value.code == "release_already_recalled"


def test_a_recall_of_what_was_never_pulled_withholds_it_and_is_recorded(
    gbr: Pair, world: World
) -> None:
    artifact = _upload(world, "late")
    sol = world.principal("sol")
    world.node.federation_releases.send(sol, ctx(), "node-b", artifact)
    world.node.federation_releases.recalls.recall(
        sol, ctx(), "node-b", artifact, reason="other", detail="sent to the wrong partner"
    )
    assert _b_pulls_from(gbr).pull(ctx(), _a_at_b(gbr)) == 0
    assert gbr.b.federation_releases.received(CONSOLE) == []
    [withheld] = _events(world.node, "peer.release_withheld")
    assert withheld["failed"] == ["recalled"]
    [taken] = _events(gbr.b, "peer.recall_received")
    assert taken["outcome"] == "not_held"
    assert taken["hidden"] == []
    [confirmed] = _events(world.node, "peer.recall_confirmed")
    assert confirmed["outcome"] == "not_held"


def test_only_officers_recall_and_only_what_was_sent(gbr: Pair, world: World) -> None:
    artifact, _ = _released_and_pulled(gbr, world)
    recalls = world.node.federation_releases.recalls
    with pytest.raises(PermissionDenied):
        recalls.recall(world.principal("alice"), ctx(), "node-b", artifact, reason="mis_release")
    with pytest.raises(InvalidInput) as bad:
        recalls.recall(world.principal("sol"), ctx(), "node-b", artifact, reason="other")
    assert bad.value.code == "invalid_recall_reason"  # "other" says why
    never = _upload(world, "never sent")
    with pytest.raises(NotFound) as nothing:
        recalls.recall(world.principal("sol"), ctx(), "node-b", never, reason="mis_release")
    assert nothing.value.code == "release_not_sent"
    assert _events(world.node, "peer.recalled") == []
    assert len(gbr.b.federation_releases.received(CONSOLE)) == 1


def test_a_recall_not_signed_by_the_originator_is_refused_and_alerted(
    gbr: Pair, world: World
) -> None:
    artifact, _ = _released_and_pulled(gbr, world)
    world.node.federation_releases.recalls.recall(
        world.principal("sol"), ctx(), "node-b", artifact, reason="licence_revoked"
    )
    # A third node's key (or a relay) puts its own recall in place of the originator's.
    stranger = Ed25519PrivateKey.generate()
    forged = sign_recall(
        RecallStatement(
            recall_id="00000000-0000-4000-8000-000000000001",
            origin_node_id=world.node.uow.node_id,
            to_node_id=gbr.b.uow.node_id,
            resource_id=artifact,
            reason=RecallReason.MIS_RELEASE,
            detail="",
            recalled_at=datetime.now(UTC),
        ),
        stranger,
    )
    with world.node.uow(ctx()) as uow:
        row = uow.session.scalar(select(PeerOutboxRow).where(PeerOutboxRow.kind == "recall"))
        assert row is not None
        row.package = forged
    assert _b_pulls_from(gbr).pull(ctx(), _a_at_b(gbr)) == 0
    assert len(gbr.b.federation_releases.received(CONSOLE)) == 1  # still there
    [refused] = _events(gbr.b, "peer.package_refused")
    assert refused["code"] == "peer_recall_invalid"
    with gbr.b.uow.read() as session:
        assert session.scalars(select(AlertRow).where(AlertRow.rule == "peer_package_refused"))
    assert _events(gbr.b, "peer.recall_received") == []


def test_a_peer_recalls_only_what_it_originated_for_this_node() -> None:
    key = Ed25519PrivateKey.generate()
    statement = RecallStatement(
        recall_id="00000000-0000-4000-8000-000000000002",
        origin_node_id="00000000-0000-4000-8000-0000000000aa",
        to_node_id="00000000-0000-4000-8000-0000000000bb",
        resource_id="00000000-0000-4000-8000-0000000000cc",
        reason=RecallReason.MIS_RELEASE,
        detail="",
        recalled_at=datetime.now(UTC),
    )
    signed = sign_recall(statement, key)
    public = key.public_key()
    origin, to = statement.origin_node_id, statement.to_node_id
    assert open_recall(signed, public, origin=origin, to=to) == statement
    for kwargs in ({"origin": to, "to": to}, {"origin": origin, "to": origin}):
        with pytest.raises(IntegrityError) as refused:
            open_recall(signed, public, **kwargs)  # another origin, or for another node
        assert refused.value.code == "peer_recall_invalid"
    with pytest.raises(IntegrityError):
        open_recall(signed, Ed25519PrivateKey.generate().public_key(), origin=origin, to=to)
    body = json.loads(signed)
    body["recall"]["resource_id"] = "00000000-0000-4000-8000-0000000000dd"
    with pytest.raises(IntegrityError):
        open_recall(json.dumps(body).encode(), public, origin=origin, to=to)


def test_an_agreement_suspended_recalls_what_it_covered(gbr: Pair, world: World) -> None:
    artifact, _ = _released_and_pulled(gbr, world)
    world.node.agreements.move(CONSOLE, ctx(), "Sensor MoU", "suspend", reason="under review")
    [recalled] = _events(world.node, "peer.recalled")
    assert recalled["resource_id"] == artifact
    assert recalled["reason"] == "agreement_ended"
    assert "agreement_id" in recalled
    assert _b_pulls_from(gbr).pull(ctx(), _a_at_b(gbr)) == 0
    assert gbr.b.federation_releases.received(CONSOLE) == []
    [confirmed] = _events(world.node, "peer.recall_confirmed")
    assert confirmed["outcome"] == "hidden"


def test_a_received_item_is_not_released_onwards_from_here(gbr: Pair, world: World) -> None:
    _, item = _released_and_pulled(gbr, world)
    with pytest.raises(PermissionDenied) as refused:
        gbr.b.federation_releases.send(CONSOLE, ctx(), "node-a", item)  # type: ignore[arg-type]
    assert refused.value.code == "re_release_not_originator"
    assert "node-a" in refused.value.detail


def test_the_api_and_sdk_recall_and_list_recalls(gbr: Pair, world: World) -> None:
    artifact, _ = _released_and_pulled(gbr, world)
    officer = world.scenario.person("sam", nations=("USA",), roles=(Role.SECURITY_OFFICER,))
    world.node.projects.add_member(CONSOLE, ctx(), world.project, "sam")
    reader = world.scenario.person("rita", nations=("USA",))
    http = TestClient(create_app(world.node), raise_server_exceptions=False)

    def client(account: Any) -> CaveatClient:
        token = world.scenario.login(account).token
        return CaveatClient("http://testserver", token=token, http=http)

    with pytest.raises(NotFound):  # as for an id that names nothing: rita cannot see it
        client(reader).federation.recall("node-b", artifact, reason="mis_release")
    sam = client(officer)
    with pytest.raises(InvalidInput):
        sam.federation.recall("node-b", artifact, reason="bored")
    made = sam.federation.recall("node-b", artifact, reason="licence_revoked", detail="DSP-5")
    assert made["reason"] == "licence_revoked"
    assert made["confirmed_at"] is None
    assert _b_pulls_from(gbr).pull(ctx(), _a_at_b(gbr)) == 0
    [listed] = sam.federation.recalls(peer="node-b")
    assert listed["id"] == made["id"]
    assert listed["outcome"] == "hidden"
    assert listed["confirmed_at"] is not None
    with pytest.raises(PermissionDenied):
        client(reader).federation.recalls()


def test_the_cli_lists_recalls_and_refuses_a_bad_reason(
    nodes: list[Path],  # noqa: F811 (the fixture)
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    us, _ = nodes
    monkeypatch.setenv("CAVEAT_DATABASE_URL", database_url)
    assert ok(us, "federation", "recalls") == []
    code, answer = run(us, "federation", "recall", "node-x", "a1", "--reason", "bored")
    assert code != 0
    assert answer["error"]["code"] == "invalid_recall_reason"
