"""The proficiency workflows beside submitting and closing (issue 19, ADR 0024
addendum), under ``/api/v1/proficiency``: replacing a result while the round is open and
reading a result's history; declaring the procedure version a laboratory follows; the
coordinator's homogeneity and stability checks of the items (ISO 13528 Annex B); what
closing a precision study computed (ISO 5725-2).

Thin routes, as in ``proficiency.py``: parse, call one service method, render.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from caveat.api.deps import CtxDep, CurrentPrincipal, NodeDep
from caveat.api.routes.proficiency import ResultIn, RoundOut, SubmissionOut, _round, _submission
from caveat.api.schemas import Strict
from caveat.services.proficiency import (
    ItemCheck,
    PrecisionLevel,
    ResultDraft,
    RoundWorkflow,
    SubmissionVersion,
)

router = APIRouter(prefix="/api/v1/proficiency", tags=["proficiency"])


class ResubmissionIn(Strict):
    result: ResultIn
    label: str | None = Field(
        None,
        max_length=2000,
        description="default: the result's label; may tighten it, never loosen it",
    )


class DeclarationIn(Strict):
    procedure_version: str = Field(
        max_length=36, description="a version of the round's procedure (flagged if not its own)"
    )


class SubmissionVersionOut(BaseModel):
    submission_id: str
    revision: int
    current: bool
    value: float
    standard_uncertainty: float | None
    coverage_factor: float | None
    replicates: list[float]
    reported_value: float
    reported_unit: str
    notes: str
    submitted_by: str
    submitted_at: datetime
    replaced_by: str
    replaced_at: datetime | None


def _version(v: SubmissionVersion) -> SubmissionVersionOut:
    return SubmissionVersionOut(
        submission_id=v.submission_id,
        revision=v.revision,
        current=v.current,
        value=v.value,
        standard_uncertainty=v.standard_uncertainty,
        coverage_factor=v.coverage_factor,
        replicates=list(v.replicates),
        reported_value=v.reported_value,
        reported_unit=v.reported_unit,
        notes=v.notes,
        submitted_by=v.submitted_by,
        submitted_at=v.submitted_at,
        replaced_by=v.replaced_by,
        replaced_at=v.replaced_at,
    )


@router.put("/rounds/{round_id}/submissions", response_model=SubmissionOut)
def resubmit(
    round_id: str, body: ResubmissionIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> SubmissionOut:
    """Replace your laboratory's result for one item while the round is open (the
    replaced revision is kept; the label may tighten, never loosen)."""
    r = body.result
    draft = ResultDraft(
        r.item,
        r.value,
        r.unit,
        r.standard_uncertainty,
        r.coverage_factor,
        tuple(r.replicates),
        r.notes,
    )
    return _submission(node.proficiency.resubmit(principal, ctx, round_id, draft, label=body.label))


@router.get("/submissions/{submission_id}/history", response_model=list[SubmissionVersionOut])
def submission_history(
    submission_id: str, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> list[SubmissionVersionOut]:
    """Every revision of a result you may read, oldest first."""
    return [_version(v) for v in node.proficiency.submission_history(principal, ctx, submission_id)]


@router.post("/rounds/{round_id}/declaration", response_model=RoundOut)
def declare_procedure(
    round_id: str, body: DeclarationIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> RoundOut:
    """Declare which version of the round's procedure your laboratory follows (another
    version than the round's is recorded and flagged in the results)."""
    return _round(
        node.proficiency.declare_procedure(principal, ctx, round_id, body.procedure_version)
    )


class HomogeneityIn(Strict):
    item: str = Field(max_length=120, description="the round's item the check is of")
    results: list[list[float]] = Field(
        min_length=2, max_length=100, description="one row per test item, its m replicates"
    )
    sigma_pt: float | None = Field(
        None, description="default: the round's prescribed (or fitness-for-purpose) sigma_pt"
    )


class StabilityIn(Strict):
    item: str = Field(max_length=120)
    before: list[float] = Field(min_length=1, max_length=100)
    after: list[float] = Field(min_length=1, max_length=100)
    sigma_pt: float | None = None


class ItemCheckOut(BaseModel):
    id: str
    item: str
    kind: str
    passed: bool
    sigma_pt: float
    criterion: float
    statistic: float
    statistic_name: str
    passes_expanded: bool | None
    clause: str
    outcome: str = Field(description="every number the check computed, as JSON")
    recorded_by: str
    recorded_at: datetime
    in_force: bool


class VersionChoiceOut(BaseModel):
    id: str
    version: int
    status: str
    is_rounds: bool


class RoundWorkflowOut(BaseModel):
    round_id: str
    versions: list[VersionChoiceOut]
    checks: list[ItemCheckOut]
    failing: list[str]
    unchecked: list[str]


