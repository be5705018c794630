"""A full part's blob is fsynced on a commit thread while the next part is encrypted
(issue 17): its row follows its commit, parts are reported in order, and a failed fsync
fails the upload with nothing listed, no part reported that is not durable, no blob left."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from caveat.adapters.blobstore import BlobStore, LocalBlobStore, StorageFailed
from caveat.adapters.blobstore.base import BlobWriter
from caveat.adapters.db.models import EventRow
from caveat.adapters.db.models.artifacts import (
    ArtifactPartRow,
    ArtifactRow,
    ArtifactVersionRow,
    UploadPartRow,
    UploadSessionRow,
)
from caveat.adapters.kek import LocalKekFile, create_kek_file, new_data_key
from caveat.domain.errors import CaveatError
from caveat.services.artifacts._content import PartedWriter, StoredPart, read_range
from caveat.services.kernel.principal import Principal
from tests.artifacts.conftest import LABEL, PART, World, chunks, client_for, sha


def _failing_fsync(
    monkeypatch: pytest.MonkeyPatch, root: Path, *, kind: str, nth: int, slow: float = 0.0
) -> list[str]:
    """os.fsync that fails the ``nth`` fsync of a ``kind`` ("file" or "dir") under ``root``
    (after ``slow`` seconds)."""
    real = os.fsync
    seen: list[str] = []
    prefix = str(root.resolve())

    def fsync(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}").startswith(prefix):
            seen.append("dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
            if seen[-1] == kind and seen.count(kind) == nth:
                time.sleep(slow)
                raise OSError(errno.EIO, "Input/output error")
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return seen


def _count(world: World, model: type) -> int:
    with world.node.uow.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _appended_parts(world: World) -> list[int]:
    with world.node.uow.read() as session:
        rows = session.scalars(
            select(EventRow.body)
            .where(EventRow.type == "upload.appended")
            .order_by(EventRow.seq)  # PostgreSQL returns rows in any order without one
        )
        return [int(json.loads(body)["data"]["part"]) for body in rows]


def _nothing_left(world: World) -> None:
    for model in (
        ArtifactRow,
        ArtifactVersionRow,
        ArtifactPartRow,
        UploadSessionRow,
        UploadPartRow,
    ):
        assert _count(world, model) == 0, model.__name__
    with world.node.uow.read() as session:
        created = session.scalar(
            select(func.count()).select_from(EventRow).where(EventRow.type == "artifact.created")
        )
    assert created == 0
    blobs = world.node.artifacts.blobs
    assert list(blobs.list()) == []
    assert list(blobs.tmp.iterdir()) == []  # type: ignore[attr-defined]


# Four parts (three full, one short): parts 0-2 commit on the commit thread, 3 at the end.
FAILURES = [
    pytest.param("file", 2, [0], id="fsync of part 1, on the commit thread"),
    pytest.param("dir", 2, [0], id="directory fsync of part 1"),
    pytest.param("file", 3, [0, 1], id="fsync of part 2, the last on the thread"),
    pytest.param("file", 4, [0, 1, 2], id="fsync of the last part, at finish"),
    pytest.param("dir", 4, [0, 1, 2], id="directory fsync of the last part"),
]


@pytest.mark.parametrize(("kind", "nth", "reported"), FAILURES)
def test_a_failed_part_fsync_fails_the_upload_and_leaves_nothing(
    world: World,
    alice: Principal,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    nth: int,
    reported: list[int],
) -> None:
    data = os.urandom(3 * PART + 100)
    root = world.node.artifacts.blobs.root  # type: ignore[attr-defined]
    seen = _failing_fsync(monkeypatch, root, kind=kind, nth=nth)
    with pytest.raises(StorageFailed) as caught:
        world.put(alice, data)
    assert caught.value.code == "storage_failed"
    assert seen.count(kind) >= nth  # the failure was injected, not skipped
    assert _appended_parts(world) == reported  # only durable parts were ever recorded
    _nothing_left(world)
    monkeypatch.undo()
    version = world.put(alice, data)  # the store still works
    assert version.size == len(data)


def test_a_failed_part_fsync_over_http_is_a_problem_and_stores_nothing(
    http: TestClient, world: World, alice: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = client_for(http, world, "alice")
    data = os.urandom(3 * PART + 100)
    upload = client.begin_upload(project="Hypersonics", kind="dataset", title="t", label=LABEL)
    root = world.node.artifacts.blobs.root  # type: ignore[attr-defined]
    _failing_fsync(monkeypatch, root, kind="file", nth=2)
    with pytest.raises(CaveatError) as caught:
        client.put_content(upload["id"], chunks(data, PART // 3), sha(data))
    assert caught.value.code == "storage_failed"
    assert _appended_parts(world) == [0]
    _nothing_left(world)


class _Recorded:
    """A blob writer that logs its commit and can hold it until a condition holds."""

    def __init__(self, inner: BlobWriter, key: str, store: _Watching) -> None:
        self._inner, self._key, self._store = inner, key, store

    def write(self, data: bytes | memoryview) -> None:
        self._store.log.append(f"write {self._key[-1]}")
        self._store.wrote(self._key)
        self._inner.write(data)

    def commit(self) -> int:
        self._store.hold(self._key)
        size = self._inner.commit()
        self._store.log.append(f"durable {self._key[-1]}")
        return size

    def abort(self) -> None:
        self._inner.abort()


class _Watching:
    """A local store whose part-0 commit waits until part 1 is being written."""

    def __init__(self, inner: LocalBlobStore) -> None:
        self.inner = inner
        self.log: list[str] = []
        self.threads: set[str] = set()
        self._next_written = threading.Event()

    def writer(self, key: str) -> BlobWriter:
        return _Recorded(self.inner.writer(key), key, self)

    def wrote(self, key: str) -> None:
        if key.endswith("p000001"):
            self._next_written.set()

    def hold(self, key: str) -> None:
        self.threads.add(threading.current_thread().name)
        if key.endswith("p000000"):
            # Without the overlap this commit runs on the writing thread and part 1
            # cannot start: the wait times out and the assertion below fails.
            assert self._next_written.wait(timeout=10), "part 1 was not written meanwhile"

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _writer(
    store: Any, tmp_path: Path, on_part: Callable[[StoredPart, Any], None]
) -> tuple[PartedWriter, Any]:
    create_kek_file(tmp_path / "keys")
    key, _ = new_data_key(LocalKekFile(tmp_path / "keys"), "v1")
    writer = PartedWriter(
        blobs=store,
        key=key,
        version_id="v1",
        generation=0,
        first_index=0,
        hasher=hashlib.sha256(),
        on_part=on_part,
        limit=lambda _n: None,
        part_bytes=PART,
    )
    return writer, key


def test_the_next_part_is_encrypted_while_a_part_commits_and_rows_follow_commits(
    tmp_path: Path,
) -> None:
    store = _Watching(LocalBlobStore(tmp_path / "blobs"))
    data = os.urandom(2 * PART + 5)
    reported: list[tuple[int, bytes]] = []

    def on_part(part: StoredPart, hashed: Any) -> None:
        store.log.append(f"reported {part.index}")
        reported.append((part.index, hashed.digest()))

    writer, key = _writer(store, tmp_path, on_part)
    for piece in chunks(data, 4096):
        writer.write(piece)
    writer.finish()
    assert [i for i, _ in reported] == [0, 1, 2]
    # each part is reported only after its blob is durable, and in order
    for index in range(3):
        assert store.log.index(f"durable {index}") < store.log.index(f"reported {index}")
    # the running hash handed with each part covers exactly the parts so far
    for index, digest in reported:
        assert digest == hashlib.sha256(data[: min(len(data), (index + 1) * PART)]).digest()
    assert any(name.startswith("caveat-commit") for name in store.threads)
    sizes = [PART, PART, 5]
    assert b"".join(read_range(store.inner, key, "v1", 0, sizes, 0, len(data))) == data


@pytest.mark.parametrize("slow", [0.0, 0.5], ids=["fails at once", "fails after the next"])
def test_a_part_fsync_failure_on_the_commit_thread_surfaces_and_reports_only_durable_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slow: float
) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    reported: list[int] = []
    writer, _ = _writer(store, tmp_path, lambda part, _hashed: reported.append(part.index))
    # Part 1's fsync fails; when it is slow, part 2 is committed meanwhile (two in flight)
    # and must be deleted, never reported: the parts reported stay a prefix.
    _failing_fsync(monkeypatch, store.root, kind="file", nth=2, slow=slow)

    def write_all() -> None:
        for piece in chunks(os.urandom(5 * PART), 4096):
            writer.write(piece)
        writer.finish()

    with pytest.raises(StorageFailed):
        write_all()
    assert reported == [0]
    # part 0 is durable and was reported; part 1 never reached its key; the rest are gone
    assert [blob.key for blob in store.list()] == ["v/v1/g0/p000000"]
    assert list(store.tmp.iterdir()) == []


def test_abort_waits_for_the_part_in_flight(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    release = threading.Event()

    class Slow:
        def __init__(self) -> None:
            self.inner: BlobStore = store

        def writer(self, key: str) -> BlobWriter:
            inner = store.writer(key)
            if key.endswith("p000000"):
                original = inner.commit

                def commit() -> int:
                    release.wait(timeout=10)
                    return original()

                inner.commit = commit  # type: ignore[method-assign]
            return inner

    reported: list[int] = []
    writer, _ = _writer(Slow(), tmp_path, lambda part, _hashed: reported.append(part.index))
    writer.write(os.urandom(PART + 10))  # part 0 is committing, held
    threading.Timer(0.2, release.set).start()
    writer.abort()
    # when abort returns, part 0's commit has finished (and was reported), part 1 is gone
    assert reported == [0]
    assert [blob.key for blob in store.list()] == ["v/v1/g0/p000000"]
    assert list(store.tmp.iterdir()) == []
