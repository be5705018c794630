"""The proficiency workflows beside submitting and closing (issue 19, ADR 0024
addendum), under ``/api/v1/proficiency``: replacing a result while the round is open and
reading a result's history; declaring the procedure version a laboratory follows.

Thin routes, as in ``proficiency.py``: parse, call one service method, render.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from caveat.api.deps import CtxDep, CurrentPrincipal, NodeDep
from caveat.api.routes.proficiency import ResultIn, RoundOut, SubmissionOut, _round, _submission
from caveat.api.schemas import Strict
from caveat.services.proficiency import ResultDraft, SubmissionVersion

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
