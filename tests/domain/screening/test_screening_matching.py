from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caveat.domain.screening import (
    ListedParty,
    Matcher,
    PartyKind,
    analyse,
    normalise_name,
    parse_ofac_sdn,
    score,
)

SDN = Path(__file__).parents[2] / "data" / "screening" / "sdn-2024-05-03.csv"

PARTIES = [
    ListedParty("OFAC SDN", "2676", "AL ZAWAHIRI, Dr. Ayman", PartyKind.INDIVIDUAL),
    ListedParty(
        "OFAC SDN",
        "8150",
        "CASTELLANOS GARZON, Henry",
        PartyKind.INDIVIDUAL,
        aliases=("ROMANA, Edison",),
    ),
    ListedParty("OFAC SDN", "306", "BANCO NACIONAL DE CUBA", PartyKind.ENTITY, aliases=("BNC",)),
    ListedParty("OFAC SDN", "9001", "MUKHAMMAD, Ruslan", PartyKind.INDIVIDUAL),
    ListedParty("OFAC SDN", "9002", "ALI, Ahmed Mohammed Hamed", PartyKind.INDIVIDUAL),
    ListedParty("OFAC SDN", "9003", "GEFEST-M LLC", PartyKind.ENTITY),
    ListedParty("OFAC SDN", "9004", "AL-MASRI, Abu Hafs", PartyKind.INDIVIDUAL),
    ListedParty("OFAC SDN", "9005", "INFOROS, OOO", PartyKind.ENTITY),
    ListedParty("OFAC SDN", "9006", "IVANOV, Sergey Borisovich", PartyKind.INDIVIDUAL),
]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(PARTIES)


@pytest.fixture(scope="module")
def sdn() -> list[ListedParty]:
    return parse_ofac_sdn(SDN.read_text(encoding="latin-1"))


@pytest.fixture(scope="module")
def sdn_matcher(sdn: list[ListedParty]) -> Matcher:
    return Matcher(sdn)


def test_normalisation_handles_script_case_order_and_weak_words() -> None:
    assert normalise_name("KOJIC, Radomir") == normalise_name("radomir   kojić")
    assert normalise_name("Мухаммад, Руслан") == normalise_name("Mukhammad Ruslan")
    assert normalise_name("Aster Avionik GmbH") == "aster avionik"
    assert normalise_name("The Company") == "co the"  # only weak words: kept as a name
    # Hyphens and apostrophes: a split form and a joined one.
    split, joined = analyse("O'Brien-Smith Ltd.")
    assert (split.tokens, split.initials, split.weak) == (("brien", "smith"), ("o",), ("ltd",))
    assert (joined.tokens, joined.weak) == (("obriensmith",), ("ltd",))
    # Particles join the following word in the order a name is said.
    assert [f.tokens for f in analyse("RUSDAN, Abu")] == [("rusdan", "abu"), ("aburusdan",)]
    # The sa of Sa'ad is no legal form.
    assert "sa" in analyse("Sa'ad Nayef")[0].tokens


@pytest.mark.parametrize(
    "spelling",
    [
        "Gefest LLC",
        "Gefest L.L.C.",
        "Gefest L.L.C",
        "Gefest Llc",
        "Gefest, LLC.",
        "Gefest Limited Liability Company",
        "Gefest Limited Liability",
        "Gefest OOO",
        "Obshchestvo s Ogranichennoi Otvetstvennostyu Gefest",
        "Limited Liabilty Company Gefest",  # a typing error inside the phrase
    ],
)
def test_legal_form_spellings_are_one_token(spelling: str) -> None:
    form = analyse(spelling)[0]
    assert (form.tokens, form.weak) == (("gefest",), ("llc",))


