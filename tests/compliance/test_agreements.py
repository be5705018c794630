"""Requirement 6 flips exactly when an agreement comes into force, is suspended,
expires or stops covering the project; bad agreements are refused whole."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from caveat.adapters.db.models import EventRow
from caveat.adapters.db.models.compliance import AgreementRow
from caveat.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from caveat.domain.identity import Role
from caveat.domain.labels import parse_marking
from caveat.services.kernel.principal import Principal
from tests.compliance.support import CONSOLE, World, ctx


def test_lifecycle_flips_requirement_6(world: World) -> None:
    node, agnes = world.node, world.principal("agnes")
    assert "agreement" in world.failed("bob", world.plain)
    assert world.failed("alice", world.plain) == set()  # domestic
    node.agreements.create(agnes, ctx(), world.draft())
    assert "agreement" in world.failed("bob", world.plain)  # a draft has no effect
    node.agreements.move(agnes, ctx(), "Sensor MoU", "activate", reason="signed by both")
    assert world.failed("bob", world.plain) == set()
    node.agreements.move(agnes, ctx(), "Sensor MoU", "suspend", reason="under review")
    assert "agreement" in world.failed("bob", world.plain)
    node.agreements.move(agnes, ctx(), "Sensor MoU", "resume", reason="review done")
    assert world.failed("bob", world.plain) == set()
    # Expiry by date: in force on its last day, not the day after.
    world.clock.advance(days=30)
    assert world.failed("bob", world.plain) == set()
    world.clock.advance(days=1)
    assert "agreement" in world.failed("bob", world.plain)
    assert node.agreements.get(agnes, "Sensor MoU").status == "expired"
    with node.uow.read() as session:
        types = list(
            session.scalars(
                select(EventRow.type)
                .where(EventRow.type.like("agreement.%"))
                .order_by(EventRow.seq)
            )
        )
    assert types.count("agreement.status_changed") == 3
    assert "agreement.created" in types


def test_amendment_stops_covering_the_project_and_keeps_versions(world: World) -> None:
    node, agnes = world.node, world.principal("agnes")
    other = node.projects.create_project(CONSOLE, ctx(), name="Other").id
    node.agreements.create(agnes, ctx(), world.draft())
    node.agreements.move(agnes, ctx(), "Sensor MoU", "activate", reason="signed")
    assert world.failed("bob", world.plain) == set()
    node.agreements.amend(
        agnes, ctx(), "Sensor MoU", world.draft(projects=(other,)), note="re-scoped"
    )
    assert "agreement" in world.failed("bob", world.plain)
    got = node.agreements.get(agnes, "Sensor MoU")
    assert got.version == 2
    assert [v["version"] for v in got.versions] == [1, 2]
    assert got.versions[0]["terms"]["projects"] == [world.project]


def test_level_and_scope(world: World) -> None:
    node, agnes = world.node, world.principal("agnes")
    node.agreements.create(agnes, ctx(), world.draft(max_level=2, controls=()))
    node.agreements.move(agnes, ctx(), "Sensor MoU", "activate", reason="signed")
    assert "agreement" in world.failed("bob", world.plain)  # SECRET above the ceiling
    node.agreements.amend(
        agnes, ctx(), "Sensor MoU", world.draft(controls=("ITAR:USML-XI(c)(1)",)), note="scope"
    )
    assert "agreement" not in world.failed("bob", world.controlled)
    node.agreements.amend(
        agnes, ctx(), "Sensor MoU", world.draft(controls=("ITAR:USML-XII(a)",)), note="scope"
    )
    assert "agreement" in world.failed("bob", world.controlled)
    assert "agreement" not in world.failed("bob", world.plain)


def test_organisation_party_and_programme_coverage(world: World) -> None:
    node, agnes = world.node, world.principal("agnes")
    prog = node.programmes.create(CONSOLE, ctx(), name="PSP", description="sensors")
    node.programmes.add_project(CONSOLE, ctx(), prog.id, world.project)
    node.agreements.create(
        agnes,
        ctx(),
        world.draft(
            party_nations=("USA",),
            party_organisations=(world.dstl,),
            projects=(),
            programmes=("PSP",),
        ),
    )
    node.agreements.move(agnes, ctx(), "Sensor MoU", "activate", reason="signed")
    assert world.failed("bob", world.plain) == set()


def test_bad_agreements_are_refused_whole(world: World) -> None:
    node, agnes = world.node, world.principal("agnes")
    with pytest.raises(PermissionDenied):
        node.agreements.create(world.principal("bob"), ctx(), world.draft())
    bad = [
        (world.draft(expires_on=world.today - timedelta(days=5)), "invalid_dates"),
        (world.draft(party_nations=("USA",)), "agreement_parties_required"),
        (world.draft(releasability=("USA",)), "contradictory_agreement"),
        (world.draft(controls=("EAR:3A01",)), "invalid_control_entry"),
        (world.draft(controls=("ITAR:USML-XXV(a)",)), "invalid_control_entry"),
        (world.draft(ip_terms={"foreground": "whoever"}), "invalid_ip_terms"),
        (world.draft(projects=()), "agreement_coverage_required"),
    ]
    for draft, code in bad:
        with pytest.raises(InvalidInput) as info:
            node.agreements.create(agnes, ctx(), draft)
        assert info.value.code == code
    with node.uow.read() as session:
        assert session.scalar(select(func.count()).select_from(AgreementRow)) == 0


def test_overlapping_agreements_conflict_and_final_states(world: World) -> None:
    node, agnes = world.node, world.principal("agnes")
    node.agreements.create(agnes, ctx(), world.draft())
    node.agreements.move(agnes, ctx(), "Sensor MoU", "activate", reason="signed")
    node.agreements.create(agnes, ctx(), world.draft("Second MoU"))
    with pytest.raises(Conflict) as info:
        node.agreements.move(agnes, ctx(), "Second MoU", "activate", reason="signed")
    assert info.value.code == "overlapping_agreement"
    assert node.agreements.get(agnes, "Second MoU").status == "draft"
    node.agreements.move(agnes, ctx(), "Sensor MoU", "terminate", reason="withdrawn")
    assert "agreement" in world.failed("bob", world.plain)
    with pytest.raises(Conflict) as info:
        node.agreements.move(agnes, ctx(), "Sensor MoU", "resume", reason="oops")
    assert info.value.code == "invalid_agreement_transition"
    node.agreements.move(agnes, ctx(), "Second MoU", "activate", reason="replaces the first")
    assert world.failed("bob", world.plain) == set()


def test_the_text_must_be_readable_by_every_party(world: World) -> None:
    node, agnes = world.node, world.principal("agnes")
    groups, day = node.registry.directory(), world.clock().date()
    # agnes may discover the project's documents (need-to-know): she learns their labels.
    node.projects.add_member(CONSOLE, ctx(), world.project, "agnes")

    def text(title: str, marking: str) -> str:
        return node.catalogue.register(
            CONSOLE,
            ctx(),
            project=world.project,
            kind="document",
            title=title,
            label=parse_marking(marking, groups=groups, on=day),
            originator=world.afrl,
        ).id

    us_only = text("MoU text, US copy", "SECRET//NOFORN")
    with pytest.raises(InvalidInput) as barred:
        node.agreements.create(agnes, ctx(), world.draft(text_resource_id=us_only))
    assert barred.value.code == "agreement_text_not_releasable"
    assert "not releasable to GBR" in barred.value.detail
    fvey = text("MoU text", "CONFIDENTIAL//REL TO USA, FVEY")  # GBR through its group
    made = node.agreements.create(agnes, ctx(), world.draft(text_resource_id=fvey))
    assert made.text_resource_id == fvey
    # An amendment adding a party the text is not released to is refused whole.
    with pytest.raises(InvalidInput) as amended:
        node.agreements.amend(
            agnes,
            ctx(),
            "Sensor MoU",
            world.draft(
                party_nations=("USA", "GBR", "FRA"), releasability=(), text_resource_id=fvey
            ),
            note="France joins",
        )
    assert "not releasable to FRA" in amended.value.detail
    assert node.agreements.get(agnes, "Sensor MoU").version == 1
    open_text = text("MoU text, public", "UNCLASSIFIED")
    node.agreements.amend(
        agnes,
        ctx(),
        "Sensor MoU",
        world.draft(party_nations=("USA", "GBR", "FRA"), text_resource_id=open_text),
        note="France joins; public text",
    )
    assert node.agreements.get(agnes, "Sensor MoU").version == 2
    assert node.agreements.get(agnes, "Sensor MoU").text_not_released_to == ()
    # Tightening the text's label later is never refused, but the agreement says so.
    tighter = parse_marking("CONFIDENTIAL//NOFORN", groups=groups, on=day)
    with node.uow(ctx()) as uow:
        node.catalogue.relabel_in(uow, CONSOLE, open_text, label=tighter)
    assert node.agreements.get(agnes, "Sensor MoU").text_not_released_to == ("FRA", "GBR")


def _managers(world: World) -> dict[str, Principal]:
    """Agreement managers of France (ONERA), the UK (Dstl) and Norway (FFI)."""
    onera = world.scenario.org("ONERA", "FRA")
    ffi = world.scenario.org("FFI", "NOR")
    for username, nation, org in (
        ("amelie", "FRA", onera),
        ("gareth", "GBR", world.dstl),
        ("nils", "NOR", ffi),
    ):
        world.scenario.person(username, nations=(nation,), roles=(Role.AGREEMENT_MANAGER,), org=org)
    return {u: world.principal(u) for u in ("amelie", "gareth", "nils")}


def test_agreements_are_changed_by_agreement_managers_of_a_party(world: World) -> None:
    """Issue 11, reproduction 6: agnes of ONERA (France) suspended the GBR-NOR
    arrangement; France is no party. Now only a party's agreement managers change it."""
    node = world.node
    m = _managers(world)
    gbr_nor = world.draft("GBR-NOR arrangement", party_nations=("GBR", "NOR"))
    # Nobody records an agreement their organisation or nation is not party to.
    with pytest.raises(PermissionDenied) as outsider:
        node.agreements.create(m["amelie"], ctx(), gbr_nor)
    assert outsider.value.code == "not_a_party"
    assert outsider.value.data["action"] == "agreement.create"
    assert "party to the agreement" in outsider.value.data["rule"]
    made = node.agreements.create(m["gareth"], ctx(), gbr_nor)
    node.agreements.move(m["nils"], ctx(), made.id, "activate", reason="signed by both")
    with node.uow.read() as session:
        events = session.scalar(select(func.count()).select_from(EventRow))
    # France suspends, amends, or takes the agreement over: refused, nothing changes.
    attempts: tuple[Callable[[], object], ...] = (
        lambda: node.agreements.move(m["amelie"], ctx(), made.id, "suspend", reason="under review"),
        lambda: node.agreements.amend(m["amelie"], ctx(), made.id, gbr_nor, note="new terms"),
        lambda: node.agreements.amend(
            m["amelie"],
            ctx(),
            made.id,
            world.draft("GBR-NOR arrangement", party_nations=("GBR", "NOR", "FRA")),
            note="France joins by itself",
        ),
    )
    for attempt in attempts:
        with pytest.raises(PermissionDenied) as refused:
            attempt()
        assert refused.value.code == "not_a_party"
    after = node.agreements.get(m["gareth"], made.id)
    assert (after.status, after.version) == ("in_force", 1)
    with node.uow.read() as session:
        assert session.scalar(select(func.count()).select_from(EventRow)) == events
    # A party does not hand its agreement over to others either.
    with pytest.raises(PermissionDenied) as handed:
        node.agreements.amend(
            m["gareth"],
            ctx(),
            made.id,
            world.draft("GBR-NOR arrangement", party_nations=("USA", "NOR")),
            note="the UK leaves, the US joins",
        )
    assert handed.value.code == "not_a_party"
    # Being an organisation party counts as well as one's nation.
    org_deal = world.draft(
        "Dstl-FFI data exchange", party_nations=(), party_organisations=("Dstl", "FFI")
    )
    with pytest.raises(PermissionDenied):
        node.agreements.create(m["amelie"], ctx(), org_deal)
    node.agreements.create(m["nils"], ctx(), org_deal)
    # Other roles never change agreements; the console (the node's data directory) may.
    bob = world.principal("bob")
    with pytest.raises(PermissionDenied) as researcher:
        node.agreements.move(bob, ctx(), made.id, "suspend", reason="under review")
    assert researcher.value.code == "policy_denied"
    node.agreements.move(CONSOLE, ctx(), made.id, "suspend", reason="operator, on request")
    assert node.agreements.may_change(m["gareth"], after)
    assert not node.agreements.may_change(m["amelie"], after)


