"""Canonical JSON (RFC 8785) of labels: known bytes, strict parsing and round trips."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from tests.domain.labels.label_strategies import labels

from caveat.domain.errors import InvalidInput
from caveat.domain.labels import (
    DISSEM,
    REL_TO,
    Category,
    CategoryType,
    Label,
    Originator,
    UnknownScheme,
    label_from_canonical_json,
    label_to_canonical_json,
    with_alternatives,
)
from caveat.domain.labels.errors import SchemeDataError

SAMPLE = Label(
    "USA",
    2,
    (
        Category(REL_TO, CategoryType.PERMISSIVE, frozenset({"USA", "GBR"})),
        Category(DISSEM, CategoryType.RESTRICTIVE, frozenset({"ORCON"})),
    ),
    originator=Originator("afrl", "USA"),
    created_at=datetime(2024, 6, 1, 12, 0, tzinfo=UTC),
)


def test_known_canonical_bytes() -> None:
    expected = (
        b'{"alternatives":[],"categories":['
        b'{"tag":"DISSEM","type":"RESTRICTIVE","values":["ORCON"]},'
        b'{"tag":"REL TO","type":"PERMISSIVE","values":["GBR","USA"]}],'
        b'"classification":2,"created":"2024-06-01T12:00:00Z",'
        b'"originator":{"nation":"USA","organisation":"afrl"},'
        b'"policy":"USA","privacy_mark":null,"version":"caveat.label/1"}'
    )
    assert label_to_canonical_json(SAMPLE) == expected
    assert label_from_canonical_json(expected) == SAMPLE


def test_time_zone_is_normalised_to_utc() -> None:
    local = SAMPLE.__class__(
        "USA", 2, created_at=datetime(2024, 6, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    )
    assert b'"created":"2024-06-01T12:00:00Z"' in label_to_canonical_json(local)


def test_alternatives_round_trip() -> None:
    labelled = with_alternatives(SAMPLE, ["NATO", "GBR"])
    data = label_to_canonical_json(labelled)
    back = label_from_canonical_json(data)
    assert back == labelled
    assert [a.policy for a in back.alternatives] == ["GBR", "NATO"]


def _mutated(**changes: object) -> bytes:
    document = json.loads(label_to_canonical_json(SAMPLE))
    document.update(changes)
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


@pytest.mark.parametrize(
    "data",
    [
        label_to_canonical_json(SAMPLE).replace(b",", b", "),  # not canonical
        _mutated(version="caveat.label/0"),
        _mutated(extra=1),
        _mutated(classification="2"),
        _mutated(classification=True),
        _mutated(created="2024-06-01T12:00:00+00:00"),
        _mutated(categories=[{"tag": "DISSEM", "type": "MAYBE", "values": ["ORCON"]}]),
        _mutated(categories=[{"tag": "DISSEM", "type": "RESTRICTIVE", "values": []}]),
        _mutated(categories=[{"tag": "X", "type": "RESTRICTIVE", "values": ["A", "A"]}]),
        _mutated(originator={"organisation": "afrl", "nation": "XXX"}),
        b"\xff",
        b"[]",
    ],
)
def test_bad_canonical_input_is_rejected(data: bytes) -> None:
    with pytest.raises(InvalidInput):
        label_from_canonical_json(data)


def test_unknown_scheme_or_level_fails_closed() -> None:
    with pytest.raises(UnknownScheme):
        label_from_canonical_json(_mutated(policy="XYZ"))
    with pytest.raises(SchemeDataError):
        label_from_canonical_json(_mutated(classification=9))


@given(labels(informative=True, provenance=True))
def test_canonical_round_trip(label: Label) -> None:
    data = label_to_canonical_json(label)
    assert label_from_canonical_json(data) == label
    assert label_to_canonical_json(label_from_canonical_json(data)) == data
