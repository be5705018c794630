"""ASGI entry point for `uvicorn --factory caveat.api.asgi:create` (and several workers)."""

from __future__ import annotations

from fastapi import FastAPI

from caveat.api.app import create_app
from caveat.bootstrap.container import open_node
from caveat.bootstrap.logging import configure_logging
from caveat.bootstrap.settings import Settings


def create() -> FastAPI:
    """Open the node named by CAVEAT_* settings and serve it."""
    settings = Settings()
    configure_logging(json=settings.log_json, level=settings.log_level)
    return create_app(open_node(settings))
