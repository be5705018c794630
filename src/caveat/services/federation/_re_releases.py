"""Re-release requests (issue 18, ADR 0019): a node never widens what it received.

Asking (the node that holds the item): a security officer of the organisation that
receives the originator's releases, who may read the received item, asks for it to be
released to a third nation (optionally naming the third node as the originator knows
it), with a justification (``peer.re_release_requested``). The request is kept and
sent to the originating node over the signed protocol
(``POST /federation/v1/re-release-requests``); a request not delivered yet is sent again
on every sync with that node until it answers. The request's id is this node's: sending
it again changes nothing there.

Deciding (the originating node): a request is believed only from the peer the signature
proves, and only about an artifact this node released to that peer and has not
recalled; anything else is refused, recorded and alerted. It waits as pending, with the
asking officer's name as the asking node states it (``peer.re_release_received``), and
the originating organisation's security officers are notified. One of them decides:
approving releases the item to the third node through the ordinary release (the policy
decides it for that node; its refusal is the approval's, with its reasons, and the
request stays pending); refusing says why. Either is recorded
(``peer.re_release_decided``) with a signed decision in the asking node's outbox, in
the same transaction as the release it approves.

Answered (the asking node): the decision is pulled like a recall, believed only under
the originator's key and for a request this node made; it is recorded
(``peer.re_release_answered``) and the officer who asked is notified."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from caveat.adapters.db.models.federation import (
    PeerOutboxRow,
    PeerReceivedRow,
    PeerReReleaseRow,
    PeerRow,
)
from caveat.adapters.keys import KeyProvider
from caveat.domain.errors import (
    CaveatError,
    Conflict,
    IntegrityError,
    InvalidInput,
    NotFound,
    ServiceUnavailable,
    Throttled,
)
from caveat.domain.events import Actor, Outcome
from caveat.domain.federation import PeerStatus
from caveat.domain.federation_re_releases import (
    MAX_PEER,
    Decision,
    DecisionStatement,
    ReReleaseAsk,
    ReReleaseStatus,
    clean_text,
    open_decision,
    read_ask,
    require_nation,
    sign_decision,
)
from caveat.domain.identity import Role
from caveat.domain.permissions import Act, Target
from caveat.domain.throttle import DenialFolding
from caveat.services.federation._outbound import Outbound, url_of
from caveat.services.federation._recalls import _last_seqs
from caveat.services.federation._requests import PeerCaller
from caveat.services.kernel.authorize import allowed, authorize
from caveat.services.kernel.ports import PeerTransport
from caveat.services.kernel.principal import Acting, Principal
from caveat.services.kernel.uow import CallContext, UnitOfWork, UnitOfWorkFactory
from caveat.services.ledger import MonitoringService
from caveat.services.notifications import notify, people_with_role
from caveat.services.policy import PolicyService, find_resource, not_found

SENT, RECEIVED = "sent", "received"
REQUEST_PATH = "/re-release-requests"
DELIVER_BATCH = 20  # requests sent per sync
ANSWER_BYTES = 64 << 10
LINK = "/federation#re-releases"
_SPEAKING = (PeerStatus.ACTIVE.value, PeerStatus.ROTATING.value)
WINDOW = timedelta(hours=1)  # the per-hour limit counts requests recorded in the last hour
PENDING_RETRY = 900  # seconds a peer over its pending limit is told to wait (officers decide)
MAX_RETRY = 86_400  # the longest wait a throttling originator is believed about
THROTTLED = "re_release_rate_limited"
THROTTLES_RECORDED_PER_MINUTE = 10  # per peer; the rest are counted into the next record


@dataclass(frozen=True, slots=True)
class ReReleaseLimits:
    """How much one peer may ask of this node: requests waiting for its officers, and
    requests recorded in the last hour (settings ``federation_re_release_*``)."""

    pending: int = 20
    per_hour: int = 60


# Within the release's unit of work, with its outbox sequence number: what an approval
# records (a refusal there rolls the release back).
Within = Callable[[UnitOfWork, int], None]


class _Send(Protocol):
    def __call__(
        self,
        by: Principal,
        ctx: CallContext,
        peer_ref: str,
        artifact_id: str,
        *,
        within: Within | None = None,
    ) -> object: ...


Readable = Callable[[Session, Acting, list[PeerReceivedRow], datetime], set[str]]


@dataclass(frozen=True, slots=True)
class ReRelease:
    """A re-release request this node sent its originator, or one a peer sent this node."""

    id: str
    direction: str  # sent | received
    peer: str  # the other node: the originator (sent) or the node asking (received)
    resource_id: str  # the artifact on the originating node
    item_id: str | None  # sent: the received item here
    nation: str  # the third nation
    to_peer: str  # the third node as the originator knows it ('' = the nation's one)
    justification: str
    requested_by_stated: str  # received: as the asking node states it (not verified)
    requested_at: datetime  # by the asking node's clock
    recorded_at: datetime
    delivered: bool  # sent: the originator has it
    status: str  # pending | approved | refused | rejected
    reason: str  # a refusal's reason, or why the originator rejected the request
    decided_at: datetime | None
    released_to: str  # received and approved: the peer it was released to


class PeerReReleases:
    """Asks originators to re-release received items, and decides what peers ask."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        keys: KeyProvider,
        policy: PolicyService,
        transport: PeerTransport,
        monitoring: MonitoringService,
        send: _Send,
        readable: Readable,
    ) -> None:
        self._uow = uow
        self._keys = keys
        self._policy = policy
        self._transport = transport
        self._monitoring = monitoring
        self._send = send
        self._readable = readable
        self.limits = ReReleaseLimits()  # bootstrap sets the node's settings
        # When each throttling originator said to ask again (this process only: the
        # originator enforces its limits whatever this node believes).
        self._not_before: dict[str, datetime] = {}
        # A flood past the limit costs few ledger writes and loses no count.
        self._throttles = DenialFolding(per_minute=THROTTLES_RECORDED_PER_MINUTE)

    # --- the node holding the item ----------------------------------------------------

    def request(
        self,
        by: Principal,
        ctx: CallContext,
        item_id: str,
        *,
        nation: str,
        peer: str = "",
        justification: str,
    ) -> ReRelease:
        """Ask the item's originating node to release it to a third nation."""
        third = require_nation(nation)
        to_peer = clean_text(peer, field="peer", limit=MAX_PEER, required=False)
        why = clean_text(justification, field="justification")
        now = self._uow.clock()
        with self._uow(ctx) as uow:
            session = uow.session
            received = session.get(
                PeerReceivedRow, item_id, options=[defer(PeerReceivedRow.package)]
            )
            if (
                received is None
                or received.recalled_at is not None
                or item_id not in self._readable(session, by, [received], now)
            ):
                raise not_found(item_id)  # as for an id that names nothing
            origin = session.get(PeerRow, received.peer_id)
            assert origin is not None
            authorize(
                by, Act.PEER_RE_RELEASE_REQUEST, Target(organisation_id=origin.organisation_id)
            )
            if origin.status not in _SPEAKING:
                raise Conflict(
                    f"the peering with {origin.name} is {origin.status}: it cannot be asked",
                    code="invalid_peer_transition",
                )
            if not received.origin_resource_id:
                raise InvalidInput(
                    "this item was received before packages named their artifact: ask its "
                    "originating node's officers directly",
                    code="invalid_re_release_request",
                )
            ask = ReReleaseAsk(
                request_id=str(uuid.uuid4()),
                resource_id=received.origin_resource_id,
                nation=third,
                peer=to_peer,
                justification=why,
                requested_by=by.person.display_name[:200] or by.username,
                requested_at=uow.now.replace(microsecond=0),
            )
            session.add(
                PeerReReleaseRow(
                    peer_id=origin.id,
                    direction=SENT,
                    id=ask.request_id,
                    resource_id=ask.resource_id,
                    received_id=received.id,
                    nation=third,
                    to_peer=to_peer,
                    justification=why,
                    requested_by=by.person_id,
                    requester_name=ask.requested_by,
                    requested_at=ask.requested_at,
                    recorded_at=uow.now,
                    body_sha256=hashlib.sha256(ask.to_body()).hexdigest(),
                    status=ReReleaseStatus.PENDING.value,
                )
            )
            uow.record(
                "peer.re_release_requested",
                by.actor(),
                target_id=origin.id,
                data={
                    "request_id": ask.request_id,
                    "item_id": received.id,
                    "resource_id": ask.resource_id,
                    "nation": third,
                    "peer": to_peer,
                    "justification": why,
                },
            )
            origin_id, request_id = origin.id, ask.request_id
        with contextlib.suppress(CaveatError):  # kept: sent again on the next sync
            self.deliver(origin_id)
        return self._one(origin_id, SENT, request_id)

    def deliver(self, peer_id: str) -> int:
        """Send the originator the requests it has not acknowledged yet (each a signed
        request); how many it took. Raises when it cannot be asked (the sync records it).
        An originator that throttles this node (429) is not asked again before the time it
        named; the requests wait, undelivered, and nothing is lost."""
        wait = self._not_before.get(peer_id)
        if wait is not None and wait > self._uow.clock():
            return 0
        with self._uow.read() as session:
            peer = session.get(PeerRow, peer_id)
            assert peer is not None
            name, endpoint, node = peer.name, peer.endpoint, peer.node_id
            waiting = [
                (r.id, _ask_of(r))
                for r in session.scalars(
                    select(PeerReReleaseRow)
                    .where(
                        PeerReReleaseRow.peer_id == peer_id,
                        PeerReReleaseRow.direction == SENT,
                        PeerReReleaseRow.delivered_at.is_(None),
                    )
                    .order_by(PeerReReleaseRow.recorded_at, PeerReReleaseRow.id)
                    .limit(DELIVER_BATCH)
                ).all()
            ]
        signing, _ = self._keys.federation_keys()
        url = url_of(endpoint, REQUEST_PATH)
        taken = 0
        for request_id, ask in waiting:
            body = ask.to_body()
            signer = Outbound(self._uow.node_id, signing, self._uow.clock())
            headers = signer.headers("POST", url, body, to=node)
            headers["content-type"] = "application/json"
            try:
                status, answer = self._transport.send(
                    "POST", url, headers, body, limit=ANSWER_BYTES
                )
            except ConnectionError as exc:
                raise ServiceUnavailable(
                    f"peer {name} cannot be reached: {exc}", code="peer_unavailable"
                ) from exc
            if status == 429:  # over the originator's limit: the rest wait with this one
                self._throttled(peer_id, answer)
                break
            taken += self._delivered(peer_id, name, request_id, status, answer)
        return taken

    def _throttled(self, peer_id: str, answer: bytes) -> None:
        """Remember when a throttling originator said to ask again (its problem's
        ``retry_after``, else a minute; at most a day)."""
        retry = _problem_retry(answer)
        seconds = min(max(retry if retry is not None else 60, 1), MAX_RETRY)
        self._not_before[peer_id] = self._uow.clock() + timedelta(seconds=seconds)

    def _delivered(
        self, peer_id: str, name: str, request_id: str, status: int, answer: bytes
    ) -> int:
        """Mark a request the originator answered: taken (200), or rejected as about an
        item it did not send here (404): it is not sent again either way."""
        if status == 401:
            raise Conflict(
                f"peer {name} refused this node's request",
                code="peer_refused_request",
                hint="its operators see why in their ledger",
            )
        code = _problem_code(answer) if status in (404, 409, 422) else ""
        if status != 200 and not code:
            raise ServiceUnavailable(f"peer {name} answered HTTP {status}", code="peer_unavailable")
        with self._uow(CallContext(request_id="federation-re-release")) as uow:
            row = uow.session.get(
                PeerReReleaseRow, (peer_id, SENT, request_id), with_for_update=True
            )
            if row is None or row.delivered_at is not None:
                return 0
            row.delivered_at = uow.now
            if status != 200:  # the originator refused the request itself
                row.status, row.reason, row.answered_at = (
                    ReReleaseStatus.REJECTED.value,
                    code,
                    uow.now,
                )
                uow.record(
                    "peer.re_release_answered",
                    Actor.system("federation"),
                    target_id=peer_id,
                    data={
                        "request_id": request_id,
                        "resource_id": row.resource_id,
                        "decision": ReReleaseStatus.REJECTED.value,
                        "reason": code,
                    },
                )
                notify(
                    uow,
                    [row.requested_by],
                    "re_release_answered",
                    f"Peer {name} rejected re-release request {request_id}: {code}",
                    link=LINK,
                    subject_id=request_id,
                )
        return 1

    # --- the originating node -----------------------------------------------------------

    def receive(self, caller: PeerCaller, ctx: CallContext, body: bytes) -> tuple[str, str]:
        """A peer asks this node to re-release an artifact it originated: kept pending
        (once per request id), its originating organisation's officers notified. Refused,
        recorded and alerted when the artifact was not released to that peer."""
        ask = read_ask(body)
        digest = hashlib.sha256(body).hexdigest()
        refused = False
        limited: Throttled | None = None
        with self._uow(ctx) as uow:
            session = uow.session
            key = (caller.peer_id, RECEIVED, ask.request_id)
            known = session.get(PeerReReleaseRow, key, with_for_update=True)
            if known is not None:
                if known.body_sha256 != digest:
                    raise Conflict(
                        f"re-release request {ask.request_id} was received with other content",
                        code="re_release_request_conflict",
                    )
                return known.id, known.status  # the same request again: nothing changes
            taken = session.scalar(
                select(PeerReReleaseRow.peer_id).where(
                    PeerReReleaseRow.direction == RECEIVED, PeerReReleaseRow.id == ask.request_id
                )
            )
            if taken is not None:  # another peer's id: an officer here decides by id alone
                raise Conflict(
                    f"re-release request {ask.request_id} was received before with other content",
                    code="re_release_request_conflict",
                )
            limited = self._over_limit(uow, caller, ask)  # recorded if so
            package, recall = _last_seqs(session, caller.peer_id, ask.resource_id)
            if limited is not None:
                pass  # refused and recorded; raised once the record is committed
            elif package is None or (recall is not None and recall > package):
                refused = True
                data: dict[str, object] = {
                    "request_id": ask.request_id,
                    "resource_id": ask.resource_id,
                    "nation": ask.nation,
                    "code": "re_release_not_sent",
                }
                uow.record(
                    "peer.re_release_rejected",
                    caller.actor(),
                    target_id=caller.peer_id,
                    outcome=Outcome.DENIED,
                    data=data,
                )
                self._monitoring.raise_within(
                    uow,
                    rule="peer_re_release_invalid",
                    severity="high",
                    subject_id=caller.peer_id,
                    subject_name=caller.name,
                    summary=f"peer {caller.name} asked to re-release an item this node did "
                    "not release to it",
                    data=data,
                )
            else:
                resource = find_resource(session, ask.resource_id)
                session.add(
                    PeerReReleaseRow(
                        peer_id=caller.peer_id,
                        direction=RECEIVED,
                        id=ask.request_id,
                        resource_id=ask.resource_id,
                        received_id=None,
                        nation=ask.nation,
                        to_peer=ask.peer,
                        justification=ask.justification,
                        requested_by=None,
                        requester_name=ask.requested_by,
                        requested_at=ask.requested_at,
                        recorded_at=uow.now,
                        body_sha256=digest,
                        delivered_at=uow.now,
                        status=ReReleaseStatus.PENDING.value,
                    )
                )
                uow.record(
                    "peer.re_release_received",
                    caller.actor(),
                    target_id=caller.peer_id,
                    data={
                        "request_id": ask.request_id,
                        "resource_id": ask.resource_id,
                        "nation": ask.nation,
                        "peer": ask.peer,
                        "justification": ask.justification,
                        "requested_by_stated": ask.requested_by,
                        "requested_at": ask.requested_at.isoformat(),
                    },
                )
                officers = people_with_role(
                    session, [Role.SECURITY_OFFICER], organisation_id=resource.originator_org_id
                )
                notify(
                    uow,
                    officers,
                    "re_release_request",
                    f"Peer {caller.name} asks for a re-release to {ask.nation}: request "
                    f"{ask.request_id}",
                    link=LINK,
                    subject_id=ask.request_id,
                )
        if limited is not None:
            raise limited
        if refused:
            raise NotFound(
                f"this node released nothing of {ask.resource_id} to {caller.name}",
                code="re_release_not_sent",
            )
        return ask.request_id, ReReleaseStatus.PENDING.value

    def _over_limit(
        self, uow: UnitOfWork, caller: PeerCaller, ask: ReReleaseAsk
    ) -> Throttled | None:
        """The error to answer a peer over its limits with (recorded, in ``uow``: past ten
        a minute, counted into the next record's ``folded``), or None. The peer's row is
        locked first, so one peer's requests are counted one at a time; a request already
        held answers as before whatever the limits (the caller checked it), so a resend is
        never throttled."""
        session = uow.session
        session.get(PeerRow, caller.peer_id, with_for_update=True)
        mine = (PeerReReleaseRow.peer_id == caller.peer_id, PeerReReleaseRow.direction == RECEIVED)
        pending = session.scalar(
            select(func.count())
            .select_from(PeerReReleaseRow)
            .where(*mine, PeerReReleaseRow.status == ReReleaseStatus.PENDING.value)
        )
        since = uow.now - WINDOW
        recent, oldest = session.execute(
            select(func.count(), func.min(PeerReReleaseRow.recorded_at)).where(
                *mine, PeerReReleaseRow.recorded_at > since
            )
        ).one()
        limits = self.limits
        if int(pending or 0) >= limits.pending:
            limit, retry = f"{limits.pending} pending", PENDING_RETRY
        elif int(recent or 0) >= limits.per_hour:
            assert oldest is not None
            left = (oldest + WINDOW - uow.now).total_seconds()
            limit, retry = f"{limits.per_hour} an hour", max(1, math.ceil(left))
        else:
            return None
        folded = self._throttles.admit(caller.peer_id, uow.now)
        if folded is not None:
            uow.record(
                "peer.re_release_throttled",
                caller.actor(),
                target_id=caller.peer_id,
                outcome=Outcome.DENIED,
                data={
                    "request_id": ask.request_id,
                    "resource_id": ask.resource_id,
                    "nation": ask.nation,
                    "code": THROTTLED,
                    "limit": limit,
                    "pending": int(pending or 0),
                    "last_hour": int(recent or 0),
                    "retry_after": retry,
                    "folded": folded,
                },
            )
        return Throttled(
            f"peer {caller.name} is over this node's limit of re-release requests ({limit})",
            code=THROTTLED,
            data={"retry_after": retry, "limit": limit},
            hint="ask again after retry_after seconds; pending requests free as officers decide",
        )

    def decide(
        self,
        by: Principal,
        ctx: CallContext,
        request_id: str,
        *,
        approve: bool,
        reason: str = "",
    ) -> ReRelease:
        """Approve (release the item to the third node, the policy deciding) or refuse
        (with a reason) a re-release request a peer sent; the decision goes back to it."""
        why = "" if approve else clean_text(reason, field="reason")
        now = self._uow.clock()
        with self._uow.read() as session:
            row = self._received(session, by, request_id, now)
            resource = find_resource(session, row.resource_id)
            authorize(
                by, Act.PEER_RE_RELEASE_DECIDE, Target(originator_org_id=resource.originator_org_id)
            )
            if row.status != ReReleaseStatus.PENDING.value:
                raise Conflict(
                    f"re-release request {request_id} is {row.status} already",
                    code="re_release_decided",
                )
            key = (row.peer_id, RECEIVED, row.id)
            target = _third_peer(session, row) if approve else None
        if target is not None:

            def approved(uow: UnitOfWork, seq: int) -> None:
                self._decided(uow, by, key, Decision.APPROVED, "", target, seq)

            self._send(by, ctx, target, row.resource_id, within=approved)
        else:
            with self._uow(ctx) as uow:
                self._decided(uow, by, key, Decision.REFUSED, why, "", None)
        return self._one(row.peer_id, RECEIVED, row.id)

    def _received(
        self, session: Session, by: Acting, request_id: str, now: datetime
    ) -> PeerReReleaseRow:
        row = session.scalar(
            select(PeerReReleaseRow).where(
                PeerReReleaseRow.direction == RECEIVED, PeerReReleaseRow.id == request_id
            )
        )
        if row is None or (
            isinstance(by, Principal)
            and not self._policy.discoverable_in(session, by, [row.resource_id], now)
        ):
            raise NotFound(
                f"no re-release request {request_id!r}", code="unknown_re_release_request"
            )
        return row

    def _decided(
        self,
        uow: UnitOfWork,
        by: Principal,
        key: tuple[str, str, str],
        decision: Decision,
        reason: str,
        released_to: str,
        seq: int | None,
    ) -> None:
        session = uow.session
        row = session.get(PeerReReleaseRow, key, with_for_update=True)
        assert row is not None
        if row.status != ReReleaseStatus.PENDING.value:  # another officer, at the same time
            raise Conflict(
                f"re-release request {row.id} is {row.status} already", code="re_release_decided"
            )
        row.status, row.reason = decision.value, reason
        row.decided_by, row.decided_at = by.person_id, uow.now
        row.released_to, row.release_seq = released_to, seq
        asking = session.get(PeerRow, row.peer_id, with_for_update=True)
        assert asking is not None
        asking.outbox_seq = (asking.outbox_seq or 0) + 1
        signing, _ = self._keys.federation_keys()
        signed = sign_decision(
            DecisionStatement(
                request_id=row.id,
                origin_node_id=self._uow.node_id,
                to_node_id=asking.node_id,
                resource_id=row.resource_id,
                decision=decision,
                reason=reason,
                decided_at=uow.now,
            ),
            signing,
        )
        session.add(
            PeerOutboxRow(
                peer_id=asking.id,
                peer_seq=asking.outbox_seq,
                resource_id=row.resource_id,
                kind="re_release_decision",
                package=signed,
                sha256=hashlib.sha256(signed).hexdigest(),
                created_at=uow.now,
            )
        )
        uow.record(
            "peer.re_release_decided",
            by.actor(),
            target_id=asking.id,
            data={
                "request_id": row.id,
                "resource_id": row.resource_id,
                "nation": row.nation,
                "decision": decision.value,
                "reason": reason,
                "released_to": released_to,
                "release_seq": seq,
                "decision_seq": asking.outbox_seq,
            },
        )

    # --- both -------------------------------------------------------------------------

    def requests(self, by: Acting, *, status: str | None = None) -> list[ReRelease]:
        """Requests sent and received, newest first: to a person only those about what
        they may discover (the received item here, or the artifact for one received)."""
        authorize(by, Act.PEER_READ)
        now = self._uow.clock()
        with self._uow.read() as session:
            query = (
                select(PeerReReleaseRow, PeerRow.name)
                .join(PeerRow, PeerRow.id == PeerReReleaseRow.peer_id)
                .order_by(PeerReReleaseRow.recorded_at.desc(), PeerReReleaseRow.id)
            )
            if status is not None:
                query = query.where(PeerReReleaseRow.status == status)
            rows = session.execute(query).all()
            visible = self._visible(session, by, [r for r, _ in rows], now)
            return [_view(r, name) for r, name in rows if r.id in visible]

    def pending_for(self, by: Principal) -> list[ReRelease]:
        """Received requests waiting for this officer's decision (the work queue)."""
        now = self._uow.clock()
        with self._uow.read() as session:
            rows = session.execute(
                select(PeerReReleaseRow, PeerRow.name)
                .join(PeerRow, PeerRow.id == PeerReReleaseRow.peer_id)
                .where(
                    PeerReReleaseRow.direction == RECEIVED,
                    PeerReReleaseRow.status == ReReleaseStatus.PENDING.value,
                )
                .order_by(PeerReReleaseRow.recorded_at, PeerReReleaseRow.id)
            ).all()
            visible = self._visible(session, by, [r for r, _ in rows], now)
            found = []
            for row, name in rows:
                if row.id not in visible:
                    continue
                resource = find_resource(session, row.resource_id)
                target = Target(originator_org_id=resource.originator_org_id)
                if not allowed(by, Act.PEER_RE_RELEASE_DECIDE, target):
                    continue
                found.append(_view(row, name))
            return found

    def _visible(
        self, session: Session, by: Acting, rows: list[PeerReReleaseRow], now: datetime
    ) -> set[str]:
        if not isinstance(by, Principal):
            return {r.id for r in rows}
        sent = [r for r in rows if r.direction == SENT and r.received_id]
        items = {
            i.id: i
            for i in session.scalars(
                select(PeerReceivedRow)
                .where(PeerReceivedRow.id.in_([r.received_id for r in sent]))
                .options(defer(PeerReceivedRow.package))
            ).all()
        }
        readable = self._readable(session, by, list(items.values()), now)
        received = [r for r in rows if r.direction == RECEIVED]
        discoverable = self._policy.discoverable_in(
            session, by, sorted({r.resource_id for r in received}), now
        )
        return {r.id for r in sent if r.received_id in readable} | {
            r.id for r in received if r.resource_id in discoverable
        }

    def _one(self, peer_id: str, direction: str, request_id: str) -> ReRelease:
        with self._uow.read() as session:
            row = session.get(PeerReReleaseRow, (peer_id, direction, request_id))
            peer = session.get(PeerRow, peer_id)
            assert row is not None
            assert peer is not None
            return _view(row, peer.name)


