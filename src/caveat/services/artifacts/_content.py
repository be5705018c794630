"""The content pipeline: plaintext in, encrypted parts out, and back, never buffered whole.

Writing: each part (≤ 64 MiB of plaintext) is one stream (Tink's AES-GCM-HKDF format,
:mod:`caveat.adapters.streaming_aead`) into one blob writer; the blob is committed
(fsync, rename) before the database row that names it. Reading: a range read starts at
the segment holding its first byte; the segments before it are not decrypted.

Both directions use the second core (ADR 0015): while a write's bytes are encrypted,
another thread hashes them; while a reader hashes or sends one segment, the next is
read and decrypted. AES-GCM and SHA-256 both release the GIL. A full part's blob is
fsynced on a commit thread while the next part is encrypted (at most
``COMMITS_IN_FLIGHT`` parts of a write in flight); its row is recorded only once that
commit has returned. A local blob store on a disk takes each segment's ciphertext in
place (the encryptor seals it into the store's staging buffer) and writes it ``O_DIRECT``
from another thread; on tmpfs, or where ``O_DIRECT`` is refused, it writes each segment
straight away (ADR 0031).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from caveat.adapters.blobstore import BlobMissing, BlobStore, BlobWriter
from caveat.adapters.kek import DataKey
from caveat.adapters.streaming_aead import StreamCorrupt
from caveat.adapters.workers import crypto_workers
from caveat.domain.artifacts import PART_BYTES, ContentCorrupt, part_associated_data

OVERLAP_BYTES = 64 * 1024  # below this, a second thread costs more than it saves
COMMITS_IN_FLIGHT = 2  # sealed parts of one write waiting on the disk; more holds more buffers


def blob_key(version_id: str, generation: int, index: int) -> str:
    """Where part ``index`` of a version's encryption ``generation`` is stored."""
    return f"v/{version_id}/g{generation}/p{index:06d}"


def version_prefix(version_id: str) -> str:
    """The key prefix of every blob of a version."""
    return f"v/{version_id}/"


@dataclass(frozen=True, slots=True)
class StoredPart:
    """A committed part: its index and sizes."""

    index: int
    plain_size: int
    cipher_size: int


