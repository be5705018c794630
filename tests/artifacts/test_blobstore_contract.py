"""One contract for every blob store: local files, and S3 over HTTP.

The S3 half runs against moto's S3 server, started by the tests as its own process, or
against CAVEAT_TEST_S3_ENDPOINT when given (with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
and optionally CAVEAT_TEST_S3_BUCKET), for example MinIO. Nothing is skipped.
"""

from __future__ import annotations

import contextlib
import errno
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from caveat.adapters.blobstore import (
    BlobMissing,
    BlobStore,
    LocalBlobStore,
    StorageFailed,
    StorageFull,
    local,
)
from caveat.adapters.blobstore.local import STAGE_BYTES
from caveat.adapters.blobstore.s3 import CHUNK_BYTES, S3BlobStore
from caveat.domain.errors import InvalidInput
from tests.artifacts.conftest import S3_CREDENTIALS
from tests.tmpfs import tmpfs_directory


@pytest.fixture(params=["local", "local-tmpfs", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    if request.param == "local":
        yield LocalBlobStore(tmp_path / "blobs")
        return
    if request.param == "local-tmpfs":  # straight writes, plain preads (ADR 0031, 0032)
        with tmpfs_directory() as root:
            local_store = LocalBlobStore(root / "blobs")
            assert not local_store.stage_writes
            assert not local_store.read_ahead
            yield local_store
        return
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = os.environ.get("CAVEAT_TEST_S3_BUCKET", "caveat-test")
    s3 = S3BlobStore.connect(
        bucket=bucket,
        endpoint_url=endpoint,
        region=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        access_key=os.environ.get("AWS_ACCESS_KEY_ID", S3_CREDENTIALS["AWS_ACCESS_KEY_ID"]),
        secret_key=os.environ.get("AWS_SECRET_ACCESS_KEY", S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]),
        prefix=f"test-{uuid.uuid4().hex[:8]}/",
    )
    with contextlib.suppress(Exception):  # the bucket exists already
        s3.client.create_bucket(Bucket=bucket)
    yield s3
    for blob in list(s3.list()):
        s3.delete(blob.key)


def _write(store: BlobStore, key: str, *pieces: bytes) -> int:
    writer = store.writer(key)
    for piece in pieces:
        writer.write(piece)
    return writer.commit()


def test_nothing_is_visible_before_commit(store: BlobStore) -> None:
    writer = store.writer("v/a/g0/p000000")
    writer.write(b"x" * 100)
    assert list(store.list()) == []
    with pytest.raises(BlobMissing):
        store.open("v/a/g0/p000000")
    assert writer.commit() == 100
    assert [b.key for b in store.list()] == ["v/a/g0/p000000"]


def test_round_trip_sizes_and_listing(store: BlobStore) -> None:
    big = os.urandom(CHUNK_BYTES + 17)  # crosses an S3 multipart boundary
    assert _write(store, "v/b/g0/p000001", big[:5], big[5:]) == len(big)
    assert _write(store, "v/b/g0/p000000", b"") == 0
    assert _write(store, "v/c/g0/p000000", b"abc") == 3
    with store.open("v/b/g0/p000001") as handle:
        assert handle.read() == big
    assert store.size("v/c/g0/p000000") == 3
    assert [b.key for b in store.list("v/b/")] == ["v/b/g0/p000000", "v/b/g0/p000001"]
    assert all(b.modified <= datetime.now(UTC) + timedelta(minutes=5) for b in store.list())


def test_abort_leaves_nothing_and_delete_is_idempotent(store: BlobStore) -> None:
    writer = store.writer("v/d/g0/p000000")
    writer.write(os.urandom(CHUNK_BYTES + 1))
    writer.abort()
    writer.abort()
    assert list(store.list()) == []
    _write(store, "v/d/g0/p000000", b"x")
    store.delete("v/d/g0/p000000")
    store.delete("v/d/g0/p000000")
    assert list(store.list()) == []
    with pytest.raises(BlobMissing):
        store.size("v/d/g0/p000000")


def test_commit_replaces_an_existing_blob(store: BlobStore) -> None:
    _write(store, "v/e/g0/p000000", b"old")
    _write(store, "v/e/g0/p000000", b"newer")
    with store.open("v/e/g0/p000000") as handle:
        assert handle.read() == b"newer"


def test_unfinished_writes_are_swept(store: BlobStore) -> None:
    writer = store.writer("v/f/g0/p000000")
    writer.write(os.urandom(CHUNK_BYTES + 1))  # S3: a multipart upload is under way
    assert store.sweep_temporary(datetime.now(UTC) + timedelta(minutes=10)) >= 1
    assert list(store.list()) == []


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs", "v//x", "V/UPPER", "", "a/" * 9 + "b"])
def test_bad_keys_are_refused(store: BlobStore, key: str) -> None:
    with pytest.raises(InvalidInput):
        store.writer(key)


@pytest.mark.parametrize("size", [1, 3 * STAGE_BYTES])
def test_a_full_disk_is_a_typed_error_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    # A small blob meets the full disk at commit (its bytes are only staged until
    # then); a large one at the write that waits for the failed write before it. Staged
    # writes even where the temp directory is tmpfs (unstaged ones: test_local_blob_writes).
    monkeypatch.setattr(local, "_in_memory_file_system", lambda path: False)
    store = LocalBlobStore(tmp_path / "blobs")
    writer = store.writer("v/g/g0/p000000")

    def full(fd: int, data: object, offset: int) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "pwrite", full)
    if size < STAGE_BYTES:
        writer.write(b"x" * size)  # only staged so far
        with pytest.raises(StorageFull):
            writer.commit()
    else:
        with pytest.raises(StorageFull):
            writer.write(b"x" * size)
    monkeypatch.undo()
    assert list(store.list()) == []
    assert list(store.tmp.iterdir()) == []
    with pytest.raises(StorageFailed):
        writer.commit()
