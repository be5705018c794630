"""Tink's AES-GCM-HKDF streaming format, written on `cryptography`'s primitives (ADR 0015).

Byte for byte what Tink writes for an ``AesGcmHkdfStreamingKey`` (proven both ways
against Tink by tests/adapters/test_streaming_aead_tink.py), so every blob written
before this module decrypts, and Tink can always decrypt what Caveat writes::

    header      = len(header) ‖ salt (derived key size) ‖ nonce prefix (7 bytes)
    segment key = HKDF-<hash>(ikm = key value, salt, info = associated data)
    segment i   = AES-GCM(segment key, prefix ‖ uint32_be(i) ‖ last, plaintext_i), no AAD

The first segment holds ``segment size - header - 16`` plaintext bytes, every other one
``segment size - 16``; the last segment is flagged in its nonce, so truncation at a
segment boundary, reordering and appending all fail authentication.

Why not Tink's own stream: its Python wrapper copies every segment through the C++
stream adapter and holds the GIL while doing it (0.30 of raw AES-GCM + SHA-256 in the
issue 17 measurement). Here each segment is one ``AESGCM`` call, which releases the
GIL, so hashing and encryption of consecutive segments run on both cores.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from tink.proto import aes_gcm_hkdf_streaming_pb2, common_pb2, tink_pb2

KEY_TYPE = "type.googleapis.com/google.crypto.tink.AesGcmHkdfStreamingKey"
NONCE_PREFIX = 7
TAG = 16
_HKDF_HASHES: dict[int, type[hashes.HashAlgorithm]] = {
    common_pb2.SHA1: hashes.SHA1,
    common_pb2.SHA256: hashes.SHA256,
    common_pb2.SHA512: hashes.SHA512,
}


class StreamCorrupt(Exception):
    """The ciphertext does not authenticate: changed, truncated, reordered or extended."""


class UnsupportedKey(Exception):
    """The keyset is not one AES-GCM-HKDF streaming key this module can use."""


@dataclass(frozen=True, slots=True)
class StreamKey:
    """One AES-GCM-HKDF streaming key: the key value and Tink's parameters."""

    key_value: bytes
    derived_key_size: int
    hkdf_hash: type[hashes.HashAlgorithm]
    segment_size: int

    def __post_init__(self) -> None:
        if self.derived_key_size not in (16, 32) or len(self.key_value) < self.derived_key_size:
            raise UnsupportedKey("AES-GCM-HKDF streaming needs a 16- or 32-byte derived key")
        if self.segment_size <= self.header_size + TAG:
            raise UnsupportedKey("the ciphertext segment cannot hold the header and a tag")

    @property
    def header_size(self) -> int:
        """Length byte, salt and nonce prefix."""
        return 1 + self.derived_key_size + NONCE_PREFIX

    def plain_size(self, index: int) -> int:
        """Plaintext bytes segment ``index`` holds when it is not the last."""
        first = self.header_size if index == 0 else 0
        return self.segment_size - first - TAG

    def cipher_size(self, index: int) -> int:
        """Ciphertext bytes of a full segment ``index`` (the header is not part of it)."""
        return self.plain_size(index) + TAG

    def segment_aead(self, salt: bytes, associated_data: bytes) -> AESGCM:
        """The AES-GCM instance of one stream (HKDF over the key value, salt and AAD)."""
        derived = HKDF(
            algorithm=self.hkdf_hash(),
            length=self.derived_key_size,
            salt=salt,
            info=associated_data,
        ).derive(self.key_value)
        return AESGCM(derived)


def stream_key_from_keyset(keyset: tink_pb2.Keyset) -> StreamKey:
    """The primary key of a Tink keyset, which must be an enabled AES-GCM-HKDF key.

    Data keysets hold exactly one key (Caveat never rotates inside one); anything
    else is refused rather than guessed at.
    """
    primary = [k for k in keyset.key if k.key_id == keyset.primary_key_id]
    if len(keyset.key) != 1 or len(primary) != 1:
        raise UnsupportedKey("a data keyset holds exactly one key, its primary")
    key = primary[0]
    if key.status != tink_pb2.ENABLED or key.key_data.type_url != KEY_TYPE:
        raise UnsupportedKey(f"the data key is not an enabled {KEY_TYPE.rsplit('.', 1)[1]}")
    if key.output_prefix_type != tink_pb2.RAW:
        raise UnsupportedKey("a streaming key has no output prefix")
    proto = aes_gcm_hkdf_streaming_pb2.AesGcmHkdfStreamingKey.FromString(key.key_data.value)
    hkdf_hash = _HKDF_HASHES.get(proto.params.hkdf_hash_type)
    if proto.version != 0 or hkdf_hash is None:
        raise UnsupportedKey("unsupported AES-GCM-HKDF key version or hash")
    return StreamKey(
        key_value=bytes(proto.key_value),
        derived_key_size=proto.params.derived_key_size,
        hkdf_hash=hkdf_hash,
        segment_size=proto.params.ciphertext_segment_size,
    )


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    if index >= 2**32:
        raise StreamCorrupt("a stream holds at most 2^32 segments")
    return prefix + index.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


