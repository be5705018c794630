"""RFC 8785 canonical JSON through the standard library's C serialiser where that writes
the same bytes, and through the ``rfc8785`` package for anything else.

Labels, export classifications, content bindings and release packages are signed or
hashed as their canonical bytes; the pure-Python serialiser was a visible share of
receiving a partner's page of packages (several canonical documents per item).
``tests/federation/tdf/test_canonical_json.py`` holds the two byte-identical, errors
included, for any JSON value.
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical bytes of a JSON value.

    The values packages sign hold only strings, integers, booleans, null, arrays and
    objects: for those the standard library's C serialiser writes the same bytes, since
    it escapes strings exactly as RFC 8785 section 3.2.2.2 does (``"``, ``\\``, the
    two-letter escapes, ``\\u00xx`` for other controls, the rest as UTF-8), writes
    integers in decimal, and sorts names by code point, which is RFC 8785's UTF-16 order
    for names within the Basic Multilingual Plane. Anything else (a float, an integer
    outside the IEEE 754 safe range, a subclass, a name beyond the BMP, a lone
    surrogate) goes to ``rfc8785``, which also raises its errors."""
    if _plain(value):
        try:
            return json.dumps(
                value,
                ensure_ascii=False,
                separators=(",", ":"),
                sort_keys=True,
                check_circular=False,
            ).encode("utf-8")
        except (UnicodeEncodeError, RecursionError):
            pass  # a lone surrogate: rfc8785 says so in its own words
    return bytes(rfc8785.dumps(value))


_SAFE_INT = 2**53 - 1  # RFC 8785 numbers are IEEE 754 doubles: integers up to 2**53 - 1


def _plain(value: Any) -> bool:
    """Whether the fast path writes ``value`` exactly as RFC 8785 does."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if not -_SAFE_INT <= item <= _SAFE_INT:
                return False
        elif kind is list or kind is tuple:
            stack.extend(item)
        elif kind is dict:
            for name in item:
                if type(name) is not str or (
                    not name.isascii() and any(ord(c) > 0xFFFF for c in name)
                ):
                    return False
            stack.extend(item.values())
        else:
            return False
    return True
