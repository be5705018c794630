"""Labels and the policy decision point: parse, decide, explain, who-can, what-if.

Also the catalogue the policy decides over: projects, members, labelled resources,
grants and caveat holdings. Every deny carries ``failed``: the requirement codes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import rfc8785
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from caveat.api.deps import CtxDep, CurrentPrincipal, NodeDep
from caveat.api.schemas import Strict
from caveat.api.views import LabelObject, fields_of, view_model
from caveat.bootstrap.container import Node
from caveat.domain.errors import InvalidInput
from caveat.domain.export_control import parse_export_classification
from caveat.domain.identity import CommonLevel
from caveat.domain.labels import (
    Label,
    MarkingError,
    common_level,
    label_from_canonical_json,
    label_to_canonical_json,
    label_to_json_object,
    normalise,
    parse_marking,
    render_banner,
    render_portion,
    roll_up,
)
from caveat.domain.policy import (
    Action,
    AddMembership,
    AddNationality,
    AtTime,
    Change,
    ExpireAgreement,
    GrantKind,
    Relabel,
    RemoveMembership,
    RemoveNationality,
    SetClearance,
    WhatIf,
    explain,
)
from caveat.domain.policy.explain import Audience, ExplainedRequirement, Explanation
from caveat.services.policy import (
    CaveatView,
    Grant,
    GrantView,
    Page,
    ReadOnRequest,
    Registered,
    ResourceView,
    WhoCan,
    WhoCanReport,
)
from caveat.services.projects import Member, Project
from caveat.services.readable import Names

router = APIRouter(prefix="/api/v1", tags=["policy"])


# labels


class MarkingIn(Strict):
    text: str = Field(max_length=4096, description="a banner or a portion mark in parentheses")
    on: date | None = Field(default=None, description="day for group membership; default today")


class RenderIn(Strict):
    label: dict[str, Any] = Field(description="a caveat.label/1 object (canonical JSON form)")


class RollUpIn(Strict):
    markings: list[str] = Field(min_length=1, max_length=1000)
    policy: str | None = Field(default=None, description="scheme of the aggregate")
    on: date | None = None


class LabelOut(BaseModel):
    """A label in every form: its object, canonical JSON, banner and portion mark."""

    label: LabelObject
    canonical: str = Field(description="RFC 8785 canonical JSON of the label")
    banner: str
    portion: str
    common_level: int


class MarkingProblem(BaseModel):
    code: str
    detail: str
    position: int
    hint: str | None


class ValidityOut(BaseModel):
    valid: bool
    error: MarkingProblem | None


class NormalisedOut(BaseModel):
    text: str
    normalised: str
    changed: bool


def _label_out(label: Label) -> LabelOut:
    return LabelOut(
        label=label_to_json_object(label),
        canonical=label_to_canonical_json(label).decode(),
        banner=render_banner(label),
        portion=render_portion(label),
        common_level=common_level(label),
    )


@router.post("/labels/parse")
def parse_label(body: MarkingIn, _: CurrentPrincipal, node: NodeDep) -> LabelOut:
    """Parse a banner or portion mark strictly; errors carry the position and a hint."""
    day = body.on or node.uow.clock().date()
    return _label_out(parse_marking(body.text, groups=node.registry.directory(), on=day))


@router.post("/labels/validate")
def validate_label(body: MarkingIn, _: CurrentPrincipal, node: NodeDep) -> ValidityOut:
    """Whether a marking is valid; an invalid one is reported, not raised."""
    day = body.on or node.uow.clock().date()
    try:
        parse_marking(body.text, groups=node.registry.directory(), on=day)
    except MarkingError as exc:
        error = MarkingProblem(
            code=exc.code, detail=exc.detail, position=exc.position, hint=exc.hint
        )
        return ValidityOut(valid=False, error=error)
    return ValidityOut(valid=True, error=None)


@router.post("/labels/normalise")
def normalise_label(body: MarkingIn, _: CurrentPrincipal, node: NodeDep) -> NormalisedOut:
    """The corrected form of a marking (order, spacing, case, group collapse)."""
    day = body.on or node.uow.clock().date()
    fixed = normalise(body.text, node.registry.directory(), day)
    return NormalisedOut(text=body.text, normalised=fixed, changed=fixed != body.text)


def _canonical_bytes(label: dict[str, Any]) -> bytes:
    """RFC 8785 bytes of a label object given as JSON; a value JSON cannot carry exactly
    (an integer outside the safe range) is invalid input, never a server error."""
    try:
        return bytes(rfc8785.dumps(label))
    except rfc8785.CanonicalizationError as exc:
        raise InvalidInput(
            f"the label cannot be put in canonical form: {exc}",
            code="invalid_label",
            field="label",
        ) from None


@router.post("/labels/render")
def render_label(body: RenderIn, _: CurrentPrincipal, node: NodeDep) -> LabelOut:
    """Banner and portion mark of a label given as its canonical JSON object; a label
    that breaks a marking rule is refused as /labels/parse refuses its banner."""
    canonical = _canonical_bytes(body.label)
    return _label_out(label_from_canonical_json(canonical, groups=node.registry.directory()))


@router.post("/labels/roll-up")
def roll_up_labels(body: RollUpIn, _: CurrentPrincipal, node: NodeDep) -> LabelOut:
    """The label of an aggregate of several markings."""
    day = body.on or node.uow.clock().date()
    groups = node.registry.directory()
    labels = [parse_marking(m, groups=groups, on=day) for m in body.markings]
    return _label_out(roll_up(labels, groups=groups, on=day, policy=body.policy))


# projects


class ProjectIn(Strict):
    name: str = Field(max_length=200)
    programme: str | None = Field(
        default=None, max_length=200, description="an existing programme (id or name)"
    )


class MemberIn(Strict):
    person: str = Field(description="person id or username")
    expires_at: datetime | None = None
    role: str = Field(default="member", max_length=20, description="lead, member, observer")


class MemberChangeIn(Strict):
    role: str | None = Field(default=None, max_length=20)
    expires_at: datetime | None = None
    open_ended: bool = False


@router.get("/projects", response_model=list[view_model(Project)])  # type: ignore[misc]
def projects(_: CurrentPrincipal, node: NodeDep) -> list[Project]:
    """Every project."""
    return list(node.projects.list_projects())


@router.post("/projects", status_code=201, response_model=view_model(Project))
def create_project(
    body: ProjectIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> Project:
    """Create a project (programme managers, security officers); in a programme
    (programme managers), the project and its link are one transaction."""
    if body.programme:
        project = node.programmes.create_project(principal, ctx, body.programme, body.name)
    else:
        project = node.projects.create_project(principal, ctx, name=body.name)
    return project


@router.get("/projects/{ref}/members", response_model=list[view_model(Member)])  # type: ignore[misc]
def project_members(ref: str, _: CurrentPrincipal, node: NodeDep) -> list[Member]:
    """A project's members."""
    return list(node.projects.members(ref))