def test_a_hidden_text_answers_as_a_missing_one(world: World) -> None:
    """Issue 11, reproduction 8 (the agreement form): a NOFORN text the actor may not
    discover and a random id give the same answer, and its releasability is not told."""
    node = world.node
    m = _managers(world)
    groups, day = node.registry.directory(), world.clock().date()
    node.projects.add_member(CONSOLE, ctx(), world.project, "amelie")  # need-to-know
    hidden = node.catalogue.register(
        CONSOLE,
        ctx(),
        project=world.project,
        kind="document",
        title="US-only annex",
        label=parse_marking("SECRET//NOFORN", groups=groups, on=day),
        originator=world.afrl,
    ).id
    missing = str(uuid.uuid4())
    answers = []
    for ref in (hidden, missing):
        with pytest.raises(NotFound) as refused:
            node.agreements.create(
                m["amelie"],
                ctx(),
                world.draft("FRA-GBR MoU", party_nations=("FRA", "GBR"), text_resource_id=ref),
            )
        answers.append(
            (refused.value.code, refused.value.field, refused.value.detail.replace(ref, "?"))
        )
    assert answers[0] == answers[1]
    assert answers[0][0] == "unknown_resource"
    assert "releasable" not in answers[0][2]
    # Who may discover it is told why it cannot be the text (not releasable to GBR).
    node.projects.add_member(CONSOLE, ctx(), world.project, "agnes")
    with pytest.raises(InvalidInput) as told:
        node.agreements.create(
            world.principal("agnes"), ctx(), world.draft(text_resource_id=hidden)
        )
    assert told.value.code == "agreement_text_not_releasable"
    assert "not releasable to GBR" in told.value.detail
