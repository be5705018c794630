"""Denied-party screening: list formats, name normalisation and fuzzy matching.

A fuzzy hit is never decided by the machine: it blocks its subject until a security
officer resolves it as a false positive or a true match (DOMAIN.md, screening).
"""

from caveat.domain.screening.formats import (
    ScreeningFormatError,
    parse_csl,
    parse_generic,
    parse_ofac_sdn,
)
from caveat.domain.screening.matcher import Match, Matcher, TokenMatch, score
from caveat.domain.screening.model import ListedParty, PartyKind
from caveat.domain.screening.normalise import NameForm, analyse, normalise_name

__all__ = [
    "ListedParty",
    "Match",
    "Matcher",
    "NameForm",
    "PartyKind",
    "ScreeningFormatError",
    "TokenMatch",
    "analyse",
    "normalise_name",
    "parse_csl",
    "parse_generic",
    "parse_ofac_sdn",
    "score",
]
