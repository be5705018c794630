"""Reminders of plan tasks (issue 21): an assignee is told once when their task is due
soon and once when it is overdue, in words that name no title or label; nobody who may
no longer read the task is told; each run is one ledger event."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from caveat.adapters.db.models import EventRow
from caveat.domain.identity import PersonStatus
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.plans import PlanReminders
from tests.plans.support import PROJECT, World, ctx

CONSOLE = ConsoleOperator()


def _reminders(world: World) -> PlanReminders:
    return PlanReminders(uow=world.node.uow, policy=world.node.policy)


def _told(world: World, username: str) -> list[tuple[str, str]]:
    found = world.node.notifications.list_notifications(world.who(username))
    return [(n.kind, n.text) for n in found if n.kind.startswith("plan.")]


def _events(world: World) -> list[EventRow]:
    with world.node.uow.read() as session:
        return list(
            session.scalars(
                select(EventRow)
                .where(EventRow.type == "plan.reminders_sent")
                .order_by(EventRow.seq)
            )
        )


def test_an_assignee_is_told_once_and_again_when_overdue(world: World) -> None:
    today = world.clock().date()
    task = world.node.plans.add_task(
        world.who("alice"),
        ctx(),
        world.work_packages[0],
        title="Align the receiver chain",
        label="SECRET//REL TO USA, GBR",
        due_on=today + timedelta(days=2),
        assignee="bob",
    )
    assert _reminders(world).run_due(ctx()) >= 1
    told = _told(world, "bob")
    ref = f"T-{task.id[:8]}"
    due = (today + timedelta(days=2)).isoformat()
    assert [t for t in told if ref in t[1]] == [
        ("plan.task_upcoming", f"Your task {ref} is due on {due}.")
    ]
    assert all("Align" not in text and "SECRET" not in text for _, text in told)
    # Once: the next run tells nobody anything new.
    assert _reminders(world).run_due(ctx()) == 0
    # Overdue three days later: told again, once.
    world.clock.advance(days=3)
    assert _reminders(world).run_due(ctx()) >= 1
    kinds = [k for k, text in _told(world, "bob") if f"T-{task.id[:8]}" in text]
    assert sorted(kinds) == ["plan.task_overdue", "plan.task_upcoming"]
    assert _reminders(world).run_due(ctx()) == 0
    # Every run that sent something wrote one event listing what it sent.
    events = _events(world)
    assert len(events) == 2
    assert task.id in events[-1].body


def test_finished_unassigned_and_distant_tasks_are_not_announced(world: World) -> None:
    today = world.clock().date()
    plans = world.node.plans
    alice = world.who("alice")
    wp = world.work_packages[0]
    done = plans.add_task(
        alice, ctx(), wp, title="Done", label="UNCLASSIFIED", due_on=today, assignee="bob"
    )
    plans.move_task(world.who("bob"), ctx(), done.id, "start")
    plans.move_task(world.who("bob"), ctx(), done.id, "finish")
    nobody = plans.add_task(alice, ctx(), wp, title="Anyone", label="UNCLASSIFIED", due_on=today)
    later = plans.add_task(
        alice,
        ctx(),
        wp,
        title="Later",
        label="UNCLASSIFIED",
        due_on=today + timedelta(days=30),
        assignee="bob",
    )
    _reminders(world).run_due(ctx())
    texts = " ".join(text for _, text in _told(world, "bob"))
    for task in (done, nobody, later):
        assert f"T-{task.id[:8]}" not in texts


def test_an_assignee_who_may_no_longer_read_the_task_is_not_told(world: World) -> None:
    today = world.clock().date()
    task = world.node.plans.add_task(
        world.who("alice"),
        ctx(),
        world.work_packages[0],
        title="Quiet work",
        label="SECRET//REL TO USA, GBR",
        due_on=today + timedelta(days=1),
        assignee="bob",
    )
    # Bob leaves the project: his need-to-know, and with it the task, is gone.
    world.node.projects.remove_member(CONSOLE, ctx(), PROJECT, "bob")
    _reminders(world).run_due(ctx())
    assert all(f"T-{task.id[:8]}" not in text for _, text in _told(world, "bob"))
    # A suspended assignee is not told either.
    other = world.node.plans.add_task(
        world.who("alice"),
        ctx(),
        world.work_packages[0],
        title="Other",
        label="UNCLASSIFIED",
        due_on=today,
        assignee="claire",
    )
    world.node.people.set_status(CONSOLE, ctx(), "claire", PersonStatus.SUSPENDED, reason="leave")
    _reminders(world).run_due(ctx())
    world.node.people.set_status(CONSOLE, ctx(), "claire", PersonStatus.ACTIVE, reason="back")
    assert all(f"T-{other.id[:8]}" not in text for _, text in _told(world, "claire"))
