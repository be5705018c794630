"""Traffic Light Protocol 2.0 (FIRST, 2022) as an INFORMATIVE label category.

TLP says how far a recipient may share; it grants or denies no access, so Caveat
carries it as informative data. Labels are written in capitals as ``TLP:<COLOUR>``.
"""

from __future__ import annotations

from caveat.domain.labels.errors import MarkingError
from caveat.domain.labels.model import TLP, Category, CategoryType

# Least to most restrictive; roll-up takes the most restrictive.
TLP_LEVELS: tuple[str, ...] = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
_PREFIX = "TLP:"


def parse_tlp(text: str) -> Category:
    """Parse ``TLP:AMBER+STRICT`` and the like into the informative TLP category."""
    for at, char in enumerate(text):
        if char != char.upper():
            raise MarkingError(
                "TLP labels are written in capitals", text=text, position=at, hint=text.upper()
            )
    if not text.startswith(_PREFIX):
        raise MarkingError(
            "a TLP label starts with TLP:", text=text, position=0, hint="for example TLP:GREEN"
        )
    colour = text[len(_PREFIX) :]
    if colour == "WHITE":
        raise MarkingError(
            "TLP:WHITE is TLP 1.0",
            text=text,
            position=len(_PREFIX),
            hint="TLP 2.0 calls it TLP:CLEAR",
        )
    if colour not in TLP_LEVELS:
        raise MarkingError(
            f"unknown TLP colour {colour!r}",
            text=text,
            position=len(_PREFIX),
            hint="one of " + ", ".join(_PREFIX + c for c in TLP_LEVELS),
        )
    return Category(TLP, CategoryType.INFORMATIVE, frozenset({colour}))


def render_tlp(category: Category) -> str:
    """The ``TLP:<COLOUR>`` text of a TLP category."""
    return _PREFIX + tlp_colour(category)


def tlp_colour(category: Category) -> str:
    """The single colour of a TLP category; anything else is an error."""
    if category.tag != TLP or len(category.values) != 1:
        raise MarkingError("not a TLP category with one colour", text=category.tag, position=0)
    (colour,) = category.values
    if colour not in TLP_LEVELS:
        raise MarkingError(f"unknown TLP colour {colour!r}", text=colour, position=0)
    return colour


def tlp_rank(colour: str) -> int:
    """Position of ``colour`` from CLEAR (0) to RED (4)."""
    return TLP_LEVELS.index(colour)
