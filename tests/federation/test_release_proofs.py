"""The release event's inclusion proof follows its package (ADR 0019, "Release proofs"):
the receiver keeps a package on its own checks, then asks the originator for the proof
that the release is in the originator's log, and verifies it against the checkpoint of
that log it cosigned itself. Until the originator has integrated the event and the
receiver has cosigned a checkpoint that holds it, the proof waits; a proof that does not
lead to the witnessed root, a valid proof of another entry, or an originator denying the
release is refused, recorded and alerted."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from caveat.adapters.db.models import EventRow
from caveat.adapters.db.models.ledger import AlertRow
from caveat.adapters.federation_transport import HttpPeerTransport
from caveat.api.app import create_app
from caveat.bootstrap.container import Node
from caveat.domain.errors import InvalidInput
from caveat.domain.federation_proofs import (
    ProofVerdict,
    ReleaseProof,
    Witnessed,
    judge,
)
from caveat.domain.ledger import MemoryTree, leaf_hash
from caveat.services.federation import PeerSync, ProofRound, ReleaseProofs
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from caveat.services.ledger import WitnessReply, WitnessService
from tests.compliance.support import World
from tests.federation.support import InProcessWitness, Pair, linked, make_pair, releases
from tests.federation.test_releasing import _a_at_b, _upload
from tests.support import FakeClock

# Run on one database: inclusion proofs travelling with a package; the ledger's storage is
# tested on both databases.
pytestmark = pytest.mark.one_database

CONSOLE = ConsoleOperator()
Rewrite = Callable[[dict[str, Any]], dict[str, Any]]


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


class Rewriting:
    """A's answers to B's proof requests, changed by ``rewrite`` on the way (a hostile
    originator or a relay: the request itself is the real, signed one)."""

    def __init__(self, real: HttpPeerTransport, rewrite: Rewrite | None = None) -> None:
        self.real, self.rewrite = real, rewrite

    def send(
        self, method: str, url: str, headers: dict[str, str], body: bytes, *, limit: int = 0
    ) -> tuple[int, bytes]:
        status, answer = self.real.send(method, url, headers, body, limit=limit)
        if self.rewrite is None or not url.endswith("/release-proofs") or status != 200:
            return status, answer
        value = json.loads(answer)
        value["proofs"] = [self.rewrite(p) for p in value["proofs"]]
        return status, json.dumps(value).encode()


def _released_and_pulled(pair: Pair, world: World, title: str = "trials") -> str:
    """A releases an item to B, B pulls it: the received item's id."""
    artifact = _upload(world, title, "SECRET//REL TO USA, GBR")
    world.node.federation_releases.send(world.principal("sol"), ctx(), "node-b", artifact)
    a_http = TestClient(create_app(pair.a), base_url="https://a.example")
    assert releases(pair.b, HttpPeerTransport(http=a_http)).pull(ctx(), _a_at_b(pair)) == 1
    [item] = [i for i in pair.b.federation_releases.received(CONSOLE)]
    return item.id


def _proofs_at_b(pair: Pair, rewrite: Rewrite | None = None) -> ReleaseProofs:
    a_http = TestClient(create_app(pair.a), base_url="https://a.example")
    return ReleaseProofs(
        uow=pair.b.uow,
        keys=pair.b.keys,
        ledger=pair.b.ledger,
        transport=Rewriting(HttpPeerTransport(http=a_http), rewrite),
        monitoring=pair.b.monitoring,
    )


def _b_cosigns_a(pair: Pair) -> None:
    """A integrates its events and publishes a checkpoint, and B cosigns it (as every
    sync asks the peer to)."""
    pair.a.ledger.integrate()
    pair.a.ledger.publish_now()
    [outcome] = WitnessService(
        uow=pair.a.uow,
        ledger=pair.a.ledger,
        monitoring=pair.a.monitoring,
        transport=InProcessWitness(pair.b_http),
        clock=pair.a.uow.clock,
    ).request_cosignatures(CONSOLE, ctx())
    assert outcome.status == "cosigned", outcome


def _events(node: Node, kind: str) -> list[dict[str, Any]]:
    with node.uow.read() as session:
        rows = session.scalars(select(EventRow).where(EventRow.type == kind).order_by(EventRow.seq))
        return [json.loads(r.body)["data"] for r in rows]


def _alerts(node: Node) -> list[str]:
    with node.uow.read() as session:
        return list(
            session.scalars(
                select(AlertRow.rule).where(AlertRow.rule == "peer_release_proof_invalid")
            )
        )


