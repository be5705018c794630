"""Labels and the policy decision point: parse, decide, explain, who-can, what-if.

Also the catalogue the policy decides over: projects, members, labelled resources,
grants and caveat holdings. Every deny carries ``failed``: the requirement codes.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, Literal

import rfc8785
from fastapi import APIRouter, Query
from pydantic import Field

from caveat.api.deps import CtxDep, CurrentPrincipal, NodeDep
from caveat.api.schemas import Strict
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
from caveat.domain.policy.explain import Audience

router = APIRouter(prefix="/api/v1", tags=["policy"])


def plain(value: Any) -> Any:
    """Dataclasses, enums, sets, labels and dates as JSON-ready values."""
    if isinstance(value, Label):
        return label_to_json_object(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, frozenset | set):
        return sorted(plain(v) for v in value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


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


def _label_out(label: Label) -> dict[str, Any]:
    return {
        "label": label_to_json_object(label),
        "canonical": label_to_canonical_json(label).decode(),
        "banner": render_banner(label),
        "portion": render_portion(label),
        "common_level": common_level(label),
    }


@router.post("/labels/parse")
def parse_label(body: MarkingIn, _: CurrentPrincipal, node: NodeDep) -> dict[str, Any]:
    """Parse a banner or portion mark strictly; errors carry the position and a hint."""
    day = body.on or node.uow.clock().date()
    return _label_out(parse_marking(body.text, groups=node.registry.directory(), on=day))


@router.post("/labels/validate")
def validate_label(body: MarkingIn, _: CurrentPrincipal, node: NodeDep) -> dict[str, Any]:
    """Whether a marking is valid; an invalid one is reported, not raised."""
    day = body.on or node.uow.clock().date()
    try:
        parse_marking(body.text, groups=node.registry.directory(), on=day)
    except MarkingError as exc:
        error = {"code": exc.code, "detail": exc.detail, "position": exc.position, "hint": exc.hint}
        return {"valid": False, "error": error}
    return {"valid": True, "error": None}


@router.post("/labels/normalise")
def normalise_label(body: MarkingIn, _: CurrentPrincipal, node: NodeDep) -> dict[str, Any]:
    """The corrected form of a marking (order, spacing, case, group collapse)."""
    day = body.on or node.uow.clock().date()
    fixed = normalise(body.text, node.registry.directory(), day)
    return {"text": body.text, "normalised": fixed, "changed": fixed != body.text}


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
def render_label(body: RenderIn, _: CurrentPrincipal, node: NodeDep) -> dict[str, Any]:
    """Banner and portion mark of a label given as its canonical JSON object; a label
    that breaks a marking rule is refused as /labels/parse refuses its banner."""
    canonical = _canonical_bytes(body.label)
    return _label_out(label_from_canonical_json(canonical, groups=node.registry.directory()))


@router.post("/labels/roll-up")
def roll_up_labels(body: RollUpIn, _: CurrentPrincipal, node: NodeDep) -> dict[str, Any]:
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


@router.get("/projects")
def projects(_: CurrentPrincipal, node: NodeDep) -> list[dict[str, Any]]:
    """Every project."""
    return [plain(p) for p in node.projects.list_projects()]


@router.post("/projects", status_code=201)
def create_project(
    body: ProjectIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> dict[str, Any]:
    """Create a project (programme managers, security officers); in a programme
    (programme managers), the project and its link are one transaction."""
    if body.programme:
        project = node.programmes.create_project(principal, ctx, body.programme, body.name)
    else:
        project = node.projects.create_project(principal, ctx, name=body.name)
    return dict(plain(project))


@router.get("/projects/{ref}/members")
def project_members(ref: str, _: CurrentPrincipal, node: NodeDep) -> list[dict[str, Any]]:
    """A project's members."""
    return [plain(m) for m in node.projects.members(ref)]


