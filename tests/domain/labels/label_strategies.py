"""Hypothesis strategies and shared constants for label tests.

``labels`` draws labels that keep every rule; ``broken_labels`` labels that break
exactly one, named; ``any_labels`` labels that may break any number of them; and
``raw_marking`` writes any label's marking without checking it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from hypothesis import strategies as st

from caveat.domain.groups import builtin_directory
from caveat.domain.labels import (
    DISSEM,
    NOFORN,
    REL_TO,
    RELIDO,
    SAP,
    SCI,
    TLP,
    TLP_LEVELS,
    Category,
    CategoryType,
    Label,
    Originator,
    builtin_schemes,
    capco,
)
from caveat.domain.labels.releasability import ordered

GROUPS = builtin_directory()
ON = date(2024, 6, 1)
SCHEMES = builtin_schemes()

FOREIGN = ["AUS", "CAN", "DEU", "FRA", "GBR", "NOR", "NZL", "FVEY", "NATO", "TEYE", "EU"]
SCI_POOL = ["HCS", "SI", "SI-G", "SI-G ABCD", "TK", "TK-XYZ"]
SAP_POOL = ["SAR-BP", "SAR-XY", "SAR-RED DAWN"]
OTHER_DISSEM = ["ORCON", "IMCON", "PROPIN"]
ALL_DISSEM = [c.name for c in capco.DISSEM_CONTROLS if c.name != REL_TO]
# Values no rule lets through: an unknown SCI system, a SAP value without a nickname,
# an unknown control and a code that is neither a country nor a built-in group.
BAD_SCI = ["ZZ", "ZZ-ABC"]
BAD_SAP = ["SAR-"]
BAD_DISSEM = ["BOGUS"]
BAD_CODES = ["XYZ"]


@st.composite
def labels(
    draw: st.DrawFn,
    policies: list[str] | None = None,
    *,
    informative: bool = False,
    provenance: bool = False,
) -> Label:
    """A label that satisfies every CAPCO combination rule Caveat enforces."""
    policy = draw(st.sampled_from(policies or [s.code for s in SCHEMES.all()]))
    scheme = SCHEMES.get(policy)
    ordinal = draw(st.integers(0, len(scheme.levels) - 1))
    categories: list[Category] = []
    sci = draw(st.sets(st.sampled_from(SCI_POOL), max_size=3))
    if sci:
        categories.append(Category(SCI, CategoryType.RESTRICTIVE, frozenset(sci)))
    sap = draw(st.sets(st.sampled_from(SAP_POOL), max_size=2))
    if sap:
        categories.append(Category(SAP, CategoryType.RESTRICTIVE, frozenset(sap)))
    dissem = set(draw(st.sets(st.sampled_from(OTHER_DISSEM), max_size=3)))
    if scheme.level(ordinal).common == 0 and draw(st.booleans()):
        dissem.add("FOUO")
    release = draw(st.sampled_from(["none", "noforn", "rel"]))
    if release == "noforn":
        dissem.add("NOFORN")
    else:
        if draw(st.booleans()):
            dissem.add("RELIDO")
        if release == "rel":
            others = draw(st.sets(st.sampled_from(FOREIGN), min_size=1, max_size=4))
            codes = {"USA", *others} if policy == "USA" or draw(st.booleans()) else others
            if codes == {scheme.nation}:  # "REL TO <owner>" alone is not a release
                codes = {*codes, "USA"}
            categories.append(Category(REL_TO, CategoryType.PERMISSIVE, frozenset(codes)))
    if dissem:
        categories.append(Category(DISSEM, CategoryType.RESTRICTIVE, frozenset(dissem)))
    if informative and draw(st.booleans()):
        colour = draw(st.sampled_from(TLP_LEVELS))
        categories.append(Category(TLP, CategoryType.INFORMATIVE, frozenset({colour})))
    originator = None
    created = None
    mark = None
    if provenance:
        originator = draw(
            st.none()
            | st.builds(
                Originator,
                st.sampled_from(["dstl", "afrl", "tno"]),
                st.sampled_from(["GBR", "USA", "NLD"]),
            )
        )
        created = draw(
            st.none()
            | st.datetimes(
                min_value=datetime(2000, 1, 1),
                max_value=datetime(2100, 1, 1),
                timezones=st.just(UTC),
            )
        )
        mark = draw(st.none() | st.sampled_from(["MEDICAL", "STAFF IN CONFIDENCE"]))
    return Label(policy, ordinal, tuple(categories), mark, originator, created)


@st.composite
def any_labels(draw: st.DrawFn) -> Label:
    """A label of any scheme and level whose categories may break any marking rule.

    Each value may be unknown, any control may stand with any level and any other, and
    REL TO may be any list, so every rule gets broken alone and together. An unknown
    SCI system always comes with HCS, which sorts first, so the marking still reads as
    an SCI block (a lone ``ZZ`` would read as a dissemination control: unknown either way).
    """
    policy = draw(st.sampled_from([s.code for s in SCHEMES.all()]))
    ordinal = draw(st.integers(0, len(SCHEMES.get(policy).levels) - 1))
    categories: list[Category] = []
    sci = draw(st.sets(st.sampled_from(SCI_POOL + BAD_SCI), max_size=3))
    if sci & set(BAD_SCI):
        sci.add("HCS")
    if sci:
        categories.append(Category(SCI, CategoryType.RESTRICTIVE, frozenset(sci)))
    sap = draw(st.sets(st.sampled_from(SAP_POOL + BAD_SAP), max_size=2))
    if sap:
        categories.append(Category(SAP, CategoryType.RESTRICTIVE, frozenset(sap)))
    dissem = draw(st.sets(st.sampled_from(ALL_DISSEM + BAD_DISSEM), max_size=4))
    if dissem:
        categories.append(Category(DISSEM, CategoryType.RESTRICTIVE, frozenset(dissem)))
    pool = ["USA", *FOREIGN, *BAD_CODES]
    rel_to = draw(st.none() | st.sets(st.sampled_from(pool), min_size=1, max_size=4))
    if rel_to is not None:
        categories.append(Category(REL_TO, CategoryType.PERMISSIVE, frozenset(rel_to)))
    return Label(policy, ordinal, tuple(categories))


def raw_marking(label: Label, *, portion: bool = False, titles: bool = False) -> str:
    """The marking of ``label`` written as the renderer would, without checking a rule:
    unknown controls last; ``titles`` spells controls out by their CAPCO titles."""
    scheme = SCHEMES.get(label.policy)
    level = scheme.level(label.classification)
    parts = [("//" if scheme.capco_foreign else "") + (level.portion if portion else level.banner)]
    for tag in (SCI, SAP):
        if label.values(tag):
            parts.append("/".join(sorted(label.values(tag))))
    dissem: list[tuple[int, str]] = []
    for name in label.values(DISSEM):
        control = capco.BY_NAME.get(name)
        if control is None:
            dissem.append((len(capco.DISSEM_CONTROLS), name))
        else:
            text = control.title if titles else control.portion if portion else control.name
            dissem.append((control.order, text))
    if label.releasable_to is not None:
        head = capco.REL_TO_TITLE if titles else "REL TO"
        dissem.append((capco.REL_TO_ORDER, f"{head} " + ", ".join(ordered(label.releasable_to))))
    if dissem:
        parts.append("/".join(text for _, text in sorted(dissem)))
    text = "//".join(parts)
    return f"({text})" if portion else text


OWNED = [s.code for s in SCHEMES.all() if s.nation is not None]
RULES = [
    "noforn_with_release",
    "fouo_classified",
    "rel_to_owner_alone",
    "rel_to_without_usa",
    "unknown_value",
]


def _with(value: Label, tag: str, type_: CategoryType, values: set[str] | None) -> Label:
    kept = [c for c in value.categories if c.tag != tag]
    if values:
        kept.append(Category(tag, type_, frozenset(values)))
    return replace(value, categories=tuple(kept))


@st.composite
def broken_labels(draw: st.DrawFn) -> tuple[Label, str]:
    """A label that keeps every rule but one, and that rule's name."""
    rule = draw(st.sampled_from(RULES))
    if rule == "rel_to_owner_alone":
        value = draw(labels(OWNED))
        owner = SCHEMES.get(value.policy).nation
        assert owner is not None
        value = _with(value, DISSEM, CategoryType.RESTRICTIVE, set(value.values(DISSEM)) - {NOFORN})
        return _with(value, REL_TO, CategoryType.PERMISSIVE, {owner}), rule
    if rule == "rel_to_without_usa":
        value = draw(labels(["USA"]))
        value = _with(value, DISSEM, CategoryType.RESTRICTIVE, set(value.values(DISSEM)) - {NOFORN})
        codes = draw(st.sets(st.sampled_from(FOREIGN), min_size=1, max_size=4))
        return _with(value, REL_TO, CategoryType.PERMISSIVE, codes), rule
    value = draw(labels())
    dissem = set(value.values(DISSEM))
    if rule == "noforn_with_release":
        if value.releasable_to is None and RELIDO not in dissem:
            dissem.add(RELIDO)
        return _with(value, DISSEM, CategoryType.RESTRICTIVE, dissem | {NOFORN}), rule
    if rule == "fouo_classified":
        scheme = SCHEMES.get(value.policy)
        classified = [lv.ordinal for lv in scheme.levels if lv.common > 0]
        value = replace(value, classification=draw(st.sampled_from(classified)))
        return _with(value, DISSEM, CategoryType.RESTRICTIVE, dissem | {"FOUO"}), rule
    where = draw(st.sampled_from([SCI, SAP, DISSEM, REL_TO]))
    if where == SCI:
        sci = set(value.values(SCI)) | {"HCS", draw(st.sampled_from(BAD_SCI))}
        return _with(value, SCI, CategoryType.RESTRICTIVE, sci), rule
    if where == SAP:
        sap = set(value.values(SAP)) | set(BAD_SAP)
        return _with(value, SAP, CategoryType.RESTRICTIVE, sap), rule
    if where == REL_TO and value.releasable_to is not None:
        codes = set(value.releasable_to) | set(BAD_CODES)
        return _with(value, REL_TO, CategoryType.PERMISSIVE, codes), rule
    return _with(value, DISSEM, CategoryType.RESTRICTIVE, dissem | set(BAD_DISSEM)), rule
