"""Ledger activity over time: how many of the events an audit search matches fall in each
hour, day or month, per event family (sign-in and accounts, content, releases...).

One aggregate query counts them (GROUP BY the UTC period and the family), whatever the
number of events; the period is the same text on SQLite and PostgreSQL (``2026-03-02``,
``2026-03-02 23``, ``2026-03``), so the result does not depend on the database. The
events counted are exactly those the audit search lists for the same filter: the
caller passes that search's query, so the chart of a reader can never count a row their
listing does not show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session

from caveat.adapters.db.models import Base

EVENTS = Base.metadata.tables["events"]

# (key, name, event type prefixes): each event type belongs to the family of its prefix.
FAMILIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("access", "Sign-in and accounts", ("auth", "token", "person", "group", "org")),
    (
        "content",
        "Artifacts and content",
        ("artifact", "upload", "resource", "discussion", "channel", "taxii"),
    ),
    (
        "release",
        "Releases and export control",
        ("release", "relabel", "export", "authorization", "screening", "embargo", "agreement"),
    ),
    ("programme", "Programmes and work", ("programme", "project", "plan", "visit", "proficiency")),
    ("federation", "Federation", ("peer",)),
    ("admin", "Ledger and node administration", ("node", "ledger", "audit", "alert", "kek")),
)
OTHER = ("other", "Other")
FAMILY_NAMES: dict[str, str] = {key: name for key, name, _ in FAMILIES} | dict([OTHER])
_FAMILY_OF = {prefix: key for key, _, prefixes in FAMILIES for prefix in prefixes}

# A span of events up to this long is counted per hour, up to MAX_DAYS per day, beyond
# that per month (a bounded number of bars however long the log).
HOURLY_SPAN = timedelta(hours=48)
MAX_DAYS = 92


class Period(StrEnum):
    """How long one bar of the timeline is."""

    HOUR = "hour"
    DAY = "day"
    MONTH = "month"


# The leading characters of an event's UTC time, as text, that name its period; and the
# same on PostgreSQL with to_char (SQLite stores the naive UTC time as ISO text).
_CHARS = {Period.HOUR: 13, Period.DAY: 10, Period.MONTH: 7}
_PG_FORMAT = {Period.HOUR: "YYYY-MM-DD HH24", Period.DAY: "YYYY-MM-DD", Period.MONTH: "YYYY-MM"}
_PY_FORMAT = {Period.HOUR: "%Y-%m-%d %H", Period.DAY: "%Y-%m-%d", Period.MONTH: "%Y-%m"}


def family_of(event_type: str) -> str:
    """The family key of an event type (``other`` for a prefix no family names)."""
    return _FAMILY_OF.get(event_type.split(".", 1)[0], OTHER[0])


def utc_period(session: Session, period: Period) -> Any:
    """The UTC period of an event as text, the same on either database."""
    if session.get_bind().dialect.name == "sqlite":  # stored as naive UTC text
        return func.substr(EVENTS.c.occurred_at, 1, _CHARS[period])
    return func.to_char(func.timezone("UTC", EVENTS.c.occurred_at), _PG_FORMAT[period])


def _family_column() -> Any:
    """The family of each event's type, in SQL (the same mapping as ``family_of``)."""
    whens = [
        (or_(*(EVENTS.c.type.startswith(f"{p}.", autoescape=True) for p in prefixes)), key)
        for key, _, prefixes in FAMILIES
    ]
    return case(*whens, else_=OTHER[0])


@dataclass(frozen=True, slots=True)
class ActivityBar:
    """One period (``2026-03-02``, ``2026-03-02 23`` or ``2026-03``) and its counts per
    family (families without events are left out)."""

    period: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class Activity:
    """The matching events per period, every period from the first to the last (periods
    without events count 0), and the families that occur, in FAMILIES order."""

    period: Period
    bars: tuple[ActivityBar, ...]
    families: tuple[str, ...]
    total: int

    def family_totals(self) -> dict[str, int]:
        out = dict.fromkeys(self.families, 0)
        for bar in self.bars:
            for family, n in bar.counts.items():
                out[family] += n
        return out


def _period_for(first: datetime, last: datetime, day: date | None) -> Period:
    if day is not None or last - first < HOURLY_SPAN:
        return Period.HOUR
    if (last.date() - first.date()).days < MAX_DAYS:
        return Period.DAY
    return Period.MONTH


def _periods(first: datetime, last: datetime, period: Period) -> list[str]:
    """Every period from the one of ``first`` to the one of ``last``, as text."""
    out = []
    if period is Period.HOUR:
        at = first.replace(minute=0, second=0, microsecond=0)
        while at <= last:
            out.append(at.strftime(_PY_FORMAT[period]))
            at += timedelta(hours=1)
    elif period is Period.DAY:
        d = first.date()
        while d <= last.date():
            out.append(d.isoformat())
            d += timedelta(days=1)
    else:
        y, m = first.year, first.month
        while (y, m) <= (last.year, last.month):
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def count_activity(session: Session, matching: Select[Any], day: date | None) -> Activity:
    """Count the events ``matching`` selects per period and family: one query for the
    span, one GROUP BY for the counts. ``day`` (a search narrowed to one UTC day) shows
    that day's 24 hours."""
    span = session.execute(
        matching.with_only_columns(func.min(EVENTS.c.occurred_at), func.max(EVENTS.c.occurred_at))
    ).one()
    if span[0] is None:
        return Activity(Period.DAY, (), (), 0)
    first, last = (t if t.tzinfo else t.replace(tzinfo=UTC) for t in span)
    if day is not None:
        first = datetime(day.year, day.month, day.day, tzinfo=UTC)
        last = first + timedelta(hours=23)
    period = _period_for(first, last, day)
    hits = matching.with_only_columns(
        utc_period(session, period).label("p"), _family_column().label("f")
    ).subquery()
    counts: dict[str, dict[str, int]] = {}
    for p, f, n in session.execute(
        select(hits.c.p, hits.c.f, func.count()).group_by(hits.c.p, hits.c.f)
    ).all():
        counts.setdefault(str(p), {})[str(f)] = int(n)
    # Every counted period is in the span; the union keeps any other all the same (the
    # texts sort in time order).
    periods = sorted(set(_periods(first, last, period)) | set(counts))
    order = [key for key, _, _ in FAMILIES] + [OTHER[0]]
    seen = {f for c in counts.values() for f in c}
    bars = tuple(
        ActivityBar(p, {f: counts[p][f] for f in order if f in counts.get(p, {})}) for p in periods
    )
    return Activity(
        period,
        bars,
        tuple(f for f in order if f in seen),
        sum(b.total for b in bars),
    )
