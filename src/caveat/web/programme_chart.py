"""The joint-funding charts, drawn on the server as SVG: shares per partner on a
programme page, and every programme's funding per partner nation on the programmes list.

On a programme page, three shares of the whole are compared per partner and currency: of
the commitments, of the contributions paid so far, and of the work (juste retour at a
glance). On the list, one chart per currency puts the programmes side by side: what was
committed and what was contributed, each bar split by partner nation. Everything is
placed here in Python so the template only writes attributes: no script, no inline style
(the page's CSP forbids both); colours are SVG presentation attributes. Each bar carries
its value as text too, and nations differ by pattern as well as colour, so the charts do
not rely on colour alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from caveat.domain.compliance import format_minor
from caveat.services.programmes import NationFunding
from caveat.web.chart_fills import Fill, fills, nice_step

LEFT = 230  # where the bars start; partner names end just before
SPAN = 330  # the width of 100 %
WIDTH = 720
BAR = 14
GAP = 3
GROUP_GAP = 16
TOP = 36
NAME_CHARS = 27

# (key, legend text, value suffix, fill): dark enough for 3:1 against white (WCAG 1.4.11).
SERIES = (
    ("committed", "Share of commitments", "committed", "#0b4f8a"),
    ("contributed", "Share of contributions", "contributed", "#1d6b33"),
    ("work", "Work share", "of the work", "#5b2c86"),
)


@dataclass(frozen=True, slots=True)
class Bar:
    """One drawn bar with its value text."""

    y: float
    width: float
    fill: str
    text: str
    text_x: float


@dataclass(frozen=True, slots=True)
class Group:
    """One partner: the name and its three bars."""

    name: str
    short: str
    label_y: float
    bars: tuple[Bar, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    """One currency's chart, laid out."""

    key: str
    currency: str
    left: int
    bar: int
    width: int
    height: float
    bottom: float
    groups: tuple[Group, ...]
    ticks: tuple[tuple[float, str], ...]
    legend: tuple[tuple[float, str, str], ...]
    desc: str


@dataclass(frozen=True, slots=True)
class ShareRow:
    """One partner's line of the summary table (the chart's text equivalent)."""

    organisation_id: str
    name: str
    label: str  # the name in the chart: the short name when the full one is too long
    role: str
    committed: str
    contributed: str
    outstanding: str
    commitment_share: float
    contribution_share: float
    work_share: float | None


def money(amount: str) -> str:
    """``1250000.5`` as ``1,250,000.50``."""
    return f"{Decimal(amount):,.2f}"


def _percent(value: float | None) -> str:
    return "not set" if value is None else f"{value:.2f} %"


def share_rows(
    summary: Sequence[Mapping[str, Any]],
    participants: Sequence[Mapping[str, Any]],
    names: Mapping[str, str],
    short_names: Mapping[str, str] | None = None,
) -> dict[str, list[ShareRow]]:
    """Per currency, every participant's amounts and shares (partners with none show 0)."""
    by_currency: dict[str, dict[str, Mapping[str, Any]]] = defaultdict(dict)
    for row in summary:
        by_currency[row["currency"]][row["organisation_id"]] = row
    short_names = short_names or {}
    out: dict[str, list[ShareRow]] = {}
    for currency, rows in sorted(by_currency.items()):
        paid = sum((Decimal(r["contributed"]) for r in rows.values()), Decimal(0))
        lines = []
        for part in participants:
            org = part["organisation_id"]
            found = rows.get(org)
            contributed = Decimal(found["contributed"]) if found else Decimal(0)
            lines.append(
                ShareRow(
                    organisation_id=org,
                    name=names.get(org, org),
                    label=_label(names.get(org, org), short_names.get(org)),
                    role=str(part["role"]).replace("_", " "),
                    committed=money(found["committed"]) if found else "0.00",
                    contributed=money(found["contributed"]) if found else "0.00",
                    outstanding=money(found["outstanding"]) if found else "0.00",
                    commitment_share=float(found["funding_share_percent"]) if found else 0.0,
                    contribution_share=round(float(100 * contributed / paid), 2) if paid else 0.0,
                    work_share=part["work_share_percent"],
                )
            )
        out[currency] = sorted(lines, key=lambda line: line.name)
    return out


