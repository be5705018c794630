"""The blob-store interface every store implements (one contract test suite checks them).

A blob is written through a :class:`BlobWriter` and becomes visible under its key only
when ``commit`` returns (local: fsync and rename; S3: multipart completion). A writer
that is aborted, or whose process dies, leaves nothing under the key; what it left
behind (a temp file, an unfinished multipart upload) is removed by ``sweep_temporary``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Protocol

from caveat.domain.errors import IntegrityError, InvalidInput, ServiceUnavailable

_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}(/[a-z0-9][a-z0-9._-]{0,99}){0,7}$")


class StorageFull(ServiceUnavailable):
    """Raised when the blob store has no space left; nothing was stored."""

    code = "storage_full"


class StorageFailed(ServiceUnavailable):
    """Raised when the blob store fails for another reason; nothing was stored."""

    code = "storage_failed"


class BlobMissing(IntegrityError):
    """Raised when a blob a database row points at is not in the store."""

    code = "blob_missing"


def check_key(key: str) -> str:
    """A blob key: lower-case segments separated by '/', no '..', at most 8 deep."""
    if not _KEY.match(key) or ".." in key:
        raise InvalidInput(f"{key!r} is not a valid blob key", code="invalid_blob_key")
    return key


@dataclass(frozen=True, slots=True)
class BlobInfo:
    """A stored blob: its key, size and last change."""

    key: str
    size: int
    modified: datetime


class BlobWriter(Protocol):
    """An unfinished blob: nothing is visible under its key until ``commit``."""

    def write(self, data: bytes | memoryview) -> None:
        """Append ``data`` (written or copied before returning: callers reuse buffers)."""
        ...

    def commit(self) -> int:
        """Make the blob durable and visible under its key; returns its size."""
        ...

    def abort(self) -> None:
        """Forget everything written (idempotent; safe after a failed write)."""
        ...


class BlobStore(Protocol):
    """Where encrypted parts live."""

    name: str

    def writer(self, key: str) -> BlobWriter:
        """Start writing the blob ``key`` (an existing blob is replaced on commit)."""
        ...

    def open(self, key: str) -> BinaryIO:
        """A readable stream of the blob; BlobMissing if there is none."""
        ...

    def size(self, key: str) -> int:
        """The blob's size in bytes; BlobMissing if there is none."""
        ...

    def delete(self, key: str) -> None:
        """Remove the blob (no error if it is already gone)."""
        ...

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        """Every committed blob whose key starts with ``prefix``."""
        ...

    def sweep_temporary(self, older_than: datetime) -> int:
        """Remove unfinished writes started before ``older_than``; returns how many."""
        ...
