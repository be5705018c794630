"""The marking of an aggregate (a page, an export) as one reader reads it.

Composes what the package already has, with no rule of its own: the roll-up of every
label shown (``algebra.roll_up``: highest level, united caveats, NOFORN, REL TO
intersection), each originating scheme's labels under that scheme's own rules, their
equivalents (``equivalence.equivalent``) joined under the reader's scheme, written as a
banner (``banner.render_banner``) with the reader's own word for the level (SECRET,
GEHEIM, NON PROTÉGÉ, not GBR SECRET).

Two things a banner must not do, and how this module avoids them:

- under-state: a label that cannot be read or rolled up (``None`` in the input, a
  category CAPCO cannot write, a step the reader's scheme denies) makes the marking
  *incomplete*: the highest level the reader may see (their ``ceiling``), said in
  words, never a guess from the labels that did read;
- hide a difference behind colour: where the reader's scheme has no level for the
  content's step and protects it as a higher one (UK and French SECRET for CONFIDENTIAL
  information), the originators' own level words follow in ``note``, so US CONFIDENTIAL
  and US SECRET read differently to a British reader.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from caveat.domain.errors import CaveatError
from caveat.domain.groups import GroupDirectory
from caveat.domain.labels.algebra import roll_up
from caveat.domain.labels.banner import render_banner
from caveat.domain.labels.equivalence import equivalent
from caveat.domain.labels.model import Label
from caveat.domain.labels.schemes import COMMON_SCALE, Level, Scheme, SchemeRegistry
from caveat.domain.labels.schemes import builtin_schemes as _builtin

FALLBACK_SCHEME = "NATO"  # has a level for every common step
TOP_COMMON = len(COMMON_SCALE) - 1
INCOMPLETE = "marking incomplete: handle as the highest level you may see"


@dataclass(frozen=True, slots=True)
class Marking:
    """One marking line: the text, the common step it states, and what qualifies it."""

    text: str  # e.g. "SECRET//NOFORN" or "SECRET//REL TO USA, GBR"
    common: int  # the common step of the level the text states (its colour)
    note: str = ""  # originators' levels behind a stand-in level, or why it is incomplete
    complete: bool = True  # False: a label could not be rolled up; ``text`` is the ceiling

    @property
    def line(self) -> str:
        """The text and its note on one line, as files carry it."""
        return f"{self.text} ({self.note})" if self.note else self.text


def _own_words(level: Level) -> str:
    return level.name.upper()


def national_text(label: Label, *, schemes: SchemeRegistry | None = None) -> str:
    """``label``'s banner with its scheme's own word for the level (GEHEIM, not DEU
    GEHEIM); raises InvalidInput where CAPCO text cannot carry a category."""
    registry = schemes or _builtin()
    scheme = registry.get(label.policy)
    level = scheme.level(label.classification)
    written = render_banner(label, schemes=registry)
    prefix = ("//" if scheme.capco_foreign else "") + level.banner
    if not written.startswith(prefix):  # render_banner writes the level first
        return written
    return _own_words(level) + written[len(prefix) :]


def originator_level(label: Label, *, schemes: SchemeRegistry | None = None) -> str:
    """The originator's level as a foreign reader needs it: ``USA CONFIDENTIAL``,
    ``NATO SECRET``, ``DEU GEHEIM`` (the scheme is always named)."""
    registry = schemes or _builtin()
    scheme = registry.get(label.policy)
    banner = scheme.level(label.classification).banner
    return banner if scheme.capco_foreign else f"{scheme.code} {banner}"


def _ceiling(scheme: Scheme, registry: SchemeRegistry, common: int) -> Marking:
    try:
        level = scheme.level_for_common(common)
    except CaveatError:
        scheme = registry.get(FALLBACK_SCHEME)
        level = scheme.level_for_common(common)
    return Marking(_own_words(level), level.common, INCOMPLETE, complete=False)


def _roll_up(
    labels: list[Label], scheme: str, groups: GroupDirectory, on: date, registry: SchemeRegistry
) -> Label:
    """Each originating scheme's labels rolled up under that scheme's own rules (a US
    aggregate follows IC-ISM), then their equivalents joined under the reader's."""
    by_scheme: dict[str, list[Label]] = {}
    for label in labels:
        by_scheme.setdefault(label.policy, []).append(label)
    parts = [
        equivalent(
            roll_up(group, groups=groups, on=on, schemes=registry, policy=code),
            scheme,
            schemes=registry,
        )
        for code, group in sorted(by_scheme.items())
    ]
    if len(parts) == 1:
        return parts[0]
    return roll_up(parts, groups=groups, on=on, schemes=registry, policy=scheme)


def aggregate_marking(
    labels: Iterable[Label | None],
    *,
    scheme: str,
    groups: GroupDirectory,
    on: date,
    schemes: SchemeRegistry | None = None,
    ceiling: int = TOP_COMMON,
) -> Marking:
    """The marking of content carrying ``labels`` (``None``: shown, but its label could
    not be read) for a reader of ``scheme`` who may see up to common step ``ceiling``.

    Nothing shown: the scheme's lowest level. Fails closed, never raises for a label.
    """
    registry = schemes or _builtin()
    target = registry.get(scheme)
    shown = list(labels)
    readable = [label for label in shown if label is not None]
    try:
        commons = [registry.common(label.policy, label.classification) for label in readable]
    except CaveatError:
        return _ceiling(target, registry, TOP_COMMON)
    highest = max(commons, default=0)
    if len(readable) != len(shown):
        return _ceiling(target, registry, max(ceiling, highest))
    try:
        if not readable:
            floor = target.level_for_common(0)
            return Marking(_own_words(floor), floor.common)
        rolled = _roll_up(readable, scheme, groups, on, registry)
        text = national_text(rolled, schemes=registry)
        stated = target.level(rolled.classification).common
    except CaveatError:
        return _ceiling(target, registry, max(ceiling, highest))
    note = ""
    if stated != highest:
        # The reader's level stands in for a step their scheme lacks: name what it holds.
        behind = sorted(
            {
                originator_level(label, schemes=registry)
                for label, common in zip(readable, commons, strict=True)
                if common == highest
            }
        )
        note = "as marked: " + ", ".join(behind)
    return Marking(text, stated, note)
