"""Releases in the browser: requests, the officers' classification and decision, and the
readable export-records report.

Every page goes through ``ReleaseService``, as the API does, so a page shows and refuses
exactly what the API would. The forms offered follow the viewer's roles only; the
service decides the rest (nobody classifies or approves their own request, only the
originating organisation's security officer decides, the authorization must cover the
release) and its refusal is shown in the page with the status its kind maps to. A
released resource's title and label appear only to a viewer who may discover it, and
those labels set the banner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from caveat.bootstrap.container import Node
from caveat.bootstrap.marking import mark_csv, report_marking
from caveat.domain.compliance import ReleaseStatus
from caveat.domain.compliance.export_report import destination_names
from caveat.domain.errors import CaveatError, ErrorKind, InvalidInput, NotFound
from caveat.domain.identity import Role
from caveat.domain.labels import Label
from caveat.domain.lifecycles import RELEASE
from caveat.domain.permissions import Act
from caveat.services.artifacts import ArtifactView, RelabelRequest
from caveat.services.compliance import ExportReport, Release, ReportLine
from caveat.services.kernel.authorize import allowed
from caveat.services.kernel.principal import Principal
from caveat.web import forms, tables
from caveat.web.labelling import portion
from caveat.web.pages import PageContext, render
from caveat.web.session import Page, ctx_of, node_of

router = APIRouter(include_in_schema=False)
STATUSES = tuple(s.value for s in ReleaseStatus)
SHOWN = 200  # the newest requests a list shows; the status filter finds older ones
READERS = frozenset({Role.SECURITY_OFFICER, Role.AUDITOR})  # the event log's readers
Text = Annotated[str, Form(max_length=300)]
LongText = Annotated[str, Form(max_length=8000)]
Day = Annotated[str, Query(max_length=10)]


def _split(text: str) -> list[str]:
    return [v.strip() for v in text.replace("\n", ",").replace(";", ",").split(",") if v.strip()]


def _at(release: Release, name: str) -> datetime | None:
    """When a step happened, if the service says (``classified_at``, ``decided_at``)."""
    value = getattr(release, name, None)
    return value if isinstance(value, datetime) else None


# --- what a viewer may see ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Subject:
    """A released resource as the viewer sees it: its title only if they may discover it."""

    id: str
    title: str | None
    portion: str
    label: Label | None


class Lookup:
    """People, organisations and resources as this viewer may see them, once per page."""

    def __init__(self, request: Request, page: PageContext) -> None:
        assert page.principal is not None
        self.node: Node = node_of(request)
        self.page = page
        self.principal: Principal = page.principal
        self._people: dict[str, str] | None = None
        self._orgs: dict[str, str] | None = None
        self._subjects: dict[str, Subject] = {}
        self._shown: set[str] = set()
        self._artifacts: dict[str, ArtifactView | None] = {}

    def person(self, person_id: str | None) -> str:
        if person_id is None:
            return ""
        if self._people is None:
            self._people = {p.id: p.display_name for p in self.node.people.list_people()}
        return self._people.get(person_id, person_id)

    def recipients(self, nations: tuple[str, ...], organisations: tuple[str, ...]) -> str:
        if self._orgs is None:  # an organisation reads as one, not as its nation
            self._orgs = {
                o.id: f"{o.name} (organisation, {o.nation})"
                for o in self.node.registry.list_organisations()
            }
        orgs = self._orgs
        return ", ".join([*nations, *(orgs.get(o, o) for o in organisations)])

    def subject(self, resource_id: str, *, shown: bool = True) -> Subject:
        """The resource's title and portion mark, or neither; a shown one's label joins
        the banner."""
        if resource_id not in self._subjects:
            try:
                view = self.node.policy.get(self.principal, resource_id)
            except NotFound:
                self._subjects[resource_id] = Subject(resource_id, None, "", None)
            else:
                self._subjects[resource_id] = Subject(
                    resource_id, view.title, portion(view.label), view.label
                )
        found = self._subjects[resource_id]
        if shown:
            self.show(found)
        return found

    def show(self, subject: Subject) -> None:
        """Count the subject's label in the page's banner (once)."""
        if subject.label is not None and subject.id not in self._shown:
            self._shown.add(subject.id)
            self.page.show(subject.label)

    def artifact(self, resource_id: str) -> ArtifactView | None:
        """The artifact's view (export entries, versions); None for other resources."""
        if resource_id not in self._artifacts:
            try:
                self._artifacts[resource_id] = self.node.artifacts.show(self.principal, resource_id)
            except NotFound:
                self._artifacts[resource_id] = None
        return self._artifacts[resource_id]


