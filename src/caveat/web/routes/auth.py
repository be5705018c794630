"""Sign-in, sign-out and the person's own account pages."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from caveat.api.deps import SESSION_COOKIE
from caveat.domain.errors import CaveatError, InvalidInput
from caveat.domain.permissions import Code
from caveat.services.kernel.principal import Scope
from caveat.web import forms
from caveat.web.csrf import PRE_SESSION_COOKIE, check_pre_session_token, new_pre_session_token
from caveat.web.pages import PageContext, render
from caveat.web.session import AnyPage, Page, ctx_of, node_of

router = APIRouter(include_in_schema=False)


def _safe_next(value: str | None) -> str:
    # Only local paths: an open redirect would let a phishing link borrow our domain.
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def _login_page(
    request: Request, *, error: str | None = None, username: str = "", status: int = 200
) -> HTMLResponse:
    token = new_pre_session_token()
    response = render(
        request,
        "login.html",
        PageContext(principal=None, csrf=""),
        status=status,
        error=error,
        form_csrf=token,
        username=username,
        next_path=_safe_next(request.query_params.get("next")),
    )
    response.set_cookie(
        PRE_SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/login",
    )
    return response


@router.get("/login")
def login_form(request: Request) -> HTMLResponse:
    """The sign-in form."""
    return _login_page(request)


@router.post("/login")
async def login(
    request: Request,
    username: str = Form(max_length=64),
    password: str = Form(max_length=1024),
    otp: str = Form(max_length=32),
    csrf: str = Form(""),
    next: str = Form("/"),
) -> Response:
    """Check password and one-time code; open a session in an HttpOnly cookie."""
    check_pre_session_token(request.cookies.get(PRE_SESSION_COOKIE), csrf)
    node = node_of(request)
    try:
        issued = await run_in_threadpool(
            node.auth.login, ctx_of(request), username=username, password=password, otp=otp
        )
    except CaveatError as exc:
        return _login_page(
            request,
            error=exc.detail,
            username=username,
            status=429 if exc.code.endswith("throttled") else 401,
        )
    target = "/account" if issued.person.must_change_password else _safe_next(next)
    response = RedirectResponse(target, status_code=303)
    secure = node.settings.secure_cookies
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        httponly=True,
        samesite="strict",
        secure=secure if secure is not None else request.url.scheme == "https",
        path="/",
        max_age=int((issued.expires_at - issued.mfa_at).total_seconds()),
    )
    response.delete_cookie(PRE_SESSION_COOKIE, path="/login")
    return response


@router.post("/step-up")
async def step_up(
    request: Request,
    page: Page,
    otp: Annotated[str, Form(max_length=64)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """A fresh code from the authenticator, without signing out, then back to the page."""
    assert page.principal is not None
    back = _safe_next(next)
    try:
        await run_in_threadpool(
            node_of(request).auth.step_up, page.principal, ctx_of(request), otp=otp
        )
    except CaveatError as exc:
        join = "&" if "?" in back else "?"
        return RedirectResponse(
            f"{back}{join}done={quote('Code not accepted: ' + exc.detail)}", status_code=303
        )
    join = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{join}done={quote('Confirmed.')}", status_code=303)


@router.post("/logout")
async def logout(request: Request, page: AnyPage) -> Response:
    """End the session."""
    assert page.principal is not None
    await run_in_threadpool(node_of(request).auth.logout, page.principal, ctx_of(request))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _account(
    request: Request, page: PageContext, *, status: int = 200, **values: object
) -> HTMLResponse:
    node = node_of(request)
    assert page.principal is not None
    fresh = page.principal.must_change_password
    tokens = [] if fresh else node.tokens.list(page.principal)
    defaults: dict[str, Any] = {
        "password_error": None,
        "enrolment": None,
        "enrol_error": None,
        "codes_error": None,
        "recovery_codes": None,
        "token_error": None,
        "new_token": None,
        "tokens": tokens,
        "mail_error": None,
        # Whether the node mails notifications and whether this person has them mailed.
        "mail": None
        if fresh
        else {
            "node_mails": node.notifications.mails,
            "wanted": node.notifications.mail_wanted(page.principal),
        },
        # Credentials change only with a second factor proved in the last 15 minutes:
        # a stale session types a fresh code with the change itself.
        "step_up": node.auth.needs_step_up(page.principal),
    }
    defaults.update(values)
    return render(request, "account.html", page, status=status, **defaults)


def _fresh(request: Request, page: PageContext, otp: str) -> PageContext:
    """With a code typed beside a credential change, prove the second factor again first
    (failures count towards the lockout); the change then runs in the fresh session."""
    assert page.principal is not None
    if not otp.strip():
        return page
    mfa_at = node_of(request).auth.step_up(page.principal, ctx_of(request), otp=otp)
    return replace(page, principal=replace(page.principal, mfa_at=mfa_at))


def _refused(request: Request, page: PageContext, exc: CaveatError, where: str) -> HTMLResponse:
    """The account page again with the refusal beside the form that caused it."""
    hint = f" ({exc.hint})" if exc.hint else ""
    if exc.code == Code.STEP_UP_REQUIRED.value:
        hint = " — enter a fresh code from your authenticator with the change"
    return _account(request, page, status=forms.page_status(exc), **{where: exc.detail + hint})


@router.get("/account")
def account(request: Request, page: AnyPage) -> HTMLResponse:
    """Password, authenticator, recovery codes and API tokens."""
    return _account(request, page)


@router.post("/account/password")
def change_password(
    request: Request,
    page: AnyPage,
    current_password: str = Form(max_length=1024),
    new_password: str = Form(max_length=1024),
    otp: str = Form("", max_length=64),
) -> Response:
    """Change the password; other sessions end. Right after sign-in (a forced change of a
    one-time password included) the session is fresh; later a code comes with it."""
    try:
        page = _fresh(request, page, otp)
        assert page.principal is not None
        node_of(request).auth.change_password(
            page.principal, ctx_of(request), current=current_password, new=new_password
        )
    except CaveatError as exc:
        return _refused(request, page, exc, "password_error")
    return RedirectResponse("/?done=" + quote("Password changed."), status_code=303)


@router.post("/account/mfa")
def begin_mfa(
    request: Request, page: Page, otp: Annotated[str, Form(max_length=64)] = ""
) -> HTMLResponse:
    """Show a new TOTP seed as a QR code, to be confirmed with a code."""
    try:
        page = _fresh(request, page, otp)
        assert page.principal is not None
        enrolment = node_of(request).auth.begin_totp_enrolment(page.principal)
    except CaveatError as exc:
        return _refused(request, page, exc, "enrol_error")
    qr = segno.make(enrolment.uri, error="m").svg_inline(scale=4)
    return _account(
        request, page, enrolment={"qr": qr, "secret": enrolment.secret, "ticket": enrolment.ticket}
    )


@router.post("/account/mfa/confirm")
def confirm_mfa(
    request: Request,
    page: Page,
    ticket: str = Form(max_length=1000),
    code: str = Form(max_length=8),
    otp: str = Form("", max_length=64),
) -> Response:
    """Switch to the new authenticator once it shows a valid code (``otp``, from the
    current authenticator, only if the session went stale since the enrolment began)."""
    try:
        page = _fresh(request, page, otp)
        assert page.principal is not None
        node_of(request).auth.confirm_totp_enrolment(
            page.principal, ctx_of(request), ticket=ticket, code=code
        )
    except CaveatError as exc:
        return _refused(request, page, exc, "enrol_error")
    return RedirectResponse(
        "/account?done=" + quote("New authenticator confirmed."), status_code=303
    )


@router.post("/account/recovery-codes")
def recovery_codes(
    request: Request, page: Page, otp: Annotated[str, Form(max_length=64)] = ""
) -> HTMLResponse:
    """Replace the recovery codes and show the new ones once."""
    try:
        page = _fresh(request, page, otp)
        assert page.principal is not None
        codes = node_of(request).auth.new_recovery_codes(page.principal, ctx_of(request))
    except CaveatError as exc:
        return _refused(request, page, exc, "codes_error")
    return _account(request, page, recovery_codes=codes)


@router.post("/account/email")
def set_email(
    request: Request, page: Page, email: Annotated[str, Form(pattern="^(on|off)$")]
) -> Response:
    """Turn the mailing of one's own notifications on or off (no second factor: it
    changes no credential and nobody's access)."""
    try:
        assert page.principal is not None
        node_of(request).notifications.set_mail(
            page.principal, ctx_of(request), wanted=email == "on"
        )
    except CaveatError as exc:
        return _refused(request, page, exc, "mail_error")
    said = (
        "Notifications will be mailed to you."
        if email == "on"
        else "No more mail of notifications."
    )
    return RedirectResponse("/account?done=" + quote(said), status_code=303)


