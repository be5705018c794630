"""Screening behaviour the mutation run (docs/testing.md) found unpinned."""

from __future__ import annotations

from caveat.domain.screening import (
    ListedParty,
    Matcher,
    PartyKind,
    analyse,
    normalise_name,
    score,
)
from caveat.domain.screening.matcher import (
    TokenMatch,
    _edit_similarity,
    combine,
    token_similarity,
)
from caveat.domain.screening.normalise import (
    NameForm,
    _NearWords,
    _run_together,
    blocking_keys,
    fold,
    vowel_key,
)


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


def test_a_listed_initial_is_explained_as_half_a_query_token() -> None:
    # SERGEY in the query is explained by the initial S. of the listed IVANOV, S.
    query, listed = analyse("Ivanov Sergey")[0], analyse("Ivanov, S.")[0]
    assert listed.initials == ("s",)
    assert combine(query, listed, [(1.0, 0, 0)], explain=True) == (
        80.0,
        (TokenMatch("ivanov", "ivanov", 1.0), TokenMatch("sergey", "s", 0.5)),
    )


def test_a_form_s_reach_counts_its_longest_tokens_first() -> None:
    # One query token can explain at most the listed form's longest token (8 of 10
    # letters here): bounding by its shortest (2 of 10) would skip a 90 above the
    # threshold of 88.
    matcher = Matcher([ListedParty("T", "1", "XU ZAWAHIRI", PartyKind.INDIVIDUAL)])
    assert score("Zawahiri", "Xu Zawahiri") == 90.0
    assert [(m.score, m.tokens) for m in matcher.screen("Zawahiri")] == [
        (90.0, (TokenMatch("zawahiri", "zawahiri", 1.0),))
    ]


def test_a_name_of_initials_only_is_one_token_of_its_letters() -> None:
    assert analyse("J. K.") == (NameForm(("jk",)),)
    assert analyse("Al J K") == (NameForm(("jk",), ("al",)),)


def test_tokens_below_the_floor_do_not_pair_even_when_they_share_a_key() -> None:
    # ABC and BCA share the blocking key "bc" but are two edits apart (0.5 < 0.75).
    assert token_similarity("abc", "bca") == 0.0
    assert score("Gefest Abc", "Gefest Bca") == 0.0
    assert score("Abc Gefest Ivanov", "Bca Gefest Ivanov") == 80.0


def test_a_listed_initial_counts_in_the_index_bound() -> None:
    # At a threshold of 78, IVANOV alone (6 of the query's 12 letters) is below what a
    # form needs; the initial S. explaining half of SERGEY lifts the bound above it, and
    # the name scores 80.
    matcher = Matcher([ListedParty("T", "1", "IVANOV, S.", PartyKind.INDIVIDUAL)], threshold=78)
    assert [m.score for m in matcher.screen("Ivanov Sergey")] == [80.0]


def test_a_name_with_no_words_is_skipped_not_the_party_s_other_names() -> None:
    party = ListedParty("T", "1", "!!!", PartyKind.ENTITY, aliases=("GEFEST",))
    matcher = Matcher([party])
    assert len(matcher) == 1
    assert [(m.matched_name, m.score) for m in matcher.screen("Gefest")] == [("GEFEST", 100.0)]


def test_screening_returns_the_best_five_by_default() -> None:
    names = ["GEFEST IVANOV", "GEFEST IVANOVA", "GEFEST IVNOV", "GEFEST IVANOB"]
    names += ["GEFEST IVANOVAA", "GEFEST IBANOVV"]
    matcher = Matcher(
        [ListedParty("T", str(i), n, PartyKind.ENTITY) for i, n in enumerate(names)],
        threshold=50,
    )
    assert [m.score for m in matcher.screen("Gefest Ivanov", limit=0)][-2:] == [93.94, 93.44]
    assert [m.matched_name for m in matcher.screen("Gefest Ivanov")] == names[:5]


def test_the_vowel_key_is_the_fold_with_every_vowel_a() -> None:
    assert vowel_key("mohammed") == vowel_key("muhammad") == "~mahamad"
    assert vowel_key("husayn") == "~hasaan"
    assert vowel_key("abc") == ""


def test_a_name_with_no_words_normalises_to_nothing() -> None:
    assert normalise_name("!!!") == normalise_name("") == ""
    assert normalise_name("Gefest LLC") == "gefest"


