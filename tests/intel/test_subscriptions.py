"""Subscriptions to a partner's TAXII 2.1 collection, against a real partner: a second
Caveat node (its own SQLite database) serving TAXII over HTTP on loopback, read by OASIS's
``taxii2-client``. The subscribing node is the test's node (SQLite, or PostgreSQL).

The partner's collection holds indicators under the four labels of ``MARKINGS``; the
subscription allows ``CONFIDENTIAL//REL TO USA, GBR`` and wider-marked ones (the
UNCLASSIFIED quarter) are refused.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from caveat.adapters.db.models import EventRow
from caveat.adapters.db.models.policy import ResourceRow
from caveat.adapters.db.models.taxii import TaxiiObjectRow, TaxiiSubscriptionRow
from caveat.adapters.taxii_source import TaxiiSource
from caveat.bootstrap.container import FirstOperator, Node, init_node
from caveat.bootstrap.settings import HashProfile, Settings
from caveat.domain.errors import InvalidInput, NotFound, PermissionDenied
from caveat.domain.labels import TLP, label_from_canonical_json, render_banner
from caveat.domain.taxii_feeds import FeedCredentials, FeedPage, credentials
from caveat.services.intel import PollResult, Subscription, SubscriptionService
from caveat.services.intel._subscriptions import LEASE
from caveat.services.kernel.uow import CallContext
from tests.intel.support import (
    CONSOLE,
    MARKINGS,
    Population,
    envelope,
    indicator,
    label,
    populate,
    serving,
)
from tests.support import FakeClock, migrated_sqlite

CTX = CallContext("test", "10.0.0.1")
ALLOWED = "CONFIDENTIAL//REL TO USA, GBR"
WIDER = "UNCLASSIFIED"  # below what the subscription allows: refused


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test's node may reach the partner on loopback over HTTP (tests only)."""
    return settings.model_copy(update={"taxii_unsafe_local_endpoints": True})


@pytest.fixture
def partner(tmp_path: Path, clock: FakeClock) -> Iterator[Population]:
    """A partner node with its own database, people and collection."""
    node, _ = init_node(
        Settings(
            data_dir=tmp_path / "partner",
            database_url=migrated_sqlite(tmp_path / "partner.db"),
            hash_profile=HashProfile.TEST,
            node_name="partner-node",
        ),
        FirstOperator("operator", "Olive", "olive@partner.example", "Partner Ops", "GBR"),
        clock=clock,
    )
    try:
        yield populate(node, clock)
    finally:
        node.close()


@pytest.fixture
def local(node: Node, partner: Population, clock: FakeClock) -> Population:
    return populate(node, clock)


@pytest.fixture
def partner_url(partner: Population) -> Iterator[str]:
    with serving(partner.node) as base:
        yield base


def _post(partner: Population, numbers: Sequence[int]) -> dict[str, str]:
    """Indicators posted by alice to the partner's collection: id -> marking."""
    items = [(indicator(n), MARKINGS[n % len(MARKINGS)]) for n in numbers]
    body = json.dumps(envelope(partner.node, items)).encode()
    status = partner.node.taxii.add_objects(
        partner.principal("alice"), CTX, partner.collection, body
    )
    assert status.failures == (), status.failures
    return {p["id"]: m for p, m in items}


def _feed_url(base: str, partner: Population) -> str:
    return f"{base}/taxii2/caveat/collections/{partner.collection}/"


def _subscribe(
    local: Population,
    partner: Population,
    base: str,
    *,
    secret: str | None = None,
    service: SubscriptionService | None = None,
) -> Subscription:
    subs = service or local.node.taxii_subscriptions
    return subs.subscribe(
        local.principal("paula"),
        CTX,
        url=_feed_url(base, partner),
        collection=local.collection,
        label=label(local.node, ALLOWED),
        credentials=credentials("bearer", secret=secret or partner.tokens["alice"]),
    )


def _ingested(node: Node, collection: str) -> dict[str, tuple[str, str | None]]:
    """The object versions in ``collection``: id -> (banner of its label, subscription)."""
    found: dict[str, tuple[str, str | None]] = {}
    with node.uow.read() as session:
        rows = session.execute(
            select(TaxiiObjectRow.object_id, TaxiiObjectRow.subscription_id, ResourceRow.label_json)
            .join(ResourceRow, ResourceRow.id == TaxiiObjectRow.id)
            .where(TaxiiObjectRow.collection_id == collection)
        ).all()
    for object_id, subscription, text in rows:
        assert object_id not in found, f"{object_id} stored twice"
        assert text is not None
        lab = label_from_canonical_json(text.encode(), schemes=node.policy.schemes)
        found[object_id] = (render_banner(lab, schemes=node.policy.schemes), subscription)
    return found


