"""Issue 11, reproduction 4: self-granted need-to-know. Need-to-know (project membership,
resource grants) is granted by the project's lead or the person's own security officer,
never to oneself; a compartment read-on takes two different security officers of the
person's organisation, both in the ledger."""

from __future__ import annotations

from typing import Any

import pytest

from caveat.bootstrap.container import Node
from caveat.domain.errors import PermissionDenied
from caveat.domain.identity import Role
from caveat.services.identity._people import NewAccount
from caveat.services.kernel.uow import CallContext
from caveat.services.ledger._audit import EventFilter
from caveat.services.ledger._monitoring import AlertStatus
from tests.permissions.demo_support import CONSOLE, Demo, demo_of
from tests.snapshots import Seeded
from tests.support import FakeClock

RADAR = "Radar Signature Library"  # AFRL's SECRET//NOFORN ITAR material lives here


@pytest.fixture
def initialised(seeded_demo: Seeded[dict[str, NewAccount]]) -> tuple[Node, NewAccount]:
    return seeded_demo.node, seeded_demo.operator


@pytest.fixture
def world(seeded_demo: Seeded[dict[str, NewAccount]], clock: FakeClock) -> Demo:
    return demo_of(seeded_demo.node, clock, seeded_demo.made)


def _members(world: Demo, project: str) -> set[str]:
    return {m.username for m in world.node.projects.members(project)}


def test_nobody_adds_themself_to_a_project(world: Demo) -> None:
    """victor (officer), paul (programme manager) and ingrid (officer) added themselves
    to a project (201); each is now refused, naming the rule."""
    before = _members(world, RADAR)
    expected = {"victor": "self_change", "paul": "policy_denied", "ingrid": "self_change"}
    for username, code in expected.items():
        client = world.api(username)
        with pytest.raises(PermissionDenied) as refused:
            client.add_project_member(RADAR, username)
        assert refused.value.code == code, username
        assert refused.value.data["action"] == "project.member_add"
        assert "not the subject themself" in refused.value.data["requires"]
    assert _members(world, RADAR) == before
    # Nor through the web's member form.
    programme = world.node.programmes.get("Multinational Passive Sensor Programme")
    project = world.node.projects.get_project(RADAR).id
    with world.browser("victor") as browser:
        page: Any = browser.post(
            f"/programmes/{programme.id}/projects/{project}/members",
            {"person": "victor", "role": "member"},
        )
        assert page.status_code == 403
        assert "not the subject themself" in page.text
    assert _members(world, RADAR) == before


def test_the_lead_or_the_own_officer_grants_need_to_know(world: Demo) -> None:
    """A programme manager creates projects but grants no need-to-know; the lead's own
    officer makes the lead, the lead adds members; anyone may leave."""
    paul = world.api("paul")
    made = paul.create_project("Passive radar trials")
    with pytest.raises(PermissionDenied) as refused:
        paul.add_project_member(made["id"], "bob")
    assert refused.value.code == "policy_denied"
    victor = world.api("victor")
    with pytest.raises(PermissionDenied):  # sam is Northwind's, not AFRL's
        victor.add_project_member(made["id"], "sam")
    victor.add_project_member(made["id"], "alice", role="lead")
    alice = world.api("alice")
    alice.add_project_member(made["id"], "bob")
    alice.add_project_member(made["id"], "claire")
    bob = world.api("bob")
    with pytest.raises(PermissionDenied):  # a member does not grant
        bob.add_project_member(made["id"], "dieter")
    world.api("claire").remove_project_member(made["id"], "claire")  # leaving
    alice.remove_project_member(made["id"], "bob")
    assert _members(world, made["id"]) == {"alice"}


def test_grants_on_a_resource_follow_the_same_rule(world: Demo) -> None:
    radar = world.node.policy.resolve("Sensor fusion test plan")  # victor may see it
    victor = world.api("victor")
    with pytest.raises(PermissionDenied) as own:
        victor.grant(radar, "victor")
    assert own.value.code == "self_change"
    with pytest.raises(PermissionDenied):  # paul is no granter any more
        world.api("paul").grant(radar, "paul")
    made = victor.grant(radar, "alice")  # alice's own officer
    assert made["person_id"] == world.node.people.get_person("alice").id


def test_a_read_on_takes_two_officers_of_the_persons_organisation(world: Demo) -> None:
    """victor read himself on to SCI:SI (204); now nobody reads themself on, and a
    read-on someone asks for is approved by a different officer."""
    world.add("vera", "AFRL", "USA", Role.SECURITY_OFFICER)
    victor = world.api("victor")
    with pytest.raises(PermissionDenied) as own:
        victor.request_readon("victor", "SCI:SI", reason="I need it")
    assert own.value.code == "self_change"
    assert own.value.data["action"] == "caveat.readon_request"
    request = victor.request_readon("alice", "SCI:SI", reason="SI tasking for the radar work")
    assert request["status"] == "pending"
    with pytest.raises(PermissionDenied) as asked:  # who asked does not approve
        victor.decide_readon(request["id"], approve=True)
    assert asked.value.code == "self_change"
    assert asked.value.data["rule"] == "not who asked"
    with pytest.raises(PermissionDenied):  # an officer of another organisation
        world.api("ingrid").decide_readon(request["id"], approve=True)
    assert world.node.holdings.caveats(CONSOLE, "alice") == []
    approved = world.api("vera").decide_readon(request["id"], approve=True, reason="agreed")
    assert approved["status"] == "approved"
    assert [c.caveat for c in world.node.holdings.caveats(CONSOLE, "alice")] == ["SCI:SI"]
    asked_event = world.node.audit.search(
        CONSOLE, EventFilter(action="person.readon_requested")
    ).entries
    granted_event = world.node.audit.search(
        CONSOLE, EventFilter(action="person.caveat_granted")
    ).entries
    assert [e.actor_name for e in asked_event] == ["victor"]
    assert [e.actor_name for e in granted_event] == ["vera"]
    assert granted_event[0].data["request_id"] == asked_event[0].data["request_id"]
    assert granted_event[0].data["requested_by"] == world.node.people.get_person("victor").id
    # A second approval is a conflict; a self-approval through the web is refused too.
    with world.browser("victor") as browser:
        page: Any = browser.post(
            "/admin/people/victor/caveats", {"caveat": "SCI:TK", "reason": "me too"}
        )
        assert page.status_code == 403
        assert "not the subject themself" in page.text


def test_the_console_reads_on_directly_and_an_alert_is_raised(world: Demo) -> None:
    world.node.grants.grant_caveat(
        CONSOLE, CallContext.cli(), person="alice", caveat="SAP:SAR-BP", reason="node operations"
    )
    alerts = [
        a
        for a in world.node.monitoring.alerts(CONSOLE, status=AlertStatus.OPEN)
        if a.subject_name == "alice"
    ]
    assert [a.rule for a in alerts] == ["operator_changed_person"]
    assert "SAP:SAR-BP" in alerts[0].summary
    with pytest.raises(PermissionDenied):  # people never read on directly
        world.node.grants.grant_caveat(
            world.principal("victor"),
            CallContext.cli(),
            person="alice",
            caveat="SCI:SI",
            reason="shortcut",
        )