def take_decision(
    uow: UnitOfWork,
    *,
    peer_id: str,
    peer_name: str,
    peer_node: str,
    trusted: Ed25519PublicKey,
    this_node: str,
    seq: int,
    data: bytes,
) -> None:
    """Act on a decision pulled from the originator's outbox, in the pull's unit of
    work: record it on the request this node made and tell the officer who asked.
    Raises ``peer_re_release_invalid`` (the caller refuses and alerts, as for a package)."""
    statement = open_decision(data, trusted, origin=peer_node, to=this_node)
    row = uow.session.get(
        PeerReReleaseRow, (peer_id, SENT, statement.request_id), with_for_update=True
    )
    if row is None or row.resource_id != statement.resource_id:
        raise IntegrityError(
            "the decision answers no re-release request this node made of that peer",
            code="peer_re_release_invalid",
        )
    if row.answered_at is not None:
        return  # served again (a resend): recorded already
    row.status, row.reason = statement.decision.value, statement.reason
    row.decided_at, row.answered_at = statement.decided_at, uow.now
    row.delivered_at = row.delivered_at or uow.now
    uow.record(
        "peer.re_release_answered",
        Actor.system("federation"),
        target_id=peer_id,
        data={
            "request_id": row.id,
            "seq": seq,
            "item_id": row.received_id,
            "resource_id": row.resource_id,
            "nation": row.nation,
            "decision": statement.decision.value,
            "reason": statement.reason,
        },
    )
    notify(
        uow,
        [row.requested_by],
        "re_release_answered",
        f"Peer {peer_name} {statement.decision.value} re-release request {row.id} to {row.nation}",
        link=LINK,
        subject_id=row.id,
    )


