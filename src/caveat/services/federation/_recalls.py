"""Recalling releases (issue 18, ADR 0019): the originator takes back what it released
to a peer, the peer hides it at once and confirms.

Sending: an officer of the originating organisation (or the node's own officer, or the
console) recalls what was released of an artifact to a peer, with a reason. In the same
transaction a signed recall statement joins the peer's outbox after the packages it
recalls (``peer.recalled``); packages of the artifact still waiting there are withheld
when the peer next pulls. An agreement suspended, expired or terminated recalls, in the
transaction that changes it, every release to a peer naming it that the agreements still
in force no longer cover (the policy decides again, on the session's state).

Receiving: the recall is pulled with the packages, believed only under the sending
peer's key and only for items that peer originated; the items are marked recalled and
every reader loses them at once (``peer.recall_received``, with what was hidden, or
that nothing was held). On each later exchange the receiver confirms the recalls the
originator has not acknowledged yet, in a signed request; the originator records each
confirmation once (``peer.recall_confirmed``). A recall also destroys this node's key
splits of the split-mode releases it covers, in its transaction (ADR 0033)."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from caveat.adapters.db.models.federation import (
    PeerAgreementRow,
    PeerKeySplitRow,
    PeerOutboxRow,
    PeerRecallRow,
    PeerReceivedRow,
    PeerRow,
)
from caveat.adapters.keys import KeyProvider
from caveat.domain.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable
from caveat.domain.events import Actor
from caveat.domain.federation import PeerStatus
from caveat.domain.federation_recalls import (
    RecallOutcome,
    RecallReason,
    RecallStatement,
    open_recall,
    require_reason,
    sign_recall,
)
from caveat.domain.permissions import Act, Target
from caveat.domain.policy import Context, Requirement, decide_node_release
from caveat.services.compliance import terms_in_force
from caveat.services.federation._ingest import withdraw_recalled
from caveat.services.federation._outbound import Outbound, answer_json, url_of
from caveat.services.federation._peers import _find
from caveat.services.federation._preview import recipient_of
from caveat.services.federation._requests import PeerCaller
from caveat.services.kernel.authorize import authorize
from caveat.services.kernel.ports import PeerTransport
from caveat.services.kernel.principal import Acting, Principal
from caveat.services.kernel.uow import CallContext, UnitOfWork, UnitOfWorkFactory
from caveat.services.node import operating_organisation
from caveat.services.policy import PolicyService, find_resource, not_found, resource_of

SENT, RECEIVED = "sent", "received"
MAX_CONFIRMATIONS = 100  # per request: a confirmation is a few dozen bytes
CONFIRM_PATH = "/recalls/confirmations"


@dataclass(frozen=True, slots=True)
class Recall:
    """A recall this node sent a peer, or one a peer sent this node."""

    id: str
    direction: str  # sent | received
    peer: str
    resource_id: str  # the artifact on the originating node
    reason: str
    detail: str
    recalled_at: datetime  # by the originator's clock
    recorded_at: datetime  # by this node's
    outcome: str  # what the receiver did: hidden | not_held | already_recalled ('' yet)
    hidden: int  # how many received items it hid
    confirmed_at: datetime | None  # sent: the peer's confirmation; received: acknowledged

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


class _SessionAgreements:
    """The agreements in force as this transaction sees them (a change not committed
    yet included), for deciding inside the unit of work that changes one."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def in_force(self, *, organisation_id: str, nation: str, on: date) -> Any:
        return terms_in_force(self._session, organisation_id=organisation_id, nation=nation, on=on)


