"""Blobs as files under the data directory: temp file, fsync, rename, fsync the directory.

Layout: ``<root>/objects/<key>`` for committed blobs and ``<root>/tmp/`` for writes in
progress. A crash leaves at most a temp file, which ``sweep_temporary`` removes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from caveat.adapters.blobstore.base import (
    BlobInfo,
    BlobMissing,
    StorageFailed,
    StorageFull,
    check_key,
)

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


class LocalBlobWriter:
    """A temp file that becomes the blob on commit."""

    def __init__(self, store: LocalBlobStore, key: str) -> None:
        self._final = store.objects / key
        self._tmp = store.tmp / f"{uuid.uuid4().hex}.part"
        try:
            self._fd: int | None = os.open(
                self._tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600
            )
        except OSError as exc:
            raise storage_error(exc, "creating a blob") from exc
        self._size = 0

    def write(self, data: bytes | memoryview) -> None:
        """Append ``data`` (all of it, or a typed error and the temp file is gone)."""
        if self._fd is None:
            raise StorageFailed("write after commit or abort")
        view = memoryview(data)
        try:
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
                self._size += written
        except OSError as exc:
            self.abort()
            raise storage_error(exc, "writing a blob") from exc

    def commit(self) -> int:
        """fsync the file, rename it into place, fsync the directory."""
        if self._fd is None:
            raise StorageFailed("commit after abort")
        try:
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
        """Close and remove the temp file."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
        self._tmp.unlink(missing_ok=True)


class LocalBlobStore:
    """Committed blobs in ``objects/``, writes in progress in ``tmp/``."""

    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.objects = root / "objects"
        self.tmp = root / "tmp"
        for directory in (root, self.objects, self.tmp):
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _path(self, key: str) -> Path:
        return self.objects / check_key(key)

    def writer(self, key: str) -> LocalBlobWriter:
        """Start writing ``key``."""
        return LocalBlobWriter(self, check_key(key))

    def open(self, key: str) -> BinaryIO:
        """The blob's file, opened for reading."""
        try:
            return self._path(key).open("rb", buffering=0)
        except FileNotFoundError:
            raise BlobMissing(f"blob {key} is missing from the local store") from None
        except OSError as exc:
            raise storage_error(exc, "reading a blob") from exc

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
