"""Project plans (issue 21, ADR 0027) under ``/api/v1/plans``.

Thin routes: parse, call one service method, render. Every answer holds only what the
caller may read; ``marking`` on a plan is the roll-up of everything it shows this caller.
A delivered deliverable names its artifact only to a caller who may read the artifact
(``artifact_restricted`` otherwise). Labels travel as banner text or canonical JSON.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from caveat.api.background import while_serving
from caveat.api.deps import CtxDep, CurrentPrincipal, NodeDep
from caveat.api.schemas import Strict
from caveat.bootstrap.marking import marking_for
from caveat.domain.plans import MAX_TITLE
from caveat.services.plans import (
    Agenda,
    AgendaItem,
    Deliverable,
    Milestone,
    Plan,
    Task,
    WorkPackage,
)

router = APIRouter(
    prefix="/api/v1/plans",
    tags=["plans"],
    lifespan=while_serving(lambda app: app.state.node.plan_reminder_worker),
)

LABEL = Field(max_length=2000, description="a security label: banner text or canonical JSON")
REF = Field(max_length=200)

# -- bodies ----------------------------------------------------------------------------


class WorkPackageIn(Strict):
    title: str = Field(max_length=MAX_TITLE)
    label: str = LABEL
    lead_organisation: str = REF
    starts_on: date
    ends_on: date
    efforts: dict[str, str] = Field(
        max_length=50, description="person-months (one decimal) by organisation"
    )
    exceed_agreement: bool = Field(
        False, description="record that a partner's share goes beyond its agreed share"
    )


class ItemIn(Strict):
    title: str = Field(max_length=MAX_TITLE)
    label: str = LABEL
    due_on: date


class TaskIn(ItemIn):
    assignee: str | None = Field(None, max_length=64, description="a member's username")


class MoveIn(Strict):
    verb: str = Field(max_length=20, description="start, pause, finish or cancel")


class AchieveIn(Strict):
    on: date | None = None


class DeliverIn(Strict):
    artifact: str = Field(max_length=36, description="an artifact of the project")


# -- answers ---------------------------------------------------------------------------


class TaskOut(BaseModel):
    id: str
    work_package_id: str
    title: str
    marking: str
    assignee: str | None
    due_on: date
    status: str
    moves: list[str]


class MilestoneOut(BaseModel):
    id: str
    work_package_id: str
    title: str
    marking: str
    due_on: date
    achieved_on: date | None


class DeliverableOut(BaseModel):
    id: str
    work_package_id: str
    title: str
    marking: str
    due_on: date
    status: str
    delivered_on: date | None
    artifact_id: str | None
    artifact_title: str | None
    artifact_restricted: bool = Field(description="delivered by an artifact you may not read")


class EffortOut(BaseModel):
    organisation: str
    person_months: str
    share_percent: float


class WorkPackageOut(BaseModel):
    id: str
    number: int
    title: str
    marking: str
    lead_organisation: str
    starts_on: date
    ends_on: date
    efforts: list[EffortOut]
    exceeds_agreement: bool
    tasks: list[TaskOut]
    milestones: list[MilestoneOut]
    deliverables: list[DeliverableOut]


class ShareOut(BaseModel):
    organisation: str
    person_months: str
    share_percent: float
    agreed_percent: float | None
    over: bool


class PlanOut(BaseModel):
    project_id: str
    project: str
    programme: str | None
    marking: str = Field(description="the roll-up of everything shown here, for you")
    may_edit: bool
    work_packages: list[WorkPackageOut]
    shares: list[ShareOut] = Field(description="of the work packages you may read")


class AgendaItemOut(BaseModel):
    kind: str
    id: str
    project: str
    work_package: int
    title: str
    marking: str
    due_on: date


class AgendaOut(BaseModel):
    today: date
    overdue: list[AgendaItemOut]
    upcoming: list[AgendaItemOut]


def task_out(t: Task) -> TaskOut:
    return TaskOut(
        id=t.id,
        work_package_id=t.work_package_id,
        title=t.title,
        marking=t.marking,
        assignee=t.assignee,
        due_on=t.due_on,
        status=t.status,
        moves=list(t.moves),
    )


def milestone_out(m: Milestone) -> MilestoneOut:
    return MilestoneOut(
        id=m.id,
        work_package_id=m.work_package_id,
        title=m.title,
        marking=m.marking,
        due_on=m.due_on,
        achieved_on=m.achieved_on,
    )


def deliverable_out(d: Deliverable) -> DeliverableOut:
    return DeliverableOut(
        id=d.id,
        work_package_id=d.work_package_id,
        title=d.title,
        marking=d.marking,
        due_on=d.due_on,
        status=d.status,
        delivered_on=d.delivered_on,
        artifact_id=d.artifact_id,
        artifact_title=d.artifact_title,
        artifact_restricted=d.artifact_restricted,
    )


def work_package_out(w: WorkPackage) -> WorkPackageOut:
    return WorkPackageOut(
        id=w.id,
        number=w.number,
        title=w.title,
        marking=w.marking,
        lead_organisation=w.lead_organisation,
        starts_on=w.starts_on,
        ends_on=w.ends_on,
        efforts=[
            EffortOut(
                organisation=e.organisation,
                person_months=e.person_months,
                share_percent=e.share_bp / 100,
            )
            for e in w.efforts
        ],
        exceeds_agreement=w.exceeds_agreement,
        tasks=[task_out(t) for t in w.tasks],
        milestones=[milestone_out(m) for m in w.milestones],
        deliverables=[deliverable_out(d) for d in w.deliverables],
    )


def _agenda_item(i: AgendaItem) -> AgendaItemOut:
    return AgendaItemOut(
        kind=i.kind,
        id=i.id,
        project=i.project,
        work_package=i.work_package,
        title=i.title,
        marking=i.marking,
        due_on=i.due_on,
    )


def agenda_out(a: Agenda) -> AgendaOut:
    return AgendaOut(
        today=a.today,
        overdue=[_agenda_item(i) for i in a.overdue],
        upcoming=[_agenda_item(i) for i in a.upcoming],
    )


# -- routes ----------------------------------------------------------------------------


@router.get("/agenda", response_model=AgendaOut)
def agenda(
    principal: CurrentPrincipal,
    node: NodeDep,
    today: date | None = Query(None, description="the day to count from (default: today)"),
    horizon: int = Query(14, ge=0, le=366, description="days ahead that count as upcoming"),
) -> AgendaOut:
    """Your overdue and upcoming tasks, milestones and deliverables that you may read."""
    day = today or node.uow.clock().date()
    return agenda_out(node.plans.agenda(principal, today=day, horizon=horizon))


@router.get("/projects/{project}", response_model=PlanOut)
def plan(project: str, principal: CurrentPrincipal, node: NodeDep) -> PlanOut:
    """A project's plan as you may read it."""
    found: Plan = node.plans.plan(principal, project)
    marking = marking_for(node, principal, found.labels())
    return PlanOut(
        project_id=found.project_id,
        project=found.project,
        programme=found.programme,
        marking=f"{marking.text} ({marking.note})" if marking.note else marking.text,
        may_edit=found.may_edit,
        work_packages=[work_package_out(w) for w in found.work_packages],
        shares=[
            ShareOut(
                organisation=s.organisation,
                person_months=s.person_months,
                share_percent=s.share_bp / 100,
                agreed_percent=None if s.agreed_bp is None else s.agreed_bp / 100,
                over=s.over,
            )
            for s in found.shares
        ],
    )


