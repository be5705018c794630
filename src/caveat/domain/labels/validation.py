"""The one label validator: every rule a label must keep, however it came in.

The banner and portion parser calls :func:`find_violation` on the label it has read
and :func:`label_from_canonical_json` calls :func:`validate_label`, so a label given
as canonical JSON is refused exactly when its banner would be, with the same error
code (``invalid_marking``) and the same ``rule``. Only the parser's own syntax
(spelling, order, spacing, repeats) stays in the parser: it has no counterpart in a
label object.

Rules (CAPCO register 2016, as summarised in DOMAIN.md):

- ``category_type``: the CAPCO categories carry their STANAG 4774 type (REL TO is
  PERMISSIVE; DISSEM, SCI and SAP are RESTRICTIVE; TLP is INFORMATIVE).
- ``unknown_value``: every dissemination control, SCI control system, SAP value, REL
  TO code and TLP colour is one Caveat knows; anything else is an error, never ignored.
- ``noforn_with_release``: NOFORN forbids any foreign release, so it cannot stand
  with REL TO or RELIDO.
- ``fouo_classified``: FOUO marks unclassified information only.
- ``rel_to_owner_alone``: ``REL TO <the scheme's nation>`` alone releases nothing.
- ``rel_to_without_usa``: a US REL TO list includes USA.

Alternatives (the same label under other schemes, computed by ``equivalence``) keep
the originator's categories unchanged, so the two rules about the scheme's own nation
apply to the originator's label only; every other rule applies to each alternative.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from caveat.domain.errors import InvalidInput
from caveat.domain.groups import GroupDirectory, validate_group_code
from caveat.domain.labels import capco
from caveat.domain.labels.errors import LabelRuleError
from caveat.domain.labels.model import (
    DISSEM,
    FOUO,
    NOFORN,
    REL_TO,
    RELIDO,
    SAP,
    SCI,
    TLP,
    CategoryType,
    Label,
)
from caveat.domain.labels.releasability import LEADING_NATION, ordered
from caveat.domain.labels.schemes import Scheme, SchemeRegistry, builtin_schemes
from caveat.domain.labels.tlp import TLP_LEVELS
from caveat.domain.nations import is_nation

CATEGORY_TYPE = "category_type"
UNKNOWN_VALUE = "unknown_value"
NOFORN_WITH_RELEASE = "noforn_with_release"
FOUO_CLASSIFIED = "fouo_classified"
REL_TO_OWNER_ALONE = "rel_to_owner_alone"
REL_TO_WITHOUT_USA = "rel_to_without_usa"

# What is at fault: (category tag, value), or (tag, None) for the category as a whole.
Spot = tuple[str, str | None]
# The REL TO control in the dissemination block (the REL TO category as a whole).
REL_TO_CONTROL: Spot = (DISSEM, capco.BY_NAME["REL TO"].name)

_TYPES = {
    REL_TO: CategoryType.PERMISSIVE,
    DISSEM: CategoryType.RESTRICTIVE,
    SCI: CategoryType.RESTRICTIVE,
    SAP: CategoryType.RESTRICTIVE,
    TLP: CategoryType.INFORMATIVE,
}


@dataclass(frozen=True, slots=True)
class Violation:
    """A broken rule: what, how to fix it, and where (``spots``, the first is the one
    a JSON path points at; a marking points at the one written last)."""

    rule: str
    detail: str
    hint: str
    spots: tuple[Spot, ...]
    alternative: int | None = None  # index into ``label.alternatives``


def known_code(code: str, groups: GroupDirectory | None) -> bool:
    """Whether ``code`` may stand in a REL TO list: a nation, or a group ``groups`` knows.

    Without a directory (reading a stored label, where the node's custom groups are not
    at hand) a code that could name a group (``validate_group_code``) is let through;
    the policy matches REL TO codes as written, so an unknown group grants nothing.
    """
    if is_nation(code):
        return True
    if groups is not None:
        return groups.is_group(code)
    try:
        validate_group_code(code)
    except InvalidInput:
        return False
    return True


def _unknown(label: Label, groups: GroupDirectory | None) -> Iterator[Violation]:
    for value in sorted(label.values(SCI)):
        if not capco.SCI_VALUE.match(value):
            yield Violation(
                UNKNOWN_VALUE,
                f"{value!r} is not a valid SCI value",
                "write for example SI/TK or SI-G ABCD; SCI systems are "
                + ", ".join(capco.SCI_SYSTEMS),
                ((SCI, value),),
            )
    for value in sorted(label.values(SAP)):
        if not capco.SAP_VALUE.match(value):
            yield Violation(
                UNKNOWN_VALUE,
                f"{value!r} is not a valid SAP value",
                "write for example SAR-BP",
                ((SAP, value),),
            )
    for name in sorted(label.values(DISSEM)):
        if name not in capco.BY_NAME or name == REL_TO:  # REL TO is its own category
            yield Violation(
                UNKNOWN_VALUE,
                f"unknown dissemination control {name!r}",
                "known controls: "
                + ", ".join(c.name for c in capco.DISSEM_CONTROLS if c.name != REL_TO)
                + " (REL TO is its own category)",
                ((DISSEM, name),),
            )
    for code in ordered(label.releasable_to or ()):
        if not known_code(code, groups):
            yield Violation(
                UNKNOWN_VALUE,
                f"{code!r} is neither a country code nor a known group",
                "use ISO 3166-1 alpha-3 codes (GBR) or a configured group (FVEY)",
                ((REL_TO, code),),
            )
    colours = label.values(TLP)
    if colours and (len(colours) != 1 or not colours <= set(TLP_LEVELS)):
        yield Violation(
            UNKNOWN_VALUE,
            "a TLP category holds one TLP 2.0 colour",
            "one of " + ", ".join(TLP_LEVELS),
            ((TLP, None),),
        )


def _combinations(label: Label, scheme: Scheme, *, own: bool) -> Iterator[Violation]:
    dissem = label.values(DISSEM)
    rel_to = label.releasable_to
    if NOFORN in dissem:
        releases = [REL_TO_CONTROL] if rel_to is not None else []
        releases += [(DISSEM, RELIDO)] if RELIDO in dissem else []
        for spot in releases:
            yield Violation(
                NOFORN_WITH_RELEASE,
                f"NOFORN cannot be combined with {spot[1]}",
                "keep one of them",
                ((DISSEM, NOFORN), spot),
            )
    if FOUO in dissem and scheme.level(label.classification).common != 0:
        yield Violation(
            FOUO_CLASSIFIED,
            "FOUO marks unclassified information only",
            "drop FOUO",
            ((DISSEM, FOUO),),
        )
    if rel_to is None or not own:
        return
    if scheme.nation is not None and rel_to == {scheme.nation}:
        yield Violation(
            REL_TO_OWNER_ALONE,
            f"REL TO {scheme.nation} alone is not a release",
            "use NOFORN, or add the nations it may be released to",
            ((REL_TO, None),),
        )
    if scheme.code == LEADING_NATION and LEADING_NATION not in rel_to:
        yield Violation(
            REL_TO_WITHOUT_USA,
            "a US REL TO list must include USA",
            "start the list with USA",
            ((REL_TO, None),),
        )


def _one(
    label: Label, registry: SchemeRegistry, groups: GroupDirectory | None, *, own: bool
) -> Iterator[Violation]:
    scheme = registry.get(label.policy)
    scheme.level(label.classification)  # an unknown level fails closed here
    for category in label.categories:
        expected = _TYPES.get(category.tag)
        if expected is not None and category.type is not expected:
            yield Violation(
                CATEGORY_TYPE,
                f"category {category.tag} must be {expected.value}",
                f"give {category.tag} the type {expected.value}",
                ((category.tag, None),),
            )
    yield from _unknown(label, groups)
    yield from _combinations(label, scheme, own=own)


def violations(
    label: Label,
    *,
    schemes: SchemeRegistry | None = None,
    groups: GroupDirectory | None = None,
) -> Iterator[Violation]:
    """Every rule ``label`` and its alternatives break, in a fixed order: category
    types, unknown values, then combinations. ``groups`` checks REL TO group codes
    (see :func:`known_code`)."""
    registry = schemes or builtin_schemes()
    yield from _one(label, registry, groups, own=True)
    for index, alternative in enumerate(label.alternatives):
        for found in _one(alternative, registry, groups, own=False):
            yield Violation(found.rule, found.detail, found.hint, found.spots, index)


def find_violation(
    label: Label,
    *,
    schemes: SchemeRegistry | None = None,
    groups: GroupDirectory | None = None,
) -> Violation | None:
    """The first rule ``label`` breaks, or None."""
    return next(violations(label, schemes=schemes, groups=groups), None)


def json_path(label: Label, violation: Violation) -> str:
    """A JSON pointer into ``label``'s canonical JSON at the violation's first spot."""
    prefix = ""
    target = label
    if violation.alternative is not None:
        prefix = f"/alternatives/{violation.alternative}"
        target = label.alternatives[violation.alternative]
    tag, value = violation.spots[0]
    if (tag, value) == REL_TO_CONTROL:
        tag, value = REL_TO, None
    for index, category in enumerate(target.categories):
        if category.tag == tag:
            where = f"{prefix}/categories/{index}"
            if value is None:
                return where
            return f"{where}/values/{sorted(category.values).index(value)}"
    return prefix  # the label (or alternative) as a whole; "" is the whole document (RFC 6901)


def validate_label(
    label: Label,
    *,
    schemes: SchemeRegistry | None = None,
    groups: GroupDirectory | None = None,
) -> Label:
    """``label`` itself when it keeps every rule; else LabelRuleError with the rule and
    the JSON path of the fault (the error code is MarkingError's)."""
    found = find_violation(label, schemes=schemes, groups=groups)
    if found is not None:
        raise LabelRuleError(
            found.detail, rule=found.rule, path=json_path(label, found), hint=found.hint
        )
    return label
