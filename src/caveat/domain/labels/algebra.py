"""Label algebra: dominance and the roll-up (join) of several labels into one.

Roll-up rules (CAPCO register 2016, as summarised in docs DOMAIN.md):
the classification is the highest on the common scale; restrictive values are
united (any NOFORN portion makes the whole NOFORN); REL TO lists combine to the
intersection of the nations they name on the given day, and an intersection with
no foreign nation means NOFORN; REL TO combined with a portion that has no REL TO
(unmarked, or RELIDO only) gives NOFORN; RELIDO survives only if every portion has
it. In a US aggregate an unclassified portion without caveats takes no part in
release (ODNI IC-ISM rules ISM-ID-00088 and ISM-ID-00132, see ``_Kind.NEUTRAL``).
Informative TLP takes the most restrictive colour.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from functools import reduce
from typing import TypeVar

from caveat.domain.errors import InvalidInput
from caveat.domain.groups import GroupDirectory
from caveat.domain.labels.errors import InvalidLabel
from caveat.domain.labels.model import (
    DISSEM,
    FOUO,
    NOFORN,
    REL_TO,
    RELIDO,
    TLP,
    Category,
    CategoryType,
    Label,
    Originator,
)
from caveat.domain.labels.releasability import LEADING_NATION, collapse
from caveat.domain.labels.schemes import SchemeRegistry, builtin_schemes
from caveat.domain.labels.tlp import TLP_LEVELS, tlp_colour, tlp_rank

_T = TypeVar("_T")


class _Kind(Enum):
    # ODNI IC-ISM, ISM-ID-00088: "If ISM_USGOV_RESOURCE and @ism:releasableTo is
    # specified on the resource element then all classified portions must specify
    # @ism:releasableTo and all Unclass portions must be REL or contain no caveats"
    # (its test: every portion is U without disseminationControls, or has
    # releasableTo). So in a US aggregate an unclassified portion with no caveats leaves
    # the REL TO of the others alone; ISM-ID-00132 likewise asks RELIDO of classified
    # portions and of U portions with explicit release only. NEUTRAL is therefore the
    # identity of the release join: REL TO, RELIDO and NOFORN of the rest stand as
    # they are. Unclassified portions with any control (FOUO, ORCON, ...) stay UNMARKED.
    NEUTRAL = "neutral"  # US aggregate: unclassified, no caveats (no restrictive value)
    UNMARKED = "unmarked"  # no REL TO and no NOFORN: not released to anyone yet
    REL = "rel"
    NOFORN = "noforn"


@dataclass(frozen=True, slots=True)
class _Release:
    kind: _Kind
    codes: frozenset[str] = frozenset()  # as written
    nations: frozenset[str] = frozenset()  # expanded on the day
    relido: bool = False


@dataclass(frozen=True, slots=True)
class _Setting:
    groups: GroupDirectory
    on: date
    schemes: SchemeRegistry
    owner: str | None
    ism: bool  # the aggregate is a US one: the IC-ISM roll-up rules apply


def _release(label: Label, setting: _Setting) -> _Release:
    if (
        setting.ism
        and label.releasable_to is None
        and not label.restrictive
        and setting.schemes.common(label.policy, label.classification) == 0
    ):
        return _Release(_Kind.NEUTRAL)
    dissem = label.values(DISSEM)
    if NOFORN in dissem:
        return _Release(_Kind.NOFORN)
    relido = RELIDO in dissem
    codes = label.releasable_to
    if codes is None:
        return _Release(_Kind.UNMARKED, relido=relido)
    nations = setting.groups.expand(codes, setting.on)
    return _Release(_Kind.REL, codes, nations, relido)


def _join_release(x: _Release, y: _Release, setting: _Setting) -> _Release:
    if x.kind is _Kind.NEUTRAL:
        return y
    if y.kind is _Kind.NEUTRAL:
        return x
    if _Kind.NOFORN in (x.kind, y.kind) or x.kind is not y.kind:
        return _Release(_Kind.NOFORN)
    relido = x.relido and y.relido
    if x.kind is _Kind.UNMARKED:
        return _Release(_Kind.UNMARKED, relido=relido)
    if x.codes == y.codes:  # keeps an already-written list exactly as written
        return _Release(_Kind.REL, x.codes, x.nations, relido)
    nations = x.nations & y.nations
    if not nations - {setting.owner}:
        return _Release(_Kind.NOFORN)
    codes = collapse(nations, setting.groups, setting.on, keep={LEADING_NATION})
    return _Release(_Kind.REL, codes, nations, relido)


def _release_dominates(a: _Release, b: _Release) -> bool:
    if a.kind is _Kind.NOFORN or b.kind is _Kind.NEUTRAL:
        return True
    if a.kind is _Kind.NEUTRAL:
        return False
    if a.kind is not b.kind or (a.relido and not b.relido):
        return False
    return a.kind is _Kind.UNMARKED or a.nations <= b.nations


def _restrictive(label: Label, common: int) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    # RELIDO widens release, so it rolls up through _Release, not by union; FOUO
    # marks unclassified information only and is absorbed by any classified level.
    dropped = {RELIDO} if common == 0 else {RELIDO, FOUO}
    for c in label.categories:
        if c.type is CategoryType.RESTRICTIVE:
            values = c.values - dropped if c.tag == DISSEM else c.values
            if values:
                out[c.tag] = values
    return out


def _other_permissive(label: Label) -> dict[str, frozenset[str]]:
    return {
        c.tag: c.values
        for c in label.categories
        if c.type is CategoryType.PERMISSIVE and c.tag != REL_TO
    }


def _informative(label: Label) -> dict[str, frozenset[str]]:
    return {c.tag: c.values for c in label.categories if c.type is CategoryType.INFORMATIVE}


def _colour(values: frozenset[str]) -> str:
    return tlp_colour(Category(TLP, CategoryType.INFORMATIVE, values))


def _same_or_none(x: _T | None, y: _T | None) -> _T | None:
    return x if x == y else None


def _setting(
    groups: GroupDirectory, on: date, schemes: SchemeRegistry | None, policy: str
) -> _Setting:
    registry = schemes or builtin_schemes()
    scheme = registry.get(policy)
    return _Setting(groups, on, registry, scheme.nation, scheme.code == LEADING_NATION)


def _join_two(a: Label, b: Label, setting: _Setting, policy: str) -> Label:
    registry = setting.schemes
    common_in = max(
        registry.common(a.policy, a.classification), registry.common(b.policy, b.classification)
    )
    level = registry.get(policy).level_for_common(common_in)
    common = level.common
    release = _join_release(_release(a, setting), _release(b, setting), setting)

    restrictive = _restrictive(a, common)
    for tag, values in _restrictive(b, common).items():
        restrictive[tag] = restrictive.get(tag, frozenset()) | values
    dissem = set(restrictive.get(DISSEM, frozenset()))
    if release.kind is _Kind.NOFORN:
        dissem.add(NOFORN)
    if release.relido:
        dissem.add(RELIDO)
    if dissem:
        restrictive[DISSEM] = frozenset(dissem)
    categories = [Category(t, CategoryType.RESTRICTIVE, v) for t, v in restrictive.items()]
    if release.kind is _Kind.REL:
        categories.append(Category(REL_TO, CategoryType.PERMISSIVE, release.codes))

    permissive = _other_permissive(a)
    for tag, values in _other_permissive(b).items():
        merged = permissive[tag] & values if tag in permissive else values
        if not merged:
            raise InvalidLabel(
                f"no holder can satisfy permissive category {tag} of both labels",
                hint="these items cannot be combined into one aggregate",
            )
        permissive[tag] = merged
    categories += [Category(t, CategoryType.PERMISSIVE, v) for t, v in permissive.items()]

    informative = _informative(a)
    for tag, values in _informative(b).items():
        if tag == TLP and tag in informative:
            ranks = (tlp_rank(_colour(v)) for v in (informative[tag], values))
            values = frozenset({TLP_LEVELS[max(ranks)]})
        else:
            values = informative.get(tag, frozenset()) | values
        informative[tag] = values
    categories += [Category(t, CategoryType.INFORMATIVE, v) for t, v in informative.items()]

    originator: Originator | None = _same_or_none(a.originator, b.originator)
    created: datetime | None = _same_or_none(a.created_at, b.created_at)
    return Label(
        policy=policy,
        classification=level.ordinal,
        categories=tuple(categories),
        privacy_mark=_same_or_none(a.privacy_mark, b.privacy_mark),
        originator=originator,
        created_at=created,
    )


def roll_up(
    labels: Iterable[Label],
    *,
    groups: GroupDirectory,
    on: date,
    schemes: SchemeRegistry | None = None,
    policy: str | None = None,
) -> Label:
    """The label of an aggregate of ``labels`` under ``policy`` (default: their shared scheme).

    Group codes are expanded with memberships on ``on``. Alternatives are dropped:
    compute them afresh for the aggregate.
    """
    items = list(labels)
    if not items:
        raise InvalidInput(
            "nothing to roll up", code="invalid_label", hint="pass at least one label"
        )
    if policy is None:
        policies = {label.policy for label in items}
        if len(policies) != 1:
            raise InvalidInput(
                "labels under different schemes need a target scheme",
                code="invalid_label",
                hint="pass policy= the scheme of the aggregate",
            )
        policy = policies.pop()
    setting = _setting(groups, on, schemes, policy)
    first = _join_two(items[0], items[0], setting, policy)
    return reduce(lambda acc, item: _join_two(acc, item, setting, policy), items[1:], first)


def join(
    a: Label,
    b: Label,
    *,
    groups: GroupDirectory,
    on: date,
    schemes: SchemeRegistry | None = None,
    policy: str | None = None,
) -> Label:
    """The least restrictive label that covers both ``a`` and ``b`` (roll-up of two)."""
    return roll_up([a, b], groups=groups, on=on, schemes=schemes, policy=policy)


def dominates(
    a: Label,
    b: Label,
    *,
    groups: GroupDirectory,
    on: date,
    schemes: SchemeRegistry | None = None,
) -> bool:
    """True when ``a`` is at least as protective as ``b`` in every respect.

    Higher or equal common level, every restrictive value of ``b``, a release no
    wider than ``b``'s, permissive lists no wider, and a TLP no less restrictive.
    """
    setting = _setting(groups, on, schemes, a.policy)
    registry = setting.schemes
    common_a = registry.common(a.policy, a.classification)
    if common_a < registry.common(b.policy, b.classification):
        return False
    mine, theirs = _restrictive(a, common_a), _restrictive(b, common_a)
    if any(not values <= mine.get(tag, frozenset()) for tag, values in theirs.items()):
        return False
    if not _release_dominates(_release(a, setting), _release(b, setting)):
        return False
    mine_p, theirs_p = _other_permissive(a), _other_permissive(b)
    if any(tag not in mine_p or not mine_p[tag] <= values for tag, values in theirs_p.items()):
        return False
    info_a, info_b = _informative(a), _informative(b)
    for tag, values in info_b.items():
        if tag == TLP:
            if tag not in info_a:
                return False
            if tlp_rank(_colour(info_a[tag])) < tlp_rank(_colour(values)):
                return False
        elif not values <= info_a.get(tag, frozenset()):
            return False
    return True
