"""Peering with partner nodes: record a descriptor, confirm its fingerprint, rotate its
keys the same way, name the agreements exchange happens under, end it (ADR 0019).

Accepting a peer (or its new keys) is a trust decision, so it takes two people: an
operator records what arrived, a security officer who did not record it compares the
fingerprint with the partner by another channel and types it. A mismatch is refused and
recorded; it may be an attacker's descriptor.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from caveat.adapters.db.models.compliance import AgreementPartyRow, AgreementRow
from caveat.adapters.db.models.federation import PeerAgreementRow, PeerRow
from caveat.adapters.keys import KeyProvider
from caveat.domain.compliance import require_reason
from caveat.domain.errors import (
    Conflict,
    IntegrityError,
    InvalidInput,
    NotFound,
    ServiceUnavailable,
)
from caveat.domain.events import Outcome
from caveat.domain.federation import (
    PeerDescriptor,
    PeerStatus,
    normalise_fingerprint,
    parse_descriptor,
    require_endpoint,
)
from caveat.domain.identity import parse_common_level
from caveat.domain.lifecycle import require_move
from caveat.domain.lifecycles import PEER
from caveat.domain.nations import require_nation
from caveat.domain.permissions import Act, Target
from caveat.domain.policy import level_name
from caveat.services.federation._outbound import (
    HELLO_BYTES,
    Outbound,
    PeerHello,
    answer_json,
    hello_of,
    url_of,
)
from caveat.services.federation._preview import ReleasePreview, preview_page
from caveat.services.federation._requests import PeerRequests
from caveat.services.kernel.authorize import authorize
from caveat.services.kernel.ports import PeerTransport
from caveat.services.kernel.principal import Acting, Principal
from caveat.services.kernel.records import canonical, find_organisation, new_id
from caveat.services.kernel.uow import CallContext, UnitOfWorkFactory
from caveat.services.ledger import LedgerService, WitnessService
from caveat.services.node import operating_organisation, record_operating_organisation
from caveat.services.policy import PolicyService
from caveat.services.projects import find_project


@dataclass(frozen=True, slots=True)
class Peer:
    """A partner node as officers see it."""

    id: str
    node_id: str
    name: str
    nation: str
    organisation: str
    endpoint: str
    fingerprint: str
    status: PeerStatus
    pending_fingerprint: str | None
    agreements: tuple[str, ...]  # names, in force or not
    recipient_organisation: str | None  # the local organisation releases to it go to
    accredited_level: str  # the highest common level it may be sent
    created_at: datetime
    changed_at: datetime
    receiving_project: str | None = None  # the local project its releases become artifacts of


@dataclass(frozen=True, slots=True)
class NodeOrganisation:
    """The organisation operating this node."""

    id: str
    name: str
    nation: str


class FederationService:
    """This node's descriptor and its peers (operators, security officers, auditors)."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        keys: KeyProvider,
        requests: PeerRequests,
        transport: PeerTransport,
        policy: PolicyService,
        ledger: LedgerService,
        witnesses: WitnessService,
    ) -> None:
        self._uow = uow
        self._policy = policy
        self._ledger = ledger
        self._witnesses = witnesses
        self._keys = keys
        self._transport = transport
        self.requests = requests  # authenticates what peers send (the protocol's routes)

    def descriptor(
        self, by: Acting, *, name: str, nation: str, organisation: str, endpoint: str
    ) -> PeerDescriptor:
        """What to hand a partner's operator: this node's id and public keys, with where
        it answers and whose it is (checked as a partner would check them)."""
        authorize(by, Act.PEER_READ)
        signing, wrapping = self._keys.federation_keys()
        text = PeerDescriptor(
            node_id=self._uow.node_id,
            name=name,
            nation=require_nation(nation),
            organisation=organisation,
            endpoint=require_endpoint(endpoint),
            signing_key=_b64(signing.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)),
            wrapping_key=_b64(
                wrapping.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
            ),
            log_key=self._ledger.verifier().vkey,
            witness_key=self._witnesses.cosigner_vkey(),
        ).to_json()
        return parse_descriptor(canonical(text))

    def propose(self, by: Acting, ctx: CallContext, text: bytes | str) -> Peer:
        """Record a partner's descriptor; it does nothing until an officer accepts it."""
        authorize(by, Act.PEER_PROPOSE)
        descriptor = parse_descriptor(text)
        if descriptor.node_id == self._uow.node_id:
            raise InvalidInput(
                "this is this node's own descriptor", code="self_peering", field="node_id"
            )
        with self._uow(ctx) as uow:
            session = uow.session
            if session.scalar(select(PeerRow).where(PeerRow.node_id == descriptor.node_id)):
                raise Conflict(
                    f"node {descriptor.node_id} is already a peer (or was: a revoked "
                    "peering is kept for the record)",
                    code="peer_exists",
                    hint="to change its keys or endpoint, `caveat federation rotate`",
                )
            _require_free_name(session, descriptor.name, None)
            now = uow.now
            row = PeerRow(
                id=new_id(),
                node_id=descriptor.node_id,
                status=PeerStatus.PROPOSED.value,
                proposed_by=_person(by),
                created_at=now,
                changed_at=now,
            )
            _apply(row, descriptor)
            session.add(row)
            uow.record(
                "peer.proposed",
                by.actor(),
                target_id=row.id,
                data={**_facts(descriptor), "fingerprint": row.fingerprint},
            )
            session.flush()
            return _view(session, row)

    def accept(self, by: Acting, ctx: CallContext, ref: str, fingerprint: str) -> Peer:
        """Confirm a proposed peer: ``fingerprint`` is what its operator read out."""
        return self._confirm(by, ctx, ref, fingerprint, verb="accept")

    def rotate_keys(self, by: Acting, ctx: CallContext, ref: str, text: bytes | str) -> Peer:
        """Record a peer's new descriptor (keys, endpoint or names); the old one stays
        in use until an officer confirms the new fingerprint."""
        authorize(by, Act.PEER_PROPOSE)
        descriptor = parse_descriptor(text)
        with self._uow(ctx) as uow:
            row = _find(uow.session, ref)
            require_move(PEER, "rotate_keys", PeerStatus(row.status), subject=_subject(row))
            if descriptor.node_id != row.node_id:
                raise InvalidInput(
                    f"the descriptor is for node {descriptor.node_id}, not {row.node_id}",
                    code="peer_mismatch",
                    field="node_id",
                )
            if (descriptor.nation, descriptor.organisation) != (row.nation, row.organisation):
                # What a peer may receive was decided for its nation and organisation:
                # another of either is a new peering, never a key rotation.
                raise Conflict(
                    f"the new descriptor names {descriptor.organisation} "
                    f"({descriptor.nation}), not {row.organisation} ({row.nation})",
                    code="peer_identity_changed",
                    hint="end this peering and propose the new node as a peer of its own",
                )
            _require_free_name(uow.session, descriptor.name, row.id)
            fingerprint = descriptor.fingerprint()
            if fingerprint == row.fingerprint:
                raise Conflict("the descriptor is the one in use", code="peer_unchanged")
            row.status = PeerStatus.ROTATING.value
            row.pending_descriptor = canonical(descriptor.to_json())
            # Who recorded the peering stays recorded: it decides who may set its
            # recipient; who proposed these keys decides who may confirm them.
            row.keys_proposed_by = _person(by)
            row.changed_at = uow.now
            uow.record(
                "peer.keys_proposed",
                by.actor(),
                target_id=row.id,
                data={**_facts(descriptor), "fingerprint": fingerprint},
            )
            return _view(uow.session, row)

    def accept_keys(self, by: Acting, ctx: CallContext, ref: str, fingerprint: str) -> Peer:
        """Confirm a peer's new descriptor by its fingerprint; it replaces the old one."""
        return self._confirm(by, ctx, ref, fingerprint, verb="accept_keys")

    def discard_keys(self, by: Acting, ctx: CallContext, ref: str, *, reason: str) -> Peer:
        """Drop a peer's proposed descriptor; the one in use stays."""
        reason = require_reason(reason)
        with self._uow(ctx) as uow:
            row = _find(uow.session, ref)
            authorize(by, Act.PEER_REVOKE, _node_target(uow.session, row))
            require_move(PEER, "discard_keys", PeerStatus(row.status), subject=_subject(row))
            row.status = PeerStatus.ACTIVE.value
            row.pending_descriptor = None
            row.keys_proposed_by = None
            row.changed_at = uow.now
            uow.record("peer.keys_discarded", by.actor(), target_id=row.id, data={"reason": reason})
            return _view(uow.session, row)

    def revoke(self, by: Acting, ctx: CallContext, ref: str, *, reason: str) -> Peer:
        """End a peering for good (the record stays; a new one needs a new node id)."""
        reason = require_reason(reason)
        with self._uow(ctx) as uow:
            row = _find(uow.session, ref)
            authorize(by, Act.PEER_REVOKE, _node_target(uow.session, row))
            require_move(PEER, "revoke", PeerStatus(row.status), subject=_subject(row))
            row.status = PeerStatus.REVOKED.value
            row.pending_descriptor = None
            row.keys_proposed_by = None
            row.changed_at = uow.now
            uow.record("peer.revoked", by.actor(), target_id=row.id, data={"reason": reason})
            return _view(uow.session, row)

    def set_agreements(
        self, by: Acting, ctx: CallContext, ref: str, agreements: Sequence[str]
    ) -> Peer:
        """The agreements exchange with a peer happens under: each in force today and
        naming the peer's nation as a party (an empty list stops exchange). Naming one
        widens what may leave this node, so it is decided as the recipient is."""
        with self._uow(ctx) as uow:
            session = uow.session
            row = _find(session, ref)
            authorize(by, Act.PEER_SET_AGREEMENTS, _node_target(session, row))
            if PeerStatus(row.status) is PeerStatus.REVOKED:
                raise Conflict(f"{_subject(row)} is revoked", code="invalid_peer_transition")
            today = uow.now.date()
            chosen = sorted({_agreement(session, a, row.nation, today).id for a in agreements})
            session.execute(delete(PeerAgreementRow).where(PeerAgreementRow.peer_id == row.id))
            session.add_all(PeerAgreementRow(peer_id=row.id, agreement_id=a) for a in chosen)
            row.changed_at = uow.now
            uow.record(
                "peer.agreements_set", by.actor(), target_id=row.id, data={"agreements": chosen}
            )
            session.flush()
            return _view(session, row)

    def set_recipient(
        self, by: Acting, ctx: CallContext, ref: str, *, organisation: str, accredited: str
    ) -> Peer:
        """Who receives what is released to a peer: the registered organisation that runs
        it (of the peer's nation) and the highest level the node is accredited to hold.
        It decides what may leave this node, so it is the decision of a security officer
        of the organisation operating the node: not of the organisation receiving (before
        or after the change), and not the person who recorded the peer."""
        level = parse_common_level(accredited)
        with self._uow(ctx) as uow:
            session = uow.session
            row = _find(session, ref)
            authorize(by, Act.PEER_SET_RECIPIENT, _node_target(session, row))
            org = find_organisation(session, organisation)
            authorize(by, Act.PEER_SET_RECIPIENT, _node_target(session, row, org.id))
            if PeerStatus(row.status) is PeerStatus.REVOKED:
                raise Conflict(f"{_subject(row)} is revoked", code="invalid_peer_transition")
            if org.nation != row.nation:
                raise Conflict(
                    f"{org.name} is an organisation of {org.nation}; "
                    f"peer {row.name} is {row.nation}",
                    code="peer_not_a_party",
                    field="organisation",
                )
            before = {"organisation_id": row.organisation_id, "level": row.accredited_level}
            row.organisation_id, row.accredited_level = org.id, int(level)
            row.changed_at = uow.now
            uow.record(
                "peer.recipient_set",
                by.actor(),
                target_id=row.id,
                data={
                    "organisation_id": org.id,
                    "accredited_level": int(level),
                    "before": before,
                },
            )
            session.flush()
            return _view(session, row)

    def set_receiving_project(
        self, by: Acting, ctx: CallContext, ref: str, project: str | None
    ) -> Peer:
        """The local project what the peer releases here becomes artifacts of (None:
        received items stay sealed, listed to officers). It decides which local readers
        a partner's releases reach, so it is decided as the recipient is: a security
        officer of the organisation operating the node who did not record the peer. The
        peer's organisation must be recorded first: it is the artifacts' originator."""
        with self._uow(ctx) as uow:
            session = uow.session
            row = _find(session, ref)
            authorize(by, Act.PEER_SET_RECEIVING_PROJECT, _node_target(session, row))
            if PeerStatus(row.status) is PeerStatus.REVOKED:
                raise Conflict(f"{_subject(row)} is revoked", code="invalid_peer_transition")
            chosen = None if project is None else find_project(session, project).id
            if chosen is not None and row.organisation_id is None:
                raise Conflict(
                    f"record the organisation receiving {_subject(row)}'s releases first: "
                    "it originates what is received from it",
                    code="receiving_project_invalid",
                    field="project",
                    hint="`caveat federation recipient PEER --organisation ORG --accredited LEVEL`",
                )
            before = row.receiving_project_id
            row.receiving_project_id = chosen
            row.receiving_set_by = _person(by) if chosen is not None else None
            row.changed_at = uow.now
            uow.record(
                "peer.receiving_project_set",
                by.actor(),
                target_id=row.id,
                data={"project_id": chosen, "before": before},
            )
            session.flush()
            return _view(session, row)

    def node_organisation(self, by: Acting) -> NodeOrganisation | None:
        """The organisation operating this node (None until recorded)."""
        authorize(by, Act.PEER_READ)
        with self._uow.read() as session:
            found = operating_organisation(session)
            if found is None:
                return None
            org = find_organisation(session, found)
            return NodeOrganisation(org.id, org.name, org.nation)

    def set_node_organisation(
        self, by: Acting, ctx: CallContext, organisation: str
    ) -> NodeOrganisation:
        """Record, once, which registered organisation operates this node (a node made
        before `caveat init` recorded it, where the upgrade could not tell)."""
        authorize(by, Act.NODE_ORGANISATION_SET)
        with self._uow(ctx) as uow:
            org = find_organisation(uow.session, organisation)
            record_operating_organisation(uow, by.actor(), org.id)
            return NodeOrganisation(org.id, org.name, org.nation)

    def preview(
        self, by: Acting, ref: str, *, after: str | None = None, limit: int = 200
    ) -> ReleasePreview:
        """What the peer would receive of the catalogue, and why not the rest: the policy
        decides each item for the node (a page by resource id; nothing is sent)."""
        authorize(by, Act.PEER_READ)
        with self._uow.read() as session:
            row = _find(session, ref)
            return preview_page(
                session, self._policy, by, row, self._uow.clock(), after=after, limit=limit
            )

    def peers(self, by: Acting) -> list[Peer]:
        """Every peer, revoked ones too, by name."""
        authorize(by, Act.PEER_READ)
        with self._uow.read() as session:
            rows = session.scalars(select(PeerRow).order_by(PeerRow.name, PeerRow.id)).all()
            return [_view(session, r) for r in rows]

    def peer(self, by: Acting, ref: str) -> Peer:
        """One peer by id, node id or name."""
        authorize(by, Act.PEER_READ)
        with self._uow.read() as session:
            return _view(session, _find(session, ref))

    def hello(self, by: Acting, ref: str) -> PeerHello:
        """Ask a peer who it is, over the signed protocol: proves both ways that the
        peering works (its endpoint answers as the node accepted here, and it accepts
        this node's signature) and brings its latest checkpoint."""
        authorize(by, Act.PEER_READ)
        with self._uow.read() as session:
            row = _find(session, ref)
            if row.status not in (PeerStatus.ACTIVE.value, PeerStatus.ROTATING.value):
                raise Conflict(f"{_subject(row)} is {row.status}", code="invalid_peer_transition")
            name, node_id, url = row.name, row.node_id, url_of(row.endpoint, "/hello")
            log_key = row.log_key
        signing, _ = self._keys.federation_keys()
        signer = Outbound(self._uow.node_id, signing, self._uow.clock())
        try:
            status, body = self._transport.send(
                "GET", url, signer.headers("GET", url, b"", to=node_id), b"", limit=HELLO_BYTES
            )
        except ConnectionError as exc:
            raise ServiceUnavailable(
                f"peer {name} cannot be reached: {exc}", code="peer_unavailable"
            ) from exc
        if len(body) > HELLO_BYTES:  # whatever the transport let through
            raise IntegrityError(
                f"peer {name} answered an oversized hello", code="peer_answer_invalid"
            )
        return hello_of(name, node_id, log_key, answer_json(name, status, body))

    def _confirm(
        self, by: Acting, ctx: CallContext, ref: str, fingerprint: str, *, verb: str
    ) -> Peer:
        typed = normalise_fingerprint(fingerprint)
        with self._uow(ctx) as uow:
            row = _find(uow.session, ref)
            proposer = row.proposed_by if verb == "accept" else row.keys_proposed_by
            # Trusting a partner's keys is the operating organisation's decision, like
            # who receives what and ending a peering; never the recipient's own officer.
            target = replace(_node_target(uow.session, row), requested_by=proposer)
            authorize(by, Act.PEER_ACCEPT, target)
            require_move(PEER, verb, PeerStatus(row.status), subject=_subject(row))
            pending = None if verb == "accept" else parse_descriptor(row.pending_descriptor or "")
            expected = row.fingerprint if pending is None else pending.fingerprint()
            subject = _subject(row)
            if hmac.compare_digest(typed, expected):
                in_use = None if pending is None else (row.log_key, row.witness_key)
                if pending is not None:
                    _apply(row, pending)
                    row.pending_descriptor = None
                    row.keys_proposed_by = None
                row.status = PeerStatus.ACTIVE.value
                row.changed_at = uow.now
                # Confirmed keys: each node now witnesses the other's log (ADR 0019).
                self._witnesses.witness_each_other_in(
                    uow,
                    by.actor(),
                    log_vkey=row.log_key,
                    witness_vkey=row.witness_key,
                    url=row.endpoint,
                    replacing=in_use,
                )
                uow.record(
                    "peer.accepted" if verb == "accept" else "peer.keys_accepted",
                    by.actor(),
                    target_id=row.id,
                    data={"fingerprint": expected},
                )
                return _view(uow.session, row)
            peer_id = row.id
        self._refuse_fingerprint(by, ctx, peer_id, typed)
        raise Conflict(
            f"the fingerprint does not match {subject}'s descriptor; nothing changed",
            code="fingerprint_mismatch",
            field="fingerprint",
            hint="compare it again with the partner's operator, by a channel other than "
            "the one the descriptor came by; a mismatch may mean a forged descriptor",
        )

    def _refuse_fingerprint(self, by: Acting, ctx: CallContext, peer_id: str, typed: str) -> None:
        """A wrong fingerprint is an event of its own (its transaction commits)."""
        with self._uow(ctx) as uow:
            uow.record(
                "peer.fingerprint_refused",
                by.actor(),
                target_id=peer_id,
                outcome=Outcome.DENIED,
                data={"typed": typed},
            )


