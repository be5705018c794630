"""Project plans in the browser (issue 21, ADR 0027): the plans of one's projects, a
plan page with its work packages, tasks, milestones and deliverables, each partner's
work share beside the agreed one, a server-drawn timeline and a calendar of due dates;
and the forms of the project's coordinators.

Every read and change goes through the service the API and CLI use; a page shows only
what the service returned for this reader, and counts every label it shows towards the
banner.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from caveat.domain.errors import CaveatError, InvalidInput
from caveat.services.kernel.principal import Principal
from caveat.web import forms
from caveat.web.labelling import portion
from caveat.web.pages import PageContext, render
from caveat.web.plan_chart import calendar, draw
from caveat.web.session import Page, ctx_of, node_of

router = APIRouter(include_in_schema=False)
BASE = "/plans"
Short = Annotated[str, Form(max_length=300)]
Label = Annotated[str, Form(max_length=4000)]
Day = Annotated[str, Form(max_length=10)]
Ref = Annotated[str, Form(max_length=64)]
KINDS = ("task", "milestone", "deliverable")


def _principal(page: PageContext) -> Principal:
    assert page.principal is not None
    return page.principal


def _href(project: str) -> str:
    return f"{BASE}/{quote(project, safe='')}"


@router.get(BASE)
def overview(request: Request, page: Page) -> HTMLResponse:
    """The reader's projects (each with its plan) and what is overdue or due soon."""
    node = node_of(request)
    me = _principal(page)
    agenda = node.plans.agenda(me, today=node.uow.clock().date())
    for item in agenda.overdue + agenda.upcoming:
        page.show(item.label)
    return render(
        request,
        "plans.html",
        page,
        projects=node.projects.projects_of(me.person_id),
        agenda=agenda,
        portion=portion,
    )


@router.get(f"{BASE}/{{project}}")
def plan(request: Request, page: Page, project: str) -> HTMLResponse:
    """One project's plan as the reader may read it."""
    return _plan(request, page, project)


def _plan(
    request: Request,
    page: PageContext,
    project: str,
    *,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    node = node_of(request)
    found = node.plans.plan(_principal(page), project)
    for label in found.labels():
        page.show(label)
    today = node.uow.clock().date()
    return render(
        request,
        "plan.html",
        page,
        status=status,
        plan=found,
        href=_href(found.project_id),
        chart=draw(found, today),
        months=calendar(found, today),
        today=today,
        portion=portion,
        kinds=KINDS,
        error=error,
    )


def _refused(request: Request, page: PageContext, project: str, exc: CaveatError) -> HTMLResponse:
    message, status = forms.refusal(exc, forms.FIXABLE)
    return _plan(request, page, project, error=message, status=status)


def _efforts(text: str) -> dict[str, str]:
    """Lines of ``ORGANISATION=PERSON_MONTHS``."""
    efforts: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        org, sep, amount = line.partition("=")
        if not sep or not org.strip():
            raise InvalidInput(
                f"{line.strip()!r}: write one ORGANISATION=PERSON_MONTHS a line",
                code="invalid_effort",
                field="efforts",
            )
        efforts[org.strip()] = amount.strip()
    return efforts


@router.post(f"{BASE}/{{project}}/work-packages")
def add_work_package(
    request: Request,
    page: Page,
    project: str,
    title: Short = "",
    label: Label = "",
    lead: Ref = "",
    starts_on: Day = "",
    ends_on: Day = "",
    efforts: Annotated[str, Form(max_length=4000)] = "",
    exceed_agreement: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Add a work package with each partner's effort."""
    try:
        node_of(request).plans.add_work_package(
            _principal(page),
            ctx_of(request),
            project,
            title=title,
            label=label,
            lead_organisation=lead,
            starts_on=forms.parse_day(starts_on, "starts_on"),
            ends_on=forms.parse_day(ends_on, "ends_on"),
            efforts=_efforts(efforts),
            exceed_agreement=exceed_agreement == "yes",
        )
    except CaveatError as exc:
        return _refused(request, page, project, exc)
    return forms.done(_href(project), "work package added")


@router.post(f"{BASE}/{{project}}/items")
def add_item(
    request: Request,
    page: Page,
    project: str,
    kind: Annotated[str, Form(max_length=20)] = "",
    work_package: Ref = "",
    title: Short = "",
    label: Label = "",
    due_on: Day = "",
    assignee: Ref = "",
) -> Response:
    """Add a task, milestone or deliverable to a work package."""
    plans = node_of(request).plans
    me, ctx = _principal(page), ctx_of(request)
    try:
        due = forms.parse_date(due_on, "due_on", "the due date")
        if kind == "task":
            plans.add_task(
                me, ctx, work_package, title=title, label=label, due_on=due, assignee=assignee
            )
        elif kind == "milestone":
            plans.add_milestone(me, ctx, work_package, title=title, label=label, due_on=due)
        elif kind == "deliverable":
            plans.add_deliverable(me, ctx, work_package, title=title, label=label, due_on=due)
        else:
            raise InvalidInput(f"unknown kind {kind!r}", code="invalid_input", field="kind")
    except CaveatError as exc:
        return _refused(request, page, project, exc)
    return forms.done(_href(project), f"{kind} added")


@router.post(f"{BASE}/{{project}}/tasks/{{task}}/moves")
def move_task(
    request: Request,
    page: Page,
    project: str,
    task: str,
    verb: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Move a task: start, pause, finish or cancel."""
    try:
        node_of(request).plans.move_task(_principal(page), ctx_of(request), task, verb)
    except CaveatError as exc:
        return _refused(request, page, project, exc)
    return forms.done(_href(project), "task moved")


@router.post(f"{BASE}/{{project}}/milestones/{{milestone}}/achieved")
def achieve(request: Request, page: Page, project: str, milestone: str) -> Response:
    """Mark a milestone achieved today."""
    try:
        node_of(request).plans.achieve_milestone(_principal(page), ctx_of(request), milestone)
    except CaveatError as exc:
        return _refused(request, page, project, exc)
    return forms.done(_href(project), "milestone achieved")


@router.post(f"{BASE}/{{project}}/deliverables/{{deliverable}}/delivery")
def deliver(
    request: Request,
    page: Page,
    project: str,
    deliverable: str,
    artifact: Annotated[str, Form(max_length=36)] = "",
) -> Response:
    """Deliver a deliverable by an artifact of the project the reader may read."""
    try:
        node_of(request).plans.deliver(
            _principal(page), ctx_of(request), deliverable, artifact=artifact
        )
    except CaveatError as exc:
        return _refused(request, page, project, exc)
    return forms.done(_href(project), "deliverable delivered")
