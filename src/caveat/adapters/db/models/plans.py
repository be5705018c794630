"""Tables of project plans (issue 21, ADR 0027): work packages, their tasks, milestones
and deliverables. Every row carries its own label (canonical JSON) beside its title, as a
discussion does: it is decided by ``decide()`` as a resource of its project originated by
the organisation of whoever wrote it. Efforts per partner are stored as JSON
(organisation id -> tenths of person-months)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from caveat.adapters.db.models.base import Base
from caveat.adapters.db.types import UTCDateTime


class WorkPackageRow(Base):
    """A work package of a project: numbered, led by one organisation, with dates and each
    partner's planned effort. ``exceeds_agreement`` records that its last edit was flagged
    as going beyond a partner's agreed work share."""

    __tablename__ = "work_packages"
    __table_args__ = (UniqueConstraint("project_id", "number", name="uq_work_packages_number"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    label_json: Mapped[str] = mapped_column(Text)
    lead_org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    effort_json: Mapped[str] = mapped_column(Text)
    exceeds_agreement: Mapped[bool] = mapped_column(Boolean, default=False)
    originator_org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    created_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WorkTaskRow(Base):
    """A task of a work package, with an assignee (a member of the project), a due date
    and a status of the TASK lifecycle."""

    __tablename__ = "work_tasks"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    work_package_id: Mapped[str] = mapped_column(ForeignKey("work_packages.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    label_json: Mapped[str] = mapped_column(Text)
    assignee_id: Mapped[str | None] = mapped_column(ForeignKey("people.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    originator_org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    created_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MilestoneRow(Base):
    """A milestone of a work package: a date, achieved (on a day) or not yet."""

    __tablename__ = "milestones"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    work_package_id: Mapped[str] = mapped_column(ForeignKey("work_packages.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    label_json: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date] = mapped_column(Date)
    achieved_on: Mapped[date | None] = mapped_column(Date)
    originator_org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    created_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DeliverableRow(Base):
    """A deliverable of a work package: due on a date, delivered by an artifact of the
    project (``artifact_id``, once delivered), status of the DELIVERABLE lifecycle."""

    __tablename__ = "deliverables"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    work_package_id: Mapped[str] = mapped_column(ForeignKey("work_packages.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    label_json: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    artifact_id: Mapped[str | None] = mapped_column(ForeignKey("resources.id"))
    delivered_on: Mapped[date | None] = mapped_column(Date)
    originator_org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    created_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PlanReminderRow(Base):
    """That a task's assignee was told it is due soon or overdue, for one due date: a
    reminder goes once per (task, person, due date, state), and again if the date moves."""

    __tablename__ = "plan_reminders"
    task_id: Mapped[str] = mapped_column(ForeignKey("work_tasks.id"), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), primary_key=True)
    due_on: Mapped[date] = mapped_column(Date, primary_key=True)
    due: Mapped[str] = mapped_column(String(10), primary_key=True)  # upcoming | overdue
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
