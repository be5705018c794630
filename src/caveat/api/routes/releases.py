"""Release requests and export records (issue 6): request, classify, decide, report;
relabel requests (issue 11): list, decide.

Thin routes: parse, call one service, render. Errors are typed and become problems.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field

from caveat.api.deps import CtxDep, CurrentPrincipal, NodeDep
from caveat.api.schemas import CSV, Strict
from caveat.api.views import fields_of, view_model
from caveat.bootstrap.marking import mark_csv, report_marking
from caveat.services.artifacts import RelabelRequest
from caveat.services.compliance import ExportRecord, ExportReport, Release
from caveat.services.readable import Names

router = APIRouter(prefix="/api/v1", tags=["releases"])
ReleaseOut = view_model(Release)
RelabelRequestOut = view_model(RelabelRequest)
ExportReportOut = view_model(
    ExportReport,
    name="ExportReport",
    extras={"disagreements": (int, lambda r: r.disagreements)},
)


class ReleaseIn(Strict):
    resource: str = Field(max_length=300)
    nations: list[str] = Field(default_factory=list, max_length=300)
    organisations: list[str] = Field(default_factory=list, max_length=300)
    justification: str = Field(max_length=2000)


class ClassifyIn(Strict):
    controls: list[str] | None = Field(default=None, max_length=1000)
    dual_use: bool | None = None
    authorization: str | None = Field(default=None, max_length=80)
    not_controlled_reason: str = Field(default="", max_length=2000)
    dual_use_review: str = Field(default="", max_length=8000)


class DecisionIn(Strict):
    approve: bool
    reason: str = Field(max_length=2000)


NamedReleaseOut = view_model(
    Release,
    name="NamedRelease",
    extras={
        "resource_title": (str | None, None),
        "requested_by_name": (str | None, None),
        "organisation_names": (list[str], None),
    },
)


@router.get("/releases", response_model=list[NamedReleaseOut])  # type: ignore[valid-type]
def list_releases(
    principal: CurrentPrincipal, node: NodeDep, awaiting: bool = False
) -> list[BaseModel]:
    """Release requests: every one for officers and auditors, one's own otherwise;
    ``awaiting=true``: only those waiting for the caller's classification or decision.
    Beside the ids, names for people to read: ``resource_title`` only when the caller may
    discover the resource (else null), the requester's display name, and each recipient
    organisation's name (its id when unknown), in the order of ``organisations``."""
    found = node.releases.awaiting(principal) if awaiting else node.releases.requests(principal)
    names = Names(node, principal)
    names.prefetch(r.resource_id for r in found)
    names.prefetch_people(r.requested_by for r in found)

    def named(release: Release) -> BaseModel:
        title = names.resource(release.resource_id)
        return NamedReleaseOut.model_validate(
            {
                **fields_of(release),
                "resource_title": None if title is None else title.text,
                "requested_by_name": names.person(release.requested_by),
                "organisation_names": [names.organisation(o) or o for o in release.organisations],
            }
        )

    return [named(r) for r in found]