class PeerRecalls:
    """Recalls releases to peers, and confirms the recalls of peers."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        keys: KeyProvider,
        policy: PolicyService,
        transport: PeerTransport,
    ) -> None:
        self._uow = uow
        self._keys = keys
        self._policy = policy
        self._transport = transport

    # --- the originator -----------------------------------------------------------

    def recall(
        self,
        by: Acting,
        ctx: CallContext,
        peer_ref: str,
        artifact_id: str,
        *,
        reason: str,
        detail: str = "",
    ) -> Recall:
        """Recall what was released of an artifact to a peer."""
        why, text = require_reason(reason, detail)
        now = self._uow.clock()
        with self._uow(ctx) as uow:
            session = uow.session
            peer = _find(session, peer_ref)
            row = find_resource(session, artifact_id)
            if isinstance(by, Principal) and artifact_id not in self._policy.discoverable_in(
                session, by, [row.id], now
            ):
                raise not_found(artifact_id)
            authorize(
                by,
                Act.PEER_RECALL,
                Target(
                    originator_org_id=row.originator_org_id,
                    node_organisation_id=operating_organisation(session),
                    recipient_organisations=frozenset(
                        o for o in (peer.organisation_id,) if o is not None
                    ),
                ),
            )
            made = self._recall_within(
                uow,
                peer,
                row.id,
                why,
                text,
                by.actor(),
                recalled_by=by.person_id if isinstance(by, Principal) else None,
            )
            return _view(made, peer.name)

    def recall_uncovered(self, uow: UnitOfWork, agreement_id: str, actor: Actor) -> None:
        """After an agreement stops being in force (in the transaction that changed it):
        recall every release to a peer naming it that the agreements still in force the
        peering names no longer cover. A hook of the agreements' service."""
        session = uow.session
        session.flush()
        peers = session.scalars(
            select(PeerRow)
            .join(PeerAgreementRow, PeerAgreementRow.peer_id == PeerRow.id)
            .where(
                PeerAgreementRow.agreement_id == agreement_id,
                PeerRow.status.in_((PeerStatus.ACTIVE.value, PeerStatus.ROTATING.value)),
            )
            .order_by(PeerRow.id)
        ).all()
        env = replace(self._policy.environment(), agreements=_SessionAgreements(session))
        for peer in peers:
            node = recipient_of(session, peer)
            context = Context(uow.now, None, env)
            for resource_id in _released_live(session, peer.id):
                resource = resource_of(find_resource(session, resource_id), self._policy.schemes)
                decision = decide_node_release(node, resource, context)
                if Requirement.AGREEMENT in decision.failed:
                    self._recall_within(
                        uow,
                        peer,
                        resource_id,
                        RecallReason.AGREEMENT_ENDED,
                        f"agreement {agreement_id} is no longer in force",
                        actor,
                        recalled_by=None,
                        agreement_id=agreement_id,
                    )

    def _recall_within(
        self,
        uow: UnitOfWork,
        peer: PeerRow,
        resource_id: str,
        reason: RecallReason,
        detail: str,
        actor: Actor,
        *,
        recalled_by: str | None,
        agreement_id: str | None = None,
    ) -> PeerRecallRow:
        session = uow.session
        last_package, last_recall = _last_seqs(session, peer.id, resource_id)
        if last_package is None and last_recall is None:
            raise NotFound(
                f"nothing of {resource_id} was released to peer {peer.name}",
                code="release_not_sent",
            )
        if last_recall is not None and (last_package is None or last_recall > last_package):
            # (a recalled package still waiting is withheld and dropped when next served)
            raise Conflict(
                f"what was released of {resource_id} to peer {peer.name} is recalled already",
                code="release_already_recalled",
            )
        counter = session.get(PeerRow, peer.id, with_for_update=True)
        assert counter is not None
        counter.outbox_seq = (counter.outbox_seq or 0) + 1
        recall_id = str(uuid.uuid4())
        signing, _ = self._keys.federation_keys()
        statement = RecallStatement(
            recall_id=recall_id,
            origin_node_id=self._uow.node_id,
            to_node_id=peer.node_id,
            resource_id=resource_id,
            reason=reason,
            detail=detail,
            recalled_at=uow.now,
        )
        signed = sign_recall(statement, signing)
        session.add(
            PeerOutboxRow(
                peer_id=peer.id,
                peer_seq=counter.outbox_seq,
                resource_id=resource_id,
                kind="recall",
                package=signed,
                sha256=hashlib.sha256(signed).hexdigest(),
                created_at=uow.now,
            )
        )
        made = PeerRecallRow(
            peer_id=peer.id,
            direction=SENT,
            id=recall_id,
            resource_id=resource_id,
            peer_seq=counter.outbox_seq,
            reason=reason.value,
            detail=detail,
            recalled_by=recalled_by,
            recalled_at=uow.now,
            recorded_at=uow.now,
            outcome="",
            hidden=0,
        )
        session.add(made)
        session.flush()
        data: dict[str, object] = {
            "recall_id": recall_id,
            "resource_id": resource_id,
            "reason": reason.value,
            "detail": detail,
            "seq": counter.outbox_seq,
        }
        destroyed = destroy_splits(uow, peer.id, resource_id, recall_id)
        if destroyed:
            data["splits_destroyed"] = destroyed  # split-mode releases: unopenable now
        if agreement_id is not None:
            data["agreement_id"] = agreement_id
        uow.record("peer.recalled", actor, target_id=peer.id, data=data)
        return made

    def confirm(self, caller: PeerCaller, ctx: CallContext, body: bytes) -> list[str]:
        """The calling peer confirms recalls sent to it: each is recorded once; the ids
        this node knows as sent to that peer are answered (the peer then stops sending
        them). Ids of recalls sent to another peer are ignored, as unknown ones."""
        confirmations = _confirmations(body)
        known = []
        with self._uow(ctx) as uow:
            for recall_id, outcome, hidden in confirmations:
                row = uow.session.get(
                    PeerRecallRow, (caller.peer_id, SENT, recall_id), with_for_update=True
                )
                if row is None:
                    continue
                known.append(recall_id)
                if row.confirmed_at is not None:
                    continue  # confirmed already (a retried confirmation)
                row.confirmed_at, row.outcome, row.hidden = uow.now, outcome.value, hidden
                uow.record(
                    "peer.recall_confirmed",
                    caller.actor(),
                    target_id=caller.peer_id,
                    data={
                        "recall_id": recall_id,
                        "resource_id": row.resource_id,
                        "outcome": outcome.value,
                        "hidden": hidden,
                    },
                )
        return known

    # --- both -----------------------------------------------------------------------

    def recalls(self, by: Acting, *, peer: str | None = None) -> list[Recall]:
        """Recalls sent and received, newest first, with their confirmation state."""
        authorize(by, Act.PEER_READ)
        with self._uow.read() as session:
            query = (
                select(PeerRecallRow, PeerRow.name)
                .join(PeerRow, PeerRow.id == PeerRecallRow.peer_id)
                .order_by(PeerRecallRow.recorded_at.desc(), PeerRecallRow.id)
            )
            if peer is not None:
                query = query.where(PeerRecallRow.peer_id == _find(session, peer).id)
            return [_view(r, name) for r, name in session.execute(query).all()]

    # --- the receiver ---------------------------------------------------------------

    def acknowledge(self, peer_id: str) -> int:
        """Confirm to the peer the recalls it sent that it has not acknowledged yet (a
        signed request); the number it acknowledged."""
        with self._uow.read() as session:
            peer = session.get(PeerRow, peer_id)
            assert peer is not None
            name, endpoint, node = peer.name, peer.endpoint, peer.node_id
            waiting = session.scalars(
                select(PeerRecallRow)
                .where(
                    PeerRecallRow.peer_id == peer_id,
                    PeerRecallRow.direction == RECEIVED,
                    PeerRecallRow.confirmed_at.is_(None),
                )
                .order_by(PeerRecallRow.recorded_at, PeerRecallRow.id)
                .limit(MAX_CONFIRMATIONS)
            ).all()
            items = [{"recall_id": r.id, "outcome": r.outcome, "hidden": r.hidden} for r in waiting]
        if not items:
            return 0
        body = json.dumps({"confirmations": items}).encode()
        signing, _ = self._keys.federation_keys()
        url = url_of(endpoint, CONFIRM_PATH)
        signer = Outbound(self._uow.node_id, signing, self._uow.clock())
        headers = signer.headers("POST", url, body, to=node)
        headers["content-type"] = "application/json"
        try:
            status, answer = self._transport.send("POST", url, headers, body, limit=64 << 10)
        except ConnectionError as exc:
            raise ServiceUnavailable(
                f"peer {name} cannot be reached: {exc}", code="peer_unavailable"
            ) from exc
        confirmed = answer_json(name, status, answer).get("confirmed")
        sent = {str(i["recall_id"]) for i in items}
        acked = (
            {c for c in confirmed if isinstance(c, str)} & sent
            if isinstance(confirmed, list)
            else set()
        )
        if acked:
            with self._uow(CallContext(request_id="federation-recall-ack")) as uow:
                for recall_id in acked:
                    row = uow.session.get(PeerRecallRow, (peer_id, RECEIVED, recall_id))
                    if row is not None and row.confirmed_at is None:
                        row.confirmed_at = uow.now
        return len(acked)


