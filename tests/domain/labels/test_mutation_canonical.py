"""Canonical label JSON: each refusal says which part is wrong, in the words the user reads.

Written against the survivors of the 2026-12-04 mutation run of ``labels.canonical``:
the refusals were checked by type only, so their messages (which the API and the CLI
show) could change unnoticed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from tests.domain.labels.own_schemes import OWN

from caveat.domain.labels import Label
from caveat.domain.labels.canonical import (
    MAX_CANONICAL_BYTES,
    label_from_canonical_json,
    label_to_canonical_json,
)
from caveat.domain.labels.errors import InvalidLabel

HINT = "expected a caveat.label/1 object"


def _base() -> dict[str, Any]:
    return {
        "version": "caveat.label/1",
        "policy": "USA",
        "classification": 0,
        "categories": [],
        "privacy_mark": None,
        "originator": None,
        "created": None,
        "alternatives": [],
    }


def _category(**changes: Any) -> dict[str, Any]:
    return {"tag": "SCI", "type": "RESTRICTIVE", "values": ["SI"], **changes}


REFUSALS: list[tuple[str, dict[str, Any], str]] = [
    (
        "category not an object",
        {"categories": ["SI"]},
        "a category must have exactly the keys ['tag', 'type', 'values']",
    ),
    (
        "category as a list of its key names",
        {"categories": [["tag", "type", "values"]]},
        "a category must have exactly the keys ['tag', 'type', 'values']",
    ),
    (
        "category with an extra key",
        {"categories": [_category(extra=1)]},
        "a category must have exactly the keys ['tag', 'type', 'values']",
    ),
    (
        "category type",
        {"categories": [_category(type="secretive")]},
        "unknown category type 'secretive'",
    ),
    (
        "values repeated",
        {"categories": [_category(values=["SI", "SI"])]},
        "category values must be a list without repeats",
    ),
    (
        "values as text",
        {"categories": [_category(values="SI")]},
        "category values must be a list without repeats",
    ),
    ("tag not text", {"categories": [_category(tag=5)]}, "tag must be a string"),
    ("value not text", {"categories": [_category(values=[5])]}, "value must be a string"),
    ("classification text", {"classification": "0"}, "classification must be an integer"),
    ("classification bool", {"classification": False}, "classification must be an integer"),
    ("policy not text", {"policy": 5}, "policy must be a string"),
    ("categories object", {"categories": {}}, "categories must be a list"),
    ("privacy mark not text", {"privacy_mark": 5}, "mark must be a string"),
    (
        "originator keys",
        {"originator": {"organisation": "x"}},
        "originator must have exactly the keys ['nation', 'organisation']",
    ),
    (
        "organisation not text",
        {"originator": {"organisation": 5, "nation": "USA"}},
        "organisation must be a string",
    ),
    (
        "nation not text",
        {"originator": {"organisation": "x", "nation": 5}},
        "nation must be a string",
    ),
    ("created not text", {"created": 5}, "created must be a string"),
    (
        "created with offset",
        {"created": "2024-01-01T00:00:00+00:00"},
        "created must be UTC and end in Z",
    ),
    ("created not a time", {"created": "2024-13-01T00:00:00Z"}, "created is not an RFC 3339 time"),
    ("alternatives object", {"alternatives": {}}, "alternatives must be a list"),
    ("version", {"version": "caveat.label/2"}, "unsupported version 'caveat.label/2'"),
]


@pytest.mark.parametrize(("change", "why"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_each_refusal_says_what_is_wrong(change: dict[str, Any], why: str) -> None:
    data = json.dumps({**_base(), **change}, separators=(",", ":")).encode()
    with pytest.raises(InvalidLabel) as caught:
        label_from_canonical_json(data)
    assert caught.value.detail == f"canonical label: {why}"
    assert caught.value.hint == HINT
    assert caught.value.code == "invalid_label"


def test_exactly_the_size_limit_is_read_and_one_byte_more_is_not() -> None:
    with pytest.raises(InvalidLabel) as caught:
        label_from_canonical_json(b" " * MAX_CANONICAL_BYTES)
    assert caught.value.detail == "canonical label: not UTF-8 JSON"
    with pytest.raises(InvalidLabel) as caught:
        label_from_canonical_json(b" " * (MAX_CANONICAL_BYTES + 1))
    assert caught.value.code == "label_too_large"


@pytest.fixture
def tokyo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The node's local time zone is not UTC."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("tokyo")
def test_created_is_written_in_utc_whatever_the_local_zone() -> None:
    label = Label("USA", 0, created_at=datetime(2024, 6, 1, 12, 30, tzinfo=UTC))
    data = label_to_canonical_json(label)
    assert b'"created":"2024-06-01T12:30:00Z"' in data
    assert label_from_canonical_json(data) == label


TOP_REFUSALS: list[tuple[str, bytes, str]] = [
    ("not JSON", b"{", "not UTF-8 JSON"),
    ("not UTF-8", b'"\xff"', "not UTF-8 JSON"),
    (
        "top keys",
        b'{"version":"caveat.label/1"}',
        "the label must have exactly the keys ['alternatives', 'categories', 'classification',"
        " 'created', 'originator', 'policy', 'privacy_mark', 'version']",
    ),
    (
        "alternative keys",
        json.dumps({**_base(), "alternatives": [{"policy": "GBR"}]}).encode(),
        "an alternative must have exactly the keys ['categories', 'classification', 'created',"
        " 'originator', 'policy', 'privacy_mark']",
    ),
    (
        "not canonical",
        json.dumps(_base(), indent=1).encode(),
        "bytes are not in RFC 8785 canonical form",
    ),
]


@pytest.mark.parametrize(
    ("data", "why"), [r[1:] for r in TOP_REFUSALS], ids=[r[0] for r in TOP_REFUSALS]
)
def test_each_refusal_of_the_whole_says_what_is_wrong(data: bytes, why: str) -> None:
    with pytest.raises(InvalidLabel) as caught:
        label_from_canonical_json(data)
    assert caught.value.detail == f"canonical label: {why}"
    assert caught.value.hint == HINT


def test_a_label_too_large_is_refused_before_parsing() -> None:
    data = b"x" * (MAX_CANONICAL_BYTES + 1)
    with pytest.raises(InvalidLabel) as caught:
        label_from_canonical_json(data)
    error = caught.value
    assert error.detail == f"a canonical label is at most 16384 bytes; this one has {len(data)}"
    assert error.field == "label"
    assert error.hint == "a label names a level, a few controls and a REL TO list: this is not one"


def test_a_label_is_checked_against_the_registry_given() -> None:
    label = Label("AAA", 1)
    data = label_to_canonical_json(label)
    assert label_from_canonical_json(data, schemes=OWN) == label
