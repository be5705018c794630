"""Programmes, visits, agreements, export authorizations, screening and embargoes (issue 6).

Thin routes: parse, call one service, render. Errors are typed and become problems.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from caveat.api.deps import CtxDep, CurrentPrincipal, NodeDep
from caveat.api.schemas import Strict
from caveat.api.views import response_of
from caveat.domain.compliance import AgreementKind
from caveat.services.compliance import (
    AgreementDraft,
    AgreementService,
    AuthorizationDraft,
    AuthorizationService,
    EmbargoDraft,
    EmbargoService,
    ScreeningService,
)
from caveat.services.programmes import ProgrammeRecords, ProgrammeService

router = APIRouter(prefix="/api/v1", tags=["compliance"])

MAX_LIST_BYTES = 64 * 1024 * 1024
MAX_EMBARGO_FILE = 4 * 1024 * 1024  # characters; a regime's list is a few hundred rows


class CreatedOut(BaseModel):
    id: str


class FundingLineOut(BaseModel):
    """One partner's funding in one currency: committed, contributed, outstanding (decimal
    strings) and its shares of the programme's commitments and work."""

    organisation_id: str
    role: str | None
    currency: str
    committed: str
    contributed: str
    outstanding: str
    funding_share_percent: int | float
    work_share_percent: int | float | None


class ScreeningListOut(BaseModel):
    id: str
    name: str
    format: str
    entries: int
    sha256: str
    imported_at: str


class ScreeningRunOut(BaseModel):
    new_hits: list[str] = Field(description="ids of the hits this run raised")


class ReasonIn(Strict):
    reason: str = Field(max_length=2000)


# programmes


class ProgrammeIn(Strict):
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=4000)


class ProjectRefIn(Strict):
    project: str = Field(max_length=200)


class ParticipantIn(Strict):
    organisation: str = Field(max_length=200)
    role: str = Field(max_length=30)
    work_share: str | None = Field(default=None, max_length=10, description="percent")


class FundingIn(Strict):
    organisation: str = Field(max_length=200)
    kind: Literal["commitment", "contribution"]
    amount: str = Field(max_length=30)
    currency: str = Field(max_length=3)
    on: date
    note: str = Field(default="", max_length=2000)


class ActivityIn(Strict):
    kind: Literal["course", "placement"]
    title: str = Field(max_length=200)
    host: str = Field(max_length=200)
    starts_on: date
    ends_on: date
    person: str | None = Field(default=None, max_length=64)
    location: str = Field(default="", max_length=200)


@router.get("/programmes", response_model=response_of(ProgrammeService.list_programmes))
def list_programmes(_: CurrentPrincipal, node: NodeDep) -> object:
    """Every programme with projects and participants."""
    return node.programmes.list_programmes()


