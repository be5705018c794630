"""Writing notifications inside the caller's unit of work.

Features that change state (releases, screening, visits) call :func:`notify` with the
``uow`` they already hold, next to ``uow.record``: the notification commits with the
change and its ledger event, or not at all. This module imports no feature, so any
feature may use it without a cycle (ADR 0018).

The caller writes the text, and is responsible that it names only what the recipient
may already see (their own request's id, a hit an officer is shown anyway): never a
resource's title or label.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from caveat.adapters.db.models.core import PersonRoleRow, PersonRow
from caveat.adapters.db.models.notifications import NotificationRow
from caveat.domain.identity import PersonStatus, Role
from caveat.services.kernel.records import new_id
from caveat.services.kernel.uow import UnitOfWork

MAX_TEXT = 500  # the column's width; texts are built by services, never by users


def notify(
    uow: UnitOfWork,
    recipients: Iterable[str | None],
    kind: str,
    text: str,
    *,
    link: str,
    subject_id: str | None = None,
) -> int:
    """One notification per distinct recipient (None, the console, is skipped); how many."""
    written = 0
    for person_id in dict.fromkeys(r for r in recipients if r):
        uow.session.add(
            NotificationRow(
                id=new_id(),
                recipient_id=person_id,
                kind=kind,
                text=text[:MAX_TEXT],
                link=link,
                subject_id=subject_id,
                created_at=uow.now,
                read_at=None,
            )
        )
        written += 1
    return written


def people_with_role(
    session: Session, roles: Iterable[Role], *, organisation_id: str | None = None
) -> list[str]:
    """Active people holding one of ``roles`` (of ``organisation_id`` when given), by id:
    the officers an alert goes to. Suspended accounts are not told."""
    query = (
        select(PersonRow.id)
        .join(PersonRoleRow, PersonRoleRow.person_id == PersonRow.id)
        .where(
            PersonRoleRow.role.in_([r.value for r in roles]),
            PersonRow.status == PersonStatus.ACTIVE.value,
        )
        .distinct()
        .order_by(PersonRow.id)
    )
    if organisation_id is not None:
        query = query.where(PersonRow.organisation_id == organisation_id)
    return list(session.scalars(query))
