"""Engines for the embedded SQLite default and for PostgreSQL."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool

from caveat.adapters.db.checkpoints import SAFETY_NET_PAGES, checkpointer
from caveat.adapters.files import create_private_file, make_private_dir

log = structlog.get_logger(__name__)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; foreign keys are off by default in
    # SQLite and must be asked for on every connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable in WAL mode across process crashes
    # Checkpoints run after the commit, on a thread of their own (``checkpoints``); this
    # only bounds the log should that thread fall behind.
    cursor.execute(f"PRAGMA wal_autocheckpoint={SAFETY_NET_PAGES}")
    # The log file is cut back to what a commit wrote once a checkpoint has emptied it,
    # so its size tells the checkpointer how much is waiting.
    cursor.execute("PRAGMA journal_size_limit=0")
    cursor.close()


class ClosingQueuePool(QueuePool):
    """A ``QueuePool`` that closes a connection given back after the pool was disposed.

    ``Engine.dispose`` (a node closing, a restore swapping the database) closes the idle
    connections and starts a new pool, but one still held by a thread then goes back
    into the old pool, which nothing uses again: it stays open until the garbage
    collector finds it (psycopg then warns that it was never closed)."""

    _disposed = False
    on_dispose: Callable[[], None] | None = None

    def dispose(self) -> None:
        self._disposed = True
        super().dispose()
        if self.on_dispose is not None:
            self.on_dispose()

    def recreate(self) -> ClosingQueuePool:
        fresh = super().recreate()
        assert isinstance(fresh, ClosingQueuePool)
        fresh.on_dispose = self.on_dispose
        return fresh

    def _do_return_conn(self, record: ConnectionPoolEntry) -> None:
        if self._disposed:
            record.close()
            return
        super()._do_return_conn(record)


# How long a writer waits for its turn at SQLite's one write lock before the call is
# refused as ``database_unavailable`` (the same bound as SQLite's own busy_timeout).
WRITE_QUEUE_TIMEOUT_S = 10.0

# Database connections a PostgreSQL engine keeps per request thread: a writing unit of
# work may open a read beside it, so each thread can hold two at once. With fewer, every
# pooled connection can be held by threads waiting for their second (a starvation that
# ends at the pool timeout; the 2026-12-04 load run found it at 40 threads, 20 connections).
CONNECTIONS_PER_THREAD = 2
# The ledger worker's thread and a request that is between threads.
SPARE_CONNECTIONS = 4


class WriteQueueTimeoutError(Exception):
    """A writer waited longer than :data:`WRITE_QUEUE_TIMEOUT_S` for the SQLite write lock."""


class WriteQueue:
    """First come, first served turns at SQLite's write lock within one process.

    SQLite's busy handler polls with growing sleeps (up to 100 ms), so among many waiting
    writers a newcomer often wins and an early one can wait out busy_timeout: the load
    benchmark saw 503s after 10 s while the lock was free most of the time. Writers of a
    process queue here instead, in order; only the head of the queue asks SQLite (and
    only waits for writers in other processes)."""

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._cond = threading.Condition()
        self._waiting: deque[object] = deque()
        self._held = False

    def acquire(self) -> None:
        """Wait for this thread's turn; :class:`WriteQueueTimeoutError` after the timeout."""
        ticket = object()
        with self._cond:
            self._waiting.append(ticket)
            turn = self._cond.wait_for(
                lambda: not self._held and self._waiting[0] is ticket, self._timeout
            )
            if not turn:
                self._waiting.remove(ticket)
                self._cond.notify_all()  # the next in line may be the head now
                raise WriteQueueTimeoutError("the database is busy with other writers")
            self._waiting.popleft()
            self._held = True

    @property
    def waiting(self) -> int:
        """Writers in line (the one holding the turn not counted)."""
        with self._cond:
            return len(self._waiting)

    def release(self) -> None:
        """Hand the turn to the next writer in line."""
        with self._cond:
            self._held = False
            self._cond.notify_all()


