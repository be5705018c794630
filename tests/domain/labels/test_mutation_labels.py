"""Label parsing and rules at the edges the 2026-12-06 mutation run of ``domain/labels``
found unchecked (each test names what it pins down)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from tests.domain.labels.own_schemes import OWN

from caveat.domain.errors import InvalidInput
from caveat.domain.groups import builtin_directory
from caveat.domain.labels import (
    TOP_COMMON,
    Category,
    CategoryType,
    Label,
    Originator,
    aggregate_marking,
    builtin_schemes,
    parse_banner,
    parse_marking,
    parse_portion,
    render_banner,
    roll_up,
)
from caveat.domain.labels.builder import Choice, build
from caveat.domain.labels.errors import (
    InvalidLabel,
    MarkingError,
    SchemeDataError,
    UnknownScheme,
)
from caveat.domain.labels.marking import INCOMPLETE
from caveat.domain.labels.releasability import expand
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


def test_a_level_with_no_common_step_marks_the_top_whatever_the_ceiling() -> None:
    # A label of a scheme the registry lacks, or a level its scheme lacks, cannot be
    # placed on the common scale: the page is marked at the top, never at the reader's
    # ceiling (which only stands in for labels that could not be read at all).
    for odd in (Label("USA", 9), Label("ZZZ", 0)):
        for ceiling in (0, 2):
            found = aggregate_marking(
                [Label("USA", 0), odd], scheme="USA", groups=GROUPS, on=DAY, ceiling=ceiling
            )
            assert (found.text, found.common, found.note, found.complete) == (
                "TOP SECRET",
                TOP_COMMON,
                INCOMPLETE,
                False,
            )


def test_a_portion_mark_without_parentheses_is_pointed_at_its_start() -> None:
    with pytest.raises(MarkingError) as refused:
        parse_portion("S//NF", groups=GROUPS, on=DAY)
    assert (refused.value.position, refused.value.hint) == (0, "(S//NF)")


def test_the_builder_composes_an_sci_choice() -> None:
    built = build(Choice("USA", 3, sci=frozenset({"SI"})), schemes=builtin_schemes(), groups=GROUPS)
    assert (built.banner, built.violation) == ("TOP SECRET//SI", None)


def test_rel_to_entries_are_separated_by_one_comma_and_one_space() -> None:
    with pytest.raises(MarkingError) as spaced:
        parse_marking("SECRET//REL TO USA,  GBR", groups=GROUPS, on=DAY)
    assert spaced.value.detail == "separate REL TO entries with comma and space at position 19"
    assert spaced.value.hint == "USA, GBR"


def test_rel_to_without_its_space_or_its_list_needs_a_list() -> None:
    for text in ("SECRET//REL TOUSA", "SECRET//REL TO /NOFORN"):
        with pytest.raises(MarkingError) as bare:
            parse_marking(text, groups=GROUPS, on=DAY)
        assert bare.value.detail == "REL TO needs a list at position 8"
        assert bare.value.hint == "write REL TO USA, GBR"


def test_a_banner_level_in_a_portion_mark_is_told_to_abbreviate() -> None:
    with pytest.raises(MarkingError) as spelled:
        parse_marking("(SECRET)", groups=GROUPS, on=DAY)
    assert spelled.value.position == 1
    assert spelled.value.hint == "portion marks use abbreviations such as S or NS"


def test_rolling_up_nothing_and_a_tag_twice_are_refused_with_their_codes() -> None:
    with pytest.raises(InvalidInput) as nothing:
        roll_up([], groups=GROUPS, on=DAY)
    assert (nothing.value.code, nothing.value.hint) == ("invalid_label", "pass at least one label")
    sci = Category("SCI", CategoryType.RESTRICTIVE, frozenset({"SI"}))
    tk = Category("SCI", CategoryType.RESTRICTIVE, frozenset({"TK"}))
    with pytest.raises(InvalidLabel) as twice:
        Label("USA", 3, (sci, tk))
    assert (twice.value.detail, twice.value.field) == ("a category tag appears twice", "categories")


def test_the_builder_says_an_empty_rel_to_needs_a_list_and_shows_what_is_chosen() -> None:
    # NATO has no owner nation to put in the list, so the list stays empty.
    empty = build(Choice("NATO", 1, rel_to=frozenset()), schemes=builtin_schemes(), groups=GROUPS)
    assert (empty.label, empty.choice) == (None, Choice("NATO", 1, rel_to=frozenset()))
    assert empty.violation is not None
    assert (empty.violation.rule, empty.violation.detail) == ("rel_to_empty", "REL TO needs a list")
    noforn = build(
        Choice("USA", 2, dissem=frozenset({"NOFORN"})), schemes=builtin_schemes(), groups=GROUPS
    )
    assert [o.value for o in noforn.dissem if o.chosen is True] == ["NOFORN"]
    assert all(o.chosen is False for o in noforn.dissem if o.value != "NOFORN")


def test_an_aggregate_of_two_own_schemes_is_marked_under_the_registry_given() -> None:
    # BBB's HIDDEN becomes AAA's through the node's own registry, not the shipped one
    # (which knows neither scheme and would leave the marking incomplete).
    found = aggregate_marking(
        [Label("AAA", 1), Label("BBB", 2)], scheme="AAA", schemes=OWN, groups=GROUPS, on=DAY
    )
    assert (found.text, found.common, found.complete) == ("HIDDEN", 4, True)


def test_a_bare_rel_pointing_at_an_unknown_code_of_its_banner_is_pointed_at() -> None:
    # The unknown code was written in the banner, not here: the portion's REL is blamed.
    rel_to = Category("REL TO", CategoryType.PERMISSIVE, frozenset({"USA", "ZZZZ"}))
    with pytest.raises(MarkingError) as unknown:
        parse_portion("(S//REL)", groups=GROUPS, on=DAY, banner=Label("USA", 2, (rel_to,)))
    assert unknown.value.position == 4
    assert unknown.value.detail == (
        "'ZZZZ' is neither a country code nor a known group at position 4"
    )


def test_rel_to_is_never_rendered_as_a_dissemination_control() -> None:
    dissem = Category("DISSEM", CategoryType.RESTRICTIVE, frozenset({"REL TO"}))
    with pytest.raises(InvalidLabel) as refused:
        render_banner(Label("USA", 2, (dissem,)))
    assert refused.value.detail == "dissemination control 'REL TO' has no CAPCO text form"


def test_a_privacy_mark_may_be_128_characters() -> None:
    assert Label("USA", 0, privacy_mark="x" * 128).privacy_mark == "x" * 128
    with pytest.raises(InvalidLabel) as long:
        Label("USA", 0, privacy_mark="x" * 129)
    assert (long.value.detail, long.value.field) == (
        "privacy mark must be 1-128 characters",
        "privacy_mark",
    )


def test_expand_names_the_nations_of_groups_and_nations() -> None:
    assert expand(["FVEY", "FRA"], GROUPS, DAY) == {"AUS", "CAN", "FRA", "GBR", "NZL", "USA"}


def test_the_builder_refuses_a_forged_value_and_an_unknown_code_with_their_reasons() -> None:
    forged = build(
        Choice("USA", 3, sci=frozenset({"si"})), schemes=builtin_schemes(), groups=GROUPS
    )
    assert forged.violation is not None
    assert (forged.violation.rule, forged.violation.hint) == (
        "unknown_value",
        "choose from the options shown",
    )
    assert forged.violation.detail == "category SCI value 'si' is not valid"
    with pytest.raises(InvalidInput) as unknown:
        build(
            Choice("USA", 2, rel_to=frozenset({"ZZZZ"})), schemes=builtin_schemes(), groups=GROUPS
        )
    assert (unknown.value.code, unknown.value.field) == ("invalid_marking", "rel_to")
    assert unknown.value.hint == "use ISO 3166-1 alpha-3 codes (GBR) or a configured group (FVEY)"


def test_a_leading_separator_leaves_an_empty_piece_to_refuse() -> None:
    for text, detail, hint in (
        ("SECRET///NOFORN", "unknown dissemination control ''", "remove the extra /"),
        ("SECRET//REL TO ,USA", "empty entry in REL TO", "remove the extra comma"),
    ):
        with pytest.raises(MarkingError) as empty:
            parse_marking(text, groups=GROUPS, on=DAY)
        assert (empty.value.detail.rsplit(" at position", 1)[0], empty.value.hint) == (detail, hint)
