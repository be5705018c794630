"""The local blob store's reads: aligned blocks, O_DIRECT where the file system takes it
(buffered where it is refused), read ahead on the blob I/O pool; on tmpfs plain preads on
the caller's thread. Every size and range reads back exactly either way, tampering still
fails authentication, errors are typed, close returns the buffers."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import gc
import hashlib
import os
import random
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caveat.adapters.blobstore import BlobMissing, LocalBlobStore, StorageFailed, local
from caveat.adapters.blobstore.local import (
    ALIGN,
    STAGE_BYTES,
    LocalBlobReader,
    MemoryBlobReader,
)
from caveat.adapters.kek import LocalKekFile, create_kek_file, new_data_key
from caveat.domain.artifacts import ContentCorrupt
from caveat.services.artifacts._content import PartedWriter, blob_key, read_range
from tests.tmpfs import tmpfs_directory

_O_DIRECT = getattr(os, "O_DIRECT", 0)
B = STAGE_BYTES
SIZES = [0, 1, ALIGN - 1, ALIGN, ALIGN + 1, B - 1, B, B + 1, 2 * B + ALIGN - 3, 3 * B + 40]


def _store(
    root: Path, sizes: list[int], *, direct: bool, memory: bool = False
) -> tuple[LocalBlobStore, dict[int, bytes]]:
    """Blobs of ``sizes``; read ahead on the pool (even where the temp directory is tmpfs)
    unless ``memory``, where ``root`` must be on tmpfs."""
    store = LocalBlobStore(root, direct=direct)
    if memory:
        assert not store.read_ahead  # tmpfs is told apart when the store opens
    store.read_ahead = not memory
    blobs = {}
    for size in sizes:
        data = random.Random(size).randbytes(size)
        writer = store.writer(f"v/s/g0/p{size:06d}")
        writer.write(data)
        writer.commit()
        blobs[size] = data
    return store, blobs


@pytest.fixture(scope="module", params=["direct", "buffered", "memory"])
def stored(request: pytest.FixtureRequest) -> Iterator[tuple[LocalBlobStore, dict[int, bytes]]]:
    if request.param == "memory":
        with tmpfs_directory() as root:
            yield _store(root, SIZES, direct=True, memory=True)
        return
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as root:
        yield _store(Path(root), SIZES, direct=request.param == "direct")


def _open(store: LocalBlobStore, size: int) -> LocalBlobReader:
    handle = store.open(f"v/s/g0/p{size:06d}")
    assert isinstance(handle, LocalBlobReader)
    return handle


def _open_either(store: LocalBlobStore, size: int) -> LocalBlobReader | MemoryBlobReader:
    """The reader the store chose: read ahead on the pool, or preads on tmpfs."""
    handle = store.open(f"v/s/g0/p{size:06d}")
    assert isinstance(handle, LocalBlobReader if store.read_ahead else MemoryBlobReader)
    return handle


@pytest.mark.parametrize("size", SIZES)
def test_every_size_reads_back_whole_and_in_any_pieces(
    stored: tuple[LocalBlobStore, dict[int, bytes]], size: int
) -> None:
    store, blobs = stored
    with _open_either(store, size) as handle:
        assert handle.read() == blobs[size]
        assert handle.read() == b""
    rng = random.Random(size)
    with _open_either(store, size) as handle:
        pieces = []
        while piece := handle.read(rng.choice([1, ALIGN - 1, ALIGN + 1, B - 1, B + 7])):
            pieces.append(piece)
        assert b"".join(pieces) == blobs[size]


@settings(max_examples=150, deadline=None)
@given(
    which=st.sampled_from(SIZES),
    start=st.integers(0, 3 * B + 100) | st.sampled_from([ALIGN - 1, ALIGN, B - 1, B, B + 1, 2 * B]),
    length=st.integers(0, 2 * B + 10) | st.sampled_from([1, ALIGN, B - 1, B, B + 1]),
    then=st.integers(0, 3 * B + 100),
)
def test_any_range_and_seek_reads_exactly_those_bytes(
    stored: tuple[LocalBlobStore, dict[int, bytes]], which: int, start: int, length: int, then: int
) -> None:
    store, blobs = stored
    data = blobs[which]
    with _open_either(store, which) as handle:
        assert handle.seek(start) == start
        assert handle.read(length) == data[start : start + length]
        assert handle.tell() == start + len(data[start : start + length])
        handle.seek(then - handle.tell(), os.SEEK_CUR)  # backwards or forwards
        buffer = bytearray(ALIGN + 3)
        got = handle.readinto(buffer)
        assert bytes(buffer[:got]) == data[then : then + ALIGN + 3]


def test_reads_bypass_the_page_cache_where_the_file_system_allows(tmp_path: Path) -> None:
    probe = tmp_path / "probe"
    probe.write_bytes(b"")
    try:
        os.close(os.open(probe, os.O_RDONLY | _O_DIRECT))
    except OSError:
        pytest.skip("this file system refuses O_DIRECT")
    store, _ = _store(tmp_path / "blobs", [B + 1], direct=True)
    with _open(store, B + 1) as handle:
        assert handle.direct
        assert fcntl.fcntl(handle.fileno(), fcntl.F_GETFL) & _O_DIRECT
    off, _ = _store(tmp_path / "off", [B + 1], direct=False)
    with _open(off, B + 1) as handle:
        assert not handle.direct


def test_a_file_system_that_refuses_o_direct_at_open_is_read_buffered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, blobs = _store(tmp_path / "blobs", [2 * B + 5], direct=True)
    real = os.open

    def refusing(path: Any, flags: int, *args: Any) -> int:
        if flags & _O_DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real(path, flags, *args)

    monkeypatch.setattr(os, "open", refusing)
    with _open(store, 2 * B + 5) as handle:
        assert not handle.direct
        assert handle.read() == blobs[2 * B + 5]


def test_a_device_that_refuses_the_alignment_falls_back_to_buffered_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, blobs = _store(tmp_path / "blobs", [3 * B + 40], direct=True)
    real = os.preadv
    refused: list[int] = []

    def picky(fd: int, buffers: list[memoryview], offset: int) -> int:
        if fcntl.fcntl(fd, fcntl.F_GETFL) & _O_DIRECT:
            refused.append(offset)
            raise OSError(errno.EINVAL, "Invalid argument")
        return real(fd, buffers, offset)

    monkeypatch.setattr(os, "preadv", picky)
    with _open(store, 3 * B + 40) as handle:
        handle.seek(ALIGN + 1)
        assert handle.read() == blobs[3 * B + 40][ALIGN + 1 :]
        assert not handle.direct
    assert len(refused) <= local.READ_AHEAD + 1  # the reads already in flight, then none


def test_a_range_after_the_header_reads_only_the_blocks_it_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = 6 * B + 40
    store, blobs = _store(tmp_path / "blobs", [size], direct=True)
    real = os.preadv
    offsets: list[int] = []

    def watching(fd: int, buffers: list[memoryview], offset: int) -> int:
        offsets.append(offset)
        return real(fd, buffers, offset)

    monkeypatch.setattr(os, "preadv", watching)
    with _open(store, size) as handle:
        assert handle.read(40) == blobs[size][:40]
        handle.seek(4 * B + 1, os.SEEK_CUR)
        assert handle.read(B) == blobs[size][4 * B + 41 : 5 * B + 41]
    assert sorted(set(offsets)) == [0, 4 * B, 5 * B, 6 * B]


def test_on_tmpfs_blobs_are_read_by_pread_straight_into_the_callers_buffer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    size = 3 * B + 40
    with tmpfs_directory() as root:
        store, blobs = _store(root / "blobs", [size], direct=True, memory=True)
        data = blobs[size]
        caller = threading.get_ident()
        real = os.preadv
        reads: list[tuple[int, int]] = []

        def on_the_caller(fd: int, buffers: list[memoryview], offset: int) -> int:
            assert threading.get_ident() == caller
            reads.append((offset, len(buffers[0])))
            return real(fd, buffers, offset)

        def no_pool() -> None:
            raise AssertionError("a tmpfs read used the blob I/O pool")

        class NoStaging(local._StageBuffers):
            def take(self) -> Any:
                raise AssertionError("a tmpfs read took a staging buffer")

        monkeypatch.setattr(local, "blob_io_workers", no_pool)
        monkeypatch.setattr(local, "_STAGES", NoStaging(STAGE_BYTES, keep=0))
        monkeypatch.setattr(os, "preadv", on_the_caller)
        with store.open(f"v/s/g0/p{size:06d}") as handle:
            assert isinstance(handle, MemoryBlobReader)
            assert not fcntl.fcntl(handle.fileno(), fcntl.F_GETFL) & _O_DIRECT
            header = bytearray(40)
            assert handle.readinto(header) == 40
            segment = bytearray(B + 1)  # a decryptor's segment and one byte: one pread
            assert handle.readinto(segment) == B + 1
            assert bytes(header + segment) == data[: 40 + B + 1]
            assert reads == [(0, 40), (40, B + 1)]
            handle.seek(B - 1)
            assert handle.read(2) == data[B - 1 : B + 1]  # across a block boundary
            handle.seek(-3, os.SEEK_END)
            assert handle.read(10) == data[-3:]  # short at the end of the file
            assert handle.read(10) == b""
            assert handle.readinto(bytearray(5)) == 0
            handle.seek(size + 7)
            assert handle.read() == b""
            handle.seek(2 * B + 1)
            assert handle.read() == data[2 * B + 1 :]
        assert handle.closed
        handle.close()  # again: nothing
        with pytest.raises(ValueError, match="closed"):
            handle.readinto(bytearray(1))


def test_on_tmpfs_errors_stay_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    with tmpfs_directory() as root:
        store, blobs = _store(root / "blobs", [B + 1], direct=True, memory=True)
        with pytest.raises(BlobMissing):
            store.open("v/s/g0/p999999")
        real_open = os.open

        def denied(path: Any, flags: int, *args: Any) -> int:
            if str(path).startswith(str(store.objects)):
                raise OSError(errno.EACCES, "Permission denied")
            return real_open(path, flags, *args)

        monkeypatch.setattr(os, "open", denied)
        with pytest.raises(StorageFailed):
            store.open(f"v/s/g0/p{B + 1:06d}")
        monkeypatch.undo()

        def failing(fd: int, buffers: list[memoryview], offset: int) -> int:
            raise OSError(errno.EIO, "Input/output error")

        with store.open(f"v/s/g0/p{B + 1:06d}") as handle:
            assert handle.read(10) == blobs[B + 1][:10]
            monkeypatch.setattr(os, "preadv", failing)
            with pytest.raises(StorageFailed):
                handle.read(10)


class _Counting(local._StageBuffers):
    def __init__(self) -> None:
        super().__init__(STAGE_BYTES, keep=8)
        self.out = 0

    def take(self) -> Any:
        self.out += 1
        return super().take()

    def give(self, buffer: Any) -> None:
        self.out -= 1
        super().give(buffer)


def test_close_returns_every_buffer_after_a_partial_read_an_error_or_a_read_in_flight(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, blobs = _store(tmp_path / "blobs", [3 * B + 40], direct=True)
    counting = _Counting()
    monkeypatch.setattr(local, "_STAGES", counting)
    with _open(store, 3 * B + 40) as handle:
        assert handle.read(10) == blobs[3 * B + 40][:10]
        assert counting.out == 1  # a small read (a header) starts no read-ahead
        assert handle.read(ALIGN) == blobs[3 * B + 40][10 : 10 + ALIGN]
        assert counting.out == 1 + local.READ_AHEAD  # the block being read, then those ahead
    assert counting.out == 0

    real = os.preadv
    release = threading.Event()
    started = threading.Event()

    def slow_then_failing(fd: int, buffers: list[memoryview], offset: int) -> int:
        if offset >= B:
            started.set()
            release.wait(10)
            raise OSError(errno.EIO, "Input/output error")
        return real(fd, buffers, offset)

    monkeypatch.setattr(os, "preadv", slow_then_failing)
    handle = _open(store, 3 * B + 40)
    assert handle.read(B) == blobs[3 * B + 40][:B]
    assert started.wait(10)
    closing = threading.Thread(target=handle.close)
    closing.start()
    closing.join(0.2)
    assert closing.is_alive()  # close waits for the read into a buffer it would return
    release.set()
    closing.join(10)
    assert counting.out == 0
    assert handle.closed

    with _open(store, 3 * B + 40) as failing:
        failing.read(B)
        with pytest.raises(StorageFailed):
            failing.read(1)
    assert counting.out == 0


def _encrypted(
    root: Path, data: bytes, part: int, *, direct: bool, memory: bool
) -> tuple[Any, Any, list[int]]:
    create_kek_file(root / "keys")
    key, _ = new_data_key(LocalKekFile(root / "keys"), "v1")
    store = LocalBlobStore(root / "blobs", direct=direct)
    if memory:
        assert not store.read_ahead
    store.read_ahead = not memory
    sizes: list[int] = []
    writer = PartedWriter(
        blobs=store,
        key=key,
        version_id="v1",
        generation=0,
        first_index=0,
        hasher=hashlib.sha256(),
        on_part=lambda stored, _h: sizes.append(stored.plain_size),
        limit=lambda _n: None,
        part_bytes=part,
    )
    writer.write(data)
    writer.finish()
    return store, key, sizes


@pytest.mark.parametrize("mode", ["direct", "buffered", "memory"])
def test_ranges_of_encrypted_parts_decrypt_exactly_and_tampering_fails(
    tmp_path: Path, mode: str
) -> None:
    with contextlib.ExitStack() as stack:
        root = stack.enter_context(tmpfs_directory()) if mode == "memory" else tmp_path
        _ranges_decrypt_exactly_and_tampering_fails(root, mode)


def _ranges_decrypt_exactly_and_tampering_fails(root: Path, mode: str) -> None:
    part = 5 * B + 3
    data = os.urandom(2 * part + B + 11)
    store, key, sizes = _encrypted(
        root, data, part, direct=mode == "direct", memory=mode == "memory"
    )
    assert sum(sizes) == len(data)
    with store.open(blob_key("v1", 0, 0)) as handle:
        assert isinstance(handle, MemoryBlobReader if mode == "memory" else LocalBlobReader)
    segment = 1 << 20
    first, later = key.stream_key.plain_size(0), key.stream_key.plain_size(1)
    edges = [0, 1, ALIGN - 1, ALIGN + 1, segment - 17, segment, B - 1, B + 1, part - 1, part + 1]
    # plaintext segment boundaries, and the end of the content
    edges += [first - 1, first, first + 1, first + later - 1, first + later, len(data) - 1]
    rng = random.Random(7)
    for start in edges + [rng.randrange(len(data)) for _ in range(6)]:
        for length in (1, ALIGN + 1, segment + 1, 2 * B + 5, len(data)):
            end = min(len(data), start + length)
            got = b"".join(read_range(store, key, "v1", 0, sizes, start, end))
            assert got == data[start:end], (start, end)

    path = store.objects / blob_key("v1", 0, 1)
    cipher = path.read_bytes()
    for cut in (len(cipher) - 1, len(cipher) - len(cipher) % ALIGN, B, B - 1, segment):
        path.write_bytes(cipher[:cut])
        with pytest.raises(ContentCorrupt):
            b"".join(read_range(store, key, "v1", 0, sizes, 0, len(data)))
    for flip, (start, end) in {
        ALIGN: (part, part + 10),
        B + 1: (part + B, part + B + 1),
        len(cipher) - 1: (2 * part - 1, 2 * part),
    }.items():
        changed = bytearray(cipher)
        changed[flip] ^= 1
        path.write_bytes(bytes(changed))
        with pytest.raises(ContentCorrupt):
            b"".join(read_range(store, key, "v1", 0, sizes, start, end))


@pytest.mark.parametrize("read_ahead", [True, False], ids=["pool", "memory"])
def test_a_failed_open_closes_the_descriptor_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, read_ahead: bool
) -> None:
    """``fstat`` failing while a blob is opened: a typed error, and its descriptor closed
    exactly once, also after the garbage collector has run. A second close of the same
    number would close whatever file another thread had opened under it meanwhile."""
    store, _ = _store(tmp_path, [10], direct=False)
    store.read_ahead = read_ahead
    blob = "p000010"
    opened: list[int] = []
    closes: list[int] = []
    real_fstat, real_close = os.fstat, os.close

    def fstat(fd: int) -> os.stat_result:
        if os.readlink(f"/proc/self/fd/{fd}").endswith(blob):  # only the blob's descriptor
            opened.append(fd)
            raise OSError(errno.EIO, "fstat failed")
        return real_fstat(fd)

    def close(fd: int) -> None:
        if fd in opened:
            closes.append(fd)
        real_close(fd)

    monkeypatch.setattr(os, "fstat", fstat)
    monkeypatch.setattr(os, "close", close)
    with pytest.raises(StorageFailed):
        store.open(f"v/s/g0/{blob}")
    gc.collect()
    monkeypatch.undo()
    assert len(opened) == 1
    assert closes == opened