@router.post("/projects/{project}/work-packages", status_code=201, response_model=WorkPackageOut)
def add_work_package(
    project: str, body: WorkPackageIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> WorkPackageOut:
    """Add a work package with each partner's effort."""
    made = node.plans.add_work_package(
        principal,
        ctx,
        project,
        title=body.title,
        label=body.label,
        lead_organisation=body.lead_organisation,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        efforts=body.efforts,
        exceed_agreement=body.exceed_agreement,
    )
    return work_package_out(made)


@router.post("/work-packages/{work_package}/tasks", status_code=201, response_model=TaskOut)
def add_task(
    work_package: str, body: TaskIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> TaskOut:
    """Add a task to a work package."""
    made = node.plans.add_task(
        principal,
        ctx,
        work_package,
        title=body.title,
        label=body.label,
        due_on=body.due_on,
        assignee=body.assignee,
    )
    return task_out(made)


@router.post(
    "/work-packages/{work_package}/milestones", status_code=201, response_model=MilestoneOut
)
def add_milestone(
    work_package: str, body: ItemIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> MilestoneOut:
    """Add a milestone to a work package."""
    made = node.plans.add_milestone(
        principal, ctx, work_package, title=body.title, label=body.label, due_on=body.due_on
    )
    return milestone_out(made)


@router.post(
    "/work-packages/{work_package}/deliverables", status_code=201, response_model=DeliverableOut
)
def add_deliverable(
    work_package: str, body: ItemIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> DeliverableOut:
    """Add a deliverable to a work package."""
    made = node.plans.add_deliverable(
        principal, ctx, work_package, title=body.title, label=body.label, due_on=body.due_on
    )
    return deliverable_out(made)


@router.post("/tasks/{task}/moves", response_model=TaskOut)
def move_task(
    task: str, body: MoveIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> TaskOut:
    """Move a task: start, pause, finish or cancel."""
    return task_out(node.plans.move_task(principal, ctx, task, body.verb))


@router.post("/milestones/{milestone}/achieved", response_model=MilestoneOut)
def achieve(
    milestone: str, body: AchieveIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> MilestoneOut:
    """Mark a milestone achieved."""
    return milestone_out(node.plans.achieve_milestone(principal, ctx, milestone, on=body.on))


@router.post("/deliverables/{deliverable}/delivery", response_model=DeliverableOut)
def deliver(
    deliverable: str, body: DeliverIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> DeliverableOut:
    """Deliver a deliverable by an artifact of its project that you may read."""
    return deliverable_out(node.plans.deliver(principal, ctx, deliverable, artifact=body.artifact))


@router.post("/deliverables/{deliverable}/cancellation", response_model=DeliverableOut)
def cancel_deliverable(
    deliverable: str, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> DeliverableOut:
    """Cancel a planned deliverable."""
    return deliverable_out(node.plans.cancel_deliverable(principal, ctx, deliverable))
