"""The control-list catalogue: what each regime lists, and what one entry is about."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from caveat.api.deps import CurrentPrincipal
from caveat.api.views import plain, view_model
from caveat.domain.control_lists import EntryDescription, control_lists, describe_entry
from caveat.domain.export_control import parse_control_entry, render_control_entry

router = APIRouter(prefix="/api/v1", tags=["compliance"])


class ControlListOut(BaseModel):
    """One regime: its name, source and edition, and its headings (``categories``,
    ``groups``, ``items``, ... as the regime has them)."""

    model_config = ConfigDict(extra="allow")
    regime: str
    name: str
    source: str
    as_of: str


DescribedEntry = view_model(EntryDescription, name="DescribedEntry", extras={"entry": (str, None)})


@router.get("/control-lists")
def list_control_lists(_: CurrentPrincipal) -> list[ControlListOut]:
    """Every regime with its source, edition and headings."""
    return [ControlListOut(**row) for row in plain(control_lists().rows())]


@router.get("/control-lists/describe", response_model=list[DescribedEntry])  # type: ignore[valid-type]
def describe(
    _: CurrentPrincipal, entry: Annotated[list[str], Query(max_length=100)]
) -> list[dict[str, Any]]:
    """Check entries such as ``EAR:3A001.a.1`` and say where each sits on its list."""
    described = []
    for text in entry:
        parsed = parse_control_entry(text.strip())
        about = describe_entry(parsed.regime.value, parsed.code)
        described.append({"entry": render_control_entry(parsed), **plain(about)})
    return described
