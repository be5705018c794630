"""Notifications (issues 16 and 21, ADR 0028): a stored message per recipient, written in
the same transaction as the state change that causes it, read and marked read only by
its recipient.

The entry point of the feature. ``notify`` and ``people_with_role`` are what other
features call inside their own units of work; the feature imports no other feature, so
every feature may import it (the import-linter contracts keep ``_`` modules private).
``MailDelivery`` mails notifications after commit when the node has an SMTP server
(ADR 0030)."""

from __future__ import annotations

from caveat.services.notifications._mail import (
    MAIL_QUEUED,
    MailDelivery,
    MailRun,
    MailStatus,
    compose,
    queue_mail,
)
from caveat.services.notifications._service import Notification, NotificationService
from caveat.services.notifications._store import notify, people_with_role

__all__ = [
    "MAIL_QUEUED",
    "MailDelivery",
    "MailRun",
    "MailStatus",
    "Notification",
    "NotificationService",
    "compose",
    "notify",
    "people_with_role",
    "queue_mail",
]
