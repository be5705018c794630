"""Blobs as files under the data directory: temp file, fsync, rename, fsync the directory.

Layout: ``<root>/objects/<key>`` for committed blobs and ``<root>/tmp/`` for writes in
progress. A crash leaves at most a temp file, which ``sweep_temporary`` removes.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import errno
import fcntl
import io
import mmap
import os
import sys
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, cast

from caveat.adapters.blobstore.base import (
    BlobInfo,
    BlobMissing,
    StorageFailed,
    StorageFull,
    check_key,
)
from caveat.adapters.workers import blob_io_workers

_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def storage_error(exc: OSError, what: str) -> StorageFailed | StorageFull:
    """The typed error for an OSError: StorageFull for no space, StorageFailed otherwise."""
    if exc.errno in _FULL:
        return StorageFull(
            f"the blob store is full while {what}; nothing was stored",
            hint="free space in the data directory (or raise the quota), then upload again",
        )
    return StorageFailed(f"the blob store failed while {what}: {exc.strerror}")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _StageBuffers:
    """Page-aligned staging buffers (anonymous maps), reused so their pages stay mapped.

    A fresh buffer costs a page fault per 4 KiB on first touch; a returned one is kept
    (at most ``keep``) for the next writer. Thread-safe.
    """

    def __init__(self, size: int, keep: int) -> None:
        self.size = size
        self._keep = keep
        self._free: list[mmap.mmap] = []
        self._lock = threading.Lock()

    def take(self) -> mmap.mmap:
        with self._lock:
            if self._free:
                return self._free.pop()
        return mmap.mmap(-1, self.size)

    def give(self, buffer: mmap.mmap) -> None:
        with self._lock:
            if len(self._free) < self._keep:
                self._free.append(buffer)
                return
        with contextlib.suppress(BufferError):  # a view still held: freed with it
            buffer.close()


ALIGN = 4096  # O_DIRECT: buffer, offset and length on the device's logical block (512 or 4096)
STAGE_BYTES = 2 << 20  # one write to the disk; a multiple of ALIGN
_STAGES = _StageBuffers(
    STAGE_BYTES, keep=8
)  # a writer holds two (three per upload), a reader three
_O_DIRECT = getattr(os, "O_DIRECT", 0)


# statfs f_type of file systems whose files are page-cache pages: tmpfs takes O_DIRECT
# (Linux >= 6.6) but copies every write into its pages all the same.
_MEMORY_FILE_SYSTEMS = frozenset({0x01021994, 0x858458F6})  # TMPFS_MAGIC, RAMFS_MAGIC


def _in_memory_file_system(path: Path) -> bool:
    """Whether ``path`` is on tmpfs or ramfs (Linux; False where it cannot be told)."""
    if not sys.platform.startswith("linux"):
        return False
    buffer = ctypes.create_string_buffer(256)  # struct statfs is 120 bytes on 64-bit Linux
    try:
        if ctypes.CDLL(None, use_errno=True).statfs(os.fsencode(path), buffer) != 0:
            return False
    except (OSError, AttributeError):
        return False
    # f_type comes first, a C long (__fsword_t) on the 64-bit ABIs and i386.
    return ctypes.c_long.from_buffer(buffer).value & 0xFFFFFFFF in _MEMORY_FILE_SYSTEMS


def _open_for_writing(path: Path, *, direct: bool) -> tuple[int, bool]:
    """A new temp file; with O_DIRECT (bypassing the page cache) where the file system
    takes it, else buffered. Returns the descriptor and whether it is direct."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    if direct and _O_DIRECT:
        try:
            return os.open(path, flags | _O_DIRECT, 0o600), True
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise
    return os.open(path, flags, 0o600), False


