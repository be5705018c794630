"""Agreements, export authorizations, embargoes and denied-party screening in the browser.

Every page calls the service the API and the CLI call, as the signed-in person, so the
services alone decide who may read and who may write: a refusal becomes the friendly
403 page. A form the service rejects is shown again, with what was typed and the
service's own message (for a list file, the line and column of the fault).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from caveat.domain.compliance import (
    AgreementKind,
    AuthorizationType,
    DisputeMechanism,
    ForegroundRule,
    HitStatus,
)
from caveat.domain.errors import CaveatError, ErrorKind, InvalidInput
from caveat.domain.identity import Role
from caveat.domain.lifecycles import (
    AGREEMENT,
    AUTHORIZATION,
    SCREENING_HIT,
    AuthorizationStatus,
)
from caveat.services.compliance import (
    FILE_COLUMNS,
    Agreement,
    AgreementDraft,
    Authorization,
    AuthorizationDraft,
    EmbargoDraft,
    ListFormat,
    NameCheck,
)
from caveat.web import forms
from caveat.web.pages import PageContext, render
from caveat.web.routes.artifacts import level_names
from caveat.web.session import Page, ctx_of, node_of

router = APIRouter(include_in_schema=False)
EXPIRING_DAYS = 30
MAX_LIST_BYTES = 64 * 1024 * 1024  # as the API: the full OFAC SDN file fits
# Errors a person can fix in the form; the others (denied, integrity) get their own page.
_FORM_KINDS = forms.FIXABLE | {ErrorKind.TOO_LARGE}


# --- shared helpers ----------------------------------------------------------------------


def _refusal(exc: CaveatError) -> tuple[str, int]:
    """The service's message for a form (detail, field, what to do) and its status."""
    return forms.refusal(exc, _FORM_KINDS, field=exc.field != "file")


def _split(text: str) -> tuple[str, ...]:
    """Comma- or line-separated values, stripped, empty ones dropped."""
    return tuple(v.strip() for v in text.replace("\n", ",").split(",") if v.strip())


def _codes(text: str) -> tuple[str, ...]:
    return tuple(v.upper() for v in _split(text.replace(";", ",")))


def _day(value: str, name: str, *, required: bool = False) -> date | None:
    value = value.strip()
    if not value and required:
        raise InvalidInput(f"{name.replace('_', ' ')} needs a date", field=name)
    return forms.optional_date(value, name)


def _level(value: str, name: str = "max_level") -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        raise InvalidInput("choose a classification level", field=name)
    return int(value)


async def _fields(request: Request, names: Iterable[str]) -> dict[str, str]:
    """The named text fields of the posted form ('' when absent)."""
    raw = await request.form()
    return {k: str(raw.get(k) or "") for k in names}


def _names(request: Request) -> dict[str, str]:
    """Display names of organisations, programmes, projects and people by id (ids are
    UUIDs, so one map serves them all); services store references as ids."""
    node = node_of(request)
    names = {o.id: o.name for o in node.registry.list_organisations()}
    names |= {p.id: p.name for p in node.programmes.list_programmes()}
    names |= {p.id: p.name for p in node.projects.list_projects()}
    names |= {p.id: f"{p.display_name} ({p.username})" for p in node.people.list_people()}
    return names


def _today(request: Request) -> date:
    return node_of(request).uow.clock().date()


def _levels(request: Request, page: PageContext) -> list[tuple[int, str]]:
    assert page.principal is not None
    return level_names(request, page.principal)


# --- agreements --------------------------------------------------------------------------

