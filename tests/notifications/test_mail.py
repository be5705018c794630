"""Notifications mailed through a real SMTP server (aiosmtpd), after commit (ADR 0030):
one mail per notification with the kind and a link and nothing of the subject; a mail
server that is down fails no action and the mail is tried again; a person who turned
mail off gets none."""

from __future__ import annotations

from sqlalchemy import select

from caveat.adapters.db.models import EventRow
from caveat.adapters.db.models.core import PersonRow
from caveat.adapters.db.models.notifications import MailOutboxRow
from caveat.adapters.db.models.policy import ResourceRow
from caveat.services import demo
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from tests.notifications.conftest import BASE_URL, SmtpServer
from tests.plans.support import World, ctx

CONSOLE = ConsoleOperator()


def _address(world: World, username: str) -> str:
    with world.node.uow.read() as session:
        email = session.scalar(select(PersonRow.email).where(PersonRow.username == username))
    assert email
    return email


def _classified_release(world: World) -> tuple[str, str]:
    """The demo's pending release, classified: its id and its subject's title."""
    [pending] = world.node.releases.requests(CONSOLE)
    world.node.releases.classify(
        world.who("erin"), ctx(), pending.id, authorization=demo.DEMO_EAR_LICENCE
    )
    with world.node.uow.read() as session:
        title = session.scalar(
            select(ResourceRow.title).where(ResourceRow.id == pending.resource_id)
        )
    assert title
    return pending.id, title


def _flush_seed_mail(world: World, smtp: SmtpServer) -> None:
    """Send what the demo's own notifications queued, and forget it."""
    world.node.mail.run_due(CallContext(request_id="test"))
    smtp.inbox.mails.clear()


def _outbox(world: World) -> dict[str, MailOutboxRow]:
    with world.node.uow.read() as session:
        return {r.notification_id: r for r in session.scalars(select(MailOutboxRow))}


def _events(world: World, kind: str) -> int:
    with world.node.uow.read() as session:
        return len(list(session.scalars(select(EventRow.id).where(EventRow.type == kind))))


def test_an_approved_release_mails_its_requester_once_with_a_link_and_no_title(
    world: World, smtp: SmtpServer
) -> None:
    release, title = _classified_release(world)
    _flush_seed_mail(world, smtp)
    world.node.releases.decide(world.who("victor"), ctx(), release, approve=True, reason="agreed")

    run = world.node.mail.run_due(CallContext(request_id="test"))
    assert run.sent >= 1
    alice = _address(world, "alice")
    [mail] = smtp.inbox.to(alice)
    body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert f"{BASE_URL}/releases/{release}" in body
    assert "A release request of yours was approved." in body
    assert mail["From"] == "caveat@node.test.example"
    assert mail["Auto-Submitted"] == "auto-generated"
    # The node's unclassified marking (GBR operators: OFFICIAL) heads and ends the body.
    marking = body.splitlines()[0]
    assert marking
    assert body.rstrip().endswith(marking)
    assert mail["Subject"].startswith(f"[{marking}]")
    # Nothing of the subject: no title, no label, not even the notification's text.
    text = mail.as_string()
    assert title not in text
    assert "REL TO" not in text
    assert "SECRET" not in text
    assert f"R-{release[:8]}" not in text
    assert _events(world, "mail.sent") >= 1

    # Sent once: the next run has nothing for her.
    world.node.mail.run_due(CallContext(request_id="test"))
    assert len(smtp.inbox.to(alice)) == 1


def test_a_mail_server_down_fails_no_action_and_the_mail_is_tried_again(
    world: World, smtp: SmtpServer
) -> None:
    release, _ = _classified_release(world)
    _flush_seed_mail(world, smtp)
    smtp.stop()

    # The decision commits with its notification although no mail can be sent.
    world.node.releases.decide(world.who("victor"), ctx(), release, approve=True, reason="agreed")
    [told] = world.node.notifications.list_notifications(world.who("alice"))
    assert told.kind == "release.approved"
    run = world.node.mail.run_due(CallContext(request_id="test"))
    assert run.sent == 0
    assert run.retrying == 1
    waiting = _outbox(world)[told.id]
    assert waiting.state == "pending"
    assert waiting.attempts == 1
    assert waiting.last_error is not None
    assert waiting.last_error.startswith("mail_unavailable")
    status = world.node.mail.status(CONSOLE)
    assert status.counts["pending"] == 1
    assert [e.recipient for e in status.unsent] == ["alice"]

    # Not due again before the wait is over, even with the server back.
    smtp.start()
    world.clock.advance(seconds=30)
    assert world.node.mail.run_due(CallContext(request_id="test")).sent == 0
    world.clock.advance(seconds=31)
    assert world.node.mail.run_due(CallContext(request_id="test")).sent == 1
    assert len(smtp.inbox.to(_address(world, "alice"))) == 1
    assert _outbox(world)[told.id].state == "sent"


def test_a_mail_that_keeps_failing_is_given_up_on_record(world: World, smtp: SmtpServer) -> None:
    release, _ = _classified_release(world)
    _flush_seed_mail(world, smtp)
    smtp.stop()
    world.node.releases.decide(world.who("victor"), ctx(), release, approve=False, reason="not now")
    for _ in range(3):  # mail_max_attempts
        world.node.mail.run_due(CallContext(request_id="test"))
        world.clock.advance(seconds=3600)
    [told] = world.node.notifications.list_notifications(world.who("alice"))
    gone = _outbox(world)[told.id]
    assert gone.state == "failed"
    assert gone.attempts == 3
    assert _events(world, "mail.failed") == 1
    assert world.node.mail.status(CONSOLE).counts["failed"] == 1
    assert told.unread  # the notification itself is not lost


def test_a_recipient_who_turned_mail_off_gets_none(world: World, smtp: SmtpServer) -> None:
    release, _ = _classified_release(world)
    _flush_seed_mail(world, smtp)
    alice = world.who("alice")
    assert world.node.notifications.mail_wanted(alice)
    assert world.node.notifications.set_mail(alice, ctx(), wanted=False) is False
    assert not world.node.notifications.mail_wanted(alice)
    assert _events(world, "notification.mail_set") == 1

    world.node.releases.decide(world.who("victor"), ctx(), release, approve=True, reason="agreed")
    run = world.node.mail.run_due(CallContext(request_id="test"))
    assert run.skipped == 1
    assert run.sent == 0
    assert smtp.inbox.to(_address(world, "alice")) == []
    assert [n.kind for n in world.node.notifications.list_notifications(alice)] == [
        "release.approved"
    ]


def test_an_action_rolled_back_queues_no_mail(world: World, smtp: SmtpServer) -> None:
    release, _ = _classified_release(world)
    _flush_seed_mail(world, smtp)
    before = len(_outbox(world))
    try:
        with world.node.uow.transaction(ctx()):
            world.node.releases.decide(
                world.who("victor"), ctx(), release, approve=True, reason="agreed"
            )
            raise RuntimeError("after the decision")
    except RuntimeError:
        pass
    assert len(_outbox(world)) == before
    assert world.node.mail.run_due(CallContext(request_id="test")).sent == 0
