"""Account administration."""

from __future__ import annotations

from fastapi import APIRouter

from caveat.api.deps import CtxDep, CurrentPrincipal, NodeDep
from caveat.api.schemas import (
    ClearanceIn,
    MfaSecretsOut,
    NewAccountOut,
    PersonChangeIn,
    PersonIn,
    PersonOut,
)
from caveat.domain.identity import Clearance, PersonStatus, Role
from caveat.services.people import MfaSecrets
from caveat.services.principal import require_admin

router = APIRouter(prefix="/api/v1/people", tags=["people"])
throttle_router = APIRouter(prefix="/api/v1/throttle", tags=["people"])
_ADMINS = (Role.NODE_OPERATOR, Role.SECURITY_OFFICER)


def _clearance(body: ClearanceIn | None) -> Clearance | None:
    if body is None:
        return None
    return Clearance(
        level=body.level,
        national_name=body.national_name,
        granting_nation=body.granting_nation,
        expires=body.expires,
    )


def _mfa(m: MfaSecrets) -> MfaSecretsOut:
    return MfaSecretsOut(
        totp_secret=m.totp_secret, otpauth_uri=m.totp_uri, recovery_codes=list(m.recovery_codes)
    )


@router.get("")
def list_people(principal: CurrentPrincipal, node: NodeDep) -> list[PersonOut]:
    """Every account (node operators and security officers)."""
    require_admin(principal, _ADMINS, action="listing accounts")
    return [PersonOut.of(p) for p in node.people.list_people()]


@router.post("", status_code=201)
def create_person(
    body: PersonIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> NewAccountOut:
    """Create an account; the one-time password and TOTP seed are in this response only."""
    account = node.people.create_person(
        principal,
        ctx,
        username=body.username,
        display_name=body.display_name,
        email=body.email,
        organisation=body.organisation,
        citizenships=body.citizenships,
        residencies=body.residencies,
        roles=body.roles,
        clearance=_clearance(body.clearance),
    )
    return NewAccountOut(
        person=PersonOut.of(account.person),
        one_time_password=account.one_time_password,
        mfa=_mfa(account.mfa),
    )


@router.get("/{ref}")
def get_person(ref: str, principal: CurrentPrincipal, node: NodeDep) -> PersonOut:
    """One account by id or username (one's own, or any for administrators)."""
    if ref not in (principal.person_id, principal.username):
        require_admin(principal, _ADMINS, action="viewing other accounts")
    return PersonOut.of(node.people.get_person(ref))


@router.patch("/{ref}")
def change_person(
    ref: str, body: PersonChangeIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> PersonOut:
    """Change roles, clearance or nationalities (never one's own)."""
    person = node.people.update_person(
        principal,
        ctx,
        ref,
        roles=body.roles,
        clearance=_clearance(body.clearance),
        remove_clearance=body.remove_clearance,
        citizenships=body.citizenships,
        residencies=body.residencies,
    )
    return PersonOut.of(person)


@router.post("/{ref}/suspend")
def suspend(ref: str, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep) -> PersonOut:
    """Suspend an account and end its sessions."""
    return PersonOut.of(node.people.set_status(principal, ctx, ref, PersonStatus.SUSPENDED))


@router.post("/{ref}/reactivate")
def reactivate(ref: str, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep) -> PersonOut:
    """Reactivate a suspended account."""
    return PersonOut.of(node.people.set_status(principal, ctx, ref, PersonStatus.ACTIVE))


@router.post("/{ref}/unlock")
def unlock(ref: str, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep) -> PersonOut:
    """Lift a login lockout."""
    return PersonOut.of(node.people.unlock(principal, ctx, ref))


@router.post("/{ref}/reset-mfa")
def reset_mfa(ref: str, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep) -> MfaSecretsOut:
    """Issue a new TOTP seed and recovery codes (shown once) and end every session."""
    _, mfa = node.people.reset_mfa(principal, ctx, ref)
    return _mfa(mfa)


@throttle_router.delete("/addresses/{address}")
def unlock_address(
    address: str, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> dict[str, object]:
    """Lift the sign-in throttle on a client address."""
    return {"address": address, "unlocked": node.auth.unlock_address(principal, ctx, address)}