def take_recall(
    uow: UnitOfWork,
    *,
    peer_id: str,
    peer_node: str,
    trusted: Ed25519PublicKey,
    this_node: str,
    seq: int,
    data: bytes,
) -> None:
    """Act on a recall pulled from a peer's outbox, in the pull's unit of work: hide the
    items the peer released here of the artifact before the recall, and record it.
    Raises ``peer_recall_invalid`` (the caller refuses and alerts, as for a package)."""
    statement = open_recall(data, trusted, origin=peer_node, to=this_node)
    session = uow.session
    if session.get(PeerRecallRow, (peer_id, RECEIVED, statement.recall_id)) is not None:
        return  # the same recall served again (a resend): acted on already
    held = session.scalars(
        select(PeerReceivedRow)
        .where(
            PeerReceivedRow.peer_id == peer_id,
            PeerReceivedRow.origin_node_id == peer_node,  # only what that peer originated
            PeerReceivedRow.origin_resource_id == statement.resource_id,
            PeerReceivedRow.seq < seq,  # not a release made after the recall
        )
        .with_for_update()
    ).all()
    live = [r for r in held if r.recalled_at is None]
    if live:
        outcome = RecallOutcome.HIDDEN
    elif held:
        outcome = RecallOutcome.ALREADY_RECALLED
    else:
        outcome = RecallOutcome.NOT_HELD
    for row in live:
        row.recalled_at, row.recall_id = uow.now, statement.recall_id
    withdrawn = withdraw_recalled(uow, live)  # the artifacts made of them: hidden now
    session.add(
        PeerRecallRow(
            peer_id=peer_id,
            direction=RECEIVED,
            id=statement.recall_id,
            resource_id=statement.resource_id,
            peer_seq=seq,
            reason=statement.reason.value,
            detail=statement.detail,
            recalled_by=None,
            recalled_at=statement.recalled_at,
            recorded_at=uow.now,
            outcome=outcome.value,
            hidden=len(live),
        )
    )
    uow.record(
        "peer.recall_received",
        Actor.system("federation"),
        target_id=peer_id,
        data={
            "recall_id": statement.recall_id,
            "seq": seq,
            "resource_id": statement.resource_id,
            "reason": statement.reason.value,
            "detail": statement.detail,
            "outcome": outcome.value,
            "hidden": sorted(r.id for r in live),
            "withdrawn_artifacts": withdrawn,
        },
    )


