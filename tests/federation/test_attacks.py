"""Attacks on federation (security review): each test states what must hold and fails
on the code as reviewed."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import uuid
from collections.abc import Iterator, MutableMapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_der_public_key,
)
from fastapi.testclient import TestClient
from sqlalchemy import select

from caveat.adapters.db.models import EventRow
from caveat.adapters.db.models.federation import PeerOutboxRow, PeerRow
from caveat.adapters.db.models.ledger import AlertRow
from caveat.adapters.db.models.policy import ResourceRow
from caveat.adapters.federation_transport import HttpPeerTransport
from caveat.adapters.tdf import caveat_assertions, policy_object, write_package
from caveat.api.app import create_app
from caveat.bootstrap.container import Node
from caveat.domain.errors import CaveatError, PermissionDenied
from caveat.domain.export_control import parse_export_classification
from caveat.domain.identity import Role
from caveat.domain.labels import parse_marking
from caveat.domain.ledger import (
    Checkpoint,
    CosignatureV1Signer,
    Ed25519Signer,
    sign_checkpoint,
)
from caveat.services.federation import (
    OUTBOX_FRAMES_PATH,
    PeerCaller,
    PeerSync,
    _releasing,
    outbox_frames_of,
    outbox_json,
)
from caveat.services.federation._outbound import kas_url
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext
from caveat.services.ledger import WitnessService
from tests.compliance.support import World
from tests.federation.support import InProcessWitness, Pair, linked, make_pair, releases
from tests.federation.test_protocol import _refusals, _signed
from tests.federation.test_releasing import _a_at_b, _b_pulls_from, _upload
from tests.support import FakeClock, Scenario

# Run on one database: tampered, replayed and forged packages and requests: the checks are
# the same on either database.
pytestmark = pytest.mark.one_database

CONSOLE = ConsoleOperator()


def ctx() -> CallContext:
    return CallContext.cli()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def partner_descriptor(*, log_origin: str, witness_name: str, **changes: str) -> dict[str, Any]:
    """A partner's descriptor with fresh keys whose C2SP key names the partner chooses."""
    signing = Ed25519PrivateKey.generate().public_key()
    wrapping = ec.generate_private_key(ec.SECP256R1()).public_key()
    text = {
        "protocol": "caveat.federation/1",
        "node_id": str(uuid.uuid4()),
        "name": "node-c",
        "nation": "FRA",
        "organisation": "C lab",
        "endpoint": "https://c.example",
        "signing_key": _b64(signing.public_bytes(Encoding.Raw, PublicFormat.Raw)),
        "wrapping_key": _b64(
            wrapping.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        ),
        "log_key": Ed25519Signer(log_origin, Ed25519PrivateKey.generate()).verifier().vkey,
        "witness_key": CosignatureV1Signer(witness_name, Ed25519PrivateKey.generate(), timestamp=0)
        .verifier()
        .vkey,
    }
    return {**text, **changes}


# --- F1: a partner's descriptor takes over another peer's log and witness entries -----


def test_a_partner_cannot_take_over_another_peer_s_log_or_witness(pair: Pair) -> None:
    a, b = pair.a, pair.b
    b_log_origin = b.ledger.origin
    b_witness_name = b.witnesses.cosigner_vkey().split("+", 1)[0]
    [b_log_before] = a.witnesses.witnessed_logs()
    [b_witness_before] = a.witnesses.witnesses()
    # Partner C (a real partner, its fingerprint read out by its own officers) hands
    # over a descriptor whose C2SP keys carry B's names but C's keys.
    c_log = Ed25519Signer(b_log_origin, Ed25519PrivateKey.generate())
    text = partner_descriptor(log_origin="unused", witness_name=b_witness_name)
    text["log_key"] = c_log.verifier().vkey
    try:
        peer = a.federation.propose(CONSOLE, ctx(), json.dumps(text))
        a.federation.accept(CONSOLE, ctx(), peer.id, peer.fingerprint)
    except CaveatError:
        pass  # refused: the fix
    # B's log is still trusted under B's key, and B is still A's witness at B's address.
    assert [(w.origin, w.vkey) for w in a.witnesses.witnessed_logs()] == [
        (b_log_before.origin, b_log_before.vkey)
    ]
    assert [(w.name, w.vkey, w.url) for w in a.witnesses.witnesses()] == [
        (b_witness_before.name, b_witness_before.vkey, b_witness_before.url)
    ]
    # And A never cosigns a checkpoint of B's log that C signed.
    forged = sign_checkpoint(Checkpoint(b_log_origin, 7, bytes(32)), c_log)
    answer = TestClient(create_app(a)).post(
        "/add-checkpoint", content=f"old 0\n\n{forged}", headers={"content-type": "text/plain"}
    )
    assert answer.status_code != 200, answer.text


