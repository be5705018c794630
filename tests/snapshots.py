"""Seeded nodes restored instead of seeded again.

Seeding the demo costs seconds per test (its people, agreements, plans and files, each
through the services and their ledger events), and the plan, work, discussion and
permission tests each start from it. The first such test in a process
seeds a node and takes a snapshot of it: its database (SQLite's backup API; PostgreSQL
tables in COPY's binary form with their sequences) and its data directory (keys, blobs).
Later tests restore the snapshot into their own empty database and data directory and
open the node there, so each test starts where a freshly seeded one would. The seeding
itself is still tested: the first test of each kind in each process runs it, and the
demo's own tests (tests/*/test_demo*.py) seed it from empty.
"""

from __future__ import annotations

import atexit
import dataclasses
import functools
import json
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from caveat.adapters.db import engine as engines
from caveat.adapters.db.models import Base
from caveat.adapters.db.models.artifacts import SEARCH_TABLES
from caveat.bootstrap.container import Node, init_node, open_node
from caveat.bootstrap.settings import Settings
from caveat.services.identity._people import NewAccount
from tests.support import FIRST_OPERATOR, FakeClock

Made = TypeVar("Made")


@dataclass(frozen=True)
class Seeded(Generic[Made]):
    """A node ready for a test, its first operator and what the seeding returned."""

    node: Node
    operator: NewAccount
    made: Made


@dataclass(frozen=True)
class _Snapshot:
    taken_at: datetime
    taken_monotonic: float
    data_dir: Path
    operator: NewAccount
    made: Any
    sqlite_file: Path | None = None
    tables: tuple[tuple[str, bytes], ...] = ()
    sequences: tuple[tuple[str, int | None], ...] = ()


_SNAPSHOTS: dict[tuple[str, str, str], _Snapshot] = {}


@functools.cache
def _store() -> Path:
    """The process's folder of snapshots, removed when the process ends."""
    folder = Path(tempfile.mkdtemp(prefix="caveat-snapshots-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


@contextmanager
def seeded(
    kind: str,
    seed: Callable[[Node], Made],
    settings: Settings,
    clock: FakeClock,
) -> Iterator[Seeded[Made]]:
    """A node seeded by ``seed`` in ``settings``' data directory and database, closed
    after the test: seeded there by the first test of ``kind`` in this process (and again
    once its snapshot is ``FRESH_FOR_S`` old), restored from the snapshot for the others.
    What ``seed`` returns is shared by every test of the kind, so it must not be changed.
    """
    made = _seeded(kind, seed, settings, clock)
    try:
        yield made
    finally:
        made.node.close()


# A test's clock starts at the real time or the snapshot's, whichever is later: never
# behind the rows it restores, nor behind the real clock that file times, certificates
# and other processes' signed requests use. The rows are at most this old then, so a
# snapshot is taken again at this age: a fresh node's periodic work (a checkpoint every
# five minutes) is not brought forward by more than this.
FRESH_FOR_S = 30.0


def _seeded(
    kind: str, seed: Callable[[Node], Made], settings: Settings, clock: FakeClock
) -> Seeded[Made]:
    from tests.conftest import empty_tables

    url = settings.resolved_database_url()
    # Settings other than the data directory may shape what seeding writes (mail, blob
    # store, intel feeds): a snapshot serves only nodes with the same ones.
    shape = json.dumps(settings.model_dump(mode="json", exclude={"data_dir"}), sort_keys=True)
    key = (kind, url, shape)
    snapshot = _SNAPSHOTS.get(key)
    if snapshot is None or time.monotonic() - snapshot.taken_monotonic > FRESH_FOR_S:
        empty_tables(url)
        node, operator = init_node(settings, FIRST_OPERATOR, clock=clock)
        made = seed(node)
        _SNAPSHOTS[key] = _take(kind, node, settings, clock, operator, made)
        return Seeded(node, operator, made)
    _restore(snapshot, settings, url)
    clock.now = max(clock.now, snapshot.taken_at)
    return Seeded(open_node(settings, clock=clock), snapshot.operator, snapshot.made)


def _take(
    kind: str,
    node: Node,
    settings: Settings,
    clock: FakeClock,
    operator: NewAccount,
    made: object,
) -> _Snapshot:
    folder = Path(tempfile.mkdtemp(prefix=f"{kind}-", dir=_store()))
    node.channels.ledger.flush()  # what a closing node would still write
    shutil.copytree(settings.data_dir, folder / "node")
    snapshot = _Snapshot(clock(), time.monotonic(), folder / "node", operator, made)
    engine = node.engine
    if engine.dialect.name == "sqlite":
        copy = folder / "caveat.db"
        _sqlite_backup(_sqlite_path(engine), copy)
        return dataclasses.replace(snapshot, sqlite_file=copy)
    return dataclasses.replace(snapshot, tables=_copy_out(engine), sequences=_sequences(engine))


def _restore(snapshot: _Snapshot, settings: Settings, url: str) -> None:
    shutil.copytree(snapshot.data_dir, settings.data_dir)
    engine = engines.make_engine(url)
    engine.dispose()  # no pooled connection of an earlier test sees the swap
    if snapshot.sqlite_file is not None:
        _sqlite_backup(snapshot.sqlite_file, _sqlite_path(engine))
    else:
        _copy_in(engine, snapshot)
    engine.dispose()


def _sqlite_path(engine: Engine) -> Path:
    database = make_url(str(engine.url)).database
    assert database, "a SQLite file, not an in-memory database"
    return Path(database)


def _sqlite_backup(source: Path, target: Path) -> None:
    """Page by page, consistent, whatever the write-ahead log holds."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def _tables() -> list[str]:
    """Parents before children (the models' dependency order), then the search index."""
    return [t.name for t in Base.metadata.sorted_tables] + list(SEARCH_TABLES["postgresql"])


def _copy_out(engine: Engine) -> tuple[tuple[str, bytes], ...]:
    tables = []
    with engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        for name in _tables():
            with cursor.copy(f'COPY "{name}" TO STDOUT (FORMAT BINARY)') as copy:
                data = b"".join(bytes(block) for block in copy)
            if len(data) > _EMPTY_COPY:  # restored tables start empty: copy only rows
                tables.append((name, data))
    return tuple(tables)


# COPY's binary form of a table without rows: the 19-byte header and the 2-byte trailer.
_EMPTY_COPY = 21


def _sequences(engine: Engine) -> tuple[tuple[str, int | None], ...]:
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), last_value "
            "FROM pg_sequences WHERE schemaname = current_schema()"
        ).all()
    return tuple((str(name), value) for name, value in rows)


def _copy_in(engine: Engine, snapshot: _Snapshot) -> None:
    from tests.conftest import emptying_script

    with engine.begin() as conn:
        conn.exec_driver_sql(emptying_script("postgresql"))
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        for name, data in snapshot.tables:
            with cursor.copy(f'COPY "{name}" FROM STDIN (FORMAT BINARY)') as copy:
                copy.write(data)
        used = [(sequence, value) for sequence, value in snapshot.sequences if value is not None]
        if used:  # the others were reset by the emptying script
            calls = ", ".join("setval(%s::regclass, %s, true)" for _ in used)
            cursor.execute(f"SELECT {calls}", [x for pair in used for x in pair])
