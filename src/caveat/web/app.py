"""Mount the web pages on the node's app; errors on pages become readable pages."""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from caveat.api import problems
from caveat.api.problems import STATUS, TITLES
from caveat.domain.errors import CaveatError, ErrorKind
from caveat.web.pages import PageContext, render
from caveat.web.routes import (
    admin,
    artifacts,
    auth,
    channels,
    compliance,
    control_lists,
    dashboard,
    discussions,
    federation,
    intel,
    label_builder,
    ledger,
    plans,
    policy,
    proficiency,
    proficiency_workflows,
    programmes,
    releases,
    work,
)
from caveat.web.session import (
    LoginRequired,
    PasswordChangeRequired,
    page_context,
    principal_of,
)

# Paths the API answers (problem+json errors, never the web's HTML page): its own, the
# health checks, and the C2SP log protocols served at the root for partners' tools.
_API_PREFIXES = (
    "/api/",
    "/healthz",
    "/readyz",
    "/checkpoint",
    "/tile/",
    "/add-checkpoint",
    "/federation/v1/",  # partner nodes' signed protocol (ADR 0019)
)
_WHAT_TO_DO = {
    401: "sign in again",
    403: "ask your security officer if you believe you should have access",
    404: "check the address, or go back to the dashboard",
    422: "correct the form and submit it again",
    429: "wait a little and try again",
    500: "try again; if it keeps happening, tell the node operator the reference below",
    503: "try again in a few minutes; the node operator has been told by the health checks",
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(_API_PREFIXES)


def _viewer(request: Request) -> PageContext:
    """The page context of whoever is signed in, so an error page keeps their
    navigation and banner; nobody (or a session that cannot be read): a bare page."""
    try:
        principal = principal_of(request)
    except Exception:  # an error page must render even if the session store fails
        return PageContext(principal=None, csrf="")
    if principal is None or principal.session_id is None:
        return PageContext(principal=None, csrf="")
    return page_context(request, principal)


async def error_page(
    request: Request,
    status: int,
    detail: str,
    hint: str | None = None,
    failed: list[str] | None = None,
) -> HTMLResponse:
    """A friendly page saying what went wrong and what to do, with the viewer's
    navigation and banner when someone is signed in."""
    page = await run_in_threadpool(_viewer, request)
    return render(
        request,
        "error.html",
        page,
        status=status,
        title=TITLES.get(status, "Error"),
        detail=detail,
        hint=hint or _WHAT_TO_DO.get(status),  # worded for the viewer by the template
        failed=failed or [],
        request_id=getattr(request.state, "request_id", None),
    )


def install_web(app: FastAPI) -> None:
    """Add the pages, their static files and HTML error handling to ``app``."""
    static = resources.files("caveat.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    for router in (
        auth.router,
        dashboard.router,
        admin.router,
        artifacts.router,
        label_builder.router,
        policy.router,
        ledger.router,
        programmes.router,
        compliance.router,
        control_lists.router,
        releases.router,
        federation.router,
        intel.router,
        proficiency.router,
        proficiency_workflows.router,
        discussions.router,
        plans.router,
        work.router,
        channels.router,
    ):
        app.include_router(router)

    async def login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return RedirectResponse(f"/login?next={exc.next_path}", status_code=303)

    async def password_first(request: Request, exc: Exception) -> Response:
        return RedirectResponse("/account", status_code=303)

    async def caveat_error(request: Request, exc: Exception) -> Response:
        if _is_api(request):
            return await problems.caveat_error_handler(request, exc)
        assert isinstance(exc, CaveatError)
        status = STATUS[exc.kind]
        if exc.kind in (ErrorKind.INTEGRITY, ErrorKind.INTERNAL):
            return await error_page(request, status, "The server could not complete the request.")
        failed = exc.data.get("failed")
        return await error_page(
            request,
            status,
            exc.detail,
            exc.hint,
            [str(f) for f in failed] if isinstance(failed, list) else None,
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        if _is_api(request):
            return await problems.http_error_handler(request, exc)
        assert isinstance(exc, StarletteHTTPException)
        detail = "There is no such page." if exc.status_code == 404 else str(exc.detail)
        return await error_page(request, exc.status_code, detail)

    async def validation_error(request: Request, exc: Exception) -> Response:
        if _is_api(request):
            return await problems.validation_error_handler(request, exc)
        assert isinstance(exc, RequestValidationError)
        fields = ", ".join(".".join(str(p) for p in e["loc"][1:]) for e in exc.errors())
        return await error_page(request, 422, f"Some fields need fixing: {fields}.")

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(PasswordChangeRequired, password_first)
    app.add_exception_handler(CaveatError, caveat_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
