"""Closing a precision study (ISO 5725-2): a round of kind ``precision_study``.

Each item is a level of the experiment; each laboratory's cell is its replicates (or its
one value when it gave none), in the procedure's unit. At close, per level, the domain's
``screen`` runs the standard's iterative procedure (7.3.2 to 7.3.4): Cochran's test on
the largest cell variance, repeated while it finds an outlier; Grubbs' single test on the
cell means at both ends, then the double test; stragglers (5 %) flagged and kept,
outliers (1 %) set aside; Mandel's h and k with their critical values; then s_r, s_L, s_R,
r = 2.8 s_r and R = 2.8 s_R (7.4) without the outliers, beside the estimates with every
laboratory. Everything is stored (``proficiency_precision_results``), and the close's
one ledger event carries each level's summary. A level the statistics cannot handle
(fewer than three laboratories, no replicates at all) refuses the close as
``round_not_evaluable`` naming it; nothing changes.

After close each laboratory's cell is shown only where the reader may read its result
(the blindness rule and the policy, as for scores; the others counted as withheld);
the level's estimates and the tests (which name laboratories by code) are shown to the
round's readers, as a proficiency round's x_pt and sigma_pt are.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caveat.adapters.db.models.proficiency import PrecisionResultRow, RoundItemRow, RoundRow
from caveat.domain.errors import Conflict
from caveat.services.kernel.records import canonical
from caveat.services.kernel.uow import UnitOfWork
from caveat.services.proficiency._access import Viewer
from caveat.services.proficiency._rounds import items_of
from caveat.services.proficiency._submissions import Stored, readable, stored
from caveat.services.proficiency._workflow_views import PrecisionCell, PrecisionLevel, PrecisionTest

PRECISION_STUDY = "precision_study"
STANDARD = "ISO 5725-2:2019"


def _plain(value: Any) -> Any:
    """A dataclass tree as plain JSON values (enums as their strings)."""
    return json.loads(json.dumps(value, default=str))


def _estimate(e: Any) -> dict[str, Any]:
    made: dict[str, Any] = _plain(asdict(e))
    made["r"] = e.repeatability_limit
    made["R"] = e.reproducibility_limit
    return made


def screen_level(item: RoundItemRow, entries: list[Stored]) -> dict[str, Any]:
    """The level's screening as stored JSON; Conflict (round_not_evaluable) when the
    results do not allow it."""
    from caveat.domain.proficiency import ProficiencyError, screen

    cells = {}
    for e in entries:
        replicates = json.loads(e.submission.replicates_json)
        cells[e.code] = [float(v) for v in replicates] or [e.submission.value]
    try:
        screening = screen(cells)
    except ProficiencyError as exc:
        raise Conflict(
            f"level {item.name!r} cannot be evaluated: {exc.detail}",
            code="round_not_evaluable",
            field=exc.field,
            hint=exc.hint,
            data={"item": item.name, **exc.data},
        ) from exc
    return {
        "standard": STANDARD,
        "clause": screening.clause,
        "tests": _plain([asdict(t) for t in screening.tests]),
        "stragglers": list(screening.stragglers),
        "outliers": list(screening.outliers),
        "mandel": _plain(asdict(screening.mandel)),
        "all_laboratories": _estimate(screening.all_laboratories),
        "without_outliers": _estimate(screening.without_outliers),
        "notes": list(screening.notes),
    }


def close_in(uow: UnitOfWork, round_row: RoundRow) -> dict[str, Any]:
    """Screen and estimate every level and store the results (the caller moves the
    round and records the event); the event's data."""
    entries = stored(uow.session, round_row)
    summary = []
    for item in items_of(uow.session, round_row.id):
        mine = [e for e in entries if e.item.id == item.id]
        record = screen_level(item, mine)
        kept = record["without_outliers"]
        uow.session.add(
            PrecisionResultRow(
                item_id=item.id,
                round_id=round_row.id,
                laboratories=len(mine),
                general_mean=kept["general_mean"],
                repeatability_sd=kept["s_r"],
                between_laboratory_sd=kept["s_L"],
                reproducibility_sd=kept["s_R"],
                repeatability_limit=kept["r"],
                reproducibility_limit=kept["R"],
                outliers_json=json.dumps(record["outliers"]),
                stragglers_json=json.dumps(record["stragglers"]),
                screening_json=canonical(record),
                computed_at=uow.now,
            )
        )
        summary.append(
            {
                "item": item.name,
                "laboratories": len(mine),
                "general_mean": kept["general_mean"],
                "s_r": kept["s_r"],
                "s_L": kept["s_L"],
                "s_R": kept["s_R"],
                "r": kept["r"],
                "R": kept["R"],
                "outliers": record["outliers"],
                "stragglers": record["stragglers"],
            }
        )
    uow.session.flush()
    return {"standard": STANDARD, "kind": PRECISION_STUDY, "levels": summary}


