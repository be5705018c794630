"""Denied-party screening: 10,000 names against a 20,000-entry list, with recall and
precision on a generated, labelled set of perturbed names.

The list is the real OFAC SDN list of 2024-05-03 (tests/data/screening) topped up with
synthetic parties to 20,000 entries. Queries: half are real listed names perturbed
(typos, transliteration variants, reordered tokens, an alias instead of the primary
name, case and punctuation), half are synthetic names not on the list. Peer in the same
run: a brute-force rapidfuzz ``process.extract`` over every (query, name) pair — the
blocking index must find what brute force finds, faster.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

from benchmarks.common import write_result
from caveat.domain.screening import ListedParty, Matcher, PartyKind, parse_ofac_sdn

SDN = Path(__file__).parents[1] / "tests" / "data" / "screening" / "sdn-2024-05-03.csv"

GIVEN = (
    "Anna Boris Chen Dmitri Elena Farid Giulia Hiroshi Ines Jamal Katarzyna Lars Mei "
    "Nikolai Olga Pierre Quentin Rosa Sven Tamar Ulrich Vera Wei Xavier Yusuf Zofia "
    "Amara Bjorn Carmen Dario Emeka Fatima Goran Hana Ivan Jonas Kemal Leila Marco"
).split()
FAMILY = (
    "Andersen Bauer Castillo Dimitrov Eriksen Fischer Garcia Horvat Ivanova Jansen "
    "Kowalski Lindqvist Moreau Novak Okafor Petrov Quist Rossi Schmidt Tanaka Ueda "
    "Varga Weber Xu Yilmaz Zhang Almeida Brennan Costa Duarte Engel Ferreira Gallo "
    "Hughes Ibsen Jovanovic Keller Lopes Marsh Nakamura"
).split()
TRANSLIT = [
    ("mohammed", "muhammad"),
    ("ph", "f"),
    ("ou", "u"),
    ("kh", "h"),
    ("y", "i"),
    ("ei", "ey"),
    ("j", "dj"),
    ("sh", "ch"),
    ("ck", "k"),
    ("ee", "i"),
]


def _typo(rng: random.Random, name: str) -> str:
    letters = [i for i, c in enumerate(name) if c.isalpha()]
    if len(letters) < 4:
        return name
    i = rng.choice(letters[1:-1])
    op = rng.randrange(3)
    if op == 0:
        return name[:i] + name[i + 1 :]  # deletion
    if op == 1:
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]  # transposition
    return name[:i] + rng.choice("aeiounrst") + name[i + 1 :]  # substitution


def _translit(rng: random.Random, name: str) -> str:
    lower = name.lower()
    options = [(a, b) for a, b in TRANSLIT if a in lower] + [
        (b, a) for a, b in TRANSLIT if b in lower
    ]
    if not options:
        return _typo(rng, name)
    a, b = rng.choice(options)
    return lower.replace(a, b, 1)


def _reorder(rng: random.Random, name: str) -> str:
    tokens = name.replace(",", " ").split()
    rng.shuffle(tokens)
    return " ".join(tokens)


def perturb(rng: random.Random, party: ListedParty) -> str:
    """A realistic variant of one of the party's names."""
    name = rng.choice(party.names) if party.aliases and rng.random() < 0.3 else party.name
    variant = rng.choice([_typo, _translit, _reorder, lambda r, n: n.title().replace(",", "")])
    return variant(rng, name)


def synthetic(rng: random.Random) -> str:
    return f"{rng.choice(GIVEN)} {rng.choice(GIVEN)} {rng.choice(FAMILY)}-{rng.choice(FAMILY)}"


def run(n_queries: int = 10_000, list_size: int = 20_000) -> dict[str, Any]:
    rng = random.Random(20261125)
    parties = parse_ofac_sdn(SDN.read_text(encoding="latin-1"))
    for i in range(list_size - len(parties)):
        parties.append(
            ListedParty(
                "synthetic",
                f"x{i}",
                f"{rng.choice(FAMILY)} {rng.choice(GIVEN)} {rng.choice(FAMILY)} Trading Co",
                PartyKind.ENTITY,
            )
        )
    # Names of individuals and entities with at least two tokens make fair positives.
    eligible = [p for p in parties if p.source == "OFAC SDN" and len(p.name.split()) >= 2]
    positives = [(perturb(rng, p), p) for p in rng.sample(eligible, n_queries // 2)]
    negatives = [synthetic(rng) for _ in range(n_queries - len(positives))]

    started = time.perf_counter()
    matcher = Matcher(parties)
    index_s = time.perf_counter() - started
    queries = [q for q, _ in positives] + negatives
    started = time.perf_counter()
    results = matcher.screen_many(queries)
    screen_s = time.perf_counter() - started

    found = sum(
        1
        for (_, party), hits in zip(positives, results, strict=False)
        if any(h.party is party for h in hits)
    )
    hits_total = sum(len(h) for h in results)
    correct = sum(
        1
        for (_, party), hits in zip(positives, results, strict=False)
        for h in hits
        if h.party is party
    )
    false_on_negatives = sum(1 for hits in results[len(positives) :] if hits)
    result = {
        "list_entries": len(parties),
        "list_names_with_aliases": len(matcher),
        "queries": len(queries),
        "index_build_s": round(index_s, 2),
        "screen_s": round(screen_s, 2),
        "per_query_ms": round(screen_s / len(queries) * 1000, 3),
        "recall": round(found / len(positives), 4),
        "precision_all_hits": round(correct / hits_total, 4) if hits_total else None,
        "negatives_with_any_hit": round(false_on_negatives / len(negatives), 4),
    }
    result["peer_bruteforce"] = _bruteforce(matcher, queries[:1000])
    write_result("screening", result)
    return result


def _bruteforce(matcher: Matcher, queries: list[str]) -> dict[str, Any]:
    """rapidfuzz over every (query, name) pair, for 1,000 queries (scaled to 10,000)."""
    from rapidfuzz import fuzz, process

    from caveat.domain.screening import normalise_name

    names = [normalise_name(n) for _, n, _ in matcher._names]
    normalised = [normalise_name(q) for q in queries]
    started = time.perf_counter()
    for query in normalised:
        process.extract(
            query, names, scorer=fuzz.token_sort_ratio, score_cutoff=matcher.threshold, limit=None
        )
    elapsed = time.perf_counter() - started
    return {
        "queries": len(queries),
        "s": round(elapsed, 2),
        "scaled_to_10000_s": round(elapsed * 10_000 / len(queries), 2),
    }


if __name__ == "__main__":
    print(run())
