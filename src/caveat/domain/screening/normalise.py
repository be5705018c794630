"""Name normalisation for matching: script, case, punctuation, order and filler words.

Names arrive in many scripts and spellings (Cyrillic, Arabic, ``Muhammad``, ``MOHAMMED``)
and in list order (``KOJIC, Radomir``). Everything is transliterated to ASCII
(anyascii), lower-cased, stripped of punctuation and of words that carry no identity
(legal forms, honorifics), and compared as tokens so that order does not matter.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import jellyfish
from anyascii import anyascii

# Words that distinguish no party: legal forms and honorifics seen in sanctions lists.
FILLER = frozenset(
    """
    co company corp corporation inc incorporated ltd limited llc plc gmbh ag sa sarl sas
    spa srl bv nv oy ab as jsc ojsc cjsc pjsc ooo zao oao fze fzco fzc llp lp kg
    the of and de del da di la le el al
    mr mrs ms dr prof sheikh shaykh sheik haji hajji general gen col colonel capt
    """.split()
)
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=65536)
def normalise_name(name: str) -> str:
    """ASCII, lower case, punctuation to spaces, filler words out, tokens sorted."""
    return " ".join(sorted(_tokens(name)))


def _tokens(name: str) -> list[str]:
    text = anyascii(unicodedata.normalize("NFKC", name)).lower()
    # Apostrophes and hyphens inside names join their parts (al-Zawahiri, O'Brien).
    text = re.sub(r"(?<=[a-z])['`-](?=[a-z])", "", text)  # anyascii made quotes ASCII
    tokens = [t for t in _NON_ALNUM.split(text) if t]
    kept = [t for t in tokens if t not in FILLER]
    return kept or tokens  # a name made only of filler words is still a name


def token_keys(name: str) -> list[frozenset[str]]:
    """Blocking keys per token: its phonetic code, its first and its last three letters.

    Two spellings of one token share a key when they sound alike (Metaphone), start
    alike or end alike, so one typo anywhere in a token still leaves a shared key,
    while candidate sets stay small.
    """
    keys: list[frozenset[str]] = []
    for token in normalise_name(name).split():
        if len(token) < 2:
            continue
        token_keys = {"s:" + token[:3], "e:" + token[-3:]}
        if phonetic := jellyfish.metaphone(token):
            token_keys.add("p:" + phonetic)
        keys.append(frozenset(token_keys))
    return keys


def name_keys(name: str) -> frozenset[str]:
    """Every blocking key of every token of ``name``."""
    return frozenset().union(*token_keys(name))
