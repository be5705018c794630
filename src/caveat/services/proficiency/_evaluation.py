"""Closing a round: every item evaluated by the domain's core (ISO 13528:2022, ISO 5725-2
7.3.1 for Mandel's h and k; ``caveat.domain.proficiency``, ADR 0020) with the round's
method choices, the results stored, and one ledger event with every score.

The core (numpy, scipy) is imported here, when a round is closed or its results read,
never when the service is built. Results are evaluated in the order of the laboratories'
codes, so a recomputation from the stored inputs gives the same numbers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caveat.adapters.db.models.proficiency import (
    ItemResultRow,
    RoundItemRow,
    RoundRow,
    ScoreRow,
)
from caveat.domain.errors import Conflict
from caveat.services.kernel.records import canonical
from caveat.services.kernel.uow import UnitOfWork
from caveat.services.proficiency._access import Viewer, label_of, marking
from caveat.services.proficiency._declarations import declarations
from caveat.services.proficiency._submissions import DEFAULT_COVERAGE, Stored, readable, stored
from caveat.services.proficiency._views import ItemResults, LabScore

if TYPE_CHECKING:
    from caveat.domain.proficiency import AssignedValue, MandelStatistics, RoundEvaluation, SigmaPt

STANDARD = "ISO 13528:2022"


@dataclass(frozen=True, slots=True)
class Evaluated:
    """One item's evaluation and the submissions it scored, in that order."""

    item: RoundItemRow
    entries: tuple[Stored, ...]
    evaluation: RoundEvaluation
    mandel: MandelStatistics | None


def _assigned(round_row: RoundRow, item: RoundItemRow, values: list[float]) -> AssignedValue | None:
    from caveat.domain.proficiency import assigned_value as av

    method = round_row.assigned_method
    if method == "consensus":
        return None
    value, u = item.assigned_value, item.assigned_uncertainty
    assert value is not None  # required when the round was opened
    assert u is not None
    if method == "reference_value":
        return av.from_reference_value(value, u)
    if method == "formulation":
        return av.by_formulation(value, u)
    assert item.assigned_coverage is not None
    return av.from_certified_value(value, u, item.assigned_coverage)


def _sigma(round_row: RoundRow, x_pt: float) -> SigmaPt | None:
    from caveat.domain.proficiency import sigma_pt as sp

    if round_row.sigma_method == "robust_sd_of_round":
        return None
    assert round_row.sigma_value is not None
    if round_row.sigma_method == "prescribed":
        return sp.prescribed(round_row.sigma_value)
    return sp.fitness_for_purpose(x_pt, round_row.sigma_value)


def _mandel(entries: list[Stored]) -> MandelStatistics | None:
    """Mandel's h (and k where every laboratory reported replicates) by code, or None
    when the item does not allow them (fewer than 3 laboratories, no spread)."""
    import numpy as np

    from caveat.domain.proficiency import ProficiencyError, mandel
    from caveat.domain.proficiency.consistency import modal_replicates

    groups = {}
    for e in entries:
        replicates = json.loads(e.submission.replicates_json)
        groups[e.code] = np.asarray(replicates or [e.submission.value], dtype=np.float64)
    with_k = all(g.size >= 2 for g in groups.values())
    sizes = {g.size for g in groups.values()}
    try:
        return mandel(
            groups,
            None if len(sizes) == 1 or not with_k else modal_replicates(groups),
            with_k=with_k,
        )
    except ProficiencyError:
        return None


def evaluate_item(round_row: RoundRow, item: RoundItemRow, entries: list[Stored]) -> Evaluated:
    """One item's scores under the round's choices; Conflict (round_not_evaluable) with
    the reason when the results do not allow them."""
    from caveat.domain.proficiency import (
        EnBoundary,
        Limits,
        ProficiencyError,
        RobustMethod,
        evaluate_round,
    )
    from caveat.domain.proficiency.assigned_value import from_robust_estimate
    from caveat.domain.proficiency.round_evaluation import robust_estimate

    values = [e.submission.value for e in entries]
    uncertainties = [e.submission.standard_uncertainty for e in entries]
    try:
        method = RobustMethod(round_row.robust_method)
        limits = Limits(
            round_row.warning_limit,
            round_row.action_limit,
            round_row.en_limit,
            EnBoundary(round_row.en_boundary),
        )
        assigned = _assigned(round_row, item, values)
        sigma = None
        if round_row.sigma_method != "robust_sd_of_round":
            if assigned is None:
                import numpy as np

                assigned = from_robust_estimate(
                    robust_estimate(np.asarray(values, dtype=np.float64), method)
                )
            sigma = _sigma(round_row, assigned.value)
        u = (
            None
            if any(v is None for v in uncertainties)
            else [float(v or 0) for v in uncertainties]
        )
        big_u = None
        if u is not None:
            big_u = [
                (e.submission.coverage_factor or DEFAULT_COVERAGE) * ui
                for e, ui in zip(entries, u, strict=True)
            ]
        evaluation = evaluate_round(
            values,
            method=method,
            assigned=assigned,
            sigma_pt=sigma,
            standard_uncertainties=u,
            expanded_uncertainties=big_u,
            limits=limits,
        )
    except ProficiencyError as exc:
        raise Conflict(
            f"item {item.name!r} cannot be scored: {exc.detail}",
            code="round_not_evaluable",
            field=exc.field,
            hint=exc.hint,
            data={"item": item.name, **exc.data},
        ) from exc
    return Evaluated(item, tuple(entries), evaluation, _mandel(entries))