def test_the_proof_waits_for_the_cosigned_checkpoint_then_verifies(gbr: Pair, world: World) -> None:
    _b_cosigns_a(gbr)  # B witnesses A's log from before the release
    item = _released_and_pulled(gbr, world)
    proofs = _proofs_at_b(gbr)
    # The package was kept on its own checks; A's log does not hold its release at a
    # checkpoint B cosigned yet: A answers pending, and the proof waits (nothing
    # recorded, nothing alerted).
    assert proofs.prove(ctx(), _a_at_b(gbr)) == ProofRound(
        asked=1, verified=0, refused=0, waiting=1
    )
    assert proofs.status(item) == "waiting"
    _b_cosigns_a(gbr)
    assert proofs.prove(ctx(), _a_at_b(gbr)) == ProofRound(
        asked=1, verified=1, refused=0, waiting=0
    )
    assert proofs.status(item) == "verified"
    [proved] = _events(gbr.b, "peer.release_proved")
    [released] = _events(gbr.a, "peer.released")
    assert proved["seq"] == released["seq"]
    with gbr.a.uow.read() as session:
        entry = session.scalar(select(EventRow.id).where(EventRow.type == "peer.released"))
    assert proved["entry_id"] == entry
    assert proofs.prove(ctx(), _a_at_b(gbr)) == ProofRound(0, 0, 0, 0)  # asked once proved
    assert _alerts(gbr.b) == []


def _flip(text: str) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[0] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def _changed_path(p: dict[str, Any]) -> dict[str, Any]:
    return {**p, "proof": [_flip(p["proof"][0]), *p["proof"][1:]]}


def _changed_entry(p: dict[str, Any]) -> dict[str, Any]:
    entry = json.loads(p["entry"])
    entry["data"]["package_sha256"] = "0" * 64  # as if it released another package
    return {**p, "entry": json.dumps(entry, separators=(",", ":"), sort_keys=True)}


def _denied(p: dict[str, Any]) -> dict[str, Any]:
    return {"seq": p["seq"], "status": "unknown"}


def test_nothing_is_asked_before_this_node_cosigned_the_originators_log(
    gbr: Pair, world: World
) -> None:
    _released_and_pulled(gbr, world)
    assert _proofs_at_b(gbr).prove(ctx(), _a_at_b(gbr)) == ProofRound(0, 0, 0, waiting=1)


def _malformed(p: dict[str, Any]) -> dict[str, Any]:
    return {**p, "proof": ["not base64!"]}


@pytest.mark.parametrize(
    ("rewrite", "verdict"),
    [
        (_changed_path, "invalid"),
        (_changed_entry, "invalid"),  # another body is another leaf hash
        (_denied, "other_entry"),
        (_malformed, "invalid"),
    ],
)
def test_a_proof_that_does_not_verify_is_refused_and_alerted(
    gbr: Pair, world: World, rewrite: Rewrite, verdict: str
) -> None:
    item = _released_and_pulled(gbr, world)
    _b_cosigns_a(gbr)
    proofs = _proofs_at_b(gbr, rewrite)
    assert proofs.prove(ctx(), _a_at_b(gbr)).refused == 1
    assert proofs.status(item) == "refused"
    [refused] = _events(gbr.b, "peer.release_proof_refused")
    assert refused["verdict"] == verdict
    assert _alerts(gbr.b) == ["peer_release_proof_invalid"]
    assert _events(gbr.b, "peer.release_proved") == []
    # Refused once: not asked again (the alert stands until an officer looks).
    assert _proofs_at_b(gbr).prove(ctx(), _a_at_b(gbr)) == ProofRound(0, 0, 0, 0)


def test_a_valid_proof_of_another_entry_is_refused(gbr: Pair, world: World) -> None:
    """The originator answers for the second item with a true inclusion proof of the
    first item's release event: the leaf verifies, but it is not this package's release."""
    sol = world.principal("sol")
    for title in ("first", "second"):
        artifact = _upload(world, title, "SECRET//REL TO USA, GBR")
        world.node.federation_releases.send(sol, ctx(), "node-b", artifact)
    a_http = TestClient(create_app(gbr.a), base_url="https://a.example")
    assert releases(gbr.b, HttpPeerTransport(http=a_http)).pull(ctx(), _a_at_b(gbr)) == 2
    _b_cosigns_a(gbr)
    first: dict[str, Any] = {}

    def swap(p: dict[str, Any]) -> dict[str, Any]:
        if not first:  # answers come in seq order: the first item's is kept as it is
            first.update(p)
            return p
        return {**p, "entry": first["entry"], "index": first["index"], "proof": first["proof"]}

    assert _proofs_at_b(gbr, swap).prove(ctx(), _a_at_b(gbr)) == ProofRound(2, 1, 1, 0)
    [refused] = _events(gbr.b, "peer.release_proof_refused")
    assert refused["verdict"] == "other_entry"
    assert refused["reason"] == "the entry releases another package"
    assert refused["seq"] == first["seq"] + 1
    assert _alerts(gbr.b) == ["peer_release_proof_invalid"]