def _label(name: str, short: str | None) -> str:
    if len(name) <= NAME_CHARS:
        return name
    if short and len(short) <= NAME_CHARS:
        return short
    return name[: NAME_CHARS - 1] + "…"


def chart(currency: str, rows: Sequence[ShareRow]) -> Chart:
    """Lay out one currency's bars: three per partner, on a 0-100 % scale."""
    step = BAR + GAP
    group_height = len(SERIES) * step + GROUP_GAP
    groups = []
    for i, row in enumerate(rows):
        top = TOP + i * group_height
        values = (row.commitment_share, row.contribution_share, row.work_share)
        bars = []
        for j, ((_, _, suffix, fill), value) in enumerate(zip(SERIES, values, strict=True)):
            width = round(SPAN * min(max(value or 0.0, 0.0), 100.0) / 100, 1)
            bars.append(
                Bar(
                    y=top + j * step,
                    width=width,
                    fill=fill,
                    text=f"{_percent(value)} {suffix}"
                    if value is not None
                    else "work share not set",
                    text_x=LEFT + width + 6,
                )
            )
        groups.append(Group(row.name, row.label, top + (len(SERIES) * step) / 2 + 4, tuple(bars)))
    bottom = TOP + len(rows) * group_height - GROUP_GAP + 4
    ticks = tuple((LEFT + SPAN * p / 100, f"{p} %") for p in (0, 25, 50, 75, 100))
    legend = tuple((LEFT + i * 170, fill, text) for i, (_, text, _, fill) in enumerate(SERIES))
    desc = "; ".join(
        f"{r.name}: {_percent(r.commitment_share)} of commitments, "
        f"{_percent(r.contribution_share)} of contributions, work share {_percent(r.work_share)}"
        for r in rows
    )
    return Chart(
        key=currency.lower(),
        currency=currency,
        left=LEFT,
        bar=BAR,
        width=WIDTH,
        height=bottom + 22,
        bottom=bottom,
        groups=tuple(groups),
        ticks=ticks,
        legend=legend,
        desc=desc + ".",
    )


# --- every programme's funding per partner nation (the programmes list) ----------------------

MAX_NATIONS = 7  # nations drawn each with their own pattern; the rest as one "other nations"
OTHER_NATIONS = "Other nations"
LEGEND_COLUMN = 170
LEGEND_PER_ROW = 4
KINDS = (("committed", "committed"), ("contributed", "contributed"))


@dataclass(frozen=True, slots=True)
class Segment:
    """One nation's part of a bar."""

    x: float
    width: float
    fill: str
    text: str  # "PSP: USA contributed 1,000.00 USD"


@dataclass(frozen=True, slots=True)
class Stack:
    """One bar (committed or contributed) of a programme, split by nation."""

    y: float
    segments: tuple[Segment, ...]
    text: str
    text_x: float


@dataclass(frozen=True, slots=True)
class ProgrammeGroup:
    name: str
    short: str
    label_y: float
    stacks: tuple[Stack, ...]


@dataclass(frozen=True, slots=True)
class NationRow:
    """One line of the table beside the chart."""

    programme_id: str
    programme: str
    nation: str
    committed: str
    contributed: str


@dataclass(frozen=True, slots=True)
class Combined:
    """One currency's chart of every programme's funding per nation, laid out."""

    key: str
    currency: str
    left: int
    bar: int
    width: int
    height: float
    top: float
    bottom: float
    fills: tuple[Fill, ...]
    legend: tuple[tuple[float, float, Fill, str], ...]
    groups: tuple[ProgrammeGroup, ...]
    ticks: tuple[tuple[float, str], ...]
    desc: str
    rows: tuple[NationRow, ...]
    committed: str
    contributed: str


def _compact(minor: int) -> str:
    """An axis label: ``1.5 M``, ``250 k``, ``900``."""
    major = minor / 100
    for size, unit in ((1_000_000_000, " bn"), (1_000_000, " M"), (1_000, " k")):
        if major >= size:
            return f"{major / size:,.4g}{unit}"
    return f"{major:,.4g}"


def _minor(amount: int) -> str:
    return money(format_minor(amount))


