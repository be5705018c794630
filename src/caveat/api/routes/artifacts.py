"""Artifacts: streaming, resumable upload; policy-checked streaming download; search.

Upload bodies are read with ``request.stream()`` in async routes and handed, about
4 MiB at a time, to the blocking pipeline (hash, encryption, blob store, database) in
the thread pool, so the event loop never blocks and memory stays bounded; the next
buffer is received while the previous one is encrypted. The buffer itself is handed
over (never copied): every copy on the event loop's thread holds the GIL.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from caveat.api.deps import CtxDep, CurrentPrincipal, NodeDep
from caveat.api.problems import problem
from caveat.api.schemas import Strict
from caveat.api.views import view_model
from caveat.domain.artifacts import SAFE_SERVED_TYPES, IpKind, IpOwner, served_media_type
from caveat.domain.compliance.release import RelabelPath
from caveat.domain.errors import CaveatError, InvalidInput
from caveat.domain.policy.explain import Explanation
from caveat.services.artifacts import (
    Appender,
    ArtifactPage,
    ArtifactSummary,
    ArtifactTable,
    ArtifactView,
    NewArtifact,
    RelabelPreview,
    RelabelRequest,
    SearchQuery,
    TableQuery,
    UploadStatus,
    VerifyReport,
    VersionView,
)

router = APIRouter(prefix="/api/v1", tags=["artifacts"])
BUFFER = 4 << 20  # whole segments are encrypted from it directly (ADR 0015)
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class IpOwnerIn(Strict):
    organisation: str = Field(max_length=200)
    kind: IpKind


class UploadIn(Strict):
    """Open an upload: a new artifact (project, kind, title, label ...) or a new version."""

    artifact_id: str | None = Field(default=None, max_length=36)
    project: str | None = Field(default=None, max_length=200)
    kind: str | None = Field(default=None, max_length=40)
    title: str | None = Field(default=None, max_length=400)
    summary: str = Field(default="", max_length=20_000)
    keywords: list[str] = Field(default_factory=list, max_length=100)
    label: str | None = Field(default=None, max_length=4000)
    controls: list[str] = Field(default_factory=list, max_length=50)
    dual_use: bool = False
    ip_owners: list[IpOwnerIn] = Field(default_factory=list, max_length=50)
    filename: str | None = Field(default=None, max_length=400)
    media_type: str | None = Field(default=None, max_length=200)
    size: int | None = Field(default=None, ge=0)
    sha256: str | None = Field(default=None, max_length=64)


class UploadOut(BaseModel):
    id: str
    artifact_id: str
    offset: int
    parts: int
    expected_size: int | None
    expires_at: datetime
    max_bytes: int
    part_bytes: int

    @classmethod
    def of(cls, s: UploadStatus) -> UploadOut:
        return cls(
            id=s.id,
            artifact_id=s.artifact_id,
            offset=s.offset,
            parts=s.parts,
            expected_size=s.expected_size,
            expires_at=s.expires_at,
            max_bytes=s.max_bytes,
            part_bytes=s.part_bytes,
        )


class CompleteIn(Strict):
    sha256: str = Field(max_length=64)


class VersionOut(BaseModel):
    artifact_id: str
    number: int
    id: str
    size: int
    sha256: str
    media_type: str
    filename: str | None
    parts: int
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, artifact_id: str, v: VersionView) -> VersionOut:
        return cls(artifact_id=artifact_id, **{k: getattr(v, k) for k in _VERSION_FIELDS})


_VERSION_FIELDS = (
    "number", "id", "size", "sha256", "media_type", "filename", "parts", "created_by", "created_at",
)  # fmt: skip


class VerifyIn(Strict):
    artifact_id: str | None = Field(default=None, max_length=36, description="default: all")
    after: str | None = Field(
        default=None, max_length=36, description="continue after this artifact (next_after)"
    )
    limit: int | None = Field(
        default=None, ge=1, le=10_000, description="artifacts per batch; default: all at once"
    )


class RelabelPreviewIn(Strict):
    label: str = Field(max_length=4000)
    controls: list[str] | None = Field(
        default=None,
        max_length=50,
        description="export-control entries; omitted or null: unchanged; []: none (a release)",
    )
    dual_use: bool | None = Field(default=None, description="omitted or null: unchanged")


class RelabelIn(RelabelPreviewIn):
    reason: str = Field(max_length=2000, description="why (3-2000 characters), kept in the ledger")


class RequirementOut(BaseModel):
    code: str
    title: str
    satisfied: bool
    detail: str


class ReadOut(BaseModel):
    """Whether the viewer may read the content: the requirements that apply, and the
    codes of the obligations a read carries."""

    permitted: bool
    requirements: list[RequirementOut]
    obligations: list[str]


def _read(view: ArtifactView) -> ReadOut | None:
    read: Explanation | None = view.read
    if read is None:
        return None
    return ReadOut(
        permitted=read.permitted,
        requirements=[
            RequirementOut(code=r.code, title=r.title, satisfied=r.satisfied, detail=r.detail)
            for r in read.requirements
            if r.applies
        ],
        obligations=[o.code for o in read.obligations],
    )


ArtifactOut = view_model(ArtifactView, extras={"read": (ReadOut | None, _read)})
RelabelledOut = view_model(
    ArtifactView,
    name="RelabelledArtifact",
    extras={"read": (ReadOut | None, _read), "outcome": (str, lambda _: RelabelPath.APPLIED.value)},
)
# label_json is for the web's roll-ups, not part of the API's answer
SummaryOut = view_model(ArtifactSummary, exclude=("label_json",))
ArtifactPageOut = view_model(
    ArtifactPage,
    extras={"items": (list[SummaryOut], lambda p: list(p.items))},  # type: ignore[valid-type]
)
ArtifactTableOut = view_model(
    ArtifactTable,
    extras={"items": (list[SummaryOut], lambda t: list(t.items))},  # type: ignore[valid-type]
)
RelabelRequestOut = view_model(RelabelRequest)


class RelabelPendingOut(BaseModel):
    """A relabel that waits for a decision: the relabel request (the originator's security
    officer decides) or the release request it became (the release workflow decides)."""

    outcome: str
    artifact_id: str
    relabel_request: RelabelRequestOut | None = None  # type: ignore[valid-type]
    release_id: str | None = None


RelabelPreviewOut = view_model(
    RelabelPreview,
    name="RelabelPreview",
    extras={"gained": (int, lambda p: p.gained), "lost": (int, lambda p: p.lost)},
)
VerifyReportOut = view_model(
    VerifyReport, name="ArtifactVerifyReport", extras={"clean": (bool, lambda r: r.clean)}
)


class RotationOut(BaseModel):
    """The new primary key-encryption key and what was rewrapped, re-encrypted, disabled."""

    primary_key_id: int
    rewrapped: int
    reencrypted: int
    disabled: list[int]


_OCTETS = "application/octet-stream"
_BINARY = {"schema": {"type": "string", "format": "binary"}}
CONTENT: dict[int | str, dict[str, Any]] = {
    status: {
        "description": description,
        "content": {
            media: _BINARY for media in sorted({*SAFE_SERVED_TYPES, "application/octet-stream"})
        },
    }
    for status, description in ((200, "The content"), (206, "The range asked for"))
}


async def _pump(request: Request, appender: Appender) -> None:
    """Receive the body into two reused buffers of ``BUFFER`` bytes (at most the declared
    length); encrypt one while the other fills. Made once per request, the second only
    when the first is handed over, so a small body costs a small buffer."""
    declared = request.headers.get("content-length", "")
    size = min(BUFFER, int(declared)) if declared.isdigit() and int(declared) else BUFFER
    buffers = [bytearray(size)]
    current, filled = 0, 0
    pending: asyncio.Future[None] | None = None
    try:
        async for chunk in request.stream():
            view = memoryview(chunk)
            while view:
                take = min(len(view), size - filled)
                buffers[current][filled : filled + take] = view[:take]
                filled += take
                view = view[take:]
                if filled == size:
                    if pending is not None:
                        await pending  # the other buffer is free again
                    full = buffers[current]
                    pending = asyncio.ensure_future(run_in_threadpool(appender.write, full))
                    if len(buffers) == 1:
                        buffers.append(bytearray(size))
                    current, filled = 1 - current, 0
        if pending is not None:
            await pending
            pending = None
        if filled:
            await run_in_threadpool(appender.write, memoryview(buffers[current])[:filled])
    except BaseException:
        if pending is not None:
            with contextlib.suppress(BaseException):  # the first error is the one to report
                await pending
        raise


@router.post("/uploads", status_code=201)
def begin_upload(
    body: UploadIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> UploadOut:
    """Open an upload session (offset 0); send content with PATCH or PUT .../content."""
    new = None
    if body.artifact_id is None:
        if body.project is None or body.kind is None or body.title is None:
            raise InvalidInput(
                "a new artifact needs project, kind, title and label",
                code="invalid_upload",
                field="project" if body.project is None else "title",
            )
        new = NewArtifact(
            project=body.project,
            kind=body.kind,
            title=body.title,
            label=body.label,
            summary=body.summary,
            keywords=body.keywords,
            controls=body.controls,
            dual_use=body.dual_use,
            ip_owners=[IpOwner(o.organisation, o.kind) for o in body.ip_owners],
        )
    status = node.artifacts.begin_upload(
        principal,
        ctx,
        new=new,
        artifact_id=body.artifact_id,
        filename=body.filename,
        media_type=body.media_type,
        size=body.size,
        sha256=body.sha256,
    )
    return UploadOut.of(status)


@router.get("/uploads/{upload_id}")
def upload_status(upload_id: str, principal: CurrentPrincipal, node: NodeDep) -> UploadOut:
    """Where an upload stands: resume with PATCH at ``offset``."""
    return UploadOut.of(node.artifacts.upload_status(principal, upload_id))


@router.patch(
    "/uploads/{upload_id}",
    response_model=None,
    responses={200: {"model": UploadOut, "description": "Where the upload now stands"}},
)
async def append(
    upload_id: str,
    request: Request,
    principal: CurrentPrincipal,
    node: NodeDep,
    ctx: CtxDep,
    upload_offset: Annotated[int, Header(alias="Upload-Offset", ge=0)],
) -> Response:
    """Append the body at ``Upload-Offset``; a dropped connection keeps what arrived."""
    appender = await run_in_threadpool(
        node.artifacts.appender, principal, ctx, upload_id, upload_offset
    )
    try:
        await _pump(request, appender)
    except ClientDisconnect:
        await run_in_threadpool(appender.interrupted)
        return Response(status_code=400)  # nobody is listening any more
    except BaseException:
        await run_in_threadpool(appender.abort)
        raise
    status = await run_in_threadpool(appender.finish)
    return JSONResponse(UploadOut.of(status).model_dump(mode="json"))


@router.put(
    "/uploads/{upload_id}/content",
    status_code=201,
    response_model=None,
    responses={201: {"model": VersionOut, "description": "The version, complete"}},
)
async def put_content(
    upload_id: str,
    request: Request,
    principal: CurrentPrincipal,
    node: NodeDep,
    ctx: CtxDep,
    content_sha256: Annotated[str | None, Header(alias="X-Content-SHA256", max_length=64)] = None,
) -> Response:
    """The whole content in one request, then complete: all or nothing."""
    service = node.artifacts
    try:
        appender = await run_in_threadpool(service.appender, principal, ctx, upload_id, 0)
        try:
            await _pump(request, appender)
        except BaseException:
            await run_in_threadpool(appender.abort)
            raise
        status = await run_in_threadpool(appender.finish)
        version = await run_in_threadpool(
            lambda: service.complete(principal, ctx, upload_id, sha256=content_sha256)
        )
    except (CaveatError, ClientDisconnect, OSError):
        await run_in_threadpool(service.discard, principal, ctx, upload_id)
        raise
    return JSONResponse(
        VersionOut.of(status.artifact_id, version).model_dump(mode="json"), status_code=201
    )


@router.post("/uploads/{upload_id}/complete", status_code=201)
def complete(
    upload_id: str, body: CompleteIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> VersionOut:
    """Check the SHA-256 and commit the version; until then nothing is listed."""
    status = node.artifacts.upload_status(principal, upload_id)
    version = node.artifacts.complete(principal, ctx, upload_id, sha256=body.sha256)
    return VersionOut.of(status.artifact_id, version)


@router.delete("/uploads/{upload_id}", status_code=204)
def abort_upload(upload_id: str, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep) -> None:
    """Abandon an upload and delete what it stored."""
    node.artifacts.abort_upload(principal, ctx, upload_id)


@router.get("/artifacts", response_model=ArtifactPageOut)
def search(
    principal: CurrentPrincipal,
    node: NodeDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    project: str | None = None,
    kind: str | None = None,
    level: Annotated[int | None, Query(ge=0, le=4)] = None,
    nation: Annotated[str | None, Query(max_length=3)] = None,
    regime: Annotated[str | None, Query(max_length=8)] = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    after: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ArtifactPage:
    """Artifacts you may discover: full text over title, summary, keywords; filters."""
    return node.artifact_search.search(
        principal,
        SearchQuery(
            text=q,
            project=project,
            kind=kind,
            level=level,
            nation=nation,
            regime=regime,
            created_from=created_from,
            created_to=created_to,
            after=after,
            limit=limit,
        ),
    )


@router.get("/artifacts/table", response_model=ArtifactTableOut)
def table(
    principal: CurrentPrincipal,
    node: NodeDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    project: str | None = None,
    kind: str | None = None,
    level: Annotated[int | None, Query(ge=0, le=4)] = None,
    nation: Annotated[str | None, Query(max_length=3)] = None,
    regime: Annotated[str | None, Query(max_length=8)] = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    sort: Annotated[str, Query(max_length=16)] = "created",
    dir: Annotated[Literal["asc", "desc"], Query()] = "desc",
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ArtifactTable:
    """The artifacts table: a numbered page sorted by ``sort`` (created, title, kind,
    project, level, version), the total (exact up to 1000, see ``total_exact``) and
    counts per level, nation, project, kind and regime, every number counted over what
    you may discover only (each facet with the other filters applied)."""
    return node.artifact_tables.table(
        principal,
        TableQuery(
            SearchQuery(
                text=q,
                project=project,
                kind=kind,
                level=level,
                nation=nation,
                regime=regime,
                created_from=created_from,
                created_to=created_to,
            ),
            sort=sort,
            descending=dir == "desc",
            page=page,
        ),
        limit=limit,
    )


@router.get("/artifacts/{artifact_id}", response_model=ArtifactOut)
def show(artifact_id: str, principal: CurrentPrincipal, node: NodeDep) -> ArtifactView:
    """Metadata, label in your national form and the originator's, versions, why/why not."""
    return node.artifacts.show(principal, artifact_id)


