"""The local blob store's reads: aligned blocks, O_DIRECT where the file system takes it
(buffered where it is refused), read ahead on the blob I/O pool; every size and range
reads back exactly, tampering still fails authentication, close returns the buffers."""

from __future__ import annotations

import errno
import fcntl
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

from caveat.adapters.blobstore import LocalBlobStore, StorageFailed, local
from caveat.adapters.blobstore.local import ALIGN, STAGE_BYTES, LocalBlobReader
from caveat.adapters.kek import LocalKekFile, create_kek_file, new_data_key
from caveat.domain.artifacts import ContentCorrupt
from caveat.services.artifacts._content import PartedWriter, blob_key, read_range

_O_DIRECT = getattr(os, "O_DIRECT", 0)
B = STAGE_BYTES
SIZES = [0, 1, ALIGN - 1, ALIGN, ALIGN + 1, B - 1, B, B + 1, 2 * B + ALIGN - 3, 3 * B + 40]


def _store(
    root: Path, sizes: list[int], *, direct: bool
) -> tuple[LocalBlobStore, dict[int, bytes]]:
    store = LocalBlobStore(root, direct=direct)
    blobs = {}
    for size in sizes:
        data = random.Random(size).randbytes(size)
        writer = store.writer(f"v/s/g0/p{size:06d}")
        writer.write(data)
        writer.commit()
        blobs[size] = data
    return store, blobs


@pytest.fixture(scope="module", params=[True, False], ids=["direct", "buffered"])
def stored(request: pytest.FixtureRequest) -> Iterator[tuple[LocalBlobStore, dict[int, bytes]]]:
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as root:
        yield _store(Path(root), SIZES, direct=request.param)


def _open(store: LocalBlobStore, size: int) -> LocalBlobReader:
    handle = store.open(f"v/s/g0/p{size:06d}")
    assert isinstance(handle, LocalBlobReader)
    return handle


@pytest.mark.parametrize("size", SIZES)
def test_every_size_reads_back_whole_and_in_any_pieces(
    stored: tuple[LocalBlobStore, dict[int, bytes]], size: int
) -> None:
    store, blobs = stored
    with _open(store, size) as handle:
        assert handle.read() == blobs[size]
        assert handle.read() == b""
    rng = random.Random(size)
    with _open(store, size) as handle:
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
    with _open(store, which) as handle:
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
    tmp_path: Path, data: bytes, part: int, *, direct: bool
) -> tuple[Any, Any, list[int]]:
    create_kek_file(tmp_path / "keys")
    key, _ = new_data_key(LocalKekFile(tmp_path / "keys"), "v1")
    store = LocalBlobStore(tmp_path / "blobs", direct=direct)
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


@pytest.mark.parametrize("direct", [True, False], ids=["direct", "buffered"])
def test_ranges_of_encrypted_parts_decrypt_exactly_and_tampering_fails(
    tmp_path: Path, direct: bool
) -> None:
    part = 5 * B + 3
    data = os.urandom(2 * part + B + 11)
    store, key, sizes = _encrypted(tmp_path, data, part, direct=direct)
    assert sum(sizes) == len(data)
    segment = 1 << 20
    edges = [0, 1, ALIGN - 1, ALIGN + 1, segment - 17, segment, B - 1, B + 1, part - 1, part + 1]
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
