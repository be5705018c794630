"""In-app notifications (issues 16 and 21, ADR 0028): one row per recipient.

A notification is written in the same transaction as the state change that causes it,
beside that change's ledger event; the event is the security fact, the notification only
tells one person about it. Its text names nothing the recipient could not already see,
so it carries no label of its own. ``read_at`` is the recipient's own reading state.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from caveat.adapters.db.models.base import Base
from caveat.adapters.db.types import UTCDateTime


class NotificationRow(Base):
    """One notification for one person: what happened (``kind``), what it says and where
    to look (``link``, a page of the web application), and when it was read."""

    __tablename__ = "notifications"
    # The bell counts a person's unread notifications on every page: one index serves it.
    __table_args__ = (Index("ix_notifications_recipient_read", "recipient_id", "read_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    recipient_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    kind: Mapped[str] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(String(500))
    link: Mapped[str] = mapped_column(String(300))
    subject_id: Mapped[str | None] = mapped_column(String(36))  # the release, hit or visit
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MailOutboxRow(Base):
    """A notification waiting to be mailed (ADR 0030): written in the notification's own
    transaction when the node mails, sent after commit by the mail worker.

    ``state``: ``pending`` (to be tried at ``next_attempt_at``), ``sent``, ``failed``
    (given up after the last try or refused for good) or ``skipped`` (the recipient has
    no address, turned mail off or is suspended at sending time). ``last_error`` is the
    mailer's own words (a reply code, an exception's class), never the server's text."""

    __tablename__ = "mail_outbox"
    # The worker asks for what is due: one index on (state, next_attempt_at) serves it.
    __table_args__ = (Index("ix_mail_outbox_state_next", "state", "next_attempt_at"),)
    notification_id: Mapped[str] = mapped_column(ForeignKey("notifications.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(200))


class NotificationPreferenceRow(Base):
    """A person's own choice about their notifications; no row: the defaults (mail on)."""

    __tablename__ = "notification_preferences"
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), primary_key=True)
    email: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
