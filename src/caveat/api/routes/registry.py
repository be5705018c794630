"""Nations, groups and organisations."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from caveat.api.deps import CtxDep, CurrentPrincipal, NodeDep
from caveat.api.schemas import (
    GroupIn,
    GroupOut,
    MembershipOut,
    NationOut,
    OrganisationIn,
    OrganisationOut,
)
from caveat.domain.groups import Group
from caveat.domain.nations import all_nations

router = APIRouter(prefix="/api/v1", tags=["registry"])


def _group_out(group: Group, on: date) -> GroupOut:
    return GroupOut(
        code=group.code,
        name=group.name,
        builtin=group.builtin,
        source=group.source,
        as_of=group.as_of,
        members=[
            MembershipOut(nation=m.nation, valid_from=m.valid_from, valid_to=m.valid_to)
            for m in group.members
        ],
        members_on=sorted(group.members_on(on)),
    )


@router.get("/nations")
def nations(_: CurrentPrincipal) -> list[NationOut]:
    """Every ISO 3166-1 alpha-3 nation."""
    return [NationOut(code=c, name=n) for c, n in sorted(all_nations().items())]


@router.get("/groups")
def groups(_: CurrentPrincipal, node: NodeDep, on: date | None = None) -> list[GroupOut]:
    """Built-in and custom groups, with their members on ``on`` (default today)."""
    day = on or node.uow.clock().date()
    return [_group_out(g, day) for g in node.registry.directory().all()]


@router.get("/groups/{code}")
def group(code: str, _: CurrentPrincipal, node: NodeDep, on: date | None = None) -> GroupOut:
    """One group and its members on ``on`` (default today)."""
    return _group_out(node.registry.directory().get(code), on or node.uow.clock().date())


@router.post("/groups", status_code=201)
def create_group(
    body: GroupIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> GroupOut:
    """Create a custom group (node operators and security officers)."""
    g = node.registry.create_group(
        principal,
        ctx,
        code=body.code,
        name=body.name,
        members=body.members,
        valid_from=body.valid_from,
        source=body.source,
    )
    return _group_out(g, node.uow.clock().date())


@router.get("/organisations")
def organisations(_: CurrentPrincipal, node: NodeDep) -> list[OrganisationOut]:
    """Every registered organisation."""
    return [OrganisationOut.of(o) for o in node.registry.list_organisations()]


@router.post("/organisations", status_code=201)
def create_organisation(
    body: OrganisationIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> OrganisationOut:
    """Register an organisation (node operators and security officers)."""
    return OrganisationOut.of(
        node.registry.create_organisation(
            principal,
            ctx,
            name=body.name,
            nation=body.nation,
            kind=body.kind,
            short_name=body.short_name,
        )
    )
