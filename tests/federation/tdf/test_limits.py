"""Bounds: sizes a package may not exceed, and JSON a manifest may not be."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from caveat.adapters.tdf import (
    TdfInvalid,
    TdfTooLarge,
    policy_object,
    read_package,
    write_package,
)
from caveat.adapters.tdf._profile import MAX_MANIFEST_BYTES, MAX_SEGMENTS
from caveat.domain.errors import ErrorKind, InvalidInput
from tests.federation.tdf.support import (
    KAS_URL,
    SMALL,
    Parties,
    entries,
    manifest_of,
    open_package,
    package,
    policy,
    rezip,
    with_manifest,
)


def test_a_reader_can_lower_the_payload_limit(parties: Parties) -> None:
    data = package(b"x" * 1000, parties)
    opened = read_package(
        data,
        recipient_key=parties.recipient,
        kas_url=KAS_URL,
        trusted_assertion_keys=[parties.signer.public_key()],
        max_payload_bytes=1000,
    )
    assert len(opened.payload) == 1000
    with pytest.raises(TdfTooLarge) as caught:
        read_package(
            data,
            recipient_key=parties.recipient,
            kas_url=KAS_URL,
            trusted_assertion_keys=[parties.signer.public_key()],
            max_payload_bytes=999,
        )
    assert caught.value.kind is ErrorKind.TOO_LARGE


def test_a_reader_cannot_raise_the_payload_limit(parties: Parties) -> None:
    with pytest.raises(InvalidInput):
        read_package(
            package(b"x", parties),
            recipient_key=parties.recipient,
            kas_url=KAS_URL,
            trusted_assertion_keys=[],
            max_payload_bytes=2**40,
        )


def test_a_writer_refuses_more_than_the_limit(
    parties: Parties, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("caveat.adapters.tdf._package.MAX_PAYLOAD_BYTES", 2 * SMALL)
    assert package(b"x" * 2 * SMALL, parties)
    with pytest.raises(TdfTooLarge):
        package(b"x" * (2 * SMALL + 1), parties)


def test_a_policy_larger_than_64_kib_is_refused(parties: Parties) -> None:
    huge = policy_object(uuid="6f3b6a82-2f30-4c8a-aef3-57c65b8e7387", dissem=["n" * 1000] * 70)
    with pytest.raises(TdfTooLarge):
        write_package(
            b"x",
            recipient_key=parties.recipient.public_key(),
            kas_url=KAS_URL,
            policy=huge,
            assertions=[],
        )


def test_a_manifest_larger_than_the_limit_is_refused_before_it_is_parsed(
    parties: Parties,
) -> None:
    payload = dict(entries(package(b"x", parties)))["0.payload"]
    huge = b"[" + b"0," * (MAX_MANIFEST_BYTES // 2) + b"0]"
    with pytest.raises(TdfTooLarge):
        open_package(rezip([("0.payload", payload), ("0.manifest.json", huge)]), parties)


def test_a_manifest_listing_too_many_segments_is_refused(parties: Parties) -> None:
    data = package(b"x", parties)
    manifest = manifest_of(data)
    integrity = manifest["encryptionInformation"]["integrityInformation"]
    one = integrity["segments"][0]
    full = {**one, "segmentSize": SMALL, "encryptedSegmentSize": SMALL + 28}
    integrity["segments"] = [full] * MAX_SEGMENTS + [one]
    with pytest.raises(TdfTooLarge):
        open_package(with_manifest(data, manifest), parties)


def _raw_manifest(parties: Parties, text: bytes) -> bytes:
    payload = dict(entries(package(b"x", parties)))["0.payload"]
    return rezip([("0.payload", payload), ("0.manifest.json", text)])


def _spliced(parties: Parties, edit: Any) -> bytes:
    data = package(b"x", parties)
    manifest = manifest_of(data)
    text = json.dumps(manifest)
    return _raw_manifest(parties, edit(text, copy.deepcopy(manifest)).encode())


HOSTILE = {
    "a duplicated name": lambda t, m: t[:-1] + ', "schemaVersion": "4.3.0"}',
    "NaN": lambda t, m: t[:-1] + ', "x": NaN}',
    "a number beyond RFC 8785": lambda t, m: t[:-1] + ', "x": 1e400}',
    "an integer beyond RFC 8785": lambda t, m: t[:-1] + ', "x": ' + "9" * 30 + "}",
    "deep nesting": lambda t, m: t[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "not an object": lambda t, m: json.dumps([m]),
}


@pytest.mark.parametrize("edit", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_json_in_a_manifest_is_refused(parties: Parties, edit: Any) -> None:
    with pytest.raises(TdfInvalid):
        open_package(_spliced(parties, edit), parties)


@pytest.mark.parametrize("number", ["1e400", "9" * 30])
@pytest.mark.parametrize("where", ["statement", "binding", "top"])
def test_a_number_beyond_rfc_8785_is_refused_wherever_it_is(
    parties: Parties, number: str, where: str
) -> None:
    """Each part of a manifest is canonicalised on its own (the manifest without its
    assertions, each assertion, each binding): a number none can bind is refused as it
    was when the whole was, before the schema is consulted."""
    manifest = manifest_of(package(b"x", parties))
    target = {
        "statement": manifest["assertions"][0]["statement"]["value"],
        "binding": manifest["assertions"][1]["binding"],
        "top": manifest["payload"],
    }[where]
    target["x"] = "NUMBER"
    text = json.dumps(manifest).replace('"NUMBER"', number)
    with pytest.raises(TdfInvalid) as caught:
        open_package(_raw_manifest(parties, text.encode()), parties)
    assert "RFC 8785 cannot encode" in caught.value.detail


def test_a_manifest_of_bytes_that_are_not_utf8_is_refused(parties: Parties) -> None:
    with pytest.raises(TdfInvalid):
        open_package(_raw_manifest(parties, b'{"payload": "\xff"}'), parties)


def test_only_p256_keys_are_used(parties: Parties) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    p384 = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(InvalidInput):
        write_package(
            b"x", recipient_key=p384.public_key(), kas_url=KAS_URL, policy=policy(), assertions=[]
        )
    with pytest.raises(InvalidInput):
        read_package(
            package(b"x", parties), recipient_key=p384, kas_url=KAS_URL, trusted_assertion_keys=[]
        )
