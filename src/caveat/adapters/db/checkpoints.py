"""SQLite WAL checkpoints off the committing thread (ADR 0019 addendum "Checkpoints
after the commit").

SQLite's own automatic checkpoint runs inside the COMMIT that takes the write-ahead
log past 1,000 pages: the transaction that kept a 32 MiB package waited 0.08-0.10 s more
to copy those pages into the database file and sync it. Here a write transaction, once
committed (its connection back in the pool), only asks for a checkpoint; one thread per
process runs it (PASSIVE: it never blocks a reader or a writer) on a connection of its
own a moment later, while the committing thread goes on, once the log holds
``CHECKPOINT_BYTES`` (SQLite's own threshold; ``journal_size_limit=0`` makes the log
file's size what it holds since its last checkpoint). SQLite's automatic checkpoint
stays as a bound on the log (``SAFETY_NET_PAGES``) should this thread fall behind or
readers hold it back.

Durability is unchanged: a committed transaction is in the log either way, and a
checkpoint syncs the log before it copies it (``synchronous=NORMAL`` in WAL mode).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

# SQLite's automatic checkpoint, kept as a bound on the log: 16,384 pages (64 MiB with
# 4 KiB pages, the largest package) before a commit checkpoints inline again.
SAFETY_NET_PAGES = 16_384
# How long after a commit asks before its checkpoint runs: commits close together share
# one checkpoint.
SETTLE_S = 0.02
# A log smaller than this is left for later, as SQLite leaves one under 1,000 pages.
CHECKPOINT_BYTES = 4 << 20
# At most one checkpoint of a database in this long: a burst of commits is one checkpoint.
MIN_INTERVAL_S = 0.1
# A checkpoint left incomplete (a reader still on older pages) is tried again this much
# later, a few times, then left to the next commit or the automatic bound.
RETRY_S = 0.25
RETRIES = 8


class Checkpointer:
    """Runs asked-for PASSIVE checkpoints of SQLite database files on one daemon thread,
    each database's asks coalesced."""

    def __init__(
        self,
        *,
        settle_s: float = SETTLE_S,
        min_interval_s: float = MIN_INTERVAL_S,
        checkpoint: Callable[[str], tuple[int, int, int]] | None = None,
        logged_bytes: Callable[[str], int] | None = None,
    ) -> None:
        self._settle_s, self._min_interval_s = settle_s, min_interval_s
        self._checkpoint = checkpoint or checkpoint_passive
        self._logged_bytes = logged_bytes or log_bytes
        self._cond = threading.Condition()
        self._due: dict[str, tuple[float, int]] = {}  # path: (when, retries left)
        self._last: dict[str, float] = {}  # path: when its last checkpoint ran
        self._running: str | None = None  # the database being checkpointed now
        self._thread: threading.Thread | None = None

    def ask(self, path: str) -> None:
        """Checkpoint ``path`` soon (a write transaction on it commits now)."""
        with self._cond:
            if path in self._due:
                return  # already asked for: that checkpoint takes this commit too
            if len(self._last) > 64:  # forget databases not checkpointed lately
                recent = time.monotonic() - self._min_interval_s
                self._last = {p: t for p, t in self._last.items() if t > recent}
            soonest = self._last.get(path, float("-inf")) + self._min_interval_s
            self._due[path] = (max(time.monotonic() + self._settle_s, soonest), RETRIES)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="caveat-checkpoint", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()  # the thread, whoever else waits (``idle``)

    def forget(self, path: str) -> None:
        """Ask nothing more for ``path`` and wait for a checkpoint of it under way (its
        engine is disposed: the database may be moved or removed next, and the last
        connection closing checkpoints it anyway)."""
        with self._cond:
            self._due.pop(path, None)
            self._last.pop(path, None)
            self._cond.notify_all()
            while self._running == path:
                self._cond.wait(0.05)

    def idle(self, timeout: float) -> bool:
        """Wait until nothing is due (tests and orderly shutdowns); whether it became so."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._due or self._running is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
            return True

    def _run(self) -> None:
        while True:
            with self._cond:
                path, retries = self._next()
                self._running = path
            try:
                incomplete = False
                if self._logged_bytes(path) >= CHECKPOINT_BYTES:
                    busy, logged, copied = self._checkpoint(path)
                    incomplete = bool(busy) or copied < logged
            except (sqlite3.Error, OSError) as exc:  # a database removed or replaced
                log.debug("checkpoint skipped", path=path, error=type(exc).__name__)
                incomplete = False
            except Exception as exc:  # the thread serves every database: it goes on
                log.warning("checkpoint failed", path=path, error=type(exc).__name__)
                incomplete = False
            with self._cond:
                self._running = None
                if incomplete and retries > 0 and path not in self._due:
                    self._due[path] = (time.monotonic() + RETRY_S, retries - 1)
                self._cond.notify_all()

    def _next(self) -> tuple[str, int]:
        """The database whose checkpoint is due first, once it is due (the lock held)."""
        while True:
            if self._due:
                path = min(self._due, key=lambda p: self._due[p][0])
                when, retries = self._due[path]
                wait = when - time.monotonic()
                if wait <= 0:
                    del self._due[path]
                    self._last[path] = time.monotonic()
                    return path, retries
                self._cond.wait(wait)
            else:
                self._cond.wait()


def log_bytes(path: str) -> int:
    """The size of the database's write-ahead log file (0 when there is none)."""
    try:
        return os.stat(f"{path}-wal").st_size
    except FileNotFoundError:
        return 0


def checkpoint_passive(path: str) -> tuple[int, int, int]:
    """A PASSIVE checkpoint of the database file at ``path`` on a connection of its own
    (never creating the file): SQLite's (busy, log pages, pages checkpointed)."""
    uri = f"{Path(path).as_uri()}?mode=rw"  # escaped: a path may hold ? # or %
    connection = sqlite3.connect(uri, uri=True, timeout=1.0)
    try:
        row = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        connection.close()
    return int(row[0]), int(row[1]), int(row[2])


_lock = threading.Lock()
_shared: tuple[int, Checkpointer] | None = None


def checkpointer() -> Checkpointer:
    """The process's checkpointer (a fork gets its own: threads do not survive one)."""
    global _shared
    with _lock:
        if _shared is None or _shared[0] != os.getpid():
            _shared = (os.getpid(), Checkpointer())
        return _shared[1]
