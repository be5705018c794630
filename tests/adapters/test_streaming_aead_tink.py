"""Caveat's AES-GCM-HKDF streams against Tink's own implementation, both ways.

Tink (its Python wrapper over the C++ library) is the oracle: it shares no code with
caveat.adapters.streaming_aead. For random key parameters, plaintext sizes around
segment boundaries, write patterns and associated data, Tink decrypts what Caveat
writes and Caveat decrypts what Tink writes, ciphertexts are the same length, and any
change to the bytes fails on both sides.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
import tink
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tink import secret_key_access, streaming_aead
from tink.proto import aes_gcm_hkdf_streaming_pb2 as gcm_pb2
from tink.proto import common_pb2, tink_pb2

from caveat.adapters.streaming_aead import (
    KEY_TYPE,
    TAG,
    StreamCorrupt,
    StreamEncryptor,
    StreamKey,
    UnsupportedKey,
    decrypt_stream,
    stream_key_from_keyset,
)

streaming_aead.register()

HASHES = (common_pb2.SHA1, common_pb2.SHA256, common_pb2.SHA512)


def _template(key_size: int, hash_type: int, segment: int) -> tink_pb2.KeyTemplate:
    key_format = gcm_pb2.AesGcmHkdfStreamingKeyFormat(
        key_size=key_size,
        params=gcm_pb2.AesGcmHkdfStreamingParams(
            ciphertext_segment_size=segment, derived_key_size=key_size, hkdf_hash_type=hash_type
        ),
    )
    return tink_pb2.KeyTemplate(
        type_url=KEY_TYPE,
        value=key_format.SerializeToString(),
        output_prefix_type=tink_pb2.RAW,
    )


def _keyset(handle: Any) -> tink_pb2.Keyset:
    data = tink.proto_keyset_format.serialize(handle, secret_key_access.TOKEN)
    return tink_pb2.Keyset.FromString(data)


class Tink:
    """One key, as Tink's primitive and as Caveat's StreamKey."""

    def __init__(self, template: tink_pb2.KeyTemplate) -> None:
        handle = tink.new_keyset_handle(template)
        self.primitive = handle.primitive(streaming_aead.StreamingAead)
        self.key = stream_key_from_keyset(_keyset(handle))

    def encrypt(self, plaintext: bytes, aad: bytes) -> bytes:
        sink = _KeepOpen()
        with self.primitive.new_encrypting_stream(sink, aad) as stream:
            stream.write(plaintext)
        return sink.getvalue()

    def decrypt(self, ciphertext: bytes, aad: bytes) -> bytes:
        with self.primitive.new_decrypting_stream(io.BytesIO(ciphertext), aad) as stream:
            return bytes(stream.read())


class _KeepOpen(io.BytesIO):
    def close(self) -> None:  # Tink closes its destination; keep the bytes readable
        pass


def caveat_encrypt(key: StreamKey, plaintext: bytes, aad: bytes, writes: list[int]) -> bytes:
    out: list[bytes] = []
    stream = StreamEncryptor(key, aad, lambda sealed: out.append(bytes(sealed)))
    view, sizes = memoryview(plaintext), iter(writes)
    while view:
        step = max(1, next(sizes, len(view)))
        stream.write(view[:step])
        view = view[step:]
    stream.close()
    return b"".join(out)


def caveat_decrypt(key: StreamKey, ciphertext: bytes, aad: bytes, start: int = 0) -> bytes:
    return b"".join(decrypt_stream(key, io.BytesIO(ciphertext), aad, start=start))


# Tink draws key ids from `random`, which Hypothesis forbids inside strategies: the keys
# are made once, for both key sizes, every hash, and segments from the smallest Tink
# allows (header + tag + 1 byte of plaintext in the first segment) upwards.
KEYS = [
    Tink(_template(key_size, hash_type, 1 + key_size + 7 + TAG + extra))
    for key_size in (16, 32)
    for hash_type in HASHES
    for extra in (1, 2, 7, 40, 200)
]


@st.composite
def cases(draw: Callable[..., Any]) -> tuple[Tink, bytes, bytes, list[int]]:
    tink_key = draw(st.sampled_from(KEYS))
    segment, header = tink_key.key.segment_size, tink_key.key.header_size
    first, other = segment - header - TAG, segment - TAG
    boundary = first + draw(st.integers(0, 4)) * other
    size = max(0, boundary + draw(st.integers(-2, 2)))
    plaintext = draw(st.binary(min_size=size, max_size=size))
    aad = draw(st.binary(max_size=24))
    writes = draw(st.lists(st.integers(1, 2 * segment), max_size=12))
    return tink_key, plaintext, aad, writes


EXAMPLES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@EXAMPLES
@given(cases())
def test_tink_decrypts_what_caveat_writes(case: tuple[Tink, bytes, bytes, list[int]]) -> None:
    tink_key, plaintext, aad, writes = case
    ours = caveat_encrypt(tink_key.key, plaintext, aad, writes)
    assert tink_key.decrypt(ours, aad) == plaintext
    assert len(ours) == len(tink_key.encrypt(plaintext, aad))


class _InPlaceSink:
    """A sink that offers every other segment a buffer of its own to be encrypted into
    (as the local blob store's staging buffer does) and checks it gets that very view."""

    def __init__(self) -> None:
        self.out: list[bytes] = []
        self.offered = 0
        self._reserved: memoryview | None = None

    def reserve(self, size: int) -> memoryview | None:
        self.offered += 1
        self._reserved = memoryview(bytearray(size)) if self.offered % 2 else None
        return self._reserved

    def emit(self, sealed: memoryview) -> None:
        if self._reserved is not None:
            assert sealed is self._reserved
        self._reserved = None
        self.out.append(bytes(sealed))


@EXAMPLES
@given(cases())
def test_tink_decrypts_what_caveat_encrypts_in_place(
    case: tuple[Tink, bytes, bytes, list[int]],
) -> None:
    tink_key, plaintext, aad, writes = case
    sink = _InPlaceSink()
    stream = StreamEncryptor(tink_key.key, aad, sink.emit, sink.reserve)
    view, sizes = memoryview(plaintext), iter(writes)
    while view:
        step = max(1, next(sizes, len(view)))
        stream.write(view[:step])
        view = view[step:]
    stream.close()
    assert sink.offered >= 1
    assert tink_key.decrypt(b"".join(sink.out), aad) == plaintext


@EXAMPLES
@given(cases(), st.data())
def test_caveat_decrypts_what_tink_writes(
    case: tuple[Tink, bytes, bytes, list[int]], data: st.DataObject
) -> None:
    tink_key, plaintext, aad, _ = case
    theirs = tink_key.encrypt(plaintext, aad)
    assert caveat_decrypt(tink_key.key, theirs, aad) == plaintext
    if plaintext:
        start = data.draw(st.integers(0, len(plaintext) - 1))
        assert caveat_decrypt(tink_key.key, theirs, aad, start) == plaintext[start:]


@EXAMPLES
@given(cases(), st.data())
def test_any_changed_byte_fails_on_both_sides(
    case: tuple[Tink, bytes, bytes, list[int]], data: st.DataObject
) -> None:
    tink_key, plaintext, aad, writes = case
    ours = bytearray(caveat_encrypt(tink_key.key, plaintext, aad, writes))
    where = data.draw(st.integers(0, len(ours) - 1))
    ours[where] ^= data.draw(st.integers(1, 255))
    with pytest.raises(StreamCorrupt):
        caveat_decrypt(tink_key.key, bytes(ours), aad)
    with pytest.raises(tink.TinkError):
        tink_key.decrypt(bytes(ours), aad)


SMALL = Tink(_template(16, common_pb2.SHA256, 64))  # 24-byte first segment, then 48
FIRST, OTHER = 64 - 24 - TAG, 64 - TAG


def _segments(ciphertext: bytes) -> tuple[bytes, list[bytes]]:
    header, rest = ciphertext[:24], ciphertext[24:]
    first, rest = rest[: FIRST + TAG], rest[FIRST + TAG :]
    return header, [first] + [rest[i : i + 64] for i in range(0, len(rest), 64)]


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda h, s: h + b"".join(s[:-1]), id="last segment dropped"),
        pytest.param(lambda h, s: h + b"".join(s) + s[-1], id="last segment repeated"),
        pytest.param(lambda h, s: h + s[0] + s[2] + s[1] + s[3], id="segments swapped"),
        pytest.param(lambda h, s: h + b"".join(s)[:-1], id="one byte cut"),
        pytest.param(lambda h, s: h, id="header only"),
        pytest.param(lambda h, s: b"", id="empty"),
        pytest.param(lambda h, s: bytes([25]) + h[1:] + b"".join(s), id="header length"),
    ],
)
def test_structural_damage_is_refused(damage: Callable[[bytes, list[bytes]], bytes]) -> None:
    plaintext = bytes(range(FIRST + 2 * OTHER + 10))
    header, segments = _segments(caveat_encrypt(SMALL.key, plaintext, b"aad", []))
    assert len(segments) == 4
    with pytest.raises(StreamCorrupt):
        caveat_decrypt(SMALL.key, damage(header, segments), b"aad")


