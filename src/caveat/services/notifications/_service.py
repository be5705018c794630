"""A person's own notifications: list them, count the unread, mark one read.

Every query is narrowed to the caller as recipient *before* anything else is looked at,
so another person's notification answers exactly as one that does not exist
(``unknown_notification``, 404): its id, kind and time are never confirmed.

Marking read writes no ledger event (ADR 0028): it is the recipient's reading state,
not a security fact; the state change that caused the notification has its event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from caveat.adapters.db.models.notifications import NotificationPreferenceRow, NotificationRow
from caveat.domain.errors import NotFound
from caveat.domain.permissions import Act, Target
from caveat.services.kernel.authorize import authorize
from caveat.services.kernel.principal import Principal
from caveat.services.kernel.uow import CallContext, UnitOfWorkFactory

MAX_LIST = 200


@dataclass(frozen=True, slots=True)
class Notification:
    """One notification as its recipient sees it."""

    id: str
    kind: str
    text: str
    link: str
    created_at: datetime
    read_at: datetime | None

    @property
    def unread(self) -> bool:
        return self.read_at is None


def _view(row: NotificationRow) -> Notification:
    return Notification(row.id, row.kind, row.text, row.link, row.created_at, row.read_at)


def _missing(ref: str) -> NotFound:
    return NotFound(f"no notification {ref!r}", code="unknown_notification")


class NotificationService:
    """Reads and marks the caller's own notifications; other features write them with
    ``notify`` inside their own units of work."""

    def __init__(self, *, uow: UnitOfWorkFactory, mails: bool = False) -> None:
        self._uow = uow
        self.mails = mails  # whether the node mails notifications at all (ADR 0030)

    def list_notifications(
        self, by: Principal, *, unread_only: bool = False, limit: int = 50
    ) -> list[Notification]:
        """The caller's notifications, newest first."""
        authorize(by, Act.NOTIFICATION_READ)
        query = (
            select(NotificationRow)
            .where(NotificationRow.recipient_id == by.person_id)
            .order_by(NotificationRow.created_at.desc(), NotificationRow.id)
            .limit(max(1, min(limit, MAX_LIST)))
        )
        if unread_only:
            query = query.where(NotificationRow.read_at.is_(None))
        with self._uow.read() as session:
            return [_view(r) for r in session.scalars(query)]

    def unread_count(self, by: Principal) -> int:
        """How many of the caller's notifications are unread (the bell)."""
        authorize(by, Act.NOTIFICATION_READ)
        with self._uow.read() as session:
            count = session.scalar(
                select(func.count())
                .select_from(NotificationRow)
                .where(
                    NotificationRow.recipient_id == by.person_id,
                    NotificationRow.read_at.is_(None),
                )
            )
            return int(count or 0)

    def mark_read(self, by: Principal, ctx: CallContext, notification_id: str) -> Notification:
        """Mark one of the caller's notifications read (again: no change, no error)."""
        with self._uow(ctx) as uow:
            row = uow.session.scalar(
                select(NotificationRow).where(
                    NotificationRow.id == notification_id,
                    NotificationRow.recipient_id == by.person_id,
                )
            )
            if row is None:
                raise _missing(notification_id)
            authorize(by, Act.NOTIFICATION_MARK, Target(person_id=row.recipient_id), now=uow.now)
            if row.read_at is None:
                row.read_at = uow.now
            return _view(row)

    def mail_wanted(self, by: Principal) -> bool:
        """Whether the caller has their notifications mailed (on unless turned off)."""
        authorize(by, Act.NOTIFICATION_READ)
        with self._uow.read() as session:
            wanted = session.scalar(
                select(NotificationPreferenceRow.email).where(
                    NotificationPreferenceRow.person_id == by.person_id
                )
            )
            return wanted is not False

    def set_mail(self, by: Principal, ctx: CallContext, *, wanted: bool) -> bool:
        """Turn the mailing of the caller's own notifications on or off (a
        ``notification.mail_set`` event when it changes); the new setting."""
        with self._uow(ctx) as uow:
            authorize(by, Act.NOTIFICATION_PREFER, Target(person_id=by.person_id), now=uow.now)
            row = uow.session.get(NotificationPreferenceRow, by.person_id)
            if (row.email if row is not None else True) == wanted:
                return wanted
            if row is None:
                uow.session.add(
                    NotificationPreferenceRow(
                        person_id=by.person_id, email=wanted, updated_at=uow.now
                    )
                )
            else:
                row.email, row.updated_at = wanted, uow.now
            uow.record(
                "notification.mail_set",
                by.actor(),
                target_id=by.person_id,
                data={"email": wanted},
            )
            return wanted
