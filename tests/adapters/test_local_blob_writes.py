"""The local blob store's writes: staged, written by the I/O pool, O_DIRECT where the file
system takes it (the last unaligned bytes buffered); straight to the file, buffered, where it
does not or is memory (tmpfs); fsynced before the rename either way."""

from __future__ import annotations

import errno
import fcntl
import os
import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from caveat.adapters.blobstore import LocalBlobStore, StorageFailed, StorageFull, local
from caveat.adapters.blobstore.local import ALIGN, STAGE_BYTES
from tests.tmpfs import tmpfs_directory

SIZES = [0, 1, ALIGN - 1, ALIGN, ALIGN + 1, STAGE_BYTES - 1, STAGE_BYTES, 2 * STAGE_BYTES + 40]


def _read(store: LocalBlobStore, key: str) -> bytes:
    with store.open(key) as handle:
        return handle.read()


def _staged_store(root: Path, monkeypatch: pytest.MonkeyPatch) -> LocalBlobStore:
    """A store whose writers stage (``O_DIRECT``), wherever the temp directory is."""
    monkeypatch.setattr(local, "_in_memory_file_system", lambda path: False)
    store = LocalBlobStore(root)
    probe = store.writer("v/probe/g0/p000000")
    probe.abort()
    if not probe.staged:
        pytest.skip("the temp directory's file system refuses O_DIRECT")
    return store


@pytest.mark.parametrize("direct", [True, False])
@pytest.mark.parametrize("size", SIZES)
def test_any_size_in_any_pieces_reads_back(tmp_path: Path, direct: bool, size: int) -> None:
    store = LocalBlobStore(tmp_path / "blobs", direct=direct)
    data = random.Random(size).randbytes(size)
    rng = random.Random(size + 1)
    writer = store.writer("v/a/g0/p000000")
    offset = 0
    while offset < size:
        step = rng.choice([1, 40, ALIGN - 7, 1 << 20, STAGE_BYTES + 3])
        writer.write(memoryview(data)[offset : offset + step])
        offset += step
    assert writer.commit() == size
    assert _read(store, "v/a/g0/p000000") == data
    assert list(store.tmp.iterdir()) == []


def test_a_caller_may_reuse_its_buffer_once_write_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _staged_store(tmp_path / "blobs", monkeypatch)
    buffer = bytearray(STAGE_BYTES)
    writer = store.writer("v/b/g0/p000000")
    for fill in range(3):
        buffer[:] = bytes([fill]) * STAGE_BYTES
        writer.write(memoryview(buffer))
    writer.commit()
    assert _read(store, "v/b/g0/p000000") == b"".join(bytes([i]) * STAGE_BYTES for i in range(3))


def test_a_device_that_refuses_the_alignment_falls_back_to_buffered_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = os.pwrite
    refused: list[int] = []

    def picky(fd: int, data: memoryview, offset: int) -> int:
        if fcntl.fcntl(fd, fcntl.F_GETFL) & getattr(os, "O_DIRECT", 0):
            refused.append(offset)
            raise OSError(errno.EINVAL, "Invalid argument")
        return real(fd, data, offset)

    store = _staged_store(tmp_path / "blobs", monkeypatch)
    monkeypatch.setattr(os, "pwrite", picky)
    data = os.urandom(3 * STAGE_BYTES + 5)
    writer = store.writer("v/c/g0/p000000")
    writer.write(data)
    writer.commit()
    assert _read(store, "v/c/g0/p000000") == data
    assert len(refused) <= 1  # once refused, the rest of the file is buffered


