"""Peering: a descriptor recorded by an operator, accepted by another officer who types
the fingerprint they compared out of band; keys rotated the same way; ended for good."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import select

from caveat.adapters.db.models import EventRow
from caveat.bootstrap.container import Node
from caveat.domain.compliance import AgreementKind
from caveat.domain.errors import CaveatError, Conflict, InvalidInput, PermissionDenied
from caveat.domain.federation import PeerStatus, parse_descriptor
from caveat.domain.identity import Role
from caveat.domain.ledger import CosignatureV1Signer, Ed25519Signer
from caveat.services.compliance import AgreementDraft
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext
from tests.support import FakeClock, Scenario

CONSOLE = ConsoleOperator()


def descriptor(node_id: str | None = None, **changes: str) -> dict[str, Any]:
    """A partner's descriptor with fresh keys."""
    signing = Ed25519PrivateKey.generate().public_key()
    wrapping = ec.generate_private_key(ec.SECP256R1()).public_key()
    origin = f"caveat-{uuid.uuid4().hex[:12]}"
    log = Ed25519Signer(origin, Ed25519PrivateKey.generate()).verifier().vkey
    cosigner = CosignatureV1Signer(origin, Ed25519PrivateKey.generate(), timestamp=0)
    text = {
        "protocol": "caveat.federation/1",
        "node_id": node_id or str(uuid.uuid4()),
        "name": "DSTL Porton Down node",
        "nation": "GBR",
        "organisation": "Defence Science and Technology Laboratory",
        "endpoint": "https://caveat.dstl.example:8443",
        "signing_key": base64.b64encode(
            signing.public_bytes(Encoding.Raw, PublicFormat.Raw)
        ).decode(),
        "wrapping_key": base64.b64encode(
            wrapping.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        ).decode(),
        "log_key": log,
        "witness_key": cosigner.verifier().vkey,
    }
    return {**text, **changes}


def fingerprint(text: dict[str, Any]) -> str:
    return parse_descriptor(json.dumps(text)).fingerprint()


@pytest.fixture
def people(node: Node, clock: FakeClock) -> dict[str, Principal]:
    """Operators and officers of the organisation operating the node (`caveat init`'s)."""
    world = Scenario(node, clock)
    operating = world.org("Caveat Node Operations (GBR)", "GBR")
    out = {}
    for name, roles in [
        ("olga", (Role.NODE_OPERATOR,)),
        ("sid", (Role.SECURITY_OFFICER,)),
        ("both", (Role.NODE_OPERATOR, Role.SECURITY_OFFICER)),
        ("rita", (Role.RESEARCHER,)),
    ]:
        world.person(name, roles=roles, nations=("GBR",), org=operating)
        out[name] = Principal(person=node.people.get_person(name), mfa_at=clock())
    return out


def _events(node: Node, kind: str) -> list[EventRow]:
    with node.uow.read() as session:
        return list(
            session.scalars(select(EventRow).where(EventRow.type == kind).order_by(EventRow.seq))
        )


def test_a_peer_needs_an_operator_and_another_officer_with_the_right_fingerprint(
    node: Node, people: dict[str, Principal]
) -> None:
    ctx = CallContext.cli()
    text = descriptor()
    peer = node.federation.propose(people["olga"], ctx, json.dumps(text))
    assert (peer.status, peer.nation, peer.fingerprint) == (
        PeerStatus.PROPOSED,
        "GBR",
        fingerprint(text),
    )
    # A researcher may neither record nor accept; an officer may not record.
    with pytest.raises(PermissionDenied):
        node.federation.propose(people["rita"], ctx, json.dumps(descriptor()))
    with pytest.raises(PermissionDenied):
        node.federation.propose(people["sid"], ctx, json.dumps(descriptor()))
    with pytest.raises(PermissionDenied):
        node.federation.accept(people["rita"], ctx, peer.id, peer.fingerprint)
    # A wrong fingerprint is refused, recorded, and changes nothing.
    wrong = fingerprint(descriptor(text["node_id"]))
    with pytest.raises(Conflict) as refused:
        node.federation.accept(people["sid"], ctx, peer.id, wrong)
    assert refused.value.code == "fingerprint_mismatch"
    assert node.federation.peer(people["sid"], peer.id).status is PeerStatus.PROPOSED
    [event] = _events(node, "peer.fingerprint_refused")
    assert event.outcome == "denied"
    # Typed with colons and in capitals, the right one is accepted.
    typed = peer.fingerprint.replace(" ", ":").upper()
    accepted = node.federation.accept(people["sid"], ctx, peer.node_id, typed)
    assert accepted.status is PeerStatus.ACTIVE
    assert len(_events(node, "peer.accepted")) == 1