def recall_words(session: Session, received: PeerReceivedRow) -> str:
    """Why a received item is gone, in words: the recall its originator sent."""
    recall = session.get(PeerRecallRow, (received.peer_id, RECEIVED, received.recall_id or ""))
    if recall is None:
        return "its originating node recalled it"
    detail = f"; {recall.detail}" if recall.detail else ""
    return f"its originating node recalled it (reason: {recall.reason}{detail})"


def destroy_splits(uow: UnitOfWork, peer_id: str, resource_id: str, recall_id: str) -> int:
    """A recall destroys this node's splits of what it recalls, in its unit of work: the
    split-mode packages of the artifact released to the peer can no longer be opened
    where they were not yet. The number destroyed."""
    result = uow.session.execute(
        update(PeerKeySplitRow)
        .where(
            PeerKeySplitRow.peer_id == peer_id,
            PeerKeySplitRow.resource_id == resource_id,
            PeerKeySplitRow.sealed_split.is_not(None),
        )
        .values(sealed_split=None, destroyed_at=uow.now, recall_id=recall_id)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def recalled_after(session: Session, peer_id: str, resource_ids: set[str]) -> dict[str, int]:
    """The outbox number of the latest recall sent to the peer of each of these
    artifacts (absent: never recalled), for a page of queued packages at once: a
    package queued before that number was recalled since."""
    if not resource_ids:
        return {}
    return {
        resource_id: int(seq)
        for resource_id, seq in session.execute(
            select(PeerRecallRow.resource_id, func.max(PeerRecallRow.peer_seq))
            .where(
                PeerRecallRow.peer_id == peer_id,
                PeerRecallRow.direction == SENT,
                PeerRecallRow.resource_id.in_(sorted(resource_ids)),
            )
            .group_by(PeerRecallRow.resource_id)
        ).all()
        if seq is not None
    }


def _last_seqs(session: Session, peer_id: str, resource_id: str) -> tuple[int | None, int | None]:
    package = session.scalar(
        select(func.max(PeerOutboxRow.peer_seq)).where(
            PeerOutboxRow.peer_id == peer_id,
            PeerOutboxRow.resource_id == resource_id,
            PeerOutboxRow.kind == "package",
        )
    )
    recall = session.scalar(
        select(func.max(PeerRecallRow.peer_seq)).where(
            PeerRecallRow.peer_id == peer_id,
            PeerRecallRow.direction == SENT,
            PeerRecallRow.resource_id == resource_id,
        )
    )
    return package, recall


def _released_live(session: Session, peer_id: str) -> list[str]:
    """The artifacts released to a peer and not recalled since, by id."""
    packages = dict(
        session.execute(
            select(PeerOutboxRow.resource_id, func.max(PeerOutboxRow.peer_seq))
            .where(PeerOutboxRow.peer_id == peer_id, PeerOutboxRow.kind == "package")
            .group_by(PeerOutboxRow.resource_id)
        ).all()
    )
    recalls = dict(
        session.execute(
            select(PeerRecallRow.resource_id, func.max(PeerRecallRow.peer_seq))
            .where(PeerRecallRow.peer_id == peer_id, PeerRecallRow.direction == SENT)
            .group_by(PeerRecallRow.resource_id)
        ).all()
    )
    return sorted(r for r, seq in packages.items() if recalls.get(r, -1) < seq)


def _confirmations(body: bytes) -> list[tuple[str, RecallOutcome, int]]:
    try:
        value = json.loads(body)
        items = value["confirmations"]
        if not isinstance(items, list) or len(items) > MAX_CONFIRMATIONS:
            raise ValueError("confirmations")
        found = []
        for item in items:
            hidden = item["hidden"]
            if not isinstance(hidden, int) or isinstance(hidden, bool) or not 0 <= hidden < 2**31:
                raise ValueError("hidden")
            found.append(
                (str(uuid.UUID(item["recall_id"])), RecallOutcome(item["outcome"]), hidden)
            )
        return found
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise InvalidInput(
            "confirmations are {confirmations: [{recall_id, outcome, hidden}]}",
            code="invalid_recall_confirmation",
        ) from None


def _view(row: PeerRecallRow, peer: str) -> Recall:
    return Recall(
        id=row.id,
        direction=row.direction,
        peer=peer,
        resource_id=row.resource_id,
        reason=row.reason,
        detail=row.detail,
        recalled_at=row.recalled_at,
        recorded_at=row.recorded_at,
        outcome=row.outcome,
        hidden=row.hidden,
        confirmed_at=row.confirmed_at,
    )
