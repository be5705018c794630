"""Keeping in touch with peers: a sync is a signed hello and the peer's cosignature of
our checkpoint; each link keeps its state, backs off when the peer fails, raises an
alert after three failures in a row and records the link coming back."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from caveat.adapters.db.models import EventRow
from caveat.adapters.db.models.federation import PeerLinkRow
from caveat.adapters.db.models.ledger import AlertRow
from caveat.adapters.federation_transport import HttpPeerTransport
from caveat.domain.errors import Conflict, PermissionDenied
from caveat.domain.identity import Role
from caveat.services.federation import PeerSync
from caveat.services.federation._sync import LEASE, backoff
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext
from caveat.services.ledger import WitnessService
from tests.federation.support import InProcessWitness, Pair, linked, releases
from tests.support import FakeClock, Scenario

CONSOLE = ConsoleOperator()


class Down:
    """A peer that cannot be reached (as a closed port or a failed TLS handshake)."""

    def send(
        self, method: str, url: str, headers: dict[str, str], body: bytes, *, limit: int = 0
    ) -> tuple[int, bytes]:
        raise ConnectionError("connection refused")


def _sync(pair: Pair, *, down: bool = False) -> PeerSync:
    a = pair.a
    return PeerSync(
        uow=a.uow,
        federation=linked(a, Down()) if down else pair.a_link,
        releases=releases(a, Down() if down else HttpPeerTransport(http=pair.b_http)),
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


def _types(pair: Pair) -> list[str]:
    with pair.a.uow.read() as session:
        rows = session.scalars(
            select(EventRow.type).where(EventRow.type.like("peer.link_%")).order_by(EventRow.seq)
        )
        return list(rows)


def test_a_sync_says_hello_and_gets_our_checkpoint_cosigned(pair: Pair, clock: FakeClock) -> None:
    sync = _sync(pair)
    [link] = sync.run_due(CallContext.cli())
    assert link.up, link
    assert link.peer == "node-b"
    assert link.cosigned_size > 0
    assert link.peer_checkpoint_size > 0
    assert link.next_attempt_at == clock() + timedelta(minutes=1)
    assert sync.run_due(CallContext.cli()) == []  # not due again yet
    clock.advance(minutes=1)
    assert len(sync.run_due(CallContext.cli())) == 1
    assert _types(pair) == []  # routine syncs write no events


def test_a_failing_peer_backs_off_alerts_once_and_comes_back(pair: Pair, clock: FakeClock) -> None:
    failing = _sync(pair, down=True)
    waits = []
    for _ in range(4):
        [link] = failing.run_due(CallContext.cli())
        assert not link.up
        assert link.last_error.startswith("peer_unavailable: ")
        assert link.next_attempt_at is not None
        waits.append(link.next_attempt_at - clock())
        assert failing.run_due(CallContext.cli()) == []  # backing off
        clock.advance(seconds=waits[-1].total_seconds())
    assert waits == [backoff(1), backoff(2), backoff(3), backoff(4)]
    assert waits[:3] == [timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2)]
    assert backoff(20) == timedelta(hours=1)
    with pair.a.uow.read() as session:
        alerts = list(session.scalars(select(AlertRow).where(AlertRow.rule == "peer_link_down")))
    assert len(alerts) == 1  # at the third failure, not at every one
    assert "connection refused" in alerts[0].summary
    assert _types(pair) == ["peer.link_down"]
    [back] = _sync(pair).run_due(CallContext.cli())
    assert back.up
    assert back.failures == 0
    assert _types(pair) == ["peer.link_down", "peer.link_up"]
    listed = {link.peer: link for link in _sync(pair).links(CONSOLE)}
    assert listed["node-b"].up


def test_only_operators_sync_on_demand(pair: Pair, clock: FakeClock) -> None:
    world = Scenario(pair.a, clock)
    world.person("rita", roles=(Role.RESEARCHER,))
    rita = Principal(person=pair.a.people.get_person("rita"), mfa_at=clock())
    with pytest.raises(PermissionDenied):
        _sync(pair).sync_now(rita, CallContext.cli(), "node-b")
    with pytest.raises(PermissionDenied):
        _sync(pair).links(rita)
    done = _sync(pair).sync_now(CONSOLE, CallContext.cli(), "node-b")
    assert done.up
    assert json.loads(json.dumps(done.last_error)) == ""


class _Held:
    """A peer that answers only when let go (a slow peer while another process syncs)."""

    def __init__(self, inner: HttpPeerTransport) -> None:
        self.inner = inner
        self.entered = threading.Event()
        self.go = threading.Event()

    def send(
        self, method: str, url: str, headers: dict[str, str], body: bytes, *, limit: int = 0
    ) -> tuple[int, bytes]:
        self.entered.set()
        assert self.go.wait(30)
        return self.inner.send(method, url, headers, body, limit=limit)


def _held_sync(pair: Pair, held: _Held) -> PeerSync:
    sync = _sync(pair)
    sync._federation = linked(pair.a, held)
    return sync


def test_one_process_syncs_with_a_peer_at_a_time(pair: Pair, clock: FakeClock) -> None:
    """A second process finds the link leased: it neither talks to the peer nor records
    an outcome, and an operator's "sync now" says one is running."""
    held = _Held(HttpPeerTransport(http=pair.b_http))
    first = _held_sync(pair, held)
    outcome: list[object] = []
    running = threading.Thread(target=lambda: outcome.extend(first.run_due(CallContext.cli())))
    running.start()
    assert held.entered.wait(10)
    try:
        assert _sync(pair).run_due(CallContext.cli()) == []
        with pytest.raises(Conflict) as busy:
            _sync(pair).sync_now(CONSOLE, CallContext.cli(), "node-b")
        assert busy.value.code == "sync_running"
    finally:
        held.go.set()
        running.join(30)
    [link] = outcome
    assert link.up  # type: ignore[attr-defined]
    clock.advance(minutes=2)
    assert len(_sync(pair).run_due(CallContext.cli())) == 1  # the lease went with the sync


def test_a_sync_that_outlives_its_lease_leaves_the_link_to_the_next(
    pair: Pair, clock: FakeClock
) -> None:
    held = _Held(HttpPeerTransport(http=pair.b_http))
    stalled = _held_sync(pair, held)
    outcome: list[object] = []
    running = threading.Thread(target=lambda: outcome.extend(stalled.run_due(CallContext.cli())))
    running.start()
    assert held.entered.wait(10)
    clock.advance(seconds=LEASE.total_seconds() + 1)  # the stalled sync's lease lapses
    try:
        [taken] = _sync(pair).run_due(CallContext.cli())
        assert taken.up
    finally:
        held.go.set()
        running.join(30)
    assert outcome == []  # the stalled sync recorded nothing over the newer outcome
    with pair.a.uow.read() as session:
        link = session.get(PeerLinkRow, taken.peer_id)
        assert link is not None
        assert (link.lease_until, link.lease_token) == (None, None)
        assert link.last_attempt_at == taken.last_attempt_at
