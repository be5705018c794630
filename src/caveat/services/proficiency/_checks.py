"""Homogeneity and stability checks of a round's items (ISO 13528:2022 Annex B).

Before the results can be trusted the provider shows that the items it sent were alike
(homogeneity: g items measured m times each, s_s ≤ 0.3·sigma_pt, or the expanded criterion
of Table B.1) and did not change over the round (stability: |ȳ1 - ȳ2| ≤ 0.3·sigma_pt). The
round's coordinator records the measurements (``proficiency.item_check``: the
coordinator only), while the round is open; the domain's ``homogeneity`` and
``stability`` compute the outcome, stored with every statistic and criterion and one
``proficiency.item_check_recorded`` event. A later check of the same kind replaces the
one in force (both kept). A failing (or missing) check does not refuse the close: it is
flagged in the close's event and on the round page, for the assessors to weigh.

sigma_pt for the check: the one given, else the round's prescribed sigma_pt, else (fitness for
purpose) the round's share of the item's assigned value, or of the checks' grand mean
when the item has none. A round whose sigma_pt comes from the results themselves needs it
given (it is not known before close).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caveat.adapters.db.models import PersonRow
from caveat.adapters.db.models.proficiency import ItemCheckRow, RoundItemRow, RoundRow
from caveat.domain.errors import Conflict, InvalidInput
from caveat.domain.lifecycles import RoundStatus
from caveat.services.kernel.principal import Principal
from caveat.services.kernel.records import canonical
from caveat.services.kernel.uow import UnitOfWork
from caveat.services.proficiency._rounds import items_of
from caveat.services.proficiency._workflow_views import ItemCheck

HOMOGENEITY, STABILITY = "homogeneity", "stability"
KINDS = (HOMOGENEITY, STABILITY)
MAXIMUM_CHECK_ITEMS = 100  # g
MAXIMUM_CHECK_REPLICATES = 20  # m
MAXIMUM_STABILITY_RESULTS = 100  # each of before and after


def _item(session: Session, round_row: RoundRow, name: str) -> RoundItemRow:
    items = {i.name: i for i in items_of(session, round_row.id)}
    found = items.get(name.strip())
    if found is None:
        raise InvalidInput(
            f"the round has no item {name!r}",
            code="unknown_round_item",
            field="item",
            hint="items: " + ", ".join(sorted(items)),
        )
    return found


def require_open(round_row: RoundRow) -> None:
    """Checks are recorded while the round is open (they are part of what it closes on)."""
    if round_row.status != RoundStatus.OPEN.value:
        raise Conflict(
            f"round {round_row.title!r} is {round_row.status}: checks are recorded while "
            "it is open",
            code="round_not_open",
        )


def _sigma(round_row: RoundRow, item: RoundItemRow, given: float | None, mean: float) -> float:
    if given is not None:
        return float(given)  # the domain checks it is finite and positive
    if round_row.sigma_method == "prescribed" and round_row.sigma_value is not None:
        return round_row.sigma_value
    if round_row.sigma_method == "fitness_for_purpose" and round_row.sigma_value is not None:
        base = item.assigned_value if item.assigned_value is not None else mean
        return abs(base) * round_row.sigma_value
    raise InvalidInput(
        "the round takes sigma_pt from its results, unknown before close: give the sigma_pt "
        "to check against",
        code="invalid_input",
        field="sigma_pt",
    )


def _store(
    uow: UnitOfWork,
    by: Principal,
    round_row: RoundRow,
    item: RoundItemRow,
    kind: str,
    measurements: Any,
    sigma: float,
    passed: bool,
    outcome: dict[str, Any],
) -> ItemCheckRow:
    recorded = uow.session.scalar(select(func.count()).where(ItemCheckRow.round_id == round_row.id))
    row = ItemCheckRow(
        id=str(uuid.uuid4()),
        round_id=round_row.id,
        number=int(recorded or 0) + 1,  # the round is locked: no two checks take a number
        item_id=item.id,
        kind=kind,
        measurements_json=canonical(measurements),
        sigma_pt=sigma,
        passed=passed,
        outcome_json=canonical(outcome),
        recorded_by=by.person_id,
        recorded_at=uow.now,
    )
    uow.session.add(row)
    uow.session.flush()
    uow.record(
        "proficiency.item_check_recorded",
        by.actor(),
        target_id=round_row.id,
        data={
            "check_id": row.id,
            "item": item.name,
            "kind": kind,
            "sigma_pt": sigma,
            "passed": passed,
            "outcome": outcome,
            "measurements_sha256": _sha256(row.measurements_json),
        },
    )
    return row


def _sha256(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


def homogeneity_in(
    uow: UnitOfWork,
    by: Principal,
    round_row: RoundRow,
    item_name: str,
    results: Sequence[Sequence[float]],
    sigma_pt: float | None,
) -> ItemCheckRow:
    """Check g items x m replicates (one row per item) and store the outcome."""
    from caveat.domain.proficiency import homogeneity

    item = _item(uow.session, round_row, item_name)
    if not 2 <= len(results) <= MAXIMUM_CHECK_ITEMS or any(
        not 2 <= len(r) <= MAXIMUM_CHECK_REPLICATES for r in results
    ):
        raise InvalidInput(
            f"a homogeneity check takes 2 to {MAXIMUM_CHECK_ITEMS} items measured 2 to "
            f"{MAXIMUM_CHECK_REPLICATES} times each",
            code="invalid_input",
            field="results",
        )
    rows = [[float(v) for v in r] for r in results]
    mean = sum(sum(r) / len(r) for r in rows) / len(rows)
    sigma = _sigma(round_row, item, sigma_pt, mean)
    check = homogeneity(rows, sigma)
    outcome = asdict(check)
    return _store(
        uow, by, round_row, item, HOMOGENEITY, rows, check.sigma_pt, check.passes, outcome
    )


def stability_in(
    uow: UnitOfWork,
    by: Principal,
    round_row: RoundRow,
    item_name: str,
    before: Sequence[float],
    after: Sequence[float],
    sigma_pt: float | None,
) -> ItemCheckRow:
    """Compare the items' means before and after and store the outcome."""
    from caveat.domain.proficiency import stability

    item = _item(uow.session, round_row, item_name)
    for name, values in (("before", before), ("after", after)):
        if not 1 <= len(values) <= MAXIMUM_STABILITY_RESULTS:
            raise InvalidInput(
                f"a stability check takes 1 to {MAXIMUM_STABILITY_RESULTS} results {name}",
                code="invalid_input",
                field=name,
            )
    first, second = [float(v) for v in before], [float(v) for v in after]
    sigma = _sigma(round_row, item, sigma_pt, sum(first) / len(first))
    check = stability(first, second, sigma)
    outcome = asdict(check)
    measurements = {"before": first, "after": second}
    return _store(
        uow, by, round_row, item, STABILITY, measurements, check.sigma_pt, check.passes, outcome
    )


