"""Standardized test and evaluation (issue 19, ADR 0024): procedures, proficiency rounds,
laboratories' results and scores under ``/api/v1/proficiency``.

Thin routes: parse, call one service method, render. What a caller reads is decided by
the service (another laboratory's results are blind until the round closes, then shown
under codes); labels travel as banner text (``marking``). A results file travels as
base64 in JSON (the API takes JSON bodies only), within the edge's 1 MiB.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from caveat.api.deps import CtxDep, CurrentPrincipal, NodeDep
from caveat.api.schemas import Strict
from caveat.bootstrap.marking import export_marking
from caveat.domain.errors import InvalidInput, NotFound
from caveat.services.proficiency import (
    ItemDraft,
    ItemResults,
    LabScore,
    Methods,
    Procedure,
    ProcedureDraft,
    ProcedureVersion,
    ResultDraft,
    Round,
    RoundDraft,
    RoundResults,
    Submission,
)

router = APIRouter(prefix="/api/v1/proficiency", tags=["proficiency"])
SVG = "image/svg+xml"

# -- bodies ----------------------------------------------------------------------------


class ProcedureContentIn(Strict):
    measurand: str = Field(max_length=300)
    unit: str = Field(max_length=60, description="a unit pint reads: m^2, GHz, mg/kg, degC")
    method: str = Field(max_length=20_000)
    equipment: str = Field("", max_length=20_000)
    acceptance_criteria: str = Field("", max_length=20_000)
    uncertainty_reporting: str = Field("", max_length=20_000)
    label: str = Field(max_length=2000, description="the version's security label")

    def draft(self) -> ProcedureDraft:
        return ProcedureDraft(
            self.measurand,
            self.unit,
            self.method,
            self.equipment,
            self.acceptance_criteria,
            self.uncertainty_reporting,
        )


class ProcedureIn(ProcedureContentIn):
    project: str = Field(max_length=200)
    name: str = Field(max_length=200)


class ItemIn(Strict):
    name: str = Field(max_length=120)
    assigned_value: float | None = None
    assigned_uncertainty: float | None = Field(None, description="u, or U for a certified value")
    assigned_coverage: float | None = Field(None, description="k of a certified value's U")


class MethodsIn(Strict):
    robust_method: str = Field("algorithm_a", max_length=20)
    assigned_method: str = Field("consensus", max_length=20)
    sigma_method: str = Field("robust_sd_of_round", max_length=24)
    sigma_value: float | None = None
    warning_limit: float = 2.0
    action_limit: float = 3.0
    en_limit: float = 1.0
    en_boundary: str = Field("satisfactory_at_limit", max_length=24)


class RoundIn(Strict):
    project: str = Field(max_length=200)
    procedure_version: str = Field(max_length=36)
    title: str = Field(max_length=300)
    deadline: datetime
    laboratories: list[str] = Field(min_length=1, max_length=2000)
    items: list[ItemIn] = Field(min_length=1, max_length=50)
    label: str = Field(max_length=2000, description="the label results take by default")
    coordinator: str | None = Field(None, max_length=120)
    methods: MethodsIn = Field(default_factory=MethodsIn)
    reveal_identities: bool = False
    kind: str = Field(
        "proficiency",
        max_length=20,
        description="proficiency (ISO 13528 scores) or precision_study (ISO 5725-2)",
    )


class ResultIn(Strict):
    item: str = Field(max_length=120)
    value: float
    unit: str = Field(max_length=60)
    standard_uncertainty: float | None = None
    coverage_factor: float | None = None
    replicates: list[float] = Field(default_factory=list, max_length=100)
    notes: str = Field("", max_length=4000)


class SubmissionIn(Strict):
    results: list[ResultIn] = Field(min_length=1, max_length=50)
    label: str | None = Field(None, max_length=2000, description="default: the round's label")
    procedure_version: str | None = Field(
        None, max_length=36, description="the procedure version your laboratory followed"
    )


class UploadIn(Strict):
    filename: str = Field(max_length=200)
    content: str = Field(max_length=1_400_000, description="the CSV or XLSX file, base64")
    label: str | None = Field(None, max_length=2000)


class ReasonIn(Strict):
    reason: str = Field(max_length=2000)


# -- answers ---------------------------------------------------------------------------


class ProcedureVersionOut(BaseModel):
    id: str
    procedure_id: str
    procedure: str
    version: int
    status: str
    measurand: str
    unit: str
    method: str
    equipment: str
    acceptance_criteria: str
    uncertainty_reporting: str
    marking: str
    created_by: str | None
    created_at: datetime
    approved_by: str | None
    approved_at: datetime | None


class ProcedureOut(BaseModel):
    id: str
    project_id: str
    name: str
    versions: list[ProcedureVersionOut]


class ItemOut(BaseModel):
    id: str
    name: str
    assigned_value: float | None
    assigned_uncertainty: float | None
    assigned_coverage: float | None


class LaboratoryOut(BaseModel):
    code: str
    name: str = Field(description="the code, or code and name where the caller may know it")
    organisation_id: str | None
    own: bool
    declared_version: int | None = Field(
        None, description="the procedure version it declared (blind until close)"
    )
    deviates: bool = Field(False, description="it declared a version other than the round's")


class MethodsOut(BaseModel):
    robust_method: str
    assigned_method: str
    sigma_method: str
    sigma_value: float | None
    warning_limit: float
    action_limit: float
    en_limit: float
    en_boundary: str


class RoundOut(BaseModel):
    id: str
    title: str
    project_id: str
    procedure_version_id: str
    measurand: str | None
    unit: str | None
    coordinator: str
    deadline: datetime
    status: str
    methods: MethodsOut
    reveal_identities: bool
    marking: str
    opened_at: datetime
    closed_at: datetime | None
    items: list[ItemOut]
    laboratories: list[LaboratoryOut]
    my_code: str | None
    is_coordinator: bool
    submitted: int | None
    kind: str = "proficiency"


class SubmissionOut(BaseModel):
    id: str
    round_id: str
    item: str
    laboratory: str
    code: str
    own: bool
    value: float
    standard_uncertainty: float | None
    coverage_factor: float | None
    expanded_uncertainty: float | None
    replicates: list[float]
    unit: str
    reported_value: float
    reported_uncertainty: float | None
    reported_replicates: list[float]
    reported_unit: str
    notes: str
    submitted_by: str
    submitted_at: datetime
    marking: str
    revision: int = 1


class ScoreOut(BaseModel):
    submission_id: str
    laboratory: str
    code: str
    own: bool
    value: float
    expanded_uncertainty: float | None
    z: float
    z_verdict: str
    z_prime: float
    z_prime_verdict: str
    zeta: float | None
    zeta_verdict: str | None
    en: float | None
    en_verdict: str | None
    mandel_h: float | None
    mandel_k: float | None
    marking: str
    declared_version: int | None = None
    deviates: bool = False


class ItemResultsOut(BaseModel):
    item_id: str
    item: str
    participants: int
    assigned_value: float
    assigned_uncertainty: float
    sigma_pt: float
    assigned_method: str
    assigned_clause: str
    sigma_method: str
    sigma_clause: str
    robust_method: str
    robust_clause: str
    iterations: int
    scores: list[ScoreOut]
    withheld: int = Field(description="results of this item the caller may not read")
    mandel_h_critical: list[float] | None
    mandel_k_critical: list[float] | None
    evaluation: str = Field(description="every method choice, clause and constant (JSON)")


class RoundResultsOut(BaseModel):
    round: RoundOut
    items: list[ItemResultsOut]


def _version(v: ProcedureVersion) -> ProcedureVersionOut:
    return ProcedureVersionOut(
        id=v.id,
        procedure_id=v.procedure_id,
        procedure=v.procedure,
        version=v.version,
        status=v.status,
        measurand=v.measurand,
        unit=v.unit,
        method=v.method,
        equipment=v.equipment,
        acceptance_criteria=v.acceptance_criteria,
        uncertainty_reporting=v.uncertainty_reporting,
        marking=v.marking,
        created_by=v.created_by,
        created_at=v.created_at,
        approved_by=v.approved_by,
        approved_at=v.approved_at,
    )


def _procedure(p: Procedure) -> ProcedureOut:
    return ProcedureOut(
        id=p.id, project_id=p.project_id, name=p.name, versions=[_version(v) for v in p.versions]
    )


def _methods(m: Methods) -> MethodsOut:
    return MethodsOut(
        robust_method=m.robust_method,
        assigned_method=m.assigned_method,
        sigma_method=m.sigma_method,
        sigma_value=m.sigma_value,
        warning_limit=m.warning_limit,
        action_limit=m.action_limit,
        en_limit=m.en_limit,
        en_boundary=m.en_boundary,
    )


def _round(r: Round) -> RoundOut:
    return RoundOut(
        id=r.id,
        title=r.title,
        project_id=r.project_id,
        procedure_version_id=r.procedure_version_id,
        measurand=r.measurand,
        unit=r.unit,
        coordinator=r.coordinator,
        deadline=r.deadline,
        status=r.status,
        methods=_methods(r.methods),
        reveal_identities=r.reveal_identities,
        marking=r.marking,
        opened_at=r.opened_at,
        closed_at=r.closed_at,
        items=[
            ItemOut(
                id=i.id,
                name=i.name,
                assigned_value=i.assigned_value,
                assigned_uncertainty=i.assigned_uncertainty,
                assigned_coverage=i.assigned_coverage,
            )
            for i in r.items
        ],
        laboratories=[
            LaboratoryOut(
                code=lab.code,
                name=lab.name,
                organisation_id=lab.organisation_id,
                own=lab.own,
                declared_version=lab.declared_version,
                deviates=lab.deviates,
            )
            for lab in r.laboratories
        ],
        my_code=r.my_code,
        is_coordinator=r.is_coordinator,
        submitted=r.submitted,
        kind=r.kind,
    )


def _submission(s: Submission) -> SubmissionOut:
    return SubmissionOut(
        id=s.id,
        round_id=s.round_id,
        item=s.item,
        laboratory=s.laboratory,
        code=s.code,
        own=s.own,
        value=s.value,
        standard_uncertainty=s.standard_uncertainty,
        coverage_factor=s.coverage_factor,
        expanded_uncertainty=s.expanded_uncertainty,
        replicates=list(s.replicates),
        unit=s.unit,
        reported_value=s.reported_value,
        reported_uncertainty=s.reported_uncertainty,
        reported_replicates=list(s.reported_replicates),
        reported_unit=s.reported_unit,
        notes=s.notes,
        submitted_by=s.submitted_by,
        submitted_at=s.submitted_at,
        marking=s.marking,
        revision=s.revision,
    )


def _score(s: LabScore) -> ScoreOut:
    return ScoreOut(
        submission_id=s.submission_id,
        laboratory=s.laboratory,
        code=s.code,
        own=s.own,
        value=s.value,
        expanded_uncertainty=s.expanded_uncertainty,
        z=s.z,
        z_verdict=s.z_verdict,
        z_prime=s.z_prime,
        z_prime_verdict=s.z_prime_verdict,
        zeta=s.zeta,
        zeta_verdict=s.zeta_verdict,
        en=s.en,
        en_verdict=s.en_verdict,
        mandel_h=s.mandel_h,
        mandel_k=s.mandel_k,
        marking=s.marking,
        declared_version=s.declared_version,
        deviates=s.deviates,
    )


def _item(i: ItemResults) -> ItemResultsOut:
    return ItemResultsOut(
        item_id=i.item_id,
        item=i.item,
        participants=i.participants,
        assigned_value=i.assigned_value,
        assigned_uncertainty=i.assigned_uncertainty,
        sigma_pt=i.sigma_pt,
        assigned_method=i.assigned_method,
        assigned_clause=i.assigned_clause,
        sigma_method=i.sigma_method,
        sigma_clause=i.sigma_clause,
        robust_method=i.robust_method,
        robust_clause=i.robust_clause,
        iterations=i.iterations,
        scores=[_score(s) for s in i.scores],
        withheld=i.withheld,
        mandel_h_critical=None if i.mandel_h_critical is None else list(i.mandel_h_critical),
        mandel_k_critical=None if i.mandel_k_critical is None else list(i.mandel_k_critical),
        evaluation=i.evaluation,
    )


def _results(r: RoundResults) -> RoundResultsOut:
    return RoundResultsOut(round=_round(r.round), items=[_item(i) for i in r.items])


# -- procedures ------------------------------------------------------------------------


@router.get("/procedures", response_model=list[ProcedureOut])
def procedures(
    principal: CurrentPrincipal,
    node: NodeDep,
    project: str | None = Query(None, max_length=200),
) -> list[ProcedureOut]:
    """The procedures of your projects, with the versions you may read (newest first)."""
    return [_procedure(p) for p in node.proficiency.procedures(principal, project=project)]


@router.post("/procedures", status_code=201, response_model=ProcedureVersionOut)
def create_procedure(
    body: ProcedureIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> ProcedureVersionOut:
    """A new procedure of a project; its first version is a draft."""
    made = node.proficiency.create_procedure(
        principal, ctx, project=body.project, name=body.name, draft=body.draft(), label=body.label
    )
    return _version(made)


@router.get("/procedures/{procedure_id}", response_model=ProcedureOut)
def procedure(procedure_id: str, principal: CurrentPrincipal, node: NodeDep) -> ProcedureOut:
    """One procedure with the versions you may read."""
    return _procedure(node.proficiency.procedure(principal, procedure_id))


@router.post(
    "/procedures/{procedure_id}/versions", status_code=201, response_model=ProcedureVersionOut
)
def add_version(
    procedure_id: str,
    body: ProcedureContentIn,
    principal: CurrentPrincipal,
    node: NodeDep,
    ctx: CtxDep,
) -> ProcedureVersionOut:
    """A new draft version of a procedure (a change is always a new version)."""
    made = node.proficiency.add_version(
        principal, ctx, procedure_id, body.draft(), label=body.label
    )
    return _version(made)


@router.post("/procedure-versions/{version_id}/approve", response_model=ProcedureVersionOut)
def approve(
    version_id: str, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> ProcedureVersionOut:
    """Approve a draft version (a programme manager who did not write it)."""
    return _version(node.proficiency.approve(principal, ctx, version_id))


# -- rounds ----------------------------------------------------------------------------


@router.get("/rounds", response_model=list[RoundOut])
def rounds(principal: CurrentPrincipal, node: NodeDep) -> list[RoundOut]:
    """The rounds of your projects, newest first."""
    return [_round(r) for r in node.proficiency.rounds(principal)]


@router.post("/rounds", status_code=201, response_model=RoundOut)
def open_round(body: RoundIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep) -> RoundOut:
    """Open a round on an approved procedure version (programme managers)."""
    m = body.methods
    draft = RoundDraft(
        project=body.project,
        procedure_version=body.procedure_version,
        title=body.title,
        deadline=body.deadline,
        laboratories=body.laboratories,
        items=[
            ItemDraft(i.name, i.assigned_value, i.assigned_uncertainty, i.assigned_coverage)
            for i in body.items
        ],
        label=body.label,
        coordinator=body.coordinator,
        methods=Methods(
            m.robust_method,
            m.assigned_method,
            m.sigma_method,
            m.sigma_value,
            m.warning_limit,
            m.action_limit,
            m.en_limit,
            m.en_boundary,
        ),
        reveal_identities=body.reveal_identities,
        kind=body.kind,
    )
    return _round(node.proficiency.open_round(principal, ctx, draft))


@router.get("/rounds/{round_id}", response_model=RoundOut)
def one_round(round_id: str, principal: CurrentPrincipal, node: NodeDep) -> RoundOut:
    """One round of your projects."""
    return _round(node.proficiency.round(principal, round_id))


@router.get("/rounds/{round_id}/submissions", response_model=list[SubmissionOut])
def submissions(
    round_id: str, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> list[SubmissionOut]:
    """The results you may read: your laboratory's, and the others' once the round is
    closed (under codes unless the round reveals identities)."""
    return [_submission(s) for s in node.proficiency.submissions(principal, ctx, round_id)]


@router.post("/rounds/{round_id}/submissions", status_code=201, response_model=list[SubmissionOut])
def submit(
    round_id: str, body: SubmissionIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> list[SubmissionOut]:
    """Submit your laboratory's results (all or none), units converted to the procedure's."""
    drafts = [
        ResultDraft(
            r.item,
            r.value,
            r.unit,
            r.standard_uncertainty,
            r.coverage_factor,
            tuple(r.replicates),
            r.notes,
        )
        for r in body.results
    ]
    made = node.proficiency.submit(
        principal,
        ctx,
        round_id,
        drafts,
        label=body.label,
        procedure_version=body.procedure_version,
    )
    return [_submission(s) for s in made]


@router.post("/rounds/{round_id}/uploads", status_code=201, response_model=list[SubmissionOut])
def upload(
    round_id: str, body: UploadIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> list[SubmissionOut]:
    """Submit a CSV or XLSX file of results: every row good, or nothing stored and
    ``invalid_results_file`` with ``errors`` naming each row and column."""
    try:
        content = base64.b64decode(body.content, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(
            "content is the file in base64", code="invalid_input", field="content"
        ) from None
    made = node.proficiency.upload(
        principal, ctx, round_id, filename=body.filename, content=content, label=body.label
    )
    return [_submission(s) for s in made]


@router.post("/rounds/{round_id}/close", response_model=RoundResultsOut)
def close(
    round_id: str, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> RoundResultsOut:
    """Close and score the round (its coordinator): results stop being blind."""
    return _results(node.proficiency.close(principal, ctx, round_id))


@router.post("/rounds/{round_id}/cancel", response_model=RoundOut)
def cancel(
    round_id: str, body: ReasonIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> RoundOut:
    """Cancel an open round (its coordinator); nothing is scored."""
    return _round(node.proficiency.cancel(principal, ctx, round_id, reason=body.reason))


@router.get("/rounds/{round_id}/results", response_model=RoundResultsOut)
def results(
    round_id: str, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> RoundResultsOut:
    """What closing the round computed, with the scores you may read."""
    return _results(node.proficiency.results(principal, ctx, round_id))


@router.get(
    "/rounds/{round_id}/plots/{item_id}/{kind}",
    response_class=Response,
    responses={200: {"content": {SVG: {"schema": {"type": "string"}}}, "description": "SVG"}},
)
def plot(
    round_id: str,
    item_id: str,
    kind: str,
    principal: CurrentPrincipal,
    node: NodeDep,
    ctx: CtxDep,
) -> Response:
    """One item's plot as SVG: ``results``, ``scores``, ``mandel`` or ``density`` (of what
    you may read)."""
    drawn = node.proficiency.results(principal, ctx, round_id, plots=True).plots
    found = next((p for p in drawn if p.item_id == item_id), None)
    svg = None
    if found is not None:
        svg = {
            "results": found.results,
            "scores": found.scores,
            "mandel": found.mandel,
            "density": found.density,
        }.get(kind)
    if svg is None:
        raise NotFound(f"no {kind!r} plot of item {item_id!r}", code="unknown_plot")
    return Response(svg, media_type=SVG)


REPORT_TYPES = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}


@router.get(
    "/rounds/{round_id}/report",
    response_class=Response,
    responses={
        200: {
            "description": "The report as PDF or HTML",
            "content": {
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                "text/html": {"schema": {"type": "string"}},
            },
        }
    },
)
def report(
    round_id: str,
    principal: CurrentPrincipal,
    node: NodeDep,
    ctx: CtxDep,
    format: str = Query(default="pdf", pattern="^(pdf|html)$"),
    laboratory: str | None = Query(default=None, max_length=8, pattern="^[A-Za-z0-9]+$"),
) -> Response:
    """The round's report, or one laboratory's (by its code): the method choices, the
    standard's edition, x_pt, sigma_pt and the scores you may read, the plots; marked
    on every page with the roll-up of what it shows. A round not closed yet: its
    coordinator's only (``report_not_available``)."""
    body = node.proficiency.report_document(
        principal,
        ctx,
        round_id,
        fmt=format,
        laboratory=laboratory,
        marking=lambda r: export_marking(node, principal, r.labels).line,
    )
    name = f"proficiency-{round_id[:8]}{'-' + laboratory.upper() if laboratory else ''}"
    return Response(
        body,
        media_type=REPORT_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{name}.{format}"'},
    )
