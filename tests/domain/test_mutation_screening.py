"""Screening behaviour the mutation run (docs/testing.md) found unpinned."""

from __future__ import annotations

from caveat.domain.screening import ListedParty, Matcher, PartyKind, analyse, score
from caveat.domain.screening.matcher import TokenMatch, combine
from caveat.domain.screening.normalise import NameForm


def test_tokens_pair_most_similar_first() -> None:
    # Pairing the weaker cross pair first would use up both tokens and leave one pair:
    # "at least two pairs" would then fail and the score drop to 0.
    form = NameForm(("aaaa", "bbbb"))
    pairs = [(0.8, 0, 1), (1.0, 0, 0), (1.0, 1, 1)]
    assert combine(form, form, pairs, explain=True) == (
        100.0,
        (
            TokenMatch("aaaa", "aaaa", 1.0),
            TokenMatch("bbbb", "bbbb", 1.0),
        ),
    )


def test_a_mistyped_legal_form_in_the_query_pairs_with_the_listed_one() -> None:
    # "Lmited" is no distinctive token of the listed name; it pairs with its LIMITED
    # (read as the legal form ltd) as a typing error away, and the name still matches.
    assert score("Gefest Lmited", "Gefest Limited") == 97.03
    assert score("Gefest Qwerty", "Gefest Limited") == 58.46


def test_a_six_letter_typing_error_in_a_two_word_legal_form_is_read_as_the_form() -> None:
    # Two-word phrases accept one mistyped word of six letters or more: "Limted".
    assert [(f.tokens, f.weak) for f in analyse("Gefest Limted Liability")] == [
        (("gefest",), ("llc",))
    ]


def test_shared_legal_forms_count_half_and_are_explained() -> None:
    # LLC on both sides counts half a word on each; the generic TRADING left unpaired.
    assert score("Gefest LLC", "Gefest Trading LLC") == 97.33
    matcher = Matcher(
        [
            ListedParty("T", "1", "GEFEST LIMITED", PartyKind.ENTITY),
            ListedParty("T", "2", "INFOROS LLC", PartyKind.ENTITY),
        ],
        threshold=50,
    )
    assert matcher.screen("Inforos LLC")[0].tokens == (
        TokenMatch("inforos", "inforos", 1.0),
        TokenMatch("llc", "llc", 1.0),
    )
    # A mistyped legal form is explained with its similarity to three places.
    assert matcher.screen("Gefest Lmited")[0].tokens == (
        TokenMatch("gefest", "gefest", 1.0),
        TokenMatch("lmited", "ltd", 0.929),
    )


def test_a_mistyped_three_letter_abbreviation_is_closed_up() -> None:
    # S.AA. is one letter from the legal form sa and has no particle: closed to "saa".
    assert [f.tokens for f in analyse("Gefest S.AA.")] == [("gefest", "saa")]


def test_particles_join_only_words_that_can_be_joined() -> None:
    # A particle before a generic word or a number stays apart: one form only.
    assert [(f.tokens, f.weak) for f in analyse("Gefest Al Trading")] == [
        (("gefest",), ("al", "trading"))
    ]
    assert [f.tokens for f in analyse("Abu 7 Gefest")] == [("abu", "7", "gefest")]