def _view(row: ItemCheckRow, item: str, recorder: str, in_force: bool) -> ItemCheck:
    outcome = json.loads(row.outcome_json)
    homogeneous = row.kind == HOMOGENEITY
    return ItemCheck(
        id=row.id,
        item=item,
        kind=row.kind,
        passed=row.passed,
        sigma_pt=row.sigma_pt,
        criterion=float(outcome["criterion"]),
        statistic=float(outcome["s_s"] if homogeneous else outcome["difference"]),
        statistic_name="s_s" if homogeneous else "|ȳ1 - ȳ2|",
        passes_expanded=bool(outcome["passes_expanded"]) if homogeneous else None,
        clause=str(outcome["clause"]),
        outcome=row.outcome_json,
        recorded_by=recorder,
        recorded_at=row.recorded_at,
        in_force=in_force,
    )


def checks_of(session: Session, round_row: RoundRow) -> list[ItemCheck]:
    """Every check of the round, newest first; the newest of each item and kind is in force."""
    names = {i.id: i.name for i in items_of(session, round_row.id)}
    rows = session.execute(
        select(ItemCheckRow, PersonRow.username)
        .join(PersonRow, PersonRow.id == ItemCheckRow.recorded_by)
        .where(ItemCheckRow.round_id == round_row.id)
        .order_by(ItemCheckRow.number.desc())
    ).all()
    seen: set[tuple[str, str]] = set()
    out = []
    for row, username in rows:
        key = (row.item_id, row.kind)
        out.append(_view(row, names.get(row.item_id, ""), username, key not in seen))
        seen.add(key)
    return out


def summary(session: Session, round_row: RoundRow) -> dict[str, Any]:
    """What the close's event records of the checks in force: each outcome, the failing
    ones, and the items without a check of each kind."""
    in_force = [c for c in checks_of(session, round_row) if c.in_force]
    names = [i.name for i in items_of(session, round_row.id)]
    done = {(c.item, c.kind) for c in in_force}
    return {
        "checks": [
            {"item": c.item, "kind": c.kind, "passed": c.passed, "check_id": c.id}
            for c in sorted(in_force, key=lambda c: (c.item, c.kind))
        ],
        "failing": sorted(f"{c.item}: {c.kind}" for c in in_force if not c.passed),
        "unchecked": sorted(
            f"{name}: {kind}" for name in names for kind in KINDS if (name, kind) not in done
        ),
    }
