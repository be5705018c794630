"""Standardized test and evaluation in the browser (issue 19, ADR 0024): procedures and
their approval, opening a round, a laboratory's results (a form or a CSV/XLSX file), and
the round page with its scores table and plots.

Every change and read goes through the service the API and CLI use, which decides; the
pages only choose which forms to offer. Another laboratory's results are not on the page
before close because the service does not return them (the permission table's
blindness rule), and after close they come under codes unless the round reveals
identities. Plots are SVG drawn on the server (matplotlib, through the service's plot
port) with presentation attributes only: no script, no style, under the page's CSP.
Every label shown counts towards the page banner.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from caveat.bootstrap.marking import export_marking
from caveat.domain.errors import CaveatError, InvalidInput, NotFound
from caveat.domain.identity import Role
from caveat.services.kernel.principal import Principal
from caveat.services.proficiency import (
    MAX_FILE_BYTES,
    ROBUST_METHODS,
    SIGMA_METHODS,
    ItemDraft,
    Methods,
    ProcedureDraft,
    ResultDraft,
    RoundDraft,
)
from caveat.web import forms
from caveat.web.pages import PageContext, render
from caveat.web.session import Page, ctx_of, node_of

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=300)]
LongText = Annotated[str, Form(max_length=20_000)]
Number = Annotated[str, Form(max_length=40)]
BASE = "/proficiency"


def _principal(page: PageContext) -> Principal:
    assert page.principal is not None
    return page.principal


# --- the list: rounds and procedures ---------------------------------------------------


@router.get(BASE)
def overview(request: Request, page: Page) -> HTMLResponse:
    """The rounds and procedures of the caller's projects."""
    return _overview(request, page)