def _events(node: Node, type_: str) -> list[dict[str, Any]]:
    with node.uow.read() as session:
        bodies = session.scalars(
            select(EventRow.body).where(EventRow.type == type_).order_by(EventRow.seq)
        )
        return [json.loads(b)["data"] for b in bodies]


def test_subscribe_poll_ingest_under_labels_with_provenance(
    local: Population, partner: Population, partner_url: str
) -> None:
    posted = _post(partner, range(20))
    node = local.node
    sub = _subscribe(local, partner, partner_url)
    assert (sub.state, sub.label, sub.auth, sub.owner) == ("new", ALLOWED, "bearer", "paula")

    [result] = node.taxii_subscriptions.run_due(CTX)
    wanted = {i: m for i, m in posted.items() if m != WIDER}
    assert result.error == ""
    assert (result.ingested, result.held, result.refused) == (len(wanted), 0, 5)
    assert result.caught_up
    # Each object under the partner's own label, with the subscription as provenance.
    assert _ingested(node, local.collection) == {i: (m, sub.id) for i, m in wanted.items()}
    status = node.taxii_subscriptions.subscription(local.principal("paula"), sub.id)
    assert (status.state, status.ingested, status.refused, status.failures) == ("ok", 15, 5, 0)
    assert status.lag_seconds == 0
    assert status.next_poll_at == node.uow.clock() + timedelta(seconds=sub.interval_seconds)
    assert {r.object_id for r in status.last_refusals} == set(posted) - set(wanted)
    assert all(r.reason.startswith("marked_wider: UNCLASSIFIED") for r in status.last_refusals)
    # One ledger event for the page, naming the source; the catalogue's own per version.
    [event] = _events(node, "taxii.subscription_ingested")
    assert (event["source"], event["ingested"], len(event["refused"])) == (
        _feed_url(partner_url, partner),
        15,
        5,
    )
    assert len(event["resources"]) == 15

    # The policy decides who reads them here: carol (CONFIDENTIAL) only the CONFIDENTIAL.
    carol = local.principal("carol")
    assert local.readable(carol) == {i for i, m in wanted.items() if m.startswith("CONF")}

    # A second poll finds nothing new and writes no event.
    again = node.taxii_subscriptions.poll_now(local.principal("paula"), CTX, sub.id)
    assert (again.error, again.ingested, again.held, again.refused) == ("", 0, 0, 0)
    assert len(_events(node, "taxii.subscription_ingested")) == 1
    # Read again from the start (cursor lost), every version is held already, not doubled.
    with node.uow(CTX) as uow:
        row = uow.session.get(TaxiiSubscriptionRow, sub.id)
        assert row is not None
        row.cursor = None
    rewound = node.taxii_subscriptions.poll_now(local.principal("paula"), CTX, sub.id)
    assert (rewound.ingested, rewound.held, rewound.refused) == (0, 15, 5)
    assert _ingested(node, local.collection) == {i: (m, sub.id) for i, m in wanted.items()}


def test_new_objects_on_the_partner_come_in_on_the_next_poll(
    local: Population, partner: Population, partner_url: str, clock: FakeClock
) -> None:
    first = _post(partner, range(8))
    node = local.node
    sub = _subscribe(local, partner, partner_url)
    [one] = node.taxii_subscriptions.run_due(CTX)
    assert one.ingested == 6
    assert node.taxii_subscriptions.run_due(CTX) == []  # not due before its interval
    later = _post(partner, range(100, 108))
    clock.advance(seconds=sub.interval_seconds)
    [two] = node.taxii_subscriptions.run_due(CTX)
    assert (two.ingested, two.held, two.refused) == (6, 0, 2)
    held = _ingested(node, local.collection)
    assert set(held) == {i for i, m in {**first, **later}.items() if m != WIDER}


