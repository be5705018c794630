"""Critical values of Mandel's h and k, Cochran's C and Grubbs' tests: ISO 5725-2 7.3.

Computed from the t and F distributions: the exact forms for h and k, and the Bonferroni
forms for Cochran's C and the single Grubbs test (Wilrich, AStA Adv. Stat. Anal., 2013,
doi:10.1007/s10182-011-0185-y). Against ISO 5725-2's printed tables they agree to the
printed digits for h and for Cochran at 5 %, within 0.001 for Grubbs and within 0.01 for k
(the table's k differs in the last digit at some p, n; tests/domain/proficiency shows
where). The double Grubbs test has no closed form: its lower critical values are read from
the sourced table ``data/double_grubbs_lower_critical.csv`` (p = 4..30).
"""

from __future__ import annotations

import csv
import io
import math
from functools import cache
from importlib import resources

from caveat.domain.proficiency._distributions import f_upper, t_upper
from caveat.domain.proficiency.errors import OutsideTable, TooFewResults

STRAGGLER_LEVEL = 0.05  # ISO 5725-2 7.3.2: beyond the 5 % critical value, a straggler
OUTLIER_LEVEL = 0.01  # beyond the 1 % critical value, a statistical outlier
DOUBLE_GRUBBS_TABLE = "double_grubbs_lower_critical.csv"


def _check(p: int, minimum: int, what: str) -> None:
    if p < minimum:
        raise TooFewResults(
            f"{what} needs at least {minimum} laboratories, not {p}",
            field="laboratories",
            data={"count": p, "minimum": minimum},
        )


def _level(alpha: float) -> float:
    if not 0.0 < alpha < 1.0:
        raise OutsideTable(f"a significance level must lie between 0 and 1, not {alpha}")
    return alpha


def mandel_h(p: int, alpha: float) -> float:
    """h_crit = (p-1)·t / √(p·(t² + p - 2)), t at two-sided alpha with p - 2 df (7.3.1)."""
    _check(p, 3, "Mandel's h")
    t = t_upper(_level(alpha) / 2.0, p - 2)
    return (p - 1) * t / math.sqrt(p * (t**2 + p - 2))


def mandel_k(p: int, n: int, alpha: float) -> float:
    """k_crit = √(p / (1 + (p-1)/F)), F exceeded with probability alpha, (n-1, (p-1)(n-1)) df."""
    _check(p, 2, "Mandel's k")
    if n < 2:
        raise TooFewResults("Mandel's k needs at least 2 replicates per cell", field="replicates")
    f = f_upper(_level(alpha), n - 1, (p - 1) * (n - 1))
    return math.sqrt(p / (1.0 + (p - 1) / f))


def cochran(p: int, n: int, alpha: float) -> float:
    """C_crit = 1 / (1 + (p-1)/F), F exceeded with probability alpha/p (7.3.3, Table 4)."""
    _check(p, 2, "Cochran's test")
    if n < 2:
        raise TooFewResults(
            "Cochran's test needs at least 2 replicates per cell", field="replicates"
        )
    f = f_upper(_level(alpha) / p, n - 1, (p - 1) * (n - 1))
    return 1.0 / (1.0 + (p - 1) / f)


def grubbs(p: int, alpha: float) -> float:
    """G_crit = (p-1)/√p · √(t²/(p - 2 + t²)), t exceeded with probability alpha/(2p) (7.3.4)."""
    _check(p, 3, "Grubbs' test")
    t = t_upper(_level(alpha) / (2.0 * p), p - 2)
    return (p - 1) / math.sqrt(p) * math.sqrt(t**2 / (p - 2 + t**2))


@cache
def _double_grubbs_table() -> dict[int, dict[float, float]]:
    text = (
        resources.files("caveat.domain.proficiency").joinpath("data").joinpath(DOUBLE_GRUBBS_TABLE)
    )
    lines = [line for line in text.read_text("utf-8").splitlines() if not line.startswith("#")]
    table: dict[int, dict[float, float]] = {}
    for row in csv.DictReader(io.StringIO("\n".join(lines))):
        table[int(row["p"])] = {
            OUTLIER_LEVEL: float(row["alpha_0.01"]),
            STRAGGLER_LEVEL: float(row["alpha_0.05"]),
        }
    return table


def double_grubbs_range() -> tuple[int, int]:
    """The numbers of laboratories the double Grubbs table covers."""
    table = _double_grubbs_table()
    return min(table), max(table)


def double_grubbs(p: int, alpha: float) -> float:
    """The lower critical value of the double Grubbs statistic (7.3.4, Table 5), sourced data."""
    _check(p, 4, "The double Grubbs test")
    row = _double_grubbs_table().get(p)
    if row is None or alpha not in row:
        low, high = double_grubbs_range()
        raise OutsideTable(
            f"the double Grubbs table covers p = {low}..{high} at 1 % and 5 %; "
            f"not p = {p} at {alpha:g}",
            field="laboratories",
            data={"p": p, "alpha": alpha, "range": [low, high]},
        )
    return row[alpha]