def test_an_explanation_lists_only_tokens_that_are_alike() -> None:
    # QQQ and ZZZ share no key: they did not pair, and the explanation does not say so.
    matcher = Matcher([ListedParty("T", "1", "GEFEST IVANOV ZZZ", PartyKind.ENTITY)], threshold=50)
    assert [(m.score, m.tokens) for m in matcher.screen("Gefest Ivanov Qqq")] == [
        (80.0, (TokenMatch("gefest", "gefest", 1.0), TokenMatch("ivanov", "ivanov", 1.0)))
    ]


def test_a_word_of_a_legal_phrase_shorter_than_four_letters_is_never_read_as_mistyped() -> None:
    # OPN is one letter from OPEN, but too short to be taken for it: it stays a token,
    # and only JOINT STOCK COMPANY is read as the legal form.
    assert analyse("Gefest Opn Joint Stock Company") == (NameForm(("gefest", "opn"), ("jsc",)),)
    assert analyse("Gefest Open Joint Stock Company") == (NameForm(("gefest",), ("jsc",)),)


def test_four_letter_tokens_that_differ_in_their_vowels_are_alike() -> None:
    # AMIR and EMER are two edits apart and share no other key: the vowel key pairs them.
    assert token_similarity("amir", "emer") == 0.85
    assert score("Amir Gefest", "Emer Gefest") == 94.0


def test_an_initial_is_credited_once_for_each_listed_token() -> None:
    # J pairs with JOHN, the first listed token; a second J finds no token left, as a
    # Q finds none; an initial meeting a listed initial counts on both sides.
    assert score("J Smith", "John Smith") == 95.56
    assert score("Q Smith", "John Smith") == 69.44
    assert score("J J Smith", "John Smith") == score("J Q Smith", "John Smith") == 84.13
    assert score("J Smith", "J Smith") == 100.0
    assert score("J Smith", "Q Smith") == 83.33
    assert score("J Smith", "J Smyth") == 95.83  # an initial met is one letter, not two
    assert score("J Smith", "J K Smith") == 97.14


def test_a_listed_word_the_query_reads_as_weak_is_explained() -> None:
    # "Sa Ad" typed for SA'AD: the query reads both as particles; the listed SA is
    # matched by the query's weak SA and explained as such.
    matcher = Matcher(
        [
            ListedParty("T", "1", "SA'AD HARIRI", PartyKind.INDIVIDUAL),
            ListedParty("T", "2", "SA SA HARIRI", PartyKind.INDIVIDUAL),
        ],
        threshold=50,
    )
    found = matcher.screen("Sa Ad Hariri")
    assert (found[0].score, found[0].tokens) == (
        100.0,
        (
            TokenMatch("hariri", "hariri", 1.0),
            TokenMatch("ad", "ad", 1.0),
            TokenMatch("sa", "sa", 1.0),
        ),
    )
    assert [m.score for m in found] == [100.0, 87.9]
    assert [m.score for m in matcher.screen("Sa Sa Hariri")] == [100.0, 90.87]


def test_a_three_word_legal_form_takes_a_short_mistyped_word() -> None:
    # Phrases of three words or more accept one mistyped word of any length the
    # near-spelling table knows ("Stok"); two-word phrases need six letters (above).
    assert [(f.tokens, f.weak) for f in analyse("Gefest Joint Stok Company")] == [
        (("gefest",), ("jsc",))
    ]


def test_a_first_typing_error_costs_half_a_letter_and_in_two_letters_only_a_swap() -> None:
    assert _edit_similarity("il", "li") == 0.75  # a swap: half a letter of two
    assert _edit_similarity("ab", "ax") == 0.5  # any other error: a whole letter
    assert _edit_similarity("abc", "abx") == 1.0 - 0.5 / 3  # three letters: half


def test_the_end_of_an_apostrophe_name_is_no_particle() -> None:
    # The AD of SA'AD is not the particle joined to the next word; AL after it is.
    assert [f.tokens for f in analyse("Sa'ad Hariri")] == [("sa", "hariri"), ("saad", "hariri")]
    assert [f.tokens for f in analyse("Nasser Sa'ad Al Hariri")] == [
        ("nasser", "sa", "hariri"),
        ("nasser", "saad", "alhariri"),
    ]
    assert [f.tokens for f in analyse("Abd Al Rahman Bin Laden")][1] == (
        "abdalrahman",
        "binladen",
    )


def test_screening_many_names_answers_each_as_screening_it_alone() -> None:
    matcher = Matcher(
        [
            ListedParty("T", "1", "GEFEST LIMITED", PartyKind.ENTITY),
            ListedParty("T", "2", "INFOROS LLC", PartyKind.ENTITY),
        ],
        threshold=50,
    )
    names = ["Inforos LLC", "Gefest Ltd", "Nobody Known"]
    assert matcher.screen_many(names, limit=1) == [matcher.screen(n, limit=1) for n in names]
    assert [len(found) for found in matcher.screen_many(names)] == [1, 1, 0]


