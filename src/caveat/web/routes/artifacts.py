"""Artifacts in the browser: browse and search, detail, download, upload, the label builder.

Every page goes through the services the API uses (``artifact_search`` inside the
policy's listing query, ``artifacts.show`` / ``open_content`` with their policy and
binding checks), so a page shows exactly what the API would. The banner rolls up the
labels of what the page displays: the listed items, or the artifact on its page.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from caveat.domain.artifacts import served_media_type
from caveat.domain.compliance import require_reason
from caveat.domain.compliance.release import RelabelPath
from caveat.domain.errors import (
    CaveatError,
    ErrorKind,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from caveat.domain.export_control import Regime
from caveat.domain.identity import Role
from caveat.domain.labels import Label
from caveat.domain.labels.builder import common_level_names
from caveat.domain.labels.errors import marking_caret
from caveat.domain.resources import ResourceKind
from caveat.services.artifacts import (
    FACET_SCAN,
    FACETS,
    SORTS,
    Appender,
    ArtifactTable,
    ArtifactView,
    NewArtifact,
    RelabelPreview,
    SearchQuery,
    TableQuery,
)
from caveat.services.kernel.principal import Principal
from caveat.web import forms, tables
from caveat.web.csrf import check_session_token
from caveat.web.label_builder import view_from_text
from caveat.web.labelling import (
    check_label,
    label_of,
    normalised_text,
    portion,
    style,
    with_readability,
)
from caveat.web.pages import PageContext, render
from caveat.web.session import (
    LoginRequired,
    Page,
    PasswordChangeRequired,
    ctx_of,
    node_of,
    page_context,
    principal_of,
)
from caveat.web.uploads import Field, FileData, FileEnd, FileStart, form_events

router = APIRouter(include_in_schema=False)
READERS = frozenset({Role.SECURITY_OFFICER, Role.AUDITOR})
PAGE_SIZE = 50
BUFFER = 1 << 20


def level_names(request: Request, principal: Principal) -> list[tuple[int, str]]:
    """The five common levels in the viewer's national words, each named once (NATO's
    word for a step the viewer's scheme has no level of)."""
    policy = node_of(request).policy
    return common_level_names(policy.schemes, policy.viewer_scheme(principal))


# --- browse and search ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One listed artifact: what discover shows, with its portion mark."""

    id: str
    title: str
    portion: str
    banner: str
    style: str
    kind: str
    project: str
    version: int
    created_at: datetime
    project_id: str


FACET_TITLES = {
    "level": "Classification",
    "nation": "Originator's nation",
    "project": "Project",
    "kind": "Kind",
    "regime": "Export-control regime",
}


def _facet_groups(table: ArtifactTable, levels: dict[int, str]) -> tuple[tables.FacetGroup, ...]:
    """The service's facet counts with the names a person reads (levels in the viewer's
    national words; projects by name, only those the viewer sees something in)."""

    def name(facet: str, value: str) -> str:
        if facet == "level":
            return levels.get(int(value), value)
        if facet == "kind":
            return value.replace("_", " ")
        return value

    return tuple(
        tables.FacetGroup(
            facet,
            FACET_TITLES[facet],
            tuple(tables.Facet(c.value, name(facet, c.name), c.count) for c in table.facets[facet]),
        )
        for facet in FACETS
    )


