"""Programmes: roles, funding summary, capacity building, visits that grant a temporary
membership only once the host's security officer approves."""

from __future__ import annotations

from datetime import timedelta

import pytest

from caveat.domain.errors import Conflict, InvalidInput, PermissionDenied
from caveat.domain.identity import Role
from tests.compliance.support import World, ctx


def test_programme_funding_and_capacity_building(world: World) -> None:
    node = world.node
    world.scenario.person("pam", nations=("USA",), roles=(Role.PROGRAMME_MANAGER,))
    pam = world.principal("pam")
    prog = node.programmes.create(pam, ctx(), name="PSP", description="sensor programme")
    node.programmes.add_project(pam, ctx(), "PSP", world.project)
    node.programmes.set_participant(pam, ctx(), "PSP", world.afrl, role="lead", work_share="60")
    node.programmes.set_participant(pam, ctx(), "PSP", "Dstl", role="partner", work_share="40")
    with pytest.raises(InvalidInput) as info:
        node.programmes.set_participant(pam, ctx(), "PSP", "Dstl", role="partner", work_share="41")
    assert info.value.code == "invalid_work_share"
    with pytest.raises(Conflict):
        node.programmes.set_participant(pam, ctx(), "PSP", "Dstl", role="lead")
    day = world.today
    node.programmes.record_funding(
        pam, ctx(), "PSP", world.afrl, kind="commitment", amount="600000.00", currency="USD", on=day
    )
    node.programmes.record_funding(
        pam, ctx(), "PSP", "Dstl", kind="commitment", amount="400000", currency="USD", on=day
    )
    node.programmes.record_funding(
        pam, ctx(), "PSP", "Dstl", kind="contribution", amount="150000.50", currency="USD", on=day
    )
    with pytest.raises(InvalidInput) as info:
        node.programmes.record_funding(
            pam, ctx(), "PSP", "Dstl", kind="contribution", amount="1.005", currency="USD", on=day
        )
    assert info.value.code == "invalid_amount"
    summary = {row["organisation_id"]: row for row in node.programmes.funding_summary("PSP")}
    assert summary[world.dstl]["outstanding"] == "249999.50"
    assert summary[world.dstl]["funding_share_percent"] == 40.0
    assert summary[world.afrl]["work_share_percent"] == 60.0
    node.programmes.add_activity(
        pam,
        ctx(),
        "PSP",
        kind="placement",
        title="Radar exchange",
        host=world.afrl,
        person="bob",
        starts_on=day,
        ends_on=day + timedelta(days=90),
    )
    got = node.programmes.get(prog.id)
    assert got.projects == (world.project,)
    assert len(got.participants) == 2
    with pytest.raises(PermissionDenied):
        node.programmes.create(world.principal("bob"), ctx(), name="Mine")


def test_visit_needs_the_hosts_officer_before_membership(world: World) -> None:
    node = world.node
    other = node.projects.create_project(world.principal("sol"), ctx(), name="Host lab").id
    day = world.today
    visit = node.programmes.request_visit(
        world.principal("bob"),
        ctx(),
        person="bob",
        host=world.afrl,
        project=other,
        purpose="radar trials",
        starts_on=day,
        ends_on=day + timedelta(days=2),
    )
    assert other not in _projects(world, "bob")
    with pytest.raises(PermissionDenied) as info:  # the visitor's own officer
        node.programmes.decide_visit(
            world.principal("gso"), ctx(), visit.id, approve=True, reason="fine by us"
        )
    assert info.value.code == "policy_denied"
    assert info.value.data["action"] == "visit.decide"
    node.programmes.decide_visit(
        world.principal("sol"), ctx(), visit.id, approve=True, reason="host approves"
    )
    assert other in _projects(world, "bob")
    world.clock.advance(days=3)
    assert other not in _projects(world, "bob")  # the temporary membership lapsed


def _projects(world: World, username: str) -> set[str]:
    from caveat.domain.policy import Context
    from caveat.services.policy._loader import subject_of

    node = world.node
    with node.uow.read() as session:
        subject = subject_of(session, node.people.get_person(username))
        now = world.clock()
        return set(Context(now, now, node.policy.environment()).facts(subject).projects)


def test_a_project_made_in_a_programme_is_both_records_or_neither(world: World) -> None:
    node = world.node
    world.scenario.person("pam", nations=("USA",), roles=(Role.PROGRAMME_MANAGER,))
    pam, sol = world.principal("pam"), world.principal("sol")
    node.programmes.create(pam, ctx(), name="PSP", description="sensor programme")
    made = node.programmes.create_project(pam, ctx(), "PSP", "Passive radar")
    assert made.programme == "PSP"
    assert made.id in node.programmes.get("PSP").projects
    # A security officer may create projects, but not put them in a programme: refused
    # whole, nothing created.
    with pytest.raises(PermissionDenied):
        node.programmes.create_project(sol, ctx(), "PSP", "Officer's project")
    with pytest.raises(Conflict):
        node.programmes.create_project(pam, ctx(), "PSP", "Passive radar")
    names = [p.name for p in node.projects.list_projects()]
    assert "Officer's project" not in names
    assert names.count("Passive radar") == 1
    # A project made outside names no programme until it is added to one.
    loose = node.projects.create_project(sol, ctx(), name="Loose")
    assert loose.programme is None
    node.programmes.add_project(pam, ctx(), "PSP", "Loose")
    assert node.projects.get_project("Loose").programme == "PSP"


def test_funding_across_programmes_per_partner_nation(world: World) -> None:
    node = world.node
    world.scenario.person("pam", nations=("USA",), roles=(Role.PROGRAMME_MANAGER,))
    pam = world.principal("pam")
    saab = world.scenario.org("Saab", "SWE")
    qinetiq = world.scenario.org("QinetiQ", "GBR")
    day = world.today
    for name, lines in {
        "PSP": [
            (world.afrl, "commitment", "600000.00", "USD"),
            (world.dstl, "commitment", "300000", "USD"),
            (qinetiq, "commitment", "100000", "USD"),  # a second GBR partner: one GBR line
            (world.dstl, "contribution", "150000.50", "USD"),
            (qinetiq, "contribution", "0.50", "USD"),
            (world.dstl, "commitment", "20000", "GBP"),
        ],
        "Arctic": [(saab, "contribution", "5000", "USD")],
        "Idle": [],
    }.items():
        node.programmes.create(pam, ctx(), name=name, description="")
        for org in {org for org, *_ in lines}:
            node.programmes.set_participant(pam, ctx(), name, org, role="partner")
        for org, kind, amount, currency in lines:
            node.programmes.record_funding(
                pam, ctx(), name, org, kind=kind, amount=amount, currency=currency, on=day
            )
    found = [
        (f.programme, f.currency, f.nation, f.committed, f.contributed)
        for f in node.programme_records.funding_by_nation()
    ]
    assert found == [
        ("Arctic", "USD", "SWE", "0.00", "5000.00"),
        ("PSP", "GBP", "GBR", "20000.00", "0.00"),
        ("PSP", "USD", "GBR", "400000.00", "150001.00"),
        ("PSP", "USD", "USA", "600000.00", "0.00"),
    ]
    [gbr] = [
        f
        for f in node.programme_records.funding_by_nation()
        if f.nation == "GBR" and f.currency == "USD"
    ]
    assert (gbr.committed_minor, gbr.contributed_minor) == (40_000_000, 15_000_100)
