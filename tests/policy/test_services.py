"""Projects, the catalogue and the policy service: permissions, events, leak rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from caveat.adapters.db.models import EventRow
from caveat.bootstrap.container import Node
from caveat.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from caveat.domain.identity import Role
from caveat.domain.labels import parse_marking
from caveat.domain.policy import Action, AddNationality, GrantKind
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext
from caveat.services.ledger._audit import EventFilter
from caveat.services.policy import listing as policy_listing
from tests.support import FakeClock, Scenario

CONSOLE = ConsoleOperator()


READ = Action.READ


def ctx() -> CallContext:
    return CallContext.cli()


@pytest.fixture
def world(node: Node, clock: FakeClock) -> Scenario:
    return Scenario(node, clock)


def principal(world: Scenario, username: str) -> Principal:
    return Principal(person=world.node.people.get_person(username), mfa_at=world.clock())


def setup(world: Scenario) -> dict[str, str]:
    node = world.node
    world.org("Air Force Research Laboratory", "USA")
    world.org("Dstl", "GBR")
    world.person("alice", nations=("USA",))
    world.person("bob", nations=("GBR",), org=world.org("Dstl", "GBR"))
    world.person("sam", nations=("USA", "GBR"))
    world.person("olga", nations=("USA",), roles=(Role.SECURITY_OFFICER,))
    project = node.projects.create_project(CONSOLE, ctx(), name="Sensor fusion").id
    for who in ("alice", "bob", "sam"):
        node.projects.add_member(CONSOLE, ctx(), project, who)
    day = world.clock().date()
    groups = node.registry.directory()
    ids = {}
    for title, marking in (("rel", "SECRET//REL TO USA, GBR"), ("nf", "SECRET//NOFORN")):
        label = parse_marking(marking, groups=groups, on=day)
        ids[title] = node.catalogue.register(
            CONSOLE,
            ctx(),
            project=project,
            kind="document",
            title=title,
            label=label,
            originator="Air Force Research Laboratory",
        ).id
    ids["project"] = project
    return ids


def test_every_change_records_its_event(world: Scenario) -> None:
    ids = setup(world)
    node = world.node
    node.grants.grant(CONSOLE, ctx(), resource=ids["nf"], person="olga", kind=GrantKind.ACCESS)
    node.grants.grant_caveat(CONSOLE, ctx(), person="alice", caveat="SCI:SI", reason="SI work")
    node.projects.remove_member(CONSOLE, ctx(), ids["project"], "sam")
    with node.uow.read() as session:
        types = set(session.scalars(select(EventRow.type).order_by(EventRow.seq)))
    assert {
        "project.created",
        "project.member_added",
        "project.member_removed",
        "resource.registered",
        "resource.grant_added",
        "person.caveat_granted",
    } <= types


def test_listing_and_decisions_for_the_subject(world: Scenario) -> None:
    ids = setup(world)
    alice, bob, sam = (principal(world, u) for u in ("alice", "bob", "sam"))
    assert world.node.policy.list_visible(alice).total == 2
    assert world.node.policy.list_visible(sam).total == 1  # NOFORN hides from a dual national
    # bob (GBR) shares no agreement with the US originator: nothing to discover at all
    assert world.node.policy.list_visible(bob).total == 0
    assert world.node.policy.list_visible(alice).total_exact
    with pytest.raises(NotFound) as missing:
        world.node.policy.my_decision(bob, ids["rel"], Action.READ)
    with pytest.raises(NotFound) as absent:
        world.node.policy.my_decision(bob, "no-such-id", Action.READ)
    assert missing.value.code == absent.value.code
    assert missing.value.hint == absent.value.hint
    mine = world.node.policy.my_decision(alice, ids["rel"], Action.READ)
    assert mine.permitted
    assert mine.audience.value == "subject"


def test_officers_explain_for_their_organisation_only(world: Scenario) -> None:
    ids = setup(world)
    olga = principal(world, "olga")
    with pytest.raises(NotFound):  # olga is no member: she cannot discover it, so cannot explain it
        world.node.policy.explain(olga, person="sam", resource_id=ids["nf"], action=Action.READ)
    world.node.projects.add_member(CONSOLE, ctx(), ids["project"], "olga")
    found = world.node.policy.explain(olga, person="sam", resource_id=ids["nf"], action=Action.READ)
    assert found.failed == ("releasability",)
    assert "GBR" in found.requirements[2].detail
    with pytest.raises(PermissionDenied):
        world.node.policy.explain(olga, person="bob", resource_id=ids["nf"], action=Action.READ)
    with pytest.raises(PermissionDenied):
        world.node.policy.explain(
            principal(world, "alice"), person="sam", resource_id=ids["nf"], action=Action.READ
        )
    changed = world.node.policy.what_if(
        CONSOLE,
        person="alice",
        resource_id=ids["nf"],
        action=Action.READ,
        changes=[AddNationality("FRA")],
    )
    assert changed.before.permitted
    assert not changed.after.permitted
    who = {
        w.username: w
        for w in world.node.policy.who_can(
            CONSOLE, resource_id=ids["rel"], action=Action.READ
        ).people
    }
    assert who["alice"].permitted
    assert "agreement" in who["bob"].failed


def test_nobody_registers_or_grants_what_they_cannot_see(world: Scenario) -> None:
    ids = setup(world)
    node = world.node
    bob = principal(world, "bob")
    label = parse_marking(
        "TOP SECRET//NOFORN", groups=node.registry.directory(), on=world.clock().date()
    )
    with pytest.raises(PermissionDenied) as denied:
        node.catalogue.register(
            bob, ctx(), project=ids["project"], kind="document", title="x", label=label
        )
    assert denied.value.data["failed"] == ["clearance"]  # his own organisation originates it
    olga = principal(world, "olga")
    with pytest.raises(NotFound):
        node.grants.grant(olga, ctx(), resource=ids["nf"], person="olga", kind=GrantKind.ACCESS)
    node.grants.grant(CONSOLE, ctx(), resource=ids["rel"], person="olga", kind=GrantKind.ACCESS)
    with pytest.raises(Conflict):
        node.grants.grant(CONSOLE, ctx(), resource=ids["rel"], person="olga", kind=GrantKind.ACCESS)
    with pytest.raises(PermissionDenied):  # researchers do not grant
        node.grants.grant(
            principal(world, "alice"),
            ctx(),
            resource=ids["rel"],
            person="bob",
            kind=GrantKind.ACCESS,
        )


def test_members_have_project_roles_and_changeable_end_dates(world: Scenario) -> None:
    ids = setup(world)
    node, project = world.node, ids["project"]
    world.person("lena", nations=("USA",))
    added = node.projects.add_member(CONSOLE, ctx(), project, "lena", role="lead")
    assert added.role == "lead"
    with pytest.raises(InvalidInput) as info:
        node.projects.add_member(CONSOLE, ctx(), project, "olga", role="boss")
    assert info.value.code == "invalid_project_role"
    explained = node.policy.explain(CONSOLE, person="lena", resource_id=ids["nf"], action=READ)
    assert "need_to_know" not in explained.failed
    # The end date moves; once it passes, need-to-know through the project ends.
    ends = world.clock() + timedelta(days=2)
    changed = node.projects.update_member(
        CONSOLE, ctx(), project, "lena", role="observer", expires_at=ends
    )
    assert (changed.role, changed.expires_at) == ("observer", ends)
    [member] = [m for m in node.projects.members(project) if m.username == "lena"]
    assert (member.role, member.expires_at) == ("observer", ends)
    world.clock.advance(days=3)
    explained = node.policy.explain(CONSOLE, person="lena", resource_id=ids["nf"], action=READ)
    assert "need_to_know" in explained.failed
    reopened = node.projects.update_member(CONSOLE, ctx(), project, "lena", open_ended=True)
    assert reopened.expires_at is None
    with pytest.raises(InvalidInput):
        node.projects.update_member(
            CONSOLE, ctx(), project, "lena", expires_at=world.clock() - timedelta(days=1)
        )
    events = node.audit.search(CONSOLE, EventFilter(action="project.member_updated")).entries
    assert [e.data["role"] for e in events] == ["observer", "observer"]
    with pytest.raises(NotFound):
        node.projects.update_member(CONSOLE, ctx(), project, "olga", role="member")


def test_grants_and_caveat_holdings_are_listed_for_officers_only(world: Scenario) -> None:
    ids = setup(world)
    node = world.node
    made = node.grants.grant(
        CONSOLE, ctx(), resource=ids["rel"], person="olga", kind=GrantKind.ACCESS
    )
    node.grants.grant_caveat(CONSOLE, ctx(), person="alice", caveat="SCI:SI", reason="SI work")
    officer = principal(world, "olga")
    [listed] = node.holdings.grants(officer, ids["rel"])
    assert (listed.id, listed.username, listed.kind, listed.expired) == (
        made.id,
        "olga",
        "access",
        False,
    )
    [held] = node.holdings.caveats(officer, "alice")
    assert held.caveat == "SCI:SI"
    with pytest.raises(PermissionDenied):
        node.holdings.grants(principal(world, "alice"), ids["rel"])
    with pytest.raises(PermissionDenied):
        node.holdings.caveats(principal(world, "bob"), "alice")
    node.grants.revoke_caveat(
        CONSOLE, ctx(), person="alice", caveat="SCI:SI", reason="SI work ended"
    )
    assert node.holdings.caveats(officer, "alice") == []


def test_the_count_stops_at_its_cap(world: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond the cap the total is the cap and says it is a lower bound ("more than")."""
    setup(world)
    alice = principal(world, "alice")
    monkeypatch.setattr(policy_listing, "COUNT_CAP", 1)
    page = world.node.policy.list_visible(alice)
    assert (page.total, page.total_exact, len(page.items)) == (1, False, 2)
    monkeypatch.setattr(policy_listing, "COUNT_CAP", 2)
    page = world.node.policy.list_visible(alice)
    assert (page.total, page.total_exact) == (2, True)
