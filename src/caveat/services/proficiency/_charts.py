"""The plot data of a closed round beyond its per-item results and scores plots: each
item's kernel density, Youden plots of paired items, and z-score control charts across
the closed rounds of the round's procedure.

Only what the reader may read goes in: densities and Youden points come from the scores
``item_results`` returned (the blindness rule and the policy already applied), and a
control chart holds a laboratory's scores from a round only where the reader reads them
*and* knows who the laboratory is there (its own, the coordinator's, or a round that
reveals identities), so a chart never links one round's code to another round's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from caveat.adapters.db.models.proficiency import ProcedureVersionRow, RoundRow, ScoreRow
from caveat.domain.labels import Label
from caveat.domain.lifecycles import RoundStatus
from caveat.domain.proficiency_report import (
    ControlPoint,
    ControlSeries,
    Density,
    YoudenData,
    kernel_density,
    youden,
)
from caveat.services.kernel.ports import PlotRenderer
from caveat.services.proficiency._access import Viewer, label_of
from caveat.services.proficiency._submissions import readable
from caveat.services.proficiency._views import ControlPlot, ItemResults, PairPlot, Round

MAX_CONTROL_CHARTS = 12  # laboratories charted on a page (the reader's own first)
MAX_CONTROL_ROUNDS = 30  # the newest closed rounds of the procedure a chart covers


@dataclass(frozen=True, slots=True)
class Control:
    """The control charts' data, the labels of what they show, and the other
    laboratories' submissions they read (round id -> submission ids), for the event."""

    series: tuple[ControlSeries, ...]
    labels: tuple[tuple[Label, ...], ...]  # per series: the labels of its results
    read: dict[str, list[str]]


def density_of(item: ItemResults) -> Density | None:
    """The kernel density of the item's results the reader may read, with the bandwidth
    from the round's robust s* (as stored at close)."""
    scale = json.loads(item.evaluation).get("robust", {}).get("scale")
    return kernel_density(
        [s.value for s in item.scores],
        assigned=item.assigned_value,
        scale=float(scale) if isinstance(scale, int | float) else None,
    )


def youden_of(items: Sequence[ItemResults]) -> list[YoudenData]:
    """Youden data for consecutive pairs of items, (1, 2), (3, 4), ..., each point a
    laboratory the reader sees in both."""
    out = []
    for a, b in zip(items[0::2], items[1::2], strict=False):
        data = youden(
            (a.item, a.assigned_value, a.sigma_pt),
            (b.item, b.assigned_value, b.sigma_pt),
            [(s.code, s.laboratory, s.value) for s in a.scores],
            [(s.code, s.laboratory, s.value) for s in b.scores],
        )
        if data is not None:
            out.append(data)
    return out


def control_of(session: Session, who: Viewer, row: RoundRow, *, only: str | None = None) -> Control:
    """The z-score series of the laboratories the reader knows in ``row`` (or of the one
    organisation ``only``), across the procedure's closed rounds the reader sees."""
    if row.status != RoundStatus.CLOSED.value:
        return Control((), (), {})
    version = session.get(ProcedureVersionRow, row.procedure_version_id)
    if version is None:
        return Control((), (), {})
    versions = select(ProcedureVersionRow.id).where(
        ProcedureVersionRow.procedure_id == version.procedure_id
    )
    rounds = [
        r
        for r in session.scalars(
            select(RoundRow)
            .where(
                RoundRow.procedure_version_id.in_(versions),
                RoundRow.status == RoundStatus.CLOSED.value,
            )
            .order_by(RoundRow.closed_at.desc(), RoundRow.id)
        )
        if who.member_of(r.project_id)
    ][:MAX_CONTROL_ROUNDS]
    rounds.reverse()
    here, _ = readable(session, who, row)
    mine = who.principal.person.organisation_id
    charted: dict[str, str] = {}  # organisation id -> name as shown in this round
    for entry in sorted(here, key=lambda e: (e.organisation.id != mine, e.code)):
        org = entry.organisation
        if only is not None and org.id != only:
            continue
        if org.id in charted or not who.knows_identity(row, org.id):
            continue
        if len(charted) < MAX_CONTROL_CHARTS:
            charted[org.id] = who.shown(row, org, entry.code)[0]
    points: dict[str, list[ControlPoint]] = {org: [] for org in charted}
    labels: dict[str, list[Label]] = {org: [] for org in charted}
    read: dict[str, list[str]] = {}
    for other in rounds:
        entries = [e for e in readable(session, who, other)[0] if e.organisation.id in charted]
        entries = [e for e in entries if who.knows_identity(other, e.organisation.id)]
        if not entries:
            continue
        scores = {
            s.submission_id: s
            for s in session.scalars(select(ScoreRow).where(ScoreRow.round_id == other.id))
        }
        for e in entries:
            score = scores.get(e.submission.id)
            if score is None:
                continue
            assert other.closed_at is not None
            points[e.organisation.id].append(
                ControlPoint(other.id, other.title, other.closed_at, e.item.name, score.z)
            )
            labels[e.organisation.id].append(label_of(e.resource, who.policy))
            if e.organisation.id != mine:
                read.setdefault(other.id, []).append(e.submission.id)
    series = tuple(
        ControlSeries(
            charted[org],
            org == mine,
            tuple(points[org]),
            row.warning_limit,
            row.action_limit,
        )
        for org in charted
        if points[org]
    )
    kept = [org for org in charted if points[org]]
    return Control(series, tuple(tuple(labels[org]) for org in kept), read)


def draw(
    plots: PlotRenderer, shown: Round, items: Sequence[ItemResults], control: Control
) -> tuple[tuple[PairPlot, ...], tuple[ControlPlot, ...]]:
    """The Youden plots and control charts as SVG."""
    unit = shown.unit or ""
    pairs = tuple(
        PairPlot(
            data.first,
            data.second,
            plots.youden(
                title=f"{shown.title}: {data.first} against {data.second}", unit=unit, data=data
            ),
        )
        for data in youden_of(items)
    )
    charts = tuple(
        ControlPlot(
            series.laboratory,
            series.own,
            plots.control(title=f"{series.laboratory}: z across rounds", data=series),
            labels,
        )
        for series, labels in zip(control.series, control.labels, strict=True)
    )
    return pairs, charts
