"""Name normalisation for matching: script, case, punctuation, legal forms and weak words.

Names arrive in many scripts and spellings (Cyrillic, Arabic, ``Muhammad``, ``MOHAMMED``),
in list order (``KOJIC, Radomir``), with hyphens and apostrophes typed or not
(``al-Zawahiri``, ``Al Zawahiri``, ``Alzawahiri``) and legal forms spelled many ways
(``LLC``, ``L.L.C.``, ``Limited Liability Company``, ``OOO``). A name is analysed into
one or two *forms*, each a bag of tokens of three sorts:

- distinctive tokens: what identifies the party (``zawahiri``, ``ayman``, ``gefest``);
- weak tokens: legal forms (one canonical spelling per form: ``llc``, ``jsc``, ``ltd``,
  ``sa`` ...), generic words (``trading``, ``international``, ``group`` ...), particles
  (``al``, ``de``, ``van`` ...) and honorifics; they count little and find nothing alone;
- initials: single letters (``S.`` in ``S. Ivanov``).

The *split* form breaks words at hyphens and apostrophes (``al zawahiri``); the *joined*
form (made only when it differs) closes them up and joins particles to the following
word (``alzawahiri``), so that every way of typing them meets one form of the listed name.
Everything is transliterated to ASCII (anyascii) and lower-cased first; dotted
abbreviations that spell a legal form are closed up (``L.L.C.`` is ``llc``), and a word
one typing error away from a long weak word is read as that word (``Lmited``).

Token comparison helpers live here too: the transliteration fold (``kh``/``h``,
``y``/``i``, ``dzh``/``j``, doubled letters ...), a vowel-blind key (``Mohammed`` and
``Muhammad`` share it) and the blocking keys (every one-letter deletion of the token and
of its fold), which two tokens one edit apart always share.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from anyascii import anyascii
from rapidfuzz.distance import OSA

PARTICLES = frozenset(
    """
    al el ul ad as ash at az ar an bin ibn bint ben bou
    de del della dela der den di da du dos das do la le les los van von ter ten
    """.split()
)
HONORIFICS = frozenset(
    """
    mr mrs ms dr prof general gen col colonel capt
    """.split()
)
# Words that start a name and join the next word in the joined form (Abu Bakr, Abubakr).
_JOINERS = PARTICLES | frozenset("abu abd abdel abdul abdal mc mac st".split())

# Legal forms, each with its canonical token and the spellings that mean it.
_LEGAL_FORMS: dict[str, tuple[str, ...]] = {
    "llc": (
        "llc",
        "ooo",
        "too",
        "tov",
        "limited liability company",
        "limited liability co",
        "limited liability",
        "obshchestvo s ogranichennoi otvetstvennostyu",
        "obshchestvo s ogranichennoy otvetstvennostyu",
        "obshchestvo s ogranichennoi otvetstvennostiu",
        "obshchestvo s ogranichennoy otvetstvennostiu",
        "tovarystvo z obmezhenoiu vidpovidalnistiu",
        "sp z oo",
        "spolka z ograniczona odpowiedzialnoscia",
    ),
    "jsc": (
        "jsc",
        "ao",
        "pjsc",
        "pao",
        "cjsc",
        "zao",
        "ojsc",
        "oao",
        "jsco",
        "joint stock company",
        "joint stock co",
        "public joint stock company",
        "closed joint stock company",
        "open joint stock company",
        "private joint stock company",
        "closed joint stock",
        "open joint stock",
        "public joint stock",
        "private joint stock",
        "aktsionernoe obshchestvo",
        "aktsionernoye obshchestvo",
        "publichnoe aktsionernoe obshchestvo",
        "zakrytoe aktsionernoe obshchestvo",
        "otkrytoe aktsionernoe obshchestvo",
        "joint stock",
    ),
    "ltd": ("ltd", "limited", "ltda", "limitada"),
    "co": ("co", "company", "compania", "companhia", "compagnie", "kompaniya", "cia"),
    "corp": ("corp", "corporation", "corporacion"),
    "inc": ("inc", "incorporated"),
    "sa": (
        "sa",
        "sociedad anonima",
        "societe anonyme",
        "sal",
        "sae",
        "saog",
        "sak",
        "sas",
        "sa de cv",
        "sapi de cv",
        "ca",
    ),
    "srl": (
        "srl",
        "sarl",
        "s de rl",
        "s de rl de cv",
        "sociedad de responsabilidad limitada",
    ),
    "gmbh": (
        "gmbh",
        "gesellschaft mit beschrankter haftung",
        "gesellschaft mit beschraenkter haftung",
    ),
    "plc": ("plc", "public limited company"),
    "fze": (
        "fze",
        "fzco",
        "fzc",
        "fzllc",
        "fz llc",
        "free zone establishment",
        "free zone company",
        "free zone",
    ),
    "llp": ("llp", "lp", "limited liability partnership", "limited partnership"),
    "pte": ("pte", "private", "pvt"),
    "bhd": ("bhd", "sdn bhd", "sdn", "berhad", "sendirian berhad"),
    "as": ("as", "anonim sirketi", "anonim sirket"),
    "ag": ("ag", "aktiengesellschaft"),
    "bv": ("bv", "nv", "besloten vennootschap"),
    "spa": ("spa",),
    "kg": ("kg",),
    "ab": ("ab", "aktiebolag"),
    "oy": ("oy", "oyj"),
    "ood": ("ood", "eood"),
    "doo": ("doo",),
}
GENERIC = frozenset(
    """
    trading trade international intl group grupo holding holdings industries industrial
    industry enterprises enterprise services service general commercial import export
    investment investments development global worldwide the and of for ve und et
    sirketi ticaret sanayi
    """.split()
)


def _run_together(words: tuple[str, ...]) -> list[tuple[str, ...]]:
    """A phrase and its spellings with two neighbouring words run together
    (``joint stock`` and ``jointstock``)."""
    return [words] + [
        (*words[:i], words[i] + words[i + 1], *words[i + 2 :]) for i in range(len(words) - 1)
    ]


_GENERIC_CANONICAL = {
    "holdings": "holding",
    "investments": "investment",
    "services": "service",
    "enterprises": "enterprise",
    "industries": "industry",
    "industrial": "industry",
    "trade": "trading",
    "intl": "international",
    "grupo": "group",
}
_PHRASES: dict[tuple[str, ...], str] = {
    variant: canonical
    for canonical, spellings in _LEGAL_FORMS.items()
    for spelling in spellings
    for variant in _run_together(tuple(spelling.split()))
}
_LONGEST_PHRASE = max(len(p) for p in _PHRASES)
_PHRASE_WORDS = frozenset(w for p in _PHRASES if len(p) > 1 for w in p)
LEGAL = frozenset(_LEGAL_FORMS)
WEAK = LEGAL | GENERIC | PARTICLES | HONORIFICS
_WEAK_WORDS = GENERIC | PARTICLES | HONORIFICS  # weak wherever they stand; legal forms
# only where they stand alone (the sa of Sa'ad is no société anonyme)
# Every one-word spelling of a weak token, with the weak token it stands for.
WEAK_SPELLINGS: dict[str, str] = {
    **{w: _GENERIC_CANONICAL.get(w, w) for w in GENERIC | PARTICLES | HONORIFICS},
    **{p[0]: canonical for p, canonical in _PHRASES.items() if len(p) == 1},
}
# Dotted abbreviations: letters and pairs of letters with dots between (S.AA., PS.A.),
# or single letters with dots and spaces between (S. A.).
_ABBREVIATION = re.compile(r"\b[a-z]{1,2}(?:\.[a-z]{1,2}\b)+\.?|\b[a-z](?:\s?\.\s?[a-z]\b)+\.?")
_SEPARATORS = re.compile(r"[^a-z0-9'`-]+")
_JOINS = re.compile(r"['`-]+")
_FOLD = (
    ("dzh", "j"),
    ("dj", "j"),
    ("zh", "j"),
    ("kh", "h"),
    ("gh", "g"),
    ("ph", "f"),
    ("th", "t"),
    ("sch", "sh"),
    ("tch", "ch"),
    ("ck", "k"),
    ("q", "k"),
    ("w", "v"),
    ("x", "ks"),
    ("tz", "ts"),
    ("ou", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("ie", "i"),
    ("y", "i"),
)
_DOUBLE = re.compile(r"(.)\1+")
_YO = re.compile(r"(?<=[bcdfghjklmnprstvz])yo")
_VOWELS = re.compile(r"[aeiou]")


LEGAL_WEIGHT = 0.5  # a legal form, often added or left out, counts half a weak word


def weak_weight(token: str) -> float:
    """The weight of a weak token: half for a legal form, else one."""
    return LEGAL_WEIGHT if token in LEGAL else 1.0


@dataclass(frozen=True, slots=True)
class NameForm:
    """One way of reading a name: its distinctive tokens, weak tokens and initials."""

    tokens: tuple[str, ...]
    weak: tuple[str, ...] = ()
    initials: tuple[str, ...] = ()
    # A distinctive token weighs its length, an initial or weak word 1, a legal form 0.5.
    total: float = field(init=False, compare=False)

    def __post_init__(self) -> None:
        weight = sum(len(t) for t in self.tokens) + sum(map(weak_weight, self.weak))
        object.__setattr__(self, "total", float(weight + len(self.initials)))


def _deletions(token: str) -> set[str]:
    return {token[:i] + token[i + 1 :] for i in range(len(token))}


class _NearWords:
    """Words of a fixed vocabulary, found from a word one typing error away."""

    def __init__(self, words: frozenset[str]) -> None:
        self.words = words
        self._by_key: dict[str, str] = {}
        for word in sorted(words):
            for key in _deletions(word) | {word}:
                self._by_key.setdefault(key, word)

    def get(self, word: str) -> str:
        """``word`` if it is a vocabulary word or near none, else the word it is near."""
        if word in self.words:
            return word
        for key in _deletions(word) | {word}:
            candidate = self._by_key.get(key)
            if candidate is not None and OSA.distance(word, candidate) <= 1:
                return candidate
        return word


# One word of a legal phrase, of four letters or more, may be mistyped (``Joitn Stock
# Company``) if the phrase has three words or more or the word six letters or more.
_NEAR_PHRASE = _NearWords(frozenset(w for p in _PHRASES if len(p) > 1 for w in p if len(w) >= 4))


def _close_abbreviation(match: re.Match[str]) -> str:
    """``L.L.C.`` is ``llc``; so is a mistyped ``S.AA.`` (``saa``, one letter from ``sa``)
    if no part is a particle (``J. Al-Haq`` stays)."""
    parts = re.findall(r"[a-z]+", match.group(0))
    letters = "".join(parts)
    if letters in _PHRASES_ONE_WORD or (
        len(letters) >= 3
        and _NEAR_ABBREVIATION.get(letters) in _PHRASES_ONE_WORD
        and not any(p in PARTICLES for p in parts)
    ):
        return f" {letters} "
    return match.group(0)


_PHRASES_ONE_WORD = frozenset(p[0] for p in _PHRASES if len(p) == 1) | {"cv", "rl"}
_NEAR_ABBREVIATION = _NearWords(frozenset(w for w in _PHRASES_ONE_WORD if len(w) >= 2))


def _words(name: str) -> list[tuple[str, bool]]:
    """Lower-case ASCII words in order, each with whether it was joined to the next one
    by a hyphen or an apostrophe."""
    text = anyascii(unicodedata.normalize("NFKC", name)).lower()
    text = _ABBREVIATION.sub(_close_abbreviation, text)
    words: list[tuple[str, bool]] = []
    for chunk in _SEPARATORS.split(text):
        parts = [p for p in _JOINS.split(chunk) if p]
        words += [(part, i < len(parts) - 1) for i, part in enumerate(parts)]
    return words


def _canonical(words: list[tuple[str, bool]]) -> list[tuple[str, bool, bool]]:
    """Legal-form phrases to their canonical token, generic words to theirs:
    (word, joined to the next, is a legal form)."""
    plain = [w for w, _ in words]
    # A phrase has at most one mistyped word, so it has an exact phrase word in its
    # first two: elsewhere no phrase starts, and most names have none at all.
    starts = [
        w in _PHRASE_WORDS or (i + 1 < len(plain) and plain[i + 1] in _PHRASE_WORDS)
        for i, w in enumerate(plain)
    ]
    near: dict[int, str] = {}
    out: list[tuple[str, bool, bool]] = []
    i = 0
    while i < len(words):
        for length in range(min(_LONGEST_PHRASE, len(words) - i), 1, -1) if starts[i] else ():
            exact = tuple(plain[i : i + length])
            canonical = _PHRASES.get(exact)
            if canonical is None:
                for k in range(i, i + length):
                    if k not in near:
                        near[k] = _NEAR_PHRASE.get(plain[k]) if len(plain[k]) >= 4 else plain[k]
                spelled = tuple(near[k] for k in range(i, i + length))
                mistyped = [a for a, b in zip(exact, spelled, strict=True) if a != b]
                if len(mistyped) == 1 and (length >= 3 or len(mistyped[0]) >= 6):
                    canonical = _PHRASES.get(spelled)
            if canonical is not None:
                out.append((canonical, words[i + length - 1][1], True))
                i += length
                break
        else:
            word, joined = words[i]
            if joined or (i > 0 and words[i - 1][1]):  # part of al-Nayef, Sa'ad: as it is
                out.append((word, joined, False))
            elif (canonical := _PHRASES.get((word,))) is not None:
                out.append((canonical, False, True))
            else:
                out.append((_GENERIC_CANONICAL.get(word, word), joined, False))
            i += 1
    return out


Word = tuple[str, bool, bool]  # the word, joined to the next by - or ', a legal form


def _form(words: list[Word]) -> NameForm:
    tokens: list[str] = []
    weak: list[str] = []
    initials: list[str] = []
    for word, _, legal in words:
        if legal or word in _WEAK_WORDS:
            weak.append(word)
        elif len(word) == 1 and word.isalpha():
            initials.append(word)
        else:
            tokens.append(word)
    if not tokens:  # a name of weak words and letters only is still a name
        if len(initials) >= 2:
            tokens, initials = ["".join(initials)], []
        else:
            tokens, weak, initials = [*weak, *initials], [], []
    return NameForm(tuple(tokens), tuple(weak), tuple(initials))


def _joinable(word: Word) -> bool:
    text, _, legal = word
    return (
        not legal and len(text) >= 2 and text.isalpha() and (text not in WEAK or text in _JOINERS)
    )


def _joined(words: list[Word]) -> list[Word]:
    """Hyphenated and apostrophe-joined parts closed up, and particles joined to the next
    word (``al zawahiri`` -> ``alzawahiri``, ``abd al-rahman`` -> ``abdalrahman``)."""
    out: list[Word] = []
    pending = ""
    for i, (word, joined, legal) in enumerate(words):
        following = words[i + 1] if i + 1 < len(words) else None
        tail = i > 0 and words[i - 1][1]  # the ad of Sa'ad is no particle
        if (
            following is not None
            and not legal
            and not following[2]
            and (joined or (not tail and word in _JOINERS and _joinable(following)))
        ):
            pending += word
            continue
        out.append((pending + word, False, legal))
        pending = ""
    return out


@lru_cache(maxsize=65536)
def analyse(name: str) -> tuple[NameForm, ...]:
    """The name's split form, and its joined form when that differs."""
    words = _canonical(_words(name))
    if not words:
        return ()
    split = _form(words)
    family, comma, given = name.partition(",")
    if comma and given.strip():  # FAMILY, Given: particles join in the order names are said
        words = _canonical(_words(given)) + _canonical(_words(family))
    joined = _form(_joined(words))
    return (split,) if joined == split else (split, joined)