def _record(evaluated: Evaluated, round_row: RoundRow) -> dict[str, Any]:
    """Every choice, clause, constant and iteration of one item's evaluation."""
    ev = evaluated.evaluation
    robust, assigned, sigma, limits = ev.robust, ev.assigned, ev.sigma_pt, ev.limits
    mandel = evaluated.mandel
    return {
        "standard": STANDARD,
        "robust": {
            "method": robust.method.value,
            "clause": robust.clause,
            "location": robust.location,
            "scale": robust.scale,
            "count": robust.count,
            "iterations": robust.iterations,
            "stopping_rule": None if robust.stopping_rule is None else robust.stopping_rule.value,
            "history": [list(step) for step in robust.history],
        },
        "assigned": {
            "method": assigned.method.value,
            "clause": assigned.clause,
            "value": assigned.value,
            "standard_uncertainty": assigned.standard_uncertainty,
            "expanded_uncertainty": assigned.expanded_uncertainty,
            "coverage_factor": assigned.coverage_factor,
        },
        "sigma_pt": {
            "method": sigma.method.value,
            "clause": sigma.clause,
            "value": sigma.value,
            "parameters": {name: value for name, value in sigma.parameters},
        },
        "limits": {
            "warning": limits.warning,
            "action": limits.action,
            "en": limits.en,
            "en_boundary": limits.en_boundary.value,
        },
        "scores": {s.kind.value: s.clause for s in ev.scores},
        "default_coverage_factor": DEFAULT_COVERAGE,
        "order": [e.code for e in evaluated.entries],
        "mandel": None
        if mandel is None
        else {
            "clause": mandel.clause,
            "h_critical": [mandel.h_critical_straggler, mandel.h_critical_outlier],
            "k_critical": None
            if mandel.k_critical_straggler is None or mandel.k_critical_outlier is None
            else [mandel.k_critical_straggler, mandel.k_critical_outlier],
            "replicates": mandel.replicates,
        },
        "round": {"robust_method": round_row.robust_method, "sigma_method": round_row.sigma_method},
    }


def close_in(uow: UnitOfWork, round_row: RoundRow, items: list[RoundItemRow]) -> dict[str, Any]:
    """Evaluate every item and store the results and scores (the caller moved the round
    and records the event); the event's data."""
    from caveat.domain.proficiency import ScoreKind

    entries = stored(uow.session, round_row)
    summary: list[dict[str, Any]] = []
    scores: list[list[Any]] = []
    for item in items:
        mine = [e for e in entries if e.item.id == item.id]
        evaluated = evaluate_item(round_row, item, mine)
        ev = evaluated.evaluation
        uow.session.add(
            ItemResultRow(
                item_id=item.id,
                round_id=round_row.id,
                participants=len(mine),
                assigned_value=ev.assigned.value,
                assigned_uncertainty=ev.assigned.standard_uncertainty,
                sigma_pt=ev.sigma_pt.value,
                evaluation_json=canonical(_record(evaluated, round_row)),
                computed_at=uow.now,
            )
        )
        z, zp = ev.score(ScoreKind.Z), ev.score(ScoreKind.Z_PRIME)
        zeta, en = ev.score(ScoreKind.ZETA), ev.score(ScoreKind.EN)
        assert z is not None
        assert zp is not None
        mandel = evaluated.mandel
        for i, e in enumerate(mine):
            row = ScoreRow(
                submission_id=e.submission.id,
                round_id=round_row.id,
                z=z.values[i],
                z_verdict=z.verdicts[i].value,
                z_prime=zp.values[i],
                z_prime_verdict=zp.verdicts[i].value,
                zeta=None if zeta is None else zeta.values[i],
                zeta_verdict=None if zeta is None else zeta.verdicts[i].value,
                en=None if en is None else en.values[i],
                en_verdict=None if en is None else en.verdicts[i].value,
                mandel_h=None if mandel is None else mandel.h[i],
                mandel_k=None if mandel is None or mandel.k is None else mandel.k[i],
            )
            uow.session.add(row)
            scores.append([e.submission.id, row.z, row.zeta, row.en])
        summary.append(
            {
                "item": item.name,
                "participants": len(mine),
                "assigned_value": ev.assigned.value,
                "assigned_uncertainty": ev.assigned.standard_uncertainty,
                "sigma_pt": ev.sigma_pt.value,
                "assigned_method": ev.assigned.method.value,
                "sigma_method": ev.sigma_pt.method.value,
                "robust_method": ev.robust.method.value,
                "z_verdicts": {v.value: z.count(v) for v in set(z.verdicts)},
            }
        )
    uow.session.flush()
    return {"standard": STANDARD, "items": summary, "scores": scores}


