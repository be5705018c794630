"""Split mode (the spec's key splits): the payload key is the XOR of a split wrapped for
the recipient and a split the originating node keeps. The recipient can check every
part of the package alone, but opens it only with the originator's split; either key
access object altered, or a wrong split, is refused."""

from __future__ import annotations

import os

import pytest

from caveat.adapters.tdf import (
    SplitPackage,
    TdfError,
    TdfSplitMissing,
    TdfTampered,
    TdfUntrustedSigner,
    caveat_assertions,
    inspect_package,
    open_package,
    read_markings,
    read_package,
    schema_errors,
    write_split_package,
)
from tests.federation.tdf.support import (
    KAS_URL,
    SMALL,
    Parties,
    apply,
    entries,
    export,
    fresh_pem,
    label,
    manifest_of,
    mutations,
    new_parties,
    policy,
    with_manifest,
    with_payload,
)

HOLDER_URL = "caveat:node:originator"
PAYLOAD = os.urandom(2 * SMALL + 77)
PARTIES = new_parties()


def _split(parties: Parties = PARTIES, payload: bytes = PAYLOAD) -> SplitPackage:
    return write_split_package(
        payload,
        recipient_key=parties.recipient.public_key(),
        kas_url=KAS_URL,
        holder_kas_url=HOLDER_URL,
        holder_kid="originator-kid",
        policy=policy(),
        assertions=caveat_assertions(label(), export()),
        signing_key=parties.signer,
        segment_size=SMALL,
    )


MADE = _split()
MANIFEST = manifest_of(MADE.package)


def _open(data: bytes, held: bytes | None) -> bytes:
    sealed = inspect_package(
        data,
        recipient_key=PARTIES.recipient,
        kas_url=KAS_URL,
        trusted_assertion_keys=[PARTIES.signer.public_key()],
    )
    return open_package(sealed, held).payload


def test_it_validates_against_the_spec_schema_with_two_key_splits() -> None:
    assert schema_errors(MANIFEST) == []
    first, second = MANIFEST["encryptionInformation"]["keyAccess"]
    assert (first["type"], first["sid"], second["type"], second["sid"]) == (
        "wrapped",
        "1",
        "remote",
        "2",
    )
    assert "wrappedKey" not in second  # the originator's split never travels in it
    assert second["url"] == HOLDER_URL


def test_it_opens_only_with_the_originators_split() -> None:
    assert _open(MADE.package, MADE.held_split) == PAYLOAD
    with pytest.raises(TdfSplitMissing):
        _open(MADE.package, None)
    with pytest.raises(TdfSplitMissing):
        read_package(
            MADE.package,
            recipient_key=PARTIES.recipient,
            kas_url=KAS_URL,
            trusted_assertion_keys=[PARTIES.signer.public_key()],
        )
    with pytest.raises(TdfTampered):
        _open(MADE.package, os.urandom(32))
    with pytest.raises(TdfTampered):  # another release's split
        _open(MADE.package, _split().held_split)


def test_the_label_is_readable_before_the_split() -> None:
    sealed = inspect_package(
        MADE.package,
        recipient_key=PARTIES.recipient,
        kas_url=KAS_URL,
        trusted_assertion_keys=[PARTIES.signer.public_key()],
    )
    assert sealed.held is not None
    assert sealed.held.kas_url == HOLDER_URL
    assert sealed.size == len(PAYLOAD)
    assert read_markings(sealed).label == label()


def test_a_split_package_needs_a_trusted_signer() -> None:
    with pytest.raises(TdfUntrustedSigner):
        inspect_package(
            MADE.package,
            recipient_key=PARTIES.recipient,
            kas_url=KAS_URL,
            trusted_assertion_keys=[],
        )


def test_a_third_party_cannot_inspect_it() -> None:
    other = new_parties()
    with pytest.raises(TdfError):
        inspect_package(
            MADE.package,
            recipient_key=other.recipient,
            kas_url=KAS_URL,
            trusted_assertion_keys=[PARTIES.signer.public_key()],
        )


WALK = [m for m in mutations(MANIFEST)]
FRESH = fresh_pem()


@pytest.mark.parametrize("mutation", WALK, ids=[m.id for m in WALK])
def test_any_change_to_the_manifest_is_refused(mutation: object) -> None:
    altered = apply(MANIFEST, mutation, FRESH)  # type: ignore[arg-type]
    assert altered != MANIFEST
    with pytest.raises(TdfError):
        _open(with_manifest(MADE.package, altered), MADE.held_split)


def test_the_walk_alters_both_key_access_objects() -> None:
    paths = {m.path[:3] for m in WALK if len(m.path) >= 3}
    assert ("encryptionInformation", "keyAccess", 0) in paths
    assert ("encryptionInformation", "keyAccess", 1) in paths


def test_a_changed_payload_byte_is_refused_even_with_the_split() -> None:
    payload = bytearray(dict(entries(MADE.package))["0.payload"])
    payload[40] ^= 1
    with pytest.raises(TdfTampered):
        _open(with_payload(MADE.package, bytes(payload)), MADE.held_split)
