"""Bad input: on arbitrary text the banner parser and normaliser raise only MarkingError."""

from __future__ import annotations

import contextlib
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caveat.domain.groups import builtin_directory
from caveat.domain.labels import MarkingError, normalise, parse_banner, parse_marking, parse_portion
from caveat.domain.labels.banner import MAX_MARKING_LENGTH

GROUPS = builtin_directory()
ON = date(2025, 1, 1)
# Pieces of real markings make the fuzzer reach deep into the grammar, not just the first check.
PIECES = st.sampled_from(
    ["SECRET", "TOP SECRET", "//", "/", "REL TO ", "USA", ", ", "GBR", "FVEY", "NOFORN", "NF",
     "ORCON", "(", ")", "S", "TS", "SI", "-G ABCD", "SAR-BP", "NATO SECRET", "DEU GEHEIM", " ", ",",
     "RELIDO", "REL", "FOUO", "PROPIN", "Ü", "\x00", "\u202e"]
)  # fmt: skip
TEXT = st.one_of(st.text(max_size=300), st.lists(PIECES, max_size=40).map("".join))


def _only_marking_errors(call: object) -> None:
    with contextlib.suppress(MarkingError):
        call()  # type: ignore[operator]


@settings(max_examples=600, deadline=None)
@given(TEXT)
def test_parsers_raise_only_their_typed_error(text: str) -> None:
    for parse in (parse_banner, parse_portion, parse_marking):
        _only_marking_errors(lambda parse=parse: parse(text, groups=GROUPS, on=ON))
    _only_marking_errors(lambda: normalise(text, GROUPS, ON))


def test_huge_input_is_refused_at_the_length_limit() -> None:
    # Refused at MAX_MARKING_LENGTH, before any parsing: how fast that is is measured in
    # benchmarks (tests assert behaviour, not time).
    text = "SECRET//REL TO USA, " + "GBR, " * 200_000
    for call in (
        lambda: parse_banner(text, groups=GROUPS, on=ON),
        lambda: normalise(text, GROUPS, ON),
    ):
        with pytest.raises(MarkingError) as refused:
            call()
        assert refused.value.position == MAX_MARKING_LENGTH


@settings(max_examples=100, deadline=None)
@given(st.lists(PIECES, min_size=50, max_size=200).map("".join))
def test_long_near_valid_text_parses_or_raises_a_marking_error(text: str) -> None:
    _only_marking_errors(lambda: parse_marking(text[:MAX_MARKING_LENGTH], groups=GROUPS, on=ON))
