"""TLP 2.0 strings as informative markings."""

from __future__ import annotations

import pytest

from caveat.domain.labels import TLP, TLP_LEVELS, CategoryType, MarkingError, parse_tlp, render_tlp


@pytest.mark.parametrize("colour", ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"])
def test_tlp_round_trip(colour: str) -> None:
    category = parse_tlp(f"TLP:{colour}")
    assert category.tag == TLP
    assert category.type is CategoryType.INFORMATIVE
    assert category.values == frozenset({colour})
    assert render_tlp(category) == f"TLP:{colour}"


def test_tlp_order_is_least_to_most_restrictive() -> None:
    assert TLP_LEVELS == ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("tlp:green", 0, "capitals"),
        ("TLP:Green", 5, "capitals"),
        ("TLP:WHITE", 4, "TLP 1.0"),
        ("TLP:PURPLE", 4, "unknown TLP colour"),
        ("TLP:AMBER+", 4, "unknown TLP colour"),
        ("GREEN", 0, "starts with"),
        ("TLP: GREEN", 4, "unknown TLP colour"),
    ],
)
def test_bad_tlp_is_rejected(text: str, position: int, fragment: str) -> None:
    with pytest.raises(MarkingError) as caught:
        parse_tlp(text)
    assert caught.value.position == position
    assert fragment in caught.value.detail
    assert caught.value.hint