def _find(look: Lookup, release_id: str) -> Release:
    """The request, if the viewer may see it (their own, or any for overseers)."""
    for release in look.node.releases.requests(look.principal):
        if release.id == release_id:
            return release
    raise NotFound(f"no release request {release_id!r}", code="unknown_release")


# --- the list -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One release request as the list and the detail page show it."""

    release: Release
    subject: Subject
    recipients: str
    requested_by: str
    classified_by: str
    classified_at: datetime | None
    decided_by: str
    decided_at: datetime | None


def _row(look: Lookup, release: Release) -> Row:
    return Row(
        release,
        look.subject(release.resource_id),
        look.recipients(release.nations, release.organisations),
        look.person(release.requested_by),
        look.person(release.classified_by),
        _at(release, "classified_at"),
        look.person(release.decided_by),
        _at(release, "decided_at"),
    )


@router.get("/releases")
def releases(
    request: Request, page: Page, status: Annotated[str, Query(max_length=16)] = ""
) -> HTMLResponse:
    """Release requests, newest first: one's own, or every one for officers and auditors;
    below them the relabel requests the viewer asked for or may decide."""
    return _releases_page(request, page, status)


def _releases_page(
    request: Request, page: PageContext, status: str, error: str | None = None, code: int = 200
) -> HTMLResponse:
    look = Lookup(request, page)
    shown = status if status in STATUSES else ""
    found = [r for r in look.node.releases.requests(look.principal) if shown in ("", r.status)]
    relabels = look.node.artifacts.relabel_requests(look.principal)
    return render(
        request,
        "releases.html",
        page,
        status=code,
        rows=[_row(look, r) for r in reversed(found[-SHOWN:])],
        more=max(0, len(found) - SHOWN),
        shown=shown,
        statuses=STATUSES,
        overseer=allowed(look.principal, Act.RELEASE_OVERSEE),
        relabels=[_relabel_row(look, r) for r in reversed(relabels[-SHOWN:])],
        error=error,
    )


@dataclass(frozen=True, slots=True)
class RelabelRow:
    """A relabel request as the releases page lists it."""

    request: RelabelRequest
    subject: Subject
    requested_by: str
    decided_by: str
    can_decide: bool


def _relabel_row(look: Lookup, request: RelabelRequest) -> RelabelRow:
    return RelabelRow(
        request,
        look.subject(request.resource_id),
        look.person(request.requested_by),
        look.person(request.decided_by),
        request.status == ReleaseStatus.PENDING.value
        and request.requested_by != look.principal.person_id
        and Role.SECURITY_OFFICER in look.principal.roles,
    )


