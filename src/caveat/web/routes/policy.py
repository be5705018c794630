"""The policy in the browser: the catalogue you may see, your own "why not", and for
security officers "explain a person's access" and "who can see X".

What each audience sees is the policy service's (ADR 0006): the subject view only for
resources the subject may discover (anything else is the same "not found" a missing
resource gives); the officer view only for people of the officer's organisation and
resources the officer may discover.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from caveat.api.problems import STATUS
from caveat.domain.errors import CaveatError, ErrorKind, NotFound, PermissionDenied
from caveat.domain.identity import Role
from caveat.domain.policy import Action
from caveat.services.policy import ResourceView
from caveat.services.principal import Principal
from caveat.web.labelling import portion, style
from caveat.web.pages import PageContext, render
from caveat.web.session import Page, node_of, signed_in

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
ACTIONS = [a.value for a in Action]


def security_officer(page: Annotated[PageContext, Depends(signed_in)]) -> PageContext:
    """The page context of a security officer."""
    if page.principal is None or Role.SECURITY_OFFICER not in page.principal.roles:
        raise PermissionDenied("this page is for security officers", code="role_missing")
    return page


OfficerPage = Annotated[PageContext, Depends(security_officer)]


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
    page.labels.extend(v.label for v in listing.items if v.label is not None)
    return render(
        request,
        "resources.html",
        page,
        rows=[_row(v) for v in listing.items],
        total=listing.total,
        paged=after is not None,
        next_after=listing.next_after,
    )


@router.get("/resources/{resource_id}")
def resource(request: Request, resource_id: str, page: Page) -> Response:
    """A resource's label and, for the viewer, why they may or may not read it."""
    node, principal = node_of(request), page.principal
    assert principal is not None
    view = node.policy.get(principal, resource_id)  # not found unless discoverable
    try:
        node.artifacts.show(principal, resource_id)
    except NotFound:
        pass  # a catalogue entry without content
    else:
        return RedirectResponse(f"/artifacts/{resource_id}", status_code=303)
    if view.label is not None:
        page.labels.append(view.label)
    mine = {a: node.policy.my_decision(principal, resource_id, a) for a in (Action.READ,)}
    return render(
        request,
        "resource.html",
        page,
        r=_row(view),
        read=mine[Action.READ],
        officer=Role.SECURITY_OFFICER in principal.roles,
    )


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
            if exc.kind in (ErrorKind.INTEGRITY, ErrorKind.INTERNAL):
                raise
            error, status, result = exc.detail, STATUS[exc.kind], None
    if chosen is not None and chosen.label is not None and error is None:
        page.labels.append(chosen.label)
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
    """Every person's decision on a resource the officer may discover."""
    node, officer = node_of(request), page.principal
    assert officer is not None
    _, visible = _choices(request, officer)
    rows, error, status, chosen = None, None, 200, None
    if resource:
        try:
            chosen = node.policy.get(officer, resource)
            rows = node.policy.who_can(officer, resource_id=resource, action=_action(action))
        except CaveatError as exc:
            if exc.kind in (ErrorKind.INTEGRITY, ErrorKind.INTERNAL):
                raise
            error, status, chosen = exc.detail, STATUS[exc.kind], None
    if chosen is not None and chosen.label is not None:
        page.labels.append(chosen.label)
    return render(
        request,
        "policy_who_can.html",
        page,
        status=status,
        resources=[_row(v) for v in visible],
        form={"resource": resource, "action": _action(action).value},
        actions=ACTIONS,
        rows=rows,
        chosen=None if chosen is None else _row(chosen),
        error=error,
    )
