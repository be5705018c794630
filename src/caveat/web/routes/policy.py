"""The policy in the browser: the catalogue you may see (and registering entries without
content), your own "why not", grants on a resource for granters, and for security
officers "explain a person's access", "who can see X" and "what if".

What each audience sees is the policy service's (ADR 0006): the subject view only for
resources the subject may discover (anything else is the same "not found" a missing
resource gives); the officer view only for people of the officer's organisation and
resources the officer may discover.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from caveat.domain.errors import CaveatError, InvalidInput, NotFound, PermissionDenied
from caveat.domain.export_control import parse_export_classification
from caveat.domain.groups import GroupDirectory
from caveat.domain.identity import CommonLevel, Role
from caveat.domain.labels import parse_marking, render_banner
from caveat.domain.labels.errors import marking_caret
from caveat.domain.nations import require_nation
from caveat.domain.permissions import Act
from caveat.domain.policy import (
    Action,
    AddMembership,
    AddNationality,
    AtTime,
    Audience,
    Change,
    ExpireAgreement,
    Explanation,
    GrantKind,
    Relabel,
    RemoveMembership,
    RemoveNationality,
    SetClearance,
)
from caveat.domain.policy import explain as officer_view
from caveat.domain.resources import ResourceKind
from caveat.services.artifacts import parse_label_text
from caveat.services.kernel.principal import Principal
from caveat.services.policy import ResourceView
from caveat.web import forms
from caveat.web.labelling import check_label, normalised_text, portion, style
from caveat.web.pages import PageContext, render
from caveat.web.session import Page, ctx_of, node_of, permission_gate

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
ACTIONS = [a.value for a in Action]


# Officers ask about the people of their own organisation (the navigation's Access link
# asks the same question of the permission table).
security_officer = permission_gate(
    Act.POLICY_EXPLAIN, "this page is for security officers", own_organisation=True
)
OfficerPage = Annotated[PageContext, Depends(security_officer)]
# Who may grant on a resource is the permission table's (its project's lead, the
# grantee's own security officer): the pages offer the form, the service decides.
GranterPage = Page


def _action(value: str) -> Action:
    return Action(value) if value in ACTIONS else Action.READ


def _row(view: ResourceView) -> dict[str, object]:
    return {
        "id": view.id,
        "title": view.title,
        "portion": portion(view.label),
        "banner": view.banner or "unlabelled",
        "style": style(view.label),
        "kind": view.kind.replace("_", " "),
        "created_at": view.created_at,
    }


@router.get("/resources")
def resources(
    request: Request,
    page: Page,
    after: Annotated[str | None, Query(max_length=100)] = None,
) -> HTMLResponse:
    """Every catalogue entry (documents, datasets, artifacts) the viewer may discover."""
    assert page.principal is not None
    listing = node_of(request).policy.list_visible(page.principal, after=after, limit=PAGE_SIZE)
    for v in listing.items:
        page.show(v.label)  # listed entries are labelled: None is an unreadable label
    return render(
        request,
        "resources.html",
        page,
        rows=[_row(v) for v in listing.items],
        total=listing.total,
        total_exact=listing.total_exact,
        paged=after is not None,
        next_after=listing.next_after,
    )


# --- register a resource without content ---------------------------------------------

_NEW_FIELDS = ("project", "kind", "title", "label", "originator", "controls", "dual_use")


def _split(text: str) -> list[str]:
    return [v.strip() for v in text.replace("\n", ",").split(",") if v.strip()]


def _new_resource_page(
    request: Request,
    page: PageContext,
    form: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
    caret: str | None = None,
) -> HTMLResponse:
    node, principal = node_of(request), page.principal
    assert principal is not None
    values = {k: (form or {}).get(k, "") for k in _NEW_FIELDS}
    values["kind"] = values["kind"] or ResourceKind.DOCUMENT.value
    check = None
    if values["label"]:
        check = check_label(node.policy, principal, values["label"], node.uow.clock().date())
    return render(
        request,
        "resource_new.html",
        page,
        status=status,
        form=values,
        error=error,
        caret=caret,
        check=check,
        projects=node.projects.projects_of(principal.person_id),
        kinds=list(ResourceKind),
        organisations=sorted(forms.organisations(request).values(), key=lambda o: o.name),
    )


@router.get("/resources/new")
def new_resource(request: Request, page: Page) -> HTMLResponse:
    """The form for a catalogue entry known by its metadata and label only."""
    return _new_resource_page(request, page)


@router.post("/resources/new")
def register_resource(
    request: Request,
    page: Page,
    project: Annotated[str, Form(max_length=64)] = "",
    kind: Annotated[str, Form(max_length=40)] = "",
    title: Annotated[str, Form(max_length=400)] = "",
    label: Annotated[str, Form(max_length=4000)] = "",
    originator: Annotated[str, Form(max_length=64)] = "",
    controls: Annotated[str, Form(max_length=4000)] = "",
    dual_use: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Register through the catalogue service; a refusal keeps what was typed."""
    node, principal = node_of(request), page.principal
    assert principal is not None
    now = node.uow.clock()
    try:
        made = node.catalogue.register(
            principal,
            ctx_of(request),
            project=project,
            kind=kind,
            title=title,
            label=parse_label_text(
                normalised_text(node.policy, label, now.date()), node.policy, now
            ),
            export=parse_export_classification(_split(controls), dual_use=dual_use == "on"),
            originator=originator or None,
        )
    except CaveatError as exc:
        message, status = forms.refusal(exc)
        form = {
            "project": project,
            "kind": kind,
            "title": title,
            "label": label,
            "originator": originator,
            "controls": controls,
            "dual_use": dual_use,
        }
        return _new_resource_page(
            request, page, form, error=message, status=status, caret=marking_caret(exc)
        )
    return forms.done(f"/resources/{made.id}", "Registered. The banner shows its label.")


