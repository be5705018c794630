"""The index's pruning and memory, counted as work: how many listed forms a screening
scores in full, and how many token pairs it compares letter by letter.

Every bound in ``Matcher._score_forms`` may skip only forms that cannot reach the
threshold; the brute-force laws in ``test_screening_matching.py`` check that direction.
This checks the other: a change that loosens a bound, or forgets a remembered
similarity, gives the same matches more slowly, by doing more of this work. The counts
are what the index did when this was written, over a fixed, seeded set of queries made
from the real list; a change that tightens the index lowers them (update the numbers),
one that loosens it fails here.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from caveat.domain.screening import ListedParty, Matcher, parse_ofac_sdn
from caveat.domain.screening import matcher as matcher_module

SDN = Path(__file__).parents[2] / "data" / "screening" / "sdn-2024-05-03.csv"
SCORED = 8_655  # forms scored in full for the queries over the list, 2026-12-07
COMPARED = 13_884  # pairs of differing tokens compared letter by letter (edit distance)


@pytest.fixture(scope="module")
def sdn() -> list[ListedParty]:
    return parse_ofac_sdn(SDN.read_text(encoding="latin-1"))


def _queries(parties: list[ListedParty]) -> list[str]:
    """Names as listed, with a letter left out, with their words reversed, with the first
    word cut to its initial, and with a legal form added: the shapes each bound serves."""
    rng = random.Random(20261207)
    out = []
    for party in rng.sample(parties, 150):
        name = rng.choice(party.names).replace(",", " ")
        words = name.split()
        longest = max(range(len(words)), key=lambda i: len(words[i]))
        cut = rng.randrange(len(words[longest]))
        typo = words[longest][:cut] + words[longest][cut + 1 :]
        out += [
            name,
            " ".join([*words[:longest], typo, *words[longest + 1 :]]),
            " ".join(reversed(words)),
            " ".join([words[0][:1], *words[1:]]),
            f"{name} Limited",
        ]
    return out


def _counting(calls: dict[str, int], name: str) -> Callable[..., object]:
    real = getattr(matcher_module, name)

    def count(*args: object, **kwargs: object) -> object:
        calls[name] += 1
        return real(*args, **kwargs)

    return count


def test_the_index_does_no_more_work_than_it_did(
    sdn: list[ListedParty], monkeypatch: pytest.MonkeyPatch
) -> None:
    matcher = Matcher(sdn)
    calls = {"combine": 0, "_edit_similarity": 0}
    for name in calls:
        monkeypatch.setattr(matcher_module, name, _counting(calls, name))
    for query in _queries(sdn):
        matcher.screen(query)
    print("work:", calls)
    assert calls["combine"] <= SCORED
    assert calls["_edit_similarity"] <= COMPARED
