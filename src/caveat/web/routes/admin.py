"""Administration pages: people, organisations and groups (operators, security officers)."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from caveat.domain.errors import CaveatError, InvalidInput
from caveat.domain.identity import Clearance, CommonLevel, OrganisationKind, PersonStatus, Role
from caveat.services.people import MfaSecrets
from caveat.web.pages import PageContext, render
from caveat.web.session import AdminPage, ctx_of, node_of

router = APIRouter(prefix="/admin", include_in_schema=False)


def _codes(text: str) -> list[str]:
    return [c.strip().upper() for c in text.replace(";", ",").split(",") if c.strip()]


def _message(exc: CaveatError) -> str:
    where = f" ({exc.field})" if exc.field else ""
    hint = f" — {exc.hint}" if exc.hint else ""
    return f"{exc.detail}{where}{hint}"


@router.get("/people")
def people(request: Request, page: AdminPage) -> HTMLResponse:
    """Every account with its actions."""
    return render(request, "admin_people.html", page, people=node_of(request).people.list_people())


def _new_person_form(
    request: Request,
    page: PageContext,
    form: dict[str, object],
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "admin_person_new.html",
        page,
        status=status,
        error=error,
        form=form,
        organisations=node_of(request).registry.list_organisations(),
        roles=list(Role),
        levels=list(CommonLevel),
    )


_EMPTY_FORM: dict[str, object] = {
    "username": "",
    "display_name": "",
    "email": "",
    "organisation": "",
    "citizenships": "",
    "residencies": "",
    "roles": ["researcher"],
    "clearance_level": "",
    "clearance_name": "",
    "clearance_nation": "",
    "clearance_expires": "",
}


@router.get("/people/new")
def new_person(request: Request, page: AdminPage) -> HTMLResponse:
    """The form for a new account."""
    return _new_person_form(request, page, dict(_EMPTY_FORM))


@router.post("/people/new")
async def create_person(request: Request, page: AdminPage) -> Response:
    """Create the account and show its one-time secrets once."""
    raw = await request.form()
    form: dict[str, object] = {k: str(raw.get(k, "")) for k in _EMPTY_FORM if k != "roles"}
    roles = [str(r) for r in raw.getlist("roles")]
    form["roles"] = roles
    try:
        clearance = None
        if form["clearance_level"]:
            if not form["clearance_expires"]:
                raise InvalidInput("a clearance needs its expiry date", field="clearance_expires")
            level = CommonLevel(int(str(form["clearance_level"])))
            clearance = Clearance(
                level,
                str(form["clearance_name"]) or level.name,
                str(form["clearance_nation"]).upper(),
                date.fromisoformat(str(form["clearance_expires"])),
            )
        assert page.principal is not None
        account = node_of(request).people.create_person(
            page.principal,
            ctx_of(request),
            username=str(form["username"]),
            display_name=str(form["display_name"]),
            email=str(form["email"]),
            organisation=str(form["organisation"]),
            citizenships=_codes(str(form["citizenships"])),
            residencies=_codes(str(form["residencies"])),
            roles=[Role(r) for r in roles] or [Role.RESEARCHER],
            clearance=clearance,
        )
    except (CaveatError, ValueError) as exc:
        message = _message(exc) if isinstance(exc, CaveatError) else str(exc)
        return _new_person_form(request, page, form, error=message, status=422)
    return _secrets(request, page, account.person.username, account.mfa, account.one_time_password)


def _secrets(
    request: Request, page: PageContext, username: str, mfa: MfaSecrets, password: str | None
) -> HTMLResponse:
    qr = segno.make(mfa.totp_uri, error="m").svg_inline(scale=4)
    return render(
        request, "admin_secrets.html", page, username=username, mfa=mfa, password=password, qr=qr
    )


@router.post("/people/{username}/{action}")
def person_action(request: Request, username: str, action: str, page: AdminPage) -> Response:
    """Suspend, reactivate, unlock or reset MFA of an account."""
    node, ctx, by = node_of(request), ctx_of(request), page.principal
    assert by is not None
    if action == "reset-mfa":
        person, mfa = node.people.reset_mfa(by, ctx, username)
        return _secrets(request, page, person.username, mfa, None)
    if action == "suspend":
        node.people.set_status(by, ctx, username, PersonStatus.SUSPENDED)
    elif action == "reactivate":
        node.people.set_status(by, ctx, username, PersonStatus.ACTIVE)
    elif action == "unlock":
        node.people.unlock(by, ctx, username)
    else:
        raise InvalidInput(f"unknown action {action!r}", field="action")
    return RedirectResponse(
        f"/admin/people?done={quote(f'{username}: {action} done.')}", status_code=303
    )


@router.get("/organisations")
def organisations(
    request: Request, page: AdminPage, error: str | None = None, status: int = 200
) -> HTMLResponse:
    """Registered organisations and a form for a new one."""
    return render(
        request,
        "admin_organisations.html",
        page,
        status=status,
        error=error,
        organisations=node_of(request).registry.list_organisations(),
        kinds=list(OrganisationKind),
    )


@router.post("/organisations")
def create_organisation(
    request: Request,
    page: AdminPage,
    name: str = Form(max_length=200),
    nation: str = Form(max_length=3),
    kind: str = Form(),
    short_name: str = Form("", max_length=40),
) -> Response:
    """Register an organisation."""
    assert page.principal is not None
    try:
        node_of(request).registry.create_organisation(
            page.principal,
            ctx_of(request),
            name=name,
            nation=nation.upper(),
            kind=OrganisationKind(kind),
            short_name=short_name or None,
        )
    except (CaveatError, ValueError) as exc:
        message = _message(exc) if isinstance(exc, CaveatError) else str(exc)
        return organisations(request, page, error=message, status=422)
    return RedirectResponse(
        f"/admin/organisations?done={quote(f'Registered {name}.')}", status_code=303
    )


@router.get("/groups")
def groups(
    request: Request,
    page: AdminPage,
    on: date | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    """Built-in and custom groups with their members on a day."""
    node = node_of(request)
    day = on or node.uow.clock().date()
    return render(
        request,
        "admin_groups.html",
        page,
        status=status,
        error=error,
        day=day,
        groups=node.registry.directory().all(),
    )


@router.post("/groups")
def create_group(
    request: Request,
    page: AdminPage,
    code: str = Form(max_length=16),
    name: str = Form(max_length=200),
    members: str = Form(max_length=2000),
    valid_from: str = Form(""),
    source: str = Form("", max_length=2000),
) -> Response:
    """Create a custom group."""
    assert page.principal is not None
    try:
        node_of(request).registry.create_group(
            page.principal,
            ctx_of(request),
            code=code.strip().upper(),
            name=name,
            members=_codes(members),
            source=source,
            valid_from=date.fromisoformat(valid_from) if valid_from else None,
        )
    except (CaveatError, ValueError) as exc:
        message = _message(exc) if isinstance(exc, CaveatError) else str(exc)
        return groups(request, page, error=message, status=422)
    return RedirectResponse(f"/admin/groups?done={quote(f'Created {code}.')}", status_code=303)
