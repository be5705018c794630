"""Administration pages: people, clearances, organisations and groups (operators,
security officers), a person's caveats (security officers), and the node's keys and
artifact verification (operators).

Risky changes of a person (suspension, roles, clearance, nationalities) are two steps:
the first submission shows what the change would do to what the person may read and
asks for a reason; only the confirmation makes it. Reading on is a request a second
security officer of the person's organisation approves on this page.

The keys page shows public keys, key ids, fingerprints and counts only: never a
private key, the session secret or key-encryption key material.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import quote

import segno
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from caveat.api.problems import STATUS
from caveat.domain.errors import CaveatError, InvalidInput
from caveat.domain.identity import (
    Clearance,
    CommonLevel,
    OrganisationKind,
    Person,
    PersonStatus,
    Role,
)
from caveat.domain.permissions import Act
from caveat.services.artifacts import RotationReport, VerifyReport
from caveat.services.identity import MfaSecrets
from caveat.services.ledger import EventFilter
from caveat.services.policy import Effect
from caveat.web import forms
from caveat.web.pages import PageContext, render
from caveat.web.session import AdminPage, ctx_of, node_of, permission_gate, role_gate

router = APIRouter(prefix="/admin", include_in_schema=False)
AUDIT_READERS = frozenset({Role.SECURITY_OFFICER, Role.AUDITOR})
EXPIRING_DAYS = 90


node_operator = permission_gate(Act.KEK_ROTATE, "this page is for node operators")
OperatorPage = Annotated[PageContext, Depends(node_operator)]
caveat_officer = role_gate(
    frozenset({Role.SECURITY_OFFICER}), "reading people on to caveats is for security officers"
)
CaveatPage = Annotated[PageContext, Depends(caveat_officer)]


def _codes(text: str) -> list[str]:
    return [c.strip().upper() for c in text.replace(";", ",").split(",") if c.strip()]


def _message(exc: CaveatError | ValueError) -> str:
    """A refusal's message for the form; a malformed value (ValueError) says what it is."""
    return forms.message(exc) if isinstance(exc, CaveatError) else str(exc)


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
        clearance = _clearance_from(form)
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
        message = _message(exc)
        return _new_person_form(request, page, form, error=message, status=422)
    return _secrets(request, page, account.person.username, account.mfa, account.one_time_password)


def _clearance_from(form: dict[str, object]) -> Clearance | None:
    """The clearance a form describes, or None when no level is chosen."""
    if not form["clearance_level"]:
        return None
    if not form["clearance_expires"]:
        raise InvalidInput("a clearance needs its expiry date", field="clearance_expires")
    level = CommonLevel(int(str(form["clearance_level"])))
    return Clearance(
        level,
        str(form["clearance_name"]) or level.name,
        str(form["clearance_nation"]).upper(),
        date.fromisoformat(str(form["clearance_expires"])),
    )


_CHANGE_FIELDS = (
    "citizenships",
    "residencies",
    "clearance_level",
    "clearance_name",
    "clearance_nation",
    "clearance_expires",
)


@router.post("/people/{username}/changes")
async def change_person(request: Request, username: str, page: AdminPage) -> Response:
    """Change roles, clearance or nationalities: only what differs from the account now.
    The first submission shows the effect and asks for a reason; the confirmation saves."""
    node, by = node_of(request), page.principal
    assert by is not None
    raw = await request.form()
    form: dict[str, object] = {k: str(raw.get(k, "")).strip() for k in _CHANGE_FIELDS}
    role_values = [str(r) for r in raw.getlist("roles")]
    form["roles"] = role_values
    reason = str(raw.get("reason", "")).strip()
    confirmed = str(raw.get("confirmed", "")) == "yes"
    who = node.people.get_person(username)
    try:
        clearance = _clearance_from(form)
        roles = {Role(r) for r in role_values}
        citizenships = _codes(str(form["citizenships"]))
        residencies = _codes(str(form["residencies"]))
        change: dict[str, Any] = {
            "roles": sorted(roles) if roles != set(who.roles) else None,
            "clearance": clearance if clearance not in (None, who.clearance) else None,
            "remove_clearance": clearance is None and who.clearance is not None,
            "citizenships": citizenships if tuple(citizenships) != who.citizenships else None,
            "residencies": residencies if tuple(residencies) != who.residencies else None,
        }
        if not confirmed:
            effect = node.effects.preview(by, username, **change)
            if not effect.changes:
                raise InvalidInput("nothing to change", code="nothing_to_change")
            return _person_page(request, page, username, form=form, confirm=effect)
        node.people.update_person(by, ctx_of(request), username, reason=reason, **change)
    except (CaveatError, ValueError) as exc:
        message = _message(exc)
        status = STATUS[exc.kind] if isinstance(exc, CaveatError) else 422
        return _person_page(request, page, username, error=message, form=form, status=status)
    return forms.done(f"/admin/people/{quote(username)}", "Saved; access follows at once.")