def test_a_request_for_proofs_is_bounded_and_signed(gbr: Pair, world: World) -> None:
    a_http = TestClient(create_app(gbr.a), base_url="https://a.example")
    unsigned = a_http.post("/federation/v1/release-proofs", json={"seqs": [1]})
    assert unsigned.status_code == 401
    with pytest.raises(InvalidInput) as refused:
        gbr.a.federation_proofs.answer(
            _caller(gbr), json.dumps({"seqs": list(range(1, 102))}).encode()
        )
    assert refused.value.code == "invalid_release_proof_request"


def _caller(pair: Pair) -> Any:
    from caveat.services.federation import PeerCaller

    [peer] = pair.a.federation.peers(CONSOLE)
    return PeerCaller(peer.id, peer.node_id, peer.name, peer.nation, peer.organisation)


# --- the judgement alone (domain/federation_proofs.py) ---------------------------------


def _tree(entries: list[bytes]) -> MemoryTree:
    tree = MemoryTree()
    for e in entries:
        tree.append(leaf_hash(e))
    return tree


def _entry(seq: int, package: str, kind: str = "peer.released", node: str = "n1") -> bytes:
    body = {"data": {"package_sha256": package, "seq": seq}, "id": f"e{seq}", "node_id": node}
    return json.dumps({**body, "type": kind}, sort_keys=True).encode()


def test_the_judgement_of_a_proof() -> None:
    from caveat.domain.ledger import inclusion_proof

    entries = [_entry(1, "a" * 64), _entry(2, "b" * 64), _entry(3, "c" * 64, "peer.recalled")]
    tree = _tree(entries)
    witnessed = Witnessed(3, tree.root())

    def proof(i: int, size: int = 3) -> ReleaseProof:
        return ReleaseProof(i + 1, entries[i], i, size, tuple(inclusion_proof(tree, i, size)))

    def verdict(p: ReleaseProof, seq: int, package: str, node: str = "n1") -> ProofVerdict:
        return judge(p, witnessed, origin_node_id=node, seq=seq, package_sha256=package).verdict

    assert verdict(proof(1), 2, "b" * 64) == ProofVerdict.VERIFIED
    assert verdict(proof(0), 2, "b" * 64) == ProofVerdict.OTHER_ENTRY  # another release
    assert verdict(proof(1), 2, "a" * 64) == ProofVerdict.OTHER_ENTRY  # another package
    assert verdict(proof(1), 2, "b" * 64, node="n2") == ProofVerdict.OTHER_ENTRY
    assert verdict(proof(2), 3, "c" * 64) == ProofVerdict.OTHER_ENTRY  # not a release
    assert verdict(proof(1, size=2), 2, "b" * 64) == ProofVerdict.NOT_YET  # not cosigned
    wrong_index = ReleaseProof(2, entries[1], 0, 3, proof(1).path)
    assert verdict(wrong_index, 2, "b" * 64) == ProofVerdict.INVALID


class _WitnessA:
    """B's add-checkpoint requests carried to A's app in this process."""

    def __init__(self, http: TestClient) -> None:
        self._http = http

    def add_checkpoint(self, url: str, body: str) -> WitnessReply:
        assert url == "https://a.example"
        answer = self._http.post("/add-checkpoint", content=body.encode())
        media = answer.headers.get("content-type", "").split(";")[0]
        return WitnessReply(answer.status_code, media, answer.text)


def test_one_sync_drains_the_backlog_and_a_later_one_brings_the_proofs(
    gbr: Pair, world: World
) -> None:
    """Nine packages are two outbox pages: one sync takes both (it pulls while the
    cursor moves); their proofs wait for A's checkpoint that B cosigns, and the next
    sync brings and verifies them."""
    sol = world.principal("sol")
    for n in range(9):
        artifact = _upload(world, f"item {n}", "SECRET//REL TO USA, GBR")
        world.node.federation_releases.send(sol, ctx(), "node-b", artifact)
    a_http = TestClient(create_app(gbr.a), base_url="https://a.example")
    b = gbr.b
    sync = PeerSync(
        uow=b.uow,
        federation=linked(b, HttpPeerTransport(http=a_http)),
        releases=releases(b, HttpPeerTransport(http=a_http)),
        witnesses=WitnessService(
            uow=b.uow,
            ledger=b.ledger,
            monitoring=b.monitoring,
            transport=_WitnessA(a_http),
            clock=b.uow.clock,
        ),
        monitoring=b.monitoring,
        period=timedelta(minutes=1),
        proofs=_proofs_at_b(gbr),
    )
    assert sync.sync_now(CONSOLE, ctx(), "node-a").up
    items = b.federation_releases.received(CONSOLE)
    assert len(items) == 9
    assert {b.federation_proofs.status(i.id) for i in items} == {"waiting"}
    _b_cosigns_a(gbr)
    assert sync.sync_now(CONSOLE, ctx(), "node-a").up
    assert {b.federation_proofs.status(i.id) for i in items} == {"verified"}
    assert len(_events(b, "peer.release_proved")) == 9
