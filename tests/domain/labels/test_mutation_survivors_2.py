"""Label behaviour the full mutation run (docs/testing.md) found unpinned, second part."""

from __future__ import annotations

import pytest
from tests.domain.labels.label_strategies import GROUPS, ON
from tests.domain.labels.test_mutation_survivors import REGISTRY, _names_fault

from caveat.domain.labels import (
    Category,
    CategoryType,
    Label,
    aggregate_marking,
    validate_label,
)
from caveat.domain.labels.algebra import dominates
from caveat.domain.labels.builder import (
    DISSEM_CHOICES,
    Choice,
    build,
    choice_of,
    level_options,
)
from caveat.domain.labels.errors import InvalidLabel, LabelRuleError, SchemeDataError
from caveat.domain.labels.marking import INCOMPLETE, Marking
from caveat.domain.labels.model import DISSEM, REL_TO
from caveat.domain.labels.validation import UNKNOWN_VALUE, Violation

R, P, INFO = CategoryType.RESTRICTIVE, CategoryType.PERMISSIVE, CategoryType.INFORMATIVE


# --- algebra ---------------------------------------------------------------------------


def test_a_label_without_a_permissive_category_does_not_dominate_one_with_it() -> None:
    # A permissive list limits who may hold the information: a label with none is wider.
    listed = Label("USA", 2, (Category("PROGRAMME", P, frozenset({"A"})),))
    assert not dominates(Label("USA", 2), listed, groups=GROUPS, on=ON)
    assert dominates(listed, Label("USA", 2), groups=GROUPS, on=ON)


# --- banner ----------------------------------------------------------------------------


def test_a_portion_mark_is_parsed_strictly_and_refuses_values_out_of_order() -> None:
    _names_fault("(TS//TK/SI)", True, "SI is out of order", 8, "list values in alphabetical order")


def test_a_us_banner_releasing_without_usa_is_refused_with_the_validators_words() -> None:
    _names_fault(
        "SECRET//REL TO GBR",
        False,
        "a US REL TO list must include USA",
        15,
        "start the list with USA",
    )


# --- builder ---------------------------------------------------------------------------


def test_a_forged_builder_value_is_a_violation_with_no_spots() -> None:
    built = build(Choice("USA", 2, dissem=frozenset({"no"})), schemes=REGISTRY, groups=GROUPS)
    assert built.label is None
    assert built.violation == Violation(
        UNKNOWN_VALUE,
        "category DISSEM value 'no' is not valid",
        "choose from the options shown",
        (),
    )


def test_a_label_with_every_dissemination_control_is_read_back_into_the_builder() -> None:
    every = frozenset(DISSEM_CHOICES)
    label = Label("USA", 0, (Category(DISSEM, R, every),))
    assert choice_of(label) == Choice("USA", 0, frozenset(), every, None)


def test_a_person_whose_nation_has_no_scheme_is_offered_natos_levels_only() -> None:
    assert "MLT" not in REGISTRY
    offered = level_options(REGISTRY, "MLT")
    assert offered == level_options(REGISTRY, None)
    assert {option.scheme for option in offered} == {"NATO"}


# --- marking ---------------------------------------------------------------------------


def test_an_aggregate_the_readers_scheme_denies_falls_back_to_natos_word_for_the_ceiling() -> None:
    # DDD denies restricted information and has no level for it: the incomplete
    # marking names the ceiling in NATO's words.
    marking = aggregate_marking(
        [Label("NATO", 1)], scheme="DDD", groups=GROUPS, on=ON, schemes=REGISTRY, ceiling=1
    )
    assert marking == Marking("NATO RESTRICTED", 1, INCOMPLETE, complete=False)


# --- model and schemes -----------------------------------------------------------------


def test_an_empty_category_is_refused_with_its_tag_named() -> None:
    with pytest.raises(InvalidLabel) as error:
        Category("NOTE", INFO, frozenset())
    assert (error.value.detail, error.value.field) == ("category NOTE has no values", "categories")


def test_the_ordinal_one_past_a_schemes_top_level_is_an_unknown_level() -> None:
    usa = REGISTRY.get("USA")
    top = len(usa.levels)
    with pytest.raises(SchemeDataError) as error:
        usa.level(top)
    assert (error.value.code, error.value.detail, error.value.hint) == (
        "unknown_level",
        f"scheme USA has no level with ordinal {top}",
        f"ordinals run from 0 to {top - 1}",
    )


# --- validation ------------------------------------------------------------------------


def test_a_label_with_an_unknown_rel_to_code_is_refused_with_the_validators_message() -> None:
    label = Label("USA", 2, (Category(REL_TO, P, frozenset({"USA", "ZZZZ"})),))
    with pytest.raises(LabelRuleError) as error:
        validate_label(label, schemes=REGISTRY, groups=GROUPS)
    assert (error.value.detail, error.value.hint, error.value.rule, error.value.path) == (
        "'ZZZZ' is neither a country code nor a known group at /categories/0/values/1",
        "use ISO 3166-1 alpha-3 codes (GBR) or a configured group (FVEY)",
        UNKNOWN_VALUE,
        "/categories/0/values/1",
    )
