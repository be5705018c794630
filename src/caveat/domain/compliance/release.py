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

A relabel is direct only when it tightens (:func:`tightens`): the new label dominates the
old one and the export classification keeps every control entry and the dual-use flag.
Anything else loosens, and loosening is a release: the release request then carries the
exact label asked for, and :func:`release_recipients` names the nations it adds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from enum import StrEnum

from caveat.domain.errors import Conflict
from caveat.domain.export_control import ExportClassification
from caveat.domain.groups import GroupDirectory
from caveat.domain.labels import (
    DISSEM,
    NOFORN,
    REL_TO,
    Category,
    CategoryType,
    Label,
    SchemeRegistry,
    dominates,
)
from caveat.domain.labels.releasability import LEADING_NATION


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
    # Judged before the leading nation joins the list (as the release request is): a
    # release naming only the originating nation releases nothing, whatever the scheme.
    if not (base | add) - {originator_nation}:
        raise Conflict(
            "a release only to the originating nation releases nothing",
            code="already_releasable",
        )
    if one.policy == LEADING_NATION:  # CAPCO: a US REL TO list always names USA
        base |= {LEADING_NATION}
    categories.append(Category(REL_TO, CategoryType.PERMISSIVE, base | add))
    return one.with_categories(categories)


def released_label(label: Label, originator_nation: str, recipients: Iterable[str]) -> Label:
    """``label`` after releasing it to the ``recipients`` (nation codes)."""
    add = frozenset(recipients)
    top = _released(label.without_alternatives(), originator_nation, add)
    alternatives = tuple(_released(a, originator_nation, add) for a in label.alternatives)
    return replace(top, alternatives=alternatives)


class RelabelPath(StrEnum):
    """What became of a relabel: applied at once, asked of the originator, or a release."""

    APPLIED = "applied"  # the originating organisation tightened it
    REQUESTED = "requested"  # a relabel request waits for the originator's security officer
    RELEASE_REQUESTED = "release_requested"  # it loosens: the release workflow decides


def export_tightens(new: ExportClassification, old: ExportClassification) -> bool:
    """Every control entry of ``old`` stays and a dual-use item stays dual-use."""
    return set(old.entries) <= set(new.entries) and (new.dual_use or not old.dual_use)


def tightens(
    old: Label,
    old_export: ExportClassification,
    new: Label,
    new_export: ExportClassification,
    *,
    groups: GroupDirectory,
    on: date,
    schemes: SchemeRegistry | None = None,
) -> bool:
    """Whether the change from (``old``, ``old_export``) protects at least as much: the new
    label dominates the old (level, caveats, dissemination controls, releasability) and the
    export classification is the same or stricter. Everything else loosens."""
    return export_tightens(new_export, old_export) and dominates(
        new, old, groups=groups, on=on, schemes=schemes
    )


def release_recipients(old: Label, new: Label, originator_nation: str) -> tuple[str, ...]:
    """The nations (and groups) a new label's REL TO adds to who could receive ``old``;
    empty when the new label names no list (a lower level, or releasable to anyone)."""
    after = new.releasable_to
    if after is None:
        return ()
    before = old.releasable_to
    if before is None or NOFORN in old.values(DISSEM):
        before = frozenset({originator_nation})
    return tuple(sorted(after - before))