def test_other_associated_data_is_refused() -> None:
    ciphertext = caveat_encrypt(SMALL.key, b"part 3 of version v1", b"v1/0/3", [])
    with pytest.raises(StreamCorrupt):
        caveat_decrypt(SMALL.key, ciphertext, b"v1/0/4")


def test_a_start_past_a_truncated_end_is_refused_not_empty() -> None:
    plaintext = bytes(FIRST + 3 * OTHER)
    header, segments = _segments(caveat_encrypt(SMALL.key, plaintext, b"", []))
    with pytest.raises(StreamCorrupt):
        caveat_decrypt(SMALL.key, header + b"".join(segments[:2]), b"", start=FIRST + 2 * OTHER)


def test_the_data_key_template_round_trips_across_its_first_segment() -> None:
    key = Tink(streaming_aead.streaming_aead_key_templates.AES256_GCM_HKDF_1MB)
    assert (key.key.segment_size, key.key.derived_key_size) == (1 << 20, 32)
    plaintext = bytes(range(256)) * ((3 << 20) // 256) + b"tail"
    ours = caveat_encrypt(key.key, plaintext, b"v", [1 << 20] * 4)
    assert key.decrypt(ours, b"v") == plaintext
    assert (
        caveat_decrypt(key.key, key.encrypt(plaintext, b"v"), b"v", (2 << 20) + 5)
        == (plaintext[(2 << 20) + 5 :])
    )


def test_keysets_other_than_one_enabled_streaming_key_are_refused() -> None:
    handle = tink.new_keyset_handle(_template(32, common_pb2.SHA256, 4096))
    keyset = _keyset(handle)
    two = tink_pb2.Keyset.FromString(keyset.SerializeToString())
    two.key.append(keyset.key[0])
    disabled = tink_pb2.Keyset.FromString(keyset.SerializeToString())
    disabled.key[0].status = tink_pb2.DISABLED
    other_type = tink_pb2.Keyset.FromString(keyset.SerializeToString())
    other_type.key[0].key_data.type_url = "type.googleapis.com/google.crypto.tink.AesGcmKey"
    for bad in (two, disabled, other_type):
        with pytest.raises(UnsupportedKey):
            stream_key_from_keyset(bad)