def _third_peer(session: Session, row: PeerReReleaseRow) -> str:
    """The active peer the request names (by nation, and name if given), never the node
    that asked; ``re_release_no_peer`` or ``re_release_peer_ambiguous`` otherwise."""
    query = select(PeerRow.name).where(
        PeerRow.nation == row.nation,
        PeerRow.status.in_(_SPEAKING),
        PeerRow.id != row.peer_id,
    )
    if row.to_peer:
        query = query.where(PeerRow.name == row.to_peer)
    names = list(session.scalars(query.order_by(PeerRow.name)))
    if not names:
        named = f" named {row.to_peer}" if row.to_peer else ""
        raise Conflict(
            f"no active peer of {row.nation}{named} to release to",
            code="re_release_no_peer",
        )
    if len(names) > 1:
        raise Conflict(
            f"several active peers are of {row.nation}: {', '.join(names)}",
            code="re_release_peer_ambiguous",
            hint="refuse this request; the asking node names the peer in a new one",
        )
    return names[0]


def _ask_of(row: PeerReReleaseRow) -> ReReleaseAsk:
    return ReReleaseAsk(
        request_id=row.id,
        resource_id=row.resource_id,
        nation=row.nation,
        peer=row.to_peer,
        justification=row.justification,
        requested_by=row.requester_name,
        requested_at=row.requested_at,
    )


