"""Programmes in the browser: participants, projects and members, joint funding with its
chart, capacity building (visits of foreign nationals are in ``programme_visits``).

Every change goes through the service the API and CLI use, which checks who may make
it; the pages only decide which forms to offer (programme managers run programmes,
programme managers and security officers manage project members). Programme data is
not labelled, so the banner stays at the node's floor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from caveat.domain.compliance import ActivityKind, FundingKind, ProgrammeRole
from caveat.domain.errors import CaveatError, NotFound
from caveat.domain.identity import Person, ProjectRole, Role
from caveat.services.identity import Organisation
from caveat.services.programmes import Programme
from caveat.services.projects import Member
from caveat.web import forms
from caveat.web.pages import PageContext, render
from caveat.web.programme_chart import chart, combined_charts, money, share_rows
from caveat.web.routes import programme_visits
from caveat.web.session import Page, ctx_of, node_of

router = APIRouter(include_in_schema=False)
router.include_router(programme_visits.router)  # /visits, under the same "Programmes" nav
# Need-to-know is granted by a project's lead or the person's own security officer
# (Act.PROJECT_MEMBER_ADD); the page offers the form to them, the service decides.
MEMBER_ADMINS = frozenset({Role.SECURITY_OFFICER})
Text = Annotated[str, Form(max_length=200)]
LongText = Annotated[str, Form(max_length=4000)]
DAY = timedelta(days=1)
Day = Annotated[str, Form(max_length=10)]


def _roles(page: PageContext) -> frozenset[Role]:
    assert page.principal is not None
    return page.principal.roles


# --- the list ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Listed:
    """One programme in the list."""

    id: str
    name: str
    description: str
    lead: str | None
    participants: int
    projects: tuple[str, ...]


@router.get("/programmes")
def programmes(request: Request, page: Page) -> HTMLResponse:
    """Every programme, their funding per partner nation in one chart per currency, and
    the form for a new one (programme managers)."""
    return _list(request, page)


def _list(
    request: Request,
    page: PageContext,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    node = node_of(request)
    orgs = forms.organisations(request)
    projects = {p.id: p.name for p in node.projects.list_projects()}
    rows = [
        Listed(
            p.id,
            p.name,
            p.description,
            next(
                (
                    orgs[x["organisation_id"]].name
                    for x in p.participants
                    if x["role"] == ProgrammeRole.LEAD
                ),
                None,
            ),
            len(p.participants),
            tuple(sorted(projects.get(i, i) for i in p.projects)),
        )
        for p in node.programmes.list_programmes()
    ]
    return render(
        request,
        "programmes.html",
        page,
        status=status,
        programmes=rows,
        funding=combined_charts(node.programme_records.funding_by_nation()),
        can_create=bool(_roles(page) & programme_visits.MANAGERS),
        error=error,
        form=form or {"name": "", "description": ""},
    )


@router.post("/programmes")
def create_programme(
    request: Request, page: Page, name: Text = "", description: LongText = ""
) -> Response:
    """Create a programme; the service checks the programme manager role."""
    assert page.principal is not None
    try:
        made = node_of(request).programmes.create(
            page.principal, ctx_of(request), name=name, description=description
        )
    except CaveatError as exc:
        message, code = forms.refusal(exc, forms.FIXABLE, field=False)
        form = {"name": name, "description": description}
        return _list(request, page, error=message, form=form, status=code)
    return forms.done(f"/programmes/{made.id}", f"Created programme {made.name}.")


# --- one programme ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Participant:
    """A participating organisation with its role and work share."""

    organisation_id: str
    name: str
    nation: str
    role: str
    work_share: float | None


@dataclass(frozen=True, slots=True)
class MemberRow:
    """A project member, with whether the membership has lapsed."""

    username: str
    name: str
    organisation: str
    added_at: datetime
    expires_at: datetime | None
    expired: bool
    role: str


@dataclass(frozen=True, slots=True)
class ProjectBox:
    """A project of the programme and its members."""

    id: str
    name: str
    members: tuple[MemberRow, ...]


def _members(members: list[Member], people: dict[str, Person], now: datetime) -> list[MemberRow]:
    out = []
    for m in members:
        person = people.get(m.person_id)
        out.append(
            MemberRow(
                m.username,
                person.display_name if person else m.username,
                person.organisation_name if person else "",
                m.added_at,
                m.expires_at,
                m.expires_at is not None and m.expires_at <= now,
                m.role,
            )
        )
    return out


def _participants(prog: Programme, orgs: dict[str, Organisation]) -> list[Participant]:
    out = []
    for p in prog.participants:
        org = orgs.get(p["organisation_id"])
        out.append(
            Participant(
                p["organisation_id"],
                org.name if org else p["organisation_id"],
                org.nation if org else "",
                str(p["role"]),
                p["work_share_percent"],
            )
        )
    return sorted(out, key=lambda p: (p.role != ProgrammeRole.LEAD, p.name))


def _detail(
    request: Request,
    page: PageContext,
    ref: str,
    *,
    error: str | None = None,
    error_in: str | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    node = node_of(request)
    prog = node.programmes.get(ref)
    orgs, people = forms.organisations(request), forms.people(request)
    now = node.uow.clock()
    all_projects = node.projects.list_projects()
    names = {p.id: p.name for p in all_projects}
    taken = {i for p in node.programmes.list_programmes() for i in p.projects}
    boxes = [
        ProjectBox(
            pid, names.get(pid, pid), tuple(_members(node.projects.members(pid), people, now))
        )
        for pid in prog.projects
    ]
    participants = _participants(prog, orgs)
    records = node.programme_records
    shares = share_rows(
        node.programmes.funding_summary(prog.id),
        prog.participants,
        {o.id: o.name for o in orgs.values()},
        {o.id: o.short_name for o in orgs.values() if o.short_name},
    )
    roles = _roles(page)
    me = page.principal
    leads = me is not None and any(
        m.person_id == me.person_id and m.role == ProjectRole.LEAD.value
        for pid in prog.projects
        for m in node.projects.members(pid)
    )
    return render(
        request,
        "programme.html",
        page,
        status=status,
        prog=prog,
        participants=participants,
        projects=sorted(boxes, key=lambda b: b.name),
        free_projects=[p for p in all_projects if p.id not in taken],
        shares=shares,
        charts=[chart(currency, rows) for currency, rows in shares.items()],
        entries=records.funding_entries(prog.id),
        activities=records.activities(prog.id),
        orgs=orgs,
        people=people,
        organisations=sorted(orgs.values(), key=lambda o: o.name),
        everyone=sorted(people.values(), key=lambda p: p.username),
        programme_roles=list(ProgrammeRole),
        funding_kinds=list(FundingKind),
        activity_kinds=list(ActivityKind),
        can_manage=bool(roles & programme_visits.MANAGERS),
        can_members=bool(roles & MEMBER_ADMINS) or leads,
        project_roles=[r.value for r in ProjectRole if r is not ProjectRole.VISITOR],
        today=now.date().isoformat(),
        money=money,
        error=error,
        error_in=error_in,
        values=values or {},
    )


@router.get("/programmes/{ref}")
def programme(request: Request, ref: str, page: Page) -> HTMLResponse:
    """A programme: participants, projects and members, funding, capacity building."""
    return _detail(request, page, ref)


def _failed(
    request: Request,
    page: PageContext,
    ref: str,
    where: str,
    exc: CaveatError,
    values: dict[str, str],
) -> HTMLResponse:
    message, code = forms.refusal(exc, forms.FIXABLE, field=False)
    return _detail(request, page, ref, error=message, error_in=where, values=values, status=code)


@router.post("/programmes/{ref}/participants")
def set_participant(
    request: Request,
    ref: str,
    page: Page,
    organisation: Text = "",
    role: Text = "",
    work_share: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Add a participating organisation or change its role and work share."""
    assert page.principal is not None
    try:
        node_of(request).programmes.set_participant(
            page.principal,
            ctx_of(request),
            ref,
            organisation,
            role=role,
            work_share=work_share.strip() or None,
        )
    except CaveatError as exc:
        values = {"organisation": organisation, "role": role, "work_share": work_share}
        return _failed(request, page, ref, "participant", exc, values)
    name = node_of(request).registry.get_organisation(organisation).name
    return forms.done(f"/programmes/{ref}", f"{name} takes part as {role.replace('_', ' ')}.")