def test_a_query_initial_is_explained_by_the_listed_token_it_stands_for() -> None:
    query = NameForm(("smith",), (), ("j",))
    listed = NameForm(("john", "smith"), ())
    assert combine(query, listed, [(1.0, 0, 1)], explain=True) == (
        95.56,
        (TokenMatch("smith", "smith", 1.0), TokenMatch("j", "john", 0.5)),
    )


# Each query token and each listed word is credited once: a token taken by a listed
# initial, by a distinctive pair or by a weak word is not credited again as a mistyped
# weak word (Grop for GROUP), and one weak word of the query is not read into two
# listed words.


def test_a_query_token_taken_by_a_listed_initial_is_not_also_a_mistyped_weak_word() -> None:
    query = NameForm(("grop", "smith"))
    listed = NameForm(("smith",), ("group",), ("g",))
    assert combine(query, listed, [(1.0, 1, 0)], explain=True) == (
        79.37,
        (TokenMatch("smith", "smith", 1.0), TokenMatch("grop", "g", 0.5)),
    )


def test_a_listed_weak_word_already_paired_is_not_paired_again_with_a_typo() -> None:
    query = NameForm(("acme", "grop"), ("group",))
    listed = NameForm(("acme",), ("group",))
    assert combine(query, listed, [(1.0, 0, 0)], explain=True) == (
        64.44,
        (TokenMatch("acme", "acme", 1.0), TokenMatch("group", "group", 1.0)),
    )


def test_a_paired_query_token_is_not_also_a_mistyped_weak_word() -> None:
    query = NameForm(("gropp", "widget"))
    listed = NameForm(("gropp", "widget"), ("group",))
    assert combine(query, listed, [(1.0, 0, 0), (1.0, 1, 1)], explain=True) == (
        98.33,
        (TokenMatch("gropp", "gropp", 1.0), TokenMatch("widget", "widget", 1.0)),
    )


def test_one_weak_word_of_the_query_reads_as_one_listed_word_only() -> None:
    query = NameForm(("widget",), ("sa",))
    listed = NameForm(("widget", "sa", "sa"))
    assert combine(query, listed, [(1.0, 0, 0)], explain=True) == (
        90.0,
        (TokenMatch("widget", "widget", 1.0), TokenMatch("sa", "sa", 1.0)),
    )


def test_the_index_pairs_tokens_that_differ_only_in_their_vowels() -> None:
    # hosoon and hassan are three substitutions apart (0.5), below the floor, but share
    # their vowel key: the index gives them the vowel similarity as the score does.
    matcher = Matcher([ListedParty("OFAC SDN", "2", "HASSAN, Omar", PartyKind.INDIVIDUAL)])
    (found,) = matcher.screen("Omar Hosoon")
    assert found.score == score("Omar Hosoon", "HASSAN, Omar") == 91.0
    assert {(t.query, t.listed, t.similarity) for t in found.tokens} == {
        ("omar", "omar", 1.0),
        ("hosoon", "hassan", 0.85),
    }


def test_a_listed_initial_counts_in_the_bound_of_a_form_reached_by_a_rare_token() -> None:
    # Muhammad is common here, so the index reaches SMITHSON, Muhammad J through Jones and
    # Smithson alone and bounds it before checking Muhammad; the listed J may explain
    # half of Jones, and that credit belongs in the bound (else the form is skipped).
    parties = [
        ListedParty("OFAC SDN", "1", "SMITHSON, Muhammad J", PartyKind.INDIVIDUAL),
        ListedParty("OFAC SDN", "2", "ALI, Muhammad", PartyKind.INDIVIDUAL),
        ListedParty("OFAC SDN", "3", "KHAN, Muhammad", PartyKind.INDIVIDUAL),
    ]
    query = "Jones Smithson Muhammad"
    # At 90 the form's weight without the credit (16) is below what it needs (16.8).
    found = Matcher(parties, threshold=90).screen(query)
    assert [(m.party.entry_id, m.score) for m in found] == [("1", 90.48)]
    assert score(query, "SMITHSON, Muhammad J") == 90.48


def test_a_party_whose_name_and_aliases_tie_is_reported_under_its_listed_name() -> None:
    party = ListedParty(
        "OFAC SDN",
        "1",
        "IVANOV, Sergey",
        PartyKind.INDIVIDUAL,
        aliases=("Sergey IVANOV", "IVANOV Sergey"),
    )
    (found,) = Matcher([party]).screen("Sergey Ivanov")
    assert (found.score, found.matched_name) == (100.0, "IVANOV, Sergey")


