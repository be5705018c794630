"""Label parsing and rules at the edges the 2026-12-06 mutation run of ``domain/labels``
found unchecked (each test names what it pins down)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from tests.domain.labels.own_schemes import OWN

from caveat.domain.errors import InvalidInput
from caveat.domain.groups import builtin_directory
from caveat.domain.labels import (
    Category,
    CategoryType,
    Label,
    Originator,
    builtin_schemes,
    parse_banner,
    parse_marking,
    roll_up,
)
from caveat.domain.labels.errors import (
    InvalidLabel,
    MarkingError,
    SchemeDataError,
    UnknownScheme,
)
from caveat.domain.labels.validation import find_violation

GROUPS = builtin_directory()
DAY = date(2025, 1, 1)


def test_a_banner_is_validated_under_the_registry_it_is_read_with() -> None:
    # AAA is only in the node's own registry: judged under the shipped one it is unknown.
    label = parse_marking("//AAA GUARDED//REL TO USA, ISL", schemes=OWN, groups=GROUPS, on=DAY)
    assert (label.policy, label.classification) == ("AAA", 1)
    assert [set(c.values) for c in label.categories] == [{"USA", "ISL"}]
    assert parse_marking("(//AAA H)", schemes=OWN, groups=GROUPS, on=DAY) == Label("AAA", 2)


def test_a_malformed_compartment_is_refused_with_an_example_of_its_kind() -> None:
    with pytest.raises(MarkingError) as sci:
        parse_marking("TOP SECRET//SI/T K//NOFORN", groups=GROUPS, on=DAY)
    assert sci.value.detail == "'T K' is not a valid SCI value at position 15"
    assert sci.value.position == 15
    assert (
        sci.value.hint
        == "write for example SI/TK or SI-G ABCD; SCI systems are HCS, KDK, RSV, SI, TK"
    )
    with pytest.raises(MarkingError) as sap:
        parse_marking("TOP SECRET//SAR-//NOFORN", groups=GROUPS, on=DAY)
    assert sap.value.detail == "'SAR-' is not a valid SAP value at position 12"
    assert sap.value.hint is not None
    assert sap.value.hint.startswith("write for example SAR-BP;")


def test_a_scheme_names_the_level_it_does_not_have() -> None:
    (usa,) = [s for s in builtin_schemes().all() if s.code == "USA"]
    assert usa.level_by_id("SECRET").ordinal == 2
    with pytest.raises(SchemeDataError) as refused:
        usa.level_by_id("SECRETISH")
    assert refused.value.code == "unknown_level"
    assert refused.value.detail == "scheme USA has no level 'SECRETISH'"


def test_labels_of_two_schemes_roll_up_only_into_a_named_one() -> None:
    labels = [Label("USA", 2), Label("GBR", 2)]
    with pytest.raises(InvalidInput) as refused:
        roll_up(labels, groups=GROUPS, on=DAY, schemes=builtin_schemes())
    assert refused.value.code == "invalid_label"
    assert refused.value.detail == "labels under different schemes need a target scheme"
    assert refused.value.hint == "pass policy= the scheme of the aggregate"


def test_an_unknown_scheme_is_refused_with_the_known_ones() -> None:
    with pytest.raises(UnknownScheme) as refused:
        OWN.get("ZZZ")
    assert refused.value.detail == "unknown classification scheme 'ZZZ'"
    assert refused.value.hint == "known schemes: AAA, BBB"


def test_a_label_s_own_faults_name_their_field() -> None:
    with pytest.raises(InvalidLabel) as naive:
        Label("USA", 1, created_at=datetime(2025, 1, 1))
    assert naive.value.field == "created_at"
    assert naive.value.detail == "created_at must carry a time zone"
    for organisation in ("", "x" * 129):
        with pytest.raises(InvalidLabel) as unnamed:
            Originator(organisation, "USA")
        assert unnamed.value.detail == "originator organisation must be 1-128 characters"
    assert Originator("x" * 128, "USA").organisation == "x" * 128


def test_a_privacy_mark_survives_a_roll_up_only_when_every_part_carries_it() -> None:
    personal = [Label("USA", 1, privacy_mark="PERSONAL"), Label("USA", 2, privacy_mark="PERSONAL")]
    assert roll_up(personal, groups=GROUPS, on=DAY).privacy_mark == "PERSONAL"
    mixed = [Label("USA", 1, privacy_mark="PERSONAL"), Label("USA", 2)]
    assert roll_up(mixed, groups=GROUPS, on=DAY).privacy_mark is None


def test_an_empty_rel_to_entry_is_pointed_at() -> None:
    for text, position in (("SECRET//REL TO USA, , GBR", 20), ("(S//REL TO USA, , GBR)", 16)):
        with pytest.raises(MarkingError) as empty:
            parse_marking(text, groups=GROUPS, on=DAY)
        assert empty.value.detail == f"empty entry in REL TO at position {position}"
        assert empty.value.hint == "remove the extra comma"


def test_a_category_of_the_wrong_type_is_named_with_the_right_one() -> None:
    rel_to = Category("REL TO", CategoryType.RESTRICTIVE, frozenset({"USA", "GBR"}))
    violation = find_violation(Label("USA", 2, categories=(rel_to,)))
    assert violation is not None
    assert violation.rule == "category_type"
    assert violation.detail == "category REL TO must be PERMISSIVE"
    assert violation.hint == "give REL TO the type PERMISSIVE"


def test_empty_categories_and_bad_originator_nations_name_their_field() -> None:
    with pytest.raises(InvalidLabel) as empty:
        Category("SCI", CategoryType.RESTRICTIVE, frozenset())
    assert empty.value.field == "categories"
    with pytest.raises(InvalidInput) as nation:
        Originator("afrl", "XX1")
    assert nation.value.field == "originator.nation"


def test_a_banner_in_parentheses_is_sent_to_the_portion_parser() -> None:
    with pytest.raises(MarkingError) as refused:
        parse_banner("(S)", groups=GROUPS, on=DAY)
    assert refused.value.position == 0
    assert refused.value.hint == "parse it as a portion mark"


def test_an_alternative_s_violation_keeps_its_wording_and_says_which() -> None:
    rel_to = Category("REL TO", CategoryType.RESTRICTIVE, frozenset({"USA", "GBR"}))
    violation = find_violation(
        Label("USA", 2, alternatives=(Label("GBR", 2, categories=(rel_to,)),))
    )
    assert violation is not None
    assert (violation.alternative, violation.detail) == (0, "category REL TO must be PERMISSIVE")