def _apply(row: PeerRow, d: PeerDescriptor) -> None:
    row.name, row.nation, row.organisation, row.endpoint = (
        d.name,
        d.nation,
        d.organisation,
        d.endpoint,
    )
    row.signing_key, row.wrapping_key, row.fingerprint = (
        d.signing_key,
        d.wrapping_key,
        d.fingerprint(),
    )
    row.log_key, row.witness_key = d.log_key, d.witness_key


def _facts(d: PeerDescriptor) -> dict[str, str]:
    return {"node_id": d.node_id, "name": d.name, "nation": d.nation, "endpoint": d.endpoint}


def _require_free_name(session: Session, name: str, peer_id: str | None) -> None:
    """Peers are found by name: no two may share one (case aside)."""
    taken = session.scalar(
        select(PeerRow.id).where(
            func.lower(PeerRow.name) == name.lower(), PeerRow.id != (peer_id or "")
        )
    )
    if taken is not None:
        raise Conflict(f"another peer is named {name!r}", code="peer_name_taken", field="name")


def _find(session: Session, ref: str) -> PeerRow:
    for column in (PeerRow.id, PeerRow.node_id, PeerRow.name):
        row = session.scalar(select(PeerRow).where(column == ref))
        if row is not None:
            return row
    raise NotFound(f"no peer {ref!r}", code="unknown_peer", field="peer")