@router.post(
    "/artifacts/{artifact_id}/label",
    response_model=None,
    responses={
        200: {"model": RelabelledOut, "description": "Applied: the artifact relabelled"},
        202: {"model": RelabelPendingOut, "description": "Waiting for a decision"},
    },
)
def relabel(
    artifact_id: str, body: RelabelIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> BaseModel | JSONResponse:
    """Relabel: 200 with the artifact when its originating organisation tightens it (a new
    label version, every content version signed anew); 202 with the relabel request when
    someone else asks (the originator's security officer decides), or with the release
    request when the change loosens (the release workflow decides)."""
    done = node.artifacts.relabel(
        principal,
        ctx,
        artifact_id,
        label=body.label,
        controls=body.controls,
        dual_use=body.dual_use,
        reason=body.reason,
    )
    outcome = done.outcome
    if outcome.path is RelabelPath.APPLIED:
        return RelabelledOut.model_validate(done.view)
    pending = RelabelPendingOut(
        outcome=outcome.path.value,
        artifact_id=artifact_id,
        relabel_request=outcome.request,
        release_id=outcome.release_id,
    )
    return JSONResponse(pending.model_dump(mode="json", exclude_none=True), status_code=202)


@router.post("/artifacts/{artifact_id}/label/preview", response_model=RelabelPreviewOut)
def relabel_preview(
    artifact_id: str, body: RelabelPreviewIn, principal: CurrentPrincipal, node: NodeDep
) -> RelabelPreview:
    """What a relabel would do, changing nothing: its path (applied, requested,
    release_requested), the new marking, and who gains and who loses read access
    (people counted per organisation)."""
    return node.artifacts.preview_relabel(
        principal, artifact_id, label=body.label, controls=body.controls, dual_use=body.dual_use
    )


class LabelPrecheckIn(Strict):
    """A label and control entries to check before uploading (``project``) or
    relabelling (``artifact_id``): nothing is sent or stored."""

    label: str = Field(max_length=4000)
    controls: list[str] = Field(default_factory=list, max_length=50)
    dual_use: bool = False
    project: str | None = Field(default=None, max_length=200)
    artifact_id: str | None = Field(default=None, max_length=36)


class LabelPrecheckOut(BaseModel):
    """The label as it would be stored, and whether its author could read content so
    labelled (``failed``: what they lack, as the policy tells its subject)."""

    banner: str
    readable: bool
    failed: list[str]


@router.post("/labels/precheck", response_model=LabelPrecheckOut)
def precheck_label(
    body: LabelPrecheckIn, principal: CurrentPrincipal, node: NodeDep
) -> LabelPrecheckOut:
    """Whether an upload or relabel with this label would pass "nobody labels above
    what they may read", asked before any content is sent; a bad label or entry is
    refused as the upload would refuse it (422 with the position)."""
    found = node.artifacts.precheck_label(
        principal,
        label=body.label,
        controls=body.controls,
        dual_use=body.dual_use,
        project=body.project,
        artifact_id=body.artifact_id,
    )
    return LabelPrecheckOut(banner=found.banner, readable=found.readable, failed=list(found.failed))


@router.post("/artifacts/verify", response_model=VerifyReportOut)
def verify(body: VerifyIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep) -> VerifyReport:
    """Check bindings, labels, keys and every encrypted byte (node operators, officers)."""
    return node.artifact_admin.verify(
        principal, ctx, body.artifact_id, after=body.after, limit=body.limit
    )


# Positions beyond any stored size; longer digit strings are read as this (never parsed
# whole: a 10,000-digit number would otherwise cost time and fail Python's int limit).
_FAR = 10**18


def _position(digits: str) -> int:
    return _FAR if len(digits) > 18 else int(digits)


def _parse_range(header: str | None) -> tuple[int, int | None] | None:
    """A single byte range per RFC 9110 §14.1.2, as (first, last or None); a suffix range
    ``-N`` as (-N, None). None: no Range, or one to ignore (several, malformed, or
    last < first, which §14.1.1 calls invalid)."""
    if header is None:
        return None
    match = _RANGE.match(header.strip())
    if match is None or match.groups() == ("", ""):
        return None  # multiple or malformed ranges: RFC 9110 allows ignoring Range
    first, last = match.groups()
    if first == "":
        suffix = _position(last)
        # A zero-length suffix selects nothing: unsatisfiable (416), never the whole body.
        return (_FAR, None) if suffix == 0 else (-suffix, None)
    start, end = _position(first), None if last == "" else _position(last)
    if end is not None and end < start:
        return None
    return (start, end)


@router.get(
    "/artifacts/{artifact_id}/content",
    response_class=StreamingResponse,
    response_model=None,
    responses=CONTENT,
)
def download(
    artifact_id: str,
    request: Request,
    principal: CurrentPrincipal,
    node: NodeDep,
    ctx: CtxDep,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    """The content (decrypted as it streams); Range supported; every download is an event."""
    wanted = _parse_range(request.headers.get("range"))
    try:
        content = node.artifacts.open_content(
            principal, ctx, artifact_id, version=version, byte_range=wanted
        )
    except InvalidInput as exc:
        if exc.code != "range_not_satisfiable":
            raise
        return problem(
            416,
            exc.code,
            exc.detail,
            request,
            headers={"Content-Range": f"bytes */{exc.data.get('size', 0)}"},
        )
    name = content.filename or f"{artifact_id}-v{content.version}"
    headers = {
        "Content-Length": str(content.end - content.start),
        "Accept-Ranges": "bytes",
        "ETag": f'"{content.sha256}"',
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
        "X-Content-SHA256": content.sha256,
        "X-Caveat-Version": str(content.version),
    }
    status = 200
    if wanted is not None:
        status = 206
        headers["Content-Range"] = f"bytes {content.start}-{content.end - 1}/{content.size}"
    return StreamingResponse(
        content.chunks,
        status_code=status,
        media_type=served_media_type(content.media_type),
        headers=headers,
    )


class RotateIn(Strict):
    reencrypt: bool = False
    disable_old: bool = False


@router.post("/keys/rotate")
def rotate_keys(
    body: RotateIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> RotationOut:
    """A new primary key-encryption key; every data key rewrapped (node operators)."""
    done = node.artifact_admin.rotate(
        principal, ctx, reencrypt=body.reencrypt, disable_old=body.disable_old
    )
    return RotationOut(
        primary_key_id=done.primary.key_id,
        rewrapped=done.rewrapped,
        reencrypted=done.reencrypted,
        disabled=done.disabled,
    )