@router.post("/programmes/{ref}/projects")
def add_project(request: Request, ref: str, page: Page, project: Text = "") -> Response:
    """Put an existing project in the programme."""
    assert page.principal is not None
    try:
        node_of(request).programmes.add_project(page.principal, ctx_of(request), ref, project)
    except CaveatError as exc:
        return _failed(request, page, ref, "project", exc, {"project": project})
    name = node_of(request).projects.get_project(project).name
    return forms.done(f"/programmes/{ref}", f"Added project {name}.")


@router.post("/programmes/{ref}/projects/new")
def new_project(request: Request, ref: str, page: Page, name: Text = "") -> Response:
    """Create a project in the programme (one transaction: both records or neither)."""
    assert page.principal is not None
    try:
        made = node_of(request).programmes.create_project(
            page.principal, ctx_of(request), ref, name
        )
    except CaveatError as exc:
        return _failed(request, page, ref, "new_project", exc, {"name": name})
    return forms.done(f"/programmes/{ref}", f"Created project {made.name}.")


def _in_programme(request: Request, ref: str, project: str) -> str:
    """The project's id, if it belongs to the programme (members are managed from it)."""
    node = node_of(request)
    found = node.projects.get_project(project)
    if found.id not in node.programmes.get(ref).projects:
        raise NotFound(f"the programme has no project {project!r}", code="unknown_project")
    return found.id