_AGREEMENT_FIELDS = (
    "name",
    "kind",
    "party_nations",
    "party_organisations",
    "programmes",
    "projects",
    "technology_areas",
    "scope",
    "controls",
    "max_level",
    "releasability",
    "effective_on",
    "expires_on",
    "background",
    "foreground",
    "licences",
    "review_days",
    "mechanism",
    "venue",
    "governing_law",
    "text_resource_id",
    "note",
)
_EMPTY_AGREEMENT: dict[str, str] = {k: "" for k in _AGREEMENT_FIELDS} | {
    "kind": AgreementKind.MOU.value,
    "scope": "any",
    "max_level": "2",
    "foreground": ForegroundRule.GENERATING_PARTY.value,
    "review_days": "30",
    "mechanism": DisputeMechanism.CONSULTATION.value,
}
KIND_NAMES = {
    AgreementKind.MOU.value: "MoU",
    AgreementKind.PROJECT_ARRANGEMENT.value: "project arrangement",
    AgreementKind.TAA.value: "technical assistance agreement",
    AgreementKind.NDA.value: "NDA",
    AgreementKind.DATA_EXCHANGE.value: "data exchange agreement",
}
FOREGROUND_NAMES = {
    ForegroundRule.GENERATING_PARTY.value: "the party that generates it",
    ForegroundRule.JOINT.value: "the parties jointly",
    ForegroundRule.LEAD.value: "the lead party",
}
VERB_LABELS = {
    "activate": "Bring into force",
    "suspend": "Suspend",
    "resume": "Resume",
    "expire": "Mark expired",
    "terminate": "Terminate",
    "reinstate": "Reinstate",
    "revoke": "Revoke",
}


def _pairs(text: str, field: str, *, owner_last: bool) -> list[tuple[str, str]]:
    """Lines of ``a, b``: the owner is after the last comma; a licence's right after the first."""
    pairs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        a, sep, b = line.rpartition(",") if owner_last else line.partition(",")
        if not sep or not a.strip() or not b.strip():
            shape = "item, owner" if owner_last else "party, right granted"
            raise InvalidInput(f"line {number} should read '{shape}'", field=field)
        pairs.append((a.strip(), b.strip()))
    return pairs


def agreement_draft(form: Mapping[str, str]) -> AgreementDraft:
    """The service's draft from the form's text fields."""
    try:
        kind = AgreementKind(form["kind"])
    except ValueError:
        raise InvalidInput("choose the kind of agreement", field="kind") from None
    controls: tuple[str, ...] | None = _split(form["controls"])
    if form["scope"] != "listed":
        if controls:
            raise InvalidInput(
                "choose 'only the entries listed' to limit the scope to control entries",
                field="controls",
            )
        controls = None
    days = form["review_days"].strip() or "30"
    if not days.isdigit():
        raise InvalidInput("the publication review period is a number of days", field="review_days")
    level = _level(form["max_level"])
    if level is None:
        raise InvalidInput("choose the highest classification", field="max_level")
    effective = _day(form["effective_on"], "effective_on", required=True)
    assert effective is not None
    return AgreementDraft(
        name=form["name"],
        kind=kind,
        effective_on=effective,
        expires_on=_day(form["expires_on"], "expires_on"),
        max_level=level,
        party_nations=_codes(form["party_nations"]),
        party_organisations=_split(form["party_organisations"]),
        programmes=_split(form["programmes"]),
        projects=_split(form["projects"]),
        technology_areas=_split(form["technology_areas"]),
        controls=controls,
        releasability=_codes(form["releasability"]),
        ip_terms={
            "background": [
                {"item": i, "owner": o}
                for i, o in _pairs(form["background"], "background", owner_last=True)
            ],
            "foreground": form["foreground"],
            "licences": [
                {"party": p, "right": r}
                for p, r in _pairs(form["licences"], "licences", owner_last=False)
            ],
            "publication_review_days": int(days),
        },
        disputes={
            "mechanism": form["mechanism"],
            "venue": form["venue"],
            "governing_law": form["governing_law"],
        },
        text_resource_id=form["text_resource_id"].strip() or None,
    )