def test_nobody_accepts_a_peer_they_recorded(node: Node, people: dict[str, Principal]) -> None:
    ctx = CallContext.cli()
    peer = node.federation.propose(people["both"], ctx, json.dumps(descriptor()))
    with pytest.raises(PermissionDenied) as refused:
        node.federation.accept(people["both"], ctx, peer.id, peer.fingerprint)
    assert refused.value.code == "self_change"
    # The console (the node's own operator at its data directory) may.
    assert node.federation.accept(CONSOLE, ctx, peer.id, peer.fingerprint).status == "active"


def test_descriptors_are_checked_field_by_field(node: Node, people: dict[str, Principal]) -> None:
    ctx = CallContext.cli()
    cases: list[tuple[dict[str, Any], str]] = [
        (descriptor(endpoint="http://caveat.dstl.example"), "endpoint"),
        (descriptor(endpoint="https://user:pw@caveat.dstl.example"), "endpoint"),
        (descriptor(nation="XYZ"), "nation"),
        (descriptor(node_id="node-1"), "node_id"),
        (descriptor(signing_key=base64.b64encode(b"x" * 31).decode()), "signing_key"),
        (descriptor(wrapping_key=descriptor()["signing_key"]), "wrapping_key"),
        (descriptor(protocol="caveat.federation/9"), "protocol"),
        ({**descriptor(), "admin": "yes"}, "descriptor"),
    ]
    for text, field in cases:
        with pytest.raises(InvalidInput) as refused:
            node.federation.propose(people["olga"], ctx, json.dumps(text))
        assert refused.value.field == field, text
    with pytest.raises(InvalidInput) as refused:
        node.federation.propose(people["olga"], ctx, "x" * 5000)
    assert refused.value.code == "invalid_descriptor"
    # A node does not peer with itself.
    own = node.federation.descriptor(
        CONSOLE,
        name="Own node",
        nation="USA",
        organisation="Air Force Research Laboratory",
        endpoint="https://caveat.afrl.example",
    )
    with pytest.raises(InvalidInput) as refused:
        node.federation.propose(people["olga"], ctx, json.dumps(own.to_json()))
    assert refused.value.code == "self_peering"
    assert _events(node, "peer.proposed") == []


def test_own_descriptor_is_stable_and_parses_back(node: Node) -> None:
    args = {
        "name": "Own node",
        "nation": "USA",
        "organisation": "Air Force Research Laboratory",
        "endpoint": "https://caveat.afrl.example/",
    }
    first = node.federation.descriptor(CONSOLE, **args)
    assert first == node.federation.descriptor(CONSOLE, **args)  # keys made once
    assert first.node_id == node.uow.node_id
    assert first.endpoint == "https://caveat.afrl.example"
    assert parse_descriptor(json.dumps(first.to_json())) == first