def _queue_writers(engine: Engine, queue: WriteQueue) -> None:
    # A writer takes its turn just before BEGIN IMMEDIATE and gives it up at COMMIT or
    # ROLLBACK (the events fire just before the statement: the next writer's BEGIN may
    # wait a millisecond for the COMMIT to finish, in SQLite's own busy handler).
    def begin(connection: Connection) -> None:
        if connection.get_execution_options().get("caveat_read_only"):
            connection.exec_driver_sql("BEGIN")
            return
        queue.acquire()
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            queue.release()
            raise
        connection.info["caveat_write_turn"] = True

    def end(connection: Connection) -> None:
        if connection.info.pop("caveat_write_turn", False):
            queue.release()

    event.listen(engine, "begin", begin)
    event.listen(engine, "commit", end)
    event.listen(engine, "rollback", end)


def _checkpoint_after_commits(engine: Engine, path: str) -> None:
    # A writer's COMMIT is noted as it starts (the event fires before the statement) and
    # the checkpoint asked for when the connection comes back to the pool, the COMMIT
    # landed: asked before, the checkpoint could run first and leave the commit's pages
    # in the log.
    def begin(connection: Connection) -> None:
        if not connection.get_execution_options().get("caveat_read_only"):
            connection.info["caveat_writing"] = True

    def commit(connection: Connection) -> None:
        if connection.info.pop("caveat_writing", False):
            connection.info["caveat_wrote"] = True

    def rollback(connection: Connection) -> None:
        connection.info.pop("caveat_writing", None)

    def checkin(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        if record.info.pop("caveat_wrote", False):
            try:
                checkpointer().ask(path)
            except Exception as exc:  # a checkpoint is never a reason to fail a caller
                log.warning("checkpoint not asked for", error=type(exc).__name__)

    event.listen(engine, "begin", begin)
    event.listen(engine, "commit", commit)
    event.listen(engine, "rollback", rollback)
    event.listen(engine, "checkin", checkin)


def make_engine(url: str, *, echo: bool = False, request_threads: int = 20) -> Engine:
    """An engine for ``url``; SQLite files get their directory, pragmas and a queue for
    writers; PostgreSQL gets a pool sized for ``request_threads`` concurrent requests."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        pool: dict[str, Any] = {}  # an in-memory database keeps SQLAlchemy's own pool
        if parsed.database and parsed.database != ":memory:":
            pool["poolclass"] = ClosingQueuePool
            database = Path(parsed.database)
            if not database.parent.exists():
                make_private_dir(database.parent)
            # SQLite gives its -wal and -shm files the database file's mode: 0600 for all.
            create_private_file(database)
        # No cap on connections: a writer holding SQLite's one write lock may need a
        # second connection to read (policy sources), and with a capped pool every
        # connection could be held by threads waiting for that lock (a deadlock that
        # ends in "database is locked" after busy_timeout). Extra connections close on
        # return; SQLite connections are cheap.
        engine = create_engine(url, echo=echo, pool_size=10, max_overflow=-1, **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; take control so that
        # writers take the lock at BEGIN IMMEDIATE and never fail mid-transaction.
        event.listen(engine, "connect", _disable_pysqlite_begin)
        _queue_writers(engine, WriteQueue(WRITE_QUEUE_TIMEOUT_S))
        if pool:  # a file: its checkpoints run after the commit (``checkpoints``)
            path = str(Path(str(parsed.database)).resolve())
            _checkpoint_after_commits(engine, path)
            assert isinstance(engine.pool, ClosingQueuePool)
            engine.pool.on_dispose = lambda: checkpointer().forget(path)
        return engine
    pooled = request_threads * CONNECTIONS_PER_THREAD + SPARE_CONNECTIONS
    return create_engine(
        url,
        echo=echo,
        poolclass=ClosingQueuePool,
        pool_pre_ping=True,
        pool_size=pooled // 2,
        max_overflow=pooled - pooled // 2,
        pool_timeout=WRITE_QUEUE_TIMEOUT_S,  # the same bound on waiting for the database
    )


def _disable_pysqlite_begin(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def make_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    bind = engine.execution_options(caveat_read_only=True) if read_only else engine
    return sessionmaker(bind, expire_on_commit=False)


def backend_name(engine: Engine) -> str:
    """``sqlite`` or ``postgresql``."""
    return engine.dialect.name