def agreement_form(a: Agreement, names: Mapping[str, str]) -> dict[str, str]:
    """The form's fields holding an agreement's current terms (to amend them)."""
    ip, disputes = a.ip_terms, a.disputes
    return _EMPTY_AGREEMENT | {
        "name": a.name,
        "kind": a.kind,
        "party_nations": ", ".join(a.party_nations),
        "party_organisations": ", ".join(names.get(o, o) for o in a.party_organisations),
        "programmes": ", ".join(names.get(p, p) for p in a.programmes),
        "projects": ", ".join(names.get(p, p) for p in a.projects),
        "technology_areas": ", ".join(a.technology_areas),
        "scope": "any" if a.controls is None else "listed",
        "controls": ", ".join(a.controls or ()),
        "max_level": str(a.max_level),
        "releasability": ", ".join(a.releasability),
        "effective_on": a.effective_on.isoformat(),
        "expires_on": a.expires_on.isoformat() if a.expires_on else "",
        "background": "\n".join(f"{b['item']}, {b['owner']}" for b in ip.get("background", [])),
        "foreground": str(ip.get("foreground", ForegroundRule.GENERATING_PARTY.value)),
        "licences": "\n".join(f"{x['party']}, {x['right']}" for x in ip.get("licences", [])),
        "review_days": str(ip.get("publication_review_days", 30)),
        "mechanism": str(disputes.get("mechanism", DisputeMechanism.CONSULTATION.value)),
        "venue": str(disputes.get("venue", "")),
        "governing_law": str(disputes.get("governing_law", "")),
        "text_resource_id": a.text_resource_id or "",
    }


@dataclass(frozen=True, slots=True)
class AgreementRow:
    """One listed agreement and how soon it ends."""

    a: Agreement
    parties: str
    days_left: int | None  # set when it ends within EXPIRING_DAYS and is not closed


def _expiring(a: Agreement, today: date) -> int | None:
    if a.expires_on is None or a.status in ("expired", "terminated"):
        return None
    left = (a.expires_on - today).days
    return left if 0 <= left <= EXPIRING_DAYS else None


def _form_values(request: Request, page: PageContext) -> dict[str, Any]:
    return {
        "kinds": list(AgreementKind),
        "kind_names": KIND_NAMES,
        "levels": _levels(request, page),
        "foregrounds": list(ForegroundRule),
        "foreground_names": FOREGROUND_NAMES,
        "mechanisms": list(DisputeMechanism),
    }