class StreamEncryptor:
    """Plaintext in through ``write``, ciphertext out through ``emit``; ``close`` ends it.

    A full segment is held until more plaintext arrives (or ``close``), because only
    then is it known whether it is the last: a stream that fills its last segment
    exactly ends with that segment, as Tink's own writers do. ``emit`` receives a view
    of a buffer reused for the next segment: it must write or copy it before returning.

    With ``reserve``, a segment is encrypted straight into the sink's own buffer:
    ``reserve(n)`` returns a writable view of the sink's next ``n`` bytes (or None, and
    the segment goes through ``emit`` as above), and that very view is then passed to
    ``emit``, which takes it in place.
    """

    def __init__(
        self,
        key: StreamKey,
        associated_data: bytes,
        emit: Callable[[memoryview], Any],
        reserve: Callable[[int], memoryview | None] | None = None,
    ) -> None:
        salt = os.urandom(key.derived_key_size)
        self._prefix = os.urandom(NONCE_PREFIX)
        self._key = key
        self._aead = key.segment_aead(salt, associated_data)
        self._emit = emit
        self._reserve = reserve
        self._index = 0
        # Buffers grow to what the stream needs, at most a segment: a small item does
        # not zero two or three segments' worth of memory (a received page of 64 did).
        self._capacity = key.plain_size(0)
        self._buffer = bytearray()
        self._sealed = bytearray()
        self._filled = 0
        self._closed = False
        emit(memoryview(bytes([key.header_size]) + salt + self._prefix))

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Encrypt ``data`` (segments are emitted as they fill)."""
        if self._closed:
            raise ValueError("write to a closed encrypting stream")
        view = memoryview(data).cast("B")
        while view:
            size = self._capacity
            if self._filled == size:
                self._seal_buffered(last=False)
                size = self._capacity
            if not self._filled and len(view) > size:
                # A whole segment with more after it: sealed from the caller's bytes, no copy.
                self._seal(view[:size], last=False)
                view = view[size:]
                continue
            take = min(size - self._filled, len(view))
            end = self._filled + take
            if len(self._buffer) < end:  # grown as needed, to a segment at most
                self._buffer.extend(
                    bytes(min(size, max(end, 2 * len(self._buffer))) - len(self._buffer))
                )
            self._buffer[self._filled : end] = view[:take]
            self._filled = end
            view = view[take:]

    def close(self) -> None:
        """Seal what is buffered as the last segment (empty for an empty stream)."""
        if not self._closed:
            self._seal_buffered(last=True)
            self._closed = True

    def _seal_buffered(self, *, last: bool) -> None:
        self._seal(memoryview(self._buffer)[: self._filled], last=last)
        self._filled = 0

    def _seal(self, plain: memoryview, *, last: bool) -> None:
        size = len(plain) + TAG
        sealed = self._reserve(size) if self._reserve is not None else None
        if sealed is None:
            if len(self._sealed) < size:
                self._sealed = bytearray(size if last else self._key.cipher_size(1))
            sealed = memoryview(self._sealed)[:size]
        self._aead.encrypt_into(_nonce(self._prefix, self._index, last), plain, None, sealed)
        self._emit(sealed)
        self._index += 1
        if self._index == 1:  # later segments hold more: the header is only in the first
            self._capacity = self._key.plain_size(1)


def _fill(source: BinaryIO, view: memoryview) -> int:
    """Read into ``view`` until it is full or the source ends; the bytes read."""
    got = 0
    readinto = getattr(source, "readinto", None)
    while got < len(view):
        if readinto is not None:
            n = readinto(view[got:])
        else:
            chunk = source.read(len(view) - got)
            n = len(chunk)
            view[got : got + n] = chunk
        if not n:
            break
        got += n
    return got


def decrypt_stream(
    key: StreamKey, source: BinaryIO, associated_data: bytes, *, start: int = 0
) -> Iterator[bytes]:
    """Plaintext from byte ``start`` to the end, one segment per item.

    Segments wholly before ``start`` are read past without being decrypted (each segment
    authenticates alone, its index and last-flag in the nonce); every segment from the
    one holding ``start`` is authenticated before any of its bytes are returned.
    """
    header = _fill(source, memoryview(header_bytes := bytearray(key.header_size)))
    if header != key.header_size or header_bytes[0] != key.header_size:
        raise StreamCorrupt("the stream header is missing or malformed")
    salt = bytes(header_bytes[1 : 1 + key.derived_key_size])
    prefix = bytes(header_bytes[1 + key.derived_key_size :])
    aead = key.segment_aead(salt, associated_data)
    index, offset = _first_segment(key, source, start)
    buffer = bytearray(key.cipher_size(1) + 1)
    view = memoryview(buffer)
    carried = 0  # one byte of the next segment, read to learn whether this one is last
    while True:
        size = key.cipher_size(index)
        got = carried + _fill(source, view[carried : size + 1])
        last = got <= size
        if got < TAG:
            raise StreamCorrupt(f"segment {index} is shorter than its tag")
        body = view[: min(got, size)]
        try:
            plain = aead.decrypt(_nonce(prefix, index, last), body, None)
        except InvalidTag:
            raise StreamCorrupt(f"segment {index} failed authentication") from None
        if start > offset:
            plain = plain[start - offset :]
        if plain:
            yield plain
        if last:
            return
        buffer[0] = buffer[size]
        carried = 1
        offset += key.plain_size(index)
        index += 1


def _first_segment(key: StreamKey, source: BinaryIO, start: int) -> tuple[int, int]:
    """Move ``source`` past the segments before ``start``; (index, plaintext offset)."""
    if start < 0:
        raise ValueError("start must not be negative")
    first = key.plain_size(0)
    if start < first:
        return 0, 0
    index = 1 + (start - first) // key.plain_size(1)
    skip_cipher = key.cipher_size(0) + (index - 1) * key.cipher_size(1)
    seekable = getattr(source, "seekable", None)
    if seekable is not None and seekable():
        source.seek(skip_cipher, os.SEEK_CUR)
    else:
        scratch = memoryview(bytearray(min(skip_cipher, key.cipher_size(1))))
        remaining = skip_cipher
        while remaining:
            n = _fill(source, scratch[: min(remaining, len(scratch))])
            if not n:
                break
            remaining -= n
    return index, first + (index - 1) * key.plain_size(1)