@router.post("/projects/{ref}/members", status_code=201, response_model=view_model(Member))
def add_member(
    ref: str, body: MemberIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> Member:
    """Add a member (need-to-know), optionally until ``expires_at``."""
    return node.projects.add_member(
        principal, ctx, ref, body.person, expires_at=body.expires_at, role=body.role
    )


@router.patch("/projects/{ref}/members/{person}", response_model=view_model(Member))
def change_member(
    ref: str,
    person: str,
    body: MemberChangeIn,
    principal: CurrentPrincipal,
    node: NodeDep,
    ctx: CtxDep,
) -> Member:
    """Change a member's project role or end date."""
    return node.projects.update_member(
        principal,
        ctx,
        ref,
        person,
        role=body.role,
        expires_at=body.expires_at,
        open_ended=body.open_ended,
    )


@router.delete("/projects/{ref}/members/{person}", status_code=204)
def remove_member(
    ref: str, person: str, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> None:
    """Remove a member."""
    node.projects.remove_member(principal, ctx, ref, person)


# resources


class ResourceIn(Strict):
    project: str
    kind: str = "document"
    title: str = Field(max_length=300)
    marking: str | None = Field(default=None, max_length=4096, description="banner or portion")
    label: dict[str, Any] | None = Field(default=None, description="caveat.label/1 object")
    controls: list[str] = Field(default=[], max_length=50, description="e.g. EAR:3A001.a.1")
    dual_use: bool = False
    originator: str | None = Field(default=None, description="originating organisation")


class GrantIn(Strict):
    person: str
    kind: GrantKind = GrantKind.ACCESS
    expires_at: datetime | None = None


class CaveatIn(Strict):
    caveat: str = Field(max_length=120, description="TAG:VALUE, e.g. SCI:SI-G ABCD")
    expires_at: datetime | None = None
    reason: str = Field(default="", max_length=2000, description="why (kept in the ledger)")


class DecisionIn(Strict):
    approve: bool
    reason: str = Field(default="", max_length=2000, description="required to deny")


@router.post("/resources", status_code=201, response_model=view_model(Registered))
def register_resource(
    body: ResourceIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> Registered:
    """Register a labelled resource in a project you belong to."""
    if (body.marking is None) == (body.label is None):
        raise InvalidInput("give either marking or label", code="label_required", field="marking")
    if body.marking is not None:
        day = node.uow.clock().date()
        label = parse_marking(body.marking, groups=node.registry.directory(), on=day)
    else:
        assert body.label is not None  # exactly one of the two, checked above
        label = label_from_canonical_json(
            _canonical_bytes(body.label), groups=node.registry.directory()
        )
    return node.catalogue.register(
        principal,
        ctx,
        project=body.project,
        kind=body.kind,
        title=body.title,
        label=label,
        export=parse_export_classification(body.controls, dual_use=body.dual_use),
        originator=body.originator,
    )


@router.get("/resources", response_model=view_model(Page))
def list_resources(
    principal: CurrentPrincipal,
    node: NodeDep,
    action: Action = Action.DISCOVER,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page:
    """The resources you may ``action``: a keyset page and ``total``, exact when
    ``total_exact``; otherwise there are more than ``total`` (counting stops there)."""
    return node.policy.list_visible(principal, action=action, after=after, limit=limit)


@router.get("/resources/{resource_id}", response_model=view_model(ResourceView))
def get_resource(resource_id: str, principal: CurrentPrincipal, node: NodeDep) -> ResourceView:
    """A resource's metadata and label (404 unless you may discover it)."""
    return node.policy.get(principal, resource_id)


@router.get("/resources/{resource_id}/decision", response_model=view_model(Explanation))
def my_decision(
    resource_id: str, principal: CurrentPrincipal, node: NodeDep, action: Action = Action.READ
) -> Explanation:
    """Your own decision on a resource, with every requirement (subject view)."""
    return node.policy.my_decision(principal, resource_id, action)


@router.post("/resources/{resource_id}/grants", status_code=201, response_model=view_model(Grant))
def grant(
    resource_id: str, body: GrantIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> Grant:
    """Grant need-to-know (access: the project's lead or the grantee's own security
    officer, never oneself) or the originator's permission (its security officers)."""
    return node.grants.grant(
        principal,
        ctx,
        resource=resource_id,
        person=body.person,
        kind=body.kind,
        expires_at=body.expires_at,
    )


@router.delete("/resources/{resource_id}/grants/{grant_id}", status_code=204)
def revoke_grant(
    resource_id: str, grant_id: str, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> None:
    """Withdraw a grant."""
    node.grants.revoke_grant(principal, ctx, resource=resource_id, grant_id=grant_id)


@router.get(
    "/resources/{resource_id}/grants",
    response_model=list[view_model(GrantView)],  # type: ignore[misc]
)
def list_grants(resource_id: str, principal: CurrentPrincipal, node: NodeDep) -> list[GrantView]:
    """The explicit grants on a resource you may discover (officers, leads, auditors)."""
    return list(node.holdings.grants(principal, resource_id))


@router.post("/people/{ref}/caveats", status_code=201, response_model=view_model(ReadOnRequest))
def request_readon(
    ref: str, body: CaveatIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> ReadOnRequest:
    """Ask for a person to be read on to a caveat: the person's own security officer,
    never for oneself; a different officer of the organisation approves it."""
    return node.grants.request_readon(
        principal,
        ctx,
        person=ref,
        caveat=body.caveat,
        reason=body.reason,
        expires_at=body.expires_at,
    )


@router.get("/people/{ref}/caveats", response_model=list[view_model(CaveatView)])  # type: ignore[misc]
def list_caveats(ref: str, principal: CurrentPrincipal, node: NodeDep) -> list[CaveatView]:
    """The caveats a person holds (their own security officers, auditors)."""
    return list(node.holdings.caveats(principal, ref))


@router.get("/readons", response_model=list[view_model(ReadOnRequest)])  # type: ignore[misc]
def readon_requests(
    principal: CurrentPrincipal, node: NodeDep, status: str | None = "pending"
) -> list[ReadOnRequest]:
    """Read-on requests (officers: of their own organisation's people)."""
    wanted = None if status in (None, "", "all") else status
    return list(node.grants.readon_requests(principal, status=wanted))


@router.post("/readons/{request_id}", response_model=view_model(ReadOnRequest))
def decide_readon(
    request_id: str, body: DecisionIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> ReadOnRequest:
    """Approve or deny a read-on: a security officer of the person's organisation other
    than who asked, never for oneself."""
    return node.grants.decide_readon(
        principal, ctx, request_id, approve=body.approve, reason=body.reason
    )


@router.delete("/people/{ref}/caveats/{caveat}", status_code=204)
def revoke_caveat(
    ref: str,
    caveat: str,
    principal: CurrentPrincipal,
    node: NodeDep,
    ctx: CtxDep,
    reason: str = "",
) -> None:
    """Read a person off a caveat (their own security officer), with a ``reason``."""
    node.grants.revoke_caveat(principal, ctx, person=ref, caveat=caveat, reason=reason)


# officers' questions


class ExplainIn(Strict):
    person: str
    resource: str
    action: Action = Action.READ


class ChangeIn(Strict):
    kind: Literal[
        "add_nationality",
        "remove_nationality",
        "expire_agreement",
        "add_membership",
        "remove_membership",
        "set_clearance",
        "at_time",
        "relabel",
    ]
    nation: str | None = None
    agreement: str | None = None
    project: str | None = None
    level: CommonLevel | None = None
    expires: date | None = None
    when: datetime | None = None
    marking: str | None = Field(
        default=None, max_length=4096, description="relabel: a banner or a portion mark"
    )


class WhatIfIn(ExplainIn):
    changes: list[ChangeIn] = Field(min_length=1, max_length=20)


def _need(value: str | None, name: str) -> str:
    if not value:
        raise InvalidInput(f"this change needs {name}", code="invalid_change", field=name)
    return value


def to_change(c: ChangeIn, node: Node) -> Change:
    """A what-if change from its JSON form."""
    if c.kind == "relabel":
        day = node.uow.clock().date()
        marking = _need(c.marking, "marking")
        return Relabel(parse_marking(marking, groups=node.registry.directory(), on=day))
    if c.kind == "add_nationality":
        return AddNationality(_need(c.nation, "nation"))
    if c.kind == "remove_nationality":
        return RemoveNationality(_need(c.nation, "nation"))
    if c.kind == "expire_agreement":
        return ExpireAgreement(_need(c.agreement, "agreement"))
    if c.kind == "add_membership":
        return AddMembership(_need(c.project, "project"))
    if c.kind == "remove_membership":
        return RemoveMembership(_need(c.project, "project"))
    if c.kind == "set_clearance":
        return SetClearance(c.level, c.expires)
    if c.when is None:
        raise InvalidInput("at_time needs when", code="invalid_change", field="when")
    return AtTime(c.when)


WordedRequirementOut = view_model(
    ExplainedRequirement, name="WordedRequirement", extras={"worded": (str, None)}
)
WordedExplanationOut = view_model(
    Explanation,
    name="WordedExplanation",
    extras={"requirements": (list[WordedRequirementOut], None)},  # type: ignore[valid-type]
)


class WhatIfOut(BaseModel):
    """The officer's view of the decision before and after the changes, and the codes of
    the requirements whose outcome changed. Each requirement's ``worded`` detail is for
    people, on the rule of ``/policy/explain``; ``detail`` stays the machine text."""

    before: WordedExplanationOut  # type: ignore[valid-type]
    after: WordedExplanationOut  # type: ignore[valid-type]
    changed: list[str]


def _worded(found: Explanation, names: Names) -> BaseModel:
    """An explanation with each requirement's detail worded for the caller."""
    names.resource(found.resource_id)  # its project may be named if the caller sees it
    requirements = [
        WordedRequirementOut.model_validate({**fields_of(r), "worded": names.explain(r.detail)})
        for r in found.requirements
    ]
    return WordedExplanationOut.model_validate({**fields_of(found), "requirements": requirements})


@router.post("/policy/explain", response_model=WordedExplanationOut)
def explain_decision(body: ExplainIn, principal: CurrentPrincipal, node: NodeDep) -> BaseModel:
    """Why a person may or may not act on a resource (security officers; officer view).
    Each requirement's ``worded`` detail is for people: projects by name where the caller
    may learn them (a member, or the resource's own project when the caller may discover
    it; a shortened id otherwise), durations in hours and minutes; ``detail`` stays the
    machine text."""
    found = node.policy.explain(
        principal, person=body.person, resource_id=body.resource, action=body.action
    )
    return _worded(found, Names(node, principal))


NamedWhoCanOut = view_model(WhoCan, name="NamedWhoCan", extras={"name": (str | None, None)})
NamedWhoCanReportOut = view_model(
    WhoCanReport,
    name="WhoCanReport",
    extras={
        "people": (list[NamedWhoCanOut], None),  # type: ignore[valid-type]
        "total": (int, lambda r: r.total),
        "permitted": (int, lambda r: r.permitted),
        "summary": (str, lambda r: r.summary()),
        "resource_title": (str | None, None),
        "project_id": (str | None, None),
        "project_name": (str | None, None),
    },
)


@router.get("/policy/who-can/{resource_id}", response_model=NamedWhoCanReportOut)
def who_can(
    resource_id: str, principal: CurrentPrincipal, node: NodeDep, action: Action = Action.READ
) -> BaseModel:
    """Who may act on a resource (security officers): ``people`` of the officer's own
    organisation with their failed requirements; ``others`` counted per organisation.
    Beside the ids, names for people to read: each listed person's display ``name``, the
    resource's title and its project's id and name (only as the caller may discover the
    resource: null otherwise), organisations by name with their ids."""
    report = node.policy.who_can(principal, resource_id=resource_id, action=action)
    names = Names(node, principal)
    title = names.resource(report.resource_id)
    project_id = names.project_of(report.resource_id)
    names.prefetch_people(w.person_id for w in report.people)
    people = [
        NamedWhoCanOut.model_validate({**fields_of(w), "name": names.person(w.person_id)})
        for w in report.people
    ]
    return NamedWhoCanReportOut.model_validate(
        {
            **fields_of(report),
            "people": people,
            "total": report.total,
            "permitted": report.permitted,
            "summary": report.summary(),
            "resource_title": None if title is None else title.text,
            "project_id": project_id,
            "project_name": None if project_id is None else names.project(project_id),
        }
    )


@router.post("/policy/what-if", response_model=WhatIfOut)
def what_if(body: WhatIfIn, principal: CurrentPrincipal, node: NodeDep) -> WhatIfOut:
    """The decision now and under hypothetical changes (security officers); each
    requirement worded for people beside its machine ``detail``, as ``/policy/explain``."""
    result: WhatIf = node.policy.what_if(
        principal,
        person=body.person,
        resource_id=body.resource,
        action=body.action,
        changes=[to_change(c, node) for c in body.changes],
    )
    names = Names(node, principal)
    return WhatIfOut(
        before=_worded(explain(result.before, Audience.OFFICER), names),
        after=_worded(explain(result.after, Audience.OFFICER), names),
        changed=[r.code for r in result.changed],
    )