@router.post("/programmes", status_code=201, response_model=response_of(ProgrammeService.create))
def create_programme(
    body: ProgrammeIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> object:
    """Create a programme (programme managers)."""
    return node.programmes.create(principal, ctx, name=body.name, description=body.description)


@router.get("/funding/nations", response_model=response_of(ProgrammeRecords.funding_by_nation))
def funding_by_nation(_: CurrentPrincipal, node: NodeDep) -> object:
    """Every programme's funding per partner nation and currency: committed and
    contributed (decimal strings, and minor units), by programme, currency, nation."""
    return node.programme_records.funding_by_nation()


@router.get("/programmes/{ref}", response_model=response_of(ProgrammeService.get))
def get_programme(ref: str, _: CurrentPrincipal, node: NodeDep) -> object:
    """One programme."""
    return node.programmes.get(ref)


@router.post("/programmes/{ref}/projects", status_code=204)
def add_programme_project(
    ref: str, body: ProjectRefIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> None:
    """Put a project in the programme."""
    node.programmes.add_project(principal, ctx, ref, body.project)


@router.post("/programmes/{ref}/participants", status_code=204)
def set_programme_participant(
    ref: str, body: ParticipantIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> None:
    """Add or update a participating organisation."""
    node.programmes.set_participant(
        principal, ctx, ref, body.organisation, role=body.role, work_share=body.work_share
    )


@router.post("/programmes/{ref}/funding", status_code=201)
def record_funding(
    ref: str, body: FundingIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> CreatedOut:
    """Record a commitment or a contribution."""
    entry = node.programmes.record_funding(
        principal,
        ctx,
        ref,
        body.organisation,
        kind=body.kind,
        amount=body.amount,
        currency=body.currency,
        on=body.on,
        note=body.note,
    )
    return CreatedOut(id=entry)


@router.get("/programmes/{ref}/funding")
def funding_summary(ref: str, _: CurrentPrincipal, node: NodeDep) -> list[FundingLineOut]:
    """Shares against commitments per partner and currency."""
    return [FundingLineOut(**line) for line in node.programmes.funding_summary(ref)]


@router.post("/programmes/{ref}/activities", status_code=201)
def add_activity(
    ref: str, body: ActivityIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> CreatedOut:
    """A training course or an exchange placement."""
    activity = node.programmes.add_activity(
        principal,
        ctx,
        ref,
        kind=body.kind,
        title=body.title,
        host=body.host,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        person=body.person,
        location=body.location,
    )
    return CreatedOut(id=activity)


# visits


class VisitIn(Strict):
    person: str = Field(max_length=64)
    host: str = Field(max_length=200)
    project: str = Field(max_length=200)
    purpose: str = Field(max_length=2000)
    starts_on: date
    ends_on: date


class VisitDecisionIn(Strict):
    approve: bool
    reason: str = Field(max_length=2000)


@router.get("/visits", response_model=response_of(ProgrammeService.visits))
def list_visits(principal: CurrentPrincipal, node: NodeDep) -> object:
    """Visits the caller may see."""
    return node.programmes.visits(principal)


@router.post("/visits", status_code=201, response_model=response_of(ProgrammeService.request_visit))
def request_visit(body: VisitIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep) -> object:
    """Ask for a visit to a host organisation."""
    return node.programmes.request_visit(principal, ctx, **body.model_dump())


@router.post(
    "/visits/{visit_id}/decision", response_model=response_of(ProgrammeService.decide_visit)
)
def decide_visit(
    visit_id: str, body: VisitDecisionIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> object:
    """The host's security officer approves or denies."""
    return node.programmes.decide_visit(
        principal, ctx, visit_id, approve=body.approve, reason=body.reason
    )


# agreements


class AgreementIn(Strict):
    name: str = Field(max_length=200)
    kind: AgreementKind
    effective_on: date
    expires_on: date | None = None
    max_level: int = Field(ge=0, le=4)
    party_nations: list[str] = Field(default_factory=list, max_length=100)
    party_organisations: list[str] = Field(default_factory=list, max_length=100)
    programmes: list[str] = Field(default_factory=list, max_length=100)
    projects: list[str] = Field(default_factory=list, max_length=1000)
    technology_areas: list[str] = Field(default_factory=list, max_length=100)
    controls: list[str] | None = Field(default=None, max_length=1000)
    releasability: list[str] = Field(default_factory=list, max_length=100)
    ip_terms: dict[str, Any] | None = None
    disputes: dict[str, Any] | None = None
    text_resource_id: str | None = Field(default=None, max_length=36)

    def draft(self) -> AgreementDraft:
        values = self.model_dump()
        for key in (
            "party_nations",
            "party_organisations",
            "programmes",
            "projects",
            "technology_areas",
            "releasability",
        ):
            values[key] = tuple(values[key])
        if values["controls"] is not None:
            values["controls"] = tuple(values["controls"])
        return AgreementDraft(**values)


class AmendIn(AgreementIn):
    note: str = Field(max_length=2000)


@router.get("/agreements", response_model=response_of(AgreementService.list_agreements))
def list_agreements(principal: CurrentPrincipal, node: NodeDep) -> object:
    """Every agreement (agreement managers, officers, programme managers, auditors)."""
    return node.agreements.list_agreements(principal)


@router.post("/agreements", status_code=201, response_model=response_of(AgreementService.create))
def create_agreement(
    body: AgreementIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> object:
    """Record a draft agreement (agreement managers of a proposed party; else 403
    ``not_a_party``)."""
    return node.agreements.create(principal, ctx, body.draft())


@router.get("/agreements/{ref}", response_model=response_of(AgreementService.get))
def get_agreement(ref: str, principal: CurrentPrincipal, node: NodeDep) -> object:
    """One agreement with its versions."""
    return node.agreements.get(principal, ref)


@router.post("/agreements/{ref}/amend", response_model=response_of(AgreementService.amend))
def amend_agreement(
    ref: str, body: AmendIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> object:
    """A new version of the agreement (agreement managers of a party)."""
    draft = AgreementIn(**body.model_dump(exclude={"note"})).draft()
    return node.agreements.amend(principal, ctx, ref, draft, note=body.note)


@router.post("/agreements/{ref}/{verb}", response_model=response_of(AgreementService.move))
def move_agreement(
    ref: str,
    verb: Literal["activate", "suspend", "resume", "expire", "terminate"],
    body: ReasonIn,
    principal: CurrentPrincipal,
    node: NodeDep,
    ctx: CtxDep,
) -> object:
    """Lifecycle: effective immediately for every decision (agreement managers of a
    party; anyone else gets 403 ``not_a_party``)."""
    return node.agreements.move(principal, ctx, ref, verb, reason=body.reason)


# export authorizations


class AuthorizationIn(Strict):
    type: str = Field(max_length=30)
    jurisdiction: str = Field(max_length=3)
    number: str = Field(max_length=80)
    entries: list[str] = Field(min_length=1, max_length=1000)
    valid_from: date
    valid_to: date | None = None
    organisations: list[str] = Field(default_factory=list, max_length=1000)
    nations: list[str] = Field(default_factory=list, max_length=300)
    people: list[str] = Field(default_factory=list, max_length=1000)
    max_level: int | None = Field(default=None, ge=0, le=4)
    no_retransfer: bool = False
    provisos: str = Field(default="", max_length=8000)


@router.get("/authorizations", response_model=response_of(AuthorizationService.list_authorizations))
def list_authorizations(principal: CurrentPrincipal, node: NodeDep) -> object:
    """Every export authorization."""
    return node.authorizations.list_authorizations(principal)


@router.post(
    "/authorizations", status_code=201, response_model=response_of(AuthorizationService.create)
)
def create_authorization(
    body: AuthorizationIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> object:
    """Record an export authorization (export control officers)."""
    values = body.model_dump()
    for key in ("entries", "organisations", "nations", "people"):
        values[key] = tuple(values[key])
    return node.authorizations.create(principal, ctx, AuthorizationDraft(**values))


@router.get("/authorizations/{ref}", response_model=response_of(AuthorizationService.get))
def get_authorization(ref: str, principal: CurrentPrincipal, node: NodeDep) -> object:
    """One authorization."""
    return node.authorizations.get(principal, ref)


@router.post("/authorizations/{ref}/{verb}", response_model=response_of(AuthorizationService.move))
def move_authorization(
    ref: str,
    verb: Literal["suspend", "reinstate", "revoke"],
    body: ReasonIn,
    principal: CurrentPrincipal,
    node: NodeDep,
    ctx: CtxDep,
) -> object:
    """Suspend, reinstate or revoke."""
    return node.authorizations.move(principal, ctx, ref, verb, reason=body.reason)


# screening


class ListIn(Strict):
    name: str = Field(max_length=120)
    format: Literal["sdn", "csl", "generic"]
    text: str = Field(max_length=MAX_LIST_BYTES)
    alt_text: str | None = Field(default=None, max_length=MAX_LIST_BYTES)


class ResolveIn(Strict):
    outcome: Literal["false_positive", "true_match"]
    reason: str = Field(max_length=2000)


class CheckIn(Strict):
    name: str = Field(min_length=1, max_length=200, description="a person's or organisation's")
    limit: int = Field(default=5, ge=1, le=50, description="the best this many; ties all kept")


@router.post("/screening/check", response_model=response_of(ScreeningService.check_name))
def check_name(body: CheckIn, principal: CurrentPrincipal, node: NodeDep) -> object:
    """Check one name against every imported list (officers): the matches, best first,
    each with the tokens that paired and the score. A read: records nothing, holds nobody.
    The name travels in the body, not in the URL, so it stays out of access logs."""
    return node.screening.check_name(principal, body.name, limit=body.limit)


@router.get("/screening/lists")
def screening_lists(principal: CurrentPrincipal, node: NodeDep) -> list[ScreeningListOut]:
    """The imported lists."""
    return [ScreeningListOut.model_validate(row) for row in node.screening.lists(principal)]


@router.post(
    "/screening/lists", status_code=201, response_model=response_of(ScreeningService.import_list)
)
def import_list(body: ListIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep) -> object:
    """Import a list (all or nothing) and re-screen everyone."""
    return node.screening.import_list(
        principal, ctx, name=body.name, fmt=body.format, text=body.text, alt_text=body.alt_text
    )


@router.post("/screening/run")
def run_screening(principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep) -> ScreeningRunOut:
    """Re-screen every person and organisation."""
    return ScreeningRunOut(new_hits=node.screening.run(principal, ctx))


@router.get("/screening/hits", response_model=response_of(ScreeningService.hits))
def screening_hits(
    principal: CurrentPrincipal,
    node: NodeDep,
    status: Literal["open", "false_positive", "true_match", "all"] = "open",
) -> object:
    """Hits the officer may see."""
    return node.screening.hits(principal, status=None if status == "all" else status)


@router.post(
    "/screening/hits/{hit_id}/resolve", response_model=response_of(ScreeningService.resolve)
)
def resolve_hit(
    hit_id: str, body: ResolveIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> object:
    """Resolve a hit as false positive or true match, with the reason."""
    return node.screening.resolve(principal, ctx, hit_id, outcome=body.outcome, reason=body.reason)


# embargoes


class EmbargoIn(Strict):
    imposed_by: str = Field(max_length=3)
    nation: str = Field(max_length=3)
    valid_from: date
    valid_to: date | None = None
    source: str = Field(max_length=2000)
    regime: str = Field(default="", max_length=40)


class EmbargoFileIn(Strict):
    text: str = Field(
        max_length=MAX_EMBARGO_FILE,
        description="CSV with the columns imposed_by, nation, regime, valid_from, valid_to, source",
    )


class LiftIn(Strict):
    on: date
    reason: str = Field(max_length=2000)


@router.get("/embargoes", response_model=response_of(EmbargoService.list_embargoes))
def list_embargoes(principal: CurrentPrincipal, node: NodeDep) -> object:
    """Every recorded embargo."""
    return node.embargoes.list_embargoes(principal)


@router.post("/embargoes", status_code=201, response_model=response_of(EmbargoService.add))
def add_embargo(body: EmbargoIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep) -> object:
    """Record a dated, sourced embargo."""
    return node.embargoes.add(principal, ctx, EmbargoDraft(**body.model_dump()))


@router.post("/embargoes/import", status_code=201, response_model=response_of(EmbargoService.load))
def import_embargoes(
    body: EmbargoFileIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> object:
    """Record every embargo of a CSV file, all or nothing (export control officers)."""
    return node.embargoes.load(principal, ctx, body.text)


@router.post("/embargoes/{embargo_id}/lift", response_model=response_of(EmbargoService.lift))
def lift_embargo(
    embargo_id: str, body: LiftIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> object:
    """End an embargo on a day."""
    return node.embargoes.lift(principal, ctx, embargo_id, on=body.on, reason=body.reason)
