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
import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from importlib import resources

from caveat.domain.errors import InvalidInput

_INVISIBLE = frozenset({"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"})
# Unicode's Default_Ignorable_Code_Point ranges (DerivedCoreProperties.txt): characters
# that render as nothing whatever their category (Hangul fillers are letters, variation
# selectors and the grapheme joiner are marks), plus the blank braille pattern.
_IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160),
    (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x206F), (0x2800, 0x2800), (0x3164, 0x3164), (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)  # fmt: skip
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def invisible(char: str) -> bool:
    """True for a character that shows nothing (or nothing of its own) in a name."""
    point = ord(char)
    return unicodedata.category(char) in _INVISIBLE or any(
        low <= point <= high for low, high in _IGNORABLE
    )


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
        if invisible(char):
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
    if _UUID.fullmatch(normal):
        # Lookups accept an id or a name: a name spelled as an id could stand in for
        # the row that has that id.
        raise InvalidInput(f"{what} may not look like an id", code="invalid_name", field=field)
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
