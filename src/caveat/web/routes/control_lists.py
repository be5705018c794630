"""The control-list catalogue in the browser: the lists, and "what is this entry?"."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from caveat.domain.control_lists import EntryDescription, control_lists, describe_entry
from caveat.domain.errors import InvalidInput
from caveat.domain.export_control import parse_control_entry, render_control_entry
from caveat.web.pages import render
from caveat.web.session import Page

router = APIRouter(include_in_schema=False)


@router.get("/control-lists")
def catalogue(request: Request, page: Page, entry: str = "") -> HTMLResponse:
    """Every list with its source and headings; ``entry`` checks and describes one."""
    described: EntryDescription | None = None
    error = None
    text = entry.strip()[:100]
    if text:
        try:
            parsed = parse_control_entry(text)
            text = render_control_entry(parsed)
            described = describe_entry(parsed.regime.value, parsed.code)
        except InvalidInput as exc:
            error = exc.detail + (f" — {exc.hint}" if exc.hint else "")
    return render(
        request,
        "control_lists.html",
        page,
        status=422 if error else 200,
        lists=control_lists().rows(),
        entry=text,
        described=described,
        error=error,
    )
