"""Nations: ISO 3166-1 alpha-3 codes, checked against the ISO register (pycountry)."""

from __future__ import annotations

import re
from functools import cache

import pycountry

from caveat.domain.errors import InvalidInput

_TRIGRAPH = re.compile(r"^[A-Z]{3}$")


@cache
def _names() -> dict[str, str]:
    return {c.alpha_3: c.name for c in pycountry.countries}


def is_nation(code: str) -> bool:
    """True when ``code`` is an assigned ISO 3166-1 alpha-3 code (upper case)."""
    return code in _names()


def nation_name(code: str) -> str:
    """The ISO short name of a nation; raises InvalidInput for an unknown code."""
    return _names()[require_nation(code)]


def require_nation(code: str, *, field: str = "nation") -> str:
    """Return ``code`` if it is an ISO 3166-1 alpha-3 code, else raise InvalidInput."""
    if not _TRIGRAPH.match(code):
        raise InvalidInput(
            f"{code!r} is not a three-letter country code",
            code="invalid_nation",
            field=field,
            hint="use ISO 3166-1 alpha-3 in capitals, for example USA, GBR, FRA",
        )
    if code not in _names():
        raise InvalidInput(
            f"{code!r} is not an ISO 3166-1 alpha-3 country code",
            code="invalid_nation",
            field=field,
            hint="see https://www.iso.org/obp/ui/#search for the register",
        )
    return code


def all_nations() -> dict[str, str]:
    """Every ISO alpha-3 code with its short name."""
    return dict(_names())
