"""Reminding people of their plan tasks (issue 21): a task due within
:data:`UPCOMING_DAYS`, and again once overdue, is announced to its assignee as a
notification, once per due date (a moved date is announced again).

A periodic job (``caveat serve``, ``caveat worker``) runs :meth:`PlanReminders.run_due`;
each run is one transaction: the notifications, the rows that say they were sent, and one
ledger event listing them. A reminder goes only to an active assignee who may still read
the task and its work package now (an assignee whose clearance or membership has gone is
not told). Its text names the task by a short reference and its due date only, never its
title or label: a notification stays after a relabel could put those out of reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from caveat.adapters.db.models import PersonRow
from caveat.adapters.db.models.plans import PlanReminderRow, WorkPackageRow, WorkTaskRow
from caveat.domain.events import Actor
from caveat.domain.identity import PersonStatus
from caveat.domain.plans import Due, TaskStatus
from caveat.domain.policy import Context
from caveat.services.identity import person_view
from caveat.services.kernel.uow import CallContext, UnitOfWork, UnitOfWorkFactory
from caveat.services.notifications import notify
from caveat.services.plans._service import _Reader
from caveat.services.policy import PolicyService, subject_of

UPCOMING_DAYS = 3  # "due soon": a working half-week's notice
REMINDER = Actor.system("plan-reminders")
_OPEN = (TaskStatus.OPEN.value, TaskStatus.IN_PROGRESS.value)


def task_ref(task_id: str) -> str:
    """A short reference for a task, as its reminder names it."""
    return f"T-{task_id[:8]}"


def reminder_text(task_id: str, due_on: date, due: Due) -> str:
    if due is Due.OVERDUE:
        return f"Your task {task_ref(task_id)} is overdue: it was due on {due_on.isoformat()}."
    return f"Your task {task_ref(task_id)} is due on {due_on.isoformat()}."


@dataclass(frozen=True)
class PlanReminders:
    """Sends the reminders that are due, once each."""

    uow: UnitOfWorkFactory
    policy: PolicyService

    def run_due(self, ctx: CallContext) -> int:
        """Send every reminder due now and not sent before; how many were sent."""
        with self.uow(ctx) as uow:
            today = uow.now.date()
            candidates = uow.session.execute(
                select(WorkTaskRow, PersonRow)
                .join(PersonRow, PersonRow.id == WorkTaskRow.assignee_id)
                .where(
                    WorkTaskRow.status.in_(_OPEN),
                    WorkTaskRow.due_on <= today + timedelta(days=UPCOMING_DAYS),
                    PersonRow.status == PersonStatus.ACTIVE.value,
                )
                .order_by(WorkTaskRow.due_on, WorkTaskRow.id)
            ).all()
            if not candidates:
                return 0
            sent = {
                (r.task_id, r.person_id, r.due_on, r.due)
                for r in uow.session.scalars(
                    select(PlanReminderRow).where(
                        PlanReminderRow.task_id.in_({t.id for t, _ in candidates})
                    )
                )
            }
            readers: dict[str, _Reader] = {}
            reminded: list[dict[str, Any]] = []
            for task, person in candidates:
                due = Due.OVERDUE if task.due_on < today else Due.UPCOMING
                if (task.id, person.id, task.due_on, due.value) in sent:
                    continue
                reader = readers.get(person.id)
                if reader is None:
                    reader = readers[person.id] = self._reader(uow, person)
                if not self._may_read(uow, reader, task):
                    continue
                notify(
                    uow,
                    [person.id],
                    f"plan.task_{due.value}",
                    reminder_text(task.id, task.due_on, due),
                    link="/work",
                    subject_id=task.id,
                )
                uow.session.add(
                    PlanReminderRow(
                        task_id=task.id,
                        person_id=person.id,
                        due_on=task.due_on,
                        due=due.value,
                        sent_at=uow.now,
                    )
                )
                reminded.append(
                    {
                        "task_id": task.id,
                        "person_id": person.id,
                        "due_on": task.due_on.isoformat(),
                        "due": due.value,
                    }
                )
            if reminded:
                uow.record(
                    "plan.reminders_sent", REMINDER, target_id=None, data={"reminders": reminded}
                )
            return len(reminded)

    def _reader(self, uow: UnitOfWork, person: PersonRow) -> _Reader:
        """The assignee as the policy sees them now, outside any session (no MFA proof:
        a task that asks for one is not announced, which fails closed)."""
        return _Reader(
            subject_of(uow.session, person_view(person, uow.now)),
            Context(uow.now, uow.now, self.policy.environment()),
            self.policy,
            uow.session,
        )

    @staticmethod
    def _may_read(uow: UnitOfWork, reader: _Reader, task: WorkTaskRow) -> bool:
        parent = uow.session.get(WorkPackageRow, task.work_package_id)
        return parent is not None and reader.may_read(parent) and reader.may_read(task)