# --- shared: the world's US node (A) peered with a British node (B) -----------------


@pytest.fixture
def gbr(node: Node, clock: FakeClock, tmp_path: Path, world: World) -> Iterator[Pair]:
    """The world's US node (A) peered with a British node (B) under the Sensor MoU, the
    peer's releases going to Dstl up to SECRET (as in test_releasing)."""
    for made in make_pair(node, clock, tmp_path, b_nation="GBR"):
        mou = node.agreements.create(CONSOLE, ctx(), world.draft(name="Sensor MoU"))
        node.agreements.move(CONSOLE, ctx(), mou.id, "activate", reason="signed")
        node.federation.set_agreements(CONSOLE, ctx(), "node-b", ["Sensor MoU"])
        node.federation.set_recipient(
            CONSOLE, ctx(), "node-b", organisation=world.dstl, accredited="SECRET"
        )
        yield made


def _register(world: World, marking: str, title: str) -> str:
    label = parse_marking(marking, groups=world.node.registry.directory(), on=world.today)
    return world.node.catalogue.register(
        CONSOLE,
        ctx(),
        project=world.project,
        kind="document",
        title=title,
        label=label,
        originator=world.afrl,
        export=parse_export_classification([]),
    ).id


# --- F2: a key rotation changes the peer's nation; recipient and agreements stay -----


def test_a_rotation_that_changes_the_nation_does_not_keep_the_old_recipient(
    gbr: Pair, world: World
) -> None:
    a, b = gbr.a, gbr.b
    noforn = _upload(world, "noforn", "SECRET//NOFORN")
    # B's operators send "new keys": B's own descriptor, now claiming to be American.
    rotated = b.federation.descriptor(
        CONSOLE,
        name="node-b",
        nation="USA",
        organisation="node-b lab",
        endpoint="https://b.example",
    )
    with pytest.raises(CaveatError) as refused:
        a.federation.rotate_keys(CONSOLE, ctx(), "node-b", json.dumps(rotated.to_json()))
    assert refused.value.code == "peer_identity_changed"  # a new peering, not a rotation
    assert a.federation.peer(CONSOLE, "node-b").nation == "GBR"
    with pytest.raises(CaveatError):
        a.federation_releases.send(world.principal("sol"), ctx(), "node-b", noforn)


# --- F3: packages already queued still leave after the grounds for them are gone -----


def test_emptying_the_agreements_stops_what_waits_in_the_outbox(gbr: Pair, world: World) -> None:
    artifact = _upload(world, "trials", "SECRET//REL TO USA, GBR")
    world.node.federation_releases.send(world.principal("sol"), ctx(), "node-b", artifact)
    # "an empty list stops exchange" (set_agreements): the officer stops it.
    world.node.federation.set_agreements(CONSOLE, ctx(), "node-b", [])
    assert _b_pulls_from(gbr).pull(ctx(), _a_at_b(gbr)) == 0
    assert gbr.b.federation_releases.received(CONSOLE) == []


def test_a_relabelled_item_waiting_in_the_outbox_does_not_leave(gbr: Pair, world: World) -> None:
    artifact = _upload(world, "trials", "SECRET//REL TO USA, GBR")
    world.node.federation_releases.send(world.principal("sol"), ctx(), "node-b", artifact)
    # The originator withdraws GBR from the REL TO list before the peer pulls.
    world.node.artifacts.relabel(
        world.principal("alice"), ctx(), artifact, label="SECRET//NOFORN", reason="US only now"
    )
    assert _b_pulls_from(gbr).pull(ctx(), _a_at_b(gbr)) == 0