def test_a_two_letter_token_the_fold_shortens_keeps_its_own_deletions_as_keys() -> None:
    # "ph" folds to "f", which has no deletions of its own: without the token's own
    # ("p", "h") the swapped "hp" would share no key with it and never pair.
    assert fold("ph") == "f"
    assert {"p", "h"} <= blocking_keys("ph")
    assert token_similarity("hp", "ph") == 0.75


def test_a_query_initial_met_by_a_listed_initial_is_explained_by_it() -> None:
    form = NameForm(("smith",), (), ("j",))
    assert combine(form, form, [(1.0, 0, 0)], explain=True) == (
        100.0,
        (TokenMatch("smith", "smith", 1.0), TokenMatch("j", "j", 0.5)),
    )


def test_a_query_weak_word_paired_with_a_listed_one_is_not_read_into_a_listed_token() -> None:
    query = NameForm(("widget",), ("sa",))
    listed = NameForm(("widget", "sa"), ("sa",))
    assert combine(query, listed, [(1.0, 0, 0)], explain=True) == (
        88.24,
        (TokenMatch("widget", "widget", 1.0), TokenMatch("sa", "sa", 1.0)),
    )


def test_generic_words_take_their_one_spelling() -> None:
    (form,) = analyse("Gefest Holdings Grupo")
    assert form.weak == ("holding", "group")
    (form,) = analyse("Gefest Intl Trade")
    assert form.weak == ("international", "trading")


def test_screen_many_gives_five_matches_a_name_by_default() -> None:
    names = [
        "IVANOV, Sergey",
        "IVANOV, Sergei",
        "IVANOVA, Sergey",
        "IVANOV, Serge",
        "IVANOVS, Sergey",
        "IVANOV, Sergey Borisovich",
        "IVANOV, Sergey Petrovich Alexandrovich",
    ]
    parties = [
        ListedParty("OFAC SDN", str(n), name, PartyKind.INDIVIDUAL) for n, name in enumerate(names)
    ]
    matcher = Matcher(parties, threshold=70)
    assert len(matcher.screen("Sergey Ivanov", limit=100)) == 7  # seven, no tie at the fifth
    (found,) = matcher.screen_many(["Sergey Ivanov"])
    assert [m.party.entry_id for m in found] == ["0", "1", "2", "4", "3"]
    assert [m.party.entry_id for m in matcher.screen("Sergey Ivanov", limit=1)] == ["0"]


def test_each_listed_weak_word_takes_one_mistyped_query_word() -> None:
    query = NameForm(("acme", "grop", "gruop"))
    listed = NameForm(("acme",), ("group", "group"))
    assert combine(query, listed, [(1.0, 0, 0)], explain=True) == (
        93.79,
        (
            TokenMatch("acme", "acme", 1.0),
            TokenMatch("grop", "group", 0.9),
            TokenMatch("gruop", "group", 0.9),
        ),
    )


def test_a_listed_initial_explains_only_a_query_word_with_its_letter() -> None:
    # Brown does not start with J: the listed initial stays unexplained.
    query = NameForm(("smith", "brown"))
    listed = NameForm(("smith",), (), ("j",))
    assert combine(query, listed, [(1.0, 0, 0)], explain=True) == (
        66.67,
        (TokenMatch("smith", "smith", 1.0),),
    )


def test_two_weak_words_of_the_query_read_as_two_listed_words() -> None:
    query = NameForm(("widget",), ("sa", "sa"))
    listed = NameForm(("widget", "sa", "sa"))
    assert combine(query, listed, [(1.0, 0, 0)], explain=True) == (
        100.0,
        (
            TokenMatch("widget", "widget", 1.0),
            TokenMatch("sa", "sa", 1.0),
            TokenMatch("sa", "sa", 1.0),
        ),
    )


def test_a_threshold_of_100_finds_a_name_typed_exactly() -> None:
    # The index may skip a form only when its bound is below the threshold, less the
    # rounding of scores; at 100 an exact name's bound is exactly 100.
    party = ListedParty("OFAC SDN", "1", "IVANOV, Sergey", PartyKind.INDIVIDUAL)
    (found,) = Matcher([party], threshold=100).screen("Sergey Ivanov")
    assert found.score == 100.0


def test_parties_that_tie_are_listed_by_source_and_entry() -> None:
    parties = [
        ListedParty("OFAC SDN", entry, "ABU MUHAMMAD", PartyKind.INDIVIDUAL)
        for entry in ("30", "20", "10")
    ]
    found = Matcher(parties).screen("Abu Muhammad")
    assert [m.party.entry_id for m in found] == ["10", "20", "30"]


