"""Fuzzy matching of names against a list, with a blocking index that loses nothing.

Every name of every listed party is analysed once into its forms (normalise.py). Two
names are compared token by token:

- two distinctive tokens are *similar* only if they share a blocking key (one edit
  apart, equal after the transliteration fold, or equal but for their vowels); their
  similarity is 1 if equal, 0.95 if equal after the fold, else from their edit distance
  ``d`` (optimal string alignment, as written or folded) over the longer length ``n``:
  ``1 - (d - 0.5) / n`` (a first typing error costs half a letter; in a token of two
  letters only a swap does), at least 0.85 when only the vowels differ; below 0.75 they
  do not pair;
- tokens pair one to one, most similar first; an initial pairs with a token it begins
  (for half of that token); weak tokens (legal forms, generic words, particles) pair
  when equal, and a query word that pairs with nothing may pair with a weak word it is
  a typing error away from (``Lmited``) or, the other way, a listed word the query
  reads as weak;
- the query side's coverage ``Q`` is the weight of its tokens explained by the pairs
  (a distinctive token weighs its length, an initial or weak word one, a legal form
  half), the listed side's ``L`` likewise; the score is ``100 * (0.8 Q + 0.2 L)`` when
  two tokens pair (or every distinctive token of a one-token listed name), so a dropped
  middle name or generic word costs little, and ``100 * (Q + L) / 2`` otherwise;
- at least two distinctive tokens must pair unless either name has only one, so a
  common given name alone never matches a whole list.

The blocking index finds exactly the names this score can accept: a query token is
looked up by its keys (normalise.token_keys), which are the keys similarity is defined
by, and a listed form is skipped only when an upper bound of its score is below the
threshold (a Hypothesis test checks the index against the score run over every name).
A name's best form counts.

:meth:`Matcher.screen` returns the best ``limit`` parties, and every further party with
the same score as the last of them: ties are never cut.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA

from caveat.domain.screening.model import ListedParty
from caveat.domain.screening.normalise import (
    WEAK_SPELLINGS,
    NameForm,
    analyse,
    blocking_keys,
    fold,
    token_keys,
    vowel_key,
    weak_weight,
)

DEFAULT_THRESHOLD = 88.0
TOKEN_FLOOR = 0.75  # token similarity below which two tokens do not pair
FOLD_FACTOR = 0.95  # similarity after the transliteration fold counts a little less
VOWEL_SIMILARITY = 0.85  # two tokens that differ only in their vowels
SUBSET_WEIGHT = 0.8  # the query side's share of the score when two or more tokens pair
INITIAL_CREDIT = 0.5  # the share of a full token an initial explains
_SIMILAR_CACHE = 50_000  # query tokens whose similar tokens a matcher remembers
_COUNT = 1_000_000.0  # packs a count of query tokens beside their weight in one float


@dataclass(frozen=True, slots=True)
class TokenMatch:
    """One pair of tokens behind a match: the query's, the listed name's, how alike (0-1)."""

    query: str
    listed: str
    similarity: float


@dataclass(frozen=True, slots=True)
class Match:
    """A candidate hit: which party, under which of its names, how close (0-100), and
    which tokens paired."""

    party: ListedParty
    matched_name: str
    score: float
    tokens: tuple[TokenMatch, ...] = ()


def token_similarity(a: str, b: str) -> float:
    """Similarity of two distinctive tokens, 0-1; 0 unless they share a blocking key."""
    if a == b:
        return 1.0
    if token_keys(a).isdisjoint(token_keys(b)):
        return 0.0
    return _similarity(a, b)


def _edit_similarity(a: str, b: str) -> float:
    longest = max(len(a), len(b))
    # A first typing error costs half a letter; in a word of two letters, only swapping
    # them (Il, Li) does.
    first = 0.5 if longest >= 3 or sorted(a) == sorted(b) else 0.0
    return 1.0 - (OSA.distance(a, b) - first) / longest


def _similarity(a: str, b: str) -> float:
    """Similarity of two tokens known to share a blocking key."""
    if a == b:
        return 1.0
    fa, fb = fold(a), fold(b)
    if fa == fb:
        return 0.95
    value = max(_edit_similarity(a, b), FOLD_FACTOR * _edit_similarity(fa, fb))
    if value < VOWEL_SIMILARITY and vowel_key(a) and vowel_key(a) == vowel_key(b):
        value = VOWEL_SIMILARITY
    return value if value >= TOKEN_FLOOR else 0.0


Pairs = list[tuple[float, int, int]]  # similarity, query token, listed token

_WEAK_KEYS: dict[str, list[str]] = {}
for _spelling in sorted(WEAK_SPELLINGS):
    for _key in token_keys(_spelling):
        _WEAK_KEYS.setdefault(_key, []).append(_spelling)


@lru_cache(maxsize=65536)
def weak_similar(token: str) -> dict[str, float]:
    """The weak tokens ``token`` may be a mistyped spelling of (``Grop``, ``Lc``, ``Inic``),
    with their similarity: a query word that pairs with no distinctive token may pair
    with one of these in the listed name."""
    out: dict[str, float] = {}
    for key in token_keys(token):
        for spelling in _WEAK_KEYS.get(key, ()):
            value = _similarity(token, spelling)
            weak = WEAK_SPELLINGS[spelling]
            if value > out.get(weak, 0.0):
                out[weak] = value
    return out


def combine(
    query: NameForm, listed: NameForm, pairs: Pairs, *, explain: bool = False
) -> tuple[float, tuple[TokenMatch, ...]]:
    """The score (0-100) of two forms from the similar pairs of their distinctive tokens."""
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    used_q: set[int] = set()
    used_l: set[int] = set()
    q_gain = l_gain = 0.0
    paired = 0
    explained: list[TokenMatch] = []
    for value, i, j in pairs:
        if i in used_q or j in used_l:
            continue
        used_q.add(i)
        used_l.add(j)
        paired += 1
        q_gain += value * len(query.tokens[i])
        l_gain += value * len(listed.tokens[j])
        if explain:
            explained.append(TokenMatch(query.tokens[i], listed.tokens[j], round(value, 3)))
    if paired < min(2, len(query.tokens), len(listed.tokens)):
        return 0.0, ()
    initials = 0
    listed_initials = list(listed.initials)
    for letter in query.initials:
        j = next(
            (j for j, t in enumerate(listed.tokens) if j not in used_l and t.startswith(letter)),
            -1,
        )
        if j >= 0:
            used_l.add(j)
            q_gain += 1
            l_gain += INITIAL_CREDIT * len(listed.tokens[j])
            label = listed.tokens[j]
        elif letter in listed_initials:
            listed_initials.remove(letter)
            q_gain += 1
            l_gain += 1
            label = letter
        else:
            continue
        initials += 1
        if explain:
            explained.append(TokenMatch(letter, label, INITIAL_CREDIT))
    for letter in listed_initials:
        i = next(
            (i for i, t in enumerate(query.tokens) if i not in used_q and t.startswith(letter)),
            -1,
        )
        if i >= 0:
            used_q.add(i)
            l_gain += 1
            q_gain += INITIAL_CREDIT * len(query.tokens[i])
            initials += 1
            if explain:
                explained.append(TokenMatch(query.tokens[i], letter, INITIAL_CREDIT))
    if listed.weak or query.weak:
        left = Counter(listed.weak)
        unmatched = Counter(query.weak)
        common = unmatched & left
        for weak, times in common.items():
            q_gain += times * weak_weight(weak)
            l_gain += times * weak_weight(weak)
        left -= common
        unmatched -= common
        if explain:
            explained += [TokenMatch(w, w, 1.0) for w in sorted(common.elements())]
        for i, token in enumerate(query.tokens):  # a mistyped weak word: Lmited, Grop
            if i in used_q or not left:
                continue
            near = [(v, w) for w, v in weak_similar(token).items() if left[w]]
            if near:
                value, weak = max(near)
                left[weak] -= 1
                used_q.add(i)
                q_gain += value * len(token)
                l_gain += value * weak_weight(weak)
                if explain:
                    explained.append(TokenMatch(token, weak, round(value, 3)))
        for j, token in enumerate(listed.tokens):  # a listed word the query reads as weak:
            if j not in used_l and unmatched[token] > 0:  # the sa of Sa'ad typed Sa Ad
                unmatched[token] -= 1
                used_l.add(j)
                q_gain += weak_weight(token)
                l_gain += len(token)
                if explain:
                    explained.append(TokenMatch(token, token, 1.0))
    subset = paired + initials >= min(2, len(listed.tokens) + len(listed.initials))
    alpha = SUBSET_WEIGHT if subset else 0.5
    value = 100 * (alpha * q_gain / query.total + (1 - alpha) * l_gain / listed.total)
    return round(min(value, 100.0), 2), tuple(explained)


def score(query: str, name: str) -> float:
    """The score of two names, by brute force over their forms (what the index finds)."""
    best = 0.0
    for q in analyse(query):
        for listed in analyse(name):
            pairs = [
                (value, i, j)
                for i, a in enumerate(q.tokens)
                for j, b in enumerate(listed.tokens)
                if (value := token_similarity(a, b)) > 0
            ]
            best = max(best, combine(q, listed, pairs)[0])
    return best


class Matcher:
    """Screens names against a fixed set of listed parties."""

    def __init__(
        self, parties: Iterable[ListedParty], *, threshold: float = DEFAULT_THRESHOLD
    ) -> None:
        self.threshold = threshold
        self._names: list[tuple[ListedParty, str]] = []
        self._forms: list[NameForm] = []
        self._form_name: list[int] = []
        self._form_tokens: list[tuple[int, ...]] = []  # vocabulary ids of its tokens
        self._reach: list[tuple[float, ...]] = []  # listed share k pairs may explain
        self._vocabulary: dict[str, int] = {}
        self._tokens: list[str] = []
        self._folds: list[str] = []
        self._vowels: list[str] = []
        self._similar_cache: dict[str, dict[int, float]] = {}
        self._postings: list[list[int]] = []  # token -> forms
        # The same by kind of form: several tokens; one token; with initials.
        self._postings_by_kind: tuple[list[list[int]], ...] = ([], [], [])
        self._form_kind: list[int] = []
        self._keys: dict[str, tuple[int, ...]] = {}  # blocking key -> tokens
        keys: dict[str, list[int]] = {}
        for party in parties:
            for name in party.names:
                forms = analyse(name)
                if not forms:
                    continue
                self._names.append((party, name))
                for form in forms:
                    self._add(form, len(self._names) - 1, keys)
        # Tuples hold the same in less memory than the lists they were built in.
        self._keys = {key: tuple(ids) for key, ids in keys.items()}

    def _add(self, form: NameForm, name: int, keys: dict[str, list[int]]) -> None:
        position = len(self._forms)
        kind = 2 if form.initials else 1 if len(form.tokens) == 1 else 0
        self._form_kind.append(kind)
        self._forms.append(form)
        self._form_name.append(name)
        ids = []
        for token in form.tokens:
            index = self._vocabulary.get(token)
            if index is None:
                index = self._vocabulary[token] = len(self._tokens)
                self._tokens.append(token)
                self._folds.append(fold(token))
                self._vowels.append(vowel_key(token))
                self._postings.append([])
                for postings in self._postings_by_kind:
                    postings.append([])
                for key in blocking_keys(token):
                    keys.setdefault(key, []).append(index)
            if not self._postings[index] or self._postings[index][-1] != position:
                self._postings[index].append(position)
                self._postings_by_kind[kind][index].append(position)
            ids.append(index)
        self._form_tokens.append(tuple(ids))
        # The share of the form k paired tokens can explain at most, for k = 0, 1, ...
        lengths = sorted((len(t) for t in form.tokens), reverse=True)
        extra = sum(map(weak_weight, form.weak)) + len(form.initials)
        self._reach.append(
            tuple(
                min(1.0, (sum(lengths[:k]) + extra) / form.total) for k in range(len(lengths) + 1)
            )
        )

    def __len__(self) -> int:
        return len(self._names)

    def screen(self, name: str, *, limit: int = 5) -> list[Match]:
        """The best matches at or above the threshold, one per party, best first: the
        first ``limit``, and every further one scoring the same as the last of them."""
        best: dict[tuple[str, str], tuple[float, int, NameForm, int]] = {}
        for query in analyse(name):
            for value, form in self._score_forms(query):
                if value < self.threshold:
                    continue
                party, _ = self._names[self._form_name[form]]
                ident = (party.source, party.entry_id)
                if ident not in best or value > best[ident][0]:
                    best[ident] = (value, self._form_name[form], query, form)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))
        if len(ranked) > limit > 0:
            last = ranked[limit - 1][1][0]
            ranked = [kv for kv in ranked if kv[1][0] >= last]
        return [self._explain(*found) for _, found in ranked]

    def _similar(self, token: str) -> dict[int, float]:
        """Vocabulary tokens similar to ``token``, with their similarity (remembered for
        the next names: screening everyone meets the same tokens again and again)."""
        cached = self._similar_cache.get(token)
        if cached is not None:
            return cached
        candidates: set[int] = set()
        for key in token_keys(token):
            found = self._keys.get(key)
            if found is not None:
                candidates.update(found)
        folded, vowels = fold(token), vowel_key(token)
        out = {}
        for index in candidates:
            other = self._tokens[index]
            if other == token:
                out[index] = 1.0
                continue
            other_folded = self._folds[index]
            if other_folded == folded:
                out[index] = 0.95
                continue
            value = max(
                _edit_similarity(token, other),
                FOLD_FACTOR * _edit_similarity(folded, other_folded),
            )
            if value < VOWEL_SIMILARITY and vowels and vowels == self._vowels[index]:
                value = VOWEL_SIMILARITY
            if value >= TOKEN_FLOOR:
                out[index] = value
        if len(self._similar_cache) >= _SIMILAR_CACHE:
            self._similar_cache.clear()
        self._similar_cache[token] = out
        return out

    def _score_forms(self, query: NameForm) -> Iterable[tuple[float, int]]:
        """Every listed form that may reach the threshold, scored.

        A form is bounded from above by the weight of the query tokens it has a similar
        token for, plus what may pair otherwise (weak words, initials); only forms whose
        bound reaches the threshold are scored, and the bound never undercuts the score,
        so nothing the score would accept is skipped. Rare query tokens are looked up
        first: once the tokens left could not reach the threshold (or pair two tokens)
        by themselves, a form must hold a rare one, so only the rare ones' forms are
        visited and the common tokens (``Muhammad``) are only checked in those. Forms of
        one token, and forms with initials (where a token may count half through an
        initial), are visited by the same rule with their own bounds.
        """
        similar = {token: self._similar(token) for token in set(query.tokens)}
        multiplicity = Counter(query.tokens)
        free = sum(map(weak_weight, query.weak)) + len(query.initials)  # may pair anywhere
        weights: dict[str, float] = {}  # a query token's weight, times its multiplicity
        for token in similar:
            if weak_similar(token):  # may pair with a weak word of any form
                free += len(token) * multiplicity[token]
                weights[token] = 0.0
            else:
                weights[token] = float(len(token) * multiplicity[token])
        total = sum(weights.values())
        # score <= 100 * (Q + 1) / 2, so a form needs Q >= 2 T / 100 - 1.
        needed = (2 * self.threshold / 100 - 1) * query.total - free - 1e-9
        wanted = min(2, len(query.tokens))
        sizes = {t: sum(len(self._postings[i]) for i in found) for t, found in similar.items()}
        order = sorted(similar, key=lambda t: (sizes[t], t))

        def visit(viable: Callable[[float, int], bool]) -> tuple[set[str], float]:
            """The rarest tokens a form must hold one of: a form holding none of them has
            the rest's weight and count at most."""
            chosen: set[str] = set()
            rest, left = total, len(query.tokens)
            for token in order:
                if not viable(rest, left):
                    break
                chosen.add(token)
                rest -= weights[token]
                left -= multiplicity[token]
            return chosen, rest

        credit = INITIAL_CREDIT
        plan = (
            visit(lambda rest, left: rest >= needed and left >= wanted),  # several tokens
            ({t for t in similar if weights[t] >= needed}, 0.0),  # one token: one pair
            visit(lambda rest, left: rest * (1 - credit) + credit * total >= needed),
        )
        reach: dict[int, float] = {}  # per form: _COUNT per query token it has, + weight
        for kind, (visited, _) in enumerate(plan):
            postings = self._postings_by_kind[kind]
            for token in visited:
                found = similar[token]
                if not found:
                    continue
                step = _COUNT + len(token) if weights[token] else _COUNT
                for form in set().union(*(postings[index] for index in found)):
                    reach[form] = reach.get(form, 0.0) + step
        unchecked = [[t for t in similar if t not in visited] for visited, _ in plan]
        duplicates = len(similar) < len(query.tokens)
        floor = self.threshold - 0.01  # scores are rounded to two decimals
        for form, value in reach.items():
            tokens = self._form_tokens[form]
            kind = self._form_kind[form]
            if duplicates:  # a token twice in the query: count what the form can pair
                count = gain = 0.0
                for token, found in similar.items():
                    times = min(multiplicity[token], sum(1 for i in tokens if i in found))
                    count += times
                    gain += times * len(token) if weights[token] else 0.0
            else:
                count, gain = divmod(value, _COUNT)
                checked = unchecked[kind]
                if checked:
                    rest = plan[kind][1]
                    bound = gain + rest + (credit * (total - gain - rest) if kind == 2 else 0)
                    if kind != 1 and bound < needed:
                        continue
                    for token in checked:
                        if not similar[token].keys().isdisjoint(tokens):
                            count += 1
                            gain += weights[token]
            if count < min(wanted, len(tokens)):
                continue
            if kind == 2:  # a listed initial may explain half a token
                gain += credit * (total - gain)
            if gain < needed:
                continue
            # The listed side: at most one listed token per query token, initial or weak
            # word pairs.
            listed_reach = self._reach[form]
            q_max = min(1.0, (free + gain) / query.total)
            k = int(count) + len(query.initials) + len(query.weak)
            l_max = listed_reach[min(k, len(listed_reach) - 1)]
            bound = max(SUBSET_WEIGHT * q_max + (1 - SUBSET_WEIGHT) * l_max, (q_max + l_max) / 2)
            if 100 * bound < floor:
                continue
            pairs = [
                (similarity, i, j)
                for i, token in enumerate(query.tokens)
                for j, index in enumerate(tokens)
                if (similarity := similar[token].get(index, 0.0)) > 0
            ]
            yield combine(query, self._forms[form], pairs)[0], form

    def _explain(self, value: float, name: int, query: NameForm, form: int) -> Match:
        party, listed = self._names[name]
        tokens = self._form_tokens[form]
        pairs = [
            (similarity, i, j)
            for i, token in enumerate(query.tokens)
            for j, index in enumerate(tokens)
            if (similarity := token_similarity(token, self._tokens[index])) > 0
        ]
        _, explained = combine(query, self._forms[form], pairs, explain=True)
        return Match(party, listed, value, explained)

    def screen_many(self, names: Sequence[str], *, limit: int = 5) -> list[list[Match]]:
        """:meth:`screen` for each name."""
        return [self.screen(name, limit=limit) for name in names]
