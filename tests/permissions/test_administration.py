"""Issue 11, reproduction 5: cross-nation puppet accounts. A security officer
administers people of their own organisation only; a clearance is recorded only by an
officer of the granting nation; nobody suspends, re-roles or re-clears themself; risky
changes take a reason and show their effect first; operators keep node-wide powers and
each of their changes of a person raises a conduct alert."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from caveat.bootstrap.container import Node
from caveat.domain.errors import InvalidInput, PermissionDenied
from caveat.domain.identity import Clearance, CommonLevel, PersonStatus, Role
from caveat.services.identity._people import NewAccount
from caveat.services.kernel.uow import CallContext
from caveat.services.ledger._audit import EventFilter
from tests.permissions.demo_support import CONSOLE, Demo, demo_of
from tests.snapshots import Seeded
from tests.support import FakeClock

US_SECRET = {
    "level": 3,
    "national_name": "SECRET",
    "granting_nation": "USA",
    "expires": "2029-12-31",
}


@pytest.fixture
def initialised(seeded_demo: Seeded[dict[str, NewAccount]]) -> tuple[Node, NewAccount]:
    return seeded_demo.node, seeded_demo.operator


@pytest.fixture
def world(seeded_demo: Seeded[dict[str, NewAccount]], clock: FakeClock) -> Demo:
    return demo_of(seeded_demo.node, clock, seeded_demo.made)


def _puppet(**overrides: Any) -> dict[str, Any]:
    return {
        "username": "puppet",
        "display_name": "Pat Puppet",
        "email": "puppet@afrl.example",
        "organisation": "AFRL",
        "citizenships": ["USA"],
        "roles": ["researcher"],
        "clearance": US_SECRET,
        **overrides,
    }


def test_a_foreign_officer_creates_no_puppet_account(world: Demo) -> None:
    """ingrid (FFI, Norway) created a US citizen with a US SECRET clearance in AFRL."""
    ingrid = world.api("ingrid")
    with pytest.raises(PermissionDenied) as elsewhere:
        ingrid.create_person(**_puppet())
    assert elsewhere.value.code == "policy_denied"
    assert elsewhere.value.data["action"] == "person.create"
    # In her own organisation, still no US clearance: only the granting nation records it.
    with pytest.raises(PermissionDenied) as foreign:
        ingrid.create_person(**_puppet(organisation="FFI", email="p@ffi.example"))
    assert foreign.value.code == "policy_denied"
    assert all(p.username != "puppet" for p in world.node.people.list_people())
    made = ingrid.create_person(
        **_puppet(
            organisation="FFI",
            email="p@ffi.example",
            citizenships=["NOR"],
            clearance={**US_SECRET, "national_name": "HEMMELIG", "granting_nation": "NOR"},
        )
    )
    assert made["person"]["organisation_name"] == "Norwegian Defence Research Establishment"
    # Nor may an officer make a puppet a node operator.
    with pytest.raises(PermissionDenied) as operator:
        ingrid.create_person(
            **_puppet(
                username="puppet2",
                organisation="FFI",
                email="p2@ffi.example",
                citizenships=["NOR"],
                clearance=None,
                roles=["node_operator"],
            )
        )
    assert operator.value.data["action"] == "person.operator_role"


def test_the_web_form_refuses_the_puppet_too(world: Demo) -> None:
    with world.browser("ingrid") as browser:
        orgs = {o.short_name: o.id for o in world.node.registry.list_organisations()}
        page: Any = browser.post(
            "/admin/people/new",
            {
                "username": "puppet",
                "display_name": "Pat Puppet",
                "email": "puppet@afrl.example",
                "organisation": orgs["AFRL"],
                "citizenships": "USA",
                "roles": "researcher",
                "clearance_level": "3",
                "clearance_name": "SECRET",
                "clearance_nation": "USA",
                "clearance_expires": "2029-12-31",
            },
        )
        assert page.status_code in (403, 422)
        assert "person.create needs" in page.text
    assert all(p.username != "puppet" for p in world.node.people.list_people())


def test_officers_do_not_suspend_other_nations_or_themselves(world: Demo) -> None:
    """A US officer suspended a Norwegian researcher, or himself, with no reason."""
    victor = world.api("victor")
    with pytest.raises(PermissionDenied) as norwegian:
        victor.suspend("lars", reason="no reason really")
    assert norwegian.value.code == "policy_denied"
    with pytest.raises(PermissionDenied) as himself:
        victor.suspend("victor", reason="testing")
    assert himself.value.code == "self_change"
    with pytest.raises(InvalidInput) as unexplained:
        victor.suspend("alice")
    assert unexplained.value.code == "reason_required"
    assert world.node.people.get_person("lars").status is PersonStatus.ACTIVE
    preview = victor.preview_person_change("alice", status="suspended")
    assert preview["lost"] == preview["readable_before"] > 0
    assert preview["readable_after"] == 0
    assert preview["summary"].startswith("alice will lose access to ")
    victor.suspend("alice", reason="left AFRL on 1 March")
    events = world.node.audit.search(CONSOLE, EventFilter(action="person.suspended")).entries
    assert "left AFRL on 1 March" in {e.data["reason"] for e in events}


def test_nobody_re_roles_or_re_clears_themself_and_clearances_are_national(world: Demo) -> None:
    victor = world.api("victor")
    with pytest.raises(PermissionDenied) as own:
        victor.change_person("victor", reason="promotion", roles=["security_officer", "auditor"])
    assert own.value.code == "self_change"
    nor = {**US_SECRET, "national_name": "HEMMELIG", "granting_nation": "NOR"}
    with pytest.raises(PermissionDenied) as national:
        victor.change_person("alice", reason="dual clearance", clearance=nor)
    assert national.value.code == "policy_denied"
    with pytest.raises(PermissionDenied) as operator:
        victor.change_person("alice", reason="help", roles=["researcher", "node_operator"])
    assert operator.value.data["action"] == "person.operator_role"
    renewed = victor.change_person(
        "alice", reason="renewal", clearance={**US_SECRET, "expires": "2031-06-30"}
    )
    assert renewed["clearance"]["expires"] == "2031-06-30"


def test_every_operator_change_of_a_person_raises_an_alert(world: Demo) -> None:
    world.add("opal", "DSTL", "GBR", Role.NODE_OPERATOR)
    opal = world.principal("opal")
    world.node.people.set_status(
        opal, CallContext.cli(), "alice", PersonStatus.SUSPENDED, reason="account review"
    )
    world.node.people.update_person(
        CONSOLE,
        CallContext.cli(),
        "bob",
        clearance=Clearance(CommonLevel.SECRET, "SECRET", "GBR", date(2031, 1, 1)),
        reason="renewed",
    )
    alerts = {
        a.subject_name: a
        for a in world.node.monitoring.alerts(CONSOLE)
        if a.rule == "operator_changed_person"
    }
    assert "opal suspended alice" in alerts["alice"].summary
    assert alerts["alice"].data["reason"] == "account review"
    assert "console changed bob" in alerts["bob"].summary
    with pytest.raises(PermissionDenied) as own:  # operators keep NOT_SELF too
        world.node.people.set_status(
            opal, CallContext.cli(), "opal", PersonStatus.SUSPENDED, reason="x y z"
        )
    assert own.value.code == "self_change"


def test_the_web_confirms_a_suspension_with_its_effect_and_a_reason(world: Demo) -> None:
    with world.browser("victor") as browser:
        first: Any = browser.post("/admin/people/alice/suspend")
        assert first.status_code == 200
        assert "alice will lose access to" in first.text
        assert world.node.people.get_person("alice").status is PersonStatus.ACTIVE
        unexplained: Any = browser.post("/admin/people/alice/suspend", {"confirmed": "yes"})
        assert unexplained.status_code == 422
        assert "give a reason" in unexplained.text
        done: Any = browser.post(
            "/admin/people/alice/suspend", {"confirmed": "yes", "reason": "left AFRL"}
        )
        assert done.status_code == 303
        assert world.node.people.get_person("alice").status is PersonStatus.SUSPENDED
        himself: Any = browser.post("/admin/people/victor/suspend")
        assert himself.status_code == 403
        assert "not the subject themself" in himself.text
        norwegian: Any = browser.post(
            "/admin/people/lars/suspend", {"confirmed": "yes", "reason": "why not"}
        )
        assert norwegian.status_code == 403
    assert world.node.people.get_person("lars").status is PersonStatus.ACTIVE