# --- F4: releasing names (and explains) items the officer may not discover -----------


def test_a_release_attempt_says_nothing_of_an_item_the_officer_may_not_discover(
    gbr: Pair, world: World
) -> None:
    # sol, AFRL's security officer, is cleared SECRET: a TOP SECRET item is not theirs
    # to discover (its title is withheld everywhere else).
    hidden = _register(world, "TOP SECRET//REL TO USA, GBR", "Operation GLASS HOUSE")
    sol = world.principal("sol")
    with world.node.uow.read() as session:
        assert not world.node.policy.discoverable_in(session, sol, [hidden], world.clock())
    with pytest.raises(CaveatError) as refused:
        world.node.federation_releases.send(sol, ctx(), "node-b", hidden)
    with pytest.raises(CaveatError) as missing:
        world.node.federation_releases.send(sol, ctx(), "node-b", str(uuid.uuid4()))
    assert "GLASS HOUSE" not in str(refused.value.detail)
    assert "clearance" not in json.dumps(refused.value.data or {})
    assert (refused.value.code, type(refused.value)) == (missing.value.code, type(missing.value))


# --- F5: the dry run's cursor names items the asker may not discover -----------------


def test_the_dry_run_cursor_names_no_hidden_item(gbr: Pair, world: World) -> None:
    gso = world.principal("gso")  # Dstl's officer: in no project, discovers nothing
    with world.node.uow.read() as session:
        every = list(session.scalars(select(ResourceRow.id)))
        seen = world.node.policy.discoverable_in(session, gso, every, world.clock())
    hidden = set(every) - seen
    assert hidden
    learned: set[str] = set()
    after = None
    for _ in range(len(every) + 1):  # walk the catalogue one row per page
        page = world.node.federation.preview(gso, "node-b", after=after, limit=1)
        assert page.items == ()
        if page.next_after is None:
            break
        learned.add(page.next_after)
        after = page.next_after
    assert not (learned & hidden), f"{len(learned & hidden)} hidden ids (and their count) leaked"


# --- F6: a hostile peer's answer crashes the whole sync round ------------------------


