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

from caveat.adapters.tdf._errors import TdfError, TdfInvalid
from caveat.domain.canonical_json import canonical_json

__all__ = ["canonical_json"]  # the fast RFC 8785 path, from the domain (signed bytes)


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
