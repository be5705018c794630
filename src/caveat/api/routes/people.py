"""Account administration: scoped to the officer's organisation and the clearance's
nation, never one's own account; suspension, roles and clearances take a reason, and
``POST /people/{ref}/preview`` shows a change's effect before it is made."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from caveat.api.deps import CtxDep, CurrentPrincipal, NodeDep
from caveat.api.schemas import (
    ClearanceIn,
    MfaSecretsOut,
    NewAccountOut,
    PersonChangeIn,
    PersonIn,
    PersonOut,
    Strict,
)
from caveat.api.views import view_model
from caveat.domain.identity import Clearance, PersonStatus
from caveat.domain.permissions import Act
from caveat.services.identity import MfaSecrets
from caveat.services.kernel.authorize import authorize
from caveat.services.policy import Effect

router = APIRouter(prefix="/api/v1/people", tags=["people"])
throttle_router = APIRouter(prefix="/api/v1/throttle", tags=["people"])


class PersonChangeWhyIn(PersonChangeIn):
    reason: str = Field(default="", max_length=2000, description="why (kept in the event)")


class ReasonIn(Strict):
    reason: str = Field(default="", max_length=2000, description="why (kept in the event)")


class PreviewIn(PersonChangeIn):
    status: PersonStatus | None = None
    add_caveat: str | None = Field(default=None, max_length=120)
    remove_caveat: str | None = Field(default=None, max_length=120)


EffectOut = view_model(Effect, name="Effect", extras={"summary": (str, lambda e: e.summary())})


class AddressUnlockedOut(BaseModel):
    address: str
    unlocked: bool = Field(description="whether the address was throttled")


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
    authorize(principal, Act.PEOPLE_READ)
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
        authorize(principal, Act.PEOPLE_READ)
    return PersonOut.of(node.people.get_person(ref))


@router.patch("/{ref}")
def change_person(
    ref: str, body: PersonChangeWhyIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> PersonOut:
    """Change roles, clearance or nationalities, with a reason (never one's own; a
    clearance only by an officer of its granting nation)."""
    person = node.people.update_person(
        principal,
        ctx,
        ref,
        roles=body.roles,
        clearance=_clearance(body.clearance),
        remove_clearance=body.remove_clearance,
        citizenships=body.citizenships,
        residencies=body.residencies,
        reason=body.reason,
    )
    return PersonOut.of(person)


@router.post("/{ref}/preview", response_model=EffectOut)
def preview_change(ref: str, body: PreviewIn, principal: CurrentPrincipal, node: NodeDep) -> Effect:
    """What a change would do: how many catalogue entries the person may read now and
    afterwards (counts only), and the change in words. Allowed to whoever may make it."""
    return node.effects.preview(
        principal,
        ref,
        status=body.status,
        roles=body.roles,
        clearance=_clearance(body.clearance),
        remove_clearance=body.remove_clearance,
        citizenships=body.citizenships,
        residencies=body.residencies,
        add_caveat=body.add_caveat,
        remove_caveat=body.remove_caveat,
    )


@router.post("/{ref}/suspend")
def suspend(
    ref: str,
    principal: CurrentPrincipal,
    node: NodeDep,
    ctx: CtxDep,
    body: ReasonIn | None = None,
) -> PersonOut:
    """Suspend an account and end its sessions, with a reason (never one's own)."""
    reason = "" if body is None else body.reason
    return PersonOut.of(
        node.people.set_status(principal, ctx, ref, PersonStatus.SUSPENDED, reason=reason)
    )


@router.post("/{ref}/reactivate")
def reactivate(
    ref: str,
    principal: CurrentPrincipal,
    node: NodeDep,
    ctx: CtxDep,
    body: ReasonIn | None = None,
) -> PersonOut:
    """Reactivate a suspended account, with a reason."""
    reason = "" if body is None else body.reason
    return PersonOut.of(
        node.people.set_status(principal, ctx, ref, PersonStatus.ACTIVE, reason=reason)
    )


@router.post("/{ref}/unlock")
def unlock(
    ref: str,
    principal: CurrentPrincipal,
    node: NodeDep,
    ctx: CtxDep,
    body: ReasonIn | None = None,
) -> PersonOut:
    """Lift a login lockout."""
    reason = "" if body is None else body.reason
    return PersonOut.of(node.people.unlock(principal, ctx, ref, reason=reason))


@router.post("/{ref}/reset-mfa")
def reset_mfa(
    ref: str,
    principal: CurrentPrincipal,
    node: NodeDep,
    ctx: CtxDep,
    body: ReasonIn | None = None,
) -> MfaSecretsOut:
    """Issue a new TOTP seed and recovery codes (shown once) and end every session."""
    reason = "" if body is None else body.reason
    _, mfa = node.people.reset_mfa(principal, ctx, ref, reason=reason)
    return _mfa(mfa)


@throttle_router.delete("/addresses/{address}")
def unlock_address(
    address: str, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> AddressUnlockedOut:
    """Lift the sign-in throttle on a client address."""
    unlocked = node.auth.unlock_address(principal, ctx, address)
    return AddressUnlockedOut(address=address, unlocked=unlocked)
