"""z, z', zeta and En (ISO 13528:2022 clause 9): every printed score of example E.4, the
verdict limits and the |En| = 1 setting, invariance to labelling, refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caveat.domain.proficiency import (
    EnBoundary,
    Limits,
    NonFiniteValue,
    ProficiencyError,
    ScoreKind,
    Verdict,
    ZeroSpread,
    by_consensus,
    evaluate,
    from_certified_value,
    score,
)
from caveat.domain.proficiency import sigma_pt as sp
from tests.domain.proficiency import annex_e


def _e4() -> dict[ScoreKind, tuple[float, ...]]:
    assigned = from_certified_value(annex_e.E4_X_PT, annex_e.E4_U_X_PT_EXPANDED, 2.0)
    rows = annex_e.E4
    sets = evaluate(
        [r[1] for r in rows],
        assigned,
        sp.prescribed(annex_e.E4_SIGMA_PT),
        standard_uncertainties=[r[2] / r[3] for r in rows],
        expanded_uncertainties=[r[2] for r in rows],
    )
    return {kind: s.values for kind, s in sets.items()}


@pytest.mark.parametrize(
    ("kind", "column"),
    [(ScoreKind.Z, 4), (ScoreKind.Z_PRIME, 5), (ScoreKind.ZETA, 6), (ScoreKind.EN, 7)],
)
def test_every_e4_score_is_reproduced_at_two_decimals(kind: ScoreKind, column: int) -> None:
    computed = _e4()[kind]
    for row, value in zip(annex_e.E4, computed, strict=True):
        assert round(value, 2) == pytest.approx(row[column], abs=1e-9), (row[0], kind, value)


def test_z_verdicts_use_the_warning_and_action_limits_inclusively() -> None:
    limits = Limits()
    assert score(ScoreKind.Z, 2.0, limits).verdict is Verdict.SATISFACTORY
    assert score(ScoreKind.Z, -2.0000001, limits).verdict is Verdict.QUESTIONABLE
    assert score(ScoreKind.Z, 2.999, limits).verdict is Verdict.QUESTIONABLE
    assert score(ScoreKind.Z, -3.0, limits).verdict is Verdict.UNSATISFACTORY
    custom = Limits(warning=1.5, action=2.5)
    assert score(ScoreKind.ZETA, 1.6, custom).verdict is Verdict.QUESTIONABLE
    assert score(ScoreKind.Z_PRIME, 2.5, custom).verdict is Verdict.UNSATISFACTORY


def test_a_score_that_is_two_in_decimals_is_two() -> None:
    # (0.046 - 0.044)/0.001 is 2.0000000000000018 in binary: still satisfactory.
    sets = evaluate(
        [0.046, 0.044, 0.041], from_certified_value(0.044, 0.0, 2.0), sp.prescribed(0.001)
    )
    assert sets[ScoreKind.Z].values[0] != 2.0
    assert sets[ScoreKind.Z].verdicts == (
        Verdict.SATISFACTORY,
        Verdict.SATISFACTORY,
        Verdict.UNSATISFACTORY,
    )


def test_en_at_one_follows_the_named_boundary_setting() -> None:
    default = Limits()
    assert default.en_boundary is EnBoundary.SATISFACTORY_AT_LIMIT  # ISO 13528 9.7
    assert score(ScoreKind.EN, 1.0, default).verdict is Verdict.SATISFACTORY
    assert score(ScoreKind.EN, -1.0000001, default).verdict is Verdict.UNSATISFACTORY
    strict = Limits(en_boundary=EnBoundary.UNSATISFACTORY_AT_LIMIT)
    assert score(ScoreKind.EN, 1.0, strict).verdict is Verdict.UNSATISFACTORY
    assert score(ScoreKind.EN, 0.9999, strict).verdict is Verdict.SATISFACTORY
    # En has no questionable band.
    assert score(ScoreKind.EN, 1.5, default).verdict is Verdict.UNSATISFACTORY


def test_e4_verdicts_under_the_default_limits() -> None:
    assigned = from_certified_value(annex_e.E4_X_PT, annex_e.E4_U_X_PT_EXPANDED, 2.0)
    z = evaluate([r[1] for r in annex_e.E4], assigned, sp.prescribed(annex_e.E4_SIGMA_PT))[
        ScoreKind.Z
    ]
    # |z| ≥ 3 for the nine lowest results (L04 ... L12), ≤ 2 for the rest.
    assert z.count(Verdict.UNSATISFACTORY) == 9
    assert z.count(Verdict.SATISFACTORY) == 12
    assert z.count(Verdict.QUESTIONABLE) == 0


def test_limits_are_checked() -> None:
    with pytest.raises(ProficiencyError):
        Limits(warning=3.0, action=2.0)
    with pytest.raises(ProficiencyError):
        Limits(en=0.0)


def test_only_the_scores_the_inputs_allow_are_computed() -> None:
    sets = evaluate([1.0, 2.0, 3.0], by_consensus([1.0, 2.0, 3.0, 4.0]), sp.prescribed(1.0))
    assert set(sets) == {ScoreKind.Z, ScoreKind.Z_PRIME}


def test_zeta_with_no_uncertainty_anywhere_is_refused() -> None:
    assigned = from_certified_value(1.0, 0.0, 2.0)
    with pytest.raises(ZeroSpread) as caught:
        evaluate([1.0, 2.0], assigned, sp.prescribed(1.0), standard_uncertainties=[0.1, 0.0])
    assert caught.value.data["positions"] == [1]


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_nan_results_or_uncertainties_are_refused(bad: float) -> None:
    assigned = from_certified_value(1.0, 0.1, 2.0)
    with pytest.raises(NonFiniteValue):
        evaluate([1.0, bad], assigned, sp.prescribed(1.0))
    with pytest.raises(NonFiniteValue):
        evaluate([1.0, 2.0], assigned, sp.prescribed(1.0), expanded_uncertainties=[0.1, bad])


def test_one_uncertainty_per_result() -> None:
    assigned = from_certified_value(1.0, 0.1, 2.0)
    with pytest.raises(ProficiencyError):
        evaluate([1.0, 2.0, 3.0], assigned, sp.prescribed(1.0), standard_uncertainties=[0.1, 0.1])
    with pytest.raises(ProficiencyError):
        evaluate([1.0, 2.0], assigned, sp.prescribed(1.0), standard_uncertainties=[0.1, -0.1])


laboratory = st.tuples(
    st.integers(-100_000, 100_000).map(lambda i: i / 1000),
    st.integers(1, 10_000).map(lambda i: i / 10_000),
)


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(laboratory, min_size=5, max_size=30), data=st.data())
def test_scores_do_not_depend_on_labels_or_order(
    rows: list[tuple[float, float]], data: st.DataObject
) -> None:
    """Relabelling laboratories (any permutation) permutes their scores, nothing else."""
    order = data.draw(st.permutations(range(len(rows))))

    def run(rs: list[tuple[float, float]]) -> dict[ScoreKind, tuple[float, ...]]:
        values = [r[0] for r in rs]
        try:
            assigned = by_consensus(values)
        except ZeroSpread:
            return {}
        sets = evaluate(
            values,
            assigned,
            sp.from_round(assigned.robust) if assigned.robust else sp.prescribed(1.0),
            standard_uncertainties=[r[1] for r in rs],
            expanded_uncertainties=[2 * r[1] for r in rs],
        )
        return {kind: s.values for kind, s in sets.items()}

    before = run(rows)
    after = run([rows[i] for i in order])
    assert set(before) == set(after)
    for kind, values in before.items():
        assert after[kind] == tuple(values[i] for i in order)


def test_vectorised_and_single_verdicts_agree() -> None:
    values = np.linspace(-4.0, 4.0, 81)
    sets = evaluate(values, from_certified_value(0.0, 0.0, 2.0), sp.prescribed(1.0))
    for value, verdict in zip(values, sets[ScoreKind.Z].verdicts, strict=True):
        assert score(ScoreKind.Z, float(value)).verdict is verdict
