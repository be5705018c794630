"""The events table: sorted numbered pages, the total and facet counts (type, actor kind,
UTC day) agree with the plain search, on SQLite and PostgreSQL (the day is computed by
each database in UTC)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest

from caveat.bootstrap.container import Node
from caveat.domain.errors import InvalidInput, PermissionDenied
from caveat.domain.identity import Role
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from caveat.services.ledger import EventFilter
from caveat.services.ledger._audit import AuditEntry
from tests.support import FakeClock, Scenario

CONSOLE = ConsoleOperator()


def _every(node: Node, f: EventFilter) -> list[AuditEntry]:
    found: list[AuditEntry] = []
    cursor = None
    while True:
        page = node.audit.search(CONSOLE, f, cursor=cursor, limit=500)
        found += page.entries
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


@pytest.fixture
def world(node: Node, clock: FakeClock) -> Scenario:
    # Late in the UTC evening: a day computed in another time zone would split wrongly.
    clock.now = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    scenario = Scenario(node, clock)
    for name in ("alice", "bob"):
        scenario.login(scenario.person(name))
    clock.advance(minutes=45)  # 00:15 on 3 March
    for name in ("carol", "dave", "erin"):
        scenario.login(scenario.person(name))
    return scenario


def test_facets_and_total_agree_with_the_search(node: Node, world: Scenario) -> None:
    every = _every(node, EventFilter())
    table = node.audit.table(CONSOLE, EventFilter(), limit=4)
    assert table.total == len(every)
    assert table.total_exact
    assert table.pages == -(-len(every) // 4)
    got = {f: {c.value: c.count for c in cs} for f, cs in table.facets.items()}
    assert got["type"] == dict(Counter(e.type for e in every))
    assert got["actor_kind"] == dict(Counter(e.actor_kind for e in every))
    assert got["day"] == dict(Counter(e.occurred_at.date().isoformat() for e in every))
    assert set(got["day"]) >= {"2026-03-02", "2026-03-03"}  # and the node's set-up day
    # A facet leaves out its own filter and keeps the others.
    narrowed = node.audit.table(
        CONSOLE, EventFilter(day=date(2026, 3, 3), action="auth.login"), limit=4
    )
    logins = [e for e in every if e.type == "auth.login"]
    on_day = [e for e in every if e.occurred_at.date() == date(2026, 3, 3)]
    assert narrowed.total == 3
    counts = {f: {c.value: c.count for c in cs} for f, cs in narrowed.facets.items()}
    assert counts["day"] == dict(Counter(e.occurred_at.date().isoformat() for e in logins))
    assert counts["type"] == dict(Counter(e.type for e in on_day))


@pytest.mark.parametrize("sort", ["seq", "type", "outcome", "actor", "target"])
@pytest.mark.parametrize("descending", [True, False])
def test_numbered_pages_are_total_and_stable(
    node: Node, world: Scenario, sort: str, descending: bool
) -> None:
    every = _every(node, EventFilter())
    first = node.audit.table(CONSOLE, EventFilter(), sort=sort, descending=descending, limit=3)
    seen = []
    for n in range(1, first.pages + 1):
        page = node.audit.table(
            CONSOLE, EventFilter(), sort=sort, descending=descending, page=n, limit=3
        )
        seen += [e.seq for e in page.entries]
    assert sorted(seen) == sorted(e.seq for e in every)
    assert len(seen) == len(set(seen))
    if sort == "seq":
        assert seen == sorted(seen, reverse=descending)


def test_refusals(node: Node, world: Scenario) -> None:
    for kwargs in ({"sort": "body"}, {"page": 0}, {"page": 10**6}):
        with pytest.raises(InvalidInput):
            node.audit.table(CONSOLE, EventFilter(), **kwargs)
    account = world.person("rita", roles=(Role.RESEARCHER,))
    researcher = node.auth.authenticate(CallContext(), world.login(account).token)
    with pytest.raises(PermissionDenied):
        node.audit.table(researcher, EventFilter())
