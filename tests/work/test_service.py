"""Work queues and notifications over the demo (SQLite, and PostgreSQL when asked): each
person's queue holds what waits for their act and counts nothing the policy hides; the
state changes that concern a person notify them in the same transaction, in words that
name nothing they could not already see."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from caveat.adapters.db.models import EventRow
from caveat.adapters.db.models.notifications import NotificationRow
from caveat.domain.compliance import AgreementKind
from caveat.domain.errors import NotFound
from caveat.services import demo
from caveat.services.compliance import AgreementDraft, AuthorizationDraft
from caveat.services.kernel.principal import ConsoleOperator
from tests.plans.support import World, ctx

CONSOLE = ConsoleOperator()


def _kinds(world: World, username: str) -> list[str]:
    return [n.kind for n in world.node.notifications.list_notifications(world.who(username))]


def _count(world: World, username: str, kind: str) -> int:
    return world.node.work.queue(world.who(username)).counts[kind]


def _pending(world: World) -> str:
    [pending] = world.node.releases.requests(CONSOLE)
    return pending.id


def test_a_release_waits_for_the_officer_whose_turn_it_is(world: World) -> None:
    release = _pending(world)
    assert _count(world, "erin", "release_classify") == 1
    # The requester, a researcher and the deciding officer have nothing to do yet.
    for username in ("alice", "claire", "victor"):
        queue = world.node.work.queue(world.who(username))
        assert queue.counts["release_classify"] == queue.counts["release_decide"] == 0
    world.node.releases.classify(
        world.who("erin"), ctx(), release, authorization=demo.DEMO_EAR_LICENCE
    )
    assert _count(world, "erin", "release_classify") == 0
    assert _count(world, "erin", "release_decide") == 0  # not a security officer
    [item] = [i for i in world.node.work.queue(world.who("victor")).items if i.id == release]
    assert item.kind == "release_decide"
    assert item.link == f"/releases/{release}"
    assert "Antenna" not in item.text  # a reference, not the subject's title


def test_a_screening_hit_waits_for_the_held_persons_own_officer(world: World) -> None:
    [hit] = world.node.screening.hits(CONSOLE)
    assert _count(world, "ingrid", "screening_hit") == 1  # FFI's security officer
    # Another organisation's officer, an export control officer who may read hits but
    # not decide them, and the person held: none of theirs.
    for username in ("victor", "erin", "oskar"):
        assert _count(world, username, "screening_hit") == 0
    world.node.screening.resolve(
        world.who("ingrid"), ctx(), hit.id, outcome="false_positive", reason="other person"
    )
    assert _count(world, "ingrid", "screening_hit") == 0


def test_a_queue_never_counts_a_release_of_what_the_officer_may_not_discover(
    world: World,
) -> None:
    # bob asks to release an artifact of a project erin is not a member of: erin, the
    # export control officer, may not discover it (need-to-know), so it is not in her
    # queue, not even as a count.
    world.node.projects.create_project(CONSOLE, ctx(), name="Closed trials")
    world.node.projects.add_member(CONSOLE, ctx(), "Closed trials", "bob")
    secret = world.artifact("SECRET//REL TO USA, GBR", by="bob", project="Closed trials")
    world.node.releases.request(
        world.who("bob"), ctx(), resource=secret, to_nations=("FRA",), justification="trials"
    )
    assert len(world.node.releases.requests(CONSOLE)) == 2
    queue = world.node.work.queue(world.who("erin"))
    assert queue.counts["release_classify"] == 1
    assert secret not in {i.id for i in queue.items}
    assert queue.total == len(queue.items) == sum(queue.counts.values())


def test_agreements_and_licences_ending_soon_wait_for_who_renews_them(world: World) -> None:
    today = world.clock().date()
    made = world.node.agreements.create(
        CONSOLE,
        ctx(),
        AgreementDraft(
            name="FRA-GBR radar exchange",
            kind=AgreementKind.DATA_EXCHANGE,
            effective_on=today - timedelta(days=300),
            expires_on=today + timedelta(days=10),
            max_level=2,
            party_nations=("FRA", "GBR"),
            projects=(demo.PLAN_PROJECT,),
            technology_areas=("radar",),
        ),
    )
    world.node.agreements.move(CONSOLE, ctx(), made.id, "activate", reason="signed")
    world.node.authorizations.create(
        CONSOLE,
        ctx(),
        AuthorizationDraft(
            type="DSP-5",
            jurisdiction="USA",
            number="SOON-0001",
            entries=("ITAR:USML-XI(c)(1)",),
            valid_from=date(2025, 1, 1),
            valid_to=today + timedelta(days=20),
            organisations=("ONERA",),
        ),
    )
    # agnes manages agreements for ONERA (FRA): the FRA-GBR ones are hers to renew (this
    # one and the demo's), the demo's GBR-NOR arrangement (ending in 21 days) is not.
    agnes = world.node.work.queue(world.who("agnes"))
    assert [i.text for i in agnes.items if i.kind == "agreement_expiring"] == [
        f"Agreement FRA-GBR radar exchange expires on {today + timedelta(days=10)}",
        f"Agreement {demo.RENEWAL} expires on {today + timedelta(days=14)}",
    ]
    assert _count(world, "erin", "licence_expiring") == 1  # an export control officer
    assert _count(world, "victor", "licence_expiring") == 0  # reads licences, writes none
    assert _count(world, "alice", "agreement_expiring") == 0
    # After the window: nothing expiring is left.
    later = world.node.work.queue(world.who("agnes"), today=today + timedelta(days=31))
    assert later.counts["agreement_expiring"] == 0


def _plan_queue(world: World, username: str) -> dict[str, set[str]]:
    """The titles of the plan items in ``username``'s queue, by kind (overdue, upcoming):
    each item also in their agenda, with the agenda's marking."""
    me = world.who(username)
    today = world.clock().date()
    agenda = {i.id: i for i in world.node.plans.agenda(me, today=today).overdue}
    agenda |= {i.id: i for i in world.node.plans.agenda(me, today=today).upcoming}
    found: dict[str, set[str]] = {"plan_overdue": set(), "plan_upcoming": set()}
    for item in world.node.work.queue(me, today=today).items:
        if item.kind.startswith("plan_"):
            assert item.marking == agenda[item.id].marking  # in the agenda, marked alike
            found[item.kind].add(agenda[item.id].title)
    return found


