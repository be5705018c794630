"""The plan service: work packages, tasks, milestones and deliverables of a project.

Every method takes the principal first. Writes are authorized by the permission table
(``Act.PLAN_EDIT``: the project's lead, or a security officer who is a member of the
project; ``Act.PLAN_TASK_MOVE`` also lets a task's assignee move it) and commit with one
ledger event, which carries ids, labels, dates and efforts but never a title (titles are
labelled content; the ledger is read by auditors who read no content).

Reading is the policy's ``decide()`` on each item's own label, as a resource of the
project originated by its writer's organisation; a task, milestone or deliverable is
also hidden with its work package. What a reader may not read is answered exactly as
what does not exist (``unknown_plan_item``).

Nothing here changes who is a member of a project: an assignee must already be one.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from caveat.adapters.db.models import OrganisationRow, PersonRow
from caveat.adapters.db.models.artifacts import ArtifactRow
from caveat.adapters.db.models.compliance import (
    ProgrammeParticipantRow,
    ProgrammeProjectRow,
    ProgrammeRow,
)
from caveat.adapters.db.models.plans import (
    DeliverableRow,
    MilestoneRow,
    WorkPackageRow,
    WorkTaskRow,
)
from caveat.adapters.db.models.policy import ProjectMemberRow, ProjectRow, ResourceRow
from caveat.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from caveat.domain.labels import (
    Label,
    Originator,
    label_from_canonical_json,
    label_to_canonical_json,
)
from caveat.domain.lifecycle import require_move
from caveat.domain.lifecycles import DELIVERABLE, TASK
from caveat.domain.names import clean_name
from caveat.domain.permissions import Act, Target
from caveat.domain.plans import (
    MAX_TITLE,
    DeliverableStatus,
    Due,
    TaskStatus,
    add_efforts,
    due_state,
    excesses,
    format_effort,
    parse_effort,
    require_span,
    work_shares,
)
from caveat.domain.policy import Action, Context, Resource, Subject, decide, make_resource
from caveat.services.artifacts import banner_of, parse_label_text
from caveat.services.identity import find_person, person_view
from caveat.services.kernel.authorize import allowed, authorize
from caveat.services.kernel.principal import Principal
from caveat.services.kernel.records import find_organisation
from caveat.services.kernel.uow import CallContext, UnitOfWork, UnitOfWorkFactory
from caveat.services.plans._views import (
    Agenda,
    AgendaItem,
    Deliverable,
    Effort,
    Milestone,
    Plan,
    Share,
    Task,
    WorkPackage,
)
from caveat.services.policy import PolicyService, resource_of, subject_of
from caveat.services.projects import find_project, project_leads

KIND = "plan_item"

_Child = TypeVar("_Child", WorkTaskRow, MilestoneRow, DeliverableRow)
_PlanRow = WorkPackageRow | WorkTaskRow | MilestoneRow | DeliverableRow


def item_missing(ref: str) -> NotFound:
    """The one answer for a plan item that does not exist and one the caller may not read."""
    return NotFound(f"no plan item {ref!r}", code="unknown_plan_item")


def _project_missing(ref: str) -> NotFound:
    return NotFound(
        f"no project {ref!r}",
        code="unknown_project",
        hint="list projects with `caveat policy project list`",
    )


@dataclass
class _Reader:
    """Someone reading at one moment; labels parsed once."""

    subject: Subject
    context: Context
    policy: PolicyService
    session: Session
    _labels: dict[str, Label] = field(default_factory=dict)
    _artifacts: dict[str, bool] = field(default_factory=dict)

    @property
    def projects(self) -> frozenset[str]:
        facts = self.context.facts(self.subject)
        return facts.projects if facts.account_ok else frozenset()

    def label(self, canonical: str) -> Label:
        found = self._labels.get(canonical)
        if found is None:
            found = label_from_canonical_json(
                canonical.encode(), schemes=self.policy.schemes, check_rules=False
            )
            self._labels[canonical] = found
        return found

    def resource(self, id: str, project_id: str, label: Label, org_id: str) -> Resource:
        return make_resource(
            id=id,
            project_id=project_id,
            kind=KIND,
            label=label,
            schemes=self.policy.schemes,
            originator_org_id=org_id,
        )

    def may_read(self, row: _PlanRow) -> bool:
        """The policy's decision on READ of one plan item (its own label only)."""
        if row.project_id not in self.projects:
            return False
        r = self.resource(row.id, row.project_id, self.label(row.label_json), row.originator_org_id)
        return decide(self.subject, Action.READ, r, self.context).permitted

    def may_read_artifact(self, artifact_id: str) -> bool:
        """The policy's decision on READ of an artifact's catalogue row."""
        known = self._artifacts.get(artifact_id)
        if known is None:
            row = self.session.get(ResourceRow, artifact_id)
            known = (
                row is not None
                and self.session.get(ArtifactRow, artifact_id) is not None
                and decide(
                    self.subject, Action.READ, resource_of(row, self.policy.schemes), self.context
                ).permitted
            )
            self._artifacts[artifact_id] = known
        return known

    def work_package(self, ref: str) -> WorkPackageRow:
        row = self.session.get(WorkPackageRow, ref)
        if row is None or not self.may_read(row):
            raise item_missing(ref)
        return row

    def child(self, kind: type[_Child], ref: str) -> tuple[_Child, WorkPackageRow]:
        """A task, milestone or deliverable the reader may read, with its work package."""
        row = self.session.get(kind, ref)
        if row is None or not self.may_read(row):
            raise item_missing(ref)
        parent = self.session.get(WorkPackageRow, row.work_package_id)
        if parent is None or not self.may_read(parent):
            raise item_missing(ref)
        return row, parent


