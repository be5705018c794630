"""Web pages for programmes (filled in by the work on issue 7)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
