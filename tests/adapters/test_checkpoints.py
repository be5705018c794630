"""SQLite's WAL checkpoints run after a write transaction commits, on a thread of their
own, instead of inside the COMMIT that takes the log past SQLite's automatic bound."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from caveat.adapters.db import checkpoints as checkpoints_module
from caveat.adapters.db import engine as engine_module
from caveat.adapters.db.checkpoints import CHECKPOINT_BYTES, Checkpointer, checkpoint_passive
from caveat.adapters.db.engine import make_engine

MiB = 1 << 20
# Long enough that a loaded machine still looks between a commit and its checkpoint.
SETTLE_S = 2.0


def _full(path: str) -> int:
    """A log size past the threshold: the checkpoint runs."""
    return CHECKPOINT_BYTES


class Recording:
    """A checkpoint function that records its calls and answers as told."""

    def __init__(self, *answers: tuple[int, int, int]) -> None:
        self.calls: list[tuple[str, float]] = []
        self._answers = list(answers)
        self.called = threading.Event()

    def __call__(self, path: str) -> tuple[int, int, int]:
        self.calls.append((path, time.monotonic()))
        self.called.set()
        return self._answers.pop(0) if self._answers else (0, 0, 0)


@pytest.fixture
def shared(monkeypatch: pytest.MonkeyPatch) -> Checkpointer:
    """The checkpointer the engines of this test ask, slow to settle so that a test can
    look at the database between the commit and its checkpoint."""
    mine = Checkpointer(settle_s=SETTLE_S)
    monkeypatch.setattr(engine_module, "checkpointer", lambda: mine)
    return mine


@pytest.fixture
def blob_table(tmp_path: Path) -> Iterator[tuple[Engine, Path]]:
    """An engine on a database file with a table of blobs, its checkpoints settled."""
    database = tmp_path / "node.db"
    made = sqlite3.connect(database)  # made beside the engine: no checkpoint to wait for
    made.execute("PRAGMA journal_mode=WAL")
    made.execute("CREATE TABLE t (b BLOB)")
    made.commit()
    made.close()
    engine = make_engine(f"sqlite:///{database}")
    yield engine, database
    engine.dispose()


def test_a_large_commit_returns_before_its_checkpoint_which_follows(
    blob_table: tuple[Engine, Path], shared: Checkpointer
) -> None:
    engine, database = blob_table
    before = database.stat().st_size
    with engine.begin() as conn:  # 2,048 pages: past SQLite's own bound of 1,000
        conn.execute(text("INSERT INTO t VALUES (:b)"), {"b": os.urandom(8 * MiB)})
    # committed, and in the log only: the database file has not grown yet
    assert database.stat().st_size < before + MiB
    with engine.connect() as conn:
        assert conn.execute(text("SELECT length(b) FROM t")).scalar() == 8 * MiB
    assert shared.idle(10)
    assert database.stat().st_size >= before + 8 * MiB  # the checkpoint copied it


def test_reads_and_rollbacks_ask_for_no_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    class Asked:
        def ask(self, path: str) -> None:
            asked.append(path)

        def forget(self, path: str) -> None:
            pass

    monkeypatch.setattr(engine_module, "checkpointer", Asked)
    database = tmp_path / "node.db"
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (n INTEGER)"))
        assert asked == [str(database.resolve())]
        reading = engine.connect().execution_options(caveat_read_only=True)
        with reading as conn, conn.begin():
            conn.execute(text("SELECT count(*) FROM t")).scalar()
        with engine.connect() as conn:
            conn.begin()
            conn.execute(text("INSERT INTO t VALUES (1)"))
            conn.rollback()
        assert asked == [str(database.resolve())]
    finally:
        engine.dispose()


def test_asks_are_coalesced_and_spaced_apart() -> None:
    recording = Recording()
    checkpointer = Checkpointer(
        settle_s=0.3, min_interval_s=0.4, checkpoint=recording, logged_bytes=_full
    )
    for _ in range(20):
        checkpointer.ask("/db")
    assert checkpointer.idle(5)
    assert len(recording.calls) == 1
    checkpointer.ask("/db")
    assert checkpointer.idle(5)
    (_, first), (_, second) = recording.calls
    assert second - first >= 0.4


def test_an_incomplete_checkpoint_is_tried_again() -> None:
    recording = Recording((0, 10, 4), (1, 10, 10), (0, 10, 10))
    checkpointer = Checkpointer(
        settle_s=0.0, min_interval_s=0.0, checkpoint=recording, logged_bytes=_full
    )
    checkpointer.ask("/db")
    deadline = time.monotonic() + 5
    while len(recording.calls) < 3:
        assert time.monotonic() < deadline, recording.calls
        time.sleep(0.01)
    assert checkpointer.idle(5)
    assert len(recording.calls) == 3  # complete at the third: no fourth


def test_a_failing_checkpoint_leaves_the_thread_serving_others(tmp_path: Path) -> None:
    missing = tmp_path / "gone.db"
    with pytest.raises(sqlite3.OperationalError):
        checkpoint_passive(str(missing))
    assert not missing.exists()  # never created by a checkpoint
    database = tmp_path / "here.db"
    sqlite3.connect(database).close()
    checkpointer = Checkpointer(settle_s=0.0, logged_bytes=_full)
    checkpointer.ask(str(missing))
    checkpointer.ask(str(database))
    assert checkpointer.idle(5)
    assert not missing.exists()


def test_a_forked_process_gets_a_checkpointer_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mine = checkpoints_module.checkpointer()
    assert checkpoints_module.checkpointer() is mine
    monkeypatch.setattr(os, "getpid", lambda: -1)  # as in a forked child
    assert checkpoints_module.checkpointer() is not mine


def test_a_disposed_engine_leaves_nothing_to_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its database may be removed next: no checkpoint connection may recreate its log."""
    recording = Recording()
    mine = Checkpointer(settle_s=SETTLE_S, checkpoint=recording, logged_bytes=_full)
    monkeypatch.setattr(engine_module, "checkpointer", lambda: mine)
    engine = make_engine(f"sqlite:///{tmp_path / 'node.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    engine.dispose()
    assert mine.idle(5)
    assert not recording.called.wait(0.5)
    with engine.begin() as conn:  # the pool made anew still forgets at its dispose
        conn.execute(text("INSERT INTO t VALUES (1)"))
    engine.dispose()
    assert not recording.called.wait(0.5)


def test_forgetting_waits_for_a_checkpoint_under_way() -> None:
    started, release = threading.Event(), threading.Event()

    def slow(path: str) -> tuple[int, int, int]:
        started.set()
        release.wait(5)
        return 0, 0, 0

    checkpointer = Checkpointer(settle_s=0.0, checkpoint=slow, logged_bytes=_full)
    checkpointer.ask("/db")
    assert started.wait(5)
    forgot = threading.Thread(target=checkpointer.forget, args=("/db",))
    forgot.start()
    forgot.join(0.2)
    assert forgot.is_alive()  # still waiting for the checkpoint
    release.set()
    forgot.join(5)
    assert not forgot.is_alive()


def test_an_unexpected_error_leaves_the_thread_running() -> None:
    calls: list[str] = []

    def failing_once(path: str) -> tuple[int, int, int]:
        calls.append(path)
        if len(calls) == 1:
            raise ValueError("unexpected")
        return 0, 0, 0

    checkpointer = Checkpointer(settle_s=0.0, checkpoint=failing_once, logged_bytes=_full)
    checkpointer.ask("/a")
    assert checkpointer.idle(5)
    checkpointer.ask("/b")
    assert checkpointer.idle(5)
    assert calls == ["/a", "/b"]


def test_a_small_log_is_left_for_later_and_cut_back_after_a_checkpoint(
    blob_table: tuple[Engine, Path], shared: Checkpointer
) -> None:
    """As SQLite leaves a log under 1,000 pages: small commits cost no checkpoint each;
    once one has run, the next commit's log holds only what it wrote."""
    engine, database = blob_table
    before = database.stat().st_size
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (:b)"), {"b": os.urandom(64 << 10)})
    assert shared.idle(10)
    assert database.stat().st_size == before  # in the log only
    with engine.begin() as conn:  # past the threshold
        conn.execute(text("INSERT INTO t VALUES (:b)"), {"b": os.urandom(5 * MiB)})
    assert shared.idle(10)
    assert database.stat().st_size > before + 5 * MiB
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (x'00')"))
    assert Path(f"{database}-wal").stat().st_size < 64 << 10  # cut back


def test_the_checkpoint_is_asked_for_once_the_commit_has_landed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Asked for before the COMMIT ran, a checkpoint could run first and leave the
    commit's pages in the log: the ask sees the row from a connection of its own."""
    database = tmp_path / "node.db"
    seen: list[int] = []

    class Looking:
        def ask(self, path: str) -> None:
            with sqlite3.connect(path) as other:
                seen.append(other.execute("SELECT count(*) FROM t").fetchone()[0])

        def forget(self, path: str) -> None:
            pass

    made = sqlite3.connect(database)
    made.execute("PRAGMA journal_mode=WAL")
    made.execute("CREATE TABLE t (n INTEGER)")
    made.commit()
    made.close()
    monkeypatch.setattr(engine_module, "checkpointer", Looking)
    engine = make_engine(f"sqlite:///{database}")
    try:
        for n in (1, 2):
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
    finally:
        engine.dispose()
    assert seen == [1, 2]


@pytest.mark.parametrize("folder", ["a?b", "c#d", "e%20f"])
def test_a_path_with_uri_characters_is_checkpointed_itself(tmp_path: Path, folder: str) -> None:
    """The connection's URI escapes the path: cut at ? or #, it would name (and create)
    another file."""
    (tmp_path / folder).mkdir()
    database = tmp_path / folder / "node.db"
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE t (b BLOB)")
    writer.execute("INSERT INTO t VALUES (?)", (os.urandom(MiB),))
    try:
        busy, logged, copied = checkpoint_passive(str(database))
    finally:
        writer.close()
    assert (busy, copied) == (0, logged)
    assert logged > 256
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder]  # nothing made beside


def test_forgetting_one_database_leaves_the_others_due_and_idle_waiters_waiting() -> None:
    """A waiter in ``idle`` never takes the wakeup meant for the thread."""
    recording = Recording()
    checkpointer = Checkpointer(checkpoint=recording, logged_bytes=_full)
    checkpointer.ask("/a")
    waiter = threading.Thread(target=checkpointer.idle, args=(5,))
    waiter.start()
    checkpointer.forget("/a")
    time.sleep(0.03)  # past /a's time: the thread waits for the next ask, untimed
    checkpointer.ask("/b")
    assert checkpointer.idle(5)
    waiter.join(5)
    assert [path for path, _ in recording.calls] == ["/b"]
