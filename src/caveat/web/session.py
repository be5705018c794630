"""Who is signed in to the browser: the session cookie, resolved like an API token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from caveat.api.deps import SESSION_COOKIE
from caveat.bootstrap.container import Node
from caveat.domain.errors import AuthenticationFailed, PermissionDenied
from caveat.domain.identity import Role
from caveat.domain.permissions import Act
from caveat.services.kernel.principal import Principal
from caveat.services.kernel.uow import CallContext
from caveat.web.csrf import check_session_token, session_token
from caveat.web.nav import permits
from caveat.web.pages import PageContext


class LoginRequired(Exception):
    """Raised when a page needs a signed-in person; the app redirects to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PasswordChangeRequired(Exception):
    """Raised when a person with a one-time password opens any other page."""


def node_of(request: Request) -> Node:
    """The node the app serves."""
    node: Node = request.app.state.node
    return node


def ctx_of(request: Request) -> CallContext:
    """Request id and client address, for events and throttling."""
    client = request.client.host if request.client else None
    return CallContext(request_id=request.state.request_id, client_address=client)


def principal_of(request: Request) -> Principal | None:
    """Who the session cookie belongs to, or None (no cookie, expired, signed out)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return node_of(request).auth.authenticate(ctx_of(request), token)
    except AuthenticationFailed:
        return None


def page_context(request: Request, principal: Principal) -> PageContext:
    """The page context of a signed-in person: their CSRF token and idle time-out."""
    assert principal.session_id is not None
    node = node_of(request)
    return PageContext(
        principal=principal,
        csrf=session_token(node.keys.secret_key(), principal.session_id),
        idle_seconds=node.settings.session_idle_minutes * 60,
    )


async def signed_in_any(request: Request) -> PageContext:
    """The page context of a signed-in person (one-time passwords allowed)."""
    principal = await run_in_threadpool(principal_of, request)
    if principal is None or principal.session_id is None:
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(quote(wanted, safe="/?=&"))
    page = page_context(request, principal)
    if request.method == "POST":
        node = node_of(request)
        # Forms carry the token as a field; htmx requests as a header.
        token = request.headers.get("x-csrf-token")
        if token is None:
            token = str((await request.form()).get("csrf") or "")
        check_session_token(node.keys.secret_key(), principal.session_id, token)
    return page


def signed_in(page: Annotated[PageContext, Depends(signed_in_any)]) -> PageContext:
    """The page context of a signed-in person who has set their own password."""
    if page.principal is not None and page.principal.must_change_password:
        raise PasswordChangeRequired
    return page


def role_gate(roles: frozenset[Role], refusal: str) -> Callable[[PageContext], PageContext]:
    """A page dependency: the signed-in person's context if they hold one of ``roles``,
    otherwise PermissionDenied with ``refusal`` (the error page)."""

    def gate(page: Annotated[PageContext, Depends(signed_in)]) -> PageContext:
        if not page.holds(*roles):
            raise PermissionDenied(refusal, code="role_missing")
        return page

    return gate


def permission_gate(
    act: Act, refusal: str, *, own_organisation: bool = False
) -> Callable[..., PageContext]:
    """A page dependency: the signed-in person's context if the permission table lets
    them do ``act`` (the navigation shows the page's link on the same question),
    otherwise PermissionDenied with ``refusal`` (the error page)."""

    def gate(request: Request, page: Annotated[PageContext, Depends(signed_in)]) -> PageContext:
        who = page.principal
        now = node_of(request).uow.clock()
        if who is None or not permits(who, act, own_organisation=own_organisation, now=now):
            raise PermissionDenied(refusal, code="role_missing")
        return page

    return gate


# The administration pages read the people of the node (operators) or of one's own
# organisation (security officers).
administrator = permission_gate(
    Act.PEOPLE_READ, "this page is for node operators and security officers"
)


AnyPage = Annotated[PageContext, Depends(signed_in_any)]
Page = Annotated[PageContext, Depends(signed_in)]
AdminPage = Annotated[PageContext, Depends(administrator)]
