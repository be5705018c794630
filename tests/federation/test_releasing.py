"""Releasing to a partner node, end to end between two real nodes: an originating
officer releases an artifact the policy lets the node receive; the package waits in the
outbox; the partner pulls it over the signed protocol from its cursor, verifies every
part and keeps it with its provenance. What the policy refuses is never packaged, and a
package changed on the way is refused, recorded and alerted without blocking the rest."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from caveat.adapters.db.models import EventRow
from caveat.adapters.db.models.artifacts import ArtifactVersionRow
from caveat.adapters.db.models.federation import PeerLinkRow, PeerOutboxRow, PeerRow
from caveat.adapters.db.models.ledger import AlertRow
from caveat.adapters.federation_transport import HttpPeerTransport
from caveat.api.app import create_app
from caveat.bootstrap.container import Node
from caveat.domain.errors import IntegrityError, PermissionDenied, ServiceUnavailable
from caveat.domain.identity import Clearance, CommonLevel, Role
from caveat.services.artifacts import NewArtifact
from caveat.services.federation import (
    OUTBOX_FRAMES_PATH,
    PROTOCOL_RECHECK,
    PULL_BATCH,
    V1_PULL_BATCH,
    PeerRecalls,
    PeerReleases,
    _releasing,
    outbox_frames,
    outbox_frames_of,
    outbox_json,
)
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext
from tests.compliance.support import World
from tests.federation.support import Pair, make_pair, releases
from tests.support import FakeClock

CONSOLE = ConsoleOperator()
DATA = b"range_km,pd\n40,0.91\n60,0.74\n"


def ctx() -> CallContext:
    return CallContext.cli()


@pytest.fixture
def gbr(node: Node, clock: FakeClock, tmp_path: Path, world: World) -> Iterator[Pair]:
    """The world's US node (A) peered with a British node (B) under the Sensor MoU, the
    peer's releases going to Dstl up to SECRET."""
    for made in make_pair(node, clock, tmp_path, b_nation="GBR"):
        mou = node.agreements.create(CONSOLE, ctx(), world.draft(name="Sensor MoU"))
        node.agreements.move(CONSOLE, ctx(), mou.id, "activate", reason="signed")
        node.federation.set_agreements(CONSOLE, ctx(), "node-b", ["Sensor MoU"])
        node.federation.set_recipient(
            CONSOLE, ctx(), "node-b", organisation=world.dstl, accredited="SECRET"
        )
        yield made