def _overview(
    request: Request,
    page: PageContext,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    node = node_of(request)
    me = _principal(page)
    rounds = node.proficiency.rounds(me)
    procedures = node.proficiency.procedures(me)
    for p in procedures:
        for v in p.versions:
            page.show(v.label)
    projects = node.projects.projects_of(me.person_id)
    return render(
        request,
        "proficiency.html",
        page,
        status=status,
        rounds=rounds,
        procedures=procedures,
        projects=projects,
        can_open=page.holds(Role.PROGRAMME_MANAGER),
        can_approve=page.holds(Role.PROGRAMME_MANAGER),
        error=error,
        form=form
        or {
            "project": "",
            "name": "",
            "label": "UNCLASSIFIED",
            "measurand": "",
            "unit": "",
            "method": "",
            "equipment": "",
            "acceptance": "",
            "uncertainty": "",
        },
    )


@router.post(f"{BASE}/procedures")
def create_procedure(
    request: Request,
    page: Page,
    project: Text = "",
    name: Text = "",
    label: Text = "",
    measurand: Text = "",
    unit: Annotated[str, Form(max_length=60)] = "",
    method: LongText = "",
    equipment: LongText = "",
    acceptance: LongText = "",
    uncertainty: LongText = "",
) -> Response:
    """Draft a procedure (its first version)."""
    try:
        made = node_of(request).proficiency.create_procedure(
            _principal(page),
            ctx_of(request),
            project=project,
            name=name,
            draft=ProcedureDraft(measurand, unit, method, equipment, acceptance, uncertainty),
            label=label,
        )
    except CaveatError as exc:
        message, status = forms.refusal(exc, forms.FIXABLE)
        form = {
            "project": project,
            "name": name,
            "label": label,
            "measurand": measurand,
            "unit": unit,
            "method": method,
            "equipment": equipment,
            "acceptance": acceptance,
            "uncertainty": uncertainty,
        }
        return _overview(request, page, error=message, form=form, status=status)
    return forms.done(BASE, f"{made.procedure} version {made.version} drafted")


@router.post(f"{BASE}/versions/{{version_id}}/approve")
def approve(request: Request, page: Page, version_id: str) -> Response:
    """Approve a draft version; the service checks who may."""
    try:
        made = node_of(request).proficiency.approve(_principal(page), ctx_of(request), version_id)
    except CaveatError as exc:
        message, status = forms.refusal(exc, forms.FIXABLE)
        return _overview(request, page, error=message, status=status)
    return forms.done(BASE, f"{made.procedure} version {made.version} approved")


# --- opening a round -------------------------------------------------------------------


@router.get(f"{BASE}/rounds/new")
def new_round(request: Request, page: Page) -> HTMLResponse:
    """The form to open a round (programme managers; the service decides)."""
    return _new_round(request, page)


def _new_round(
    request: Request,
    page: PageContext,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    labs: list[str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    node = node_of(request)
    me = _principal(page)
    versions = [
        v for p in node.proficiency.procedures(me) for v in p.versions if v.status == "approved"
    ]
    for v in versions:
        page.show(v.label)
    return render(
        request,
        "proficiency_round_new.html",
        page,
        status=status,
        versions=versions,
        projects=node.projects.projects_of(me.person_id),
        organisations=sorted(forms.organisations(request).values(), key=lambda o: o.name),
        robust_methods=ROBUST_METHODS,
        sigma_methods=SIGMA_METHODS,
        error=error,
        labs=set(labs or []),
        form=form
        or {
            "project": "",
            "version": "",
            "title": "",
            "deadline": "",
            "items": "",
            "label": "UNCLASSIFIED",
            "robust_method": "algorithm_a",
            "sigma_method": "robust_sd_of_round",
            "sigma_value": "",
            "reveal": "",
            "kind": "proficiency",
        },
    )


def _optional_number(value: str, name: str) -> float | None:
    text = value.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidInput(f"{name} must be a number", code="invalid_input", field=name) from None


@router.post(f"{BASE}/rounds")
def open_round(
    request: Request,
    page: Page,
    project: Text = "",
    version: Text = "",
    title: Text = "",
    deadline: Annotated[str, Form(max_length=10)] = "",
    items: Annotated[str, Form(max_length=4000)] = "",
    label: Text = "",
    robust_method: Text = "algorithm_a",
    sigma_method: Text = "robust_sd_of_round",
    sigma_value: Number = "",
    reveal: Annotated[str, Form(max_length=3)] = "",
    labs: Annotated[list[str] | None, Form(max_length=2000)] = None,
    kind: Annotated[str, Form(max_length=20)] = "proficiency",
) -> Response:
    """Open a round; the deadline is the end of the day named (UTC)."""
    form = {
        "project": project,
        "version": version,
        "title": title,
        "deadline": deadline,
        "items": items,
        "label": label,
        "robust_method": robust_method,
        "sigma_method": sigma_method,
        "sigma_value": sigma_value,
        "reveal": reveal,
        "kind": kind,
    }
    try:
        day = forms.parse_day(deadline, "deadline")
        made = node_of(request).proficiency.open_round(
            _principal(page),
            ctx_of(request),
            RoundDraft(
                project=project,
                procedure_version=version,
                title=title,
                deadline=datetime.combine(day, time(23, 59, 59), tzinfo=UTC),
                laboratories=labs or [],
                items=[ItemDraft(line.strip()) for line in items.splitlines() if line.strip()],
                label=label,
                methods=Methods(
                    robust_method=robust_method,
                    sigma_method=sigma_method,
                    sigma_value=_optional_number(sigma_value, "sigma_value"),
                ),
                reveal_identities=reveal == "on",
                kind=kind,
            ),
        )
    except CaveatError as exc:
        message, status = forms.refusal(exc, forms.FIXABLE)
        return _new_round(request, page, error=message, form=form, labs=labs, status=status)
    return forms.done(f"{BASE}/rounds/{made.id}", "round opened")


# --- the round page --------------------------------------------------------------------


@router.get(f"{BASE}/rounds/{{round_id}}")
def round_page(request: Request, page: Page, round_id: str) -> HTMLResponse:
    """A round: its laboratories, your results (and the form for them while open), and
    after close the scores you may read with their plots."""
    return _round_page(request, page, round_id)


def _round_page(
    request: Request,
    page: PageContext,
    round_id: str,
    *,
    error: str | None = None,
    file_errors: list[dict[str, object]] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    node = node_of(request)
    me = _principal(page)
    ctx = ctx_of(request)
    results = node.proficiency.results(me, ctx, round_id, plots=True)
    shown = results.round
    page.show(shown.label)
    submissions = []
    if shown.status != "closed":
        submissions = node.proficiency.submissions(me, ctx, round_id)
    for s in submissions:
        page.show(s.label)
    for item in results.items:
        for score in item.scores:
            page.show(score.label)
    plots = {
        p.item_id: {
            "results": Markup(p.results),  # noqa: S704 - SVG the server drew and cleaned
            "scores": Markup(p.scores),  # noqa: S704
            "mandel": None if p.mandel is None else Markup(p.mandel),  # noqa: S704
            "density": None if p.density is None else Markup(p.density),  # noqa: S704
        }
        for p in results.plots
    }
    youden = [(y.first, y.second, Markup(y.svg)) for y in results.youden]  # noqa: S704
    control = []
    for c in results.control:
        for label in c.labels:
            page.show(label)
        control.append((c.laboratory, c.own, Markup(c.svg)))  # noqa: S704
    return render(
        request,
        "proficiency_round.html",
        page,
        status=status,
        r=shown,
        items=results.items,
        plots=plots,
        workflow=node.proficiency.workflow(me, round_id, ctx),
        youden=youden,
        control=control,
        submissions=submissions,
        can_submit=shown.status == "open" and shown.my_code is not None,
        error=error,
        file_errors=file_errors or [],
        max_file_mib=MAX_FILE_BYTES // (1024 * 1024),
        form=form
        or {
            "item": "",
            "value": "",
            "unit": shown.unit or "",
            "u": "",
            "k": "",
            "replicates": "",
            "notes": "",
        },
    )


def _floats(text: str, name: str) -> tuple[float, ...]:
    parts = [p.strip() for p in text.replace(",", ";").split(";") if p.strip()]
    out = []
    for part in parts:
        number = _optional_number(part, name)
        assert number is not None
        out.append(number)
    return tuple(out)


@router.post(f"{BASE}/rounds/{{round_id}}/results")
def submit(
    request: Request,
    page: Page,
    round_id: str,
    item: Text = "",
    value: Number = "",
    unit: Annotated[str, Form(max_length=60)] = "",
    u: Number = "",
    k: Number = "",
    replicates: Annotated[str, Form(max_length=4000)] = "",
    notes: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Submit one result of your laboratory."""
    form = {
        "item": item,
        "value": value,
        "unit": unit,
        "u": u,
        "k": k,
        "replicates": replicates,
        "notes": notes,
    }
    try:
        number = _optional_number(value, "value")
        if number is None:
            raise InvalidInput("the value is required", code="invalid_input", field="value")
        node_of(request).proficiency.submit(
            _principal(page),
            ctx_of(request),
            round_id,
            [
                ResultDraft(
                    item,
                    number,
                    unit,
                    _optional_number(u, "standard_uncertainty"),
                    _optional_number(k, "coverage_factor"),
                    _floats(replicates, "replicates"),
                    notes,
                )
            ],
        )
    except CaveatError as exc:
        message, status = forms.refusal(exc, forms.FIXABLE)
        return _round_page(request, page, round_id, error=message, form=form, status=status)
    return forms.done(f"{BASE}/rounds/{round_id}", f"result for {item} submitted")


@router.post(f"{BASE}/rounds/{{round_id}}/upload")
async def upload(
    request: Request,
    page: Page,
    round_id: str,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Submit a CSV or XLSX file of results: all rows, or none and each fault named."""
    from starlette.concurrency import run_in_threadpool

    content = b"" if file is None else await file.read(MAX_FILE_BYTES + 1)
    name = (file.filename if file is not None else None) or "the file"

    def work() -> Response:
        try:
            made = node_of(request).proficiency.upload(
                _principal(page), ctx_of(request), round_id, filename=name, content=content
            )
        except CaveatError as exc:
            message, status = forms.refusal(exc, forms.FIXABLE)
            listed = exc.data.get("errors") if exc.code == "invalid_results_file" else None
            return _round_page(
                request,
                page,
                round_id,
                error=message,
                file_errors=list(listed) if isinstance(listed, list) else None,
                status=status,
            )
        return forms.done(f"{BASE}/rounds/{round_id}", f"{len(made)} results submitted")

    return await run_in_threadpool(work)


@router.post(f"{BASE}/rounds/{{round_id}}/close")
def close(request: Request, page: Page, round_id: str) -> Response:
    """Close and score the round (its coordinator)."""
    try:
        node_of(request).proficiency.close(_principal(page), ctx_of(request), round_id)
    except CaveatError as exc:
        message, status = forms.refusal(exc, forms.FIXABLE)
        return _round_page(request, page, round_id, error=message, status=status)
    return forms.done(f"{BASE}/rounds/{round_id}", "round closed and scored")


@router.post(f"{BASE}/rounds/{{round_id}}/cancel")
def cancel(
    request: Request,
    page: Page,
    round_id: str,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Cancel an open round (its coordinator)."""
    try:
        node_of(request).proficiency.cancel(
            _principal(page), ctx_of(request), round_id, reason=reason
        )
    except CaveatError as exc:
        message, status = forms.refusal(exc, forms.FIXABLE)
        return _round_page(request, page, round_id, error=message, status=status)
    return forms.done(f"{BASE}/rounds/{round_id}", "round cancelled")


# --- reports -----------------------------------------------------------------------------

REPORT_TYPES = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}


@router.get(f"{BASE}/rounds/{{round_id}}/report.{{fmt}}")
def report(
    request: Request,
    page: Page,
    round_id: str,
    fmt: str,
    laboratory: Annotated[str, Query(max_length=8, pattern="^[A-Za-z0-9]*$")] = "",
) -> Response:
    """The round's report (or one laboratory's, by its code) as PDF or HTML, through the
    same service and access decisions as the round page, marked with the roll-up of
    what it shows."""
    if fmt not in REPORT_TYPES:
        raise NotFound(f"no report format {fmt!r}", code="not_found")
    node = node_of(request)
    me = _principal(page)
    body = node.proficiency.report_document(
        me,
        ctx_of(request),
        round_id,
        fmt=fmt,
        laboratory=laboratory or None,
        marking=lambda r: export_marking(node, me, r.labels).line,
    )
    name = f"proficiency-{round_id[:8]}{'-' + laboratory.upper() if laboratory else ''}.{fmt}"
    return Response(
        body,
        media_type=REPORT_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