def _agreements_page(
    request: Request,
    page: PageContext,
    form: dict[str, str],
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    node = node_of(request)
    assert page.principal is not None
    found = node.agreements.list_agreements(page.principal)
    names, today = _names(request), _today(request)
    rows = [
        AgreementRow(
            a,
            ", ".join([*a.party_nations, *(names.get(o, o) for o in a.party_organisations)]),
            _expiring(a, today),
        )
        for a in found
    ]
    return render(
        request,
        "agreements.html",
        page,
        status=status,
        rows=rows,
        expiring=sum(1 for r in rows if r.days_left is not None),
        window=EXPIRING_DAYS,
        manager=page.holds(Role.AGREEMENT_MANAGER),
        form=form,
        error=error,
        levels_by=dict(_levels(request, page)),
        **_form_values(request, page),
    )


@router.get("/agreements")
def agreements(request: Request, page: Page) -> HTMLResponse:
    """Every agreement with its status and dates; the form for a new one (managers)."""
    return _agreements_page(request, page, dict(_EMPTY_AGREEMENT))


@router.post("/agreements")
async def create_agreement(request: Request, page: Page) -> Response:
    """Record a draft agreement."""
    form = await _fields(request, _AGREEMENT_FIELDS)
    assert page.principal is not None
    try:
        made = node_of(request).agreements.create(
            page.principal, ctx_of(request), agreement_draft(form)
        )
    except CaveatError as exc:
        return _agreements_page(request, page, form, *_refusal(exc))
    return forms.done(f"/agreements/{made.id}", f"Recorded {made.name} as a draft.")


@dataclass(frozen=True, slots=True)
class Version:
    """One version of the terms and what it changed from the one before."""

    number: int
    at: str
    by: str
    note: str
    changed: tuple[str, ...]


def _versions(a: Agreement, names: Mapping[str, str]) -> list[Version]:
    out: list[Version] = []
    before: dict[str, Any] | None = None
    for v in a.versions:
        terms: dict[str, Any] = v["terms"]
        changed: tuple[str, ...] = ()
        if before is not None:
            changed = tuple(k for k in terms if terms[k] != before.get(k))
        by = v["created_by"]
        out.append(
            Version(
                v["version"],
                str(v["created_at"])[:16].replace("T", " "),
                "console" if by is None else names.get(by, by),
                v["note"],
                tuple(k.replace("_", " ") for k in changed),
            )
        )
        before = terms
    return out


def _agreement_page(
    request: Request,
    page: PageContext,
    ref: str,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    move_error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    node = node_of(request)
    assert page.principal is not None
    a = node.agreements.get(page.principal, ref)
    party = node.agreements.may_change(page.principal, a)
    names = _names(request)
    return render(
        request,
        "agreement.html",
        page,
        status=status,
        a=a,
        names=names,
        versions=_versions(a, names),
        days_left=_expiring(a, _today(request)),
        # The lifecycle's verbs from the effective status (the service checks them again).
        verbs=[(v, VERB_LABELS[v]) for v in AGREEMENT.verbs_from(a.status)],
        # Agreements are changed by agreement managers of a party only.
        manager=party,
        outsider=page.holds(Role.AGREEMENT_MANAGER) and not party,
        form=form or agreement_form(a, names),
        open_amend=form is not None,
        error=error,
        move_error=move_error,
        levels_by=dict(_levels(request, page)),
        **_form_values(request, page),
    )


@router.get("/agreements/{ref}")
def agreement(request: Request, ref: str, page: Page) -> HTMLResponse:
    """Parties, scope, IP terms, disputes, versions; lifecycle and amendment (managers)."""
    return _agreement_page(request, page, ref)


@router.post("/agreements/{ref}/amend")
async def amend_agreement(request: Request, ref: str, page: Page) -> Response:
    """A new version of the terms, with the reason kept beside it."""
    form = await _fields(request, _AGREEMENT_FIELDS)
    assert page.principal is not None
    try:
        made = node_of(request).agreements.amend(
            page.principal, ctx_of(request), ref, agreement_draft(form), note=form["note"]
        )
    except CaveatError as exc:
        message, code = _refusal(exc)
        return _agreement_page(request, page, ref, form=form, error=message, status=code)
    return forms.done(f"/agreements/{made.id}", f"{made.name} is now at version {made.version}.")


@router.post("/agreements/{ref}/move")
def move_agreement(
    request: Request,
    ref: str,
    page: Page,
    verb: Annotated[str, Form(max_length=20)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Activate, suspend, resume, expire or terminate, effective at once."""
    assert page.principal is not None
    try:
        moved = node_of(request).agreements.move(
            page.principal, ctx_of(request), ref, verb, reason=reason
        )
    except CaveatError as exc:
        message, code = _refusal(exc)
        return _agreement_page(request, page, ref, move_error=message, status=code)
    now = moved.status.replace("_", " ")
    return forms.done(f"/agreements/{moved.id}", f"{moved.name} is now {now}.")


# --- export authorizations -----------------------------------------------------------------

_AUTHORIZATION_FIELDS = (
    "type",
    "jurisdiction",
    "number",
    "entries",
    "valid_from",
    "valid_to",
    "organisations",
    "nations",
    "people",
    "max_level",
    "no_retransfer",
    "provisos",
)
_EMPTY_AUTHORIZATION = {k: "" for k in _AUTHORIZATION_FIELDS} | {
    "type": AuthorizationType.DSP5.value,
    "jurisdiction": "USA",
}


def authorization_draft(form: Mapping[str, str]) -> AuthorizationDraft:
    """The service's draft from the form's text fields."""
    start = _day(form["valid_from"], "valid_from", required=True)
    assert start is not None
    return AuthorizationDraft(
        type=form["type"],
        jurisdiction=form["jurisdiction"].strip().upper(),
        number=form["number"],
        entries=_split(form["entries"]),
        valid_from=start,
        valid_to=_day(form["valid_to"], "valid_to"),
        organisations=_split(form["organisations"]),
        nations=_codes(form["nations"]),
        people=_split(form["people"]),
        max_level=_level(form["max_level"]),
        no_retransfer=form["no_retransfer"] == "on",
        provisos=form["provisos"],
    )


def _authorization_verbs(stored_status: str) -> list[tuple[str, str]]:
    return [(v, VERB_LABELS[v]) for v in AUTHORIZATION.verbs_from(stored_status)]


def _stored(status: str) -> str:
    """The stored status behind an effective one (expired and not yet valid are active)."""
    stopped = (AuthorizationStatus.SUSPENDED, AuthorizationStatus.REVOKED)
    return status if status in stopped else AuthorizationStatus.ACTIVE.value


def _end_users(z: Authorization, names: Mapping[str, str]) -> str:
    """Organisations and nations by name; named people counted (their names are on the page)."""
    users = [names.get(o, o) for o in z.organisations] + list(z.nations)
    if z.people:
        users.append(f"{len(z.people)} named {'person' if len(z.people) == 1 else 'people'}")
    return ", ".join(users)


def _authorizations_page(
    request: Request,
    page: PageContext,
    form: dict[str, str],
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    assert page.principal is not None
    found = node_of(request).authorizations.list_authorizations(page.principal)
    names = _names(request)
    return render(
        request,
        "authorizations.html",
        page,
        status=status,
        authorizations=found,
        end_users={z.id: _end_users(z, names) for z in found},
        officer=page.holds(Role.EXPORT_CONTROL_OFFICER),
        form=form,
        error=error,
        types=list(AuthorizationType),
        levels=_levels(request, page),
        levels_by=dict(_levels(request, page)),
    )


@router.get("/authorizations")
def authorizations(request: Request, page: Page) -> HTMLResponse:
    """Every export authorization; the form for a new one (export control officers)."""
    return _authorizations_page(request, page, dict(_EMPTY_AUTHORIZATION))


@router.post("/authorizations")
async def create_authorization(request: Request, page: Page) -> Response:
    """Record an export authorization."""
    form = await _fields(request, _AUTHORIZATION_FIELDS)
    assert page.principal is not None
    try:
        made = node_of(request).authorizations.create(
            page.principal, ctx_of(request), authorization_draft(form)
        )
    except CaveatError as exc:
        return _authorizations_page(request, page, form, *_refusal(exc))
    return forms.done(f"/authorizations/{made.id}", f"Recorded {made.type} {made.number}.")


def _authorization_page(
    request: Request, page: PageContext, ref: str, error: str | None = None, status: int = 200
) -> HTMLResponse:
    assert page.principal is not None
    auth = node_of(request).authorizations.get(page.principal, ref)
    return render(
        request,
        "authorization.html",
        page,
        status=status,
        z=auth,
        names=_names(request),
        levels_by=dict(_levels(request, page)),
        verbs=_authorization_verbs(_stored(auth.status)),
        officer=page.holds(Role.EXPORT_CONTROL_OFFICER),
        error=error,
    )


@router.get("/authorizations/{ref}")
def authorization(request: Request, ref: str, page: Page) -> HTMLResponse:
    """One authorization: entries, end users, provisos, validity; status moves (officers)."""
    return _authorization_page(request, page, ref)


@router.post("/authorizations/{ref}/move")
def move_authorization(
    request: Request,
    ref: str,
    page: Page,
    verb: Annotated[str, Form(max_length=20)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Suspend, reinstate or revoke, effective at once."""
    assert page.principal is not None
    try:
        moved = node_of(request).authorizations.move(
            page.principal, ctx_of(request), ref, verb, reason=reason
        )
    except CaveatError as exc:
        return _authorization_page(request, page, ref, *_refusal(exc))
    return forms.done(f"/authorizations/{moved.id}", f"{moved.number} is now {moved.status}.")


# --- embargoes -------------------------------------------------------------------------------

_EMBARGO_FIELDS = ("imposed_by", "nation", "regime", "valid_from", "valid_to", "source")


def _embargo_state(valid_from: date, valid_to: date | None, today: date) -> str:
    if today < valid_from:
        return "not yet in force"
    if valid_to is not None and today > valid_to:
        return "ended"
    return "in force"


def _embargoes_page(
    request: Request,
    page: PageContext,
    form: dict[str, str] | None = None,
    error: str | None = None,
    where: str = "",
    status: int = 200,
) -> HTMLResponse:
    assert page.principal is not None
    found = node_of(request).embargoes.list_embargoes(page.principal)
    today = _today(request)
    officer = bool(page.principal.roles & {Role.EXPORT_CONTROL_OFFICER, Role.NODE_OPERATOR})
    return render(
        request,
        "embargoes.html",
        page,
        status=status,
        rows=[(e, _embargo_state(e.valid_from, e.valid_to, today)) for e in found],
        officer=officer,
        form=form or {k: "" for k in _EMBARGO_FIELDS},
        error=error,
        where=where,  # which form the error belongs to: add, load or an embargo's id
        columns=",".join(FILE_COLUMNS),
        today=today.isoformat(),
    )


@router.get("/embargoes")
def embargoes(request: Request, page: Page) -> HTMLResponse:
    """Recorded embargoes with regime, source and dates; add, load and lift (officers)."""
    return _embargoes_page(request, page)


@router.post("/embargoes")
async def add_embargo(request: Request, page: Page) -> Response:
    """Record one dated, sourced embargo."""
    form = await _fields(request, _EMBARGO_FIELDS)
    assert page.principal is not None
    try:
        start = _day(form["valid_from"], "valid_from", required=True)
        assert start is not None
        made = node_of(request).embargoes.add(
            page.principal,
            ctx_of(request),
            EmbargoDraft(
                imposed_by=form["imposed_by"].strip().upper(),
                nation=form["nation"].strip().upper(),
                valid_from=start,
                valid_to=_day(form["valid_to"], "valid_to"),
                source=form["source"],
                regime=form["regime"],
            ),
        )
    except CaveatError as exc:
        message, code = _refusal(exc)
        return _embargoes_page(request, page, form, message, "add", code)
    return forms.done("/embargoes", f"Recorded the {made.imposed_by} embargo on {made.nation}.")


def _text_of(upload: UploadFile | None, what: str) -> str:
    """The uploaded file as UTF-8 text, refused when missing, too large or not text."""
    if upload is None or not upload.filename:
        raise InvalidInput(f"choose the {what} to upload", code="file_required", field="file")
    data = upload.file.read(MAX_LIST_BYTES + 1)
    if len(data) > MAX_LIST_BYTES:
        raise InvalidInput(
            f"the {what} is larger than {MAX_LIST_BYTES // (1024 * 1024)} MiB",
            code="file_too_large",
            field="file",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"the {what} is not UTF-8 text (byte {exc.start + 1})",
            code="invalid_encoding",
            field="file",
        ) from None


@router.post("/embargoes/load")
def load_embargoes(
    request: Request, page: Page, file: Annotated[UploadFile | None, File()] = None
) -> Response:
    """Record every embargo of a CSV file, all or nothing."""
    assert page.principal is not None
    try:
        made = node_of(request).embargoes.load(
            page.principal, ctx_of(request), _text_of(file, "CSV file")
        )
    except CaveatError as exc:
        message, code = _refusal(exc)
        return _embargoes_page(request, page, None, message, "load", code)
    return forms.done(
        "/embargoes", f"Recorded {len(made)} embargo{'es' if len(made) != 1 else ''}."
    )


@router.post("/embargoes/{embargo_id}/lift")
def lift_embargo(
    request: Request,
    embargo_id: str,
    page: Page,
    on: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """End an embargo on a day (its last day in force)."""
    assert page.principal is not None
    try:
        last = _day(on, "on", required=True)
        assert last is not None
        lifted = node_of(request).embargoes.lift(
            page.principal, ctx_of(request), embargo_id, on=last, reason=reason
        )
    except CaveatError as exc:
        message, code = _refusal(exc)
        return _embargoes_page(request, page, None, message, embargo_id, code)
    return forms.done(
        "/embargoes", f"The {lifted.imposed_by} embargo on {lifted.nation} ends {last}."
    )


# --- screening ---------------------------------------------------------------------------------


def _screening_page(
    request: Request,
    page: PageContext,
    *,
    error: str | None = None,
    where: str = "",
    name: str = "",
    fmt: str = ListFormat.GENERIC.value,
    status: int = 200,
    checked: NameCheck | None = None,
    check_name: str = "",
) -> HTMLResponse:
    node = node_of(request)
    assert page.principal is not None
    lists = node.screening.lists(page.principal)
    hits = node.screening.hits(page.principal, status=None)
    return render(
        request,
        "screening.html",
        page,
        status=status,
        lists=lists,
        # Hits the lifecycle still lets an officer resolve, and the final ones.
        open_hits=[h for h in hits if SCREENING_HIT.verbs_from(h.status)],
        resolved=sorted(
            (h for h in hits if not SCREENING_HIT.verbs_from(h.status)),
            key=lambda h: h.resolved_at or h.created_at,
            reverse=True,
        ),
        names=_names(request),
        resolver=page.holds(Role.SECURITY_OFFICER),
        formats=list(ListFormat),
        error=error,
        where=where,  # which form the error belongs to: check, import, run or a hit's id
        name=name,
        fmt=fmt,
        checked=checked,
        check_name=check_name,
    )


@router.get("/screening")
def screening(request: Request, page: Page) -> HTMLResponse:
    """Imported lists, open hits to resolve, resolved hits; import and run (officers)."""
    return _screening_page(request, page)


@router.post("/screening/check")
def check_name(
    request: Request,
    page: Page,
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Check one name against every imported list: the matches with the tokens that paired
    and the score, on the screening page. A read: records nothing and holds nobody (a POST
    so that the name stays out of the address bar, history and access logs)."""
    assert page.principal is not None
    try:
        checked = node_of(request).screening.check_name(page.principal, name)
    except CaveatError as exc:
        message, code = _refusal(exc)
        return _screening_page(
            request, page, error=message, where="check", check_name=name, status=code
        )
    return _screening_page(request, page, checked=checked, check_name=name)


@router.post("/screening/lists")
def import_list(
    request: Request,
    page: Page,
    name: Annotated[str, Form(max_length=120)] = "",
    fmt: Annotated[str, Form(alias="format", max_length=10)] = ListFormat.GENERIC.value,
    file: Annotated[UploadFile | None, File()] = None,
    alt: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Import (or replace) a list, all or nothing, and re-screen everyone against all lists."""
    assert page.principal is not None
    try:
        text = _text_of(file, "list file")
        alt_text = _text_of(alt, "alt.csv file") if alt is not None and alt.filename else None
        report = node_of(request).screening.import_list(
            page.principal, ctx_of(request), name=name, fmt=fmt, text=text, alt_text=alt_text
        )
    except CaveatError as exc:
        message, code = _refusal(exc)
        return _screening_page(
            request, page, error=message, where="import", name=name, fmt=fmt, status=code
        )
    hits = len(report.new_hits)
    return forms.done(
        "/screening",
        f"Imported {report.name}: {report.entries} entries; screened {report.screened} people "
        f"and organisations; {hits} new hit{'s' if hits != 1 else ''}.",
    )


@router.post("/screening/run")
def run_screening(request: Request, page: Page) -> Response:
    """Re-screen every person and organisation against every list now."""
    assert page.principal is not None
    new = node_of(request).screening.run(page.principal, ctx_of(request))
    return forms.done(
        "/screening", f"Screening done: {len(new)} new hit{'s' if len(new) != 1 else ''}."
    )


@router.post("/screening/hits/{hit_id}/resolve")
def resolve_hit(
    request: Request,
    hit_id: str,
    page: Page,
    outcome: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """A security officer decides a hit: false positive (the hold ends) or true match."""
    assert page.principal is not None
    try:
        hit = node_of(request).screening.resolve(
            page.principal, ctx_of(request), hit_id, outcome=outcome, reason=reason
        )
    except CaveatError as exc:
        message, code = _refusal(exc)
        return _screening_page(request, page, error=message, where=hit_id, status=code)
    decided = "a false positive" if hit.status == HitStatus.FALSE_POSITIVE.value else "a true match"
    return forms.done("/screening", f"The hit on {hit.screened_name} is resolved as {decided}.")