@router.post("/relabel-requests/{request_id}/decide")
def decide_relabel(
    request: Request,
    request_id: str,
    page: Page,
    decision: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The originating organisation's security officer approves or denies a relabel."""
    assert page.principal is not None
    try:
        if decision not in ("approve", "deny"):
            raise InvalidInput("approve or deny the relabel", field="decision")
        decided = node_of(request).artifacts.decide_relabel(
            page.principal,
            ctx_of(request),
            request_id,
            approve=decision == "approve",
            reason=reason,
        )
    except CaveatError as exc:
        message, code = forms.refusal(exc, field=False)
        return _releases_page(request, page, "", error=message, code=code)
    if decided.status == ReleaseStatus.APPROVED.value:
        return forms.done("/releases", "Relabel approved: a new signed label version.")
    return forms.done("/releases", "Relabel denied.")


# --- asking for a release -------------------------------------------------------------------

_REQUEST_FIELDS = ("resource", "nations", "organisations", "justification")


def _request_page(
    request: Request,
    page: PageContext,
    form: dict[str, str],
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    look = Lookup(request, page)
    subject = look.subject(form["resource"]) if form["resource"] else None
    return render(
        request,
        "release_new.html",
        page,
        status=status,
        form=form,
        subject=subject if subject is not None and subject.title is not None else None,
        organisations=look.node.registry.list_organisations(),
        error=error,
    )


@router.get("/releases/new")
def request_form(
    request: Request, page: Page, resource: Annotated[str, Query(max_length=300)] = ""
) -> HTMLResponse:
    """The request form, for the resource named (a link from its page) or one to name."""
    assert page.principal is not None
    if resource:
        node_of(request).policy.get(page.principal, resource)  # not found unless discoverable
    form = dict.fromkeys(_REQUEST_FIELDS, "") | {"resource": resource}
    return _request_page(request, page, form)


@router.post("/releases/new")
def request_release(
    request: Request,
    page: Page,
    resource: Text = "",
    nations: Text = "",
    organisations: Annotated[str, Form(max_length=2000)] = "",
    justification: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Ask for the resource to be released to further nations or organisations."""
    assert page.principal is not None
    form = {
        "resource": resource.strip(),
        "nations": nations,
        "organisations": organisations,
        "justification": justification,
    }
    try:
        made = node_of(request).releases.request(
            page.principal,
            ctx_of(request),
            resource=form["resource"],
            to_nations=[n.upper() for n in _split(nations)],
            to_organisations=_split(organisations),
            justification=justification,
        )
    except CaveatError as exc:
        message, code = forms.refusal(exc, field=False)
        return _request_page(request, page, form, message, code)
    return forms.done(f"/releases/{made.id}", "Requested. Export control classifies it next.")


# --- one request: classification and decision ------------------------------------------------

_CLASSIFY_FIELDS = (
    "entries",
    "controls",
    "dual_use",
    "dual_use_known",
    "dual_use_review",
    "authorization",
    "not_controlled_reason",
)


@dataclass(frozen=True, slots=True)
class Recorded:
    """The export classification recorded on the resource, when the page can know it."""

    entries: tuple[str, ...]
    dual_use: bool


def _recorded(look: Lookup, resource_id: str) -> Recorded | None:
    """An artifact's current export entries; a catalogue entry's are not shown to pages."""
    view = look.artifact(resource_id)
    if view is None:
        return None
    latest = max(view.labels, key=lambda lab: lab.seq) if view.labels else None
    return Recorded(tuple(view.export), bool(latest and latest.dual_use))


def _detail(
    request: Request,
    page: PageContext,
    release_id: str,
    *,
    error: str | None = None,
    error_in: str = "",
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    look = Lookup(request, page)
    release = _find(look, release_id)
    roles = look.principal.roles
    # The moves the release's lifecycle allows from here (the service checks them again).
    verbs = set(RELEASE.verbs_from(release.status))
    can_classify = Role.EXPORT_CONTROL_OFFICER in roles and "classify" in verbs
    subject = look.subject(release.resource_id)
    recorded = _recorded(look, release.resource_id) if subject.title is not None else None
    authorizations = (
        look.node.authorizations.list_authorizations(look.principal)
        if allowed(look.principal, Act.RELEASE_OVERSEE)
        else []
    )
    history = (
        look.node.audit.target_history(look.principal, "release_request", release.id).entries
        if roles & READERS
        else []
    )
    values = dict.fromkeys(_CLASSIFY_FIELDS, "") | {"entries": "recorded", "reason": ""}
    if recorded is not None and recorded.dual_use:
        values["dual_use"] = "on"
    return render(
        request,
        "release.html",
        page,
        status=status,
        r=_row(look, release),
        recorded=recorded,
        authorizations=authorizations,
        numbers={a.id: a.number for a in authorizations},
        can_classify=can_classify,
        can_decide=Role.SECURITY_OFFICER in roles and bool(verbs & {"approve", "deny"}),
        history=history,
        form=values | (form or {}),
        error=error,
        error_in=error_in,
    )


@router.get("/releases/{release_id}")
def release(request: Request, release_id: str, page: Page) -> HTMLResponse:
    """One request: what, to whom, why; its classification and decision; the officers' forms."""
    return _detail(request, page, release_id)


@router.post("/releases/{release_id}/classify")
def classify(
    request: Request,
    release_id: str,
    page: Page,
    entries: Annotated[str, Form(max_length=10)] = "recorded",
    controls: LongText = "",
    dual_use: Annotated[str, Form(max_length=4)] = "",
    dual_use_known: Annotated[str, Form(max_length=4)] = "",
    dual_use_review: LongText = "",
    authorization: Annotated[str, Form(max_length=80)] = "",
    not_controlled_reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The export control officer's classification: the entries recorded on the resource
    (or others), dual use, and the covering authorization or why none is needed."""
    assert page.principal is not None
    form = {
        "entries": entries,
        "controls": controls,
        "dual_use": dual_use,
        "dual_use_known": dual_use_known,
        "dual_use_review": dual_use_review,
        "authorization": authorization,
        "not_controlled_reason": not_controlled_reason,
    }
    replace = entries == "replace"
    flag: bool | None = dual_use == "on"
    if not replace and not flag and dual_use_known != "1":
        flag = None  # unticked over entries the page could not show: keep what is recorded
    try:
        node_of(request).releases.classify(
            page.principal,
            ctx_of(request),
            release_id,
            controls=_split(controls) if replace else None,
            dual_use=flag,
            authorization=authorization.strip() or None,
            not_controlled_reason=not_controlled_reason,
            dual_use_review=dual_use_review,
        )
    except CaveatError as exc:
        message, code = forms.refusal(exc, field=False)
        return _detail(
            request, page, release_id, error=message, error_in="classify", form=form, status=code
        )
    return forms.done(
        f"/releases/{release_id}", "Classified. The originator's security officer decides next."
    )


@router.post("/releases/{release_id}/decide")
def decide(
    request: Request,
    release_id: str,
    page: Page,
    decision: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The originating organisation's security officer approves or denies."""
    assert page.principal is not None
    try:
        if decision not in ("approve", "deny"):
            raise InvalidInput("approve or deny the release", field="decision")
        decided = node_of(request).releases.decide(
            page.principal,
            ctx_of(request),
            release_id,
            approve=decision == "approve",
            reason=reason,
        )
    except CaveatError as exc:
        message, code = forms.refusal(exc, field=False)
        return _detail(
            request,
            page,
            release_id,
            error=message,
            error_in="decide",
            form={"reason": reason},
            status=code,
        )
    if decided.status == ReleaseStatus.APPROVED.value:
        return forms.done(
            f"/releases/{release_id}",
            "Approved: the label is widened and an export record written.",
        )
    return forms.done(f"/releases/{release_id}", "Denied.")


# --- awaiting the viewer (the dashboard's panel) ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Awaiting:
    """A request waiting for the viewer's classification or decision."""

    release: Release
    subject: Subject
    action: str  # "Classify" or "Decide"
    recipients: str


def awaiting(request: Request, page: PageContext) -> list[Awaiting]:
    """Requests the viewer may act on now (the release service decides whose turn it is)."""
    look = Lookup(request, page)
    out = []
    for r in look.node.releases.awaiting(look.principal):
        subject = look.subject(r.resource_id)
        action = "Classify" if "classify" in RELEASE.verbs_from(r.status) else "Decide"
        out.append(Awaiting(r, subject, action, look.recipients(r.nations, r.organisations)))
    return out


# --- export records ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordRow:
    """One line of the export-records report, with the artifact as the viewer may see it."""

    line: ReportLine
    subject: Subject
    version: int | None


def _version(look: Lookup, line: ReportLine, subject: Subject) -> int | None:
    """The artifact version whose content was released (by its hash)."""
    if line.content_sha256 is None or subject.title is None:
        return None
    view = look.artifact(line.resource_id)
    if view is None:
        return None
    return next((v.number for v in view.versions if v.sha256 == line.content_sha256), None)


@dataclass(frozen=True, slots=True)
class Selection:
    """The report's filters as the service takes them."""

    authorization: str | None
    since: date | None
    until: date | None
    regime: str | None = None
    destination: str | None = None


def _selection(
    authorization: str, since: str, until: str, regime: str = "", destination: str = ""
) -> Selection:
    return Selection(
        authorization or None,
        forms.optional_date(since, "since"),
        forms.optional_date(until, "until"),
        regime or None,
        destination or None,
    )


def _chosen(
    authorization: Annotated[str, Query(max_length=80)] = "",
    since: Day = "",
    until: Day = "",
    regime: Annotated[str, Query(max_length=8)] = "",
    destination: Annotated[str, Query(max_length=64)] = "",
) -> Selection:
    """The downloads' selection from the query (a malformed date: the error page)."""
    return _selection(authorization, since, until, regime, destination)


# Sort keys over report lines; the release time and the record id make the order total.
RECORD_SORTS: dict[str, Callable[[ReportLine], tuple[object, ...]]] = {
    "released": lambda line: (line.released_at, line.record_id),
    "authorization": lambda line: (line.authorization, line.released_at, line.record_id),
    "requested": lambda line: (line.requested_by.lower(), line.released_at, line.record_id),
    "approved": lambda line: (line.approved_by.lower(), line.released_at, line.record_id),
    "retain": lambda line: (line.retain_until, line.released_at, line.record_id),
}
RECORDS_PAGE = 50


Chosen = Annotated[Selection, Depends(_chosen)]


@router.get("/export-records")
def export_records(
    request: Request,
    page: Page,
    authorization: Annotated[str, Query(max_length=80)] = "",
    since: Day = "",
    until: Day = "",
    regime: Annotated[str, Query(max_length=8)] = "",
    destination: Annotated[str, Query(max_length=64)] = "",
    sort: Annotated[str, Query(max_length=16)] = "",
    dir: Annotated[str, Query(max_length=4)] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """Who released what to whom under which authorization, each record checked against
    its ledger event (officers and auditors): sortable, counted per regime and
    destination, in numbered pages; CSV and PDF of the same selection."""
    look = Lookup(request, page)
    filters = {
        "authorization": authorization,
        "since": since,
        "until": until,
        "regime": regime,
        "destination": destination,
    }
    report: ExportReport | None = None
    rows: list[RecordRow] = []
    error, status = None, 200
    state = tables.TableState("/export-records", filters, "released", "desc", "released")
    try:
        chosen_sort, direction = tables.sort_of(sort, dir, RECORD_SORTS, "released")
        state = replace(state, sort=chosen_sort, direction=direction)
        chosen = _selection(authorization, since, until, regime, destination)
        report = look.node.releases.export_report(
            look.principal,
            authorization=chosen.authorization,
            since=chosen.since,
            until=chosen.until,
            regime=chosen.regime,
            destination=chosen.destination,
        )
    except CaveatError as exc:
        error, status = forms.refusal(exc, {ErrorKind.INVALID, ErrorKind.NOT_FOUND}, field=False)
    else:
        ordered = sorted(
            report.lines, key=RECORD_SORTS[chosen_sort], reverse=direction == tables.DESCENDING
        )
        pages = max(1, -(-len(ordered) // RECORDS_PAGE))
        number = min(page_number, pages)
        for line in ordered[(number - 1) * RECORDS_PAGE : number * RECORDS_PAGE]:
            subject = look.subject(line.resource_id)
            rows.append(RecordRow(line, subject, _version(look, line, subject)))
        names = destination_names(report.lines)
        state = replace(
            state,
            page=number,
            pages=pages,
            total=len(ordered),
            facets=(
                _facet_group("regime", "Control regime", report.facets["regime"], {}),
                _facet_group("destination", "Destination", report.facets["destination"], names),
            ),
        )
    # Refused (the error page) unless the viewer reads export authorizations and records.
    authorizations = look.node.authorizations.list_authorizations(look.principal)
    query = urlencode({k: v for k, v in filters.items() if v})
    return render(
        request,
        "export_records.html",
        page,
        status=status,
        report=report,
        rows=rows,
        table=state,
        authorizations=authorizations,
        filters=filters,
        error=error,
        csv_href="/export-records.csv" + (f"?{query}" if query else ""),
        pdf_href="/export-records.pdf" + (f"?{query}" if query else ""),
    )


def _facet_group(
    param: str, title: str, counts: dict[str, int], names: dict[str, str]
) -> tables.FacetGroup:
    values = sorted(counts.items(), key=lambda vc: (-vc[1], names.get(vc[0], vc[0])))
    return tables.FacetGroup(
        param, title, tuple(tables.Facet(v, names.get(v, v), n) for v, n in values)
    )


def _download(request: Request, body: str | bytes, media_type: str, suffix: str) -> Response:
    name = f"export-records-{node_of(request).uow.clock().date().isoformat()}.{suffix}"
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/export-records.csv")
def export_records_csv(request: Request, page: Page, chosen: Chosen) -> Response:
    """The same selection as the service's CSV, as a download, marked at its first and
    last line."""
    assert page.principal is not None
    node = node_of(request)
    selection: dict[str, Any] = {
        "authorization": chosen.authorization,
        "since": chosen.since,
        "until": chosen.until,
        "regime": chosen.regime,
        "destination": chosen.destination,
    }
    report = node.releases.export_report(page.principal, **selection)
    text = node.releases.export_records_csv(page.principal, **selection)
    marked = mark_csv(text, report_marking(node, page.principal, report))
    return _download(request, marked, "text/csv; charset=utf-8", "csv")


@router.get("/export-records.pdf")
def export_records_pdf(request: Request, page: Page, chosen: Chosen) -> Response:
    """The same selection as the service's PDF report, as a download."""
    assert page.principal is not None
    node = node_of(request)
    principal = page.principal
    pdf = node.releases.export_report_pdf(
        principal,
        node_name=node.settings.node_name,
        marking=lambda report: report_marking(node, principal, report).line,
        authorization=chosen.authorization,
        since=chosen.since,
        until=chosen.until,
        regime=chosen.regime,
        destination=chosen.destination,
    )
    return _download(request, pdf, "application/pdf", "pdf")
