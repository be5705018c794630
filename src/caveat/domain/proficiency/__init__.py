"""Proficiency testing (ISO 13528:2022) and precision experiments (ISO 5725-2), as pure maths.

numpy for the arithmetic, scipy for t, F and χ² quantiles (imported on first use); no I/O
but the one sourced table in ``data/``, no clock. Not imported by ``caveat.domain``: the
command line starts without numpy. ADR 0020 records the method choices and editions.

- ``robust``: median/nIQR/MADe, Algorithm A, Q/Hampel (Annex C)
- ``assigned_value``, ``sigma_pt``: x_pt and sigma_pt with the choice recorded (clauses 7, 8)
- ``scores``: z, z', ζ, En and their verdicts (clause 9)
- ``homogeneity``: homogeneity and stability of the items (Annex B)
- ``round_evaluation``: one round's scores and the plots' data in one call
- ``precision``, ``consistency``, ``critical_values``, ``screening``: ISO 5725-2 7.3, 7.4
"""

from caveat.domain.proficiency.assigned_value import (
    AssignedValue,
    AssignedValueMethod,
    by_consensus,
    by_formulation,
    from_certified_value,
    from_reference_value,
    from_robust_estimate,
)
from caveat.domain.proficiency.consistency import (
    Flag,
    MandelStatistics,
    OutlierTest,
    OutlierTestKind,
    cochran_test,
    double_grubbs_tests,
    grubbs_tests,
    mandel,
)
from caveat.domain.proficiency.errors import (
    NonFiniteValue,
    OutsideTable,
    ProficiencyError,
    TooFewResults,
    UnbalancedDesign,
    ZeroSpread,
)
from caveat.domain.proficiency.homogeneity import (
    HomogeneityCheck,
    StabilityCheck,
    homogeneity,
    stability,
)
from caveat.domain.proficiency.precision import PrecisionEstimate, precision
from caveat.domain.proficiency.robust import (
    RobustEstimate,
    RobustMethod,
    StoppingRule,
    algorithm_a,
    median_made,
    median_niqr,
    q_hampel,
)
from caveat.domain.proficiency.round_evaluation import RoundEvaluation, evaluate_round
from caveat.domain.proficiency.scores import (
    EnBoundary,
    Limits,
    Score,
    ScoreKind,
    ScoreSet,
    Verdict,
    evaluate,
    score,
)
from caveat.domain.proficiency.screening import Screening, screen
from caveat.domain.proficiency.sigma_pt import SigmaPt, SigmaPtMethod

__all__ = [
    "AssignedValue",
    "AssignedValueMethod",
    "EnBoundary",
    "Flag",
    "HomogeneityCheck",
    "Limits",
    "MandelStatistics",
    "NonFiniteValue",
    "OutlierTest",
    "OutlierTestKind",
    "OutsideTable",
    "PrecisionEstimate",
    "ProficiencyError",
    "RobustEstimate",
    "RobustMethod",
    "RoundEvaluation",
    "Score",
    "ScoreKind",
    "ScoreSet",
    "Screening",
    "SigmaPt",
    "SigmaPtMethod",
    "StabilityCheck",
    "StoppingRule",
    "TooFewResults",
    "UnbalancedDesign",
    "Verdict",
    "ZeroSpread",
    "algorithm_a",
    "by_consensus",
    "by_formulation",
    "cochran_test",
    "double_grubbs_tests",
    "evaluate",
    "evaluate_round",
    "from_certified_value",
    "from_reference_value",
    "from_robust_estimate",
    "grubbs_tests",
    "homogeneity",
    "mandel",
    "median_made",
    "median_niqr",
    "precision",
    "q_hampel",
    "score",
    "screen",
    "stability",
]