@router.post("/releases", status_code=201, response_model=ReleaseOut)
def request_release(
    body: ReleaseIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> Release:
    """Ask for a resource to be released to further nations or organisations."""
    return node.releases.request(
        principal,
        ctx,
        resource=body.resource,
        to_nations=body.nations,
        to_organisations=body.organisations,
        justification=body.justification,
    )


@router.post("/releases/{request_id}/classification", response_model=ReleaseOut)
def classify_release(
    request_id: str, body: ClassifyIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> Release:
    """The export control officer's classification and covering authorization."""
    return node.releases.classify(principal, ctx, request_id, **body.model_dump())


@router.post("/releases/{request_id}/decision", response_model=ReleaseOut)
def decide_release(
    request_id: str, body: DecisionIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> Release:
    """The originator's security officer approves (label and export record) or denies."""
    return node.releases.decide(
        principal, ctx, request_id, approve=body.approve, reason=body.reason
    )


@router.get("/relabel-requests", response_model=list[RelabelRequestOut])  # type: ignore[valid-type]
def list_relabel_requests(
    principal: CurrentPrincipal, node: NodeDep, awaiting: bool = False
) -> list[RelabelRequest]:
    """Relabel requests: one's own, and those a security officer of the originating
    organisation may decide; ``awaiting=true``: only the pending ones waiting for them."""
    return node.artifacts.relabel_requests(principal, awaiting=awaiting)


@router.post("/relabel-requests/{request_id}/decision", response_model=RelabelRequestOut)
def decide_relabel_request(
    request_id: str, body: DecisionIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> RelabelRequest:
    """The originator's security officer approves (a new signed label version) or denies."""
    return node.artifacts.decide_relabel(
        principal, ctx, request_id, approve=body.approve, reason=body.reason
    )


NamedExportRecordOut = view_model(
    ExportRecord,
    name="NamedExportRecord",
    extras={
        "resource_title": (str | None, None),
        "requested_by_name": (str | None, None),
        "approved_by_name": (str | None, None),
        "organisation_names": (list[str], None),
    },
)


@router.get("/export-records", response_model=list[NamedExportRecordOut])  # type: ignore[valid-type]
def export_records(
    principal: CurrentPrincipal,
    node: NodeDep,
    authorization: str | None = Query(default=None, max_length=80),
    since: date | None = None,
    until: date | None = None,
    regime: str | None = Query(default=None, max_length=8),
    destination: str | None = Query(default=None, max_length=64),
) -> list[BaseModel]:
    """Export records per authorization and period (officers and auditors). Beside the
    ids, names for people to read: ``resource_title`` only when the caller may discover
    the resource (else null), the requester's and approver's display names, and each
    recipient organisation's name (its id when unknown), in the order of ``organisations``."""
    found = node.releases.export_records(
        principal,
        authorization=authorization,
        since=since,
        until=until,
        regime=regime,
        destination=destination,
    )
    names = Names(node, principal)
    names.prefetch(r.resource_id for r in found)
    names.prefetch_people([p for r in found for p in (r.requested_by, r.approved_by)])

    def named(record: ExportRecord) -> BaseModel:
        title = names.resource(record.resource_id)
        return NamedExportRecordOut.model_validate(
            {
                **fields_of(record),
                "resource_title": None if title is None else title.text,
                "requested_by_name": names.person(record.requested_by),
                "approved_by_name": names.person(record.approved_by),
                "organisation_names": [names.organisation(o) or o for o in record.organisations],
            }
        )

    return [named(r) for r in found]


@router.get("/export-records.csv", response_class=PlainTextResponse, responses=CSV)
def export_records_csv(
    principal: CurrentPrincipal,
    node: NodeDep,
    authorization: str | None = Query(default=None, max_length=80),
    since: date | None = None,
    until: date | None = None,
    regime: str | None = Query(default=None, max_length=8),
    destination: str | None = Query(default=None, max_length=64),
) -> PlainTextResponse:
    """The same report as CSV, its first and last line the marking (``MARKING: ...``, the
    roll-up of the resources it concerns that you may discover)."""
    report = node.releases.export_report(
        principal,
        authorization=authorization,
        since=since,
        until=until,
        regime=regime,
        destination=destination,
    )
    text = node.releases.export_records_csv(
        principal,
        authorization=authorization,
        since=since,
        until=until,
        regime=regime,
        destination=destination,
    )
    marked = mark_csv(text, report_marking(node, principal, report))
    return PlainTextResponse(marked, media_type="text/csv; charset=utf-8")


@router.get("/export-records/report", response_model=ExportReportOut)
def export_report(
    principal: CurrentPrincipal,
    node: NodeDep,
    authorization: str | None = Query(default=None, max_length=80),
    since: date | None = None,
    until: date | None = None,
    regime: str | None = Query(default=None, max_length=8),
    destination: str | None = Query(default=None, max_length=64),
) -> ExportReport:
    """The readable report: names, totals per authorization, ledger agreement per record."""
    return node.releases.export_report(
        principal,
        authorization=authorization,
        since=since,
        until=until,
        regime=regime,
        destination=destination,
    )


@router.get(
    "/export-records.pdf",
    response_class=Response,
    responses={
        200: {
            "description": "The report as a PDF",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def export_records_pdf(
    principal: CurrentPrincipal,
    node: NodeDep,
    authorization: str | None = Query(default=None, max_length=80),
    since: date | None = None,
    until: date | None = None,
    regime: str | None = Query(default=None, max_length=8),
    destination: str | None = Query(default=None, max_length=64),
) -> Response:
    """The report as a PDF for inspectors and the file."""
    pdf = node.releases.export_report_pdf(
        principal,
        node_name=node.settings.node_name,
        marking=lambda report: report_marking(node, principal, report).line,
        authorization=authorization,
        since=since,
        until=until,
        regime=regime,
        destination=destination,
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="export-records.pdf"'},
    )