def normalise_name(name: str) -> str:
    """The split form's distinctive tokens and initials, sorted: ASCII, lower case, no
    punctuation, no legal forms or other weak words (unless the name has nothing else)."""
    forms = analyse(name)
    return " ".join(sorted(forms[0].tokens + forms[0].initials)) if forms else ""


@lru_cache(maxsize=262144)
def fold(token: str) -> str:
    """Transliteration variants to one spelling: kh/h, dzh/dj/zh/j, ph/f, y/i, ou/u, yo/e
    after a consonant, doubled letters once (``Mukhammad`` and ``Muhammad``, ``Yuriy`` and
    ``Iurii``, ``Fyodorov`` and ``Fedorov``)."""
    token = _YO.sub("e", token)  # Fyodor, Fedor; Pyotr, Petr (not Yong)
    for a, b in _FOLD:
        token = token.replace(a, b)
    return _DOUBLE.sub(r"\1", token)


def vowel_key(token: str) -> str:
    """The fold with every vowel one letter: ``Mohammed`` and ``Muhammad``, ``Hussein`` and
    ``Husayn`` share it. Empty for tokens shorter than four letters."""
    folded = fold(token)
    return "~" + _VOWELS.sub("a", folded) if len(folded) >= 4 else ""


@lru_cache(maxsize=65536)
def token_keys(token: str) -> frozenset[str]:
    """Blocking keys of one token: the token, its fold, every one-letter deletion of
    either, and its vowel key. Two tokens one edit (insertion, deletion, substitution,
    transposition) apart always share one, as do two spellings the fold makes equal.
    (Remembered for query tokens; an index computes its own once with the uncached
    :func:`blocking_keys`.)"""
    return blocking_keys(token)


def blocking_keys(token: str) -> frozenset[str]:
    """:func:`token_keys`, not remembered."""
    folded = fold(token)
    keys = {token, folded}
    if len(token) >= 2:
        keys |= _deletions(token)
    if len(folded) >= 2:
        keys |= _deletions(folded)
    if vowel := vowel_key(token):
        keys.add(vowel)
    return frozenset(keys)
