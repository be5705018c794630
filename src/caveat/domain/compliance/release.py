"""The label a release produces: a foreign disclosure decision written into the label.

Three starting points, one rule: after the release the REL TO list names every nation
that could read before and every recipient.

- ``REL TO USA, GBR`` + FRA becomes ``REL TO USA, FRA, GBR``.
- Classified and never released (no REL TO, no NOFORN: originator's nationals only)
  becomes ``REL TO <originator>, <recipients>``.
- ``NOFORN`` is lifted: NOFORN leaves the dissemination controls and ``REL TO
  <originator>, <recipients>`` takes its place. Only the originating organisation's
  security officer can approve that (the release workflow checks who decides).

Other controls (ORCON, caveats, SCI) stay as they are; the same change applies to the
label's alternative national forms.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from enum import StrEnum

from caveat.domain.labels import DISSEM, NOFORN, REL_TO, Category, CategoryType, Label


class Lifted(StrEnum):
    """What a release lifts besides widening a list."""

    NOTHING = "nothing"
    NOFORN = "NOFORN"
    ORIGINATOR_ONLY = "originator-only"


def lifted_by_release(label: Label) -> Lifted:
    """Whether releasing ``label`` lifts NOFORN or ends originator-only handling."""
    if NOFORN in label.values(DISSEM):
        return Lifted.NOFORN
    if label.releasable_to is None:
        return Lifted.ORIGINATOR_ONLY
    return Lifted.NOTHING


def _released(one: Label, originator_nation: str, add: frozenset[str]) -> Label:
    categories: list[Category] = []
    before = one.releasable_to
    for c in one.categories:
        if c.tag == REL_TO:
            continue
        if c.tag == DISSEM and NOFORN in c.values:
            rest = c.values - {NOFORN}
            if rest:
                categories.append(Category(c.tag, c.type, rest))
            continue
        categories.append(c)
    base = before if before is not None else frozenset({originator_nation})
    categories.append(Category(REL_TO, CategoryType.PERMISSIVE, base | add))
    return one.with_categories(categories)


def released_label(label: Label, originator_nation: str, recipients: Iterable[str]) -> Label:
    """``label`` after releasing it to the ``recipients`` (nation codes)."""
    add = frozenset(recipients)
    top = _released(label.without_alternatives(), originator_nation, add)
    alternatives = tuple(_released(a, originator_nation, add) for a in label.alternatives)
    return replace(top, alternatives=alternatives)