@router.get("/artifacts")
def artifacts(
    request: Request,
    page: Page,
    q: Annotated[str, Query(max_length=200)] = "",
    project: Annotated[str, Query(max_length=200)] = "",
    kind: Annotated[str, Query(max_length=40)] = "",
    level: Annotated[str, Query(max_length=1)] = "",
    nation: Annotated[str, Query(max_length=3)] = "",
    regime: Annotated[str, Query(max_length=8)] = "",
    created_from: Annotated[str, Query(max_length=10)] = "",
    created_to: Annotated[str, Query(max_length=10)] = "",
    sort: Annotated[str, Query(max_length=16)] = "",
    dir: Annotated[str, Query(max_length=4)] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    """Artifacts the viewer may discover: full text, filters with counts, sortable
    columns, a total and numbered pages, every number counted inside the policy."""
    node, principal = node_of(request), page.principal
    assert principal is not None
    filters = {
        "q": q,
        "project": project,
        "kind": kind,
        "level": level,
        "nation": nation.upper(),
        "regime": regime,
        "created_from": created_from,
        "created_to": created_to,
    }
    levels = dict(level_names(request, principal))
    rows: list[Row] = []
    error, status, facets_note = None, 200, ""
    state = tables.TableState("/artifacts", filters, "created", "desc", "created")
    try:
        chosen, direction = tables.sort_of(sort, dir, SORTS, "created")
        state = replace(state, sort=chosen, direction=direction)
        until = forms.start_of_day(created_to, "created_to")
        table = node.artifact_tables.table(
            principal,
            TableQuery(
                SearchQuery(
                    text=q or None,
                    project=project or None,
                    kind=kind or None,
                    level=int(level) if level.isdigit() else None,
                    nation=nation or None,
                    regime=regime or None,
                    created_from=forms.start_of_day(created_from, "created_from"),
                    created_to=None if until is None else until + timedelta(days=1),
                ),
                sort=chosen,
                descending=direction == tables.DESCENDING,
                page=page_number,
            ),
            limit=PAGE_SIZE,
        )
    except CaveatError as exc:
        if not isinstance(exc, InvalidInput | NotFound):
            raise
        error, status = exc.detail, 422
    else:
        for item in table.items:
            label = label_of(item.label_json)
            page.show(label)
            rows.append(
                Row(
                    item.id,
                    item.title,
                    portion(label),
                    item.banner,
                    style(label),
                    item.kind.replace("_", " "),
                    table.project_names.get(item.project_id, "another project"),
                    item.latest_version,
                    item.created_at,
                    item.project_id,
                )
            )
        state = replace(
            state,
            page=table.page,
            pages=table.pages,
            total=table.total,
            total_exact=table.total_exact,
            facets=_facet_groups(table, levels),
        )
        facets_note = (
            ""
            if table.facets_exact
            else f"Counts cover the newest {FACET_SCAN} matching artifacts you may see."
        )
    return render(
        request,
        "artifacts.html",
        page,
        status=status,
        rows=rows,
        error=error,
        filters=filters,
        table=state,
        facets_note=facets_note,
        levels=sorted(levels.items()),
        kinds=list(ResourceKind),
        regimes=list(Regime),
    )


# --- the artifact page -----------------------------------------------------------------


@dataclass
class Detail:
    """What the artifact page needs beyond the service's view."""

    view: ArtifactView
    label: Label | None
    portion: str
    style: str
    history: list[Any] = field(default_factory=list)
    failed: list[Any] = field(default_factory=list)


def _detail(request: Request, page: PageContext, artifact_id: str) -> Detail:
    node, principal = node_of(request), page.principal
    assert principal is not None
    view = node.artifacts.show(principal, artifact_id)
    current = max(view.labels, key=lambda lab: lab.seq) if view.labels else None
    label = label_of(current.label) if current else None
    page.show(label)  # an artifact always has a label: one unread marks the page high
    detail = Detail(view, label, portion(label), style(label))
    if view.read is not None:
        detail.failed = [r for r in view.read.requirements if r.applies and not r.satisfied]
    if principal.roles & READERS:
        detail.history = node.audit.target_history(
            principal, "artifact", artifact_id, limit=50
        ).entries
    return detail


@router.get("/artifacts/new")
def upload_form(request: Request, page: Page) -> HTMLResponse:
    """The upload form with the label builder."""
    return _upload_page(request, page, {})


@router.get("/artifacts/{artifact_id}")
def artifact(request: Request, artifact_id: str, page: Page) -> HTMLResponse:
    """Metadata, the label in both forms, versions, why or why not, access history."""
    detail = _detail(request, page, artifact_id)
    assert page.principal is not None
    read = detail.view.read
    return render(
        request,
        "artifact.html",
        page,
        d=detail,
        v=detail.view,
        officer=Role.SECURITY_OFFICER in page.principal.roles,
        reader=bool(page.principal.roles & READERS),
        # Anyone who may read it may relabel (the originator, tightening) or ask.
        may_relabel=read is not None and read.permitted,
    )


@router.get("/artifacts/{artifact_id}/download", response_model=None)
def download(
    request: Request,
    artifact_id: str,
    page: Page,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """The content, decrypted as it streams, after the policy and binding checks."""
    node, principal = node_of(request), page.principal
    assert principal is not None
    try:
        content = node.artifacts.open_content(
            principal, ctx_of(request), artifact_id, version=version
        )
    except PermissionDenied as exc:
        if exc.code != "policy_denied":
            raise
        # The person may discover it (otherwise: not found): explain, subject view.
        detail = _detail(request, page, artifact_id)
        return render(
            request,
            "error.html",
            page,
            status=403,
            title="Forbidden",
            detail="You may not download this artifact's content.",
            hint="ask your security officer about the requirements below",
            failed=[f"{r.title}: {r.detail}" for r in detail.failed],
            request_id=getattr(request.state, "request_id", None),
        )
    name = content.filename or f"{artifact_id}-v{content.version}"
    return StreamingResponse(
        content.chunks,
        media_type=served_media_type(content.media_type),
        headers={
            "Content-Length": str(content.end - content.start),
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
            "X-Content-SHA256": content.sha256,
        },
    )


# --- relabel ---------------------------------------------------------------------------


def _relabel_page(
    request: Request,
    page: PageContext,
    artifact_id: str,
    form: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
    preview: RelabelPreview | None = None,
    caret: str | None = None,
) -> HTMLResponse:
    """The relabel form (with the preview of what it would do), or the refusal with the
    requirements that reading the artifact failed."""
    node, principal = node_of(request), page.principal
    assert principal is not None
    detail = _detail(request, page, artifact_id)
    read = detail.view.read
    if read is None or not read.permitted:
        failed = [r for r in read.requirements if r.applies and not r.satisfied] if read else []
        return render(
            request,
            "error.html",
            page,
            status=403,
            title="Forbidden",
            detail="You may not relabel this artifact.",
            hint="relabelling, or asking for a relabel, needs the right to read it: "
            "ask your security officer",
            failed=[f"{r.title}: {r.detail}" for r in failed],
            request_id=getattr(request.state, "request_id", None),
        )
    current = detail.view.labels[-1] if detail.view.labels else None
    values = form or {
        "label": detail.view.banner,
        "controls": ", ".join(current.export) if current else "",
        "dual_use": "on" if current and current.dual_use else "",
    }
    check = None
    today = node.uow.clock().date()
    if values["label"]:
        check = with_readability(
            check_label(node.policy, principal, values["label"], today),
            node.artifacts,
            principal,
            controls=_split(values["controls"]),
            dual_use=values["dual_use"] == "on",
            artifact_id=artifact_id,
        )
    return render(
        request,
        "artifact_relabel.html",
        page,
        status=status,
        b=view_from_text(node.policy, principal, values["label"], values["controls"], today),
        readability=True,
        artifact_id=artifact_id,
        d=detail,
        v=detail.view,
        form=values,
        check=check,
        error=error,
        caret=caret,
        preview=preview,
        originator=detail.view.originating_organisation,
    )


@router.get("/artifacts/{artifact_id}/relabel")
def relabel_form(request: Request, artifact_id: str, page: Page) -> HTMLResponse:
    """The current label in the label builder, for people who may read the artifact."""
    return _relabel_page(request, page, artifact_id)


@router.post("/artifacts/{artifact_id}/relabel")
def relabel(
    request: Request,
    artifact_id: str,
    page: Page,
    label: Annotated[str, Form(max_length=4000)] = "",
    controls: Annotated[str, Form(max_length=4000)] = "",
    dual_use: Annotated[str, Form(max_length=8)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    confirm: Annotated[str, Form(max_length=8)] = "",
    previewed: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """First the preview (which path the change takes, who gains and who loses read
    access), then, confirmed, the change through the artifact service: applied,
    requested of the originator, or a release request. A refusal keeps what was typed."""
    node, principal = node_of(request), page.principal
    assert principal is not None
    form = {"label": label, "controls": controls, "dual_use": dual_use, "reason": reason}
    # Only what was previewed is confirmed: a change after the preview is previewed again.
    form["previewed"] = _fingerprint(label, controls, dual_use)
    try:
        text = normalised_text(node.policy, label, node.uow.clock().date(), principal)
        if confirm != "yes" or previewed != form["previewed"]:
            preview = node.artifacts.preview_relabel(
                principal,
                artifact_id,
                label=text,
                controls=_split(controls),
                dual_use=dual_use == "on",
            )
            return _relabel_page(request, page, artifact_id, form, preview=preview)
        done = node.artifacts.relabel(
            principal,
            ctx_of(request),
            artifact_id,
            label=text,
            controls=_split(controls),
            dual_use=dual_use == "on",
            reason=require_reason(reason),
        )
    except CaveatError as exc:
        status = forms.page_status(exc, forms.PAGE_ERRORS - {ErrorKind.NOT_FOUND})
        return _relabel_page(
            request,
            page,
            artifact_id,
            form,
            error=_message(exc),
            status=status,
            caret=marking_caret(exc),
        )
    outcome = done.outcome
    if outcome.path is RelabelPath.APPLIED:
        note = f"Relabelled: {done.view.banner} (label version {len(done.view.labels)})."
        return forms.done(f"/artifacts/{artifact_id}", note)
    if outcome.path is RelabelPath.REQUESTED:
        return forms.done(
            f"/artifacts/{artifact_id}",
            "Relabel requested: a security officer of the originating organisation decides.",
        )
    return forms.done(
        f"/releases/{outcome.release_id}",
        "The new label loosens the marking: a release request now goes to export control "
        "and the originator's security officer.",
    )


# --- the label builder -------------------------------------------------------------------


@router.post("/labels/check")
def label_check(
    request: Request,
    page: Page,
    label: Annotated[str, Form(max_length=4000)] = "",
    project: Annotated[str, Form(max_length=200)] = "",
    controls: Annotated[str, Form(max_length=4000)] = "",
    dual_use: Annotated[str, Form(max_length=8)] = "",
    lb_artifact: Annotated[str, Form(max_length=200)] = "",
    lb_read: Annotated[str, Form(max_length=1)] = "",
) -> HTMLResponse:
    """The normalised banner of what is typed so far, or the error and its position; on
    the upload and relabel forms (``lb_read``) also whether the author could read
    content so labelled (in ``project``, or as a relabel of ``lb_artifact``), before any
    file is sent. Other forms (resources, channels) decide that with their own rules."""
    node, principal = node_of(request), page.principal
    assert principal is not None
    result = check_label(node.policy, principal, label, node.uow.clock().date())
    if lb_read == "1":
        result = with_readability(
            result,
            node.artifacts,
            principal,
            controls=_split(controls),
            dual_use=dual_use == "on",
            project=project,
            artifact_id=lb_artifact,
        )
    return render(request, "label_check.html", page, check=result)


# --- upload ------------------------------------------------------------------------------

_UPLOAD_FIELDS = ("project", "kind", "title", "summary", "keywords", "label", "controls")


def _upload_page(
    request: Request,
    page: PageContext,
    form: dict[str, str],
    error: str | None = None,
    status: int = 200,
    caret: str | None = None,
) -> HTMLResponse:
    node, principal = node_of(request), page.principal
    assert principal is not None
    values = {k: form.get(k, "") for k in _UPLOAD_FIELDS}
    values["kind"] = values["kind"] or ResourceKind.DOCUMENT.value
    values["dual_use"] = form.get("dual_use", "")
    check = None
    today = node.uow.clock().date()
    if values["label"]:
        check = with_readability(
            check_label(node.policy, principal, values["label"], today),
            node.artifacts,
            principal,
            controls=_split(values["controls"]),
            dual_use=values["dual_use"] == "on",
            project=values["project"],
        )
    return render(
        request,
        "artifact_new.html",
        page,
        status=status,
        b=view_from_text(node.policy, principal, values["label"], values["controls"], today),
        readability=True,
        form=values,
        error=error,
        caret=caret,
        check=check,
        projects=node.projects.projects_of(principal.person_id),
        kinds=list(ResourceKind),
        max_bytes=node.artifacts.max_bytes,
    )


async def uploader(request: Request) -> PageContext:
    """The signed-in page context, without reading the body (it is streamed later)."""
    principal = await run_in_threadpool(principal_of, request)
    if principal is None or principal.session_id is None:
        raise LoginRequired("/artifacts/new")
    if principal.must_change_password:
        raise PasswordChangeRequired
    return page_context(request, principal)


def _message(exc: CaveatError) -> str:
    """The form's message, with the policy requirements a refusal names."""
    failed = exc.data.get("failed")
    also = (
        f" Failed requirements: {', '.join(map(str, failed))}." if isinstance(failed, list) else ""
    )
    return f"{forms.message(exc)}{also}"


def _fingerprint(label: str, controls: str, dual_use: str) -> str:
    """What a relabel preview showed, so that a confirmation applies only that."""
    entries = ",".join(_split(controls))
    return hashlib.sha256(f"{label.strip()}\n{entries}\n{dual_use}".encode()).hexdigest()


def _split(text: str) -> list[str]:
    return [v.strip() for v in text.replace("\n", ",").split(",") if v.strip()]


class _Upload:
    """One streamed upload: the session it opened, the hash and the buffer."""

    def __init__(self, request: Request, page: PageContext) -> None:
        self.node = node_of(request)
        self.ctx = ctx_of(request)
        assert page.principal is not None
        self.principal = page.principal
        self.upload_id: str | None = None
        self.artifact_id: str | None = None
        self.appender: Appender | None = None
        self.sha = hashlib.sha256()
        self.buffer = bytearray()

    def begin(self, form: dict[str, str], start: FileStart) -> None:
        if not start.filename:
            raise InvalidInput("choose a file to upload", code="file_required", field="file")
        new = NewArtifact(
            project=form.get("project", ""),
            kind=form.get("kind", ""),
            title=form.get("title", ""),
            label=normalised_text(
                self.node.policy,
                form.get("label", ""),
                self.node.uow.clock().date(),
                self.principal,
            ),
            summary=form.get("summary", ""),
            keywords=_split(form.get("keywords", "")),
            controls=_split(form.get("controls", "")),
            dual_use=form.get("dual_use") == "on",
        )
        status = self.node.artifacts.begin_upload(
            self.principal,
            self.ctx,
            new=new,
            filename=start.filename.replace("\\", "/").rsplit("/", 1)[-1][:400],
            media_type=start.media_type or "application/octet-stream",
        )
        self.upload_id, self.artifact_id = status.id, status.artifact_id
        self.appender = self.node.artifacts.appender(self.principal, self.ctx, status.id, 0)

    def write(self, data: bytes) -> None:
        assert self.appender is not None
        self.sha.update(data)
        self.appender.write(data)

    def finish(self) -> None:
        assert self.appender is not None
        assert self.upload_id is not None
        self.appender.finish()
        self.appender = None
        self.node.artifacts.complete(
            self.principal, self.ctx, self.upload_id, sha256=self.sha.hexdigest()
        )

    def abandon(self) -> None:
        if self.appender is not None:
            self.appender.abort()
            self.appender = None
        if self.upload_id is not None:
            self.node.artifacts.discard(self.principal, self.ctx, self.upload_id)


UploadPage = Annotated[PageContext, Depends(uploader)]


@router.post("/artifacts/new")
async def upload(request: Request, page: UploadPage) -> Response:
    """Stream the file from the form into the artifact service (never to disk in clear)."""
    node = node_of(request)
    assert page.principal is not None
    assert page.principal.session_id is not None
    secret, session_id = node.keys.secret_key(), page.principal.session_id
    header_token = request.headers.get("x-csrf-token")
    form: dict[str, str] = {}
    work = _Upload(request, page)
    failure: CaveatError | None = None
    saw_file = False
    try:
        async for event in form_events(request):
            if failure is not None:
                continue  # read the rest of the body, so the browser sees the answer
            try:
                if isinstance(event, Field):
                    form[event.name] = event.value
                elif isinstance(event, FileStart):
                    saw_file = True
                    check_session_token(secret, session_id, header_token or form.get("csrf"))
                    await run_in_threadpool(work.begin, form, event)
                elif isinstance(event, FileData):
                    work.buffer += event.data
                    if len(work.buffer) >= BUFFER:
                        await run_in_threadpool(work.write, bytes(work.buffer))
                        work.buffer.clear()
                elif isinstance(event, FileEnd):
                    if work.buffer:
                        await run_in_threadpool(work.write, bytes(work.buffer))
                        work.buffer.clear()
                    await run_in_threadpool(work.finish)
            except CaveatError as exc:
                failure = exc
                await run_in_threadpool(work.abandon)
    except BaseException:
        await run_in_threadpool(work.abandon)
        raise
    if failure is None and not saw_file:
        check_session_token(secret, session_id, header_token or form.get("csrf"))
        failure = InvalidInput("choose a file to upload", code="file_required", field="file")
    if failure is not None:
        if failure.code == "csrf_rejected":
            raise failure
        status = forms.page_status(failure)  # integrity and internal failures: raised
        return _upload_page(
            request,
            page,
            form,
            error=_message(failure),
            status=status,
            caret=marking_caret(failure),
        )
    return forms.done(f"/artifacts/{work.artifact_id}", "Uploaded. The banner shows its label.")