class PartWriter:
    """Encrypts one part into one blob; ``commit`` makes it durable, ``abort`` removes it.

    ``commit`` is ``seal`` (the final segment, on the writing thread) then ``store`` (the
    blob's fsync and rename, which may run on another thread: after ``seal`` nothing else
    touches the part, and a failed ``store`` removes the blob itself).
    """

    def __init__(
        self, blobs: BlobStore, key: DataKey, version_id: str, generation: int, index: int
    ) -> None:
        self.index = index
        self.plain_size = 0
        self._blob: BlobWriter = blobs.writer(blob_key(version_id, generation, index))
        try:
            self._stream = key.encrypting(
                self._blob.write,
                part_associated_data(version_id, generation, index),
                getattr(self._blob, "reserve", None),  # local store: encrypt into its buffer
            )
        except BaseException:
            self._blob.abort()
            raise
        self._open = True

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Encrypt ``data`` into the part."""
        try:
            self._stream.write(data)
        except BaseException:
            self.abort()
            raise
        self.plain_size += len(data)

    def seal(self) -> None:
        """Finish the stream (final segment); the blob is written but not yet durable."""
        try:
            self._stream.close()
        except BaseException:
            self.abort()
            raise

    def store(self) -> StoredPart:
        """fsync and rename the sealed blob; on failure it is removed and the error raised."""
        try:
            size = self._blob.commit()
        except BaseException:
            self.abort()
            raise
        self._open = False
        return StoredPart(self.index, self.plain_size, size)

    def commit(self) -> StoredPart:
        """Finish the stream, fsync and rename the blob."""
        self.seal()
        return self.store()

    def abort(self) -> None:
        """Drop the part; nothing stays under its key."""
        if self._open:
            self._open = False
            self._blob.abort()


@dataclass(slots=True)
class _Storing:
    """A sealed part whose blob is being made durable on the commit thread."""

    done: Future[StoredPart]
    hashed: Any  # the SHA-256 of the content up to the part's end (a copy)


class PartedWriter:
    """Plaintext in, parts out: rolls to a new part at ``PART_BYTES``; hashes as it goes.

    A full part's blob is committed (fsync, rename, directory fsync) on the writer's own
    commit thread, in part order, while the next part is encrypted; at most
    ``COMMITS_IN_FLIGHT`` parts are in flight, so memory stays flat. ``on_part(part,
    hashed)`` runs on the writing thread, in part order, only after the part's blob is
    durable (the caller records the row); ``hashed`` is the SHA-256 of the content up to
    the part's end. A failed commit fails the next ``write`` or ``finish``; neither it
    nor any part after it is reported, and the blobs of those after it are deleted. When
    ``finish`` returns, every part is durable and reported; ``abort`` waits for the parts
    in flight, so nothing is renamed into place after it returns.
    """

    def __init__(
        self,
        *,
        blobs: BlobStore,
        key: DataKey,
        version_id: str,
        generation: int,
        first_index: int,
        hasher: Any,
        on_part: Callable[[StoredPart, Any], None],
        limit: Callable[[int], None],
        part_bytes: int = PART_BYTES,
    ) -> None:
        self._blobs = blobs
        self._key = key
        self._version_id = version_id
        self._generation = generation
        self._next_index = first_index
        self.hasher = hasher
        self._on_part = on_part
        self._limit = limit  # raises when the running total passes the size limit
        self._part_bytes = part_bytes
        self._part: PartWriter | None = None
        self._storing: deque[_Storing] = deque()
        self._committer: ThreadPoolExecutor | None = None  # started by the first full part
        self.written = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Hash and encrypt ``data``; raises (and drops the open part) past the limit or
        when a part's commit failed."""
        view = memoryview(data)
        if not view:
            return
        try:
            self._limit(self.written + len(view))
            self._settle()
            while view:
                if self._part is None:
                    self._part = PartWriter(
                        self._blobs, self._key, self._version_id, self._generation, self._next_index
                    )
                room = self._part_bytes - self._part.plain_size
                piece = view[:room]
                self._encrypt_and_hash(self._part, piece)
                self.written += len(piece)
                view = view[len(piece) :]
                if self._part.plain_size >= self._part_bytes:
                    self._close_part(in_background=True)
        except BaseException:
            self.abort()
            raise

    def _encrypt_and_hash(self, part: PartWriter, piece: memoryview) -> None:
        """Encrypt on this thread while another hashes; both done before returning.

        Waiting keeps the caller free to reuse its buffer once ``write`` returns."""
        if len(piece) < OVERLAP_BYTES:
            part.write(piece)
            self.hasher.update(piece)
            return
        hashed: Future[None] = crypto_workers().submit(self.hasher.update, piece)
        try:
            part.write(piece)
        finally:
            hashed.result()

    def _close_part(self, *, in_background: bool) -> None:
        """Seal the open part; store it on the commit thread, or here (the last part)."""
        part = self._part
        assert part is not None
        self._part = None
        part.seal()
        hashed = self.hasher.copy()
        self._next_index += 1
        try:
            self._settle(keep=COMMITS_IN_FLIGHT - 1 if in_background else 0)
        except BaseException:
            part.abort()
            raise
        if in_background:
            try:
                if self._committer is None:
                    self._committer = ThreadPoolExecutor(1, thread_name_prefix="caveat-commit")
                done = self._committer.submit(part.store)
            except BaseException:
                part.abort()
                raise
            self._storing.append(_Storing(done, hashed))
        else:
            self._on_part(part.store(), hashed)

    def _settle(self, *, keep: int | None = None) -> None:
        """Report parts in flight, in order, once their commits are done (raising the
        first failure). With ``keep``, wait until at most ``keep`` remain in flight."""
        while self._storing:
            head = self._storing[0]
            if not head.done.done() and (keep is None or len(self._storing) <= keep):
                return
            self._storing.popleft()
            try:
                self._on_part(head.done.result(), head.hashed)
            except BaseException:
                self._drop_in_flight()
                raise

    def _drop_in_flight(self) -> None:
        """Wait for the parts still in flight and delete those that were committed: a
        part before them failed, so they can never be reported."""
        while self._storing:
            done = self._storing.popleft().done
            with contextlib.suppress(Exception):  # the failure being raised is the first
                stored = done.result()
                self._blobs.delete(blob_key(self._version_id, self._generation, stored.index))

    def finish(self) -> None:
        """Close the open part, if it holds any bytes; every part is durable on return."""
        try:
            if self._part is not None and self._part.plain_size:
                self._close_part(in_background=False)
            else:
                if self._part is not None:
                    self._part.abort()
                    self._part = None
                self._settle(keep=0)
        except BaseException:
            self.abort()
            raise
        self._stop_committer()

    def abort(self) -> None:
        """Drop the open part and wait for the parts in flight: those committed before
        the failure that led here are still reported, in order, as they would have been
        without the overlap; a part after one that fails is deleted, not reported (that
        error is dropped: the caller is handling the failure that led here)."""
        if self._part is not None:
            self._part.abort()
            self._part = None
        with contextlib.suppress(Exception):  # the failure being handled is the caller's
            self._settle(keep=0)
        self._stop_committer()

    def _stop_committer(self) -> None:
        """End the commit thread (nothing is in flight any more)."""
        if self._committer is not None:
            self._committer.shutdown()
            self._committer = None