def _agreement(session: Session, ref: str, nation: str, today: date) -> AgreementRow:
    row = session.get(AgreementRow, ref) or session.scalar(
        select(AgreementRow).where(AgreementRow.name == ref)
    )
    if row is None:
        raise NotFound(f"no agreement {ref!r}", code="unknown_agreement", field="agreements")
    in_force = row.status == "in_force" and row.effective_on <= today
    if not in_force or (row.expires_on is not None and row.expires_on < today):
        raise Conflict(f"agreement {row.name!r} is not in force", code="agreement_not_in_force")
    party = session.get(AgreementPartyRow, (row.id, "nation", nation))
    if party is None:
        raise Conflict(
            f"{nation} is not a party to agreement {row.name!r}", code="peer_not_a_party"
        )
    return row


def _view(session: Session, row: PeerRow) -> Peer:
    names = session.scalars(
        select(AgreementRow.name)
        .join(PeerAgreementRow, PeerAgreementRow.agreement_id == AgreementRow.id)
        .where(PeerAgreementRow.peer_id == row.id)
        .order_by(AgreementRow.name)
    ).all()
    pending = (
        parse_descriptor(row.pending_descriptor).fingerprint() if row.pending_descriptor else None
    )
    return Peer(
        id=row.id,
        node_id=row.node_id,
        name=row.name,
        nation=row.nation,
        organisation=row.organisation,
        endpoint=row.endpoint,
        fingerprint=row.fingerprint,
        status=PeerStatus(row.status),
        pending_fingerprint=pending,
        agreements=tuple(names),
        recipient_organisation=None
        if row.organisation_id is None
        else find_organisation(session, row.organisation_id).name,
        accredited_level=level_name(row.accredited_level),
        created_at=row.created_at,
        changed_at=row.changed_at,
        receiving_project=None
        if row.receiving_project_id is None
        else find_project(session, row.receiving_project_id).name,
    )


def _node_target(session: Session, row: PeerRow, *also: str) -> Target:
    """The facts the rules on a peer's recipient and ending look at: the organisation
    operating this node, the organisations receiving (now, and ``also`` after the
    change) and who recorded the peer."""
    receiving = {o for o in (row.organisation_id, *also) if o is not None}
    return Target(
        node_organisation_id=operating_organisation(session),
        recipient_organisations=frozenset(receiving),
        requested_by=row.proposed_by,
    )


def _subject(row: PeerRow) -> str:
    return f"peer {row.name}"


def _person(by: Acting) -> str | None:
    return by.person_id if isinstance(by, Principal) else None


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()
