"""Artifacts: streaming, resumable upload; policy-checked streaming download; search."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["artifacts"])