def test_commit_fsyncs_only_after_every_write_and_abort_waits_for_the_write_in_flight(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_pwrite, real_fsync = os.pwrite, os.fsync
    release = threading.Event()
    events: list[str] = []

    def slow(fd: int, data: memoryview, offset: int) -> int:
        release.wait(10)
        events.append("write")
        return real_pwrite(fd, data, offset)

    def fsync(fd: int) -> None:
        events.append("fsync")
        real_fsync(fd)

    store = _staged_store(tmp_path / "blobs", monkeypatch)
    monkeypatch.setattr(os, "pwrite", slow)
    monkeypatch.setattr(os, "fsync", fsync)
    writer = store.writer("v/d/g0/p000000")
    writer.write(os.urandom(STAGE_BYTES + 1))  # one write in flight, held
    threading.Timer(0.2, release.set).start()
    writer.commit()
    first_fsync = events.index("fsync")
    assert events[:first_fsync] == ["write", "write"]  # the held write, then the tail
    assert "write" not in events[first_fsync:]

    release.clear()
    events.clear()
    aborted = store.writer("v/e/g0/p000000")
    aborted.write(os.urandom(STAGE_BYTES + 1))
    threading.Timer(0.2, release.set).start()
    aborted.abort()
    assert events == ["write"]  # the write finished before the file was removed
    assert list(store.tmp.iterdir()) == []
    with pytest.raises(StorageFailed):
        aborted.write(b"x")


def test_reserved_bytes_are_taken_in_place_between_copied_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _staged_store(tmp_path / "blobs", monkeypatch)
    writer = store.writer("v/f/g0/p000000")
    expected = bytearray()
    rng = random.Random(7)
    for _ in range(12):
        size = rng.choice([40, ALIGN, (1 << 20) - 40, 1 << 20, STAGE_BYTES + 1])
        piece = rng.randbytes(size)
        slot = writer.reserve(size)
        if slot is None:
            writer.write(piece)  # does not fit what is left of the staging buffer: copied
        else:
            slot[:] = piece
            writer.write(slot)
        expected += piece
    assert writer.reserve(STAGE_BYTES + 1) is None
    assert writer.commit() == len(expected)
    assert _read(store, "v/f/g0/p000000") == expected
    assert writer.reserve(1) is None  # nothing to reserve after commit


@pytest.fixture
def tmpfs_dir() -> Iterator[Path]:
    with tmpfs_directory() as tmp:
        yield tmp


def test_memory_file_systems_are_told_apart(tmpfs_dir: Path) -> None:
    assert local._in_memory_file_system(tmpfs_dir)
    assert not local._in_memory_file_system(Path("/proc"))


def _unstaged_round_trip(store: LocalBlobStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Writes go straight to the file on the caller's thread: no reserve, no staging
    buffer, no I/O pool, no pwrite; fsync before the rename; the bytes read back."""

    def no_pool() -> None:
        raise AssertionError("an unstaged write used the blob I/O pool")

    def no_pwrite(*args: object) -> int:
        raise AssertionError("an unstaged write used pwrite")

    events: list[str] = []
    real_write, real_fsync, real_replace = os.write, os.fsync, os.replace

    def write(fd: int, data: memoryview) -> int:
        events.append("write")
        return real_write(fd, data)

    def fsync(fd: int) -> None:
        events.append("fsync")
        real_fsync(fd)

    def replace(src: str, dst: str) -> None:
        events.append("rename")
        real_replace(src, dst)

    monkeypatch.setattr(local, "blob_io_workers", no_pool)
    monkeypatch.setattr(os, "pwrite", no_pwrite)
    monkeypatch.setattr(os, "write", write)
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    data = random.Random(3).randbytes(2 * STAGE_BYTES + 40)
    writer = store.writer("v/u/g0/p000000")
    assert not writer.staged
    assert writer.reserve(ALIGN) is None
    buffer = bytearray(ALIGN + 3)
    for offset in range(0, len(data), len(buffer)):
        piece = data[offset : offset + len(buffer)]
        buffer[: len(piece)] = piece
        writer.write(memoryview(buffer)[: len(piece)])  # the caller reuses its buffer
    assert events
    assert set(events) == {"write"}  # written before each write returned
    assert writer.commit() == len(data)
    assert events[-3:] == ["fsync", "rename", "fsync"]  # the file, then its directory
    monkeypatch.undo()
    assert _read(store, "v/u/g0/p000000") == data
    assert list(store.tmp.iterdir()) == []


def test_on_tmpfs_blobs_are_written_straight_to_the_file(
    tmpfs_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalBlobStore(tmpfs_dir / "blobs")
    assert not store.stage_writes  # tmpfs takes O_DIRECT, but copies into memory anyway
    _unstaged_round_trip(store, monkeypatch)


def test_a_file_system_that_refuses_o_direct_at_open_is_written_straight_to_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local, "_in_memory_file_system", lambda path: False)
    monkeypatch.setattr(local, "_O_DIRECT", local._O_DIRECT or 0o40000)
    real_open = os.open
    refused: list[str] = []

    def refuse_direct(path: Path, flags: int, mode: int = 0o777) -> int:
        if flags & local._O_DIRECT:
            refused.append(str(path))
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_open(path, flags, mode)

    monkeypatch.setattr(os, "open", refuse_direct)
    store = LocalBlobStore(tmp_path / "blobs")
    assert store.stage_writes
    _unstaged_round_trip(store, monkeypatch)
    assert len(refused) == 1  # tried once, at open


def test_a_failed_unstaged_write_is_typed_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalBlobStore(tmp_path / "blobs", direct=False)
    writer = store.writer("v/w/g0/p000000")
    assert not writer.staged

    def full(fd: int, data: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(StorageFull):
        writer.write(b"x" * 10)
    monkeypatch.undo()
    assert list(store.tmp.iterdir()) == []
    with pytest.raises(StorageFailed):
        writer.commit()