def decrypt_part(
    blobs: BlobStore,
    key: DataKey,
    version_id: str,
    generation: int,
    index: int,
    *,
    skip: int = 0,
    take: int | None = None,
    expected: int | None = None,
) -> Iterator[bytes]:
    """Plaintext of one part from ``skip`` for ``take`` bytes; ContentCorrupt on tampering.

    With ``expected`` (the part's plaintext size) a whole-part read also checks the
    length, so a part that decrypts but is shorter or longer than recorded fails.
    """
    where = f"part {index} of version {version_id}"
    remaining = take
    total = 0
    try:
        with blobs.open(blob_key(version_id, generation, index)) as source:
            associated = part_associated_data(version_id, generation, index)
            for chunk in key.decrypting(source, associated, start=skip):
                if remaining is not None:
                    chunk = chunk[:remaining]
                    remaining -= len(chunk)
                total += len(chunk)
                yield chunk
                if remaining == 0:
                    break
    except StreamCorrupt as exc:
        raise ContentCorrupt(
            f"{where} failed authenticated decryption",
            hint="the stored blob was changed, truncated or swapped; restore it from backup",
        ) from exc
    except BlobMissing:
        raise
    if remaining:
        raise ContentCorrupt(f"{where} ends before its recorded size")
    if take is None and expected is not None and total != expected:
        raise ContentCorrupt(f"{where} holds {total} bytes, not the {expected} recorded")


def read_range(
    blobs: BlobStore,
    key: DataKey,
    version_id: str,
    generation: int,
    part_sizes: Sequence[int],
    start: int,
    end: int,
) -> Iterator[bytes]:
    """Plaintext bytes [start, end) across parts, the next segment decrypted ahead."""
    return read_ahead(range_chunks(blobs, key, version_id, generation, part_sizes, start, end))


def range_chunks(
    blobs: BlobStore,
    key: DataKey,
    version_id: str,
    generation: int,
    part_sizes: Sequence[int],
    start: int,
    end: int,
) -> Iterator[bytes]:
    """Plaintext bytes [start, end) across parts, decrypted as they are asked for."""
    offset = 0
    for index, size in enumerate(part_sizes):
        part_start, part_end = offset, offset + size
        offset = part_end
        if part_end <= start or part_start >= end:
            continue
        skip = max(0, start - part_start)
        take = min(end, part_end) - part_start - skip
        whole = skip == 0 and take == size
        yield from decrypt_part(
            blobs,
            key,
            version_id,
            generation,
            index,
            skip=skip,
            take=None if whole else take,
            expected=size if whole else None,
        )


def hash_parts(
    blobs: BlobStore, key: DataKey, version_id: str, generation: int, part_sizes: Sequence[int]
) -> Any:
    """A SHA-256 object fed with the plaintext of every part (each authenticated)."""
    hasher = hashlib.sha256()
    total = sum(part_sizes)
    for chunk in read_range(blobs, key, version_id, generation, part_sizes, 0, total):
        hasher.update(chunk)
    return hasher


def read_ahead(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """``chunks``, each next one produced on a worker while the caller uses the current.

    At most one item is in flight, so the iterator is never advanced by two threads at
    once; closing early waits for it and then closes ``chunks`` (its files with it).
    """
    pool = crypto_workers()
    pending: Future[bytes | None] = pool.submit(next, chunks, None)
    try:
        while (chunk := pending.result()) is not None:
            pending = pool.submit(next, chunks, None)
            yield chunk
    finally:
        if not pending.cancel():
            pending.exception()  # wait for the item in flight before closing its source
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