class LocalBlobWriter:
    """A temp file that becomes the blob on commit.

    Where the file system takes ``O_DIRECT`` and is not memory (tmpfs, ramfs), the writes
    are staged: bytes go into a ``STAGE_BYTES`` staging buffer (copied, or encrypted
    straight into it through ``reserve``); a full buffer is written by the shared blob
    I/O pool while the caller fills the other one (at most one write in flight), so
    encrypting, hashing and writing run at once. The disk reads the staging buffer
    itself, and nothing is copied into (freshly allocated) page-cache pages, which cost
    more CPU than encrypting them. The last, unaligned bytes are written buffered.

    Elsewhere each ``write`` goes straight to the file, buffered, on the caller's thread:
    the kernel copies the bytes into the page cache whatever the writer does, so a
    staging buffer and a thread hand-off would only add to it (``reserve`` returns None).

    ``commit`` waits for every write, then fsyncs: the blob is durable before it is
    visible. A failed write surfaces (typed) from the next ``write`` or ``commit``, and
    the temp file is gone.
    """

    def __init__(self, store: LocalBlobStore, key: str) -> None:
        self._final = store.objects / key
        self._tmp = store.tmp / f"{uuid.uuid4().hex}.part"
        try:
            fd, self._direct = _open_for_writing(self._tmp, direct=store.stage_writes)
        except OSError as exc:
            raise storage_error(exc, "creating a blob") from exc
        self._fd: int | None = fd
        self._staged = self._direct  # stays so if the device later refuses the alignment
        self._size = 0  # bytes accepted
        self._flushed = 0  # file offset of the staging buffer
        self._stage: mmap.mmap | None = None
        self._filled = 0
        self._spare: mmap.mmap | None = None
        self._writing: mmap.mmap | None = None  # the buffer of the write in flight
        self._pending: Future[None] | None = None
        self._reserved: memoryview | None = None

    @property
    def staged(self) -> bool:
        """Whether writes go through staging buffers and the I/O pool (``O_DIRECT``)."""
        return self._staged

    def reserve(self, size: int) -> memoryview | None:
        """The next ``size`` bytes of the staging buffer, to fill in place and then pass
        to ``write`` (which takes them without a copy); None when they do not fit in what
        is left of the buffer, or the writes are not staged (then ``write`` copies as
        usual)."""
        if not self._staged or self._fd is None or size > STAGE_BYTES - self._filled:
            return None
        if self._stage is None:
            self._stage, self._spare = self._spare or _STAGES.take(), None
        self._reserved = memoryview(self._stage)[self._filled : self._filled + size]
        return self._reserved

    def write(self, data: bytes | memoryview) -> None:
        """Take ``data`` (copied before returning, unless it is the view ``reserve`` just
        returned); raises a typed error, and the temp file is gone, when this or an
        earlier write failed."""
        if self._fd is None:
            raise StorageFailed("write after commit or abort")
        reserved, self._reserved = self._reserved, None
        try:
            if not self._staged:
                self._write_through(memoryview(data).cast("B"))
                return
            if reserved is not None and data is reserved:
                self._filled += len(reserved)
                self._size += len(reserved)
                if self._filled == STAGE_BYTES:
                    self._flush_stage()
                return
            self._copy(memoryview(data).cast("B"))
        except OSError as exc:
            self.abort()
            raise storage_error(exc, "writing a blob") from exc

    def _write_through(self, view: memoryview) -> None:
        """Write ``view`` to the file now (buffered, unstaged)."""
        fd = self._fd
        assert fd is not None
        while view:
            written = os.write(fd, view)
            if not written:
                raise OSError(errno.EIO, "the file system took no bytes")
            self._size += written
            view = view[written:]

    def _copy(self, view: memoryview) -> None:
        while view:
            if self._stage is None:
                self._stage, self._spare = self._spare or _STAGES.take(), None
            take = min(len(view), STAGE_BYTES - self._filled)
            self._stage[self._filled : self._filled + take] = view[:take]
            self._filled += take
            self._size += take
            view = view[take:]
            if self._filled == STAGE_BYTES:
                self._flush_stage()

    def _flush_stage(self) -> None:
        """Hand the staging buffer to the I/O pool (after the write before it is done)."""
        self._wait()
        stage, length, offset = self._stage, self._filled, self._flushed
        assert stage is not None
        self._pending = blob_io_workers().submit(self._write_at, stage, length, offset)
        self._writing, self._stage = stage, None
        self._flushed += length
        self._filled = 0

    def _wait(self) -> None:
        """Wait for the write in flight; its buffer becomes the spare. Raises its error."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        try:
            pending.result()
        finally:
            self._spare, self._writing = self._writing, None

    def _write_at(self, buffer: mmap.mmap, length: int, offset: int) -> None:
        """Write ``buffer[:length]`` at ``offset`` (on the I/O pool)."""
        fd = self._fd
        assert fd is not None
        view = memoryview(buffer)[:length]
        if self._direct and length % ALIGN:
            aligned = length - length % ALIGN
            self._pwrite(fd, view[:aligned], offset)
            self._buffered(fd)
            view, offset = view[aligned:], offset + aligned
        self._pwrite(fd, view, offset)

    def _pwrite(self, fd: int, view: memoryview, offset: int) -> None:
        while view:
            try:
                written = os.pwrite(fd, view, offset)
            except OSError as exc:
                if not (self._direct and exc.errno == errno.EINVAL):
                    raise
                self._buffered(fd)  # the device wants a larger alignment: go buffered
                continue
            if not written:
                raise OSError(errno.EIO, "the file system took no bytes")
            view, offset = view[written:], offset + written

    def _buffered(self, fd: int) -> None:
        """Drop O_DIRECT for the rest of the file."""
        if self._direct:
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~_O_DIRECT)
            self._direct = False

    def commit(self) -> int:
        """Write what is staged, fsync the file, rename it into place, fsync the directory."""
        if self._fd is None:
            raise StorageFailed("commit after abort")
        try:
            if self._filled:
                self._flush_stage()
            self._wait()
            self._release_buffers()
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
            self._final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self._tmp, self._final)
            _fsync_dir(self._final.parent)
        except OSError as exc:
            self.abort()
            raise storage_error(exc, "committing a blob") from exc
        return self._size

    def abort(self) -> None:
        """Wait for the write in flight, close and remove the temp file."""
        with contextlib.suppress(OSError):  # the error being handled is the caller's
            self._wait()
        self._release_buffers()
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
        self._tmp.unlink(missing_ok=True)

    def _release_buffers(self) -> None:
        self._reserved = None
        for buffer in (self._stage, self._spare):
            if buffer is not None:
                _STAGES.give(buffer)
        self._stage = self._spare = None
        self._filled = 0


READ_AHEAD = 2  # blocks read ahead on the I/O pool besides the one being consumed


def _open_for_reading(path: Path, *, direct: bool) -> tuple[int, bool]:
    """The blob's file; O_DIRECT where the file system takes it, else buffered."""
    flags = os.O_RDONLY | os.O_CLOEXEC
    if direct and _O_DIRECT:
        try:
            return os.open(path, flags | _O_DIRECT), True
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise
    return os.open(path, flags), False


