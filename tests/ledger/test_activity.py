"""Ledger activity for the timeline chart: the events an audit search matches, counted per
UTC hour, day or month and event family in one GROUP BY, agree with the listing, on
SQLite and PostgreSQL (each database computes the period in UTC); a reader who may not
discover some resources gets the counts of exactly the rows their listing shows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event

from caveat.bootstrap.container import Node
from caveat.domain.errors import PermissionDenied
from caveat.domain.identity import Role
from caveat.services.kernel.principal import Acting, ConsoleOperator
from caveat.services.kernel.uow import CallContext
from caveat.services.ledger import Activity, EventFilter, Period, family_of
from caveat.services.ledger._audit import AuditEntry
from tests.permissions.test_side_channels import cast
from tests.support import FakeClock, Scenario

CONSOLE = ConsoleOperator()
FORMAT = {Period.HOUR: "%Y-%m-%d %H", Period.DAY: "%Y-%m-%d", Period.MONTH: "%Y-%m"}
MARCH = datetime(2026, 3, 1, tzinfo=UTC)


def _every(node: Node, by: Acting, f: EventFilter) -> list[AuditEntry]:
    found: list[AuditEntry] = []
    cursor = None
    while True:
        page = node.audit.search(by, f, cursor=cursor, limit=500)
        found += page.entries
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


def _expected(entries: list[AuditEntry], period: Period) -> dict[str, dict[str, int]]:
    out: dict[str, Counter[str]] = {}
    for e in entries:
        key = e.occurred_at.astimezone(UTC).strftime(FORMAT[period])
        out.setdefault(key, Counter())[family_of(e.type)] += 1
    return {k: dict(v) for k, v in out.items()}


def _counted(activity: Activity) -> dict[str, dict[str, int]]:
    return {b.period: b.counts for b in activity.bars if b.counts}


def _agrees(node: Node, by: Acting, f: EventFilter) -> Activity:
    activity = node.audit.activity(by, f)
    listed = _every(node, by, f)
    assert activity.total == len(listed)
    assert _counted(activity) == _expected(listed, activity.period)
    assert activity.family_totals() == dict(Counter(family_of(e.type) for e in listed))
    return activity


@pytest.fixture
def world(node: Node, clock: FakeClock) -> Scenario:
    # Late in the UTC evening: a period computed in another time zone would split wrongly.
    clock.now = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    scenario = Scenario(node, clock)
    for name in ("alice", "bob"):
        scenario.login(scenario.person(name))
    clock.advance(minutes=45)  # 00:15 on 3 March
    for name in ("carol", "dave"):
        scenario.login(scenario.person(name))
    return scenario


def test_a_short_span_is_counted_per_hour(node: Node, world: Scenario) -> None:
    f = EventFilter(since=MARCH, until=MARCH + timedelta(days=7))
    activity = _agrees(node, CONSOLE, f)
    assert activity.period is Period.HOUR
    assert [b.period for b in activity.bars] == ["2026-03-02 23", "2026-03-03 00"]
    assert all(b.counts["access"] >= 2 for b in activity.bars)  # two sign-ins each
    assert "access" in activity.families


def test_a_day_shows_its_24_hours(node: Node, world: Scenario) -> None:
    activity = _agrees(node, CONSOLE, EventFilter(day=date(2026, 3, 3)))
    assert activity.period is Period.HOUR
    assert len(activity.bars) == 24
    assert activity.bars[0].period == "2026-03-03 00"
    assert activity.bars[0].total == activity.total > 0
    assert all(b.total == 0 for b in activity.bars[1:])


def test_a_longer_span_per_day_with_empty_days(
    node: Node, world: Scenario, clock: FakeClock
) -> None:
    clock.advance(days=5)
    world.login(world.person("erin"))
    f = EventFilter(since=MARCH, until=MARCH + timedelta(days=30), action="auth.*")
    activity = _agrees(node, CONSOLE, f)
    assert activity.period is Period.DAY
    assert [b.period for b in activity.bars] == [f"2026-03-0{d}" for d in range(2, 9)]
    assert [b.total for b in activity.bars] == [2, 2, 0, 0, 0, 0, 1]
    assert activity.families == ("access",)


def test_a_long_span_per_month(node: Node, world: Scenario) -> None:
    # The node was set up today (the fixture's clock), months after March 2026.
    activity = _agrees(node, CONSOLE, EventFilter())
    assert activity.period is Period.MONTH
    assert activity.bars[0].period == "2026-03"
    april = EventFilter(until=datetime(2026, 4, 1, tzinfo=UTC))
    assert activity.bars[0].total == len(_every(node, CONSOLE, april))


def test_nothing_matches(node: Node, world: Scenario) -> None:
    activity = node.audit.activity(CONSOLE, EventFilter(action="no.such"))
    assert (activity.total, activity.bars, activity.families) == (0, (), ())


@contextmanager
def _statements(node: Node) -> Iterator[list[str]]:
    engine = node.uow._read_sessions.kw["bind"]
    seen: list[str] = []

    def statement(conn: object, cursor: object, sql: str, *args: object) -> None:
        seen.append(sql)

    event.listen(engine, "before_cursor_execute", statement)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)


def test_counted_by_the_database_not_loaded(node: Node, world: Scenario) -> None:
    with _statements(node) as seen:
        node.audit.activity(CONSOLE, EventFilter())
    selects = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2  # the span, then the counts
    assert "GROUP BY" in selects[1].upper()
    assert "body" not in selects[1]  # no event is read whole


@pytest.mark.parametrize("reader", ["audrey", "ingrid"])
def test_a_reader_who_may_not_discover_gets_their_listings_counts(
    node: Node, clock: FakeClock, reader: str
) -> None:
    people = cast(node, clock)
    who = people.principal(reader)
    everything = EventFilter()
    table = node.audit.table(who, everything)
    activity = _agrees(node, who, everything)
    assert activity.total == table.total
    # Narrowed to a resource they may not discover: the rows they see, withheld, and no more.
    about = EventFilter(target_id=people.noforn)
    listed = _every(node, who, about)
    assert listed
    assert all(e.withheld for e in listed)
    assert _agrees(node, who, about).total == len(listed) == node.audit.table(who, about).total


def test_only_audit_readers(node: Node, world: Scenario) -> None:
    account = world.person("rita", roles=(Role.RESEARCHER,))
    researcher = node.auth.authenticate(CallContext(), world.login(account).token)
    with pytest.raises(PermissionDenied):
        node.audit.activity(researcher, EventFilter())
