"""Strict encodings: one accepted spelling of every value, so nothing in a package can be
rewritten into an equal-meaning form that a check would then miss.

Base64 is RFC 4648 section 4 with padding (the manifest's fields, as the reference SDKs
write them); base64url is section 5 without padding (JWS, RFC 7515 section 2). JSON is
RFC 8259 without duplicate names or non-finite numbers; canonical JSON is RFC 8785.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import rfc8785

from caveat.adapters.tdf._errors import TdfError, TdfInvalid


def b64encode(data: bytes) -> str:
    """Standard base64 with padding."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: object, what: str, *, error: type[TdfError] = TdfInvalid) -> bytes:
    """Decode standard base64, accepting only its one canonical spelling."""
    if not isinstance(text, str) or not text.isascii():
        raise error(f"{what} is not base64")
    try:
        data = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise error(f"{what} is not base64") from None
    if base64.b64encode(data).decode("ascii") != text:
        raise error(f"{what} is not canonical base64")
    return data


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, what: str, *, error: type[TdfError]) -> bytes:
    """Decode unpadded base64url, accepting only its one canonical spelling."""
    if not text.isascii() or "=" in text:
        raise error(f"{what} is not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise error(f"{what} is not base64url") from None
    if b64url_encode(data) != text:
        raise error(f"{what} is not canonical base64url")
    return data


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


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate name {key!r}")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(data: bytes, what: str, *, error: type[TdfError] = TdfInvalid) -> Any:
    """Parse UTF-8 JSON strictly: no duplicate names, NaN or Infinity."""
    try:
        return json.loads(
            data.decode("utf-8"),
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise error(f"{what} is not JSON: {exc}") from None