class _Block:
    """One ``STAGE_BYTES`` block of the file at ``offset``, being read into ``buffer``."""

    __slots__ = ("buffer", "done", "offset")

    def __init__(self, offset: int, buffer: mmap.mmap, done: Future[int]) -> None:
        self.offset = offset
        self.buffer = buffer
        self.done = done


class _BlobFile(io.RawIOBase):
    """What both local readers share: a raw, seekable file object over ``fd`` for one
    thread (``readinto``/``read``, ``seek``, ``tell``, ``close``), positioned by its own
    offset (every read is a ``pread``).

    It owns ``fd`` from the moment it exists and closes it once. Nothing in ``__init__``
    may fail after taking it (the caller measures ``size``): a half-made reader's
    finaliser would close a descriptor its caller had already closed, and by then the
    number may be another thread's file."""

    def __init__(self, fd: int, size: int) -> None:
        super().__init__()
        self._fd = fd
        self._size = size
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def readall(self) -> bytes:
        """The rest of the blob, in one buffer."""
        buffer = bytearray(max(0, self._size - self._pos))
        got = self.readinto(buffer)
        return bytes(buffer[:got]) if got < len(buffer) else bytes(buffer)


class MemoryBlobReader(_BlobFile):
    """A blob on a memory file system (tmpfs, ramfs), read by ``pread`` straight into the
    caller's buffer on the caller's thread.

    The file's pages are the page cache: there is no disk to overlap with decryption and
    no cache to keep clear, so the blocks, read-ahead on the I/O pool and staging copy of
    :class:`LocalBlobReader` would only add a copy and a thread hand-off per block.
    ``readinto`` fills the buffer unless the file ends first; a failed read is typed.
    """

    def readinto(self, target: Any) -> int:
        if self.closed:
            raise ValueError("read from a closed blob")
        view = memoryview(target).cast("B")
        got = 0
        while got < len(view):
            try:
                n = os.preadv(self._fd, [view[got:]], self._pos)
            except OSError as exc:
                raise storage_error(exc, "reading a blob") from exc
            if not n:
                break
            got += n
            self._pos += n
        return got

    def close(self) -> None:
        """Close the file (idempotent)."""
        if self.closed:
            return
        try:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        finally:
            super().close()


