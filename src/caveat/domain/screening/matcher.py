"""Fuzzy matching of names against a list, with a blocking index for speed.

Every name of every listed party is normalised once (script, case, punctuation,
filler words, token order). A query is compared only with names that share a
blocking key (a token that sounds or starts alike), scored with rapidfuzz:

- ``token_sort_ratio`` on the normalised names handles typos, transliteration
  variants and reordered tokens;
- ``token_set_ratio`` handles a missing or extra token (a middle name, "al"),
  counted only when the shorter name has at least two tokens, so that one common
  given name alone never matches a whole list.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from caveat.domain.screening.model import ListedParty
from caveat.domain.screening.normalise import name_keys, normalise_name, token_keys

DEFAULT_THRESHOLD = 88.0


@dataclass(frozen=True, slots=True)
class Match:
    """A candidate hit: which party, under which of its names, how close (0-100)."""

    party: ListedParty
    matched_name: str
    score: float


def score(query_normalised: str, name_normalised: str) -> float:
    """Similarity of two normalised names, 0-100."""
    best = fuzz.token_sort_ratio(query_normalised, name_normalised)
    shorter = min(query_normalised.count(" "), name_normalised.count(" ")) + 1
    if shorter >= 2:
        best = max(best, fuzz.token_set_ratio(query_normalised, name_normalised))
    return float(best)


class Matcher:
    """Screens names against a fixed set of listed parties."""

    def __init__(
        self, parties: Iterable[ListedParty], *, threshold: float = DEFAULT_THRESHOLD
    ) -> None:
        self.threshold = threshold
        self._names: list[tuple[ListedParty, str, str]] = []  # party, name, normalised
        self._token_counts: list[int] = []
        self._index: dict[str, list[int]] = defaultdict(list)
        for party in parties:
            for name in party.names:
                normalised = normalise_name(name)
                if not normalised:
                    continue
                position = len(self._names)
                self._names.append((party, name, normalised))
                self._token_counts.append(len(token_keys(name)))
                for key in name_keys(name):
                    self._index[key].append(position)

    def __len__(self) -> int:
        return len(self._names)

    def screen(self, name: str, *, limit: int = 5) -> list[Match]:
        """The best matches at or above the threshold, one per party, best first."""
        query = normalise_name(name)
        if not query:
            return []
        positions = self._candidates(name)
        if not positions:
            return []
        choices = [self._names[i][2] for i in positions]
        scores = self._scores(query, choices)
        best: dict[tuple[str, str], Match] = {}
        for position, value in zip(positions, scores, strict=True):
            if value < self.threshold:
                continue
            party, listed, _ = self._names[position]
            ident = (party.source, party.entry_id)
            if ident not in best or value > best[ident].score:
                best[ident] = Match(party, listed, value)
        return sorted(best.values(), key=lambda m: -m.score)[:limit]

    def _candidates(self, name: str) -> list[int]:
        """Names sharing a blocking key with at least two of the query's tokens.

        One shared token is enough when either name has a single token; otherwise both
        must agree on two tokens, which removes most of the common-given-name noise.
        """
        per_token = token_keys(name)
        counts: Counter[int] = Counter()
        for keys in per_token:
            counts.update(set().union(*(self._index.get(key, ()) for key in keys)))
        wanted = min(2, len(per_token))
        return [
            position
            for position, count in counts.items()
            if count >= min(wanted, self._token_counts[position])
        ]

    def _scores(self, query: str, choices: list[str]) -> list[float]:
        scores = [0.0] * len(choices)
        for _, value, index in process.extract_iter(
            query, choices, scorer=fuzz.token_sort_ratio, score_cutoff=self.threshold
        ):
            scores[index] = value
        if " " in query:
            for _, value, index in process.extract_iter(
                query, choices, scorer=fuzz.token_set_ratio, score_cutoff=self.threshold
            ):
                if " " in choices[index]:
                    scores[index] = max(scores[index], value)
        return scores

    def screen_many(self, names: Sequence[str], *, limit: int = 5) -> list[list[Match]]:
        """:meth:`screen` for each name."""
        return [self.screen(name, limit=limit) for name in names]