@router.post("/projects/{ref}/members", status_code=201)
def add_member(
    ref: str, body: MemberIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> dict[str, Any]:
    """Add a member (need-to-know), optionally until ``expires_at``."""
    member = node.projects.add_member(
        principal, ctx, ref, body.person, expires_at=body.expires_at, role=body.role
    )
    return dict(plain(member))


@router.patch("/projects/{ref}/members/{person}")
def change_member(
    ref: str,
    person: str,
    body: MemberChangeIn,
    principal: CurrentPrincipal,
    node: NodeDep,
    ctx: CtxDep,
) -> dict[str, Any]:
    """Change a member's project role or end date."""
    member = node.projects.update_member(
        principal,
        ctx,
        ref,
        person,
        role=body.role,
        expires_at=body.expires_at,
        open_ended=body.open_ended,
    )
    return dict(plain(member))


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


@router.post("/resources", status_code=201)
def register_resource(
    body: ResourceIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> dict[str, Any]:
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
    registered = node.catalogue.register(
        principal,
        ctx,
        project=body.project,
        kind=body.kind,
        title=body.title,
        label=label,
        export=parse_export_classification(body.controls, dual_use=body.dual_use),
        originator=body.originator,
    )
    return dict(plain(registered))


@router.get("/resources")
def list_resources(
    principal: CurrentPrincipal,
    node: NodeDep,
    action: Action = Action.DISCOVER,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """The resources you may ``action``: a keyset page and ``total``, exact when
    ``total_exact``; otherwise there are more than ``total`` (counting stops there)."""
    page = node.policy.list_visible(principal, action=action, after=after, limit=limit)
    return dict(plain(page))


@router.get("/resources/{resource_id}")
def get_resource(resource_id: str, principal: CurrentPrincipal, node: NodeDep) -> dict[str, Any]:
    """A resource's metadata and label (404 unless you may discover it)."""
    return dict(plain(node.policy.get(principal, resource_id)))


@router.get("/resources/{resource_id}/decision")
def my_decision(
    resource_id: str, principal: CurrentPrincipal, node: NodeDep, action: Action = Action.READ
) -> dict[str, Any]:
    """Your own decision on a resource, with every requirement (subject view)."""
    return dict(plain(node.policy.my_decision(principal, resource_id, action)))


@router.post("/resources/{resource_id}/grants", status_code=201)
def grant(
    resource_id: str, body: GrantIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> dict[str, Any]:
    """Grant need-to-know (access: the project's lead or the grantee's own security
    officer, never oneself) or the originator's permission (its security officers)."""
    made = node.grants.grant(
        principal,
        ctx,
        resource=resource_id,
        person=body.person,
        kind=body.kind,
        expires_at=body.expires_at,
    )
    return dict(plain(made))


@router.delete("/resources/{resource_id}/grants/{grant_id}", status_code=204)
def revoke_grant(
    resource_id: str, grant_id: str, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> None:
    """Withdraw a grant."""
    node.grants.revoke_grant(principal, ctx, resource=resource_id, grant_id=grant_id)


@router.get("/resources/{resource_id}/grants")
def list_grants(resource_id: str, principal: CurrentPrincipal, node: NodeDep) -> list[Any]:
    """The explicit grants on a resource you may discover (officers, leads, auditors)."""
    return [plain(g) for g in node.holdings.grants(principal, resource_id)]


@router.post("/people/{ref}/caveats", status_code=201)
def request_readon(
    ref: str, body: CaveatIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> dict[str, Any]:
    """Ask for a person to be read on to a caveat: the person's own security officer,
    never for oneself; a different officer of the organisation approves it."""
    made = node.grants.request_readon(
        principal,
        ctx,
        person=ref,
        caveat=body.caveat,
        reason=body.reason,
        expires_at=body.expires_at,
    )
    return dict(plain(made))


@router.get("/people/{ref}/caveats")
def list_caveats(ref: str, principal: CurrentPrincipal, node: NodeDep) -> list[Any]:
    """The caveats a person holds (their own security officers, auditors)."""
    return [plain(c) for c in node.holdings.caveats(principal, ref)]


@router.get("/readons")
def readon_requests(
    principal: CurrentPrincipal, node: NodeDep, status: str | None = "pending"
) -> list[Any]:
    """Read-on requests (officers: of their own organisation's people)."""
    wanted = None if status in (None, "", "all") else status
    return [plain(r) for r in node.grants.readon_requests(principal, status=wanted)]


@router.post("/readons/{request_id}")
def decide_readon(
    request_id: str, body: DecisionIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> dict[str, Any]:
    """Approve or deny a read-on: a security officer of the person's organisation other
    than who asked, never for oneself."""
    made = node.grants.decide_readon(
        principal, ctx, request_id, approve=body.approve, reason=body.reason
    )
    return dict(plain(made))


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


def what_if_out(result: WhatIf) -> dict[str, Any]:
    """A what-if result (officer view) as JSON."""
    return {
        "before": plain(explain(result.before, Audience.OFFICER)),
        "after": plain(explain(result.after, Audience.OFFICER)),
        "changed": [r.code for r in result.changed],
    }


@router.post("/policy/explain")
def explain_decision(body: ExplainIn, principal: CurrentPrincipal, node: NodeDep) -> dict[str, Any]:
    """Why a person may or may not act on a resource (security officers; officer view)."""
    found = node.policy.explain(
        principal, person=body.person, resource_id=body.resource, action=body.action
    )
    return dict(plain(found))


@router.get("/policy/who-can/{resource_id}")
def who_can(
    resource_id: str, principal: CurrentPrincipal, node: NodeDep, action: Action = Action.READ
) -> dict[str, Any]:
    """Who may act on a resource (security officers): ``people`` of the officer's own
    organisation with their failed requirements; ``others`` counted per organisation."""
    found = node.policy.who_can(principal, resource_id=resource_id, action=action)
    out: dict[str, Any] = plain(found)
    out.update(total=found.total, permitted=found.permitted, summary=found.summary())
    return out


@router.post("/policy/what-if")
def what_if(body: WhatIfIn, principal: CurrentPrincipal, node: NodeDep) -> dict[str, Any]:
    """The decision now and under hypothetical changes (security officers)."""
    result = node.policy.what_if(
        principal,
        person=body.person,
        resource_id=body.resource,
        action=body.action,
        changes=[to_change(c, node) for c in body.changes],
    )
    return what_if_out(result)