class LocalBlobReader(_BlobFile):
    """A blob read in ``STAGE_BYTES`` blocks at aligned offsets into page-aligned buffers,
    ``O_DIRECT`` where the file system takes it (nothing goes through the page cache,
    whose fresh pages cost more CPU than the read), up to ``READ_AHEAD`` blocks ahead on
    the blob I/O pool, so the caller decrypts one block while the next is read.

    A file-like object for one thread: ``readinto``/``read`` copy from the current block
    (a read of less than ``ALIGN``, such as the stream header, starts no read-ahead),
    ``seek`` anywhere (the blocks ahead are kept when the new position is among them).
    A device that refuses the alignment (``EINVAL``) gets the rest of the file buffered.
    ``close`` waits for the reads in flight and returns the buffers.
    """

    def __init__(self, fd: int, size: int, *, direct: bool) -> None:
        super().__init__(fd, size)  # _size: how far to read ahead; a short read ends it
        self._direct = direct
        self._lock = threading.Lock()  # fcntl on the descriptor from the I/O threads
        self._blocks: collections.deque[_Block] = collections.deque()
        self._end: int | None = None  # file offset where a short read found the end

    @property
    def direct(self) -> bool:
        """Whether reads still bypass the page cache."""
        return self._direct

    def readinto(self, target: Any) -> int:
        if self.closed:
            raise ValueError("read from a closed blob")
        view = memoryview(target).cast("B")
        got = 0
        ahead = READ_AHEAD if len(view) >= ALIGN else 0  # not for a header before a seek
        while got < len(view):
            block = self._block_at(self._pos, ahead)
            if block is None:
                break
            length = self._result(block)
            start = self._pos - block.offset
            take = min(length - start, len(view) - got)
            if take <= 0:
                break  # the end of the file is in this block
            view[got : got + take] = memoryview(block.buffer)[start : start + take]
            got += take
            self._pos += take
        return got

    def _block_at(self, pos: int, ahead: int) -> _Block | None:
        """The block holding ``pos`` (its read started), ``ahead`` after it in flight."""
        blocks = self._blocks
        while blocks and blocks[0].offset + STAGE_BYTES <= pos:
            self._drop(blocks.popleft())
        if blocks and blocks[0].offset > pos:
            self._drop_all()
        aligned = pos - pos % STAGE_BYTES
        if not blocks:
            if aligned >= self._size or (self._end is not None and aligned >= self._end):
                return None
            self._submit(aligned)
        while len(blocks) <= ahead:
            after = blocks[-1].offset + STAGE_BYTES
            if after >= self._size or (self._end is not None and after >= self._end):
                break
            self._submit(after)
        return blocks[0]

    def _submit(self, offset: int) -> None:
        buffer = _STAGES.take()
        try:
            done = blob_io_workers().submit(self._read_block, buffer, offset)
        except BaseException:
            _STAGES.give(buffer)
            raise
        self._blocks.append(_Block(offset, buffer, done))

    def _result(self, block: _Block) -> int:
        try:
            length = block.done.result()
        except OSError as exc:
            raise storage_error(exc, "reading a blob") from exc
        if length < STAGE_BYTES:
            self._end = block.offset + length
        return length

    def _read_block(self, buffer: mmap.mmap, offset: int) -> int:
        """Read the block at ``offset`` into ``buffer`` (on the I/O pool); its length."""
        view = memoryview(buffer)
        got = 0
        while got < STAGE_BYTES:
            direct = self._direct
            try:
                n = os.preadv(self._fd, [view[got:]], offset + got)
            except OSError as exc:
                if not (direct and exc.errno == errno.EINVAL):
                    raise
                self._buffered()
                continue
            if not n:
                break
            got += n
            if direct and got % ALIGN:
                break  # O_DIRECT reads short only at the end of the file
        return got

    def _buffered(self) -> None:
        """Drop O_DIRECT for the rest of the file (the device wants another alignment)."""
        with self._lock:
            if self._direct:
                flags = fcntl.fcntl(self._fd, fcntl.F_GETFL)
                fcntl.fcntl(self._fd, fcntl.F_SETFL, flags & ~_O_DIRECT)
                self._direct = False

    def _drop(self, block: _Block) -> None:
        """Forget a block: wait for its read (unless it never started), keep its buffer."""
        if not block.done.cancel():
            block.done.exception()  # the buffer is being read into until this returns
        _STAGES.give(block.buffer)

    def _drop_all(self) -> None:
        while self._blocks:
            self._drop(self._blocks.popleft())

    def close(self) -> None:
        """Wait for the reads in flight, return the buffers, close the file (idempotent)."""
        if self.closed:
            return
        try:
            self._drop_all()
        finally:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            super().close()