@router.post("/programmes/{ref}/projects/{project}/members")
def add_member(
    request: Request,
    ref: str,
    project: str,
    page: Page,
    person: Annotated[str, Form(max_length=64)] = "",
    until: Day = "",
    role: Annotated[str, Form(max_length=20)] = "member",
) -> Response:
    """Add a member in a project role, until the end of ``until`` when given."""
    assert page.principal is not None
    try:
        pid = _in_programme(request, ref, project)
        last = forms.parse_day(until, "until") if until else None
        # Until the end of the last day, like a visit's membership.
        expires = None if last is None else datetime.combine(last, time(), tzinfo=UTC) + DAY
        node_of(request).projects.add_member(
            page.principal, ctx_of(request), pid, person, expires_at=expires, role=role
        )
    except CaveatError as exc:
        return _failed(
            request,
            page,
            ref,
            f"member-{project}",
            exc,
            {"person": person, "until": until, "role": role},
        )
    return forms.done(f"/programmes/{ref}", f"Added {person} to the project.")


@router.post("/programmes/{ref}/projects/{project}/members/{username}/remove")
def remove_member(request: Request, ref: str, project: str, username: str, page: Page) -> Response:
    """End a membership now (the need-to-know through the project ends with it)."""
    assert page.principal is not None
    pid = _in_programme(request, ref, project)
    node_of(request).projects.remove_member(page.principal, ctx_of(request), pid, username)
    return forms.done(f"/programmes/{ref}", f"Removed {username} from the project.")


@router.post("/programmes/{ref}/funding")
def record_funding(
    request: Request,
    ref: str,
    page: Page,
    organisation: Text = "",
    kind: Text = "",
    amount: Annotated[str, Form(max_length=30)] = "",
    currency: Annotated[str, Form(max_length=3)] = "",
    on: Day = "",
    note: LongText = "",
) -> Response:
    """Record a partner's commitment or contribution."""
    assert page.principal is not None
    values = {
        "organisation": organisation,
        "kind": kind,
        "amount": amount,
        "currency": currency,
        "on": on,
        "note": note,
    }
    try:
        node_of(request).programmes.record_funding(
            page.principal,
            ctx_of(request),
            ref,
            organisation,
            kind=kind,
            amount=amount.strip().replace(",", ""),
            currency=currency.strip().upper(),
            on=forms.parse_day(on, "on"),
            note=note,
        )
    except CaveatError as exc:
        return _failed(request, page, ref, "funding", exc, values)
    return forms.done(f"/programmes/{ref}", f"Recorded a {kind} of {amount} {currency.upper()}.")


@router.post("/programmes/{ref}/activities")
def add_activity(
    request: Request,
    ref: str,
    page: Page,
    kind: Text = "",
    title: Text = "",
    host: Text = "",
    person: Annotated[str, Form(max_length=64)] = "",
    location: Text = "",
    starts_on: Day = "",
    ends_on: Day = "",
) -> Response:
    """Record a training course or an exchange placement."""
    assert page.principal is not None
    values = {
        "kind": kind,
        "title": title,
        "host": host,
        "person": person,
        "location": location,
        "starts_on": starts_on,
        "ends_on": ends_on,
    }
    try:
        node_of(request).programmes.add_activity(
            page.principal,
            ctx_of(request),
            ref,
            kind=kind,
            title=title,
            host=host,
            person=person or None,
            location=location,
            starts_on=forms.parse_day(starts_on, "starts_on"),
            ends_on=forms.parse_day(ends_on, "ends_on"),
        )
    except CaveatError as exc:
        return _failed(request, page, ref, "activity", exc, values)
    return forms.done(f"/programmes/{ref}", f"Recorded {title.strip()}.")
