"""What goes into a package comes out of it, for every size and way of feeding it."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caveat.adapters.tdf import (
    DEFAULT_SEGMENT_SIZE,
    MANIFEST_BINDING_ID,
    Assertion,
    Statement,
    write_package,
)
from caveat.domain.errors import InvalidInput
from tests.federation.tdf.support import (
    KAS_URL,
    SMALL,
    Parties,
    manifest_of,
    open_package,
    package,
    policy,
)

SIZES = {
    "empty": 0,
    "one byte": 1,
    "one byte short of a segment": SMALL - 1,
    "exactly one segment": SMALL,
    "one byte over a segment": SMALL + 1,
    "exactly three segments": 3 * SMALL,
    "many segments": 7 * SMALL + 17,
}


def _segments(data: bytes) -> list[dict[str, int]]:
    integrity = manifest_of(data)["encryptionInformation"]["integrityInformation"]
    segments: list[dict[str, int]] = integrity["segments"]
    return segments


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
@pytest.mark.parametrize("signed", [True, False], ids=["Ed25519", "HS256"])
def test_a_payload_of_any_size_comes_back_whole(parties: Parties, size: int, signed: bool) -> None:
    payload = bytes(i % 251 for i in range(size))
    data = package(payload, parties, signed=signed)
    opened = open_package(data, parties, signed=signed)
    assert opened.payload == payload
    segments = _segments(data)
    assert len(segments) == max(1, math.ceil(size / SMALL))
    assert [s["segmentSize"] for s in segments[:-1]] == [SMALL] * (len(segments) - 1)
    assert sum(s["segmentSize"] for s in segments) == size
    assert all(s["encryptedSegmentSize"] == s["segmentSize"] + 28 for s in segments)


@pytest.mark.parametrize("size", [0, 1, DEFAULT_SEGMENT_SIZE, 2 * DEFAULT_SEGMENT_SIZE + 5])
def test_the_default_segment_size_is_two_mebibytes(parties: Parties, size: int) -> None:
    payload = b"\x5a" * size
    data = write_package(
        payload,
        recipient_key=parties.recipient.public_key(),
        kas_url=KAS_URL,
        policy=policy(),
        assertions=[],
        signing_key=parties.signer,
    )
    integrity = manifest_of(data)["encryptionInformation"]["integrityInformation"]
    assert integrity["segmentSizeDefault"] == 2 * 1024 * 1024
    assert len(integrity["segments"]) == max(1, math.ceil(size / DEFAULT_SEGMENT_SIZE))
    assert open_package(data, parties).payload == payload


@settings(max_examples=40, deadline=None)
@given(
    payload=st.binary(max_size=5 * SMALL + 100),
    cuts=st.lists(st.integers(min_value=0, max_value=5 * SMALL + 100), max_size=8),
    signed=st.booleans(),
)
def test_chunks_of_any_shape_make_the_same_segments(
    parties: Parties, payload: bytes, cuts: list[int], signed: bool
) -> None:
    bounds = sorted({0, len(payload), *(c for c in cuts if c <= len(payload))})
    chunks = iter([payload[a:b] for a, b in itertools.pairwise(bounds)])
    from_chunks = package(chunks, parties, signed=signed)
    from_bytes = package(payload, parties, signed=signed)
    assert open_package(from_chunks, parties, signed=signed).payload == payload
    sizes = [[s["segmentSize"] for s in _segments(d)] for d in (from_chunks, from_bytes)]
    assert sizes[0] == sizes[1]


def test_an_iterator_of_empty_chunks_is_an_empty_payload(parties: Parties) -> None:
    data = package(iter([b"", b""]), parties)
    assert open_package(data, parties).payload == b""
    assert [s["segmentSize"] for s in _segments(data)] == [0]


def test_the_policy_mime_type_and_assertions_come_back(parties: Parties) -> None:
    data = write_package(
        b"calibration table",
        recipient_key=parties.recipient.public_key(),
        kas_url=KAS_URL,
        policy=policy(),
        assertions=[],
        signing_key=parties.signer,
        mime_type="text/csv",
    )
    opened = open_package(data, parties)
    assert opened.policy == policy()
    assert opened.mime_type == "text/csv"
    assert [a.assertion.id for a in opened.assertions] == [MANIFEST_BINDING_ID]
    assert opened.assertions[0].signer is not None
    assert opened.assertion("caveat-label") is None


def test_two_packages_of_the_same_bytes_share_nothing_secret(parties: Parties) -> None:
    first, second = (manifest_of(package(b"same", parties)) for _ in range(2))
    for name in ("wrappedKey", "ephemeralPublicKey"):
        assert (
            first["encryptionInformation"]["keyAccess"][0][name]
            != (second["encryptionInformation"]["keyAccess"][0][name])
        )
    assert (
        first["encryptionInformation"]["integrityInformation"]["segments"][0]["hash"]
        != (second["encryptionInformation"]["integrityInformation"]["segments"][0]["hash"])
    )


@pytest.mark.parametrize(
    ("change", "value"),
    [
        ("segment_size", SMALL - 1),
        ("segment_size", 4 * 1024 * 1024 + 1),
        ("segment_size", True),
        ("kas_url", "https://with space.example"),
        ("kas_url", ""),
        ("mime_type", "text"),
        ("policy", {"uuid": "not-a-uuid", "body": {"dataAttributes": []}}),
        (
            "policy",
            {"uuid": "6F3B6A82-2F30-4C8A-AEF3-57C65B8E7387", "body": {"dataAttributes": []}},
        ),
        ("policy", {"uuid": "6f3b6a82-2f30-4c8a-aef3-57c65b8e7387", "body": {}}),
        (
            "policy",
            {"uuid": "6f3b6a82-2f30-4c8a-aef3-57c65b8e7387", "body": {"dataAttributes": [{}]}},
        ),
    ],
)
def test_a_writer_refuses_arguments_outside_the_profile(
    parties: Parties, change: str, value: object
) -> None:
    arguments: dict[str, object] = {
        "recipient_key": parties.recipient.public_key(),
        "kas_url": KAS_URL,
        "policy": policy(),
        "assertions": [],
        change: value,
    }
    with pytest.raises(InvalidInput):
        write_package(b"x", **arguments)  # type: ignore[arg-type]


def _assertion(assertion_id: str = "note", kind: str = "other") -> Assertion:
    return Assertion(assertion_id, kind, "tdo", Statement("string", "a note"))


@pytest.mark.parametrize(
    "assertions",
    [
        [_assertion(), _assertion()],
        [_assertion(MANIFEST_BINDING_ID)],
        [_assertion("has space")],
        [_assertion(kind="metadata")],
        [Assertion("n", "other", "tdo", Statement("json-structured", {"x": float("nan")}))],
        [_assertion(f"a{i}") for i in range(16)],
    ],
    ids=["duplicate ids", "reserved id", "bad id", "bad type", "not JSON", "too many"],
)
def test_a_writer_refuses_assertions_outside_the_profile(
    parties: Parties, assertions: list[Assertion]
) -> None:
    with pytest.raises(InvalidInput):
        write_package(
            b"x",
            recipient_key=parties.recipient.public_key(),
            kas_url=KAS_URL,
            policy=policy(),
            assertions=assertions,
        )


def test_assertions_of_any_kind_the_spec_names_travel(parties: Parties) -> None:
    notes = [
        Assertion("plain", "other", "tdo", Statement("string", "a note"), "unencrypted"),
        Assertion("marks", "handling", "payload", Statement("json-structured", {"k": [1, "v"]})),
        Assertion("labelled", "other", "payload", Statement("string", "x", schema="urn:x")),
    ]
    opened = open_package(package(b"x", parties, assertions=notes), parties)
    assert [a.assertion for a in opened.assertions[:-1]] == notes