def _check(c: ItemCheck) -> ItemCheckOut:
    return ItemCheckOut(
        id=c.id,
        item=c.item,
        kind=c.kind,
        passed=c.passed,
        sigma_pt=c.sigma_pt,
        criterion=c.criterion,
        statistic=c.statistic,
        statistic_name=c.statistic_name,
        passes_expanded=c.passes_expanded,
        clause=c.clause,
        outcome=c.outcome,
        recorded_by=c.recorded_by,
        recorded_at=c.recorded_at,
        in_force=c.in_force,
    )


def _workflow(w: RoundWorkflow) -> RoundWorkflowOut:
    return RoundWorkflowOut(
        round_id=w.round_id,
        versions=[
            VersionChoiceOut(id=v.id, version=v.version, status=v.status, is_rounds=v.is_rounds)
            for v in w.versions
        ],
        checks=[_check(c) for c in w.checks],
        failing=list(w.failing),
        unchecked=list(w.unchecked),
    )


@router.post("/rounds/{round_id}/checks/homogeneity", status_code=201, response_model=ItemCheckOut)
def record_homogeneity(
    round_id: str, body: HomogeneityIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> ItemCheckOut:
    """Record a homogeneity check of an item (the round's coordinator, while it is open)."""
    return _check(
        node.proficiency.record_homogeneity(
            principal, ctx, round_id, item=body.item, results=body.results, sigma_pt=body.sigma_pt
        )
    )


@router.post("/rounds/{round_id}/checks/stability", status_code=201, response_model=ItemCheckOut)
def record_stability(
    round_id: str, body: StabilityIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> ItemCheckOut:
    """Record a stability check of an item (the round's coordinator, while it is open)."""
    return _check(
        node.proficiency.record_stability(
            principal,
            ctx,
            round_id,
            item=body.item,
            before=body.before,
            after=body.after,
            sigma_pt=body.sigma_pt,
        )
    )


@router.get("/rounds/{round_id}/workflow", response_model=RoundWorkflowOut)
def workflow(round_id: str, principal: CurrentPrincipal, node: NodeDep) -> RoundWorkflowOut:
    """The round's checks (failing and missing ones named) and the versions of its
    procedure you may declare."""
    return _workflow(node.proficiency.workflow(principal, round_id))


class PrecisionCellOut(BaseModel):
    submission_id: str
    laboratory: str
    code: str
    own: bool
    count: int
    mean: float
    sd: float | None
    mandel_h: float | None
    mandel_k: float | None
    flag: str = Field(description="correct, straggler or outlier")


class PrecisionTestOut(BaseModel):
    kind: str
    laboratories: list[str]
    statistic: float
    critical_straggler: float
    critical_outlier: float
    flag: str
    clause: str


class PrecisionLevelOut(BaseModel):
    item_id: str
    item: str
    laboratories: int
    general_mean: float
    s_r: float
    s_L: float  # noqa: N815 (the standard's symbol)
    s_R: float  # noqa: N815
    r: float
    R: float
    all_s_r: float
    all_s_R: float  # noqa: N815
    outliers: list[str]
    stragglers: list[str]
    mandel_h_critical: tuple[float, float]
    mandel_k_critical: tuple[float, float] | None
    tests: list[PrecisionTestOut]
    cells: list[PrecisionCellOut]
    withheld: int
    notes: list[str]
    record: str = Field(description="every computation of the level, as stored (JSON)")


def _level(v: PrecisionLevel) -> PrecisionLevelOut:
    return PrecisionLevelOut(
        item_id=v.item_id,
        item=v.item,
        laboratories=v.laboratories,
        general_mean=v.general_mean,
        s_r=v.s_r,
        s_L=v.s_L,
        s_R=v.s_R,
        r=v.r,
        R=v.R,
        all_s_r=v.all_s_r,
        all_s_R=v.all_s_R,
        outliers=list(v.outliers),
        stragglers=list(v.stragglers),
        mandel_h_critical=v.mandel_h_critical,
        mandel_k_critical=v.mandel_k_critical,
        tests=[
            PrecisionTestOut(
                kind=t.kind,
                laboratories=list(t.laboratories),
                statistic=t.statistic,
                critical_straggler=t.critical_straggler,
                critical_outlier=t.critical_outlier,
                flag=t.flag,
                clause=t.clause,
            )
            for t in v.tests
        ],
        cells=[
            PrecisionCellOut(
                submission_id=c.submission_id,
                laboratory=c.laboratory,
                code=c.code,
                own=c.own,
                count=c.count,
                mean=c.mean,
                sd=c.sd,
                mandel_h=c.mandel_h,
                mandel_k=c.mandel_k,
                flag=c.flag,
            )
            for c in v.cells
        ],
        withheld=v.withheld,
        notes=list(v.notes),
        record=v.record,
    )


@router.get("/rounds/{round_id}/precision", response_model=list[PrecisionLevelOut])
def precision(
    round_id: str, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> list[PrecisionLevelOut]:
    """What closing a precision study computed per level (ISO 5725-2): s_r, s_L, s_R, r,
    R, the outlier tests in order, Mandel's h and k; nothing before close."""
    return [_level(v) for v in node.proficiency.precision(principal, ctx, round_id)]