# --- one resource, and its grants ------------------------------------------------------


def _resource_page(
    request: Request,
    page: PageContext,
    resource_id: str,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The resource's label and the viewer's decision; granters also see its grants."""
    node, principal = node_of(request), page.principal
    assert principal is not None
    view = node.policy.get(principal, resource_id)  # not found unless discoverable
    page.show(view.label)
    read = node.policy.my_decision(principal, resource_id, Action.READ)
    granter = node.grants.may_grant(principal, view.id)
    everyone = forms.people(request) if granter else {}
    try:
        grants = node.holdings.grants(principal, view.id) if granter else []
    except PermissionDenied:
        grants = []
    officer = Role.SECURITY_OFFICER in principal.roles
    kinds = [GrantKind.ACCESS.value] + ([GrantKind.ORIGINATOR.value] if officer else [])
    return render(
        request,
        "resource.html",
        page,
        status=status,
        r=_row(view),
        read=read,
        officer=officer,
        granter=granter,
        grant_kinds=kinds,
        people=sorted(everyone.values(), key=lambda p: p.username),
        grants=grants,
        form=form or {"person": "", "kind": GrantKind.ACCESS.value, "until": "", "grant_id": ""},
        error=error,
    )


@router.get("/resources/{resource_id}")
def resource(request: Request, resource_id: str, page: Page) -> Response:
    """A resource's label and, for the viewer, why they may or may not read it."""
    node, principal = node_of(request), page.principal
    assert principal is not None
    node.policy.get(principal, resource_id)  # not found unless discoverable
    try:
        node.artifacts.show(principal, resource_id)
    except NotFound:
        pass  # a catalogue entry without content
    else:
        return RedirectResponse(f"/artifacts/{resource_id}", status_code=303)
    return _resource_page(request, page, resource_id)


@router.get("/resources/{resource_id}/grants")
def grants(request: Request, resource_id: str, page: GranterPage) -> HTMLResponse:
    """The resource page with its grants, for artifacts too (their page is the artifact's)."""
    return _resource_page(request, page, resource_id)


def _grants_href(resource_id: str) -> str:
    return f"/resources/{quote(resource_id)}/grants"


@router.post("/resources/{resource_id}/grants")
def add_grant(
    request: Request,
    resource_id: str,
    page: GranterPage,
    person: Annotated[str, Form(max_length=64)] = "",
    kind: Annotated[str, Form(max_length=16)] = GrantKind.ACCESS.value,
    until: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Grant need-to-know or the originator's permission, until the end of ``until``."""
    assert page.principal is not None
    try:
        if kind not in {k.value for k in GrantKind}:
            raise InvalidInput("choose access or originator", field="kind")
        last = forms.parse_day(until, "until") if until else None
        expires = None if last is None else datetime.combine(last, time(), UTC) + timedelta(1)
        made = node_of(request).grants.grant(
            page.principal,
            ctx_of(request),
            resource=resource_id,
            person=person,
            kind=GrantKind(kind),
            expires_at=expires,
        )
    except CaveatError as exc:
        message, status = forms.refusal(exc)
        form = {"person": person, "kind": kind, "until": until, "grant_id": ""}
        return _resource_page(request, page, resource_id, form=form, error=message, status=status)
    note = f"Granted {kind} to {person} (grant {made.id}); access follows at once."
    return forms.done(_grants_href(resource_id), note)


@router.post("/resources/{resource_id}/grants/revoke")
def revoke_grant(
    request: Request,
    resource_id: str,
    page: GranterPage,
    grant_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Withdraw a grant by its id; access through it ends now."""
    assert page.principal is not None
    try:
        node_of(request).grants.revoke_grant(
            page.principal, ctx_of(request), resource=resource_id, grant_id=grant_id.strip()
        )
    except CaveatError as exc:
        message, status = forms.refusal(exc)
        form = {"person": "", "kind": GrantKind.ACCESS.value, "until": "", "grant_id": grant_id}
        return _resource_page(request, page, resource_id, form=form, error=message, status=status)
    return forms.done(_grants_href(resource_id), f"Revoked grant {grant_id.strip()}.")


def _choices(request: Request, officer: Principal) -> tuple[list[object], list[ResourceView]]:
    node = node_of(request)
    people = [
        p for p in node.people.list_people() if p.organisation_id == officer.person.organisation_id
    ]
    visible = node.policy.list_visible(officer, limit=500).items
    return list(people), list(visible)


@router.get("/policy/explain")
def explain(
    request: Request,
    page: OfficerPage,
    person: Annotated[str, Query(max_length=64)] = "",
    resource: Annotated[str, Query(max_length=64)] = "",
    action: Annotated[str, Query(max_length=16)] = "read",
) -> HTMLResponse:
    """Why a person of the officer's organisation may or may not act on a resource."""
    node, officer = node_of(request), page.principal
    assert officer is not None
    people, visible = _choices(request, officer)
    result, error, status, chosen = None, None, 200, None
    if person and resource:
        try:
            chosen = node.policy.get(officer, resource)
            result = node.policy.explain(
                officer, person=person, resource_id=resource, action=_action(action)
            )
        except CaveatError as exc:
            error, status, result = exc.detail, forms.page_status(exc), None
    if chosen is not None and error is None:
        page.show(chosen.label)
    return render(
        request,
        "policy_explain.html",
        page,
        status=status,
        people=people,
        resources=[_row(v) for v in visible],
        form={"person": person, "resource": resource, "action": _action(action).value},
        actions=ACTIONS,
        result=result,
        chosen=None if chosen is None or error else _row(chosen),
        error=error,
    )


@router.get("/policy/who-can")
def who_can(
    request: Request,
    page: OfficerPage,
    resource: Annotated[str, Query(max_length=64)] = "",
    action: Annotated[str, Query(max_length=16)] = "read",
) -> HTMLResponse:
    """Who may act on a resource the officer may discover: their own organisation's
    people listed with failed requirements, other organisations counted."""
    node, officer = node_of(request), page.principal
    assert officer is not None
    _, visible = _choices(request, officer)
    report, error, status, chosen = None, None, 200, None
    if resource:
        try:
            chosen = node.policy.get(officer, resource)
            report = node.policy.who_can(officer, resource_id=resource, action=_action(action))
        except CaveatError as exc:
            error, status, chosen = exc.detail, forms.page_status(exc), None
    if chosen is not None:
        page.show(chosen.label)
    return render(
        request,
        "policy_who_can.html",
        page,
        status=status,
        resources=[_row(v) for v in visible],
        form={"resource": resource, "action": _action(action).value},
        actions=ACTIONS,
        report=report,
        chosen=None if chosen is None else _row(chosen),
        error=error,
    )


# --- what if -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Compared:
    """One requirement before and after the change (officer detail of both)."""

    number: int
    title: str
    before: str
    after: str
    changed: bool
    detail_before: str
    detail_after: str


def _outcome(applies: bool, satisfied: bool) -> str:
    return "does not apply" if not applies else ("met" if satisfied else "not met")


def _compare(before: Explanation, after: Explanation) -> list[Compared]:
    rows = []
    for b, a in zip(before.requirements, after.requirements, strict=True):
        was, now = _outcome(b.applies, b.satisfied), _outcome(a.applies, a.satisfied)
        rows.append(Compared(b.number, b.title, was, now, was != now, b.detail, a.detail))
    return rows


def _nations(text: str, name: str) -> list[str]:
    codes = [c.strip().upper() for c in text.replace(";", ",").split(",") if c.strip()]
    return [require_nation(c, field=name) for c in codes]


def _described(change: Change, names: dict[str, str]) -> str:
    """One change in words, naming projects and agreements rather than their ids."""
    if isinstance(change, AddNationality):
        return f"also a citizen of {change.nation}"
    if isinstance(change, RemoveNationality):
        return f"no longer a citizen of {change.nation}"
    if isinstance(change, SetClearance):
        if change.level is None:
            return "no clearance"
        until = f" until {change.expires}" if change.expires else ""
        return f"clearance {change.level.name.replace('_', ' ')}{until}"
    if isinstance(change, AddMembership):
        return f"joins project {names.get(change.project_id, change.project_id)}"
    if isinstance(change, RemoveMembership):
        return f"leaves project {names.get(change.project_id, change.project_id)}"
    if isinstance(change, ExpireAgreement):
        return f"agreement {names.get(change.agreement_id, change.agreement_id)} ends"
    if isinstance(change, Relabel):
        return f"marked {render_banner(change.label)}"
    return f"on {change.when.date()}"


def _changes(form: dict[str, str], groups: GroupDirectory, today: date) -> list[Change]:
    """The hypothetical changes the form names (the domain's what-if vocabulary)."""
    changes: list[Change] = [AddNationality(n) for n in _nations(form["add_nation"], "add_nation")]
    changes += [RemoveNationality(n) for n in _nations(form["remove_nation"], "remove_nation")]
    if form["clearance"]:
        expires = forms.optional_date(
            form["clearance_expires"], "clearance_expires", "the clearance expiry"
        )
        if form["clearance"] == "none":
            changes.append(SetClearance(None))
        elif form["clearance"] in {str(c.value) for c in CommonLevel}:
            changes.append(SetClearance(CommonLevel(int(form["clearance"])), expires))
        else:
            raise InvalidInput("choose a clearance level", field="clearance")
    elif form["clearance_expires"]:
        raise InvalidInput("choose the clearance level that expires then", field="clearance")
    if form["join"]:
        changes.append(AddMembership(form["join"]))
    if form["leave"]:
        changes.append(RemoveMembership(form["leave"]))
    if form["expire"]:
        changes.append(ExpireAgreement(form["expire"]))
    if form["marking"].strip():
        changes.append(Relabel(parse_marking(form["marking"].strip(), groups=groups, on=today)))
    when = forms.start_of_day(form["on"], "on")
    if when is not None:
        changes.append(AtTime(when + timedelta(hours=12)))  # midday: the whole day's state
    return changes


@router.get("/policy/what-if")
def what_if(
    request: Request,
    page: OfficerPage,
    person: Annotated[str, Query(max_length=64)] = "",
    resource: Annotated[str, Query(max_length=64)] = "",
    action: Annotated[str, Query(max_length=16)] = "read",
    add_nation: Annotated[str, Query(max_length=200)] = "",
    remove_nation: Annotated[str, Query(max_length=200)] = "",
    clearance: Annotated[str, Query(max_length=8)] = "",
    clearance_expires: Annotated[str, Query(max_length=10)] = "",
    join: Annotated[str, Query(max_length=64)] = "",
    leave: Annotated[str, Query(max_length=64)] = "",
    expire: Annotated[str, Query(max_length=64)] = "",
    on: Annotated[str, Query(max_length=10)] = "",
    marking: Annotated[str, Query(max_length=4000)] = "",
) -> HTMLResponse:
    """The decision on a resource now and under hypothetical changes to the person, the
    world or the resource's label."""
    node, officer = node_of(request), page.principal
    assert officer is not None
    form = {
        "person": person,
        "resource": resource,
        "action": _action(action).value,
        "add_nation": add_nation,
        "remove_nation": remove_nation,
        "clearance": clearance,
        "clearance_expires": clearance_expires,
        "join": join,
        "leave": leave,
        "expire": expire,
        "on": on,
        "marking": marking,
    }
    people, visible = _choices(request, officer)
    projects = node.projects.list_projects()
    agreements = node.agreements.list_agreements(officer)
    names = {p.id: p.name for p in projects} | {a.id: a.name for a in agreements}
    before = after = chosen = None
    rows: list[Compared] = []
    asked: list[str] = []
    error, status = None, 200
    # A link from "explain" carries only the question; a submitted form also the changes.
    if person and resource and "clearance" in request.query_params:
        try:
            chosen = node.policy.get(officer, resource)
            changes = _changes(form, node.registry.directory(), node.uow.clock().date())
            result = node.policy.what_if(
                officer,
                person=person,
                resource_id=resource,
                action=_action(action),
                changes=changes,
            )
        except CaveatError as exc:
            error, status = forms.refusal(exc)
            chosen = None
        else:
            before = officer_view(result.before, Audience.OFFICER)
            after = officer_view(result.after, Audience.OFFICER)
            rows = _compare(before, after)
            asked = [_described(c, names) for c in changes]
    if chosen is not None:
        page.show(chosen.label)
    return render(
        request,
        "policy_what_if.html",
        page,
        status=status,
        people=people,
        resources=[_row(v) for v in visible],
        projects=projects,
        agreements=agreements,
        levels=list(CommonLevel),
        asked=asked,
        form=form,
        actions=ACTIONS,
        before=before,
        after=after,
        rows=rows,
        chosen=None if chosen is None else _row(chosen),
        error=error,
    )
