"""TLP 2.0 labels: every accepted spelling, and what each refusal tells the person who typed it.

Written against the survivors of the 2026-12-04 mutation run of ``labels.tlp``: the
refusals were checked by code only, not by the message, caret and hint a user reads.
"""

from __future__ import annotations

import pytest

from caveat.domain.labels.errors import MarkingError
from caveat.domain.labels.model import TLP, Category, CategoryType
from caveat.domain.labels.tlp import TLP_LEVELS, parse_tlp, render_tlp


@pytest.mark.parametrize("colour", TLP_LEVELS)
def test_every_colour_is_accepted_and_renders_back(colour: str) -> None:
    category = parse_tlp(f"TLP:{colour}")
    assert category == Category(TLP, CategoryType.INFORMATIVE, frozenset({colour}))
    assert render_tlp(category) == f"TLP:{colour}"


def _refusal(text: str) -> MarkingError:
    with pytest.raises(MarkingError) as caught:
        parse_tlp(text)
    return caught.value


def test_lower_case_points_at_the_first_small_letter_and_suggests_capitals() -> None:
    error = _refusal("TLP:Amber")
    assert error.diagnostics() == (
        "TLP labels are written in capitals at position 5\n  TLP:Amber\n       ^\nhint: TLP:AMBER"
    )
    assert error.data == {"text": "TLP:Amber", "position": 5}


def test_a_label_without_the_prefix() -> None:
    error = _refusal("AMBER")
    assert error.diagnostics() == (
        "a TLP label starts with TLP: at position 0\n  AMBER\n  ^\nhint: for example TLP:GREEN"
    )
    assert error.data == {"text": "AMBER", "position": 0}


def test_tlp_white_is_named_as_tlp_1() -> None:
    error = _refusal("TLP:WHITE")
    assert error.diagnostics() == (
        "TLP:WHITE is TLP 1.0 at position 4\n  TLP:WHITE\n      ^\nhint: TLP 2.0 calls it TLP:CLEAR"
    )
    assert error.data == {"text": "TLP:WHITE", "position": 4}


def test_an_unknown_colour_lists_the_five() -> None:
    error = _refusal("TLP:BLUE")
    assert error.diagnostics() == (
        "unknown TLP colour 'BLUE' at position 4\n"
        "  TLP:BLUE\n"
        "      ^\n"
        "hint: one of TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT, TLP:RED"
    )
    assert error.data == {"text": "TLP:BLUE", "position": 4}


def test_a_category_that_is_not_one_tlp_colour_cannot_be_rendered() -> None:
    for category in (
        Category("DISSEM", CategoryType.INFORMATIVE, frozenset({"RED"})),
        Category(TLP, CategoryType.INFORMATIVE, frozenset({"RED", "GREEN"})),
    ):
        with pytest.raises(MarkingError) as caught:
            render_tlp(category)
        assert caught.value.detail == "not a TLP category with one colour at position 0"
        assert caught.value.data == {"text": category.tag, "position": 0}


def test_a_tlp_category_of_an_unknown_colour_cannot_be_rendered() -> None:
    with pytest.raises(MarkingError) as caught:
        render_tlp(Category(TLP, CategoryType.INFORMATIVE, frozenset({"WHITE"})))
    assert caught.value.diagnostics() == "unknown TLP colour 'WHITE' at position 0\n  WHITE\n  ^"
    assert caught.value.data == {"text": "WHITE", "position": 0}
