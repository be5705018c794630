"""The dashboard: who you are and what waits for you."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from caveat.web.pages import render
from caveat.web.session import Page

router = APIRouter(include_in_schema=False)


@dataclass
class PanelRow:
    text: str
    href: str | None = None


@dataclass
class Panel:
    """One box on the dashboard; capabilities add theirs to PANELS."""

    title: str
    empty: str
    rows: list[PanelRow] = field(default_factory=list)


@router.get("/")
def dashboard(request: Request, page: Page) -> HTMLResponse:
    """The signed-in person's start page."""
    panels = [Panel("My projects", "You are not a member of any project yet.")]
    return render(request, "dashboard.html", page, panels=panels)