def test_screen_many_passes_its_limit_on() -> None:
    names = ["IVANOV, Sergey", "IVANOV, Sergei", "IVANOVA, Sergey"]
    parties = [
        ListedParty("OFAC SDN", str(n), name, PartyKind.INDIVIDUAL) for n, name in enumerate(names)
    ]
    (found,) = Matcher(parties, threshold=70).screen_many(["Sergey Ivanov"], limit=1)
    assert [m.party.entry_id for m in found] == ["0"]


def test_one_listed_weak_word_takes_one_mistyped_query_word_only() -> None:
    query = NameForm(("acme", "grop", "gruop"))
    listed = NameForm(("acme",), ("group",))
    assert combine(query, listed, [(1.0, 0, 0)], explain=True) == (
        66.37,
        (TokenMatch("acme", "acme", 1.0), TokenMatch("grop", "group", 0.9)),
    )


def test_an_explained_similarity_has_three_decimals() -> None:
    party = ListedParty("OFAC SDN", "1", "HUSSEIN, Saddam", PartyKind.INDIVIDUAL)
    (found,) = Matcher([party]).screen("Saddam Husayn")
    assert [(t.query, t.listed, t.similarity) for t in found.tokens] == [
        ("saddam", "saddam", 1.0),
        ("husayn", "hussein", 0.871),  # 0.8708…
    ]


def test_a_query_initial_that_pairs_with_nothing_does_not_stop_the_next() -> None:
    query = NameForm(("smith",), (), ("x", "j"))
    listed = NameForm(("john", "smith"))
    assert combine(query, listed, [(1.0, 0, 1)], explain=True) == (
        84.13,
        (TokenMatch("smith", "smith", 1.0), TokenMatch("j", "john", 0.5)),
    )


def test_a_particle_after_a_legal_form_still_joins_the_next_word() -> None:
    assert [f.tokens for f in analyse("Acme LLC Al Rashid")] == [
        ("acme", "rashid"),
        ("acme", "alrashid"),
    ]


def test_a_word_hyphenated_to_a_legal_phrase_is_no_particle() -> None:
    # "Company-Al": the al is the end of a hyphenated word (as the ad of Sa'ad), so it
    # does not join Rashid; the phrase's last word says so, not its second-to-last.
    assert [f.tokens for f in analyse("Acme Limited Liability Company-Al Rashid")] == [
        ("acme", "rashid"),
    ]


def test_the_second_word_of_a_hyphenated_first_word_is_kept_as_written() -> None:
    # "Alpha-Company": the company is part of the name's first word, not its legal
    # form, as in the middle of a name ("Company-Al" above).
    assert [f.tokens for f in analyse("Alpha-Company")] == [("alpha", "company"), ("alphacompany",)]


def test_a_legal_phrase_takes_a_word_one_edit_off_but_not_two() -> None:
    # Compnay is Company with two letters swapped (one edit); Ompanyc is two edits
    # away, though it shares a deletion key with Company: it stays a word of the name.
    (one,) = analyse("Gefest Limited Liability Compnay")
    assert (one.tokens, one.weak) == (("gefest",), ("llc",))
    (two,) = analyse("Gefest Limited Liability Ompanyc")
    assert (two.tokens, two.weak) == (("gefest", "ompanyc"), ("llc",))


# The legal-form table and the near-spelling vocabularies are built while the module is
# imported; their builders are called here directly, so that a change to them is seen.


def test_a_phrase_is_also_spelled_with_two_neighbouring_words_run_together() -> None:
    assert _run_together(("a", "b", "c", "d")) == [
        ("a", "b", "c", "d"),
        ("ab", "c", "d"),
        ("a", "bc", "d"),
        ("a", "b", "cd"),
    ]
    assert _run_together(("llc",)) == [("llc",)]


def test_a_near_word_is_found_one_typing_error_away_and_no_further() -> None:
    near = _NearWords(frozenset({"company", "stock"}))
    assert near.words == {"company", "stock"}
    assert near.get("stock") == "stock"
    assert near.get("compnay") == "company"  # two letters swapped
    assert near.get("stok") == "stock"  # a letter left out
    assert near.get("stocks") == "stock"  # a letter added
    assert near.get("stack") == "stock"  # a letter changed
    assert near.get("ompanyc") == "ompanyc"  # two edits: a word of its own
    assert near.get("widget") == "widget"


def test_a_near_word_between_two_words_is_read_as_the_first_in_order() -> None:
    assert _NearWords(frozenset({"cat", "bat"})).get("at") == "bat"
