"""The audit explorer and conduct monitoring, through the services."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from caveat.bootstrap.container import Node
from caveat.domain.errors import AuthenticationFailed, Conflict, PermissionDenied
from caveat.domain.identity import Role
from caveat.services.kernel.principal import ConsoleOperator, Scope
from caveat.services.kernel.uow import CallContext
from caveat.services.ledger._audit import EventFilter, csv_cell
from caveat.services.ledger._monitoring import MonitorRules
from tests.support import FakeClock, Scenario

CONSOLE = ConsoleOperator()


@pytest.fixture
def world(node: Node, clock: FakeClock) -> Scenario:
    clock.now = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)  # a Monday, mid-morning
    return Scenario(node, clock)


def _signed_in(world: Scenario, username: str, roles: tuple[Role, ...]):  # type: ignore[no-untyped-def]
    account = world.person(username, roles=roles)
    return world.node.auth.authenticate(CallContext(), world.login(account).token)


def _scan(node: Node) -> list[str]:
    node.ledger.integrate()
    return [a.rule for a in node.monitoring.scan(CallContext.cli())]


def test_search_filters_and_keyset_pages(node: Node, world: Scenario) -> None:
    for name in ("alice", "bob", "carol"):
        world.person(name)
    page = node.audit.search(CONSOLE, EventFilter(action="person.*"), limit=2)
    assert [e.type for e in page.entries] == ["person.created"] * 2
    rest = node.audit.search(CONSOLE, EventFilter(action="person.*"), cursor=page.next_cursor)
    names = [e.data["username"] for e in page.entries + rest.entries]
    assert names == ["carol", "bob", "alice", "operator"]
    assert rest.next_cursor is None
    assert (
        node.audit.search(CONSOLE, EventFilter(since=datetime(2100, 1, 1, tzinfo=UTC))).entries
        == []
    )


def test_person_and_target_history(node: Node, world: Scenario) -> None:
    alice = world.person("alice")
    world.login(alice)
    pid = alice.person.id
    history = node.audit.person_history(CONSOLE, pid)
    assert {e.type for e in history.entries} >= {"person.created", "auth.login"}
    target = node.audit.target_history(CONSOLE, "person", pid)
    assert all(e.target_id == pid for e in target.entries)


def test_only_auditors_and_security_officers_read_the_log(world: Scenario) -> None:
    researcher = _signed_in(world, "rita", (Role.RESEARCHER,))
    with pytest.raises(PermissionDenied):
        world.node.audit.search(researcher, EventFilter())
    auditor = _signed_in(world, "audrey", (Role.AUDITOR,))
    assert world.node.audit.search(auditor, EventFilter()).entries


def test_csv_export_is_recorded(node: Node, world: Scenario) -> None:
    world.org(name="Fraunhofer", nation="DEU")
    text = node.audit.export_csv(CONSOLE, CallContext.cli(), EventFilter(action="org.created"))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {json.loads(r["data"])["name"] for r in rows} == {
        "Caveat Node Operations (GBR)",
        "Fraunhofer",
    }
    exported = node.audit.search(CONSOLE, EventFilter(action="audit.exported")).entries
    assert exported
    assert exported[0].data["csv"]["action"] == "org.created"


def test_csv_cells_cannot_become_spreadsheet_formulas() -> None:
    assert csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert csv_cell("@SUM") == "'@SUM"
    assert csv_cell("plain") == "plain"
    assert csv_cell(None) == ""


def test_repeated_failed_logins_raise_one_alert(node: Node, world: Scenario) -> None:
    alice = world.person("alice")
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            world.login(alice, password="wrong-password-entirely")
    assert _scan(node).count("repeated_failures") == 1
    assert "repeated_failures" not in _scan(node)  # the same failures are not counted twice


def test_an_alert_on_failed_sign_ins_names_the_account_by_its_username(
    node: Node, world: Scenario
) -> None:
    alice = world.person("alice")
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            world.login(alice, password="wrong-password-entirely")
    node.ledger.integrate()
    [alert] = node.monitoring.scan(CallContext.cli())
    assert (alert.subject_id, alert.subject_name) == (alice.person.id, "alice")
    assert alert.summary == "5 denied or failed actions by alice within 15 minutes"


def test_bulk_access_rule_is_generic_over_event_types(node: Node, world: Scenario) -> None:
    node.monitoring.rules = MonitorRules(bulk_types=frozenset({"token.created"}), bulk_threshold=3)
    alice = _signed_in(world, "alice", (Role.RESEARCHER,))
    for i in range(3):
        node.tokens.create(
            alice, CallContext(), name=f"t{i}", scopes=[Scope.READ], lifetime=timedelta(days=1)
        )
    assert _scan(node) == ["bulk_access"]


def test_access_at_unusual_hours_is_flagged_once_a_day(node: Node, world: Scenario) -> None:
    alice = world.person("alice")
    world.clock.now = datetime(2026, 3, 3, 2, 30, tzinfo=UTC)
    world.login(alice)
    world.login(alice)
    assert _scan(node) == ["unusual_hours"]


def test_alerts_are_listed_and_acknowledged_with_events(node: Node, world: Scenario) -> None:
    alice = world.person("alice")
    world.clock.now = datetime(2026, 3, 3, 23, 30, tzinfo=UTC)
    world.login(alice)
    world.clock.now = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    _scan(node)
    [alert] = node.monitoring.alerts(CONSOLE, status="open")
    officer = _signed_in(world, "sam", (Role.SECURITY_OFFICER,))
    done = node.monitoring.acknowledge(officer, CallContext(), alert.id, note="night shift")
    assert done.status == "acknowledged"
    assert done.acknowledged_by == officer.person_id
    with pytest.raises(Conflict):
        node.monitoring.acknowledge(officer, CallContext(), alert.id, note="again")
    types = [e.type for e in node.audit.search(CONSOLE, EventFilter(action="alert.*")).entries]
    assert types == ["alert.acknowledged", "alert.raised"]
    auditor = _signed_in(world, "audrey", (Role.AUDITOR,))
    with pytest.raises(PermissionDenied):
        node.monitoring.acknowledge(auditor, CallContext(), alert.id, note="not mine to close")


def test_nobody_acknowledges_an_alert_about_themselves(node: Node, world: Scenario) -> None:
    officer = _signed_in(world, "sam", (Role.SECURITY_OFFICER,))
    world.clock.now = datetime(2026, 3, 5, 3, 0, tzinfo=UTC)
    node.audit.export_csv(officer, CallContext(), EventFilter())  # a night-time action
    _scan(node)
    [alert] = [a for a in node.monitoring.alerts(CONSOLE) if a.subject_id == officer.person_id]
    with pytest.raises(PermissionDenied) as refused:
        node.monitoring.acknowledge(officer, CallContext(), alert.id, note="fine")
    assert refused.value.code == "self_change"