def levels(session: Session, who: Viewer, round_row: RoundRow) -> tuple[PrecisionLevel, ...]:
    """The stored results of a closed precision study, with the cells the caller may read."""
    rows = {
        r.item_id: r
        for r in session.scalars(
            select(PrecisionResultRow).where(PrecisionResultRow.round_id == round_row.id)
        )
    }
    if not rows:
        return ()
    visible, _ = readable(session, who, round_row)
    counted: dict[str, int] = {}
    for entry in stored(session, round_row):
        counted[entry.item.id] = counted.get(entry.item.id, 0) + 1
    out = []
    for item in items_of(session, round_row.id):
        row = rows.get(item.id)
        if row is None:
            continue
        record = json.loads(row.screening_json)
        mandel = record["mandel"]
        h = dict(zip(mandel["laboratories"], mandel["h"], strict=True))
        k = dict(zip(mandel["laboratories"], mandel["k"] or [], strict=False))
        by_code = {c["laboratory"]: c for c in record["all_laboratories"]["cells"]}
        outliers, stragglers = set(record["outliers"]), set(record["stragglers"])
        cells = []
        for e in visible:
            if e.item.id != item.id or e.code not in by_code:
                continue
            c = by_code[e.code]
            name, _ = who.shown(round_row, e.organisation, e.code)
            flag = (
                "outlier"
                if e.code in outliers
                else "straggler"
                if e.code in stragglers
                else "correct"
            )
            cells.append(
                PrecisionCell(
                    submission_id=e.submission.id,
                    laboratory=name,
                    code=e.code,
                    own=e.organisation.id == who.principal.person.organisation_id,
                    count=int(c["count"]),
                    mean=float(c["mean"]),
                    sd=None if c["sd"] is None else float(c["sd"]),
                    mandel_h=h.get(e.code),
                    mandel_k=k.get(e.code),
                    flag=flag,
                )
            )
        everyone = record["all_laboratories"]
        out.append(
            PrecisionLevel(
                item_id=item.id,
                item=item.name,
                laboratories=row.laboratories,
                general_mean=row.general_mean,
                s_r=row.repeatability_sd,
                s_L=row.between_laboratory_sd,
                s_R=row.reproducibility_sd,
                r=row.repeatability_limit,
                R=row.reproducibility_limit,
                all_s_r=float(everyone["s_r"]),
                all_s_R=float(everyone["s_R"]),
                outliers=tuple(record["outliers"]),
                stragglers=tuple(record["stragglers"]),
                mandel_h_critical=(
                    float(mandel["h_critical_straggler"]),
                    float(mandel["h_critical_outlier"]),
                ),
                mandel_k_critical=None
                if mandel["k_critical_straggler"] is None
                else (float(mandel["k_critical_straggler"]), float(mandel["k_critical_outlier"])),
                tests=tuple(
                    PrecisionTest(
                        kind=t["kind"],
                        laboratories=tuple(t["laboratories"]),
                        statistic=float(t["statistic"]),
                        critical_straggler=float(t["critical_straggler"]),
                        critical_outlier=float(t["critical_outlier"]),
                        flag=t["flag"],
                        clause=t["clause"],
                    )
                    for t in record["tests"]
                ),
                cells=tuple(cells),
                withheld=counted.get(item.id, 0) - len(cells),
                notes=tuple(record["notes"]),
                record=row.screening_json,
            )
        )
    return tuple(out)