class _Flaky:
    """The partner goes down after ``pages`` pages of a poll."""

    def __init__(self, inner: TaxiiSource, pages: int) -> None:
        self._inner, self._pages = inner, pages

    def pages(
        self, url: str, creds: FeedCredentials, *, added_after: datetime | None, per_page: int
    ) -> Iterator[FeedPage]:
        for n, page in enumerate(
            self._inner.pages(url, creds, added_after=added_after, per_page=per_page)
        ):
            if n == self._pages:
                raise ConnectionError("127.0.0.1: ConnectionError")
            yield page

    def definitions(
        self, url: str, creds: FeedCredentials, ids: Sequence[str]
    ) -> list[dict[str, Any]]:
        return self._inner.definitions(url, creds, ids)


def test_partner_down_and_back_resumes_without_loss_or_duplicates(
    local: Population,
    partner: Population,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    node = local.node
    monkeypatch.setattr("caveat.services.intel._subscriptions.PER_PAGE", 4)
    posted = _post(partner, range(12))
    with serving(partner.node) as base:
        port = int(base.rsplit(":", 1)[1])
        sub = _subscribe(local, partner, base)
        # Down after two pages of the first poll: those two pages are kept, with the cursor.
        flaky = SubscriptionService(
            uow=node.uow,
            policy=node.policy,
            catalogue=node.catalogue,
            source=_Flaky(TaxiiSource(unsafe_local=True), pages=2),
            secret_key=node.keys.secret_key,
            unsafe_local=True,
        )
        [cut] = flaky.run_due(CTX)
        assert cut.error.startswith("partner_unavailable")
        assert cut.pages == 2
        assert cut.ingested + cut.refused == 8
    # The partner is down: polls fail and back off (30 s, then 60 s), nothing is lost.
    clock.advance(seconds=30)
    [down] = node.taxii_subscriptions.run_due(CTX)
    assert down.error.startswith("partner_unavailable: 127.0.0.1")
    status = node.taxii_subscriptions.subscription(local.principal("paula"), sub.id)
    assert (status.state, status.failures) == ("failing", 2)
    assert status.next_poll_at == clock() + timedelta(seconds=60)
    assert status.last_error.startswith("partner_unavailable")
    clock.advance(seconds=30)
    assert node.taxii_subscriptions.run_due(CTX) == []  # backing off
    more = _post(partner, range(50, 56))  # added while this node could not reach it
    clock.advance(seconds=30)
    with serving(partner.node, port):
        [back] = node.taxii_subscriptions.run_due(CTX)
    assert back.error == ""
    assert back.caught_up
    assert back.held == 0  # resumed from the cursor, not from the start
    everything = {**posted, **more}
    expected = {i: (m, sub.id) for i, m in everything.items() if m != WIDER}
    assert _ingested(node, local.collection) == expected
    status = node.taxii_subscriptions.subscription(local.principal("paula"), sub.id)
    assert (status.state, status.failures, status.last_error) == ("ok", 0, "")
    assert status.ingested == len(expected)


def test_credentials_never_leave_the_node(
    local: Population,
    partner: Population,
    partner_url: str,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "cvt_not-a-real-token-f00dfeed"  # the partner refuses it: the poll fails
    node = local.node
    sub = _subscribe(local, partner, partner_url, secret=secret)
    [result] = node.taxii_subscriptions.run_due(CTX)
    assert result.error == "partner_unavailable: the partner answered 401"
    status = node.taxii_subscriptions.subscription(local.principal("paula"), sub.id)
    listed = node.taxii_subscriptions.subscriptions(local.principal("paula"))
    assert secret not in repr(status) + repr(listed) + repr(result)
    with node.uow.read() as session:
        row = session.get(TaxiiSubscriptionRow, sub.id)
        assert row is not None
        assert row.credentials_sealed is not None
        assert secret not in row.credentials_sealed
        bodies = list(session.scalars(select(EventRow.body).order_by(EventRow.seq)))
    assert not any(secret in body for body in bodies)
    captured = capsys.readouterr()
    assert secret not in captured.out + captured.err + caplog.text
    # Removing erases them.
    node.taxii_subscriptions.remove(local.principal("paula"), CTX, sub.id)
    with node.uow.read() as session:
        row = session.get(TaxiiSubscriptionRow, sub.id)
        assert row is not None
        assert row.credentials_sealed is None


def test_who_may_subscribe_see_and_remove(
    local: Population, partner: Population, partner_url: str, node: Node
) -> None:
    subs = node.taxii_subscriptions
    url = _feed_url(partner_url, partner)
    allowed = label(node, ALLOWED)
    bearer = credentials("bearer", secret=partner.tokens["alice"])
    with pytest.raises(PermissionDenied):  # a researcher does not subscribe
        subs.subscribe(
            local.principal("alice"),
            CTX,
            url=url,
            collection=local.collection,
            label=allowed,
            credentials=bearer,
        )
    sub = _subscribe(local, partner, partner_url)
    # Members of the collection's project see it; eve (no member) gets "not found".
    assert [s.id for s in subs.subscriptions(local.principal("carol"))] == [sub.id]
    assert subs.subscriptions(local.principal("eve")) == []
    with pytest.raises(NotFound) as hidden:
        subs.subscription(local.principal("eve"), sub.id)
    with pytest.raises(NotFound) as missing:
        subs.subscription(local.principal("eve"), "no-such-id")
    assert hidden.value.code == missing.value.code == "unknown_taxii_subscription"
    with pytest.raises(PermissionDenied):  # carol may see it, not remove it
        subs.remove(local.principal("carol"), CTX, sub.id)
    # The poller acts for the owner: once paula leaves the project, polls stop.
    node.projects.remove_member(CONSOLE, CallContext.cli(), local.project, "paula")
    [result] = subs.run_due(CTX)
    assert result.error.startswith("taxii_owner_denied")
    assert _ingested(node, local.collection) == {}
    node.projects.add_member(CONSOLE, CallContext.cli(), local.project, "paula")
    subs.remove(local.principal("paula"), CTX, sub.id)
    assert subs.subscriptions(local.principal("paula")) == []
    assert [s.state for s in subs.subscriptions(local.principal("paula"), removed=True)] == [
        "removed"
    ]
    with pytest.raises(NotFound):
        subs.poll_now(local.principal("paula"), CTX, sub.id)
    assert [e["url"] for e in _events(node, "taxii.subscription_removed")] == [url]


def test_a_subscription_label_above_the_owner_is_refused(
    local: Population, partner: Population, partner_url: str
) -> None:
    with pytest.raises(PermissionDenied) as refused:
        local.node.taxii_subscriptions.subscribe(
            local.principal("paula"),
            CTX,
            url=_feed_url(partner_url, partner),
            collection=local.collection,
            label=label(local.node, "TOP SECRET//NOFORN"),
            credentials=credentials("none"),
        )
    assert refused.value.code == "label_above_reader"


class _Pages:
    """A partner that serves the given pages (for content a Caveat node never sends:
    unmarked objects, TLP alone)."""

    def __init__(self, *pages: list[dict[str, Any]]) -> None:
        self._pages = pages

    def pages(
        self, url: str, creds: FeedCredentials, *, added_after: datetime | None, per_page: int
    ) -> Iterator[FeedPage]:
        for n, objects in enumerate(self._pages):
            yield FeedPage(objects, n + 1 < len(self._pages), None)

    def definitions(
        self, url: str, creds: FeedCredentials, ids: Sequence[str]
    ) -> list[dict[str, Any]]:
        return []


def _tlp(node: Node, object_id: str) -> set[str]:
    with node.uow.read() as session:
        text = session.scalar(
            select(ResourceRow.label_json)
            .join(TaxiiObjectRow, ResourceRow.id == TaxiiObjectRow.id)
            .where(TaxiiObjectRow.object_id == object_id)
        )
    assert text is not None
    lab = label_from_canonical_json(text.encode(), schemes=node.policy.schemes)
    return set(lab.values(TLP))


TLP_AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"


def test_unmarked_objects_take_the_subscription_label(local: Population, node: Node) -> None:
    plain = indicator(1)
    amber = dict(indicator(2), object_marking_refs=[TLP_AMBER])
    unknown = dict(
        indicator(3),
        object_marking_refs=[f"marking-definition--{'0' * 8}-0000-4000-8000-{'0' * 12}"],
    )
    subs = SubscriptionService(
        uow=node.uow,
        policy=node.policy,
        catalogue=node.catalogue,
        source=_Pages([plain, amber, unknown]),
        secret_key=node.keys.secret_key,
    )
    sub = subs.subscribe(
        local.principal("paula"),
        CTX,
        url="https://partner.example/taxii2/root/collections/abc/",
        collection=local.collection,
        label=label(node, ALLOWED),
        credentials=credentials("basic", "reader", "pass phrase"),
    )
    [result] = subs.run_due(CTX)
    assert (result.ingested, result.refused, result.error) == (2, 1, "")
    held = _ingested(node, local.collection)
    assert held[plain["id"]][0] == ALLOWED
    # TLP alone labels nothing: the subscription's label, with the sender's colour kept.
    assert held[amber["id"]][0] == ALLOWED
    assert _tlp(node, amber["id"]) == {"AMBER"}
    assert _tlp(node, plain["id"]) == set()
    [refusal] = subs.subscription(local.principal("paula"), sub.id).last_refusals
    assert refusal.object_id == unknown["id"]
    assert refusal.reason.startswith("unknown_marking_definition")


def test_refused_addresses_and_oversized_answers(partner: Population, partner_url: str) -> None:
    creds = credentials("bearer", secret=partner.tokens["alice"])
    url = _feed_url(partner_url, partner)
    # A name that resolves to loopback is refused when the escape hatch is off.
    strict = TaxiiSource()
    with pytest.raises(ConnectionError, match="loopback"):
        list(
            strict.pages(url.replace("127.0.0.1", "localhost"), creds, added_after=None, per_page=5)
        )
    _post(partner, range(10))
    small = TaxiiSource(unsafe_local=True, max_bytes=2000)
    with pytest.raises(ConnectionError, match="more than 2000 bytes"):
        list(small.pages(url, creds, added_after=None, per_page=10))
    fine = TaxiiSource(unsafe_local=True)
    pages = list(fine.pages(url, creds, added_after=None, per_page=4))
    assert [len(p.objects) for p in pages] == [4, 4, 2]
    assert all(p.last_added is not None for p in pages)


def test_refused_subscription_urls(local: Population) -> None:
    subs = local.node.taxii_subscriptions
    for url in (
        "https://169.254.169.254/taxii2/r/collections/x/",  # cloud metadata
        "https://[fe80::1]/taxii2/r/collections/x/",  # link-local
        "https://user:pw@partner.example/taxii2/r/collections/x/",  # credentials in the URL
        "https://partner.example/taxii2/r/",  # no collection
        "ftp://partner.example/taxii2/r/collections/x/",
    ):
        with pytest.raises(InvalidInput) as refused:
            subs.subscribe(
                local.principal("paula"),
                CTX,
                url=url,
                collection=local.collection,
                label=label(local.node, ALLOWED),
                credentials=credentials("none"),
            )
        assert refused.value.code == "invalid_taxii_endpoint", url


class _Racing:
    """The partner's pages, and before the first one ``meanwhile()``: another poller
    (an API worker, `caveat worker`) running while this poll holds the lease."""

    def __init__(self, inner: TaxiiSource, meanwhile: Callable[[], list[PollResult]]) -> None:
        self._inner, self._meanwhile = inner, meanwhile
        self.seen: list[list[PollResult]] = []

    def pages(
        self, url: str, creds: FeedCredentials, *, added_after: datetime | None, per_page: int
    ) -> Iterator[FeedPage]:
        self.seen.append(self._meanwhile())
        yield from self._inner.pages(url, creds, added_after=added_after, per_page=per_page)

    def definitions(
        self, url: str, creds: FeedCredentials, ids: Sequence[str]
    ) -> list[dict[str, Any]]:
        return self._inner.definitions(url, creds, ids)


def test_two_pollers_never_ingest_one_subscription_at_once(
    local: Population, partner: Population, partner_url: str, clock: FakeClock
) -> None:
    """Pollers in several processes (API workers beside `caveat worker`) claim a due
    subscription in one conditional UPDATE: one polls, the other finds it busy, and one
    that read the due list before the first finished finds it no longer due."""
    node = local.node
    posted = _post(partner, range(8))
    sub = _subscribe(local, partner, partner_url)
    other = node.taxii_subscriptions

    def service(source: Any) -> SubscriptionService:
        return SubscriptionService(
            uow=node.uow,
            policy=node.policy,
            catalogue=node.catalogue,
            source=source,
            secret_key=node.keys.secret_key,
            unsafe_local=True,
        )

    racing = _Racing(TaxiiSource(unsafe_local=True), lambda: other.run_due(CTX))
    [first] = service(racing).run_due(CTX)
    assert first.error == ""
    assert first.ingested == 6
    [[busy]] = racing.seen  # the other poller, while the first held the lease
    assert (busy.error, busy.ingested, busy.pages) == ("busy: another poll runs", 0, 0)

    # A poller that read the due list just before the first poll finished: its claim
    # finds the subscription no longer due and leaves it alone.
    stale = clock()
    clock.advance(seconds=5)
    late = service(_Pages([indicator(900)]))
    assert late._claim(CTX, sub.id, due_by=stale) is None
    # A person's "poll now" still polls (whatever the schedule), on their name.
    clock.advance(seconds=1)
    again = other.poll_now(local.principal("paula"), CTX, sub.id)
    assert (again.error, again.ingested) == ("", 0)
    [asked] = _events(node, "taxii.subscription_polled")
    assert asked["url"] == _feed_url(partner_url, partner)
    wanted = {i: (m, sub.id) for i, m in posted.items() if m != WIDER}
    assert _ingested(node, local.collection) == wanted
    assert len(_events(node, "taxii.subscription_ingested")) == 1


def test_a_poll_that_outlives_its_lease_writes_nothing_and_leaves_the_lease_alone(
    local: Population, partner: Population, partner_url: str, clock: FakeClock
) -> None:
    """A poll stalled past its lease: another poller takes the subscription; the first
    then writes no page and, finishing, does not free the lease the other now holds."""
    node = local.node
    _post(partner, range(4))
    sub = _subscribe(local, partner, partner_url)
    taken: list[object] = []

    def lapse_and_take() -> list[PollResult]:
        clock.advance(seconds=LEASE.total_seconds() + 1)
        taken.append(node.taxii_subscriptions._claim(CTX, sub.id))  # holds it, polls later
        return []

    stalled = SubscriptionService(
        uow=node.uow,
        policy=node.policy,
        catalogue=node.catalogue,
        source=_Racing(TaxiiSource(unsafe_local=True), lapse_and_take),
        secret_key=node.keys.secret_key,
        unsafe_local=True,
    )
    done = stalled.poll_now(local.principal("paula"), CTX, sub.id)
    assert (done.error, done.ingested, done.pages) == ("busy: another poll took over", 0, 0)
    [claim] = taken
    assert claim is not None
    assert _ingested(node, local.collection) == {}
    assert len(_events(node, "taxii.subscription_ingested")) == 0
    with node.uow.read() as session:
        row = session.get(TaxiiSubscriptionRow, sub.id)
        assert row is not None
        assert row.lease_token == claim[3]  # type: ignore[index]
        assert row.lease_until is not None


class _LapsesThenFails:
    """A partner that stalls past the poll's lease (another poller takes it) and then
    fails."""

    def __init__(self, meanwhile: Callable[[], object]) -> None:
        self._meanwhile = meanwhile

    def pages(
        self, url: str, creds: FeedCredentials, *, added_after: datetime | None, per_page: int
    ) -> Iterator[FeedPage]:
        self._meanwhile()
        raise ConnectionError("partner reset the connection")
        yield  # a generator, as a source's pages are

    def definitions(
        self, url: str, creds: FeedCredentials, ids: Sequence[str]
    ) -> list[dict[str, Any]]:
        return []


def test_a_failed_poll_past_its_lease_records_nothing_over_the_new_holder(
    local: Population, partner: Population, partner_url: str, clock: FakeClock
) -> None:
    node = local.node
    sub = _subscribe(local, partner, partner_url)
    taken: list[Any] = []

    def lapse_and_take() -> None:
        clock.advance(seconds=LEASE.total_seconds() + 1)
        taken.append(node.taxii_subscriptions._claim(CTX, sub.id))

    failing = SubscriptionService(
        uow=node.uow,
        policy=node.policy,
        catalogue=node.catalogue,
        source=_LapsesThenFails(lapse_and_take),
        secret_key=node.keys.secret_key,
        unsafe_local=True,
    )
    done = failing.poll_now(local.principal("paula"), CTX, sub.id)
    assert done.error.startswith("partner_unavailable")
    with node.uow.read() as session:
        row = session.get(TaxiiSubscriptionRow, sub.id)
        assert row is not None
        assert row.lease_token == taken[0][3]  # the new holder keeps its lease
        assert row.failures == 0  # and the stalled poll's failure is not counted over it
