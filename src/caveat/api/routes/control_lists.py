"""The control-list catalogue: what each regime lists, and what one entry is about."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from caveat.api.deps import CurrentPrincipal
from caveat.api.routes.policy import plain
from caveat.domain.control_lists import control_lists, describe_entry
from caveat.domain.export_control import parse_control_entry, render_control_entry

router = APIRouter(prefix="/api/v1", tags=["compliance"])


@router.get("/control-lists")
def list_control_lists(_: CurrentPrincipal) -> list[Any]:
    """Every regime with its source, edition and headings."""
    return list(plain(control_lists().rows()))


@router.get("/control-lists/describe")
def describe(_: CurrentPrincipal, entry: Annotated[list[str], Query(max_length=100)]) -> list[Any]:
    """Check entries such as ``EAR:3A001.a.1`` and say where each sits on its list."""
    described = []
    for text in entry:
        parsed = parse_control_entry(text.strip())
        about = describe_entry(parsed.regime.value, parsed.code)
        described.append({"entry": render_control_entry(parsed), **plain(about)})
    return described