def test_a_plans_milestones_wait_for_its_leads_and_a_task_for_its_assignee(
    world: World,
) -> None:
    firmware, suite = "Integrate the tracker firmware", "Integrated sensor suite ready"
    # The plan's leads (alice, and paul its second lead) and victor, a security officer
    # who is a member, may mark the milestones achieved and move the unassigned task:
    # those wait for them; bob's own task does not.
    for lead in ("alice", "paul", "victor"):
        assert _plan_queue(world, lead) == {
            "plan_overdue": {demo.OVERDUE_MILESTONE},
            "plan_upcoming": {firmware, suite},
        }, lead
    # bob, a member who is not a lead, is told of the milestones in his agenda but may not
    # act on them: only the task assigned to him waits for him.
    today = world.clock().date()
    agenda = world.node.plans.agenda(world.who("bob"), today=today)
    assert demo.OVERDUE_MILESTONE in {i.title for i in agenda.overdue}
    assert suite in {i.title for i in agenda.upcoming}
    assert _plan_queue(world, "bob") == {
        "plan_overdue": {"Calibrate the passive array"},
        "plan_upcoming": set(),
    }
    assert _plan_queue(world, "claire") == {"plan_overdue": set(), "plan_upcoming": set()}
    # A task assigned to claire waits for her, and no longer for the leads.
    [first, _] = world.work_packages
    world.node.plans.add_task(
        world.who("paul"),
        ctx(),
        first,
        title="Ship the array to the range",
        label="UNCLASSIFIED",
        due_on=today + timedelta(days=3),
        assignee="claire",
    )
    assert _plan_queue(world, "claire")["plan_upcoming"] == {"Ship the array to the range"}
    assert "Ship the array to the range" not in _plan_queue(world, "paul")["plan_upcoming"]


def test_a_milestone_leaves_the_queue_when_achieved_or_its_reader_no_longer_leads(
    world: World,
) -> None:
    today = world.clock().date()
    [overdue] = [
        i
        for i in world.node.plans.agenda(world.who("paul"), today=today).overdue
        if i.title == demo.OVERDUE_MILESTONE
    ]
    # paul leads no more: the decision is taken on the project's current leads.
    world.node.projects.update_member(CONSOLE, ctx(), demo.PLAN_PROJECT, "paul", role="member")
    assert _plan_queue(world, "paul") == {"plan_overdue": set(), "plan_upcoming": set()}
    assert demo.OVERDUE_MILESTONE in _plan_queue(world, "alice")["plan_overdue"]
    world.node.plans.achieve_milestone(world.who("alice"), ctx(), overdue.id)
    assert demo.OVERDUE_MILESTONE not in _plan_queue(world, "alice")["plan_overdue"]


# -- notifications ---------------------------------------------------------------------


