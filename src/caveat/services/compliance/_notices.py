"""What compliance tells people (ADR 0028): release decisions to the requester, screening
holds to the person held and hits to the officers who may see them.

Each function runs inside the caller's unit of work, beside its ``uow.record``, so the
notification commits with the change. The texts name only what the recipient may
already see: a requester their own request's reference (never the resource's title or
label, which a later relabel may have put out of their reach); an officer the screened
name, which ``ScreeningService.hits`` shows them anyway; the person held nothing of the
list or the match (that is the officers' to weigh).
"""

from __future__ import annotations

from sqlalchemy import func, select

from caveat.adapters.db.models import PersonRow
from caveat.adapters.db.models.compliance import ReleaseRequestRow, ScreeningHitRow
from caveat.domain.compliance import HitStatus
from caveat.domain.identity import Role
from caveat.services.kernel.uow import UnitOfWork
from caveat.services.notifications import notify, people_with_role

# Who reads hits (Act.SCREENING_READ): told of a hit they would be shown.
_SCREENERS = (Role.EXPORT_CONTROL_OFFICER, Role.SECURITY_OFFICER)


def release_ref(release_id: str) -> str:
    """A short reference for a release request, as its requester is told it."""
    return f"R-{release_id[:8]}"


def release_decided(uow: UnitOfWork, row: ReleaseRequestRow, *, approved: bool) -> None:
    """The requester learns the outcome of their own request."""
    outcome = "approved" if approved else "refused"
    notify(
        uow,
        [row.requested_by],
        f"release.{outcome}",
        f"Your release request {release_ref(row.id)} was {outcome}.",
        link=f"/releases/{row.id}",
        subject_id=row.id,
    )


def _screeners(uow: UnitOfWork, row: ScreeningHitRow) -> list[str]:
    """The officers ``hits()`` would show this hit to: those of the person's organisation
    for a hit on a person, every one for a hit on an organisation; never the subject."""
    org = None
    if row.subject_type == "person":
        org = uow.session.scalar(
            select(PersonRow.organisation_id).where(PersonRow.id == row.subject_id)
        )
        if org is None:  # no such person: nobody is told about a stranger
            return []
    people = people_with_role(uow.session, _SCREENERS, organisation_id=org)
    return [p for p in people if p != row.subject_id]


def _other_holds(uow: UnitOfWork, row: ScreeningHitRow) -> int:
    """How many other hits hold the same subject (open or confirmed)."""
    count = uow.session.scalar(
        select(func.count())
        .select_from(ScreeningHitRow)
        .where(
            ScreeningHitRow.subject_id == row.subject_id,
            ScreeningHitRow.id != row.id,
            ScreeningHitRow.status.in_([HitStatus.OPEN.value, HitStatus.TRUE_MATCH.value]),
        )
    )
    return int(count or 0)


def hit_raised(uow: UnitOfWork, row: ScreeningHitRow) -> None:
    """A new hit: the officers who adjudicate, and the person now held."""
    notify(
        uow,
        _screeners(uow, row),
        "screening.hit",
        f"A screening hit on {row.screened_name} awaits adjudication.",
        link="/screening",
        subject_id=row.id,
    )
    # The person is told once, when the first hold is placed, not once per matching entry.
    if row.subject_type == "person" and _other_holds(uow, row) == 0:
        notify(
            uow,
            [row.subject_id],
            "screening.hold_placed",
            "A screening check placed a hold on your account; a security officer of "
            "your organisation will review it.",
            link="/account",
            subject_id=row.id,
        )


def hit_resolved(uow: UnitOfWork, row: ScreeningHitRow, *, resolver: str | None) -> None:
    """A decided hit: the other officers; and, when it was a false positive, the person
    whose hold is lifted. A confirmed match is not announced to its subject: whether
    and how a denied party is told is a compliance decision outside the application."""
    others = [p for p in _screeners(uow, row) if p != resolver]
    outcome = row.status.replace("_", " ")
    notify(
        uow,
        others,
        "screening.resolved",
        f"The screening hit on {row.screened_name} was resolved as {outcome}.",
        link="/screening",
        subject_id=row.id,
    )
    # "Lifted" only when nothing else still holds them: else it would say what is not so.
    lifted = row.status == HitStatus.FALSE_POSITIVE.value and _other_holds(uow, row) == 0
    if row.subject_type == "person" and lifted:
        notify(
            uow,
            [row.subject_id],
            "screening.hold_lifted",
            "The screening hold on your account was lifted.",
            link="/account",
            subject_id=row.id,
        )
