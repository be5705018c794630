"""Mailing notifications after commit (issue 16, ADR 0030).

When the node mails (an SMTP host is configured), every notification written gets a
``mail_outbox`` row in the same flush (:func:`queue_mail`, attached by bootstrap to the
writing sessions): the notification and its mail commit with the change or not at all.
The mail worker (:meth:`MailDelivery.run_due`) sends what is due *outside* any
transaction, so a mail server that is down or slow never rolls back an action nor
holds a database lock; a failed try is retried with a doubling wait, and a mail given
up is recorded in the ledger (``mail.failed``) and shown by ``caveat mail status``.

E-mail is not an accredited channel: a mail says only what *kind* of thing happened and
links to the page, under the node's lowest (unclassified) marking. It never holds the
notification's text (which may name a screened party or a peer), a title or a label.
Whether the recipient still has an address, mail turned on and an active account is
read when the mail is sent, not when it was queued.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from caveat.adapters.db.models.core import PersonRow
from caveat.adapters.db.models.notifications import (
    MailOutboxRow,
    NotificationPreferenceRow,
    NotificationRow,
)
from caveat.domain.errors import CaveatError, InvalidInput
from caveat.domain.events import Actor, Outcome
from caveat.domain.identity import PersonStatus, validate_email
from caveat.services.kernel.ports import Mailer
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext, UnitOfWorkFactory

PENDING, SENT, FAILED, SKIPPED = "pending", "sent", "failed", "skipped"
STATES = (PENDING, SENT, FAILED, SKIPPED)
BATCH = 50  # mails one run sends at most (one SMTP connection)
LEASE = timedelta(minutes=10)  # a claimed mail comes due again if its sender died
MAILER = Actor.system("mail")
_log = structlog.get_logger("caveat.mail")

# What a mail says for each kind of notification: the kind only, never the text.
PHRASES: dict[str, str] = {
    "release.approved": "A release request of yours was approved.",
    "release.refused": "A release request of yours was refused.",
    "screening.hit": "A screening hit awaits adjudication.",
    "screening.resolved": "A screening hit was resolved.",
    "screening.hold_placed": "A screening check placed a hold on your account.",
    "screening.hold_lifted": "A screening hold on your account was lifted.",
    "visit.approved": "A visit request of yours was approved.",
    "visit.refused": "A visit request of yours was refused.",
    "plan.task_overdue": "A task assigned to you is overdue.",
    "plan.task_upcoming": "A task assigned to you is due soon.",
    "re_release_request": "A partner node asks for a re-release.",
    "re_release_answered": "A partner node answered a re-release request.",
}
FALLBACK_PHRASE = "Something on the node needs your attention."


@dataclass(frozen=True, slots=True)
class MailText:
    """What one mail says."""

    subject: str
    body: str


def compose(kind: str, link: str, *, node_name: str, base_url: str, marking: str) -> MailText:
    """A notification's mail: its kind in words, the link, the marking; nothing else."""
    phrase = PHRASES.get(kind, FALLBACK_PHRASE)
    base = base_url.rstrip("/")
    target = link if link.startswith("/") else "/"
    body = (
        f"{marking}\n\n"
        f"{phrase}\n\n"
        f"Sign in to Caveat ({node_name}) to read it:\n{base}{target}\n\n"
        "This message holds nothing of what it is about: e-mail is not an accredited\n"
        "channel, so the notification itself is shown only once you have signed in.\n"
        f"You can turn these mails off on your account page: {base}/account\n\n"
        f"{marking}\n"
    )
    return MailText(f"[{marking}] Caveat: {phrase.rstrip('.')}", body)


MAIL_QUEUED = "caveat_mail_queued"  # set in session.info when a flush queued mail


def queue_mail(session: Session, _flush: object = None) -> None:
    """An ``after_flush`` listener: one pending mail per notification just inserted, in
    the same transaction (bootstrap attaches it only when the node mails), and a mark
    that tells the after-commit listener to wake the mail worker."""
    rows = [
        {
            "notification_id": row.id,
            "state": PENDING,
            "attempts": 0,
            "created_at": row.created_at,
            "next_attempt_at": row.created_at,
            "done_at": None,
            "last_error": None,
        }
        for row in session.new  # still the flush's new objects, now inserted
        if isinstance(row, NotificationRow)
    ]
    if rows:
        session.connection().execute(insert(MailOutboxRow), rows)
        session.info[MAIL_QUEUED] = True