class _Answers:
    """A peer (transport) that answers every request with ``body``."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def send(
        self, method: str, url: str, headers: dict[str, str], body: bytes, *, limit: int = 0
    ) -> tuple[int, bytes]:
        return 200, self.body


def _sync_through(pair: Pair, transport: Any) -> Any:
    a = pair.a
    return PeerSync(
        uow=a.uow,
        federation=linked(a, transport),
        releases=releases(a, transport),
        witnesses=WitnessService(
            uow=a.uow,
            ledger=a.ledger,
            monitoring=a.monitoring,
            transport=InProcessWitness(pair.b_http),
            clock=a.uow.clock,
        ),
        monitoring=a.monitoring,
        period=timedelta(minutes=1),
    )


def test_a_deeply_nested_answer_is_a_failed_link_not_a_crashed_round(pair: Pair) -> None:
    sync = _sync_through(pair, _Answers(b"[" * 100_000))
    [link] = sync.run_due(ctx())  # RecursionError escapes today: no link state, no backoff
    assert not link.up
    assert link.failures == 1
    assert link.last_error.startswith("peer_answer_invalid")


class _OutboxWithHugeSeq:
    """B's real hello, and an outbox answer whose seq no database column holds (in
    JSON: a binary frame has no room for it, so this peer serves no binary outbox)."""

    def __init__(self, pair: Pair) -> None:
        self.real = HttpPeerTransport(http=pair.b_http)

    def send(
        self, method: str, url: str, headers: dict[str, str], body: bytes, *, limit: int = 0
    ) -> tuple[int, bytes]:
        if f"{OUTBOX_FRAMES_PATH}?" in url:
            return 404, b'{"detail": "Not Found"}'
        if "/outbox" not in url:
            return self.real.send(method, url, headers, body, limit=limit or 1 << 20)
        item = {"seq": 1 << 80, "package": _b64(b"not a package"), "sha256": "0" * 64}
        return 200, json.dumps({"items": [item], "next": 1 << 80}).encode()


def test_an_outbox_seq_out_of_range_is_refused_not_a_crashed_round(pair: Pair) -> None:
    sync = _sync_through(pair, _OutboxWithHugeSeq(pair))
    [link] = sync.run_due(ctx())  # rfc8785 IntegerDomainError (or OverflowError) escapes today
    assert not link.up
    assert link.failures == 1


# --- F7: the recipient organisation's own officer decides what its node receives -----


def _node_officer(world: World, username: str = "nso") -> Any:
    """A security officer of the organisation operating A (the one ``caveat init`` made)."""
    [operating] = [
        o.id
        for o in world.node.registry.list_organisations()
        if o.name == "Caveat Node Operations (GBR)"
    ]
    world.scenario.person(username, nations=("GBR",), roles=(Role.SECURITY_OFFICER,), org=operating)
    return world.principal(username)


def test_the_recipient_organisation_s_officer_cannot_widen_what_its_node_receives(
    gbr: Pair, world: World
) -> None:
    gso = world.principal("gso")  # Dstl's officer: Dstl receives what goes to node-b
    with pytest.raises(PermissionDenied) as refused:
        world.node.federation.set_recipient(
            gso, ctx(), "node-b", organisation=world.dstl, accredited="TOP SECRET"
        )
    assert refused.value.code == "self_change"
    assert "its own node may receive" in refused.value.detail
    assert world.node.federation.peer(CONSOLE, "node-b").accredited_level == "secret"


@pytest.mark.parametrize("who", ["sol", "gso"])
def test_only_the_node_s_own_organisation_ends_a_peering(gbr: Pair, world: World, who: str) -> None:
    with pytest.raises(PermissionDenied):
        world.node.federation.revoke(world.principal(who), ctx(), "node-b", reason="not ours")
    assert world.node.federation.peer(CONSOLE, "node-b").status == "active"
    nso = _node_officer(world)
    assert world.node.federation.revoke(nso, ctx(), "node-b", reason="ended").status == "revoked"


@pytest.mark.parametrize("who", ["sol", "gso"])
def test_only_the_node_s_own_organisation_accepts_a_peer(gbr: Pair, world: World, who: str) -> None:
    """Trusting a partner node's keys is the operating organisation's call: an officer of
    another organisation (here the one the peer's releases would go to) may not."""
    federation = world.node.federation
    text = partner_descriptor(log_origin="node-c", witness_name="node-c", nation="GBR")
    made = federation.propose(CONSOLE, ctx(), json.dumps(text))
    with pytest.raises(PermissionDenied):
        federation.accept(world.principal(who), ctx(), made.id, made.fingerprint)
    assert federation.peer(CONSOLE, "node-c").status == "proposed"
    nso = _node_officer(world)
    assert federation.accept(nso, ctx(), made.id, made.fingerprint).status == "active"


def test_the_node_s_officer_sets_the_recipient_and_the_node_records_its_organisation(
    gbr: Pair, world: World
) -> None:
    operating = world.node.federation.node_organisation(CONSOLE)
    assert operating is not None
    assert operating.name == "Caveat Node Operations (GBR)"
    with pytest.raises(CaveatError) as again:  # settable once
        world.node.federation.set_node_organisation(CONSOLE, ctx(), world.afrl)
    assert again.value.code == "node_organisation_set"
    nso = _node_officer(world)
    made = world.node.federation.set_recipient(
        nso, ctx(), "node-b", organisation=world.dstl, accredited="CONFIDENTIAL"
    )
    assert made.accredited_level == "confidential"


@pytest.mark.parametrize("who", ["operator", "gso"])
def test_naming_a_peering_s_agreements_is_the_node_officer_s_decision(
    gbr: Pair, world: World, who: str
) -> None:
    """Naming an agreement widens what may leave the node: neither the operator who
    recorded the peer alone nor the receiving organisation's officer may do it."""
    a = gbr.a
    operator = world.principal("operator")
    nso = _node_officer(world)
    text = partner_descriptor(log_origin="node-c", witness_name="node-c", nation="GBR")
    made = a.federation.propose(operator, ctx(), json.dumps(text))
    a.federation.accept(nso, ctx(), made.id, made.fingerprint)
    with pytest.raises(PermissionDenied):
        a.federation.set_agreements(world.principal(who), ctx(), "node-c", ["Sensor MoU"])
    assert a.federation.peer(CONSOLE, "node-c").agreements == ()
    named = a.federation.set_agreements(nso, ctx(), "node-c", ["Sensor MoU"])
    assert named.agreements == ("Sensor MoU",)


# --- F8: outbox sequence numbers are global: a peer learns what others are sent ------


def test_a_peer_s_cursor_counts_only_its_own_packages(gbr: Pair, world: World) -> None:
    a = gbr.a
    text = partner_descriptor(log_origin="node-c", witness_name="node-c", nation="GBR")
    made = a.federation.propose(CONSOLE, ctx(), json.dumps(text))
    a.federation.accept(CONSOLE, ctx(), made.id, made.fingerprint)
    a.federation.set_agreements(CONSOLE, ctx(), "node-c", ["Sensor MoU"])
    a.federation.set_recipient(
        CONSOLE, ctx(), "node-c", organisation=world.dstl, accredited="SECRET"
    )
    sol = world.principal("sol")
    for i in range(3):  # three packages for C first
        item = _upload(world, f"for-c-{i}", "SECRET//REL TO USA, GBR")
        a.federation_releases.send(sol, ctx(), "node-c", item)
    mine = _upload(world, "for-b", "SECRET//REL TO USA, GBR")
    sent = a.federation_releases.send(sol, ctx(), "node-b", mine)
    assert sent.seq == 1
    page = outbox_json(a.federation_releases.outbox(_caller_b(gbr), after=0, limit=8))
    items = page["items"]
    assert isinstance(items, list)
    assert [i["seq"] for i in items] == [1]
    assert _b_pulls_from(gbr).pull(ctx(), _a_at_b(gbr)) == 1


def _caller_b(pair: Pair) -> PeerCaller:
    peer = pair.a.federation.peer(CONSOLE, "node-b")
    return PeerCaller(peer.id, peer.node_id, peer.name, peer.nation, peer.organisation)


# --- F9: the receiver keeps a package whose label says it may not be here ------------


def _queue_crafted(
    pair: Pair,
    world: World,
    marking: str,
    *,
    provenance: bool = True,
    origin_node: str | None = None,
) -> None:
    """A (compromised, or its policy bypassed) puts a package for B in its outbox."""
    a, b = pair.a, pair.b
    peer = a.federation.peer(CONSOLE, "node-b")
    with a.uow.read() as session:
        row = session.get(PeerRow, peer.id)
        assert row is not None
        wrapping = load_der_public_key(base64.b64decode(row.wrapping_key))
    label = parse_marking(marking, groups=a.registry.directory(), on=world.today)
    assertions = caveat_assertions(label, parse_export_classification([]))
    if provenance:
        from caveat.adapters.tdf import provenance_assertion

        assertions.append(
            provenance_assertion(
                node_id=origin_node or a.uow.node_id, resource_id=world.plain, version=1
            )
        )
    package = write_package(
        b"spilled\n",
        recipient_key=wrapping,  # type: ignore[arg-type]
        kas_url=kas_url(b.uow.node_id),
        policy=policy_object(uuid=str(uuid.uuid4()), dissem=[b.uow.node_id]),
        assertions=assertions,
        signing_key=a.keys.federation_keys()[0],
    )
    with a.uow(ctx()) as uow:
        counter = uow.session.get(PeerRow, peer.id)
        assert counter is not None
        counter.outbox_seq += 1
        uow.session.add(
            PeerOutboxRow(
                peer_id=peer.id,
                peer_seq=counter.outbox_seq,
                resource_id=world.plain,
                package=package,
                sha256=hashlib.sha256(package).hexdigest(),
                created_at=uow.now,
            )
        )


def _package_refusals(node: Node) -> list[dict[str, Any]]:
    with node.uow.read() as session:
        rows = session.scalars(
            select(EventRow).where(EventRow.type == "peer.package_refused").order_by(EventRow.seq)
        )
        return [json.loads(r.body)["data"] for r in rows]


def _alerts(node: Node, rule: str) -> int:
    with node.uow.read() as session:
        return len(list(session.scalars(select(AlertRow).where(AlertRow.rule == rule))))


def test_a_package_not_releasable_to_the_receiver_s_nation_is_refused(
    gbr: Pair, world: World
) -> None:
    # B is British; A's policy would never send this, but a compromised A could.
    _queue_crafted(gbr, world, "SECRET//REL TO USA, FRA")
    good = _upload(world, "trials", "SECRET//REL TO USA, GBR")
    world.node.federation_releases.send(world.principal("sol"), ctx(), "node-b", good)
    assert _b_pulls_from(gbr).pull(ctx(), _a_at_b(gbr)) == 1  # the rest of the page syncs
    [kept] = gbr.b.federation_releases.received(CONSOLE)
    assert kept.banner == "SECRET//REL TO USA, GBR"
    [refusal] = _package_refusals(gbr.b)
    assert refusal["code"] == "peer_package_not_releasable"
    assert "GBR" in refusal["detail"]
    assert _alerts(gbr.b, "peer_package_refused") == 1


# --- F9b: a received item cannot be traced to the artifact it came from --------------


def test_a_received_item_names_the_artifact_and_node_it_came_from(gbr: Pair, world: World) -> None:
    artifact = _upload(world, "trials", "SECRET//REL TO USA, GBR")
    world.node.federation_releases.send(world.principal("sol"), ctx(), "node-b", artifact)
    assert _b_pulls_from(gbr).pull(ctx(), _a_at_b(gbr)) == 1
    [kept] = gbr.b.federation_releases.received(CONSOLE)
    assert kept.origin_resource_id == artifact
    assert kept.origin_node_id == world.node.uow.node_id
    with gbr.b.uow.read() as session:
        [event] = session.scalars(select(EventRow).where(EventRow.type == "peer.received"))
    data = json.loads(event.body)["data"]
    assert (data["origin_resource_id"], data["origin_node_id"]) == (
        artifact,
        world.node.uow.node_id,
    )


@pytest.mark.parametrize("origin", ["missing", "another node"])
def test_a_package_without_a_valid_provenance_is_refused(
    gbr: Pair, world: World, origin: str
) -> None:
    if origin == "missing":
        _queue_crafted(gbr, world, "SECRET//REL TO USA, GBR", provenance=False)
    else:  # A passes off a third node's item as its own release, or the other way round
        _queue_crafted(gbr, world, "SECRET//REL TO USA, GBR", origin_node=str(uuid.uuid4()))
    assert _b_pulls_from(gbr).pull(ctx(), _a_at_b(gbr)) == 0
    [refusal] = _package_refusals(gbr.b)
    assert refusal["code"] in ("tdf_provenance_invalid", "peer_package_not_origin")
    assert _alerts(gbr.b, "peer_package_refused") == 1


# --- F10: the peer's recorder becomes "not who recorded it" after any rotation -------


def test_a_discarded_rotation_does_not_forget_who_recorded_the_peer(
    pair: Pair, world: World
) -> None:
    a = pair.a
    operator = world.principal("operator")  # A's first operator: operator and officer
    nso = _node_officer(world)
    world.scenario.org("C lab", "FRA")
    text = partner_descriptor(log_origin="node-c", witness_name="node-c")
    made = a.federation.propose(operator, ctx(), json.dumps(text))
    a.federation.accept(nso, ctx(), made.id, made.fingerprint)
    rotated = {**text, "endpoint": "https://c2.example"}
    a.federation.rotate_keys(CONSOLE, ctx(), "node-c", json.dumps(rotated))
    a.federation.discard_keys(CONSOLE, ctx(), "node-c", reason="not from C")
    # The operator recorded the peer in use: they still may not decide who receives it.
    with pytest.raises(PermissionDenied) as refused:
        a.federation.set_recipient(
            operator, ctx(), "node-c", organisation="C lab", accredited="SECRET"
        )
    assert refused.value.code == "self_change"
    # And new keys are confirmed by someone other than who proposed them.
    a.federation.rotate_keys(operator, ctx(), "node-c", json.dumps(rotated))
    with pytest.raises(PermissionDenied):
        a.federation.accept_keys(
            operator,
            ctx(),
            "node-c",
            a.federation.peer(CONSOLE, "node-c").pending_fingerprint or "",
        )
    assert (
        a.federation.accept_keys(
            nso, ctx(), "node-c", a.federation.peer(CONSOLE, "node-c").pending_fingerprint or ""
        ).endpoint
        == "https://c2.example"
    )


# --- F11: two peers may carry the same name; names resolve peers everywhere ----------


def test_a_partner_cannot_take_another_peer_s_name(pair: Pair) -> None:
    text = partner_descriptor(log_origin="node-c", witness_name="node-c", name="node-b")
    with pytest.raises(CaveatError):
        pair.a.federation.propose(CONSOLE, ctx(), json.dumps(text))


# --- F12: endpoints may point into this node's own network ---------------------------


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://169.254.169.254",  # cloud instance metadata (IPv4)
        "https://[fd00:ec2::254]",  # cloud instance metadata (IPv6)
        "https://[fe80::1]",  # link-local
        "https://0.0.0.0:8443",  # unspecified: this host
    ],
)
def test_a_descriptor_endpoint_is_not_a_metadata_link_local_or_unspecified_address(
    pair: Pair, endpoint: str
) -> None:
    text = partner_descriptor(log_origin="node-c", witness_name="node-c", endpoint=endpoint)
    with pytest.raises(CaveatError):
        pair.a.federation.propose(CONSOLE, ctx(), json.dumps(text))


