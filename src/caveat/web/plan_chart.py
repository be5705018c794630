"""The timeline of a plan page: work packages as bars and milestones and due dates as
marks on a month grid, drawn on the server as SVG.

Everything is placed here in Python so the template only writes SVG attributes: no
script, no inline style (the page's CSP forbids both). Each bar carries its dates as
text too, so the chart does not rely on colour or position alone; the calendar beside
it lists the same dates.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from caveat.domain.plans import DELIVERABLE_CLOSED, TASK_CLOSED, bar, due_state, timeline
from caveat.services.plans import Plan, WorkPackage
from caveat.web.labelling import portion

LEFT = 200  # where the grid starts; work package names end just before
WIDTH = 760
ROW = 26
TOP = 30
NAME_CHARS = 26
FILL = "#0b4f8a"  # 3:1 against white (WCAG 1.4.11)
MARK = "#8a3b0b"


@dataclass(frozen=True, slots=True)
class Row:
    """One work package: its name, bar and the marks of its dates."""

    name: str
    y: float
    x: float
    width: float
    text: str
    marks: tuple[tuple[float, str], ...]  # (x, what is due that day)


@dataclass(frozen=True, slots=True)
class Timeline:
    width: int
    height: int
    left: int
    bottom: float
    row: int
    fill: str
    mark: str
    months: tuple[tuple[float, str], ...]  # (x, "2026-12")
    rows: tuple[Row, ...]
    today_x: float | None


def _short(text: str) -> str:
    return text if len(text) <= NAME_CHARS else text[: NAME_CHARS - 1] + "…"


def draw(plan: Plan, today: date) -> Timeline | None:
    """The timeline of the work packages the reader sees (None without any)."""
    wps = plan.work_packages
    if not wps:
        return None
    spans: list[tuple[date, date]] = [(w.starts_on, w.ends_on) for w in wps]
    for w in wps:
        spans.extend((d, d) for d in _dates(w))
    first, last = timeline(spans)
    days = (last - first).days + 1
    scale = (WIDTH - LEFT - 10) / days

    def x(day: date) -> float:
        return round(LEFT + (day - first).days * scale, 1)

    months = []
    day = first
    while day <= last:
        months.append((x(day), day.strftime("%Y-%m")))
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    rows = []
    for i, w in enumerate(wps):
        b = bar(first, w.starts_on, w.ends_on)
        marks = tuple((x(d), ", ".join(what)) for d, what in sorted(_due(w).items()))
        rows.append(
            Row(
                name=_short(f"WP{w.number} {w.title}"),
                y=TOP + i * ROW,
                x=round(LEFT + b.offset * scale, 1),
                width=max(round(b.days * scale, 1), 2.0),
                text=f"WP{w.number}: {w.starts_on} to {w.ends_on}",
                marks=marks,
            )
        )
    bottom = TOP + len(wps) * ROW
    return Timeline(
        WIDTH,
        int(bottom + 24),
        LEFT,
        bottom,
        ROW - 8,
        FILL,
        MARK,
        tuple(months),
        tuple(rows),
        x(today) if first <= today <= last else None,
    )


def _dates(w: WorkPackage) -> list[date]:
    return list(_due(w))


def _due(w: WorkPackage) -> dict[date, list[str]]:
    """What is due on each day of a work package."""
    found: dict[date, list[str]] = defaultdict(list)
    for t in w.tasks:
        found[t.due_on].append(f"task {t.title}")
    for m in w.milestones:
        found[m.due_on].append(f"milestone {m.title}")
    for d in w.deliverables:
        found[d.due_on].append(f"deliverable {d.title}")
    return found


@dataclass(frozen=True, slots=True)
class Entry:
    """One dated item of the calendar."""

    day: date
    kind: str
    title: str
    work_package: int
    mark: str
    state: str  # overdue | upcoming | later | closed


def calendar(plan: Plan, today: date) -> list[tuple[str, list[Entry]]]:
    """Every task, milestone and deliverable the reader sees, by month ("2026-12")."""
    entries: list[Entry] = []
    for w in plan.work_packages:
        for t in w.tasks:
            closed = t.status in TASK_CLOSED
            entries.append(
                Entry(
                    t.due_on,
                    "task",
                    t.title,
                    w.number,
                    portion(t.label),
                    due_state(t.due_on, closed=closed, today=today).value,
                )
            )
        for m in w.milestones:
            entries.append(
                Entry(
                    m.due_on,
                    "milestone",
                    m.title,
                    w.number,
                    portion(m.label),
                    due_state(m.due_on, closed=m.achieved_on is not None, today=today).value,
                )
            )
        for d in w.deliverables:
            closed = d.status in DELIVERABLE_CLOSED
            entries.append(
                Entry(
                    d.due_on,
                    "deliverable",
                    d.title,
                    w.number,
                    portion(d.label),
                    due_state(d.due_on, closed=closed, today=today).value,
                )
            )
    months: dict[str, list[Entry]] = defaultdict(list)
    for e in sorted(entries, key=lambda e: (e.day, e.work_package, e.kind, e.title)):
        months[e.day.strftime("%Y-%m")].append(e)
    return list(months.items())