def _secrets(
    request: Request, page: PageContext, username: str, mfa: MfaSecrets, password: str | None
) -> HTMLResponse:
    qr = segno.make(mfa.totp_uri, error="m").svg_inline(scale=4)
    return render(
        request, "admin_secrets.html", page, username=username, mfa=mfa, password=password, qr=qr
    )


@router.post("/people/{username}/caveats")
def request_readon(
    request: Request,
    username: str,
    page: CaveatPage,
    caveat: Annotated[str, Form(max_length=120)] = "",
    until: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Ask for a person to be read on to a caveat (until the end of ``until`` when
    given); another security officer of their organisation approves it."""
    assert page.principal is not None
    wanted = caveat.strip().upper()
    try:
        last = forms.parse_day(until, "until") if until else None
        expires = None if last is None else datetime.combine(last, time(), UTC) + timedelta(1)
        node_of(request).grants.request_readon(
            page.principal,
            ctx_of(request),
            person=username,
            caveat=wanted,
            reason=reason,
            expires_at=expires,
        )
    except CaveatError as exc:
        message, status = forms.refusal(exc)
        values = {"caveat": caveat, "until": until, "reason": reason}
        return _person_page(
            request, page, username, caveat_error=message, caveat_form=values, status=status
        )
    note = f"Asked to read {username} on to {wanted}; another security officer approves it."
    return forms.done(f"/admin/people/{quote(username)}", note)


@router.post("/people/{username}/readons/{request_id}")
def decide_readon(
    request: Request,
    username: str,
    request_id: str,
    page: CaveatPage,
    decision: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Approve or deny a read-on someone else asked for."""
    assert page.principal is not None
    try:
        if decision not in ("approve", "deny"):
            raise InvalidInput("approve or deny", field="decision")
        made = node_of(request).grants.decide_readon(
            page.principal,
            ctx_of(request),
            request_id,
            approve=decision == "approve",
            reason=reason,
        )
    except CaveatError as exc:
        message, status = forms.refusal(exc)
        return _person_page(request, page, username, caveat_error=message, status=status)
    note = f"Read-on of {made.username} to {made.caveat}: {made.status}."
    return forms.done(f"/admin/people/{quote(username)}", note)


@router.post("/people/{username}/caveats/remove")
def revoke_caveat(
    request: Request,
    username: str,
    page: CaveatPage,
    caveat: Annotated[str, Form(max_length=120)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Read a person off a caveat, with a reason; access through it ends now."""
    assert page.principal is not None
    try:
        node_of(request).grants.revoke_caveat(
            page.principal, ctx_of(request), person=username, caveat=caveat, reason=reason
        )
    except CaveatError as exc:
        message, status = forms.refusal(exc)
        return _person_page(request, page, username, caveat_error=message, status=status)
    return forms.done(f"/admin/people/{quote(username)}", f"Read {username} off {caveat}.")


_STATUS_ACTIONS = {"suspend": PersonStatus.SUSPENDED, "reactivate": PersonStatus.ACTIVE}


@router.post("/people/{username}/{action}")
def person_action(
    request: Request,
    username: str,
    action: str,
    page: AdminPage,
    reason: Annotated[str, Form(max_length=2000)] = "",
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Suspend, reactivate, unlock or reset MFA of an account. Suspending and
    reactivating first show their effect and ask for a reason; the confirmation acts."""
    node, ctx, by = node_of(request), ctx_of(request), page.principal
    assert by is not None
    if action == "reset-mfa":
        person, mfa = node.people.reset_mfa(by, ctx, username, reason=reason)
        return _secrets(request, page, person.username, mfa, None)
    if action == "unlock":
        node.people.unlock(by, ctx, username, reason=reason)
        return forms.done("/admin/people", f"{username}: {action} done.")
    if action not in _STATUS_ACTIONS:
        raise InvalidInput(f"unknown action {action!r}", field="action")
    status = _STATUS_ACTIONS[action]
    try:
        if confirmed != "yes":
            effect = node.effects.preview(by, username, status=status)
            return _confirm_page(request, page, username, action, effect)
        node.people.set_status(by, ctx, username, status, reason=reason)
    except CaveatError as exc:
        message, code = forms.refusal(exc)
        if confirmed != "yes":
            return _person_page(request, page, username, error=message, status=code)
        effect = node.effects.preview(by, username, status=status)
        return _confirm_page(request, page, username, action, effect, message, reason, code)
    return forms.done("/admin/people", f"{username}: {action} done.")


def _confirm_page(
    request: Request,
    page: PageContext,
    username: str,
    action: str,
    effect: Effect,
    error: str | None = None,
    reason: str = "",
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "admin_person_confirm.html",
        page,
        status=status,
        username=username,
        action=action,
        effect=effect,
        error=error,
        reason=reason,
    )


@router.get("/people/{username}")
def person(request: Request, username: str, page: AdminPage) -> HTMLResponse:
    """One account: identity, nations, clearance, roles, projects and recent activity."""
    return _person_page(request, page, username)


def _person_form(who: Person) -> dict[str, object]:
    c = who.clearance
    return {
        "roles": [r.value for r in who.roles],
        "citizenships": ", ".join(who.citizenships),
        "residencies": ", ".join(who.residencies),
        "clearance_level": "" if c is None else str(int(c.level)),
        "clearance_name": "" if c is None else c.national_name,
        "clearance_nation": "" if c is None else c.granting_nation,
        "clearance_expires": "" if c is None else c.expires.isoformat(),
    }


def _person_page(
    request: Request,
    page: PageContext,
    username: str,
    *,
    error: str | None = None,
    form: dict[str, object] | None = None,
    caveat_error: str | None = None,
    caveat_form: dict[str, str] | None = None,
    confirm: Effect | None = None,
    status: int = 200,
) -> HTMLResponse:
    node = node_of(request)
    assert page.principal is not None
    who = node.people.get_person(username)
    officer = page.principal
    history: list[Any] = []
    if page.holds(*AUDIT_READERS):
        history = node.audit.person_history(page.principal, who.id, limit=25).entries
    now = node.uow.clock()
    today = now.date()
    mine = who.organisation_id == officer.person.organisation_id
    caveats = readons = None
    if page.holds(Role.SECURITY_OFFICER) and mine:  # officers of the person's organisation
        caveats = node.holdings.caveats(officer, who.id)
        readons = [
            (r, node.grants.may_decide(officer, r))
            for r in node.grants.readon_requests(officer, person=who.id)
        ]
    return render(
        request,
        "admin_person.html",
        page,
        status=status,
        error=error,
        form=form or _person_form(who),
        roles=list(Role),
        levels=list(CommonLevel),
        p=who,
        standing=_standing(who, today),
        projects=node.projects.projects_of(who.id),
        history=history,
        audit_reader=page.holds(*AUDIT_READERS),
        caveats=caveats,
        readons=readons,
        caveat_error=caveat_error,
        caveat_form=caveat_form or {"caveat": "", "until": "", "reason": ""},
        confirm=confirm,
    )


@dataclass(frozen=True, slots=True)
class Standing:
    """A clearance as the list shows it: days left and whether it needs attention."""

    person: Person
    days_left: int
    state: str  # expired | expiring | valid


def _standing(person: Person, today: date) -> Standing | None:
    if person.clearance is None:
        return None
    left = (person.clearance.expires - today).days
    state = "expired" if left < 0 else ("expiring" if left <= EXPIRING_DAYS else "valid")
    return Standing(person, left, state)


@router.get("/clearances")
def clearances(request: Request, page: AdminPage) -> HTMLResponse:
    """Every clearance by expiry, the expired and soon-expiring ones first."""
    node = node_of(request)
    today = node.uow.clock().date()
    people = node.people.list_people()
    held = [s for s in (_standing(p, today) for p in people) if s is not None]
    held.sort(key=lambda s: (s.days_left, s.person.username))
    return render(
        request,
        "admin_clearances.html",
        page,
        held=held,
        uncleared=[p for p in people if p.clearance is None],
        today=today,
        horizon=EXPIRING_DAYS,
        expired=sum(1 for s in held if s.state == "expired"),
        expiring=sum(1 for s in held if s.state == "expiring"),
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
        message = _message(exc)
        return organisations(request, page, error=message, status=422)
    return forms.done("/admin/organisations", f"Registered {name}.")


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
        message = _message(exc)
        return groups(request, page, error=message, status=422)
    return forms.done("/admin/groups", f"Created {code}.")


# --- keys --------------------------------------------------------------------------------


def fingerprint(public_key_b64: str) -> str:
    """SHA-256 of a raw public key, in colon-separated hex pairs (what operators compare)."""
    digest = hashlib.sha256(base64.b64decode(public_key_b64)).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


@router.get("/keys")
def keys(request: Request, page: OperatorPage) -> HTMLResponse:
    """Which keys the node holds and how they stand; public parts and counts only."""
    return _keys_page(request, page)


Count = Annotated[int, Form(ge=0)]


@dataclass(frozen=True, slots=True)
class VerifyRun:
    """A verification of every artifact as the page shows it: totals so far, where the
    next batch starts, and this batch's problems."""

    report: VerifyReport  # running totals; problems of the latest batch only
    problems_so_far: int

    @property
    def finished(self) -> bool:
        return self.report.next_after is None


@router.post("/keys/verify")
def verify(
    request: Request,
    page: OperatorPage,
    after: Annotated[str, Form(max_length=36)] = "",
    artifacts: Count = 0,
    versions: Count = 0,
    checked_bytes: Count = 0,
    problems: Count = 0,
) -> HTMLResponse:
    """Check every artifact's binding, label, keys and bytes, one batch per request: the
    page asks for the next batch itself (htmx) or offers a Continue button, and shows the
    progress. The report names ids only; each problem is also an integrity event (and
    alert) recorded by the service. The running totals travel in the form: they only
    describe this run to the person running it."""
    assert page.principal is not None
    node = node_of(request)
    try:
        batch = node.artifact_admin.verify(
            page.principal, ctx_of(request), after=after or None, limit=node.settings.verify_batch
        )
    except CaveatError as exc:  # the artifact to continue after has gone: start again
        message, status = forms.refusal(exc)
        return _keys_page(request, page, verify_error=message, code=status)
    run = VerifyRun(
        VerifyReport(
            artifacts + batch.artifacts,
            versions + batch.versions,
            checked_bytes + batch.bytes,
            batch.problems,
            batch.total,
            batch.next_after,
        ),
        problems + len(batch.problems),
    )
    if request.headers.get("hx-request"):
        return render(request, "_verify_run.html", page, run=run, oob=True)
    return _keys_page(request, page, run)


@router.post("/keys/rotate")
def rotate(
    request: Request,
    page: OperatorPage,
    confirm: Annotated[str, Form(max_length=8)] = "",
    reencrypt: Annotated[str, Form(max_length=8)] = "",
    disable_old: Annotated[str, Form(max_length=8)] = "",
) -> HTMLResponse:
    """A new primary key-encryption key, every data key rewrapped (or re-encrypted)."""
    assert page.principal is not None
    if confirm != "on":
        return _keys_page(
            request, page, rotate_error="Confirm that keys/ is backed up first.", code=422
        )
    try:
        done = node_of(request).artifact_admin.rotate(
            page.principal,
            ctx_of(request),
            reencrypt=reencrypt == "on",
            disable_old=disable_old == "on",
        )
    except CaveatError as exc:
        message, status = forms.refusal(exc)
        return _keys_page(request, page, rotate_error=message, code=status)
    return _keys_page(request, page, rotated=done)


def _keys_page(
    request: Request,
    page: PageContext,
    run: VerifyRun | None = None,
    *,
    rotated: RotationReport | None = None,
    rotate_error: str | None = None,
    verify_error: str | None = None,
    code: int = 200,
) -> HTMLResponse:
    node = node_of(request)
    status = node.artifact_admin.key_status()
    primary = next((k for k in status.keys if k.primary), None)
    on_old = sum(
        n for key_id, n in status.wrapped.items() if primary is None or key_id != primary.key_id
    )
    rotations: list[Any] = []
    if page.holds(*AUDIT_READERS):
        assert page.principal is not None
        found = node.audit.search(page.principal, EventFilter(action="kek.*"), limit=20)
        rotations = found.entries
    return render(
        request,
        "admin_keys.html",
        page,
        identity=node.identity,
        node_fingerprint=fingerprint(node.identity.signing_public_key),
        origin=node.ledger.origin,
        log_vkey=node.ledger.verifier().vkey,
        witness_vkey=node.witnesses.cosigner_vkey(),
        latest=node.ledger.latest_checkpoint(),
        kek=status,
        primary=primary,
        on_old=on_old,
        rotations=rotations,
        audit_reader=page.holds(*AUDIT_READERS),
        key_directory=str(node.keys.directory),
        run=run,
        rotated=rotated,
        rotate_error=rotate_error,
        verify_error=verify_error,
        verify_batch=node.settings.verify_batch,
        oob=False,  # the full page lists the step's problems in place
        status=code,
    )
