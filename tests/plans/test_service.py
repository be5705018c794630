"""Plans through the service: who may edit, per-reader filtering, hidden looks missing,
the agreement's cap on work shares, deliverables linked only to readable artifacts, the
agenda of overdue and upcoming items, and one ledger event per change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from caveat.adapters.db.models import EventRow
from caveat.domain.errors import CaveatError, InvalidInput, NotFound, PermissionDenied
from caveat.domain.identity import ProjectRole
from caveat.domain.labels import parse_marking
from caveat.domain.policy import Action, Context, decide, make_resource
from caveat.services import demo
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.policy import subject_of
from tests.plans.support import PROJECT, World, ctx

SECRET = "SECRET//REL TO USA, GBR"


def _events(world: World, kind: str) -> list[EventRow]:
    with world.node.uow.read() as session:
        return list(
            session.scalars(select(EventRow).where(EventRow.type == kind).order_by(EventRow.seq))
        )


def _missing(exc: CaveatError, ref: str) -> tuple[str, str, str]:
    return (type(exc).__name__, exc.code, str(exc.detail).replace(ref, "REF"))


def test_the_demo_plan_reads_per_label(world: World) -> None:
    alice = world.node.plans.plan(world.who("alice"), PROJECT)
    assert [w.title for w in alice.work_packages] == ["Sensor integration", "Joint trial campaign"]
    assert alice.may_edit
    claire = world.node.plans.plan(world.who("claire"), PROJECT)
    assert [w.title for w in claire.work_packages] == ["Sensor integration"]
    assert not claire.may_edit
    # the shares follow the programme's agreed shares exactly
    assert {s.organisation: (s.share_bp, s.agreed_bp) for s in alice.shares}["AFRL"] == (
        3000,
        3000,
    )
    assert not any(s.over for s in alice.shares)


def test_outsiders_and_members_without_the_role_cannot_edit(world: World) -> None:
    wp = world.work_packages[0]
    with pytest.raises(PermissionDenied):
        world.node.plans.add_task(
            world.who("bob"),
            ctx(),
            wp,
            title="Mine",
            label="UNCLASSIFIED",
            due_on=world.clock().date(),
        )
    # Lars is no member: the project's plan and its items are missing to him.
    with pytest.raises(NotFound) as hidden:
        world.node.plans.plan(world.who("lars"), PROJECT)
    assert hidden.value.code == "unknown_project"
    with pytest.raises(NotFound) as item:
        world.node.plans.add_milestone(
            world.who("lars"),
            ctx(),
            wp,
            title="x",
            label="UNCLASSIFIED",
            due_on=world.clock().date(),
        )
    assert item.value.code == "unknown_plan_item"
    # Ingrid is a security officer but not a member of the project.
    with pytest.raises(NotFound):
        world.node.plans.add_milestone(
            world.who("ingrid"),
            ctx(),
            wp,
            title="x",
            label="UNCLASSIFIED",
            due_on=world.clock().date(),
        )


def test_a_security_officer_member_edits(world: World) -> None:
    task = world.node.plans.add_task(
        world.who("victor"),
        ctx(),
        world.work_packages[0],
        title="Check the marking guide",
        label="UNCLASSIFIED",
        due_on=world.clock().date() + timedelta(days=2),
    )
    assert task.status == "open"


def test_a_higher_labelled_item_looks_missing(world: World) -> None:
    secret_wp = world.work_packages[1]
    with pytest.raises(NotFound) as hidden:
        world.node.plans.add_task(
            world.who("claire"),
            ctx(),
            secret_wp,
            title="x",
            label="UNCLASSIFIED",
            due_on=world.clock().date(),
        )
    with pytest.raises(NotFound) as absent:
        world.node.plans.add_task(
            world.who("claire"),
            ctx(),
            "no-such-id",
            title="x",
            label="UNCLASSIFIED",
            due_on=world.clock().date(),
        )
    assert _missing(hidden.value, secret_wp) == _missing(absent.value, "no-such-id")
    # an unclassified task in a secret work package is hidden with it
    world.node.plans.add_task(
        world.who("alice"),
        ctx(),
        secret_wp,
        title="Book the range",
        label="UNCLASSIFIED",
        due_on=world.clock().date(),
    )
    agenda = world.node.plans.agenda(world.who("claire"), today=world.clock().date())
    assert "Book the range" not in {i.title for i in agenda.upcoming}
    agenda = world.node.plans.agenda(world.who("alice"), today=world.clock().date())
    assert "Book the range" in {i.title for i in agenda.upcoming}


def test_nobody_labels_above_what_they_read(world: World) -> None:
    with pytest.raises(PermissionDenied) as refused:
        world.node.plans.add_task(
            world.who("alice"),
            ctx(),
            world.work_packages[0],
            title="x",
            label="TOP SECRET",
            due_on=world.clock().date(),
        )
    assert refused.value.code == "label_above_reader"


def test_work_share_over_the_agreement_is_refused_unless_flagged(world: World) -> None:
    args = dict(
        title="Extra AFRL work",
        label="UNCLASSIFIED",
        lead_organisation="AFRL",
        starts_on=world.clock().date(),
        ends_on=world.clock().date() + timedelta(days=30),
        efforts={"AFRL": "50"},
    )
    with pytest.raises(InvalidInput) as refused:
        world.node.plans.add_work_package(world.who("alice"), ctx(), PROJECT, **args)  # type: ignore[arg-type]
    assert refused.value.code == "work_share_over_agreement"
    assert refused.value.data == {"partners": ["AFRL"]}
    before = len(_events(world, "plan.work_package_added"))
    wp = world.node.plans.add_work_package(
        world.who("alice"),
        ctx(),
        PROJECT,
        exceed_agreement=True,
        **args,  # type: ignore[arg-type]
    )
    assert wp.exceeds_agreement
    events = _events(world, "plan.work_package_added")
    assert len(events) == before + 1
    plan = world.node.plans.plan(world.who("alice"), PROJECT)
    assert [s.organisation for s in plan.shares if s.over] == ["AFRL"]


def test_assignees_are_members_who_may_read_the_task(world: World) -> None:
    wp = world.work_packages[0]
    for who in ("lars", "nobody-here"):
        with pytest.raises(InvalidInput) as refused:
            world.node.plans.add_task(
                world.who("alice"),
                ctx(),
                wp,
                title="x",
                label="UNCLASSIFIED",
                due_on=world.clock().date(),
                assignee=who,
            )
        assert refused.value.code == "assignee_refused"
    with pytest.raises(InvalidInput):
        world.node.plans.add_task(
            world.who("alice"),
            ctx(),
            wp,
            title="x",
            label="SECRET//NOFORN",
            due_on=world.clock().date(),
            assignee="bob",
        )


def test_the_assignee_moves_their_task_and_each_move_is_an_event(world: World) -> None:
    task = world.node.plans.add_task(
        world.who("alice"),
        ctx(),
        world.work_packages[0],
        title="Fit the mast",
        label="UNCLASSIFIED",
        due_on=world.clock().date(),
        assignee="bob",
    )
    moved = world.node.plans.move_task(world.who("bob"), ctx(), task.id, "start")
    assert moved.status == "in_progress"
    with pytest.raises(PermissionDenied):
        world.node.plans.move_task(world.who("claire"), ctx(), task.id, "finish")
    done = world.node.plans.move_task(world.who("alice"), ctx(), task.id, "finish")
    assert done.status == "done"
    assert done.moves == ()
    with pytest.raises(CaveatError) as closed:
        world.node.plans.move_task(world.who("bob"), ctx(), task.id, "start")
    assert closed.value.code == "task_closed"
    events = [e for e in _events(world, "plan.task_moved") if task.id in e.body]
    assert len(events) == 2


def test_deliver_links_only_a_readable_artifact_and_hides_it_from_others(world: World) -> None:
    deliverable = world.node.plans.add_deliverable(
        world.who("alice"),
        ctx(),
        world.work_packages[0],
        title="Sensor report",
        label="UNCLASSIFIED",
        due_on=world.clock().date(),
    )
    noforn = world.artifact("SECRET//NOFORN")
    with pytest.raises(NotFound) as refused:
        world.node.plans.deliver(world.who("victor"), ctx(), deliverable.id, artifact="nope")
    assert refused.value.code == "unknown_artifact"
    done = world.node.plans.deliver(world.who("alice"), ctx(), deliverable.id, artifact=noforn)
    assert done.status == "delivered"
    assert done.artifact_id == noforn
    seen = {
        d.id: d
        for wp in world.node.plans.plan(world.who("bob"), PROJECT).work_packages
        for d in wp.deliverables
    }[deliverable.id]
    assert seen.artifact_id is None
    assert seen.artifact_title is None
    assert seen.artifact_restricted
    assert (
        len([e for e in _events(world, "plan.deliverable_moved") if deliverable.id in e.body]) == 1
    )


def test_an_unreadable_artifact_cannot_be_linked(world: World) -> None:
    noforn = world.artifact("SECRET//NOFORN")
    deliverable = world.node.plans.add_deliverable(
        world.who("victor"),
        ctx(),
        world.work_packages[0],
        title="Report",
        label="UNCLASSIFIED",
        due_on=world.clock().date(),
    )
    # Bob made a lead (by the console) may edit, but not link what he may not read: the
    # refusal of a hidden artifact is the one of a missing artifact.
    world.node.projects.update_member(
        ConsoleOperator("test"), ctx(), PROJECT, "bob", role=ProjectRole.LEAD
    )
    with pytest.raises(NotFound) as hidden:
        world.node.plans.deliver(world.who("bob"), ctx(), deliverable.id, artifact=noforn)
    with pytest.raises(NotFound) as absent:
        world.node.plans.deliver(world.who("bob"), ctx(), deliverable.id, artifact="absent")
    assert _missing(hidden.value, noforn) == _missing(absent.value, "absent")


def test_agenda_overdue_and_upcoming_from_today(world: World) -> None:
    today = world.clock().date()
    bob = world.node.plans.agenda(world.who("bob"), today=today)
    # Bob's task, and the plan's overdue milestone: the agenda is for knowing; only what
    # he may act on is in his work queue (tests/work).
    assert [i.title for i in bob.overdue] == ["Calibrate the passive array", demo.OVERDUE_MILESTONE]
    assert {"Integrate the tracker firmware", "Integrated sensor suite ready"} <= {
        i.title for i in bob.upcoming
    }
    # the task assigned to Bob is not Claire's
    claire = world.node.plans.agenda(world.who("claire"), today=today)
    assert "Calibrate the passive array" not in {i.title for i in claire.overdue}
    later = world.node.plans.agenda(world.who("bob"), today=today + timedelta(days=11))
    assert "Integrated sensor suite ready" in {i.title for i in later.overdue}
    assert world.node.plans.agenda(world.who("lars"), today=today).overdue == ()


def test_milestone_achieved_once(world: World) -> None:
    m = world.node.plans.add_milestone(
        world.who("alice"),
        ctx(),
        world.work_packages[0],
        title="Kick-off",
        label="UNCLASSIFIED",
        due_on=world.clock().date(),
    )
    done = world.node.plans.achieve_milestone(world.who("alice"), ctx(), m.id)
    assert done.achieved_on == world.clock().date()
    with pytest.raises(CaveatError) as again:
        world.node.plans.achieve_milestone(world.who("alice"), ctx(), m.id)
    assert again.value.code == "milestone_achieved"
    with world.node.uow.read() as session:
        n = session.scalar(
            select(func.count())
            .select_from(EventRow)
            .where(EventRow.type == "plan.milestone_achieved")
        )
    assert n == 1


def test_the_listing_agrees_with_decide_for_every_reader(world: World) -> None:
    """Each reader's plan holds exactly the items decide() lets them read (their work
    package too), asked of the policy directly."""
    wp = world.work_packages[0]
    markings = ("UNCLASSIFIED", SECRET, "SECRET//NOFORN", "CONFIDENTIAL//REL TO USA, FRA, GBR")
    for marking in markings:
        world.node.plans.add_task(
            world.who("alice"), ctx(), wp, title=f"t {marking}", label=marking,
            due_on=world.clock().date(),
        )  # fmt: skip
    policy = world.node.policy
    alice_org = world.node.people.get_person("alice").organisation_id
    project = world.node.plans.plan(world.who("alice"), PROJECT).project_id
    for who in ("alice", "bob", "claire", "dieter", "priya", "hanna"):
        me = world.who(who)
        seen = {
            t.title
            for w in world.node.plans.plan(me, PROJECT).work_packages
            for t in w.tasks
            if t.title.startswith("t ")
        }
        with world.node.uow.read() as session:
            subject = subject_of(session, me.person)
        context = Context(world.clock(), me.mfa_at, policy.environment())
        expected = set()
        for marking in markings:
            label = parse_marking(marking, groups=context.env.groups, on=world.clock().date())
            r = make_resource(
                id="x", project_id=project, kind="plan_item", label=label,
                schemes=policy.schemes, originator_org_id=alice_org,
            )  # fmt: skip
            if decide(subject, Action.READ, r, context).permitted:
                expected.add(f"t {marking}")
        assert seen == expected, who


def test_the_ledger_carries_no_title(world: World) -> None:
    world.node.plans.add_task(
        world.who("alice"), ctx(), world.work_packages[0], title="Codeword BLUEFIN trial",
        label=SECRET, due_on=world.clock().date(),
    )  # fmt: skip
    with world.node.uow.read() as session:
        bodies = [
            e.body
            for e in session.scalars(select(EventRow).order_by(EventRow.seq))
            if e.type.startswith("plan.")
        ]
    assert bodies
    assert not any("BLUEFIN" in b or "Sensor integration" in b for b in bodies)
