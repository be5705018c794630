"""Migrations, schema checks and SQLite settings, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import sqlite3
import stat
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url

from caveat.adapters.db import schema
from caveat.adapters.db.engine import make_engine
from caveat.adapters.db.models import Base
from caveat.adapters.db.models.artifacts import SEARCH_OBJECTS
from caveat.adapters.keys import InsecureKeyFile, LocalKeyFiles
from caveat.bootstrap.container import open_node
from caveat.bootstrap.settings import Settings
from caveat.domain.errors import ServiceUnavailable


@pytest.fixture
def empty_engine(tmp_path: Path) -> Iterator[Engine]:
    """An engine on a brand-new, empty database of the kind under test."""
    given = os.environ.get("CAVEAT_TEST_DATABASE_URL")
    if not given:
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
        yield engine
        engine.dispose()
        return
    # A new schema, first on the search path, rather than a new database: PostgreSQL
    # makes DROP DATABASE wait for a checkpoint, which under CI's load took a minute.
    base = make_url(given)
    name = f"caveat_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    url = base.update_query_dict({"options": f"-csearch_path={name}"})
    engine = make_engine(url.render_as_string(hide_password=False))
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    admin.dispose()


def test_migrations_run_from_empty_to_head_and_back(empty_engine: Engine) -> None:
    assert schema.current_revision(empty_engine) is None
    schema.upgrade(empty_engine)
    assert schema.current_revision(empty_engine) == schema.head_revision()
    tables = set(inspect(empty_engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    schema.downgrade(empty_engine, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    schema.upgrade(empty_engine)
    assert schema.current_revision(empty_engine) == schema.head_revision()


def test_migrated_schema_matches_the_models(empty_engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    schema.upgrade(empty_engine)
    with empty_engine.connect() as conn:
        # Full-text search objects are per database and outside the models (migration 0004).
        opts = {"include_name": lambda name, _type, _parent: name not in SEARCH_OBJECTS}
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
    assert diff == []


def test_migration_keeps_data(empty_engine: Engine) -> None:
    schema.upgrade(empty_engine)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with empty_engine.begin() as conn:
        conn.execute(
            Base.metadata.tables["organisations"]
            .insert()
            .values(
                id="o1", name="Dstl", nation="GBR", kind="government_laboratory", created_at=now
            )
        )
    schema.upgrade(empty_engine)  # at head: a no-op that must not lose rows
    with empty_engine.connect() as conn:
        rows = conn.execute(text("SELECT name FROM organisations")).all()
    assert [r[0] for r in rows] == ["Dstl"]


def test_0007_makes_project_programme_names_follow_the_links(empty_engine: Engine) -> None:
    schema.upgrade(empty_engine, "0006")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    tables = Base.metadata.tables
    with empty_engine.begin() as conn:
        conn.execute(
            tables["programmes"]
            .insert()
            .values(id="g1", name="PSP", description="", created_at=now)
        )
        conn.execute(
            tables["projects"].insert(),
            [
                {"id": "p1", "name": "Linked, unnamed", "programme": None, "created_at": now},
                {"id": "p2", "name": "Named, unlinked", "programme": "Old", "created_at": now},
                {"id": "p3", "name": "Linked, misnamed", "programme": "Old", "created_at": now},
            ],
        )
        conn.execute(
            tables["programme_projects"].insert(),
            [
                {"programme_id": "g1", "project_id": "p1"},
                {"programme_id": "g1", "project_id": "p3"},
            ],
        )
    schema.upgrade(empty_engine)
    with empty_engine.connect() as conn:
        rows: dict[str, str | None] = {
            r.id: r.programme for r in conn.execute(text("SELECT id, programme FROM projects"))
        }
    assert rows == {"p1": "PSP", "p2": None, "p3": "PSP"}


def test_refuses_unmigrated_and_newer_databases(empty_engine: Engine) -> None:
    with pytest.raises(schema.SchemaNotCurrent, match="no Caveat schema") as empty:
        schema.require_current(empty_engine)
    assert "caveat init" in (empty.value.hint or "")
    schema.upgrade(empty_engine)
    schema.require_current(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed'"))
    with pytest.raises(schema.SchemaNotCurrent, match="newer than this version"):
        schema.require_current(empty_engine)


def test_open_node_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(ServiceUnavailable) as caught:
        open_node(settings)
    assert caught.value.code == "schema_not_current"


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_unreachable_database_is_reported_as_unavailable() -> None:
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(ServiceUnavailable) as caught:
        schema.current_revision(engine)
    assert caught.value.code == "database_unavailable"


def test_key_files_are_private_and_refused_when_not(tmp_path: Path) -> None:
    keys = LocalKeyFiles(tmp_path / "keys")
    keys.create()
    secret = keys.secret_key()
    keys.create()  # idempotent: never replaces a key
    assert keys.secret_key() == secret
    for name in (LocalKeyFiles.SECRET, LocalKeyFiles.SIGNING):
        assert stat.S_IMODE((tmp_path / "keys" / name).stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    os.chmod(tmp_path / "keys" / LocalKeyFiles.SECRET, 0o644)
    with pytest.raises(InsecureKeyFile):
        keys.secret_key()


def test_0016_records_the_operating_organisation_proposers_origins_and_peer_numbers(
    empty_engine: Engine,
) -> None:
    schema.upgrade(empty_engine, "0015")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    tables = Base.metadata.tables

    def event(
        seq: int, kind: str, target: str, request: str, actor: str | None = None
    ) -> dict[str, object]:
        return {
            "seq": seq,
            "id": str(uuid.uuid4()),
            "type": kind,
            "type_version": 1,
            "occurred_at": now,
            "actor_kind": "person" if actor else "system",
            "actor_id": actor,
            "actor_name": None,
            "target_type": "x",
            "target_id": target,
            "outcome": "success",
            "request_id": request,
            "node_id": "n1",
            "body": "{}",
        }

    def peer(peer_id: str, status: str, proposed_by: str | None) -> dict[str, object]:
        return {
            "id": peer_id,
            "node_id": str(uuid.uuid4()),
            "name": peer_id,
            "nation": "USA",
            "organisation": "AFRL",
            "endpoint": "https://x.example",
            "signing_key": "k",
            "wrapping_key": "w",
            "fingerprint": "f",
            "status": status,
            "proposed_by": proposed_by,
            "created_at": now,
            "changed_at": now,
        }

    with empty_engine.begin() as conn:
        conn.execute(
            tables["node"]
            .insert()
            .values(id="n1", name="n", signing_public_key="k", created_at=now)
        )
        conn.execute(
            tables["organisations"].insert(),
            [
                {"id": o, "name": o, "nation": "GBR", "kind": "company", "created_at": now}
                for o in ("ops", "dstl")
            ],
        )
        conn.execute(
            tables["people"].insert(),
            [
                {
                    "id": p,
                    "username": p,
                    "display_name": p,
                    "email": f"{p}@x.example",
                    "organisation_id": "ops",
                    "status": "active",
                    "password_hash": "h",
                    "password_changed_at": now,
                    "totp_secret": "s",
                    "mfa_enrolled_at": now,
                    "created_at": now,
                }
                for p in ("recorder", "rotator")
            ],
        )
        conn.execute(
            tables["events"].insert(),
            [
                event(1, "node.initialised", "n1", "init"),
                event(2, "org.created", "ops", "init"),
                event(3, "org.created", "dstl", "later"),
                event(4, "peer.proposed", "p1", "r1", actor="recorder"),
                event(5, "peer.proposed", "p2", "r2", actor="recorder"),
            ],
        )
        # p1 is rotating: before 0016 its proposed_by became who proposed the keys.
        conn.execute(
            tables["federation_peers"].insert(),
            [peer("p1", "rotating", "rotator"), peer("p2", "active", "recorder")],
        )
        conn.execute(tables["projects"].insert().values(id="j", name="j", created_at=now))
        conn.execute(
            tables["resources"]
            .insert()
            .values(
                id="r", project_id="j", kind="document", title="t", export_json="{}", created_at=now
            )
        )
        # Global numbers: 1 and 3 went to p1, 2 to p2 (cursors peers hold are these).
        conn.execute(
            tables["federation_outbox"].insert(),
            [
                {
                    "seq": seq,
                    "peer_id": peer_id,
                    "resource_id": "r",
                    "package": b"p",
                    "sha256": "0" * 64,
                    "created_at": now,
                }
                for seq, peer_id in ((1, "p1"), (2, "p2"), (3, "p1"))
            ],
        )
        conn.execute(
            tables["federation_received"]
            .insert()
            .values(
                id="rx",
                peer_id="p2",
                seq=3,
                origin_resource_id="policy-uuid",
                banner="b",
                label_json="{}",
                export_json="{}",
                media_type="text/plain",
                size=1,
                content_sha256="0" * 64,
                package=b"p",
                received_at=now,
            )
        )
    schema.upgrade(empty_engine)
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT organisation_id FROM node")).scalar() == "ops"
        peers = {
            r.id: (r.proposed_by, r.keys_proposed_by)
            for r in conn.execute(
                text("SELECT id, proposed_by, keys_proposed_by FROM federation_peers")
            )
        }
        assert peers == {"p1": ("recorder", "rotator"), "p2": ("recorder", None)}
        received = conn.execute(
            text(
                "SELECT origin_node_id, origin_resource_id, package_uuid, peer_id"
                " FROM federation_received"
            )
        ).one()
        p2_node = conn.execute(
            text("SELECT node_id FROM federation_peers WHERE id = 'p2'")
        ).scalar()
        assert tuple(received) == (p2_node, "", "policy-uuid", "p2")
        numbers = conn.execute(
            text("SELECT seq, peer_seq FROM federation_outbox ORDER BY seq")
        ).all()
        assert [tuple(r) for r in numbers] == [(1, 1), (2, 2), (3, 3)]
        counters = {
            r.id: r.outbox_seq
            for r in conn.execute(text("SELECT id, outbox_seq FROM federation_peers"))
        }
        assert counters == {"p1": 3, "p2": 2}


def test_a_connection_given_back_after_dispose_is_closed_not_stranded(database_url: str) -> None:
    """A thread still holding a connection when the engine is disposed (a node closing
    under a request) gives it back to the old pool, which nothing uses again: it is
    closed there, not left open until the garbage collector finds it (psycopg warns)."""
    engine = make_engine(database_url)
    held = engine.connect()
    driver = held.connection.driver_connection
    held.execute(text("SELECT 1"))
    engine.dispose()
    held.close()
    if engine.dialect.name == "postgresql":
        assert driver.closed  # type: ignore[union-attr]
    else:
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            driver.execute("SELECT 1")  # type: ignore[union-attr]
    with engine.connect() as fresh:  # the engine's new pool serves as before
        assert fresh.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()
