"""The work queue and notifications in the browser (issues 16 and 21, ADR 0028): ``/work``
lists what waits for the viewer's act with counts per kind, ``/notifications`` their
notifications with a form to mark each read. The dashboard's "Work waiting" panel and
the bell in the navigation read the same services.

Both pages show only the viewer's own: the queue is what the owning features listed for
them (labelled plan items count towards the banner), and marking another person's
notification answers 404 like a missing one.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from caveat.services.kernel.principal import Principal
from caveat.services.work import KINDS
from caveat.web import forms
from caveat.web.pages import PageContext, render
from caveat.web.session import Page, ctx_of, node_of

router = APIRouter(include_in_schema=False)
# What each kind is called on the pages, in the queue's order.
KIND_NAMES = {
    "release_classify": "Releases to classify",
    "release_decide": "Releases to decide",
    "screening_hit": "Screening hits to adjudicate",
    "visit_decide": "Visits to decide",
    "re_release_decide": "Re-release requests from partner nodes",
    "agreement_expiring": "Agreements expiring within 30 days",
    "licence_expiring": "Licences expiring within 30 days",
    "plan_overdue": "Plan items overdue",
    "plan_upcoming": "Plan items due soon",
}
assert tuple(KIND_NAMES) == KINDS  # a new kind must be named here too


def _principal(page: PageContext) -> Principal:
    assert page.principal is not None
    return page.principal


@router.get("/work")
def work(request: Request, page: Page) -> HTMLResponse:
    """What waits for the viewer, grouped by kind with counts."""
    queue = node_of(request).work.queue(_principal(page))
    groups = [(KIND_NAMES[k], [i for i in queue.items if i.kind == k]) for k in KINDS]
    for item in queue.items:
        if item.label is not None:  # a plan item shows its title: its label joins the banner
            page.show(item.label)
    return render(request, "work.html", page, queue=queue, groups=groups)


@router.get("/notifications")
def notifications(request: Request, page: Page) -> HTMLResponse:
    """The viewer's notifications, newest first."""
    found = node_of(request).notifications.list_notifications(_principal(page), limit=100)
    return render(request, "notifications.html", page, notifications=found)


@router.post("/notifications/{notification_id}/read")
def mark_read(request: Request, page: Page, notification_id: str) -> Response:
    """Mark one of the viewer's notifications read (another's: 404, as a missing one)."""
    node_of(request).notifications.mark_read(_principal(page), ctx_of(request), notification_id)
    return forms.done("/notifications", "marked read")