def plan_target(session: Session, project_id: str, now: datetime) -> Target:
    """The facts the plan's rules read: the project's current leads and members."""
    members = frozenset(
        session.scalars(
            select(ProjectMemberRow.person_id).where(
                ProjectMemberRow.project_id == project_id,
                or_(ProjectMemberRow.expires_at.is_(None), ProjectMemberRow.expires_at > now),
            )
        )
    )
    return Target(project_leads=project_leads(session, project_id, now), project_members=members)


def _efforts(row: WorkPackageRow) -> dict[str, int]:
    loaded = json.loads(row.effort_json)
    return {str(k): int(v) for k, v in loaded.items()}


class PlanService:
    """Project plans, edited by the project's coordinators and read per reader."""

    def __init__(self, *, uow: UnitOfWorkFactory, policy: PolicyService) -> None:
        self._uow = uow
        self._policy = policy

    # writes

    def add_work_package(
        self,
        by: Principal,
        ctx: CallContext,
        project: str,
        *,
        title: str,
        label: str,
        lead_organisation: str,
        starts_on: date,
        ends_on: date,
        efforts: Mapping[str, str],
        exceed_agreement: bool = False,
    ) -> WorkPackage:
        """A new work package of ``project`` with each partner's effort (person-months by
        organisation). A plan that would give a partner more than the programme's agreed
        share is refused unless ``exceed_agreement`` flags it (and the event records it)."""
        title = clean_name(title, field="title", what="a title", shortest=1, longest=MAX_TITLE)
        require_span(starts_on, ends_on)
        with self._uow(ctx) as uow:
            reader = self._reader(uow.session, by, uow.now)
            project_row = self._member_project(uow.session, reader, project)
            authorize(by, Act.PLAN_EDIT, self._target(uow, project_row.id), now=uow.now)
            lead = find_organisation(uow.session, lead_organisation)
            planned: dict[str, int] = {}
            for org_ref, text in efforts.items():
                org = find_organisation(uow.session, org_ref)
                planned[org.id] = planned.get(org.id, 0) + parse_effort(text, field="efforts")
            planned = {k: v for k, v in planned.items() if v > 0}
            if not planned:
                raise InvalidInput(
                    "a work package needs the effort of at least one partner",
                    code="invalid_effort",
                    field="efforts",
                )
            label_json = self._checked(uow, by, reader, project_row.id, label)
            existing = list(
                uow.session.scalars(
                    select(WorkPackageRow)
                    .where(WorkPackageRow.project_id == project_row.id)
                    .with_for_update()
                )
            )
            # The agreement binds the whole plan, read or not; the refusal names only the
            # partners above their agreed share and the share agreed (ADR 0027).
            agreed = self._agreed(uow.session, project_row.id)
            over = excesses(work_shares(add_efforts([*map(_efforts, existing), planned])), agreed)
            names = self._org_names(uow.session, over)
            if over and not exceed_agreement:
                raise InvalidInput(
                    "the plan would give "
                    + ", ".join(
                        f"{names[o]} more than its agreed {(agreed[o] or 0) / 100:g} %"
                        for o in over
                    )
                    + " of the work",
                    code="work_share_over_agreement",
                    field="efforts",
                    data={"partners": [names[o] for o in over]},
                    hint="change the efforts, or flag the excess (exceed_agreement) to record it",
                )
            row = WorkPackageRow(
                id=str(uuid.uuid4()),
                project_id=project_row.id,
                number=max((w.number for w in existing), default=0) + 1,
                title=title,
                label_json=label_json,
                lead_org_id=lead.id,
                starts_on=starts_on,
                ends_on=ends_on,
                effort_json=json.dumps(planned, sort_keys=True),
                exceeds_agreement=bool(over),
                originator_org_id=by.person.organisation_id,
                created_by=by.person_id,
                created_at=uow.now,
            )
            uow.session.add(row)
            uow.record(
                "plan.work_package_added",
                by.actor(),
                target_id=project_row.id,
                data={
                    "work_package_id": row.id,
                    "number": row.number,
                    "label": label_json,
                    "lead_organisation_id": lead.id,
                    "starts_on": starts_on.isoformat(),
                    "ends_on": ends_on.isoformat(),
                    "effort_tenths": planned,
                    "exceeds_agreement": sorted(over),
                },
            )
            uow.session.flush()
            return self._work_package(uow.session, reader, row)

    def add_task(
        self,
        by: Principal,
        ctx: CallContext,
        work_package: str,
        *,
        title: str,
        label: str,
        due_on: date,
        assignee: str | None = None,
    ) -> Task:
        """A new open task of a work package, optionally assigned to a current member of
        the project who may read it."""
        title = clean_name(title, field="title", what="a title", shortest=1, longest=MAX_TITLE)
        with self._uow(ctx) as uow:
            reader = self._reader(uow.session, by, uow.now)
            wp = reader.work_package(work_package)
            authorize(by, Act.PLAN_EDIT, self._target(uow, wp.project_id), now=uow.now)
            label_json = self._checked(uow, by, reader, wp.project_id, label)
            row = WorkTaskRow(
                id=str(uuid.uuid4()),
                project_id=wp.project_id,
                work_package_id=wp.id,
                title=title,
                label_json=label_json,
                assignee_id=None,
                due_on=due_on,
                status=TASK.initial.value,
                originator_org_id=by.person.organisation_id,
                created_by=by.person_id,
                created_at=uow.now,
            )
            if assignee is not None and assignee.strip():
                row.assignee_id = self._assignee(uow, reader, row, assignee)
            uow.session.add(row)
            uow.record(
                "plan.task_added",
                by.actor(),
                target_id=wp.project_id,
                data={
                    "task_id": row.id,
                    "work_package_id": wp.id,
                    "label": label_json,
                    "assignee_id": row.assignee_id,
                    "due_on": due_on.isoformat(),
                },
            )
            uow.session.flush()
            return self._task(uow.session, reader, row)

    def move_task(self, by: Principal, ctx: CallContext, task: str, verb: str) -> Task:
        """Move a task by ``verb`` (start, pause, finish, cancel): its assignee or the
        plan's editors may."""
        with self._uow(ctx) as uow:
            reader = self._reader(uow.session, by, uow.now)
            row, _ = reader.child(WorkTaskRow, task)
            move = TASK.find(verb)
            if move is None:
                raise InvalidInput(
                    f"a task has no move {verb!r}",
                    code="invalid_input",
                    field="verb",
                    hint="one of " + ", ".join(TASK.verbs),
                )
            target = replace(self._target(uow, row.project_id), person_id=row.assignee_id)
            authorize(by, move.act, target, now=uow.now)
            before = TaskStatus(row.status)
            require_move(TASK, verb, before, subject="the task")
            row.status = move.to.value
            uow.record(
                "plan.task_moved",
                by.actor(),
                target_id=row.project_id,
                data={"task_id": row.id, "verb": verb, "from": before.value, "to": row.status},
            )
            uow.session.flush()
            return self._task(uow.session, reader, row)

    def add_milestone(
        self,
        by: Principal,
        ctx: CallContext,
        work_package: str,
        *,
        title: str,
        label: str,
        due_on: date,
    ) -> Milestone:
        """A new milestone of a work package."""
        title = clean_name(title, field="title", what="a title", shortest=1, longest=MAX_TITLE)
        with self._uow(ctx) as uow:
            reader = self._reader(uow.session, by, uow.now)
            wp = reader.work_package(work_package)
            authorize(by, Act.PLAN_EDIT, self._target(uow, wp.project_id), now=uow.now)
            label_json = self._checked(uow, by, reader, wp.project_id, label)
            row = MilestoneRow(
                id=str(uuid.uuid4()),
                project_id=wp.project_id,
                work_package_id=wp.id,
                title=title,
                label_json=label_json,
                due_on=due_on,
                achieved_on=None,
                originator_org_id=by.person.organisation_id,
                created_by=by.person_id,
                created_at=uow.now,
            )
            uow.session.add(row)
            uow.record(
                "plan.milestone_added",
                by.actor(),
                target_id=wp.project_id,
                data={
                    "milestone_id": row.id,
                    "work_package_id": wp.id,
                    "label": label_json,
                    "due_on": due_on.isoformat(),
                },
            )
            uow.session.flush()
            return self._milestone(reader, row)

    def achieve_milestone(
        self, by: Principal, ctx: CallContext, milestone: str, *, on: date | None = None
    ) -> Milestone:
        """Mark a milestone achieved (on ``on``, today by default; not in the future)."""
        with self._uow(ctx) as uow:
            reader = self._reader(uow.session, by, uow.now)
            row, _ = reader.child(MilestoneRow, milestone)
            authorize(by, Act.PLAN_EDIT, self._target(uow, row.project_id), now=uow.now)
            day = on or uow.now.date()
            if day > uow.now.date():
                raise InvalidInput(
                    "a milestone is achieved on a day that has come",
                    code="invalid_dates",
                    field="on",
                )
            if row.achieved_on is not None:
                raise Conflict(
                    "the milestone is already achieved", code="milestone_achieved", field="on"
                )
            row.achieved_on = day
            uow.record(
                "plan.milestone_achieved",
                by.actor(),
                target_id=row.project_id,
                data={"milestone_id": row.id, "achieved_on": day.isoformat()},
            )
            uow.session.flush()
            return self._milestone(reader, row)

    def add_deliverable(
        self,
        by: Principal,
        ctx: CallContext,
        work_package: str,
        *,
        title: str,
        label: str,
        due_on: date,
    ) -> Deliverable:
        """A new planned deliverable of a work package."""
        title = clean_name(title, field="title", what="a title", shortest=1, longest=MAX_TITLE)
        with self._uow(ctx) as uow:
            reader = self._reader(uow.session, by, uow.now)
            wp = reader.work_package(work_package)
            authorize(by, Act.PLAN_EDIT, self._target(uow, wp.project_id), now=uow.now)
            label_json = self._checked(uow, by, reader, wp.project_id, label)
            row = DeliverableRow(
                id=str(uuid.uuid4()),
                project_id=wp.project_id,
                work_package_id=wp.id,
                title=title,
                label_json=label_json,
                due_on=due_on,
                status=DELIVERABLE.initial.value,
                artifact_id=None,
                delivered_on=None,
                originator_org_id=by.person.organisation_id,
                created_by=by.person_id,
                created_at=uow.now,
            )
            uow.session.add(row)
            uow.record(
                "plan.deliverable_added",
                by.actor(),
                target_id=wp.project_id,
                data={
                    "deliverable_id": row.id,
                    "work_package_id": wp.id,
                    "label": label_json,
                    "due_on": due_on.isoformat(),
                },
            )
            uow.session.flush()
            return self._deliverable(uow.session, reader, row)

    def deliver(
        self, by: Principal, ctx: CallContext, deliverable: str, *, artifact: str
    ) -> Deliverable:
        """Deliver a deliverable by an artifact of its project that the caller may read
        (one they may not read is answered as a missing artifact)."""
        with self._uow(ctx) as uow:
            reader = self._reader(uow.session, by, uow.now)
            row, _ = reader.child(DeliverableRow, deliverable)
            authorize(by, Act.PLAN_EDIT, self._target(uow, row.project_id), now=uow.now)
            if not reader.may_read_artifact(artifact):
                raise NotFound(f"no artifact {artifact!r}", code="unknown_artifact")
            found = uow.session.get(ArtifactRow, artifact)
            assert found is not None  # readable means stored
            if found.project_id != row.project_id:
                raise InvalidInput(
                    "a deliverable is delivered by an artifact of its own project",
                    code="artifact_not_in_project",
                    field="artifact",
                )
            before = DeliverableStatus(row.status)
            move = require_move(DELIVERABLE, "deliver", before, subject="the deliverable")
            row.status, row.artifact_id, row.delivered_on = move.to.value, artifact, uow.now.date()
            uow.record(
                "plan.deliverable_moved",
                by.actor(),
                target_id=row.project_id,
                data={
                    "deliverable_id": row.id,
                    "verb": "deliver",
                    "from": before.value,
                    "to": row.status,
                    "artifact_id": artifact,
                },
            )
            uow.session.flush()
            return self._deliverable(uow.session, reader, row)

    def cancel_deliverable(self, by: Principal, ctx: CallContext, deliverable: str) -> Deliverable:
        """Cancel a planned deliverable."""
        with self._uow(ctx) as uow:
            reader = self._reader(uow.session, by, uow.now)
            row, _ = reader.child(DeliverableRow, deliverable)
            authorize(by, Act.PLAN_EDIT, self._target(uow, row.project_id), now=uow.now)
            before = DeliverableStatus(row.status)
            move = require_move(DELIVERABLE, "cancel", before, subject="the deliverable")
            row.status = move.to.value
            uow.record(
                "plan.deliverable_moved",
                by.actor(),
                target_id=row.project_id,
                data={
                    "deliverable_id": row.id,
                    "verb": "cancel",
                    "from": before.value,
                    "to": row.status,
                },
            )
            uow.session.flush()
            return self._deliverable(uow.session, reader, row)

    # reads

    def plan(self, by: Principal, project: str) -> Plan:
        """A project's plan as the caller may read it; a project they are not a member of
        is answered as a missing one."""
        authorize(by, Act.PLAN_READ)
        with self._uow.read() as session:
            now = self._uow.clock()
            reader = self._reader(session, by, now)
            project_row = self._member_project(session, reader, project)
            wps = [
                w
                for w in session.scalars(
                    select(WorkPackageRow)
                    .where(WorkPackageRow.project_id == project_row.id)
                    .order_by(WorkPackageRow.number)
                )
                if reader.may_read(w)
            ]
            views = tuple(self._work_package(session, reader, w) for w in wps)
            totals = add_efforts(_efforts(w) for w in wps)
            shares = work_shares(totals)
            agreed = self._agreed(session, project_row.id)
            names = self._org_names(session, totals)
            table = tuple(
                sorted(
                    (
                        Share(
                            org,
                            names[org],
                            format_effort(totals[org]),
                            shares[org],
                            agreed.get(org),
                        )
                        for org in totals
                    ),
                    key=lambda s: (-s.share_bp, s.organisation),
                )
            )
            return Plan(
                project_row.id,
                project_row.name,
                self._programme(session, project_row.id),
                views,
                table,
                self._may_edit(session, by, project_row.id, now),
            )

    def agenda(self, by: Principal, *, today: date, horizon: int = 14) -> Agenda:
        """The open tasks, milestones and deliverables the caller may read in their
        projects that are overdue or due within ``horizon`` days of ``today``. Tasks
        assigned to someone else are left out; unassigned tasks are everyone's. This is
        what a member should know of; :meth:`waiting` is what they may act on."""
        return self._due(by, today=today, horizon=horizon, acting=False)

    def waiting(self, by: Principal, *, today: date, horizon: int = 14) -> Agenda:
        """The part of :meth:`agenda` that waits for the caller's act, for their work
        queue: a task they may move (``Act.PLAN_TASK_MOVE``: their own, or an unassigned
        one where they edit the plan) and a milestone or deliverable only where they may
        edit the plan (``Act.PLAN_EDIT``: the project's lead, or a security officer who is
        a member), decided by the permission table on each project's current facts."""
        return self._due(by, today=today, horizon=horizon, acting=True)

    def _due(self, by: Principal, *, today: date, horizon: int, acting: bool) -> Agenda:
        authorize(by, Act.PLAN_READ)
        with self._uow.read() as session:
            now = self._uow.clock()
            reader = self._reader(session, by, now)
            targets: dict[str, Target] = {}

            def may(act: Act, project_id: str, assignee: str | None = None) -> bool:
                if not acting:
                    return True
                if project_id not in targets:
                    targets[project_id] = plan_target(session, project_id, now)
                target = replace(targets[project_id], person_id=assignee)
                return allowed(by, act, target, now=now)

            projects = sorted(reader.projects)
            if not projects:
                return Agenda(today, (), ())
            until = today + timedelta(days=horizon)
            wps = {
                w.id: w
                for w in session.scalars(
                    select(WorkPackageRow).where(WorkPackageRow.project_id.in_(projects))
                )
                if reader.may_read(w)
            }
            names: dict[str, str] = {
                k: v
                for k, v in session.execute(
                    select(ProjectRow.id, ProjectRow.name).where(ProjectRow.id.in_(projects))
                )
            }
            items: list[AgendaItem] = []
            tasks = session.scalars(
                select(WorkTaskRow).where(
                    WorkTaskRow.project_id.in_(projects),
                    WorkTaskRow.due_on <= until,
                    WorkTaskRow.status.in_([TaskStatus.OPEN.value, TaskStatus.IN_PROGRESS.value]),
                    or_(WorkTaskRow.assignee_id.is_(None), WorkTaskRow.assignee_id == by.person_id),
                )
            )
            for t in tasks:
                wp = wps.get(t.work_package_id)
                if wp is None or not reader.may_read(t):
                    continue
                if not may(Act.PLAN_TASK_MOVE, t.project_id, t.assignee_id):
                    continue
                items.append(self._item(reader, "task", t, wp, names, today, horizon))
            for m in session.scalars(
                select(MilestoneRow).where(
                    MilestoneRow.project_id.in_(projects),
                    MilestoneRow.due_on <= until,
                    MilestoneRow.achieved_on.is_(None),
                )
            ):
                wp = wps.get(m.work_package_id)
                if wp is not None and reader.may_read(m) and may(Act.PLAN_EDIT, m.project_id):
                    items.append(self._item(reader, "milestone", m, wp, names, today, horizon))
            for d in session.scalars(
                select(DeliverableRow).where(
                    DeliverableRow.project_id.in_(projects),
                    DeliverableRow.due_on <= until,
                    DeliverableRow.status == DeliverableStatus.PLANNED.value,
                )
            ):
                wp = wps.get(d.work_package_id)
                if wp is not None and reader.may_read(d) and may(Act.PLAN_EDIT, d.project_id):
                    items.append(self._item(reader, "deliverable", d, wp, names, today, horizon))
            items.sort(key=lambda i: (i.due_on, i.project, i.work_package, i.kind, i.id))
            return Agenda(
                today,
                tuple(i for i in items if i.due == Due.OVERDUE.value),
                tuple(i for i in items if i.due == Due.UPCOMING.value),
            )

    # helpers

    def _item(
        self,
        reader: _Reader,
        kind: str,
        row: WorkTaskRow | MilestoneRow | DeliverableRow,
        wp: WorkPackageRow,
        projects: Mapping[str, str],
        today: date,
        horizon: int,
    ) -> AgendaItem:
        label = reader.label(row.label_json)
        return AgendaItem(
            kind,
            row.id,
            row.project_id,
            projects.get(row.project_id, row.project_id),
            wp.number,
            row.title,
            label,
            banner_of(label, self._policy.schemes),
            row.due_on,
            due_state(row.due_on, closed=False, today=today, horizon=horizon).value,
        )

    def _reader(self, session: Session, by: Principal, now: datetime) -> _Reader:
        return _Reader(
            subject_of(session, by.person),
            Context(now, by.mfa_at, self._policy.environment()),
            self._policy,
            session,
        )

    def _member_project(self, session: Session, reader: _Reader, ref: str) -> ProjectRow:
        try:
            row = find_project(session, ref)
        except NotFound:
            raise _project_missing(ref) from None
        if row.id not in reader.projects:
            raise _project_missing(ref)
        return row

    def _target(self, uow: UnitOfWork, project_id: str) -> Target:
        return plan_target(uow.session, project_id, uow.now)

    def _may_edit(self, session: Session, by: Principal, project_id: str, now: datetime) -> bool:
        """Whether the permission table lets the caller edit the plan (for pages)."""
        target = plan_target(session, project_id, now)
        try:
            authorize(by, Act.PLAN_EDIT, target, now=now)
        except PermissionDenied:
            return False
        return True

    def _checked(
        self, uow: UnitOfWork, by: Principal, reader: _Reader, project_id: str, text: str
    ) -> str:
        """The label as stored: read by the one validator, originated by the writer's
        organisation, and one the writer may read themselves."""
        if not text.strip():
            raise InvalidInput(
                "every plan item needs a security label",
                code="label_required",
                field="label",
                hint='for example "UNCLASSIFIED" or "SECRET//REL TO USA, GBR"',
            )
        try:
            label = parse_label_text(text, self._policy, uow.now)
        except InvalidInput as exc:
            exc.field = "label"
            raise
        org = uow.session.get(OrganisationRow, by.person.organisation_id)
        assert org is not None
        if label.originator is None:
            label = replace(label, originator=Originator(org.short_name or org.name, org.nation))
        elif label.originator.nation != org.nation:
            raise InvalidInput(
                f"the label names an originator of {label.originator.nation}; "
                f"your organisation is of {org.nation}",
                code="originator_mismatch",
                field="label",
            )
        if label.created_at is None:
            label = replace(label, created_at=uow.now)
        draft = reader.resource(str(uuid.uuid4()), project_id, label, org.id)
        decision = decide(reader.subject, Action.READ, draft, reader.context)
        if not decision.permitted:
            raise PermissionDenied(
                "you may not write anything labelled above what you may read yourself",
                code="label_above_reader",
                data={"failed": decision.failed_codes},
                hint="choose a label whose requirements you meet: "
                + ", ".join(decision.failed_codes),
            )
        return label_to_canonical_json(label).decode()

    def _assignee(self, uow: UnitOfWork, reader: _Reader, task: WorkTaskRow, ref: str) -> str:
        """The id of the person ``ref`` names if they are a current member of the project
        who may read the task; one answer otherwise (known here or not)."""
        refused = InvalidInput(
            f"{ref!r} cannot be assigned this task: assign it to a member of the project "
            "who may read it",
            code="assignee_refused",
            field="assignee",
        )
        try:
            person = find_person(uow.session, ref)
        except NotFound:
            raise refused from None
        them = _Reader(
            subject_of(uow.session, person_view(person, uow.now)),
            Context(uow.now, uow.now, self._policy.environment()),
            self._policy,
            uow.session,
        )
        parent = uow.session.get(WorkPackageRow, task.work_package_id)
        if parent is None or not (them.may_read(parent) and them.may_read(task)):
            raise refused
        return person.id

    def _agreed(self, session: Session, project_id: str) -> dict[str, int | None]:
        """Each partner's work share agreed in the project's programme (none: no check)."""
        programme = session.scalar(
            select(ProgrammeProjectRow.programme_id)
            .where(ProgrammeProjectRow.project_id == project_id)
            .order_by(ProgrammeProjectRow.programme_id)
            .limit(1)
        )
        if programme is None:
            return {}
        return {
            r.organisation_id: r.work_share_bp
            for r in session.scalars(
                select(ProgrammeParticipantRow).where(
                    ProgrammeParticipantRow.programme_id == programme
                )
            )
        }

    def _programme(self, session: Session, project_id: str) -> str | None:
        return session.scalar(
            select(ProgrammeRow.name)
            .join(ProgrammeProjectRow, ProgrammeProjectRow.programme_id == ProgrammeRow.id)
            .where(ProgrammeProjectRow.project_id == project_id)
            .order_by(ProgrammeRow.name)
            .limit(1)
        )

    def _org_names(
        self, session: Session, ids: Sequence[str] | Mapping[str, int]
    ) -> dict[str, str]:
        wanted = list(ids)
        if not wanted:
            return {}
        return {
            r.id: r.short_name or r.name
            for r in session.scalars(select(OrganisationRow).where(OrganisationRow.id.in_(wanted)))
        }

    def _usernames(self, session: Session, ids: Sequence[str]) -> dict[str, str]:
        if not ids:
            return {}
        return {
            k: v
            for k, v in session.execute(
                select(PersonRow.id, PersonRow.username).where(PersonRow.id.in_(list(ids)))
            )
        }

    def _marking(self, reader: _Reader, canonical: str) -> tuple[Label, str]:
        label = reader.label(canonical)
        return label, banner_of(label, self._policy.schemes)

    def _task(self, session: Session, reader: _Reader, row: WorkTaskRow) -> Task:
        label, marking = self._marking(reader, row.label_json)
        names = self._usernames(session, [row.assignee_id] if row.assignee_id else [])
        return Task(
            row.id,
            row.work_package_id,
            row.title,
            label,
            marking,
            names.get(row.assignee_id) if row.assignee_id else None,
            row.due_on,
            row.status,
            TASK.verbs_from(row.status),
        )

    def _milestone(self, reader: _Reader, row: MilestoneRow) -> Milestone:
        label, marking = self._marking(reader, row.label_json)
        return Milestone(
            row.id, row.work_package_id, row.title, label, marking, row.due_on, row.achieved_on
        )

    def _deliverable(self, session: Session, reader: _Reader, row: DeliverableRow) -> Deliverable:
        label, marking = self._marking(reader, row.label_json)
        shown = row.artifact_id is not None and reader.may_read_artifact(row.artifact_id)
        title = None
        if shown and row.artifact_id is not None:
            title = session.scalar(
                select(ArtifactRow.title).where(ArtifactRow.id == row.artifact_id)
            )
        return Deliverable(
            row.id,
            row.work_package_id,
            row.title,
            label,
            marking,
            row.due_on,
            row.status,
            row.delivered_on,
            row.artifact_id if shown else None,
            title,
            row.artifact_id is not None and not shown,
        )

    def _work_package(self, session: Session, reader: _Reader, row: WorkPackageRow) -> WorkPackage:
        label, marking = self._marking(reader, row.label_json)
        planned = _efforts(row)
        shares = work_shares(planned)
        names = self._org_names(session, [*planned, row.lead_org_id])
        tasks = [
            t
            for t in session.scalars(
                select(WorkTaskRow)
                .where(WorkTaskRow.work_package_id == row.id)
                .order_by(WorkTaskRow.due_on, WorkTaskRow.id)
            )
            if reader.may_read(t)
        ]
        milestones = [
            m
            for m in session.scalars(
                select(MilestoneRow)
                .where(MilestoneRow.work_package_id == row.id)
                .order_by(MilestoneRow.due_on, MilestoneRow.id)
            )
            if reader.may_read(m)
        ]
        deliverables = [
            d
            for d in session.scalars(
                select(DeliverableRow)
                .where(DeliverableRow.work_package_id == row.id)
                .order_by(DeliverableRow.due_on, DeliverableRow.id)
            )
            if reader.may_read(d)
        ]
        return WorkPackage(
            row.id,
            row.project_id,
            row.number,
            row.title,
            label,
            marking,
            names[row.lead_org_id],
            row.starts_on,
            row.ends_on,
            tuple(
                Effort(org, names[org], format_effort(t), shares[org])
                for org, t in sorted(planned.items(), key=lambda kv: (-kv[1], names[kv[0]]))
            ),
            row.exceeds_agreement,
            tuple(self._task(session, reader, t) for t in tasks),
            tuple(self._milestone(reader, m) for m in milestones),
            tuple(self._deliverable(session, reader, d) for d in deliverables),
        )
