"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from caveat.adapters.db import schema
from caveat.api.deps import NodeDep
from caveat.api.problems import problem
from caveat.api.schemas import HealthOut
from caveat.domain.errors import CaveatError

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> HealthOut:
    """The process is up (says nothing about the database)."""
    return HealthOut(status="ok")


@router.get("/readyz", response_model=HealthOut)
def readyz(request: Request, node: NodeDep) -> HealthOut | JSONResponse:
    """Ready when the database answers and its schema is this code's."""
    try:
        schema.require_current(node.engine)
    except CaveatError as exc:
        return problem(503, exc.code, exc.detail, request, hint=exc.hint)
    return HealthOut(status="ready")
