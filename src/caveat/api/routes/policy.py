"""Labels and the policy decision point: parse, decide, explain, who-can, what-if."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["policy"])
