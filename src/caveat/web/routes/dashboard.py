"""The dashboard: who you are and what waits for you."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from caveat.domain.identity import Role
from caveat.domain.lifecycles import VISIT
from caveat.services.artifacts import SearchQuery
from caveat.services.ledger import AlertStatus
from caveat.web.labelling import label_of, portion
from caveat.web.pages import PageContext, render
from caveat.web.routes.releases import awaiting
from caveat.web.routes.work import KIND_NAMES
from caveat.web.session import Page, node_of

router = APIRouter(include_in_schema=False)
RECENT = 8
READERS = frozenset({Role.SECURITY_OFFICER, Role.AUDITOR})
APPROVERS = frozenset({Role.EXPORT_CONTROL_OFFICER, Role.SECURITY_OFFICER})


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
        page.show(label)
        recent.rows.append(PanelRow(item.title, f"/artifacts/{item.id}", portion(label)))
    panels = [_work(request, page), projects, recent, _plan_items(request, page)]
    if principal.roles & READERS:
        alerts = Panel("Pending alerts", "No open alerts.", more=("All alerts", "/ledger/alerts"))
        for alert in node.monitoring.alerts(principal, status=AlertStatus.OPEN, limit=5):
            when = alert.raised_at.strftime("%Y-%m-%d %H:%M")
            alerts.rows.append(PanelRow(f"{when} · {alert.summary}", "/ledger/alerts"))
        panels.append(alerts)
    if principal.roles & APPROVERS:
        panels.append(_approvals(request, page))
    return render(request, "dashboard.html", page, panels=panels)


def _work(request: Request, page: PageContext) -> Panel:
    """The viewer's work queue as counts per kind (no titles: the counts are the point,
    and /work shows the items with their markings)."""
    node, me = node_of(request), page.principal
    assert me is not None
    queue = node.work.queue(me)
    panel = Panel(
        f"Work waiting for you ({queue.total})",
        "Nothing waits for your act.",
        more=("All work", "/work"),
    )
    for kind, count in queue.counts.items():
        if count:
            panel.rows.append(PanelRow(f"{KIND_NAMES[kind]}: {count}", "/work"))
    return panel


def _plan_items(request: Request, page: PageContext) -> Panel:
    """The viewer's plan items overdue or due in the next 14 days, that they may read."""
    node, me = node_of(request), page.principal
    assert me is not None
    panel = Panel(
        "Plan items due",
        "Nothing of your projects' plans is overdue or due soon.",
        more=("All plans", "/plans"),
    )
    agenda = node.plans.agenda(me, today=node.uow.clock().date())
    for state, items in (("overdue", agenda.overdue), ("due", agenda.upcoming)):
        for item in items:
            page.show(item.label)
            panel.rows.append(
                PanelRow(
                    f"{state} {item.due_on} · {item.kind}: {item.title} ({item.project})",
                    f"/plans/{item.project_id}",
                    portion(item.label),
                )
            )
    return panel


def _approvals(request: Request, page: PageContext) -> Panel:
    """Release requests to classify or decide, and visits to decide: the viewer's turn."""
    node, me = node_of(request), page.principal
    assert me is not None
    panel = Panel(
        "Pending approvals", "Nothing waits for your decision.", more=("All releases", "/releases")
    )
    for item in awaiting(request, page):
        title = item.subject.title or "a resource of your organisation you may not see"
        text = f"{item.action}: {title} to {item.recipients}"
        panel.rows.append(PanelRow(text, f"/releases/{item.release.id}", item.subject.portion))
    if Role.SECURITY_OFFICER in me.roles:
        people = {p.id: p.display_name for p in node.people.list_people()}
        for visit in node.programmes.visits(me):
            if (
                VISIT.verbs_from(visit.status)
                and visit.host_org_id == me.person.organisation_id
                and visit.person_id != me.person_id
            ):
                who = people.get(visit.person_id, visit.person_id)
                panel.rows.append(
                    PanelRow(f"Visit: {who}, {visit.starts_on} to {visit.ends_on}", "/visits")
                )
    return panel
