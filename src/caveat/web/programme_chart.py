"""The joint-funding chart of a programme page: shares per partner as a server-drawn SVG.

Three shares of the whole are compared per partner and currency: of the commitments, of
the contributions paid so far, and of the work (juste retour at a glance). Everything is
placed here in Python so the template only writes attributes: no script, no inline style
(the page's CSP forbids both); colours are SVG presentation attributes. Each bar carries
its value as text too, so the chart does not rely on colour alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

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