def test_a_screening_hold_is_told_to_the_person_and_the_officers_who_see_it(
    world: World,
) -> None:
    assert _kinds(world, "oskar") == ["screening.hold_placed"]
    assert _kinds(world, "ingrid") == ["screening.hit"]
    assert _kinds(world, "erin") == _kinds(world, "victor") == []  # officers of AFRL
    [told] = world.node.notifications.list_notifications(world.who("oskar"))
    assert "Lindh" not in told.text
    assert "DEMO" not in told.text
    [hit] = world.node.screening.hits(CONSOLE)
    world.clock.advance(seconds=1)  # newest first: a later time, not a tie
    world.node.screening.resolve(
        world.who("ingrid"), ctx(), hit.id, outcome="false_positive", reason="other person"
    )
    assert _kinds(world, "oskar") == ["screening.hold_lifted", "screening.hold_placed"]
    assert _kinds(world, "ingrid") == ["screening.hit"]  # not told what she did herself


def test_a_release_decision_is_told_to_its_requester_without_the_subject(
    world: World,
) -> None:
    release = _pending(world)
    world.node.releases.classify(
        world.who("erin"), ctx(), release, authorization=demo.DEMO_EAR_LICENCE
    )
    assert _kinds(world, "alice") == []
    world.node.releases.decide(world.who("victor"), ctx(), release, approve=True, reason="agreed")
    [told] = world.node.notifications.list_notifications(world.who("alice"))
    assert told.kind == "release.approved"
    assert told.text == f"Your release request R-{release[:8]} was approved."
    assert told.link == f"/releases/{release}"
    assert told.unread
    assert _kinds(world, "victor") == _kinds(world, "erin") == []


def test_a_notification_commits_with_its_change_or_not_at_all(world: World) -> None:
    release = _pending(world)
    world.node.releases.classify(
        world.who("erin"), ctx(), release, authorization=demo.DEMO_EAR_LICENCE
    )

    # The decision is made and then its transaction fails: neither the decision nor the
    # notification of it is kept.
    def decide_then_fail() -> None:
        with world.node.uow.transaction(ctx()):
            world.node.releases.decide(
                world.who("victor"), ctx(), release, approve=False, reason="not now"
            )
            raise RuntimeError("after the decision")

    with pytest.raises(RuntimeError, match="after the decision"):
        decide_then_fail()
    assert _kinds(world, "alice") == []
    [still] = world.node.releases.requests(CONSOLE)
    assert still.status == "classified"


def test_a_visit_decision_is_told_to_the_visitor(world: World) -> None:
    today = world.clock().date()
    visit = world.node.programmes.request_visit(
        world.who("claire"),
        ctx(),
        person="claire",
        host="AFRL",
        project=demo.PLAN_PROJECT,
        purpose="antenna trials",
        starts_on=today + timedelta(days=5),
        ends_on=today + timedelta(days=7),
    )
    assert _count(world, "victor", "visit_decide") == 1  # AFRL's security officer
    assert _count(world, "ingrid", "visit_decide") == 0  # FFI's is not the host
    world.node.programmes.decide_visit(
        world.who("victor"), ctx(), visit.id, approve=False, reason="full"
    )
    [told] = world.node.notifications.list_notifications(world.who("claire"))
    assert told.kind == "visit.refused"
    assert f"V-{visit.id[:8]}" in told.text
    assert _count(world, "victor", "visit_decide") == 0


def _events(world: World) -> int:
    with world.node.uow.read() as session:
        return int(session.scalar(select(func.count()).select_from(EventRow)) or 0)


def test_only_the_recipient_reads_or_marks_a_notification(world: World) -> None:
    notes = world.node.notifications
    [mine] = notes.list_notifications(world.who("oskar"))
    assert notes.unread_count(world.who("oskar")) == 1
    # Another person, even their organisation's security officer, cannot read or mark
    # it: the answer is that of an id that does not exist.
    assert mine.id not in {n.id for n in notes.list_notifications(world.who("ingrid"))}
    for username in ("ingrid", "alice"):
        with pytest.raises(NotFound) as refused:
            notes.mark_read(world.who(username), ctx(), mine.id)
        assert refused.value.code == "unknown_notification"
        with pytest.raises(NotFound) as missing:
            notes.mark_read(world.who(username), ctx(), "no-such-notification")
        assert str(missing.value).replace("no-such-notification", mine.id) == str(refused.value)
    assert notes.unread_count(world.who("oskar")) == 1
    before = _events(world)
    world.clock.advance(seconds=5)
    done = notes.mark_read(world.who("oskar"), ctx(), mine.id)
    assert done.read_at is not None
    assert not done.unread
    assert notes.unread_count(world.who("oskar")) == 0
    assert notes.list_notifications(world.who("oskar"), unread_only=True) == []
    # Marking again changes nothing; marking one's own writes no ledger event (ADR 0028).
    assert notes.mark_read(world.who("oskar"), ctx(), mine.id).read_at == done.read_at
    assert _events(world) == before
    with world.node.uow.read() as session:
        row = session.get(NotificationRow, mine.id)
        assert row is not None
        assert row.recipient_id == world.who("oskar").person_id
