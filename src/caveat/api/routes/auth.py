"""Sign-in, sign-out and the signed-in person's own credentials."""

from __future__ import annotations

from datetime import timedelta

import segno
from fastapi import APIRouter, Request, Response

from caveat.api.deps import SESSION_COOKIE, AnyPrincipal, CtxDep, CurrentPrincipal, NodeDep
from caveat.api.schemas import (
    IssuedTokenOut,
    LoginIn,
    PasswordChangeIn,
    PersonOut,
    RecoveryCodesOut,
    RevokedOut,
    SessionOut,
    StepUpIn,
    StepUpOut,
    TokenIn,
    TokenOut,
    TotpConfirmIn,
    TotpEnrolmentOut,
)

router = APIRouter(prefix="/api/v1", tags=["authentication"])


def _secure(request: Request, node: NodeDep) -> bool:
    forced = node.settings.secure_cookies
    return forced if forced is not None else request.url.scheme == "https"


@router.post("/auth/login", status_code=201)
def login(
    body: LoginIn, request: Request, response: Response, node: NodeDep, ctx: CtxDep
) -> SessionOut:
    """Sign in with username, password and a TOTP or recovery code."""
    issued = node.auth.login(ctx, username=body.username, password=body.password, otp=body.otp)
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        httponly=True,
        samesite="strict",
        secure=_secure(request, node),
        path="/",
        max_age=int((issued.expires_at - issued.mfa_at).total_seconds()),
    )
    return SessionOut(
        token=issued.token,
        session_id=issued.session_id,
        expires_at=issued.expires_at,
        idle_timeout_seconds=int(issued.idle_timeout.total_seconds()),
        must_change_password=issued.person.must_change_password,
        person=PersonOut.of(issued.person),
    )


@router.post("/auth/logout", status_code=204)
def logout(principal: AnyPrincipal, response: Response, node: NodeDep, ctx: CtxDep) -> None:
    """End the current session."""
    node.auth.logout(principal, ctx)
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.post("/auth/step-up")
def step_up(body: StepUpIn, principal: AnyPrincipal, node: NodeDep, ctx: CtxDep) -> StepUpOut:
    """Prove the second factor again when a decision asks for a fresher MFA."""
    return StepUpOut(mfa_at=node.auth.step_up(principal, ctx, otp=body.otp))


@router.post("/auth/sessions/revoke-all")
def revoke_all(principal: AnyPrincipal, node: NodeDep, ctx: CtxDep) -> RevokedOut:
    """End every session of the signed-in person, this one included."""
    return RevokedOut(sessions_ended=node.auth.revoke_all_sessions(principal, ctx))


@router.get("/me")
def me(principal: AnyPrincipal, node: NodeDep) -> PersonOut:
    """The signed-in person."""
    return PersonOut.of(node.auth.me(principal))


@router.post("/me/password", status_code=204)
def change_password(
    body: PasswordChangeIn, principal: AnyPrincipal, node: NodeDep, ctx: CtxDep
) -> None:
    """Change the password; other sessions end."""
    node.auth.change_password(principal, ctx, current=body.current_password, new=body.new_password)


@router.post("/me/mfa/totp/enrolment", status_code=201)
def begin_totp(principal: CurrentPrincipal, node: NodeDep) -> TotpEnrolmentOut:
    """Start moving to a new authenticator: returns the seed and its QR code."""
    enrolment = node.auth.begin_totp_enrolment(principal)
    qr = segno.make(enrolment.uri, error="m").svg_inline(scale=4)
    return TotpEnrolmentOut(
        secret=enrolment.secret,
        otpauth_uri=enrolment.uri,
        qr_svg=qr,
        ticket=enrolment.ticket,
        expires_at=enrolment.expires_at,
    )


@router.post("/me/mfa/totp/confirm", status_code=204)
def confirm_totp(
    body: TotpConfirmIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> None:
    """Confirm the new authenticator with a code it shows."""
    node.auth.confirm_totp_enrolment(principal, ctx, ticket=body.ticket, code=body.code)


@router.post("/me/mfa/recovery-codes", status_code=201)
def recovery_codes(principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep) -> RecoveryCodesOut:
    """Replace the recovery codes; the new ones are shown once."""
    return RecoveryCodesOut(codes=list(node.auth.new_recovery_codes(principal, ctx)))


@router.get("/me/tokens")
def list_tokens(principal: CurrentPrincipal, node: NodeDep) -> list[TokenOut]:
    """The signed-in person's API tokens (never their secrets)."""
    return [TokenOut.of(t) for t in node.tokens.list(principal)]


@router.post("/me/tokens", status_code=201)
def create_token(
    body: TokenIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> IssuedTokenOut:
    """Issue an API token; its secret is in this response and nowhere else."""
    issued = node.tokens.create(
        principal,
        ctx,
        name=body.name,
        scopes=body.scopes,
        lifetime=timedelta(days=body.expires_in_days),
    )
    return IssuedTokenOut(token=TokenOut.of(issued.token), secret=issued.secret)


@router.delete("/me/tokens/{token_id}")
def revoke_token(
    token_id: str, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> TokenOut:
    """Revoke an API token."""
    return TokenOut.of(node.tokens.revoke(principal, ctx, token_id))