def _upload(world: World, title: str, label: str, data: bytes = DATA) -> str:
    version = world.node.artifacts.put(
        world.principal("alice"),
        ctx(),
        [data],
        sha256=hashlib.sha256(data).hexdigest(),
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


def test_a_release_travels_sealed_and_is_kept_with_its_provenance(gbr: Pair, world: World) -> None:
    artifact = _upload(world, "trials", "SECRET//REL TO USA, GBR")
    sent = world.node.federation_releases.send(world.principal("sol"), ctx(), "node-b", artifact)
    assert sent.seq >= 1
    assert sent.content_sha256 == hashlib.sha256(DATA).hexdigest()
    assert (
        DATA not in world.node.federation_releases.outbox(_caller(gbr), after=0, limit=8)[0].package
    )  # sealed: the plaintext is nowhere in the package
    [released] = _events(world.node, "peer.released")
    assert released["resource_id"] == artifact
    pulling = _b_pulls_from(gbr)
    assert pulling.pull(ctx(), _a_at_b(gbr)) == 1
    assert pulling.pull(ctx(), _a_at_b(gbr)) == 0  # from the cursor: nothing twice
    [kept] = gbr.b.federation_releases.received(CONSOLE)
    assert kept.peer == "node-a"
    assert kept.banner == "SECRET//REL TO USA, GBR"
    assert kept.media_type == "text/csv"
    assert kept.size == len(DATA)
    assert kept.content_sha256 == sent.content_sha256
    assert len(_events(gbr.b, "peer.received")) == 1


def test_what_the_policy_refuses_is_never_packaged(gbr: Pair, world: World) -> None:
    noforn = _upload(world, "noforn", "SECRET//NOFORN")
    with pytest.raises(PermissionDenied) as refused:
        world.node.federation_releases.send(world.principal("sol"), ctx(), "node-b", noforn)
    assert refused.value.code == "node_release_denied"
    assert refused.value.data["failed"] == ["releasability"]
    # Only the originating organisation's security officer sends: not the author.
    allowed = _upload(world, "ok", "SECRET//REL TO USA, GBR")
    with pytest.raises(PermissionDenied):
        world.node.federation_releases.send(world.principal("alice"), ctx(), "node-b", allowed)
    with world.node.uow.read() as session:
        assert session.scalars(select(PeerOutboxRow)).all() == []


def test_a_package_changed_on_the_way_is_refused_without_blocking_the_rest(
    gbr: Pair, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    sol = world.principal("sol")
    first = _upload(world, "first", "SECRET//REL TO USA, GBR")
    second = _upload(world, "second", "SECRET//REL TO USA, GBR", b"second,file\n")
    bad = world.node.federation_releases.send(sol, ctx(), "node-b", first)
    world.node.federation_releases.send(sol, ctx(), "node-b", second)
    with world.node.uow(ctx()) as uow:  # a relay (or the database) changes one byte
        row = uow.session.scalar(select(PeerOutboxRow).where(PeerOutboxRow.peer_seq == bad.seq))
        assert row is not None
        changed = bytearray(row.package)
        changed[len(changed) // 2] ^= 1
        row.package = bytes(changed)
    pulling = _b_pulls_from(gbr)
    pages: list[bool] = []
    at_once = PeerReleases._keep_page

    def spy(self: PeerReleases, *args: Any, **kwargs: Any) -> tuple[int, set[int]] | None:
        result = at_once(self, *args, **kwargs)
        pages.append(result is not None)
        return result

    monkeypatch.setattr(PeerReleases, "_keep_page", spy)
    assert pulling.pull(ctx(), _a_at_b(gbr)) == 1
    assert pages == [True]  # refused within the page written at once
    [kept] = gbr.b.federation_releases.received(CONSOLE)
    assert kept.size == len(b"second,file\n")
    [refusal] = _events(gbr.b, "peer.package_refused")
    assert refusal["seq"] == bad.seq
    assert refusal["code"].startswith("tdf_")
    with gbr.b.uow.read() as session:
        alerts = session.scalars(select(AlertRow).where(AlertRow.rule == "peer_package_refused"))
        assert len(list(alerts)) == 1
    assert pulling.pull(ctx(), _a_at_b(gbr)) == 0  # a re-sync takes nothing twice
    assert len(gbr.b.federation_releases.received(CONSOLE)) == 1
    assert len(_events(gbr.b, "peer.package_refused")) == 1


def test_the_outbox_answers_only_the_peer_it_holds_packages_for(gbr: Pair, world: World) -> None:
    artifact = _upload(world, "trials", "SECRET//REL TO USA, GBR")
    world.node.federation_releases.send(world.principal("sol"), ctx(), "node-b", artifact)
    assert len(world.node.federation_releases.outbox(_caller(gbr), after=0, limit=8)) == 1
    other = replace(_caller(gbr), peer_id="00000000-0000-4000-8000-000000000000")
    assert world.node.federation_releases.outbox(other, after=0, limit=8) == []
    # B holds nothing for A: A's pull from B keeps nothing.
    pulling = releases(world.node, HttpPeerTransport(http=gbr.b_http))
    assert pulling.pull(ctx(), _b_id_at_a(world)) == 0


def _b_id_at_a(world: World) -> str:
    [peer] = world.node.federation.peers(CONSOLE)
    return peer.id


def _caller(pair: Pair) -> Any:
    from caveat.services.federation import PeerCaller

    [peer] = pair.a.federation.peers(CONSOLE)
    return PeerCaller(peer.id, peer.node_id, peer.name, peer.nation, peer.organisation)


def test_large_packages_travel_one_page_at_a_time(gbr: Pair, world: World) -> None:
    """Pages hold at most 16 MiB of packages (one larger package goes alone), and an
    answer of several MiB is read whole."""
    sol = world.principal("sol")
    big = [bytes([i]) * (9 << 20) for i in (1, 2)]
    for i, data in enumerate(big):
        artifact = _upload(world, f"big{i}", "SECRET//REL TO USA, GBR", data)
        world.node.federation_releases.send(sol, ctx(), "node-b", artifact)
    pulling = _b_pulls_from(gbr)
    assert pulling.pull(ctx(), _a_at_b(gbr)) == 1
    assert pulling.pull(ctx(), _a_at_b(gbr)) == 1
    assert pulling.pull(ctx(), _a_at_b(gbr)) == 0
    kept = gbr.b.federation_releases.received(CONSOLE)
    assert sorted(k.content_sha256 for k in kept) == sorted(
        hashlib.sha256(d).hexdigest() for d in big
    )


def test_a_received_item_is_shown_to_its_reader_in_their_national_form(
    gbr: Pair, world: World, clock: FakeClock
) -> None:
    artifact = _upload(world, "plan", "SECRET//REL TO USA, GBR")
    world.node.federation_releases.send(world.principal("sol"), ctx(), "node-b", artifact)
    assert _b_pulls_from(gbr).pull(ctx(), _a_at_b(gbr)) == 1
    [operating] = [o for o in gbr.b.registry.list_organisations() if o.nation == "GBR"]
    gbr.b.people.create_person(
        CONSOLE,
        ctx(),
        username="hugh",
        display_name="Hugh P",
        email="hugh@b.example",
        organisation=operating.id,
        citizenships=["GBR"],
        roles=[Role.SECURITY_OFFICER],
        clearance=Clearance(CommonLevel.SECRET, "SECRET", "GBR", date(2030, 1, 1)),
    )
    hugh = Principal(person=gbr.b.people.get_person("hugh"), mfa_at=clock())
    [seen] = gbr.b.federation_releases.received(hugh)
    assert seen.banner == "SECRET//REL TO USA, GBR"  # as its originator marked it
    assert seen.viewer_banner == "//GBR SECRET//REL TO USA, GBR"
    [at_console] = gbr.b.federation_releases.received(CONSOLE)
    assert at_console.viewer_banner is None  # the console has no nation of its own


def _send_items(world: World, count: int) -> list[int]:
    sol = world.principal("sol")
    return [
        world.node.federation_releases.send(
            sol,
            ctx(),
            "node-b",
            _upload(world, f"item{i}", "SECRET//REL TO USA, GBR", f"item,{i}\n".encode()),
        ).seq
        for i in range(count)
    ]


def _cursor(pair: Pair) -> int:
    with pair.b.uow.read() as session:
        link = session.get(PeerLinkRow, _a_at_b(pair))
        return 0 if link is None else link.pulled_seq


def test_a_page_of_packages_is_kept_in_one_transaction(
    gbr: Pair, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One lock of the link and one commit for a page, each package still with its
    ``peer.received`` event; ten packages come in one page (the protocol's page is 64)."""
    seqs = _send_items(world, 10)
    locks: list[str] = []
    original = _releasing.locked_link

    def counted(session: Session, peer_id: str) -> PeerLinkRow:
        locks.append(peer_id)
        return original(session, peer_id)

    monkeypatch.setattr(_releasing, "locked_link", counted)
    assert _b_pulls_from(gbr).pull(ctx(), _a_at_b(gbr)) == 10
    assert len(locks) == 1
    assert sorted(e["seq"] for e in _events(gbr.b, "peer.received")) == seqs
    assert _cursor(gbr) == seqs[-1]


class Injected(RuntimeError):
    pass


def test_a_package_that_fails_unexpectedly_is_undone_alone(
    gbr: Pair, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The packages before it in its page are kept (their transaction commits), the
    cursor stops before it and nothing of it is recorded; the next pull takes it. The
    page, first written at once, is undone whole and redone item by item."""
    seqs = _send_items(world, 3)
    original = PeerReleases._keep

    def fails_second(self: PeerReleases, *args: Any, **kwargs: Any) -> tuple[int, bool]:
        kept = original(self, *args, **kwargs)  # its rows and event written, then undone
        if args[4].seq == seqs[1]:  # checked
            raise Injected
        return kept

    monkeypatch.setattr(PeerReleases, "_keep", fails_second)
    pulling = _b_pulls_from(gbr)
    with pytest.raises(Injected):
        pulling.pull(ctx(), _a_at_b(gbr))
    assert [e["seq"] for e in _events(gbr.b, "peer.received")] == seqs[:1]
    assert len(gbr.b.federation_releases.received(CONSOLE)) == 1
    assert _cursor(gbr) == seqs[0]
    monkeypatch.setattr(PeerReleases, "_keep", original)
    assert pulling.pull(ctx(), _a_at_b(gbr)) == 2
    assert [e["seq"] for e in _events(gbr.b, "peer.received")] == seqs
    assert pulling.pull(ctx(), _a_at_b(gbr)) == 0  # nothing taken twice
    assert len(gbr.b.federation_releases.received(CONSOLE)) == 3


class _PagesAsked:
    """A transport that records each outbox page asked for (its cursor and the thread
    that asked) and the requests still in flight; ``slow`` delays every page but the
    first."""

    def __init__(self, inner: HttpPeerTransport, *, slow: float = 0.0) -> None:
        self.inner, self.slow = inner, slow
        self.asked: list[tuple[int, str]] = []
        self.in_flight = 0

    def send(
        self, method: str, url: str, headers: dict[str, str], body: bytes, *, limit: int
    ) -> tuple[int, bytes]:
        if "/outbox" not in url:
            return self.inner.send(method, url, headers, body, limit=limit)
        self.in_flight += 1
        try:
            if self.asked and self.slow:
                time.sleep(self.slow)
            after = int(url.split("after=", 1)[1].split("&", 1)[0])
            self.asked.append((after, threading.current_thread().name))
            return self.inner.send(method, url, headers, body, limit=limit)
        finally:
            self.in_flight -= 1


def test_a_backlog_comes_in_one_pull_each_page_asked_for_while_the_last_is_kept(
    gbr: Pair, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of four here: the next page is asked for on another thread, from where
    the page being kept ends, and the pull stops at the first empty page."""
    monkeypatch.setattr(_releasing, "PULL_BATCH", 4)
    seqs = _send_items(world, 10)
    a_http = TestClient(create_app(gbr.a), base_url="https://a.example")
    pages = _PagesAsked(HttpPeerTransport(http=a_http))
    assert releases(gbr.b, pages).pull(ctx(), _a_at_b(gbr), pages=16) == 10
    assert [after for after, _ in pages.asked] == [0, seqs[3], seqs[7], seqs[9]]
    here = threading.current_thread().name
    assert [thread == here for _, thread in pages.asked] == [True, False, False, False]
    assert [e["seq"] for e in _events(gbr.b, "peer.received")] == seqs
    assert _cursor(gbr) == seqs[-1]


def test_a_pull_takes_no_more_pages_than_asked_and_asks_for_none_beyond(
    gbr: Pair, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_releasing, "PULL_BATCH", 4)
    seqs = _send_items(world, 10)
    a_http = TestClient(create_app(gbr.a), base_url="https://a.example")
    pages = _PagesAsked(HttpPeerTransport(http=a_http))
    pulling = releases(gbr.b, pages)
    assert pulling.pull(ctx(), _a_at_b(gbr), pages=2) == 8
    assert [after for after, _ in pages.asked] == [0, seqs[3]]
    assert _cursor(gbr) == seqs[7]
    assert pulling.pull(ctx(), _a_at_b(gbr), pages=2) == 2  # the next sync goes on


def test_a_pull_of_one_page_asks_for_no_other(gbr: Pair, world: World) -> None:
    _send_items(world, 3)
    a_http = TestClient(create_app(gbr.a), base_url="https://a.example")
    pages = _PagesAsked(HttpPeerTransport(http=a_http))
    assert releases(gbr.b, pages).pull(ctx(), _a_at_b(gbr)) == 3
    assert [after for after, _ in pages.asked] == [0]


def test_a_page_that_fails_ends_the_pull_and_the_next_page_is_not_taken(
    gbr: Pair, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page asked for meanwhile is dropped once its request ends (no request
    outlives the pull); the cursor stops before the failing package and the next pull
    takes up from there, nothing twice."""
    monkeypatch.setattr(_releasing, "PULL_BATCH", 4)
    seqs = _send_items(world, 6)
    original = PeerReleases._keep

    def fails_second(self: PeerReleases, *args: Any, **kwargs: Any) -> tuple[int, bool]:
        kept = original(self, *args, **kwargs)
        if args[4].seq == seqs[1]:
            raise Injected
        return kept

    monkeypatch.setattr(PeerReleases, "_keep", fails_second)
    a_http = TestClient(create_app(gbr.a), base_url="https://a.example")
    pages = _PagesAsked(HttpPeerTransport(http=a_http), slow=0.3)
    pulling = releases(gbr.b, pages)
    with pytest.raises(Injected):
        pulling.pull(ctx(), _a_at_b(gbr), pages=16)
    assert pages.in_flight == 0
    assert [after for after, _ in pages.asked] == [0, seqs[3]]  # asked, not taken
    assert [e["seq"] for e in _events(gbr.b, "peer.received")] == seqs[:1]
    assert _cursor(gbr) == seqs[0]
    monkeypatch.setattr(PeerReleases, "_keep", original)
    assert pulling.pull(ctx(), _a_at_b(gbr), pages=16) == 5
    assert [e["seq"] for e in _events(gbr.b, "peer.received")] == seqs


class _PeerFailing:
    """A transport whose outbox answers go wrong from the ``nth`` on: the peer is down
    (``down``), or it answers the first page again (a page that goes back)."""

    def __init__(self, inner: HttpPeerTransport, nth: int, *, down: bool) -> None:
        self.inner, self.nth, self.down = inner, nth, down
        self.pages: list[tuple[int, bytes]] = []

    def send(
        self, method: str, url: str, headers: dict[str, str], body: bytes, *, limit: int
    ) -> tuple[int, bytes]:
        if "/outbox" not in url:
            return self.inner.send(method, url, headers, body, limit=limit)
        if len(self.pages) + 1 >= self.nth:
            self.pages.append((0, b""))
            if self.down:
                raise ConnectionError("the peer went down")
            return 200, self.pages[0][1]
        answer = self.inner.send(method, url, headers, body, limit=limit)
        self.pages.append(answer)
        return answer


def test_a_page_that_cannot_be_fetched_ends_the_pull_after_the_pages_before(
    gbr: Pair, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pages before stand, each followed by its confirmations (recalls acted on,
    re-release requests), and the next sync takes up from the cursor."""
    monkeypatch.setattr(_releasing, "PULL_BATCH", 4)
    seqs = _send_items(world, 10)
    confirmed: list[int] = []
    original = PeerRecalls.acknowledge

    def counted(self: PeerRecalls, peer_id: str) -> int:
        confirmed.append(_cursor(gbr))
        return original(self, peer_id)

    monkeypatch.setattr(PeerRecalls, "acknowledge", counted)
    a_http = TestClient(create_app(gbr.a), base_url="https://a.example")
    failing = _PeerFailing(HttpPeerTransport(http=a_http), 3, down=True)
    with pytest.raises(ServiceUnavailable) as down:
        releases(gbr.b, failing).pull(ctx(), _a_at_b(gbr), pages=16)
    assert down.value.code == "peer_unavailable"
    assert confirmed == [seqs[3], seqs[7]]  # after each page kept
    assert [e["seq"] for e in _events(gbr.b, "peer.received")] == seqs[:8]
    assert _cursor(gbr) == seqs[7]
    assert _b_pulls_from(gbr).pull(ctx(), _a_at_b(gbr), pages=16) == 2


def test_a_page_that_goes_back_is_refused_not_taken_page_after_page(
    gbr: Pair, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A peer that answers the next page with entries at or before the cursor (its
    first page again) is refused at once, not asked fifteen more times."""
    monkeypatch.setattr(_releasing, "PULL_BATCH", 4)
    seqs = _send_items(world, 6)
    a_http = TestClient(create_app(gbr.a), base_url="https://a.example")
    replaying = _PeerFailing(HttpPeerTransport(http=a_http), 2, down=False)
    with pytest.raises(IntegrityError) as refused:
        releases(gbr.b, replaying).pull(ctx(), _a_at_b(gbr), pages=16)
    assert refused.value.code == "peer_answer_invalid"
    assert len(replaying.pages) == 2
    assert [e["seq"] for e in _events(gbr.b, "peer.received")] == seqs[:4]
    assert _cursor(gbr) == seqs[3]


def test_the_peers_key_is_read_again_for_every_page(
    gbr: Pair, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key changed while a pull runs checks the pages after: here a wrong one, so
    the second page's packages are refused."""
    monkeypatch.setattr(_releasing, "PULL_BATCH", 4)
    seqs = _send_items(world, 6)
    original = PeerReleases._take_page
    peer_id = _a_at_b(gbr)

    def then_rekeyed(self: PeerReleases, *args: Any) -> int:
        kept = original(self, *args)
        with gbr.b.uow(ctx()) as uow:
            row = uow.session.get(PeerRow, peer_id)
            assert row is not None
            other = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
            row.signing_key = base64.b64encode(other).decode()
        return kept

    monkeypatch.setattr(PeerReleases, "_take_page", then_rekeyed)
    assert _b_pulls_from(gbr).pull(ctx(), peer_id, pages=16) == 4
    assert [e["seq"] for e in _events(gbr.b, "peer.received")] == seqs[:4]
    assert [e["seq"] for e in _events(gbr.b, "peer.package_refused")] == seqs[4:]


class _FirstProtocolPeer:
    """A peer of the protocol's first release: it refuses a page larger than 8 (422)
    and has no binary outbox (404)."""

    def __init__(self, inner: HttpPeerTransport) -> None:
        self.inner = inner
        self.limits: list[int] = []
        self.frames_asked = 0
        self.upgraded = False

    def send(
        self, method: str, url: str, headers: dict[str, str], body: bytes, *, limit: int
    ) -> tuple[int, bytes]:
        if self.upgraded:
            self.frames_asked += f"{OUTBOX_FRAMES_PATH}?" in url
            return self.inner.send(method, url, headers, body, limit=limit)
        if f"{OUTBOX_FRAMES_PATH}?" in url:
            self.frames_asked += 1
            return 404, b'{"detail": "Not Found"}'
        if "/outbox?" in url:
            self.limits.append(int(url.rsplit("limit=", 1)[1]))
            if self.limits[-1] > V1_PULL_BATCH:
                return 422, b'{"detail": "limit"}'
        return self.inner.send(method, url, headers, body, limit=limit)


def test_a_peer_of_the_first_protocol_is_asked_for_its_page_of_eight(
    gbr: Pair, world: World
) -> None:
    seqs = _send_items(world, 10)
    a_http = TestClient(create_app(gbr.a), base_url="https://a.example")
    old = _FirstProtocolPeer(HttpPeerTransport(http=a_http))
    pulling = releases(gbr.b, old)
    assert pulling.pull(ctx(), _a_at_b(gbr)) == V1_PULL_BATCH
    assert pulling.pull(ctx(), _a_at_b(gbr)) == 2
    # What the peer lacks is asked once, not at every pull.
    assert old.limits == [PULL_BATCH, V1_PULL_BATCH, V1_PULL_BATCH]
    assert old.frames_asked == 1
    assert sorted(e["seq"] for e in _events(gbr.b, "peer.received")) == seqs


def test_an_upgraded_peer_is_asked_again_after_an_hour(
    gbr: Pair, world: World, clock: FakeClock
) -> None:
    _send_items(world, 2)
    a_http = TestClient(create_app(gbr.a), base_url="https://a.example")
    old = _FirstProtocolPeer(HttpPeerTransport(http=a_http))
    pulling = releases(gbr.b, old)
    assert pulling.pull(ctx(), _a_at_b(gbr)) == 2
    clock.advance(seconds=PROTOCOL_RECHECK.total_seconds() - 1)
    assert pulling.pull(ctx(), _a_at_b(gbr)) == 0
    assert (old.frames_asked, old.limits) == (1, [PULL_BATCH, V1_PULL_BATCH, V1_PULL_BATCH])
    old.upgraded = True  # now serves the binary page and pages of any size
    clock.advance(seconds=1)
    _send_items(world, 1)
    assert pulling.pull(ctx(), _a_at_b(gbr)) == 1
    assert old.frames_asked == 2


class _Recording:
    """A transport that records the paths asked for."""

    def __init__(self, inner: HttpPeerTransport) -> None:
        self.inner = inner
        self.paths: list[str] = []

    def send(
        self, method: str, url: str, headers: dict[str, str], body: bytes, *, limit: int
    ) -> tuple[int, bytes]:
        self.paths.append(url.split("/federation/v1", 1)[1].split("?", 1)[0])
        return self.inner.send(method, url, headers, body, limit=limit)


def test_the_outbox_comes_in_binary_frames_from_a_current_peer(gbr: Pair, world: World) -> None:
    seqs = _send_items(world, 3)
    a_http = TestClient(create_app(gbr.a), base_url="https://a.example")
    recording = _Recording(HttpPeerTransport(http=a_http))
    assert releases(gbr.b, recording).pull(ctx(), _a_at_b(gbr)) == 3
    assert [p for p in recording.paths if p.startswith("/outbox")] == [OUTBOX_FRAMES_PATH]
    assert [e["seq"] for e in _events(gbr.b, "peer.received")] == seqs


def test_the_binary_page_carries_what_the_json_page_does(gbr: Pair, world: World) -> None:
    """Old receivers are still served the JSON page; both pages give the same entries,
    over HTTP as from the service, and only to a signed request."""
    _send_items(world, 3)
    rows = world.node.federation_releases.outbox(_caller(gbr), after=0, limit=PULL_BATCH)
    framed = list(outbox_frames_of("node-a", outbox_frames(rows)))
    items = outbox_json(rows)["items"]
    assert isinstance(items, list)
    as_json = [_releasing._item(i) for i in items]
    assert framed == as_json
    assert [seq for seq, _, _ in framed] == [r.peer_seq for r in rows]
    assert {kind for _, _, kind in framed} == {"package"}
    a_http = TestClient(create_app(gbr.a), base_url="https://a.example")
    for path in ("/outbox", OUTBOX_FRAMES_PATH):
        unsigned = a_http.get(f"/federation/v1{path}?after=0&limit=8")
        assert unsigned.status_code == 401, path


@pytest.mark.parametrize(
    ("body", "entries_before"),
    [
        (b"not a page", None),
        (_releasing.OUTBOX_FRAMES_MAGIC + b"\x00" * 5, 0),  # cut short
        (_releasing.OUTBOX_FRAMES_MAGIC + _releasing._FRAME.pack(0, 0, 0), 0),  # seq 0
        (_releasing.OUTBOX_FRAMES_MAGIC + _releasing._FRAME.pack(2**53, 0, 0), 0),
        (_releasing.OUTBOX_FRAMES_MAGIC + _releasing._FRAME.pack(1, 3, 0), 0),  # no such kind
        (_releasing.OUTBOX_FRAMES_MAGIC + _releasing._FRAME.pack(1, 0, 9) + b"12345678", 0),
        (
            _releasing.OUTBOX_FRAMES_MAGIC
            + _releasing._FRAME.pack(1, 1, 2)
            + b"ok"
            + _releasing._FRAME.pack(2, 0, 2**40),
            1,
        ),
    ],
)
def test_a_malformed_binary_page_is_refused_where_it_breaks(
    body: bytes, entries_before: int | None
) -> None:
    taken: list[tuple[int, bytes, str]] = []

    def take() -> None:
        for entry in outbox_frames_of("node-a", body):
            taken.append(entry)

    with pytest.raises(IntegrityError) as refused:
        take()
    assert refused.value.code == "peer_answer_invalid"
    assert len(taken) == (entries_before or 0)
    if entries_before:
        assert taken == [(1, b"ok", "recall")]