def _problem_code(answer: bytes) -> str:
    """The error code of a problem answer from a peer, if it is one this node acts on."""
    try:
        value = json.loads(answer)
    except (ValueError, RecursionError):
        return ""
    code = value.get("code") if isinstance(value, dict) else None
    known = ("re_release_not_sent", "re_release_request_conflict", "invalid_re_release_request")
    return code if code in known else ""


def _problem_retry(answer: bytes) -> int | None:
    """The ``retry_after`` seconds of a throttling originator's problem answer."""
    try:
        value = json.loads(answer)
    except (ValueError, RecursionError):
        return None
    retry = value.get("retry_after") if isinstance(value, dict) else None
    return retry if isinstance(retry, int) and not isinstance(retry, bool) else None


def _view(row: PeerReReleaseRow, peer: str) -> ReRelease:
    return ReRelease(
        id=row.id,
        direction=row.direction,
        peer=peer,
        resource_id=row.resource_id,
        item_id=row.received_id,
        nation=row.nation,
        to_peer=row.to_peer,
        justification=row.justification,
        requested_by_stated=row.requester_name,
        requested_at=row.requested_at,
        recorded_at=row.recorded_at,
        delivered=row.delivered_at is not None,
        status=row.status,
        reason=row.reason,
        decided_at=row.decided_at,
        released_to=row.released_to,
    )
