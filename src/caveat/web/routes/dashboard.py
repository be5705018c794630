"""The dashboard: who you are and what waits for you."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from caveat.domain.identity import Role
from caveat.services.artifacts_search import SearchQuery
from caveat.services.monitoring import AlertStatus
from caveat.web.labelling import label_of, portion
from caveat.web.pages import render
from caveat.web.session import Page, node_of

router = APIRouter(include_in_schema=False)
RECENT = 8
READERS = frozenset({Role.SECURITY_OFFICER, Role.AUDITOR})


@dataclass
class PanelRow:
    text: str
    href: str | None = None
    mark: str | None = None  # a portion mark shown before the text


@dataclass
class Panel:
    """One box on the dashboard; capabilities add theirs to PANELS."""

    title: str
    empty: str
    rows: list[PanelRow] = field(default_factory=list)
    more: tuple[str, str] | None = None  # (link text, href)


@router.get("/")
def dashboard(request: Request, page: Page) -> HTMLResponse:
    """The signed-in person's start page."""
    node, principal = node_of(request), page.principal
    assert principal is not None
    projects = Panel("My projects", "You are not a member of any project yet.")
    for project in node.projects.projects_of(principal.person_id):
        suffix = f" ({project.programme})" if project.programme else ""
        projects.rows.append(PanelRow(project.name + suffix, f"/artifacts?project={project.id}"))
    recent = Panel(
        "Recently shared with me",
        "Nothing has been shared with you yet.",
        more=("All artifacts", "/artifacts"),
    )
    # Newest artifacts the policy lets this person see; their labels set the banner.
    for item in node.artifact_search.search(principal, SearchQuery(limit=RECENT)).items:
        label = label_of(item.label_json)
        if label is not None:
            page.labels.append(label)
        recent.rows.append(PanelRow(item.title, f"/artifacts/{item.id}", portion(label)))
    panels = [projects, recent]
    if principal.roles & READERS:
        alerts = Panel("Pending alerts", "No open alerts.", more=("All alerts", "/ledger/alerts"))
        for alert in node.monitoring.alerts(principal, status=AlertStatus.OPEN, limit=5):
            when = alert.raised_at.strftime("%Y-%m-%d %H:%M")
            alerts.rows.append(PanelRow(f"{when} · {alert.summary}", "/ledger/alerts"))
        panels.append(alerts)
    return render(request, "dashboard.html", page, panels=panels)