class LocalBlobStore:
    """Committed blobs in ``objects/``, writes in progress in ``tmp/``."""

    name = "local"

    def __init__(self, root: Path, *, direct: bool = True) -> None:
        self.root = root
        self.direct = direct  # O_DIRECT writes and reads where the file system takes them
        self.objects = root / "objects"
        self.tmp = root / "tmp"
        for directory in (root, self.objects, self.tmp):
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Staged O_DIRECT writes and reads ahead on the I/O pool only where they keep
        # bytes out of the page cache: tmpfs takes O_DIRECT but its files are page-cache
        # pages all the same, so there staging, blocks and the pool would add only a copy
        # and a thread hand-off per buffer (ADR 0031, ADR 0032). Told once, from tmp/:
        # objects/ is on the same file system (a commit renames from one to the other).
        memory = _in_memory_file_system(self.tmp)
        self.stage_writes = direct and bool(_O_DIRECT) and not memory
        self.read_ahead = not memory

    def _path(self, key: str) -> Path:
        return self.objects / check_key(key)

    def writer(self, key: str) -> LocalBlobWriter:
        """Start writing ``key``."""
        return LocalBlobWriter(self, check_key(key))

    def open(self, key: str) -> BinaryIO:
        """The blob, for reading: a :class:`LocalBlobReader` (O_DIRECT where the file
        system takes it, blocks read ahead on the blob I/O pool), or on tmpfs and ramfs a
        :class:`MemoryBlobReader` (plain ``pread`` on the caller's thread)."""
        try:
            fd, direct = _open_for_reading(self._path(key), direct=self.direct and self.read_ahead)
        except FileNotFoundError:
            raise BlobMissing(f"blob {key} is missing from the local store") from None
        except OSError as exc:
            raise storage_error(exc, "reading a blob") from exc
        try:
            size = os.fstat(fd).st_size
        except OSError as exc:
            os.close(fd)  # no reader holds it yet: closed here, once
            raise storage_error(exc, "reading a blob") from exc
        if not self.read_ahead:
            return cast(BinaryIO, MemoryBlobReader(fd, size))
        if not direct:
            with contextlib.suppress(OSError):  # advice only: a doubled read-ahead window
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
        return cast(BinaryIO, LocalBlobReader(fd, size, direct=direct))

    def size(self, key: str) -> int:
        """The blob's size."""
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            raise BlobMissing(f"blob {key} is missing from the local store") from None

    def delete(self, key: str) -> None:
        """Remove the blob and any directories it leaves empty."""
        path = self._path(key)
        path.unlink(missing_ok=True)
        parent = path.parent
        while parent != self.objects:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        """Every committed blob under ``prefix``, in key order."""
        for dirpath, dirnames, filenames in os.walk(self.objects):
            dirnames.sort()
            for filename in sorted(filenames):
                path = Path(dirpath) / filename
                key = path.relative_to(self.objects).as_posix()
                if not key.startswith(prefix):
                    continue
                try:
                    info = path.stat()
                except FileNotFoundError:
                    continue
                yield BlobInfo(key, info.st_size, datetime.fromtimestamp(info.st_mtime, UTC))

    def sweep_temporary(self, older_than: datetime) -> int:
        """Remove temp files (crashed or abandoned writes) older than ``older_than``."""
        removed = 0
        cutoff = older_than.timestamp()
        for entry in os.scandir(self.tmp):
            try:
                if entry.is_file() and entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:
                continue
        return removed