def test_new_keys_wait_for_their_own_fingerprint(node: Node, people: dict[str, Principal]) -> None:
    ctx = CallContext.cli()
    text = descriptor()
    peer = node.federation.propose(people["olga"], ctx, json.dumps(text))
    node.federation.accept(people["sid"], ctx, peer.id, peer.fingerprint)
    rotated = descriptor(text["node_id"])
    waiting = node.federation.rotate_keys(people["olga"], ctx, peer.id, json.dumps(rotated))
    assert waiting.status is PeerStatus.ROTATING
    assert waiting.fingerprint == peer.fingerprint  # the old keys stay in use
    assert waiting.pending_fingerprint == fingerprint(rotated)
    with pytest.raises(Conflict):  # the old fingerprint does not confirm the new keys
        node.federation.accept_keys(people["sid"], ctx, peer.id, peer.fingerprint)
    done = node.federation.accept_keys(people["sid"], ctx, peer.id, fingerprint(rotated))
    assert (done.status, done.fingerprint, done.pending_fingerprint) == (
        PeerStatus.ACTIVE,
        fingerprint(rotated),
        None,
    )
    # Another node's descriptor is not a rotation; the same one is no change.
    with pytest.raises(InvalidInput) as refused:
        node.federation.rotate_keys(people["olga"], ctx, peer.id, json.dumps(descriptor()))
    assert refused.value.code == "peer_mismatch"
    with pytest.raises(Conflict) as same:
        node.federation.rotate_keys(people["olga"], ctx, peer.id, json.dumps(rotated))
    assert same.value.code == "peer_unchanged"


def test_a_revoked_peer_stays_revoked(node: Node, people: dict[str, Principal]) -> None:
    ctx = CallContext.cli()
    text = descriptor()
    peer = node.federation.propose(people["olga"], ctx, json.dumps(text))
    node.federation.accept(people["sid"], ctx, peer.id, peer.fingerprint)
    with pytest.raises(InvalidInput):
        node.federation.revoke(people["sid"], ctx, peer.id, reason="")
    gone = node.federation.revoke(people["sid"], ctx, peer.id, reason="agreement terminated")
    assert gone.status is PeerStatus.REVOKED
    attempts: tuple[Callable[[], object], ...] = (
        lambda: node.federation.accept(people["sid"], ctx, peer.id, peer.fingerprint),
        lambda: node.federation.rotate_keys(
            people["olga"], ctx, peer.id, json.dumps(descriptor(text["node_id"]))
        ),
        lambda: node.federation.propose(people["olga"], ctx, json.dumps(text)),
    )
    for attempt in attempts:
        with pytest.raises(Conflict):
            attempt()


def test_agreements_named_must_be_in_force_with_the_peers_nation(
    node: Node, people: dict[str, Principal], clock: FakeClock
) -> None:
    ctx = CallContext.cli()
    world = Scenario(node, clock)
    world.org("Defence Science and Technology Laboratory", "GBR")
    project = node.projects.create_project(CONSOLE, ctx, name="Sensors").id

    def agreement(name: str, nations: tuple[str, ...], *, activate: bool) -> str:
        made = node.agreements.create(
            CONSOLE,
            ctx,
            AgreementDraft(
                name=name,
                kind=AgreementKind.MOU,
                effective_on=date(2025, 1, 1),
                expires_on=date(2035, 1, 1),
                max_level=2,
                party_nations=nations,
                projects=(project,),
                technology_areas=("sensors",),
            ),
        )
        if activate:
            node.agreements.move(CONSOLE, ctx, made.id, "activate", reason="signed")
        return made.id

    mou = agreement("US-UK sensor MoU", ("USA", "GBR"), activate=True)
    draft = agreement("US-UK draft", ("USA", "GBR"), activate=False)
    other = agreement("US-FR MoU", ("USA", "FRA"), activate=True)
    peer = node.federation.propose(people["olga"], ctx, json.dumps(descriptor()))
    codes = []
    for refused in (draft, other, "no such agreement"):
        with pytest.raises(CaveatError) as caught:
            node.federation.set_agreements(people["sid"], ctx, peer.id, [refused])
        codes.append(caught.value.code)
    assert codes == ["agreement_not_in_force", "peer_not_a_party", "unknown_agreement"]
    named = node.federation.set_agreements(people["sid"], ctx, peer.id, [mou, "US-UK sensor MoU"])
    assert named.agreements == ("US-UK sensor MoU",)
    assert node.federation.set_agreements(people["sid"], ctx, peer.id, []).agreements == ()
    assert len(_events(node, "peer.agreements_set")) == 2
