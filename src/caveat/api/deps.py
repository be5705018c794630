"""Request-scoped dependencies: the node, the call context and the principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, WebSocket

from caveat.bootstrap.container import Node
from caveat.domain.errors import AuthenticationFailed, PermissionDenied
from caveat.services.kernel.principal import Principal, Scope
from caveat.services.kernel.uow import CallContext

SESSION_COOKIE = "caveat_session"
CSRF_HEADER = "x-requested-with"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_node(request: Request) -> Node:
    """The node this app serves."""
    node: Node = request.app.state.node
    return node


def get_ctx(request: Request) -> CallContext:
    """Request id and client address for events and throttling."""
    client = request.client.host if request.client else None
    return CallContext(request_id=request.state.request_id, client_address=client)


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        # A cookie rides along on cross-site requests; a custom header cannot be sent
        # cross-site without a CORS preflight, which this API never grants.
        if request.method not in _SAFE_METHODS and CSRF_HEADER not in request.headers:
            raise PermissionDenied(
                "cookie-authenticated changes need the X-Requested-With header",
                code="csrf_header_missing",
            )
        return cookie
    raise AuthenticationFailed(
        "sign in first",
        code="not_authenticated",
        hint="send Authorization: Bearer <token>, or sign in at POST /api/v1/auth/login",
    )


def bearer_token(request: Request) -> str:
    """The credential the request carries (header, or cookie with the CSRF rule)."""
    return _bearer(request)


def same_origin(websocket: WebSocket) -> bool:
    """Whether the handshake's Origin is this node's own (scheme, host and port)."""
    origin = websocket.headers.get("origin")
    host = websocket.headers.get("host")
    if not origin or not host:
        return False
    scheme = "https" if websocket.url.scheme in ("wss", "https") else "http"
    return origin.rstrip("/").lower() == f"{scheme}://{host}".lower()


def websocket_token(websocket: WebSocket) -> str:
    """The credential of a WebSocket handshake: a bearer header, or the session cookie.

    Browsers send cookies with a cross-site WebSocket handshake and no CORS preflight
    protects it, so any handshake naming an Origin must name this node's own, and a
    cookie is only believed with one (a browser always sends it)."""
    origin = websocket.headers.get("origin")
    if origin is not None and not same_origin(websocket):
        raise PermissionDenied(
            "WebSocket connections are accepted from this node's own pages only",
            code="cross_origin_refused",
        )
    header = websocket.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    cookie = websocket.cookies.get(SESSION_COOKIE)
    if cookie:
        if origin is None:
            raise PermissionDenied(
                "a cookie-authenticated WebSocket handshake must name this node as its Origin",
                code="cross_origin_refused",
            )
        return cookie
    raise AuthenticationFailed(
        "sign in first",
        code="not_authenticated",
        hint="send Authorization: Bearer <token> with the handshake",
    )


def principal_any(
    request: Request,
    node: Annotated[Node, Depends(get_node)],
    ctx: Annotated[CallContext, Depends(get_ctx)],
) -> Principal:
    """The signed-in principal, even one who still has to change a one-time password."""
    principal = node.auth.authenticate(ctx, _bearer(request))
    scope = Scope.READ if request.method in _SAFE_METHODS else Scope.WRITE
    principal.require_scope(scope)
    return principal


def principal_ready(principal: Annotated[Principal, Depends(principal_any)]) -> Principal:
    """The signed-in principal, refused while a one-time password is still in use."""
    if principal.must_change_password:
        raise PermissionDenied(
            "change the one-time password before doing anything else",
            code="password_change_required",
            hint="POST /api/v1/me/password or `caveat passwd`",
        )
    return principal


NodeDep = Annotated[Node, Depends(get_node)]
CtxDep = Annotated[CallContext, Depends(get_ctx)]
AnyPrincipal = Annotated[Principal, Depends(principal_any)]
CurrentPrincipal = Annotated[Principal, Depends(principal_ready)]