def test_joint_stock_spellings_are_one_token() -> None:
    spellings = [
        "JSC Airburg",
        "J.S.C. Airburg",
        "Joint Stock Company Airburg",
        "Joint-Stock Company Airburg",
        "Aktsionernoe Obshchestvo Airburg",
        "Airburg, AO",
        "PJSC Airburg",
        "Public Joint Stock Company Airburg",
    ]
    assert {analyse(s)[0].weak for s in spellings} == {("jsc",)}


@pytest.mark.parametrize(
    ("query", "entry"),
    [
        ("Ayman al-Zawahiri", "2676"),
        ("Aymen Zawahri", "2676"),  # two typing errors
        ("Henry Castellanos Garzon", "8150"),  # reordered
        ("Castelanos Garzon Henry", "8150"),  # typo
        ("Edison Romana", "8150"),  # an alias
        ("Banco Nacional de Cuba S.A.", "306"),  # legal form
        ("Мухаммад Руслан", "9001"),  # Cyrillic
        ("Muhammad Ruslan", "9001"),  # transliteration
        ("Gefest-M L.L.C.", "9003"),  # L.L.C. for LLC
        ("Gefest M Limited Liability Company", "9003"),
        ("Abu Hafs Al Masri", "9004"),  # hyphen typed as a space
        ("Abu Hafs Almasri", "9004"),  # hyphen left out
        ("Abuhafs Al-Masri", "9004"),  # the space after a particle left out
        ("Inforos LLC", "9005"),
        ("Inforos", "9005"),
        ("Sergey Ivanov", "9006"),  # middle name dropped
        ("S. B. Ivanov", "9006"),  # initials
        ("Sergei B. Ivanov", "9006"),
    ],
)
def test_variants_of_listed_names_are_found(matcher: Matcher, query: str, entry: str) -> None:
    assert entry in {m.party.entry_id for m in matcher.screen(query)}


@pytest.mark.parametrize(
    "query",
    ["John Smith", "Ahmed", "Mohammed", "Bank of Scotland", "Ivanov", "Abu", "Sergey Petrov", ""],
)
def test_unrelated_names_and_lone_common_names_do_not_match(matcher: Matcher, query: str) -> None:
    assert matcher.screen(query) == []


def test_one_match_per_party_best_first_with_the_tokens_that_paired(matcher: Matcher) -> None:
    matches = matcher.screen("Banco Nacional de Cuba")
    assert [m.party.entry_id for m in matches] == ["306"]
    assert matches[0].score == 100
    (found,) = matcher.screen("Aymna al-Zawahiri")  # a transposed letter in the given name
    assert found.party.entry_id == "2676"
    assert {(t.query, t.listed) for t in found.tokens} >= {("aymna", "ayman")}
    assert found.score == score("Aymna al-Zawahiri", "AL ZAWAHIRI, Dr. Ayman")


def test_ties_are_never_cut() -> None:
    """Eight parties under one name: screening that name returns all eight, whatever the
    limit; a ninth that scores less is cut."""
    parties = [
        ListedParty("OFAC SDN", str(n), "ABU MUHAMMAD", PartyKind.INDIVIDUAL) for n in range(8)
    ] + [ListedParty("OFAC SDN", "8", "ABU MUHAMMAD AL-MASRI", PartyKind.INDIVIDUAL)]
    matcher = Matcher(parties)
    found = matcher.screen("Abu Muhammad", limit=5)
    assert sorted(m.party.entry_id for m in found) == [str(n) for n in range(8)]
    assert {m.score for m in found} == {100}
    assert len(matcher.screen("Abu Muhammad", limit=10)) == 9


def test_every_listed_name_that_ties_finds_its_own_party(
    sdn: list[ListedParty], sdn_matcher: Matcher
) -> None:
    """The real list: names that more than five parties share (exactly or after
    normalisation) each find their own party among the matches."""
    by_form: dict[str, list[tuple[ListedParty, str]]] = {}
    for party in sdn:
        for name in party.names:
            by_form.setdefault(normalise_name(name), []).append((party, name))
    crowded = [pair for pairs in by_form.values() if len(pairs) > 3 for pair in pairs]
    assert len(crowded) > 30
    for party, name in crowded:
        assert party in [m.party for m in sdn_matcher.screen(name)], name


