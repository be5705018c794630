"""Work queues and notifications (issues 16 and 21, ADR 0028): ``/api/v1/work`` and
``/api/v1/notifications``.

Thin routes: every answer is the caller's own. A queue holds and counts only what the
owning features list for the caller; another person's notification answers 404
``unknown_notification``, exactly as a missing one.
"""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from caveat.api.background import while_serving
from caveat.api.deps import CtxDep, CurrentPrincipal, NodeDep
from caveat.api.schemas import Strict
from caveat.services.notifications import Notification
from caveat.services.work import WorkQueue

# The mail worker (ADR 0030) runs while the API serves; with no SMTP host its period is 0.
router = APIRouter(
    prefix="/api/v1",
    tags=["work"],
    lifespan=while_serving(lambda app: app.state.node.mail_worker),
)


class WorkItemOut(BaseModel):
    kind: str = Field(description="release_classify, screening_hit, plan_overdue, ...")
    id: str
    text: str
    link: str = Field(description="the web page where it is acted on")
    due_on: date | None
    marking: str | None = Field(description="a labelled plan item's marking, else null")


class WorkOut(BaseModel):
    today: date
    total: int
    counts: dict[str, int] = Field(description="items per kind; every kind, zero included")
    items: list[WorkItemOut]


class NotificationOut(BaseModel):
    id: str
    kind: str
    text: str
    link: str
    created_at: datetime
    read_at: datetime | None


class NotificationsOut(BaseModel):
    unread: int
    notifications: list[NotificationOut]


class MailSettingOut(BaseModel):
    email: bool = Field(description="whether your notifications are mailed to you")
    node_mails: bool = Field(description="whether this node mails notifications at all")


class MailSettingIn(Strict):
    email: bool = Field(description="true: mail my notifications to me; false: do not")


def work_out(q: WorkQueue) -> WorkOut:
    return WorkOut(
        today=q.today,
        total=q.total,
        counts=q.counts,
        items=[
            WorkItemOut(
                kind=i.kind, id=i.id, text=i.text, link=i.link, due_on=i.due_on, marking=i.marking
            )
            for i in q.items
        ],
    )


def notification_out(n: Notification) -> NotificationOut:
    return NotificationOut(
        id=n.id, kind=n.kind, text=n.text, link=n.link, created_at=n.created_at, read_at=n.read_at
    )


@router.get("/work", response_model=WorkOut)
def work(
    principal: CurrentPrincipal,
    node: NodeDep,
    today: date | None = Query(None, description="the day to count from (default: today)"),
) -> WorkOut:
    """What waits for your act, by kind, with counts."""
    return work_out(node.work.queue(principal, today=today))


@router.get("/notifications", response_model=NotificationsOut)
def notifications(
    principal: CurrentPrincipal,
    node: NodeDep,
    unread: bool = Query(False, description="only the unread ones"),
    limit: int = Query(50, ge=1, le=200),
) -> NotificationsOut:
    """Your notifications, newest first, with how many are unread."""
    found = node.notifications.list_notifications(principal, unread_only=unread, limit=limit)
    return NotificationsOut(
        unread=node.notifications.unread_count(principal),
        notifications=[notification_out(n) for n in found],
    )


@router.get("/notifications/email", response_model=MailSettingOut)
def mail_setting(principal: CurrentPrincipal, node: NodeDep) -> MailSettingOut:
    """Whether your notifications are mailed to you (ADR 0030): only their kind and a link."""
    return MailSettingOut(
        email=node.notifications.mail_wanted(principal), node_mails=node.notifications.mails
    )


@router.put("/notifications/email", response_model=MailSettingOut)
def set_mail_setting(
    body: MailSettingIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> MailSettingOut:
    """Turn the mailing of your own notifications on or off."""
    wanted = node.notifications.set_mail(principal, ctx, wanted=body.email)
    return MailSettingOut(email=wanted, node_mails=node.notifications.mails)


@router.post("/notifications/{notification_id}/read", response_model=NotificationOut)
def mark_read(
    notification_id: str, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> NotificationOut:
    """Mark one of your notifications read (no ledger event: ADR 0028)."""
    return notification_out(node.notifications.mark_read(principal, ctx, notification_id))