# --- F13: the protocol reads any body of a GET, unsigned, into memory ----------------


def test_an_unsigned_request_s_body_is_not_read_without_bound(pair: Pair) -> None:
    app = create_app(pair.b)
    chunk = b"x" * (1 << 20)
    total = 64
    read = 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        if read >= total:
            return {"type": "http.disconnect"}
        read += 1
        return {"type": "http.request", "body": chunk, "more_body": read < total}

    sent: list[dict[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "https",
        "path": "/federation/v1/hello",
        "raw_path": b"/federation/v1/hello",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"b.example"), (b"transfer-encoding", b"chunked")],
        "server": ("b.example", 443),
        "client": ("203.0.113.9", 5555),
    }
    asyncio.run(app(scope, receive, send))
    [start] = [m for m in sent if m["type"] == "http.response.start"]
    assert start["status"] in (401, 413)
    assert read <= 2, f"{read} MiB of an unsigned GET body were read before refusing it"


# --- F6b: every answer may be 96 MiB and is parsed whole (a hello is a few hundred bytes)


class _PaddedHello:
    """B's real hello answer with 2 MiB of padding added (a hostile or broken peer)."""

    def __init__(self, pair: Pair) -> None:
        self.real = HttpPeerTransport(http=pair.b_http)

    def send(
        self, method: str, url: str, headers: dict[str, str], body: bytes, *, limit: int = 0
    ) -> tuple[int, bytes]:
        status, answer = self.real.send(method, url, headers, body, limit=1 << 26)
        value = json.loads(answer)
        value["pad"] = [{}] * ((2 << 20) // 4)  # 2 MiB; ~25x that once parsed
        return status, json.dumps(value).encode()


def test_a_hello_answer_is_bounded_like_a_hello(pair: Pair) -> None:
    with pytest.raises(CaveatError) as refused:
        linked(pair.a, _PaddedHello(pair)).hello(CONSOLE, "node-b")
    assert refused.value.code == "peer_answer_invalid"


# --- F6c: a signed outbox request with an out-of-range cursor is a 500 --------------


def test_an_out_of_range_cursor_is_a_validation_error_not_a_500(pair: Pair) -> None:
    url = "https://b.example/federation/v1/outbox?after=100000000000000000000&limit=8"
    clock = pair.a.uow.clock
    assert isinstance(clock, FakeClock)
    answer = TestClient(
        create_app(pair.b), raise_server_exceptions=False, base_url="https://b.example"
    ).get(url, headers=_signed(pair, clock, url=url))
    assert answer.status_code == 422, answer.status_code


# --- F14: received banners are shown to every peer reader, cleared or not -----------


def test_a_received_item_is_listed_only_to_readers_the_policy_lets_read_it(
    gbr: Pair, world: World
) -> None:
    artifact = _upload(world, "trials", "SECRET//REL TO USA, GBR")
    world.node.federation_releases.send(world.principal("sol"), ctx(), "node-b", artifact)
    assert _b_pulls_from(gbr).pull(ctx(), _a_at_b(gbr)) == 1
    b = Scenario(gbr.b, world.clock)
    b.person("brit", nations=("GBR",), roles=(Role.SECURITY_OFFICER,), org=b.org("Dstl", "GBR"))
    b.person("french", nations=("FRA",), roles=(Role.AUDITOR,), org=b.org("DGA", "FRA"))

    def reader(username: str) -> Principal:
        return Principal(person=gbr.b.people.get_person(username), mfa_at=world.clock())

    [seen] = gbr.b.federation_releases.received(reader("brit"))
    assert seen.origin_resource_id == artifact
    # Not releasable to a French national: the item is not listed, as if never received.
    assert gbr.b.federation_releases.received(reader("french")) == []
    http = TestClient(create_app(gbr.b), base_url="https://b.example")
    session = b.login(b.accounts["french"])
    answer = http.get(
        "/api/v1/federation/received", headers={"authorization": f"Bearer {session.token}"}
    )
    assert answer.status_code == 200
    assert answer.json() == []


# --- F15: anyone can spend a partner's refusal budget and hide its real refusals ----


def test_strangers_cannot_fold_away_a_partner_s_real_refusal(pair: Pair) -> None:
    clock = pair.a.uow.clock
    assert isinstance(clock, FakeClock)
    clock.advance(seconds=60 - clock().second)  # the start of a minute
    hello = "/federation/v1/hello"
    for _ in range(10):  # no key needed: A's node id is in its descriptor
        forged = _signed(pair, clock, key=Ed25519PrivateKey.generate())
        assert pair.b_http.get(hello, headers=forged).status_code == 401
    real = _signed(pair, clock)
    assert pair.b_http.get(hello, headers=real).status_code == 200
    assert pair.b_http.get(hello, headers=real).status_code == 401  # A replays: an attack
    assert "replay" in [r["refusal"] for r in _refusals(pair.b)]


# --- F16: a package replayed under another seq is kept again ------------------------


class _Replaying:
    """A's real outbox answers, each package served twice (a relay or proxy in between,
    or a partner resending): the second copy under the next seq. In binary frames, or
    (``binary`` False: a peer without them) in JSON."""

    def __init__(self, pair: Pair, *, binary: bool) -> None:
        a_http = TestClient(create_app(pair.a), base_url="https://a.example")
        self.real = HttpPeerTransport(http=a_http)
        self.binary = binary

    def send(
        self, method: str, url: str, headers: dict[str, str], body: bytes, *, limit: int = 0
    ) -> tuple[int, bytes]:
        framed = f"{OUTBOX_FRAMES_PATH}?" in url
        if framed and not self.binary:
            return 404, b'{"detail": "Not Found"}'
        status, answer = self.real.send(method, url, headers, body, limit=1 << 26)
        if framed:
            entries = list(outbox_frames_of("node-a", answer))
            entries += [(seq + 1000, data, kind) for seq, data, kind in entries]
            return status, _releasing.OUTBOX_FRAMES_MAGIC + b"".join(
                _releasing._FRAME.pack(seq, _releasing._KINDS.index(kind), len(data)) + data
                for seq, data, kind in entries
            )
        value = json.loads(answer)
        items = value["items"]
        value["items"] = items + [{**i, "seq": i["seq"] + 1000} for i in items]
        return status, json.dumps(value).encode()


@pytest.mark.parametrize("binary", [True, False])
def test_a_package_replayed_under_another_seq_is_not_kept_twice(
    gbr: Pair, world: World, binary: bool
) -> None:
    artifact = _upload(world, "trials", "SECRET//REL TO USA, GBR")
    world.node.federation_releases.send(world.principal("sol"), ctx(), "node-b", artifact)
    releases(gbr.b, _Replaying(gbr, binary=binary)).pull(ctx(), _a_at_b(gbr))
    assert len(gbr.b.federation_releases.received(CONSOLE)) == 1
