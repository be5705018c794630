"""STIX ids and timestamps read strictly, and the STIX package kept out of start-up."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest

from caveat.domain.stix import InvalidStix
from caveat.domain.stix.identifiers import check_id, check_type, parse_timestamp


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01T00:00:00Z", datetime(2024, 1, 1, tzinfo=UTC)),
        ("2024-01-01T00:00:00.1Z", datetime(2024, 1, 1, 0, 0, 0, 100_000, tzinfo=UTC)),
        ("2024-01-01T00:00:00.123456Z", datetime(2024, 1, 1, 0, 0, 0, 123_456, tzinfo=UTC)),
        ("2024-01-01T00:00:00.123456000Z", datetime(2024, 1, 1, 0, 0, 0, 123_456, tzinfo=UTC)),
        ("2024-02-29T23:59:59.999Z", datetime(2024, 2, 29, 23, 59, 59, 999_000, tzinfo=UTC)),
    ],
)
def test_timestamps(text: str, expected: datetime) -> None:
    assert parse_timestamp(text, where="t") == expected


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-01T00:00:00",
        "2024-01-01T00:00:00+00:00",
        "2024-01-01 00:00:00Z",
        "2024-01-01T00:00:00.1234567Z",  # a tenth of a microsecond would be lost
        "2023-02-29T00:00:00Z",
        "2022-101-27T13:49:54.326Z",
        "2024-01-01T00:00:00.Z",
        20240101,
        None,
    ],
)
def test_bad_timestamps(text: object) -> None:
    with pytest.raises(InvalidStix):
        parse_timestamp(text, where="t")


@pytest.mark.parametrize(
    "value",
    [
        "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "x-misp-object--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061",
        "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd",
    ],
)
def test_ids(value: str) -> None:
    assert check_id(value, where="t") == value.split("--")[0]


@pytest.mark.parametrize(
    "value",
    [
        "indicator--8E2E2D2B-17d4-4cbf-938f-98ee46b3cd3f",  # an uppercase twin
        "indicator--8e2e2d2b-17d4-4cbf-c38f-98ee46b3cd3f",  # not the RFC 4122 variant
        "indicator--8e2e2d2b17d44cbf938f98ee46b3cd3f",
        "indicator-8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "in--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",  # a type of two characters
        "x--misp--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        " indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        7,
    ],
)
def test_bad_ids(value: object) -> None:
    with pytest.raises(InvalidStix):
        check_id(value, where="t")


@pytest.mark.parametrize("value", ["Indicator", "x_misp", "a--b", "-ab", "ab-", "a" * 251])
def test_bad_types(value: str) -> None:
    with pytest.raises(InvalidStix):
        check_type(value, where="t")


def test_the_domain_does_not_load_stix_at_start_up() -> None:
    """caveat.domain does not import the STIX package: the CLI starts without stix2."""
    code = (
        "import sys, caveat.domain, caveat.domain.labels, caveat.domain.policy;"
        "assert 'stix2' not in sys.modules and 'caveat.domain.stix' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
