"""The canonical JSON fast path writes exactly what the RFC 8785 serialiser writes.

Packages sign the canonical bytes of their assertions, manifest bindings and JWS
headers; a single differing byte would make every signature this node writes fail at
its peers (and theirs here). So for any value, the fast path's bytes (or its error)
must be ``rfc8785``'s.
"""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from caveat.adapters.tdf._encoding import canonical_json

_SAFE = 2**53 - 1
# Text of every kind: controls, quotes and backslashes, characters beyond the BMP and
# just below it (the order where code points and UTF-16 differ), and lone surrogates.
_TEXT = st.text(
    st.one_of(
        st.characters(codec=None),
        st.sampled_from(['"', "\\", "\x00", "\x1f", "\x7f", "\u2028", "\ue000", "\uffff"]),
        st.sampled_from(["\U0001f600", "\U00010000", "\ud800", "\udfff"]),
    ),
    max_size=12,
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-_SAFE - 3, max_value=_SAFE + 3),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    _TEXT,
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.tuples(inner, inner),
        st.dictionaries(_TEXT, inner, max_size=6),
    ),
    max_leaves=30,
)


def _reference(value: Any) -> bytes | type[BaseException]:
    try:
        return bytes(rfc8785.dumps(value))
    except Exception as exc:  # the same error class, or the same bytes
        return type(exc)


def _fast(value: Any) -> bytes | type[BaseException]:
    try:
        return canonical_json(value)
    except Exception as exc:
        return type(exc)


@settings(max_examples=600, deadline=None)
@given(_VALUES)
def test_the_fast_path_writes_the_reference_bytes(value: Any) -> None:
    assert _fast(value) == _reference(value)


@pytest.mark.parametrize(
    "value",
    [
        {"\ue000": 1, "\U0001f600": 2, "a": 3, "": 4},  # UTF-16 order, not code points
        {"b": [1, True, None, 'x\n\t"\\\x01'], "a": {"z": False, "y": -(2**53) + 1}},
        [2**53 - 1, -(2**53) + 1],
        {"alg": "Ed25519", "typ": "JWT"},
    ],
)
def test_the_values_packages_sign(value: Any) -> None:
    assert canonical_json(value) == bytes(rfc8785.dumps(value))


@pytest.mark.parametrize(
    "value", [2**53, -(2**53), 1.5, {1: "a"}, "\ud800", {"\ud800": 1}, {"a": float("nan")}]
)
def test_values_outside_the_fast_path_fail_as_the_reference_does(value: Any) -> None:
    assert _fast(value) == _reference(value)
