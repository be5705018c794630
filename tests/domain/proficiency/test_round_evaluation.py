"""One round in one call: the recorded choices, every score, and the plots' data."""

from __future__ import annotations

import numpy as np
import pytest

from caveat.domain.proficiency import (
    AssignedValueMethod,
    RobustMethod,
    ScoreKind,
    SigmaPtMethod,
    TooFewResults,
    evaluate_round,
    from_certified_value,
)
from caveat.domain.proficiency import sigma_pt as sp
from caveat.domain.proficiency.round_evaluation import kernel_density
from tests.domain.proficiency import annex_e


def test_consensus_round_on_e3_records_its_choices() -> None:
    round_ = evaluate_round(annex_e.E3_ATRAZINE)
    assert round_.robust.method is RobustMethod.ALGORITHM_A
    assert round_.assigned.method is AssignedValueMethod.CONSENSUS
    assert round_.sigma_pt.method is SigmaPtMethod.ROBUST_SD_OF_ROUND
    assert (round(round_.assigned.value, 4), round(round_.sigma_pt.value, 4)) == (0.2570, 0.0395)
    z = round_.score(ScoreKind.Z)
    assert z is not None
    assert len(z.values) == 34
    assert round_.score(ScoreKind.EN) is None  # no uncertainties given
    values = [round_.results[i] for i in round_.ascending]
    assert values == sorted(annex_e.E3_ATRAZINE)


def test_given_assigned_value_and_sigma_are_used_and_all_four_scores_computed() -> None:
    rows = annex_e.E4
    round_ = evaluate_round(
        [r[1] for r in rows],
        method=RobustMethod.Q_HAMPEL,
        assigned=from_certified_value(annex_e.E4_X_PT, annex_e.E4_U_X_PT_EXPANDED, 2.0),
        sigma_pt=sp.prescribed(annex_e.E4_SIGMA_PT),
        standard_uncertainties=[r[2] / r[3] for r in rows],
        expanded_uncertainties=[r[2] for r in rows],
    )
    assert round_.robust.method is RobustMethod.Q_HAMPEL  # computed, reported, not used
    assert round_.assigned.method is AssignedValueMethod.CERTIFIED_VALUE
    assert [s.kind for s in round_.scores] == [
        ScoreKind.Z,
        ScoreKind.Z_PRIME,
        ScoreKind.ZETA,
        ScoreKind.EN,
    ]
    en = round_.score(ScoreKind.EN)
    assert en is not None
    assert round(en.values[0], 2) == rows[0][7]


def test_kernel_density_is_a_density() -> None:
    density = evaluate_round(annex_e.E3_ATRAZINE).density
    grid, values = np.array(density.grid), np.array(density.density)
    area = float(np.sum((values[1:] + values[:-1]) * np.diff(grid)) / 2)
    assert area == pytest.approx(1.0, abs=1e-3)
    assert density.bandwidth > 0
    assert "Silverman" in density.bandwidth_rule
    peak = grid[int(np.argmax(values))]
    assert 0.2 < peak < 0.3  # the bulk of the atrazine results, not the two low ones


def test_kernel_density_of_one_point_is_a_normal_curve() -> None:
    density = kernel_density([0.0], 1.0, points=101)
    assert max(density.density) == pytest.approx(1 / np.sqrt(2 * np.pi), rel=1e-3)


def test_a_round_needs_three_results() -> None:
    with pytest.raises(TooFewResults):
        evaluate_round([1.0, 2.0])
