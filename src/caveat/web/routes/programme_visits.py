"""Visits of foreign nationals to host laboratories: request, decide, see the membership.

The visitor (or a programme manager for them) asks; only the host organisation's
security officer decides, never for their own visit. Approval is what grants the
temporary project membership, until the end of the visit's last day: the list shows it
from the project's members, so the page reports what the policy will actually use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from caveat.domain.errors import CaveatError, InvalidInput
from caveat.domain.identity import Role
from caveat.domain.lifecycles import VISIT, VisitStatus
from caveat.services.programmes import Visit, visit_decision_refusal
from caveat.services.projects import Member
from caveat.web import forms
from caveat.web.pages import PageContext, render
from caveat.web.session import Page, ctx_of, node_of

router = APIRouter(include_in_schema=False)
MANAGERS = frozenset({Role.PROGRAMME_MANAGER})  # ProgrammeService: creating and running
Text = Annotated[str, Form(max_length=200)]
LongText = Annotated[str, Form(max_length=2000)]
Day = Annotated[str, Form(max_length=10)]


@dataclass(frozen=True, slots=True)
class VisitRow:
    """A visit request as the list shows it, with the membership an approval granted."""

    visit: Visit
    visitor: str
    visitor_org: str
    host: str
    project: str
    decidable: bool  # the viewer's decision is the one the visit waits for
    member_until: datetime | None
    member_now: bool


def _visit_rows(request: Request, page: PageContext, visits: list[Visit]) -> list[VisitRow]:
    node, me = node_of(request), page.principal
    assert me is not None
    orgs, people = forms.organisations(request), forms.people(request)
    projects = {p.id: p.name for p in node.projects.list_projects()}
    now = node.uow.clock()
    members: dict[str, dict[str, Member]] = {}
    rows = []
    for v in reversed(visits):  # newest first
        if v.status == VisitStatus.APPROVED and v.project_id not in members:
            members[v.project_id] = {m.person_id: m for m in node.projects.members(v.project_id)}
        member = members.get(v.project_id, {}).get(v.person_id)
        until = member.expires_at if member else None
        person = people.get(v.person_id)
        rows.append(
            VisitRow(
                v,
                person.display_name if person else v.person_id,
                person.organisation_name if person else "",
                orgs[v.host_org_id].name if v.host_org_id in orgs else v.host_org_id,
                projects.get(v.project_id, v.project_id),
                bool(VISIT.verbs_from(v.status)) and visit_decision_refusal(me, v) is None,
                until,
                member is not None and (until is None or until > now),
            )
        )
    return rows


@router.get("/visits")
def visits(request: Request, page: Page) -> HTMLResponse:
    """Visit requests the viewer may see, the request form and the host officer's decisions."""
    return _visits(request, page)


def _visits(
    request: Request,
    page: PageContext,
    *,
    error: str | None = None,
    error_in: str | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    node, me = node_of(request), page.principal
    assert me is not None
    orgs, managers = forms.organisations(request), bool(me.roles & MANAGERS)
    return render(
        request,
        "visits.html",
        page,
        status=status,
        rows=_visit_rows(request, page, node.programmes.visits(me)),
        # A visit is to another organisation than the visitor's; managers may ask for anyone.
        hosts=sorted(
            (o for o in orgs.values() if managers or o.id != me.person.organisation_id),
            key=lambda o: o.name,
        ),
        projects=node.projects.list_projects(),
        for_others=managers,
        today=node.uow.clock().date().isoformat(),
        error=error,
        error_in=error_in,
        values=values or {},
    )


@router.post("/visits")
def request_visit(
    request: Request,
    page: Page,
    host: Text = "",
    project: Text = "",
    purpose: LongText = "",
    starts_on: Day = "",
    ends_on: Day = "",
    person: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Ask for a visit: for oneself, or (programme managers) for someone else."""
    me = page.principal
    assert me is not None
    values = {
        "host": host,
        "project": project,
        "purpose": purpose,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "person": person,
    }
    try:
        node_of(request).programmes.request_visit(
            me,
            ctx_of(request),
            person=person.strip() or me.username,
            host=host,
            project=project,
            purpose=purpose,
            starts_on=forms.parse_day(starts_on, "starts_on"),
            ends_on=forms.parse_day(ends_on, "ends_on"),
        )
    except CaveatError as exc:
        message, code = forms.refusal(exc, forms.FIXABLE, field=False)
        return _visits(request, page, error=message, error_in="request", values=values, status=code)
    return forms.done("/visits", "Visit requested: the host's security officer decides.")


@router.post("/visits/{visit_id}/decision")
def decide_visit(
    request: Request,
    visit_id: str,
    page: Page,
    decision: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Approve (the visitor becomes a member until the last day) or deny, with a reason."""
    assert page.principal is not None
    try:
        if decision not in ("approve", "deny"):
            raise InvalidInput("choose approve or deny", field="decision")
        visit = node_of(request).programmes.decide_visit(
            page.principal, ctx_of(request), visit_id, approve=decision == "approve", reason=reason
        )
    except CaveatError as exc:
        message, code = forms.refusal(exc, forms.FIXABLE, field=False)
        return _visits(
            request,
            page,
            error=message,
            error_in=visit_id,
            values={"reason": reason},
            status=code,
        )
    if visit.status == VisitStatus.APPROVED:
        return forms.done(
            "/visits",
            f"Visit approved: a project member until the end of {visit.ends_on.isoformat()}.",
        )
    return forms.done("/visits", "Visit denied.")
