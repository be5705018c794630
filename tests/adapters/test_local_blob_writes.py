"""The local blob store's writes: staged, written by the I/O pool, O_DIRECT where the file
system takes it (the last unaligned bytes buffered), fsynced before the rename."""

from __future__ import annotations

import errno
import fcntl
import os
import random
import threading
from pathlib import Path

import pytest

from caveat.adapters.blobstore import LocalBlobStore, StorageFailed
from caveat.adapters.blobstore.local import ALIGN, STAGE_BYTES

SIZES = [0, 1, ALIGN - 1, ALIGN, ALIGN + 1, STAGE_BYTES - 1, STAGE_BYTES, 2 * STAGE_BYTES + 40]


def _read(store: LocalBlobStore, key: str) -> bytes:
    with store.open(key) as handle:
        return handle.read()


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


def test_a_caller_may_reuse_its_buffer_once_write_returns(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
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

    monkeypatch.setattr(os, "pwrite", picky)
    store = LocalBlobStore(tmp_path / "blobs")
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

    monkeypatch.setattr(os, "pwrite", slow)
    monkeypatch.setattr(os, "fsync", fsync)
    store = LocalBlobStore(tmp_path / "blobs")
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


def test_reserved_bytes_are_taken_in_place_between_copied_ones(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
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
