"""Hypothesis strategies and shared constants for label tests (valid labels only)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import strategies as st

from caveat.domain.groups import builtin_directory
from caveat.domain.labels import (
    DISSEM,
    REL_TO,
    SAP,
    SCI,
    TLP,
    TLP_LEVELS,
    Category,
    CategoryType,
    Label,
    Originator,
    builtin_schemes,
)

GROUPS = builtin_directory()
ON = date(2024, 6, 1)
SCHEMES = builtin_schemes()

FOREIGN = ["AUS", "CAN", "DEU", "FRA", "GBR", "NOR", "NZL", "FVEY", "NATO", "TEYE", "EU"]
SCI_POOL = ["HCS", "SI", "SI-G", "SI-G ABCD", "TK", "TK-XYZ"]
SAP_POOL = ["SAR-BP", "SAR-XY", "SAR-RED DAWN"]
OTHER_DISSEM = ["ORCON", "IMCON", "PROPIN"]


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
