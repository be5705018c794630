"""The FastAPI application: routes, error rendering and the edge middleware."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

import anyio.to_thread
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from caveat import __version__
from caveat.api import openapi, problems
from caveat.api.middleware import EdgeMiddleware
from caveat.api.routes import (
    artifacts,
    auth,
    channels,
    compliance,
    control_lists,
    discussions,
    federation,
    federation_protocol,
    health,
    ledger,
    people,
    plans,
    policy,
    proficiency,
    proficiency_workflows,
    registry,
    releases,
    taxii,
    taxii_subscriptions,
    work,
)
from caveat.bootstrap.container import Node
from caveat.domain.errors import CaveatError

_DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Caveat API</title>
<link rel="stylesheet" href="/api/docs/static/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/static/swagger-ui-bundle.js"></script>
<script src="/api/docs/static/init.js"></script></body></html>"""


def create_app(node: Node) -> FastAPI:
    """An app serving ``node``; the node's lifetime is the caller's business."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Requests run on worker threads (sync handlers, streamed bodies); the database
        # pool is sized for this many (engine.CONNECTIONS_PER_THREAD each), so more
        # requests queue here instead of starving the pool.
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = node.settings.request_threads
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="Caveat",
        version=__version__,
        summary="Labelled, export-controlled, auditable research sharing between nations",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served below from vendored assets: no CDN, strict CSP
        redoc_url=None,
    )
    app.state.node = node
    app.add_exception_handler(CaveatError, problems.caveat_error_handler)
    app.add_exception_handler(RequestValidationError, problems.validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, problems.http_error_handler)
    for router in (
        health.router,
        auth.router,
        registry.router,
        people.router,
        people.throttle_router,
        policy.router,
        ledger.router,
        artifacts.router,
        compliance.router,
        control_lists.router,
        releases.router,
        federation.router,
        federation_protocol.router,
        taxii.router,
        taxii.admin,
        taxii_subscriptions.router,
        proficiency.router,
        proficiency_workflows.router,
        discussions.router,
        plans.router,
        channels.router,
        work.router,
    ):
        app.include_router(router)
    static = resources.files("caveat.api").joinpath("static/swagger")
    app.mount("/api/docs/static", StaticFiles(directory=str(static)), name="swagger")

    @app.get("/api/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(_DOCS_PAGE)

    openapi.install(app)
    app.add_middleware(EdgeMiddleware)
    if node.settings.forwarded_allow_ips:
        # Outermost, so throttling and events see the client behind the trusted proxy;
        # a forwarded header from anyone else is ignored (never trusted by default).
        app.add_middleware(
            ProxyHeadersMiddleware, trusted_hosts=list(node.settings.forwarded_allow_ips)
        )
    return app
