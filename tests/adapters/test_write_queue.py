"""Writers of one process take turns at SQLite's write lock in order, with a bound on the wait,
and a database that cannot serve a call in time answers database_unavailable (never a 500)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from caveat.adapters.db import engine as engine_module
from caveat.adapters.db.engine import WriteQueue, WriteQueueTimeoutError, make_engine
from caveat.adapters.db.engine import make_session_factory as sessions_for
from caveat.domain.errors import ServiceUnavailable
from caveat.services.kernel.uow import CallContext, UnitOfWorkFactory


def _wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.005)


def test_writers_get_their_turn_in_the_order_they_asked() -> None:
    queue = WriteQueue(5.0)
    queue.acquire()
    order: list[int] = []
    threads = []

    def write(n: int) -> None:
        queue.acquire()
        order.append(n)
        queue.release()

    for n in range(8):
        thread = threading.Thread(target=write, args=(n,))
        thread.start()
        _wait_until(lambda n=n: queue.waiting == n + 1)  # type: ignore[misc]  # in line first
        threads.append(thread)
    queue.release()
    for thread in threads:
        thread.join(5)
    assert order == list(range(8))


def test_a_writer_that_waits_too_long_gives_up_and_leaves_the_line() -> None:
    queue = WriteQueue(0.2)
    queue.acquire()
    with pytest.raises(WriteQueueTimeoutError):
        queue.acquire()
    assert queue.waiting == 0
    queue.release()
    queue.acquire()  # the turn is free again at once
    queue.release()


def test_a_writer_giving_up_at_the_head_does_not_block_the_one_behind() -> None:
    # The one behind asks half-way through the head's wait, so it still has 1.5 s of
    # its own when the head gives up and the turn is handed on.
    queue = WriteQueue(3.0)
    queue.acquire()
    outcome: dict[str, object] = {}

    def ask(name: str) -> None:
        try:
            queue.acquire()
        except WriteQueueTimeoutError as exc:
            outcome[name] = exc
        else:
            outcome[name] = "turn"
            queue.release()

    head = threading.Thread(target=ask, args=("head",))
    head.start()
    _wait_until(lambda: queue.waiting == 1)
    time.sleep(1.5)
    behind = threading.Thread(target=ask, args=("behind",))
    behind.start()
    head.join(10)  # gives up 3 s after asking, while the turn is still held
    assert isinstance(outcome["head"], WriteQueueTimeoutError)
    assert queue.waiting == 1
    queue.release()
    behind.join(5)
    assert outcome["behind"] == "turn"


def test_a_write_waiting_past_the_queue_bound_is_database_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "WRITE_QUEUE_TIMEOUT_S", 0.3)
    url = f"sqlite:///{tmp_path / 'q.db'}"
    engine = make_engine(url)
    uow = UnitOfWorkFactory(
        sessions=sessions_for(engine),
        read_sessions=sessions_for(engine, read_only=True),
        node_id="node",
        clock=_now,
    )
    held = threading.Event()
    done = threading.Event()

    def hold_the_lock() -> None:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
            held.set()
            done.wait(5)

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    held.wait(5)
    with pytest.raises(ServiceUnavailable) as caught, uow(CallContext.cli()) as unit:
        unit.session.execute(text("SELECT 1"))  # sessions connect (and BEGIN) when first used
    assert caught.value.code == "database_unavailable"
    # The queue's bound ran out, not SQLite's busy_timeout behind it.
    assert isinstance(caught.value.__cause__, WriteQueueTimeoutError)
    with uow.read() as session:  # readers never queue
        assert session.execute(text("SELECT 1")).scalar() == 1
    done.set()
    holder.join(5)
    with uow(CallContext.cli()) as unit:  # the turn came back with the COMMIT
        unit.session.execute(text("INSERT INTO t VALUES (1)"))

    def insert_then_fail() -> None:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (2)"))
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        insert_then_fail()
    with engine.begin() as conn:  # ... and with the ROLLBACK
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 1
    engine.dispose()


def test_a_pool_wait_past_its_timeout_is_database_unavailable(database_url: str) -> None:
    engine = create_engine(database_url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    uow = UnitOfWorkFactory(
        sessions=sessions_for(engine),
        read_sessions=sessions_for(engine, read_only=True),
        node_id="node",
        clock=_now,
    )
    with engine.connect():  # the pool's only connection
        with pytest.raises(ServiceUnavailable) as caught, uow.read() as session:
            session.execute(text("SELECT 1"))
        assert caught.value.code == "database_unavailable"
        with pytest.raises(ServiceUnavailable) as caught, uow.read_connection():
            pass
        assert caught.value.code == "database_unavailable"
        with pytest.raises(ServiceUnavailable) as caught, uow(CallContext.cli()) as unit:
            unit.session.execute(text("SELECT 1"))
        assert caught.value.code == "database_unavailable"
    engine.dispose()


def test_postgresql_pool_holds_two_connections_per_request_thread() -> None:
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", request_threads=20)
    pool = engine.pool
    assert pool.size() + pool._max_overflow == 20 * 2 + engine_module.SPARE_CONNECTIONS  # type: ignore[attr-defined]
    engine.dispose()


def _now() -> datetime:
    return datetime.now(UTC)