@dataclass(frozen=True, slots=True)
class MailRun:
    """What one run of the worker did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One mail as the operator sees it (no address, no text)."""

    notification_id: str
    recipient: str
    kind: str
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None


@dataclass(frozen=True, slots=True)
class MailStatus:
    """The outbox for the operator: counts per state and the mails not sent."""

    enabled: bool
    server: str | None
    counts: dict[str, int]
    unsent: list[OutboxEntry] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Due:
    notification_id: str
    recipient_id: str
    address: str
    kind: str
    link: str
    attempts: int


@dataclass
class MailDelivery:
    """Sends the mails that are due; the operator's status and test mail."""

    uow: UnitOfWorkFactory
    mailer: Mailer | None  # None: the node does not mail
    node_name: str
    base_url: str
    marking: Callable[[], str]
    max_attempts: int = 8
    retry_first: timedelta = timedelta(seconds=60)
    server: str | None = None

    @property
    def enabled(self) -> bool:
        """Whether this node mails notifications."""
        return self.mailer is not None

    def _wait(self, attempts: int) -> timedelta:
        return self.retry_first * (1 << max(0, min(attempts - 1, 16)))

    def run_due(self, ctx: CallContext) -> MailRun:
        """Send every mail due now (at most ``BATCH``); what was done."""
        if self.mailer is None:
            return MailRun()
        claimed, skipped = self._claim(ctx)
        if not claimed:
            return MailRun(skipped=skipped)
        outcomes = self._send(self.mailer, claimed)
        return self._settle(ctx, claimed, outcomes, skipped)

    def _claim(self, ctx: CallContext) -> tuple[list[_Due], int]:
        """Take the due mails (each for ``LEASE``, one try counted) and read what they
        need now; a recipient without address, mail or an active account is skipped."""
        with self.uow(ctx) as uow:
            ids = list(
                uow.session.scalars(
                    select(MailOutboxRow.notification_id)
                    .where(MailOutboxRow.state == PENDING, MailOutboxRow.next_attempt_at <= uow.now)
                    .order_by(MailOutboxRow.next_attempt_at, MailOutboxRow.notification_id)
                    .limit(BATCH)
                )
            )
            mine: list[str] = []
            for notification_id in ids:
                # A conditional update claims it: another process's worker that read the
                # same row finds it already taken (rowcount 0) and leaves it.
                taken = uow.session.execute(
                    update(MailOutboxRow)
                    .where(
                        MailOutboxRow.notification_id == notification_id,
                        MailOutboxRow.state == PENDING,
                        MailOutboxRow.next_attempt_at <= uow.now,
                    )
                    .values(
                        attempts=MailOutboxRow.attempts + 1,
                        next_attempt_at=uow.now + LEASE,
                    )
                    .execution_options(synchronize_session=False)
                )
                if getattr(taken, "rowcount", 0) == 1:
                    mine.append(notification_id)
            if not mine:
                return [], 0
            rows = uow.session.execute(
                select(MailOutboxRow, NotificationRow, PersonRow, NotificationPreferenceRow.email)
                .join(NotificationRow, NotificationRow.id == MailOutboxRow.notification_id)
                .join(PersonRow, PersonRow.id == NotificationRow.recipient_id)
                .outerjoin(
                    NotificationPreferenceRow,
                    NotificationPreferenceRow.person_id == PersonRow.id,
                )
                .where(MailOutboxRow.notification_id.in_(mine))
            ).all()
            due: list[_Due] = []
            skipped = 0
            for outbox, note, person, wants in rows:
                if (
                    wants is False
                    or person.status != PersonStatus.ACTIVE.value
                    or not (person.email or "").strip()
                ):
                    outbox.state, outbox.done_at = SKIPPED, uow.now
                    skipped += 1
                    continue
                due.append(
                    _Due(note.id, person.id, person.email, note.kind, note.link, outbox.attempts)
                )
            return due, skipped

    def _send(self, mailer: Mailer, due: Sequence[_Due]) -> dict[str, CaveatError | None]:
        """Send each mail, outside any transaction: None for sent, else the failure."""
        outcomes: dict[str, CaveatError | None] = {}
        marking = self.marking()
        try:
            with mailer.session() as connection:
                for mail in due:
                    text = compose(
                        mail.kind,
                        mail.link,
                        node_name=self.node_name,
                        base_url=self.base_url,
                        marking=marking,
                    )
                    try:
                        connection.send(to=mail.address, subject=text.subject, body=text.body)
                        outcomes[mail.notification_id] = None
                    except CaveatError as exc:
                        outcomes[mail.notification_id] = exc
        except CaveatError as exc:  # no connection, or it broke: the rest wait
            for mail in due:
                outcomes.setdefault(mail.notification_id, exc)
        return outcomes

    def _settle(
        self,
        ctx: CallContext,
        due: Sequence[_Due],
        outcomes: dict[str, CaveatError | None],
        skipped: int,
    ) -> MailRun:
        """Write down what happened: sent, to be tried again later, or given up."""
        sent: list[dict[str, Any]] = []
        retrying = failed = 0
        with self.uow(ctx) as uow:
            for mail in due:
                row = uow.session.get(MailOutboxRow, mail.notification_id)
                if row is None:
                    continue
                error = outcomes.get(mail.notification_id)
                if error is None:
                    row.state, row.done_at, row.last_error = SENT, uow.now, None
                    sent.append(
                        {
                            "notification_id": mail.notification_id,
                            "recipient_id": mail.recipient_id,
                            "kind": mail.kind,
                        }
                    )
                    continue
                row.last_error = f"{error.code}: {error.detail}"[:200]
                permanent = error.code == "mail_refused"
                if permanent or mail.attempts >= self.max_attempts:
                    row.state, row.done_at = FAILED, uow.now
                    failed += 1
                    uow.record(
                        "mail.failed",
                        MAILER,
                        target_id=None,
                        outcome=Outcome.FAILURE,
                        data={
                            "notification_id": mail.notification_id,
                            "recipient_id": mail.recipient_id,
                            "kind": mail.kind,
                            "attempts": mail.attempts,
                            "error": row.last_error,
                        },
                    )
                    _log.error(
                        "a notification's mail was given up",
                        notification_id=mail.notification_id,
                        attempts=mail.attempts,
                        code=error.code,
                        detail=error.detail,
                    )
                else:
                    row.next_attempt_at = uow.now + self._wait(mail.attempts)
                    retrying += 1
                    _log.warning(
                        "a notification's mail could not be sent; it will be tried again",
                        notification_id=mail.notification_id,
                        attempts=mail.attempts,
                        next_attempt_at=row.next_attempt_at.isoformat(),
                        code=error.code,
                        detail=error.detail,
                    )
            if sent:
                uow.record("mail.sent", MAILER, target_id=None, data={"mails": sent})
        return MailRun(sent=len(sent), retrying=retrying, failed=failed, skipped=skipped)

    def status(self, by: ConsoleOperator, *, limit: int = 20) -> MailStatus:
        """The outbox for the node's console: counts per state, the latest unsent mails."""
        del by  # the console only: the type is the check
        with self.uow.read() as session:
            counts = dict.fromkeys(STATES, 0)
            for state, n in session.execute(
                select(MailOutboxRow.state, func.count()).group_by(MailOutboxRow.state)
            ):
                counts[state] = int(n)
            rows = session.execute(
                select(MailOutboxRow, NotificationRow.kind, PersonRow.username)
                .join(NotificationRow, NotificationRow.id == MailOutboxRow.notification_id)
                .join(PersonRow, PersonRow.id == NotificationRow.recipient_id)
                .where(MailOutboxRow.state.in_([PENDING, FAILED]))
                .order_by(MailOutboxRow.created_at.desc(), MailOutboxRow.notification_id)
                .limit(max(1, min(limit, 200)))
            ).all()
            unsent = [
                OutboxEntry(
                    o.notification_id,
                    username,
                    kind,
                    o.state,
                    o.attempts,
                    o.next_attempt_at,
                    o.last_error,
                )
                for o, kind, username in rows
            ]
        return MailStatus(self.enabled, self.server, counts, unsent)

    def send_test(self, by: ConsoleOperator, *, to: str) -> None:
        """Send one test mail now (the node's console): ``mail_not_configured`` when the
        node does not mail, else whatever the mailer raises, in its own words."""
        del by
        if self.mailer is None:
            raise InvalidInput(
                "this node does not send mail",
                code="mail_not_configured",
                hint="set CAVEAT_SMTP_HOST, CAVEAT_SMTP_FROM and CAVEAT_MAIL_BASE_URL",
            )
        address = validate_email(to)
        marking = self.marking()
        body = (
            f"{marking}\n\nA test message from Caveat ({self.node_name}): notifications "
            f"will be mailed through this server, each with a link to\n{self.base_url}\n\n"
            f"{marking}\n"
        )
        with self.mailer.session() as connection:
            connection.send(to=address, subject=f"[{marking}] Caveat: test message", body=body)
