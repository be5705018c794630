"""The few distribution quantiles the critical values need, typed (scipy ships no stubs).

scipy.stats is imported on first use: it takes a few hundred milliseconds, and most
callers of this package (a round's scores, say) never need a quantile.
"""

from __future__ import annotations

from functools import cache
from statistics import NormalDist
from typing import Any


@cache
def _stats() -> Any:
    from scipy import stats  # type: ignore[import-untyped,unused-ignore]

    return stats


def t_upper(alpha: float, df: float) -> float:
    """Student's t exceeded with probability ``alpha`` (one upper tail)."""
    return float(_stats().t.isf(alpha, df))


def f_upper(alpha: float, df1: float, df2: float) -> float:
    """Fisher's F exceeded with probability ``alpha``."""
    return float(_stats().f.isf(alpha, df1, df2))


def chi2_upper(alpha: float, df: float) -> float:
    """Chi-squared exceeded with probability ``alpha``."""
    return float(_stats().chi2.isf(alpha, df))


def normal_quantile(probability: float) -> float:
    """The standard normal quantile Φ⁻¹(probability) (the standard library's, no scipy)."""
    return NormalDist().inv_cdf(probability)