def item_results(session: Session, who: Viewer, round_row: RoundRow) -> tuple[ItemResults, ...]:
    """The stored results of a closed round, with the scores the caller may read."""
    results = {
        r.item_id: r
        for r in session.scalars(
            select(ItemResultRow).where(ItemResultRow.round_id == round_row.id)
        )
    }
    if not results:
        return ()
    score_rows = {
        s.submission_id: s
        for s in session.scalars(select(ScoreRow).where(ScoreRow.round_id == round_row.id))
    }
    visible, _ = readable(session, who, round_row)
    declared = declarations(session, round_row)
    counted: dict[str, int] = {}
    for entry in stored(session, round_row):
        counted[entry.item.id] = counted.get(entry.item.id, 0) + 1
    out = []
    items = session.scalars(
        select(RoundItemRow)
        .where(RoundItemRow.round_id == round_row.id)
        .order_by(RoundItemRow.position)
    )
    for item in items:
        result = results.get(item.id)
        if result is None:
            continue
        record = json.loads(result.evaluation_json)
        mine = [e for e in visible if e.item.id == item.id]
        lab_scores = []
        for e in mine:
            s = score_rows[e.submission.id]
            name, _ = who.shown(round_row, e.organisation, e.code)
            sub = e.submission
            expanded = None
            if sub.standard_uncertainty is not None:
                expanded = (sub.coverage_factor or DEFAULT_COVERAGE) * sub.standard_uncertainty
            label = label_of(e.resource, who.policy)
            lab_scores.append(
                LabScore(
                    submission_id=sub.id,
                    laboratory=name,
                    code=e.code,
                    own=e.organisation.id == who.principal.person.organisation_id,
                    value=sub.value,
                    expanded_uncertainty=expanded,
                    z=s.z,
                    z_verdict=s.z_verdict,
                    z_prime=s.z_prime,
                    z_prime_verdict=s.z_prime_verdict,
                    zeta=s.zeta,
                    zeta_verdict=s.zeta_verdict,
                    en=s.en,
                    en_verdict=s.en_verdict,
                    mandel_h=s.mandel_h,
                    mandel_k=s.mandel_k,
                    label=label,
                    marking=marking(label, who.policy),
                    declared_version=(
                        declared[e.organisation.id].version
                        if e.organisation.id in declared
                        else None
                    ),
                    deviates=e.organisation.id in declared and declared[e.organisation.id].deviates,
                )
            )
        mandel = record.get("mandel")
        out.append(
            ItemResults(
                item_id=item.id,
                item=item.name,
                participants=result.participants,
                assigned_value=result.assigned_value,
                assigned_uncertainty=result.assigned_uncertainty,
                sigma_pt=result.sigma_pt,
                assigned_method=record["assigned"]["method"],
                assigned_clause=record["assigned"]["clause"],
                sigma_method=record["sigma_pt"]["method"],
                sigma_clause=record["sigma_pt"]["clause"],
                robust_method=record["robust"]["method"],
                robust_clause=record["robust"]["clause"],
                iterations=record["robust"]["iterations"],
                scores=tuple(lab_scores),
                withheld=counted.get(item.id, 0) - len(lab_scores),
                mandel_h_critical=None if mandel is None else tuple(mandel["h_critical"]),
                mandel_k_critical=None
                if mandel is None or mandel["k_critical"] is None
                else tuple(mandel["k_critical"]),
                evaluation=result.evaluation_json,
            )
        )
    return tuple(out)
