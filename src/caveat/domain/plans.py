"""Project plans: the pure rules of work packages, tasks, milestones and deliverables
(issue 21, ADR 0027).

- **Effort** is planned per partner organisation in person-months with at most one
  decimal, stored as tenths (``parse_effort``).
- **Work shares** are each partner's part of the planned effort in basis points; they
  add up to exactly 10 000 (largest remainder), so a table of them never shows 100.01 %.
- **The agreement's share** (the programme's work share of a partner) caps the partner's
  share of the plan: ``excesses`` names each partner above it; the service refuses such
  a plan unless the editor flags the excess.
- **Overdue and upcoming** are computed against a ``today`` the caller passes (time is a
  parameter): an item is overdue the day after its due date while it is still open, and
  upcoming from ``today`` to ``today + horizon`` days inclusive.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from caveat.domain.errors import InvalidInput

MAX_TITLE = 300
MAX_EFFORT_TENTHS = 10_000 * 10  # 10 000 person-months of one partner in one work package
FULL = 10_000  # basis points of the whole
HORIZON_DAYS = 14  # how far ahead "upcoming" looks


class TaskStatus(StrEnum):
    """Where a task stands (the TASK lifecycle in ``caveat.domain.lifecycles``)."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class DeliverableStatus(StrEnum):
    """Where a deliverable stands (the DELIVERABLE lifecycle)."""

    PLANNED = "planned"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


TASK_CLOSED = frozenset({TaskStatus.DONE, TaskStatus.CANCELLED})
DELIVERABLE_CLOSED = frozenset({DeliverableStatus.DELIVERED, DeliverableStatus.CANCELLED})


def parse_effort(text: str, *, field: str = "effort") -> int:
    """Person-months as written ("6", "2.5") in tenths; more than one decimal, a negative
    or an absurd amount is refused."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise InvalidInput(
            f"{text!r} is not a number of person-months", code="invalid_effort", field=field
        ) from None
    tenths = value * 10
    if not value.is_finite() or tenths != tenths.to_integral_value():
        raise InvalidInput(
            "effort is in person-months with at most one decimal",
            code="invalid_effort",
            field=field,
        )
    if not 0 <= tenths <= MAX_EFFORT_TENTHS:
        raise InvalidInput(
            f"effort is between 0 and {MAX_EFFORT_TENTHS // 10} person-months",
            code="invalid_effort",
            field=field,
        )
    return int(tenths)


def format_effort(tenths: int) -> str:
    """Tenths of person-months as written back ("2.5", "6")."""
    whole, part = divmod(tenths, 10)
    return str(whole) if part == 0 else f"{whole}.{part}"


def work_shares(efforts: Mapping[str, int]) -> dict[str, int]:
    """Each partner's share of the total effort in basis points, adding up to exactly
    ``FULL`` when there is any effort (largest remainder; ties by partner id). No effort,
    no shares."""
    total = sum(efforts.values())
    if any(v < 0 for v in efforts.values()):
        raise ValueError("efforts are not negative")
    if total == 0:
        return {}
    floors = {k: v * FULL // total for k, v in efforts.items()}
    left = FULL - sum(floors.values())
    by_remainder = sorted(efforts, key=lambda k: (-(efforts[k] * FULL % total), k))
    for k in by_remainder[:left]:
        floors[k] += 1
    return floors


def add_efforts(plans: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """The partners' efforts summed over several work packages."""
    total: dict[str, int] = {}
    for plan in plans:
        for org, tenths in plan.items():
            total[org] = total.get(org, 0) + tenths
    return total


def excesses(shares: Mapping[str, int], agreed: Mapping[str, int | None]) -> tuple[str, ...]:
    """The partners whose share of the plan is above the share the agreement gives them,
    sorted; a partner without an agreed share is not checked."""
    return tuple(
        sorted(
            org
            for org, share in shares.items()
            if agreed.get(org) is not None and share > (agreed[org] or 0)
        )
    )


def require_span(starts_on: date, ends_on: date) -> None:
    """A work package ends on or after the day it starts."""
    if ends_on < starts_on:
        raise InvalidInput(
            f"the work package ends ({ends_on}) before it starts ({starts_on})",
            code="invalid_dates",
            field="ends_on",
        )


class Due(StrEnum):
    """Where an open item's due date stands on a given day."""

    OVERDUE = "overdue"
    UPCOMING = "upcoming"
    LATER = "later"
    CLOSED = "closed"


def due_state(due_on: date, *, closed: bool, today: date, horizon: int = HORIZON_DAYS) -> Due:
    """Overdue from the day after ``due_on`` while open; upcoming from ``today`` up to
    ``today + horizon`` days inclusive; a closed item is neither."""
    if closed:
        return Due.CLOSED
    if due_on < today:
        return Due.OVERDUE
    if due_on <= today + timedelta(days=horizon):
        return Due.UPCOMING
    return Due.LATER


@dataclass(frozen=True, slots=True)
class Bar:
    """One row of a timeline: where a span starts and how long it is, in days from the
    timeline's first day (a milestone or due date is a span of one day)."""

    offset: int
    days: int


def timeline(spans: Iterable[tuple[date, date]]) -> tuple[date, date]:
    """The first and last day a timeline of ``spans`` covers (whole months)."""
    items = list(spans)
    if not items:
        raise ValueError("a timeline of nothing")
    first = min(s for s, _ in items).replace(day=1)
    last = max(e for _, e in items)
    following = (last.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following - timedelta(days=1)


def bar(first: date, starts_on: date, ends_on: date) -> Bar:
    """The span ``starts_on``..``ends_on`` (inclusive) on a timeline from ``first``."""
    return Bar((starts_on - first).days, (ends_on - starts_on).days + 1)
