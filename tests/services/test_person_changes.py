"""Changing an account's roles, clearance and nationalities: effective at once, never
one's own, recorded, and offered through the API and the CLI."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from caveat.api.app import create_app
from caveat.bootstrap.container import Node
from caveat.domain.errors import InvalidInput, PermissionDenied
from caveat.domain.identity import Clearance, CommonLevel, Role
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext
from caveat.services.ledger._audit import EventFilter
from tests.support import FakeClock, Scenario

CONSOLE = ConsoleOperator()


def test_roles_clearance_and_nationalities_change_with_an_event(
    node: Node, clock: FakeClock
) -> None:
    world = Scenario(node, clock)
    world.person("bob", nations=("GBR",))
    renewed = Clearance(CommonLevel.TOP_SECRET, "TOP SECRET", "GBR", date(2031, 6, 30))
    changed = node.people.update_person(
        CONSOLE,
        CallContext.cli(),
        "bob",
        roles=[Role.RESEARCHER, Role.EXPORT_CONTROL_OFFICER],
        clearance=renewed,
        citizenships=["GBR", "IRL"],
        reason="clearance renewed, new passport",
    )
    assert set(changed.roles) == {Role.RESEARCHER, Role.EXPORT_CONTROL_OFFICER}
    assert changed.clearance == renewed
    assert changed.citizenships == ("GBR", "IRL")
    again = node.people.get_person("bob")
    assert (set(again.roles), again.citizenships) == (set(changed.roles), ("GBR", "IRL"))
    # Roles shrink as well as grow; a clearance can be withdrawn.
    node.people.update_person(
        CONSOLE,
        CallContext.cli(),
        "bob",
        roles=[Role.RESEARCHER],
        remove_clearance=True,
        reason="left the programme",
    )
    assert node.people.get_person("bob").clearance is None
    assert node.people.get_person("bob").roles == (Role.RESEARCHER,)
    events = node.audit.search(CONSOLE, EventFilter(action="person.updated")).entries
    assert [sorted(e.data) for e in events] == [
        ["clearance", "reason", "roles"],
        ["citizenships", "clearance", "reason", "residencies", "roles"],
    ]
    assert events[0].data["reason"] == "left the programme"
    with pytest.raises(InvalidInput):
        node.people.update_person(CONSOLE, CallContext.cli(), "bob", reason="tidy up")
    with pytest.raises(InvalidInput):
        node.people.update_person(
            CONSOLE, CallContext.cli(), "bob", citizenships=["XXX"], reason="new passport"
        )
    with pytest.raises(InvalidInput) as no_reason:
        node.people.update_person(CONSOLE, CallContext.cli(), "bob", roles=[Role.AUDITOR])
    assert no_reason.value.code == "reason_required"


def test_nobody_changes_their_own_account(node: Node, clock: FakeClock) -> None:
    world = Scenario(node, clock)
    olga = world.person("olga", roles=(Role.SECURITY_OFFICER,))
    world.person("sue", roles=(Role.SECURITY_OFFICER,))
    me = Principal(person=olga.person, mfa_at=clock())
    with pytest.raises(PermissionDenied) as info:
        node.people.update_person(
            me, CallContext.cli(), "olga", roles=[Role.AUDITOR], reason="promotion"
        )
    assert info.value.code == "self_change"
    node.people.update_person(
        me, CallContext.cli(), "sue", roles=[Role.RESEARCHER], reason="moved to research"
    )
    researcher = world.person("rita")
    with pytest.raises(PermissionDenied):
        node.people.update_person(
            Principal(person=researcher.person, mfa_at=clock()),
            CallContext.cli(),
            "sue",
            roles=[Role.NODE_OPERATOR],
            reason="promotion",
        )


def test_the_api_changes_an_account(node: Node, clock: FakeClock) -> None:
    world = Scenario(node, clock)
    world.person("olga", roles=(Role.SECURITY_OFFICER,))
    world.person("bob", nations=("GBR",))
    with TestClient(create_app(node), raise_server_exceptions=False) as http:
        session = world.login(world.accounts["olga"])
        headers = {"Authorization": f"Bearer {session.token}"}
        done = http.patch(
            "/api/v1/people/bob",
            json={
                "roles": ["researcher", "auditor"],
                "residencies": ["FRA"],
                "reason": "audit duties",
            },
            headers=headers,
        )
        assert done.status_code == 200, done.text
        assert sorted(done.json()["roles"]) == ["auditor", "researcher"]
        assert done.json()["residencies"] == ["FRA"]
        own = http.patch(
            "/api/v1/people/olga", json={"roles": ["auditor"], "reason": "x y z"}, headers=headers
        )
        assert own.status_code == 403
        assert own.json()["code"] == "self_change"
        extra = http.patch("/api/v1/people/bob", json={"nickname": "b"}, headers=headers)
        assert extra.status_code == 422
