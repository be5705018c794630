"""Keeping in touch with peers (issue 18, ADR 0019): on every sync a node says a signed
hello (the peer's latest checkpoint, checked against its log key), asks the peer to
cosign this node's latest checkpoint (the C2SP witness protocol) and pulls what the peer
released to it. Each link keeps its
state: last attempt and success, consecutive failures with the last reason, and when to
try again, backing off exponentially. A link that fails three times in a row raises an
alert, and coming back is recorded; routine syncs write no events (they would grow the
ledger they witness).

Several processes may run the sync (``caveat serve`` workers, ``caveat worker``): a sync
first takes the link's lease (with a token of its own, still due unless asked for now),
so one process talks to a peer at a time; the outcome is recorded only under the
token that took it, and a crashed sync's lease lapses after ``LEASE``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select

from caveat.adapters.db.models.federation import PeerLinkRow, PeerRow
from caveat.domain.errors import CaveatError, Conflict, ServiceUnavailable
from caveat.domain.events import Actor
from caveat.domain.federation import PeerStatus
from caveat.domain.permissions import Act
from caveat.services.federation._peers import FederationService, _find
from caveat.services.federation._proofs import ReleaseProofs
from caveat.services.federation._releasing import PeerReleases, locked_link
from caveat.services.kernel.authorize import authorize
from caveat.services.kernel.principal import Acting, ConsoleOperator
from caveat.services.kernel.uow import CallContext, UnitOfWorkFactory
from caveat.services.ledger import MonitoringService, WitnessService

log = structlog.get_logger("caveat.federation")

BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
ALERT_AFTER = 3  # consecutive failures before the link is reported down
LEASE = timedelta(minutes=10)  # longer than any sync; a crashed sync's lease lapses
PULL_PAGES = 16  # outbox pages one sync takes at most (64 packages, 16 MiB each), well
# inside the lease; the next round continues from the cursor
SYNC = Actor.system("federation-sync")
_NODE = ConsoleOperator()  # the node acting for itself


@dataclass(frozen=True, slots=True)
class LinkStatus:
    """How the link to one peer is doing."""

    peer_id: str
    peer: str
    status: str  # the peering's
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    failures: int
    last_error: str
    next_attempt_at: datetime | None
    peer_checkpoint_size: int
    cosigned_size: int  # the largest of our checkpoints the peer has cosigned

    @property
    def up(self) -> bool:
        """Synced at least once and not failing now."""
        return self.last_success_at is not None and self.failures == 0


def backoff(failures: int) -> timedelta:
    """How long to wait after ``failures`` consecutive failures (30 s doubling to 1 h)."""
    delay: timedelta = BACKOFF_FIRST * 2 ** min(max(failures, 1) - 1, 16)
    return min(BACKOFF_MAX, delay)


class PeerSync:
    """Syncs with every active peer when due, or with one on request."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        federation: FederationService,
        releases: PeerReleases,
        witnesses: WitnessService,
        monitoring: MonitoringService,
        period: timedelta,
        proofs: ReleaseProofs | None = None,
    ) -> None:
        self._uow = uow
        self._proofs = proofs
        self._federation = federation
        self._releases = releases
        self._witnesses = witnesses
        self._monitoring = monitoring
        self._period = period

    def run_due(self, ctx: CallContext) -> list[LinkStatus]:
        """Sync with every active peer whose next attempt is due."""
        now = self._uow.clock()
        with self._uow.read() as session:
            rows = session.execute(
                select(PeerRow.id, PeerLinkRow.next_attempt_at)
                .outerjoin(PeerLinkRow, PeerLinkRow.peer_id == PeerRow.id)
                .where(PeerRow.status.in_((PeerStatus.ACTIVE.value, PeerStatus.ROTATING.value)))
                .order_by(PeerRow.id)
            ).all()
        synced = []
        for peer, due in rows:
            if due is None or due <= now:
                try:
                    status = self._sync(ctx, peer, due_only=True)
                except ServiceUnavailable:
                    continue  # the database is busy: the next round tries again
                if status is not None:
                    synced.append(status)
        return synced

    def sync_now(self, by: Acting, ctx: CallContext, ref: str) -> LinkStatus:
        """Sync with one peer now, whatever its backoff (an operator after a repair);
        ``sync_running`` while another process is syncing with it."""
        authorize(by, Act.PEER_PROPOSE)
        with self._uow.read() as session:
            peer = _find(session, ref)
            peer_id, name = peer.id, peer.name
        status = self._sync(ctx, peer_id, due_only=False)
        if status is None:
            raise Conflict(
                f"a sync with {name} is running now; its outcome shows when it ends",
                code="sync_running",
            )
        return status

    def links(self, by: Acting) -> list[LinkStatus]:
        """Every peer's link, revoked ones too, by name."""
        authorize(by, Act.PEER_READ)
        with self._uow.read() as session:
            rows = session.execute(
                select(PeerRow, PeerLinkRow)
                .outerjoin(PeerLinkRow, PeerLinkRow.peer_id == PeerRow.id)
                .order_by(PeerRow.name, PeerRow.id)
            ).all()
            return [_status(peer, link) for peer, link in rows]

    def _claim(self, ctx: CallContext, peer_id: str, *, due_only: bool) -> str | None:
        """Take the link's lease: its token, or None when another sync holds it (or,
        with ``due_only``, when another process synced meanwhile and it is not due)."""
        token = str(uuid.uuid4())
        try:
            with self._uow(ctx) as uow:
                link = locked_link(uow.session, peer_id)
                now = uow.now
                if link.lease_until is not None and link.lease_until > now:
                    return None
                if due_only and link.next_attempt_at is not None and link.next_attempt_at > now:
                    return None
                link.lease_until, link.lease_token = now + LEASE, token
        except Conflict:  # another process made the link row at the same moment
            return None
        return token

    def _sync(self, ctx: CallContext, peer_id: str, *, due_only: bool) -> LinkStatus | None:
        token = self._claim(ctx, peer_id, due_only=due_only)
        if token is None:
            return None
        error, peer_size, cosigned = "", None, None
        try:
            hello = self._federation.hello(_NODE, peer_id)
            peer_size = hello.checkpoint_size
            witness = self._witness_name(peer_id)
            [outcome] = self._witnesses.request_cosignatures(_NODE, ctx, witness=witness)
            if outcome.status == "cosigned":
                cosigned = outcome.size
            else:
                error = f"witness {outcome.status}: {outcome.detail}"
            self._pull(ctx, peer_id)  # what it released to us, from our cursor
            if self._proofs is not None:  # the proofs of what came before, now cosigned
                self._proofs.prove(ctx, peer_id)
        except CaveatError as exc:
            error = f"{exc.code}: {exc.detail}"
        except Exception as exc:  # a hostile or broken peer must not stop the round
            log.exception("sync with a peer failed unexpectedly", peer_id=peer_id)
            error = f"internal_error: {type(exc).__name__}"
        return self._record(ctx, peer_id, token, error[:500], peer_size, cosigned)

    def _pull(self, ctx: CallContext, peer_id: str) -> None:
        """Pull page after page until the outbox is drained (a backlog in one sync, not
        one page a period), at most ``PULL_PAGES``."""
        self._releases.pull(ctx, peer_id, pages=PULL_PAGES)

    def _witness_name(self, peer_id: str) -> str:
        with self._uow.read() as session:
            row = session.get(PeerRow, peer_id)
            assert row is not None
            key = row.witness_key
        return key.split("+", 1)[0]  # a C2SP verifier key begins with its name

    def _record(
        self,
        ctx: CallContext,
        peer_id: str,
        token: str,
        error: str,
        peer_size: int | None,
        cosigned: int | None,
    ) -> LinkStatus | None:
        with self._uow(ctx) as uow:
            session = uow.session
            peer = session.get(PeerRow, peer_id)
            assert peer is not None
            link = locked_link(session, peer_id)
            if link.lease_token != token:
                # This sync outlived its lease and another took the link: that one
                # records its own outcome and keeps its lease.
                log.warning("a sync outlived its lease", peer_id=peer_id)
                return None
            link.lease_until = link.lease_token = None
            was_down = link.failures >= ALERT_AFTER
            link.last_attempt_at = uow.now
            if peer_size is not None:
                link.peer_size = max(link.peer_size or 0, peer_size)
            if cosigned is not None:
                link.cosigned_size = max(link.cosigned_size or 0, cosigned)
            if not error:
                link.failures, link.last_error = 0, ""
                link.last_success_at = uow.now
                link.next_attempt_at = uow.now + self._period
                if was_down:
                    uow.record("peer.link_up", SYNC, target_id=peer_id, data={})
            else:
                link.failures = (link.failures or 0) + 1
                link.last_error = error
                link.next_attempt_at = uow.now + backoff(link.failures)
                if link.failures == ALERT_AFTER:
                    data = {"failures": link.failures, "error": error}
                    uow.record("peer.link_down", SYNC, target_id=peer_id, data=data)
                    self._monitoring.raise_within(
                        uow,
                        rule="peer_link_down",
                        severity="high",
                        subject_id=peer_id,
                        subject_name=peer.name,
                        summary=f"peer {peer.name} failed {ALERT_AFTER} syncs in a row: {error}",
                        data=data,
                    )
            session.flush()
            return _status(peer, link)


def _status(peer: PeerRow, link: PeerLinkRow | None) -> LinkStatus:
    return LinkStatus(
        peer_id=peer.id,
        peer=peer.name,
        status=peer.status,
        last_attempt_at=None if link is None else link.last_attempt_at,
        last_success_at=None if link is None else link.last_success_at,
        failures=0 if link is None else link.failures,
        last_error="" if link is None else link.last_error,
        next_attempt_at=None if link is None else link.next_attempt_at,
        peer_checkpoint_size=0 if link is None else link.peer_size,
        cosigned_size=0 if link is None else link.cosigned_size,
    )