def combined(currency: str, lines: Sequence[NationFunding]) -> Combined:
    """Lay out one currency's programmes: a committed and a contributed bar each, split
    by partner nation on one money scale (the nations with most funding first)."""
    weight: dict[str, int] = defaultdict(int)
    for f in lines:
        weight[f.nation] += f.committed_minor + f.contributed_minor
    ranked = sorted(weight, key=lambda n: (-weight[n], n))
    drawn = ranked if len(ranked) <= MAX_NATIONS + 1 else ranked[:MAX_NATIONS]
    shown = drawn + ([OTHER_NATIONS] if len(drawn) < len(ranked) else [])
    palette = dict(zip(shown, fills(f"funding-{currency.lower()}", len(shown)), strict=True))
    programmes: dict[str, dict[str, dict[str, int]]] = {}  # name -> kind -> nation -> minor
    for f in lines:
        nation = f.nation if f.nation in drawn else OTHER_NATIONS
        kinds = programmes.setdefault(f.programme, {"committed": {}, "contributed": {}})
        for kind, value in (("committed", f.committed_minor), ("contributed", f.contributed_minor)):
            kinds[kind][nation] = kinds[kind].get(nation, 0) + value
    most = max(
        (sum(by.values()) for kinds in programmes.values() for by in kinds.values()), default=0
    )
    step = nice_step(max(-(-most // 100), 1)) * 100
    scale = step * max(-(-most // step), 1)
    legend_rows = -(-len(shown) // LEGEND_PER_ROW)
    top = 12 + legend_rows * 18 + 12
    step_y = BAR + GAP
    group_height = len(KINDS) * step_y + GROUP_GAP
    groups = []
    for i, (name, kinds) in enumerate(sorted(programmes.items())):
        y0 = top + i * group_height
        stacks = []
        for j, (kind, word) in enumerate(KINDS):
            x: float = LEFT
            segments = []
            for nation in shown:
                value = kinds[kind].get(nation, 0)
                if not value:
                    continue
                width = round(SPAN * value / scale, 1)
                segments.append(
                    Segment(
                        x,
                        width,
                        palette[nation].url,
                        f"{name}: {nation} {word} {_minor(value)} {currency}",
                    )
                )
                x = round(x + width, 1)
            total = sum(kinds[kind].values())
            stacks.append(Stack(y0 + j * step_y, tuple(segments), f"{_minor(total)} {word}", x + 6))
        groups.append(
            ProgrammeGroup(
                name, _label(name, None), y0 + (len(KINDS) * step_y) / 2 + 4, tuple(stacks)
            )
        )
    bottom = top + len(programmes) * group_height - GROUP_GAP + 4
    ticks = tuple(
        (round(LEFT + SPAN * v / scale, 1), _compact(v)) for v in range(0, scale + 1, step)
    )
    legend = tuple(
        (10 + (i % LEGEND_PER_ROW) * LEGEND_COLUMN, 6 + (i // LEGEND_PER_ROW) * 18, palette[n], n)
        for i, n in enumerate(shown)
    )
    rows = tuple(
        NationRow(f.programme_id, f.programme, f.nation, money(f.committed), money(f.contributed))
        for f in lines
    )
    committed = sum(f.committed_minor for f in lines)
    contributed = sum(f.contributed_minor for f in lines)
    desc = "; ".join(
        f"{name}: committed {_minor(sum(k['committed'].values()))}, contributed "
        f"{_minor(sum(k['contributed'].values()))} ("
        + ", ".join(
            f"{n} {_minor(k['committed'].get(n, 0))} / {_minor(k['contributed'].get(n, 0))}"
            for n in shown
            if k["committed"].get(n) or k["contributed"].get(n)
        )
        + ")"
        for name, k in sorted(programmes.items())
    )
    return Combined(
        key=currency.lower(),
        currency=currency,
        left=LEFT,
        bar=BAR,
        width=WIDTH,
        height=bottom + 22,
        top=top,
        bottom=bottom,
        fills=tuple(palette.values()),
        legend=legend,
        groups=tuple(groups),
        ticks=ticks,
        desc=f"In {currency}, per programme, committed / contributed by nation: {desc}.",
        rows=rows,
        committed=_minor(committed),
        contributed=_minor(contributed),
    )


def combined_charts(lines: Sequence[NationFunding]) -> list[Combined]:
    """One combined chart per currency, by currency code."""
    by_currency: dict[str, list[NationFunding]] = defaultdict(list)
    for f in lines:
        by_currency[f.currency].append(f)
    return [combined(currency, found) for currency, found in sorted(by_currency.items())]
