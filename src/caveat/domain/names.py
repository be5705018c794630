"""Names people read and look things up by: organisations (and their short names) and
projects.

A name is NFKC-normalised, its whitespace collapsed, and refused if it carries an
invisible character (control, format such as zero-width or bidi, private use,
unassigned). Two names clash when their skeletons agree: the UTS #39 skeleton (NFD,
every character replaced by its prototype from Unicode's confusables data, NFD again)
taken before and after case folding, so ``AFRL`` with a Cyrillic A (U+0410), ``afrl``
and ``AFRI`` are all one name. Lookups by name then find one row, never "the first row".
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable
from functools import cache
from importlib import resources

from caveat.domain.errors import InvalidInput

_INVISIBLE = frozenset({"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"})


@cache
def _prototypes() -> dict[str, str]:
    # Unicode confusables.txt (UTS #39) as a character -> prototype map; see the file's
    # "source" field for its provenance and scripts/confusables_to_json.py to rebuild it.
    text = resources.files("caveat.data").joinpath("confusables.json").read_text("utf-8")
    prototypes: dict[str, str] = json.loads(text)["prototypes"]
    return prototypes


def clean_name(text: str, *, field: str, what: str, shortest: int, longest: int) -> str:
    """``text`` as it will be stored: NFKC, single spaces, no invisible characters."""
    normal = " ".join(unicodedata.normalize("NFKC", text).split())
    for position, char in enumerate(normal):
        if unicodedata.category(char) in _INVISIBLE:
            raise InvalidInput(
                f"{what} may not contain the invisible character U+{ord(char):04X}",
                code="invisible_character",
                field=field,
                data={"position": position},
                hint="retype the name; text copied from elsewhere can carry hidden characters",
            )
    if not shortest <= len(normal) <= longest:
        raise InvalidInput(
            f"{what} needs {shortest} to {longest} characters", code="invalid_name", field=field
        )
    return normal


def _uts39_skeleton(text: str) -> str:
    prototypes = _prototypes()
    mapped = "".join(prototypes.get(char, char) for char in unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFD", mapped)


def skeleton(name: str) -> str:
    """A case-blind UTS #39 skeleton: equal skeletons look alike. The skeleton is taken
    before case folding too, so that a capital I still reads as a small L."""
    first = _uts39_skeleton(" ".join(unicodedata.normalize("NFKC", name).split()))
    return _uts39_skeleton(first.casefold())


def look_alike(name: str, existing: Iterable[str]) -> str | None:
    """The first of ``existing`` that ``name`` could be mistaken for, if any."""
    wanted = skeleton(name)
    return next((other for other in existing if skeleton(other) == wanted), None)
