"""A round's report and a laboratory's, as data (``caveat.domain.proficiency_report``),
built from what closing the round stored and nothing else: the round's method choices,
each item's evaluation record (method, clause, constants, iterations), the results and
scores. The same access decisions as the round page apply, row by row:

- a round the caller may not see is the "not found" of a missing one;
- before close (blind) only the coordinator gets a report, of the round's set-up;
  anyone else is refused (``report_not_available``);
- results and scores are those ``item_results`` returns (the blindness rule, then the
  policy), other laboratories under codes unless the round reveals identities or the
  caller coordinates it; a laboratory's report names a laboratory by its code (its
  table shows that laboratory's rows, its plots what the round page shows), and one
  whose results the caller may not read is the "not found" of a missing one;
- control charts as on the page (``_charts.control_of``).

``labels`` holds the label of everything the report shows (the round's, the procedure
version's when its measurand is shown, each result's), for the marking the report
carries on every page.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.orm import Session

from caveat.adapters.db.models.policy import ResourceRow
from caveat.adapters.db.models.proficiency import RoundRow
from caveat.domain.errors import NotFound, PermissionDenied
from caveat.domain.labels import Label
from caveat.domain.lifecycles import RoundStatus
from caveat.domain.proficiency_report import (
    STANDARD,
    ProficiencyReport,
    ReportItem,
    ReportScore,
)
from caveat.services.proficiency import _charts, _evaluation
from caveat.services.proficiency._access import Viewer, label_of
from caveat.services.proficiency._submissions import readable
from caveat.services.proficiency._views import ItemResults, LabScore, Round


def laboratory_missing(code: str) -> NotFound:
    """The one answer for a laboratory not in the round and one not the caller's to see."""
    return NotFound(f"no laboratory {code!r} in this round", code="unknown_round_laboratory")


def constants(robust_method: str) -> tuple[tuple[str, float], ...]:
    """The robust algorithm's constants as the statistics core applies them."""
    from caveat.domain.proficiency import robust

    shared = (("u(x_pt) = f * s*/sqrt(p), f", robust.CONSENSUS_UNCERTAINTY_FACTOR),)
    if robust_method == "algorithm_a":
        return (
            ("winsorising at x* +/- delta * s*, delta", robust.ALGORITHM_A_DELTA),
            ("s* = f * sd of the winsorised values, f", robust.ALGORITHM_A_FACTOR),
            ("MADe factor (starting s*)", robust.MADE_FACTOR),
            *shared,
        )
    if robust_method == "q_hampel":
        return (
            ("Hampel psi knot a", robust.HAMPEL_A),
            ("Hampel psi knot b", robust.HAMPEL_B),
            ("Hampel psi knot c", robust.HAMPEL_C),
            *shared,
        )
    if robust_method == "median_niqr":
        return (("nIQR factor", robust.NIQR_FACTOR), *shared)
    return (("MADe factor", robust.MADE_FACTOR), *shared)


def _score(s: LabScore) -> ReportScore:
    return ReportScore(
        laboratory=s.laboratory,
        code=s.code,
        own=s.own,
        value=s.value,
        expanded_uncertainty=s.expanded_uncertainty,
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
    )


def _item(item: ItemResults) -> ReportItem:
    record = json.loads(item.evaluation)
    robust, sigma = record["robust"], record["sigma_pt"]
    scores = tuple(_score(s) for s in item.scores)
    return ReportItem(
        name=item.item,
        participants=item.participants,
        withheld=item.withheld,
        assigned_value=item.assigned_value,
        assigned_uncertainty=item.assigned_uncertainty,
        sigma_pt=item.sigma_pt,
        assigned_method=item.assigned_method,
        assigned_clause=item.assigned_clause,
        sigma_method=item.sigma_method,
        sigma_clause=item.sigma_clause,
        sigma_parameters=tuple(sorted((k, float(v)) for k, v in sigma["parameters"].items())),
        robust_method=item.robust_method,
        robust_clause=item.robust_clause,
        robust_location=float(robust["location"]),
        robust_scale=float(robust["scale"]),
        iterations=item.iterations,
        stopping_rule=robust["stopping_rule"],
        default_coverage_factor=float(record["default_coverage_factor"]),
        mandel_h_critical=item.mandel_h_critical,
        mandel_k_critical=item.mandel_k_critical,
        scores=scores,
        density=_charts.density_of(item),
    )


def build(
    session: Session,
    who: Viewer,
    row: RoundRow,
    shown: Round,
    *,
    laboratory: str | None,
    now: datetime,
) -> tuple[ProficiencyReport, dict[str, list[str]]]:
    """The report as ``who`` may read it (a laboratory's when ``laboratory`` names its
    code), and the other laboratories' submissions it shows, per round (the caller
    records them as reads)."""
    closed = row.status == RoundStatus.CLOSED.value
    if not closed and not shown.is_coordinator:
        raise PermissionDenied(
            f"round {row.title!r} is {row.status}: its results are blind, so only its "
            "coordinator has a report before it closes",
            code="report_not_available",
        )
    items = _evaluation.item_results(session, who, row)
    code = None
    control = _charts.Control((), (), {})
    if laboratory is not None:
        code = laboratory.strip().upper()
        lab = next((lab for lab in shown.laboratories if lab.code == code), None)
        entry = next((e for e in readable(session, who, row)[0] if e.code == code), None)
        if lab is None or (entry is None and not lab.own):
            raise laboratory_missing(laboratory)
        if closed and entry is not None:
            control = _charts.control_of(session, who, row, only=entry.organisation.id)
    labels: list[Label] = [shown.label]
    if shown.measurand is not None:
        version = session.get(ResourceRow, row.procedure_version_id)
        if version is not None:
            labels.append(label_of(version, who.policy))
    for item in items:
        labels.extend(s.label for s in item.scores)  # the plots show every one
    for series_labels in control.labels:
        labels.extend(series_labels)
    lab_name = None
    if code is not None:
        lab_name = next(lab.name for lab in shown.laboratories if lab.code == code)
    report = ProficiencyReport(
        standard=STANDARD,
        round_id=row.id,
        title=row.title,
        status=row.status,
        measurand=shown.measurand,
        unit=shown.unit,
        procedure_version_id=row.procedure_version_id,
        coordinator=shown.coordinator,
        deadline=row.deadline,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        reveal_identities=row.reveal_identities,
        robust_method=row.robust_method,
        constants=constants(row.robust_method),
        assigned_method=row.assigned_method,
        sigma_method=row.sigma_method,
        sigma_value=row.sigma_value,
        warning_limit=row.warning_limit,
        action_limit=row.action_limit,
        en_limit=row.en_limit,
        en_boundary=row.en_boundary,
        laboratory=lab_name,
        laboratory_code=code,
        laboratories=tuple(lab.name for lab in shown.laboratories),
        items=tuple(_item(item) for item in items),
        youden=tuple(_charts.youden_of(items)),
        control=control.series,
        labels=tuple(labels),
        generated_at=now,
    )
    reads: dict[str, list[str]] = {}
    others = [s.submission_id for i in items for s in i.scores if not s.own]
    if others:
        reads[row.id] = others
    for other, ids in control.read.items():
        reads.setdefault(other, []).extend(ids)
    return report, reads
