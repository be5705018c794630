"""The timeline of ledger activity on the ledger explorer: the events the search matches
per hour, day or month, stacked by event family, drawn on the server as SVG.

It draws ``AuditService.activity`` for the same filter as the listing beside it, so it
counts exactly the rows the reader's listing shows. Everything is placed here in Python
so the template only writes attributes: no script, no inline style (the page's CSP
forbids both). Families differ by pattern as well as colour, the legend names each with
its total, and a table gives every figure as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from caveat.services.ledger import FAMILY_NAMES, Activity, Period
from caveat.web.chart_fills import Fill, fills, nice_step

WIDTH = 760
LEFT = 52  # where the bars start; the count axis is written just before
RIGHT = 12
PLOT = 170  # the height of the tallest bar
LEGEND_ROW = 18
LEGEND_COLUMNS = 3
MAX_LABELS = 12  # period labels under the bars, at most
MAX_BAR = 40  # the widest bar (a few periods do not make slabs)

_PERIOD_WORDS = {Period.HOUR: "hour", Period.DAY: "day", Period.MONTH: "month"}


@dataclass(frozen=True, slots=True)
class Segment:
    """One family's part of a bar."""

    y: float
    height: float
    fill: str
    text: str  # "2026-03-02: 4 Sign-in and accounts"


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    width: float
    segments: tuple[Segment, ...]


@dataclass(frozen=True, slots=True)
class Legend:
    x: float
    y: float
    fill: Fill
    text: str


@dataclass(frozen=True, slots=True)
class Row:
    """One period of the table: its counts in the families' order, and its total."""

    period: str
    counts: tuple[int, ...]
    total: int


@dataclass(frozen=True, slots=True)
class Timeline:
    width: int
    height: float
    left: int
    top: float
    bottom: float
    fills: tuple[Fill, ...]
    legend: tuple[Legend, ...]
    bars: tuple[Bar, ...]
    y_ticks: tuple[tuple[float, str], ...]
    x_labels: tuple[tuple[float, str], ...]
    period: str  # hour | day | month
    title: str
    desc: str
    families: tuple[str, ...]  # the families' names, in the legend's and table's order
    rows: tuple[Row, ...]  # the periods with events
    totals: tuple[int, ...]
    total: int


def _short(period: Period, text: str, previous: str | None) -> str:
    """The label under a bar: an hour as 23:00 (with its date when the date changes)."""
    if period is Period.HOUR:
        at = datetime.strptime(text, "%Y-%m-%d %H")
        same_day = previous is not None and previous[:10] == text[:10]
        return at.strftime("%H:00" if same_day else "%m-%d %H:00")
    if period is Period.DAY:
        return text[5:]
    return text


def _when(period: Period, text: str) -> str:
    return f"{text}:00 UTC" if period is Period.HOUR else text


def draw(activity: Activity) -> Timeline | None:
    """The timeline of ``activity`` (None when nothing matched)."""
    if not activity.total or not activity.bars:
        return None
    keys = activity.families
    names = tuple(FAMILY_NAMES[k] for k in keys)
    palette = dict(zip(keys, fills("ledger-family", len(keys)), strict=True))
    family_totals = activity.family_totals()
    columns = min(LEGEND_COLUMNS, len(keys))
    legend = tuple(
        Legend(
            LEFT + (i % columns) * (WIDTH - LEFT) / columns,
            6 + (i // columns) * LEGEND_ROW,
            palette[key],
            f"{FAMILY_NAMES[key]} ({family_totals[key]:,})",
        )
        for i, key in enumerate(keys)
    )
    top = 14 + (-(-len(keys) // columns)) * LEGEND_ROW
    bottom = top + PLOT
    most = max(b.total for b in activity.bars)
    step = nice_step(most)
    scale_top = step * -(-most // step)
    per_unit = PLOT / scale_top
    slot = (WIDTH - LEFT - RIGHT) / len(activity.bars)
    width = min(max(round(slot * 0.8, 1), 1.0), MAX_BAR)
    bars = []
    for i, b in enumerate(activity.bars):
        y: float = bottom
        segments = []
        for key in keys:
            n = b.counts.get(key, 0)
            if not n:
                continue
            height = round(n * per_unit, 1)
            y = round(y - height, 1)
            when = _when(activity.period, b.period)
            segments.append(
                Segment(y, height, palette[key].url, f"{when}: {n:,} {FAMILY_NAMES[key]}")
            )
        bars.append(Bar(round(LEFT + i * slot + (slot - width) / 2, 1), width, tuple(segments)))
    every = -(-len(activity.bars) // MAX_LABELS)
    x_labels = []
    previous: str | None = None
    for i in range(0, len(activity.bars), every):
        text = activity.bars[i].period
        x_labels.append(
            (round(LEFT + i * slot + slot / 2, 1), _short(activity.period, text, previous))
        )
        previous = text
    y_ticks = tuple(
        (round(bottom - v * per_unit, 1), f"{v:,}") for v in range(0, scale_top + 1, step)
    )
    rows = tuple(
        Row(b.period, tuple(b.counts.get(k, 0) for k in keys), b.total)
        for b in activity.bars
        if b.total
    )
    word = _PERIOD_WORDS[activity.period]
    first, last = activity.bars[0].period, activity.bars[-1].period
    busiest = max(activity.bars, key=lambda b: b.total)
    desc = (
        f"{activity.total:,} events per {word} (UTC), from {_when(activity.period, first)} "
        f"to {_when(activity.period, last)}; the busiest {word} is "
        f"{_when(activity.period, busiest.period)} with {busiest.total:,}. By family: "
        + "; ".join(f"{FAMILY_NAMES[k]} {family_totals[k]:,}" for k in keys)
        + "."
    )
    return Timeline(
        width=WIDTH,
        height=bottom + 24,
        left=LEFT,
        top=top,
        bottom=bottom,
        fills=tuple(palette.values()),
        legend=legend,
        bars=tuple(bars),
        y_ticks=y_ticks,
        x_labels=tuple(x_labels),
        period=word,
        title=f"Ledger activity per {word}, by event family",
        desc=desc,
        families=names,
        rows=rows,
        totals=tuple(family_totals[k] for k in keys),
        total=activity.total,
    )