def test_hyphenated_individuals_typed_with_a_space_are_found(
    sdn: list[ListedParty], sdn_matcher: Matcher
) -> None:
    """Every listed individual with a hyphenated name, typed with spaces instead."""
    hyphenated = [p for p in sdn if p.kind is PartyKind.INDIVIDUAL and "-" in p.name]
    assert len(hyphenated) > 600
    missed = [
        p.name
        for p in hyphenated
        if p not in [m.party for m in sdn_matcher.screen(p.name.replace("-", " "))]
    ]
    assert missed == []


def _one_edit(rng: random.Random, name: str) -> str:
    """One insertion, deletion, substitution or transposition anywhere in one word."""
    words = [m.span() for m in re.finditer(r"[A-Za-z]{2,}", name)]
    start, end = rng.choice(words)
    i = rng.randrange(start, end)
    letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
    op = rng.randrange(4)
    if op == 0:
        return name[:i] + letter + name[i:]
    if op == 1:
        return name[:i] + name[i + 1 :]
    if op == 2:
        return name[:i] + letter + name[i + 1 :]
    j = min(i + 1, end - 1)
    return name[:i] + name[j] + name[i] + name[j + 1 :] if j > i else name


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_blocking_loses_no_one_edit_variant_the_score_accepts(
    seed: int, sdn: list[ListedParty], sdn_matcher: Matcher
) -> None:
    """A typing error anywhere (a transposed letter in a given name included): whenever
    the score accepts the variant against the name it was made from, the index finds it."""
    rng = random.Random(seed)
    party = rng.choice(sdn)
    name = rng.choice(party.names)
    if not re.search(r"[A-Za-z]{2,}", name):
        return
    variant = _one_edit(rng, name)
    if score(variant, name) >= sdn_matcher.threshold:
        assert party in [m.party for m in sdn_matcher.screen(variant, limit=1000)]


def _variant(rng: random.Random, name: str) -> str:
    """Reordered words and a few of: a typing error, an initial, a word twice, a word
    left out, a legal form, a hyphen as a space."""
    words = name.replace(",", " ").split() or ["x"]
    rng.shuffle(words)
    for _ in range(rng.randrange(1, 4)):
        i = rng.randrange(len(words))
        op = rng.randrange(6)
        if op == 0:
            words[i] = _one_edit(rng, words[i]) if re.search("[A-Za-z]{2}", words[i]) else "q"
        elif op == 1:
            words[i] = words[i][:1] + "."
        elif op == 2:
            words.insert(i, words[i])
        elif op == 3 and len(words) > 1:
            del words[i]
        elif op == 4:
            words.append(rng.choice(["LLC", "L.L.C.", "Ltd", "Trading", "Co", "Al", "Llc"]))
        else:
            words[i] = words[i].replace("-", " ")
    return " ".join(words)


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), threshold=st.sampled_from([70, 80, 88]))
def test_the_index_finds_exactly_what_brute_force_scoring_finds(
    seed: int, threshold: int, sdn: list[ListedParty]
) -> None:
    """Against a sample of the real list, the matcher returns every party some name of
    which the brute-force score accepts, with the same score, and nothing else."""
    rng = random.Random(seed)
    parties = [*PARTIES, *rng.sample(sdn, 300)]
    matcher = Matcher(parties, threshold=threshold)
    source = rng.choice(parties)
    query = _variant(rng, rng.choice(source.names))
    expected: dict[str, float] = {}
    for party in parties:
        best = max(score(query, name) for name in party.names)
        if best >= threshold:
            expected[party.entry_id] = max(best, expected.get(party.entry_id, 0.0))
    found = {m.party.entry_id: m.score for m in matcher.screen(query, limit=10_000)}
    assert found == expected
