"""Words for the names the proficiency service stores (issue 16: the round page showed
``algorithm_a``, ``robust_sd_of_round``, "m^2" beside "m²" and a citation inside a
citation). Display only: the stored names, units and clauses are unchanged."""

from __future__ import annotations

import re

# The statistical choices of caveat.services.proficiency._rounds, in words.
METHODS: dict[str, str] = {
    "algorithm_a": "Algorithm A",
    "q_hampel": "Q/Hampel",
    "median_niqr": "median and nIQR",
    "median_made": "median and MADe",
    "consensus": "consensus of the results",
    "reference_value": "reference value",
    "certified_value": "certified reference value",
    "formulation": "formulation",
    "robust_sd_of_round": "robust standard deviation of the round",
    "prescribed": "prescribed",
    "fitness_for_purpose": "fitness for purpose",
    "general_model": "general model",
    "precision_experiment": "precision experiment",
    "satisfactory_at_limit": "a score at the limit is satisfactory",
    "unsatisfactory_at_limit": "a score at the limit is unsatisfactory",
}

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_POWER = re.compile(r"\^(-?\d+)")
# "ISO 13528:2022 7.7.2, 7.7.3 (ISO 13528:2022 C.3.1)": the standard named twice.
_NESTED = re.compile(
    r"^(?P<std>[A-Z]+ [\d-]+:\d{4}) (?P<outer>[^()]+?) \((?P=std) (?P<inner>[^()]+)\)$"
)


def method_words(name: str) -> str:
    """A stored method name in words (an unknown one with its underscores as spaces)."""
    return METHODS.get(name, name.replace("_", " "))


def unit_text(unit: str | None) -> str:
    """A unit as written: powers as superscripts ("m^2" is "m²")."""
    if not unit:
        return ""
    return _POWER.sub(lambda m: m.group(1).translate(_SUPERSCRIPT), unit)


def citation(clause: str) -> str:
    """One citation of the standard's clauses: "ISO 13528:2022 7.7.2, 7.7.3 (ISO
    13528:2022 C.3.1)" is "ISO 13528:2022 7.7.2, 7.7.3, C.3.1"."""
    nested = _NESTED.match(clause.strip())
    if nested is None:
        return clause
    return f"{nested['std']} {nested['outer']}, {nested['inner']}"
