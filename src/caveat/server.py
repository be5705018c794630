"""The whole node's HTTP surface: the REST API and the web pages on one app."""

from __future__ import annotations

from fastapi import FastAPI

from caveat.api.app import create_app
from caveat.bootstrap.container import Node, open_node
from caveat.bootstrap.heap import settle_heap
from caveat.bootstrap.logging import configure_logging
from caveat.bootstrap.settings import Settings
from caveat.web.app import install_web


def create_server(node: Node) -> FastAPI:
    """API under /api/v1 and the web application at /, serving ``node``."""
    app = create_app(node)
    install_web(app)
    return app


def create() -> FastAPI:
    """Factory for `uvicorn --factory caveat.server:create`: the node named by CAVEAT_*."""
    settings = Settings()
    configure_logging(json=settings.log_json, level=settings.log_level)
    app = create_server(open_node(settings))
    settle_heap()  # start-up is over: its objects leave the collector's reach
    return app