@router.post("/account/tokens")
def create_token(
    request: Request,
    page: Page,
    name: str = Form(max_length=100),
    scopes: list[str] = Form(default_factory=list),
    days: int = Form(30, ge=1, le=365),
    otp: str = Form("", max_length=64),
) -> HTMLResponse:
    """Create an API token and show its secret once."""
    try:
        wanted = [Scope(s) for s in scopes]
    except ValueError:
        raise InvalidInput("unknown token scope", field="scopes") from None
    try:
        page = _fresh(request, page, otp)
        assert page.principal is not None
        issued = node_of(request).tokens.create(
            page.principal,
            ctx_of(request),
            name=name,
            scopes=wanted,
            lifetime=timedelta(days=days),
        )
    except CaveatError as exc:
        return _refused(request, page, exc, "token_error")
    return _account(request, page, new_token=issued.secret)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(
    request: Request, token_id: str, page: Page, otp: Annotated[str, Form(max_length=64)] = ""
) -> Response:
    """Revoke an API token."""
    try:
        page = _fresh(request, page, otp)
        assert page.principal is not None
        node_of(request).tokens.revoke(page.principal, ctx_of(request), token_id)
    except CaveatError as exc:
        return _refused(request, page, exc, "token_error")
    return RedirectResponse("/account?done=" + quote("Token revoked."), status_code=303)
