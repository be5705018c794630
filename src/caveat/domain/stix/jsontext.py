"""Strict JSON in, canonical JSON out.

In: bounded in size before any parsing, UTF-8 only, and no duplicate member names,
``NaN`` or ``Infinity``: two parsers that read a duplicated key differently would see
two different objects (RFC 8259 §4 leaves it open), and the TAXII server, the storage
and a partner must all see the same one. Out: RFC 8785 canonical bytes, so the same
objects always give the same bytes (exports, hashes, uuid5 ids).
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

from caveat.domain.stix.errors import InvalidStix, StixTooLarge


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise InvalidStix(f"the JSON member {key!r} appears twice in one object")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise InvalidStix(f"{name} is not JSON")


def parse_json(data: bytes, *, max_bytes: int) -> Any:
    """The JSON value of ``data``; too large, not UTF-8, or not strict JSON is an error."""
    if len(data) > max_bytes:
        raise StixTooLarge(
            f"the content is {len(data)} bytes; this node accepts at most {max_bytes}",
            hint="split it into several bundles",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidStix("the content is not UTF-8") from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except RecursionError:
        raise InvalidStix("the JSON is nested too deeply") from None
    except ValueError as exc:  # json.JSONDecodeError
        raise InvalidStix(f"the content is not JSON: {exc}") from None


def canonical(value: Any) -> bytes:
    """The RFC 8785 bytes of ``value``; what JCS cannot write (an integer beyond 2**53,
    a lone surrogate) is an error, never rounded."""
    try:
        return bytes(rfc8785.dumps(value))
    except rfc8785.CanonicalizationError as exc:
        raise InvalidStix(f"the content has no canonical JSON form: {exc}") from None
