"""Shared fixtures: a real database (SQLite, or PostgreSQL when asked), a node, a clock.

Set CAVEAT_TEST_DATABASE_URL=postgresql+psycopg://user@host/db to run every database
test on PostgreSQL: a fresh database is created beside the given one and dropped after.
Tests that use no database (pure domain code, formats) run only without it: on
PostgreSQL they would repeat the SQLite run's work exactly.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Table, create_engine, text
from sqlalchemy.engine import make_url

from caveat.adapters.db import engine as engines
from caveat.adapters.db import schema
from caveat.adapters.db.engine import make_engine
from caveat.adapters.db.models import Base
from caveat.adapters.db.models.artifacts import SEARCH_TABLES
from caveat.adapters.db.models.compliance import POLICY_SOURCES, PolicyGenerationRow
from caveat.bootstrap.container import Node, seed_demo
from caveat.bootstrap.logging import configure_logging
from caveat.bootstrap.settings import HashProfile, Settings
from caveat.services.identity._people import NewAccount
from tests.snapshots import Seeded, seeded
from tests.support import FakeClock, share_engines

share_engines()
# Logs as a node writes them (JSON lines, tracebacks as plain text): structlog's unconfigured
# default draws tracebacks with every local variable, which took minutes for a request
# whose locals held megabytes of upload buffers, and would print whatever secrets the
# locals held.
configure_logging(json=True)

# Tests assert behaviour, not speed: on a shared two-core machine (CI runs SQLite and
# PostgreSQL side by side) how fast examples are generated or run says nothing about
# Caveat, so neither fails a test. Benchmarks measure speed.
_NOT_TIMED = hypothesis_settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.register_profile("default", _NOT_TIMED)
# `make mutate` runs every test under mutmut's tracing, several times slower: a fixed seed
# there, so a mutant is killed or not by the same examples every time.
hypothesis_settings.register_profile("mutation", _NOT_TIMED, derandomize=True)
hypothesis_settings.load_profile(os.environ.get("CAVEAT_HYPOTHESIS_PROFILE", "default"))


# The fixtures through which a test reaches the database under test.
DATABASE_FIXTURES = frozenset({"database_url", "empty_engine"})


# Test files whose subject is an interface over the services: the HTTP API, the CLI and
# the SDK (tests/api/, tests/cli/, and each package's test_api*.py, test_cli*.py,
# *_over_api.py, test_interfaces.py).
_INTERFACE_DIRS = frozenset({"api", "cli"})
_INTERFACE_FILES = ("test_api", "test_cli")


def _one_database(item: pytest.Item) -> bool:
    """Whether the test's subject is the same whatever the database: marked
    ``one_database`` (a protocol, a process's transport), a page test (tests/web/,
    test_web*.py) or an interface test (the API, the CLI, the SDK), since pages and
    interfaces render and parse what the services answer, and the services' own tests
    run on both databases."""
    if item.get_closest_marker("one_database") is not None:
        return True
    path = item.path
    name = path.name
    return (
        path.parent.name == "web"
        or name.startswith("test_web")
        or path.parent.name in _INTERFACE_DIRS
        or name.startswith(_INTERFACE_FILES)
        or name.endswith("_over_api.py")
        or name == "test_interfaces.py"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Modules with a slow test first (in pytest-randomly's shuffled order otherwise), so
    pytest-xdist hands them out at the start instead of leaving one worker running a
    browser or multi-process module after the others finished. On PostgreSQL, only the
    tests that use a database, and not those whose subject is the same whatever the
    database (a minute of CI for some of each)."""
    slow_modules = {item.path for item in items if item.get_closest_marker("slow") is not None}
    items.sort(key=lambda item: item.path not in slow_modules)  # stable: keeps the shuffle
    if not os.environ.get("CAVEAT_TEST_DATABASE_URL"):
        return
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        uses = DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
        (keep if uses and not _one_database(item) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database for this test session."""
    given = os.environ.get("CAVEAT_TEST_DATABASE_URL")
    if not given:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'caveat.db'}"
        schema.upgrade(make_engine(url))
        yield url
        return
    base = make_url(given)
    name = f"caveat_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # A throwaway database: a commit need not wait for its WAL flush (a server crash
        # could lose the last commits, which a test database never needs). The tests that
        # kill a node mid-write kill the node, never the server, so they still see
        # exactly what a durable commit gives.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = base.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@functools.cache
def emptying_script(dialect: str) -> str:
    """Every row deleted (keeping the schema), children first, and the search index: one
    script, sent in one round trip. DELETE, not TRUNCATE: on tables of a few rows it is
    several times faster than PostgreSQL's TRUNCATE, which makes new files for every
    table each time."""
    names = [*SEARCH_TABLES[dialect], *(t.name for t in reversed(Base.metadata.sorted_tables))]
    statements = [f'DELETE FROM "{name}"' for name in names]  # noqa: S608 (our own names)
    if dialect == "postgresql":
        # Identities restart, as TRUNCATE ... RESTART IDENTITY would (SQLite's rowids
        # restart by themselves once a table is empty).
        statements.append(
            "SELECT setval(oid::regclass, 1, false) FROM pg_class WHERE relkind = 'S'"
        )
    return ";\n".join(statements)


def empty_tables(url: str) -> None:
    """Delete every row and put back the reference rows the migrations seed."""
    engine = engines.make_engine(url)  # the process's one engine for it (share_engines)
    script = emptying_script(engine.dialect.name)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            # sqlite3 runs one statement per execute; executescript would commit first.
            for statement in script.split(";\n"):
                conn.exec_driver_sql(statement)
        else:
            conn.exec_driver_sql(script)  # psycopg sends a script without parameters whole
        generations = PolicyGenerationRow.__table__
        assert isinstance(generations, Table)
        conn.execute(generations.insert(), [{"name": n, "value": 0} for n in POLICY_SOURCES])
    # Nothing of this engine stays open between tests (a test may delete or replace the
    # database's files, or count its connections).
    engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    """A clock the test moves by hand, starting now."""
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings for a node in a fresh data directory on the session's database."""
    return Settings(
        data_dir=tmp_path / "node",
        database_url=database_url,
        hash_profile=HashProfile.TEST,
        node_name="test-node",
    )


@pytest.fixture
def initialised(settings: Settings, clock: FakeClock) -> Iterator[tuple[Node, NewAccount]]:
    """A fresh node and its first operator: initialised by the process's first test (and
    every 30 s), restored from a snapshot of that for the others, which costs about
    half as much (tests/snapshots.py)."""
    with seeded("node", _nothing, settings, clock) as made:
        yield made.node, made.operator


def _nothing(node: Node) -> None:
    """No seeding: the node as ``init_node`` leaves it."""


@pytest.fixture
def seeded_demo(settings: Settings, clock: FakeClock) -> Iterator[Seeded[dict[str, NewAccount]]]:
    """The whole demo, files included, restored from a snapshot after the first test; a
    module takes it by overriding ``initialised`` with it (tests/permissions)."""
    with seeded("demo", seed_demo, settings, clock) as made:
        yield made


@pytest.fixture
def node(initialised: tuple[Node, NewAccount]) -> Node:
    """A fresh, initialised node."""
    return initialised[0]


@pytest.fixture
def operator(initialised: tuple[Node, NewAccount]) -> NewAccount:
    """The node's first operator with its one-time secrets."""
    return initialised[1]


@pytest.fixture
def later(clock: FakeClock) -> timedelta:
    """One TOTP step: advancing by it makes a fresh code."""
    return timedelta(seconds=30)
