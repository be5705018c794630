"""Migrations and the schema check that keeps a node off a database it does not match."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from caveat.domain.errors import ServiceUnavailable

_MIGRATIONS = Path(__file__).with_name("migrations")


class SchemaNotCurrent(ServiceUnavailable):
    """Raised at start-up when the database is empty, behind, or ahead of this code."""

    code = "schema_not_current"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


@cache
def head_revision() -> str:
    """The newest migration this code knows (read once: Alembic compiles every migration
    script to find it, and the scripts do not change under a running process)."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migrations are packaged")
    return head


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at, or None for an empty database."""
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except OperationalError as exc:
        raise ServiceUnavailable(
            "the database cannot be reached",
            code="database_unavailable",
            hint="check CAVEAT_DATABASE_URL and that the database server is running",
        ) from exc


def pending_revisions(engine: Engine) -> list[tuple[str, str]]:
    """What ``upgrade`` would apply, oldest first: (revision, title from its docstring)."""
    current = current_revision(engine)
    script = ScriptDirectory.from_config(_config())
    if current is not None and current not in {rev.revision for rev in script.walk_revisions()}:
        raise SchemaNotCurrent(
            f"the database schema ({current}) is newer than this version of Caveat "
            f"({head_revision()})",
            hint="upgrade Caveat; do not run an older version against a newer database",
        )
    revisions = script.iterate_revisions("head", current or "base")  # newest first
    return [(rev.revision, " ".join((rev.doc or "").split())) for rev in reversed(list(revisions))]


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database forward to ``revision``."""
    if revision == "head" and current_revision(engine) == head_revision():
        return  # nothing to apply; Alembic would still load every migration to see that
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database back to ``revision`` (``base`` empties it)."""
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def require_current(engine: Engine) -> None:
    """Raise SchemaNotCurrent unless the database is exactly at this code's head."""
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    if current is None:
        raise SchemaNotCurrent(
            "the database has no Caveat schema",
            hint="run `caveat init` for a new node or `caveat db upgrade` for an existing one",
        )
    known = {rev.revision for rev in ScriptDirectory.from_config(_config()).walk_revisions()}
    if current not in known:
        raise SchemaNotCurrent(
            f"the database schema ({current}) is newer than this version of Caveat ({head})",
            hint="upgrade Caveat; do not run an older version against a newer database",
        )
    raise SchemaNotCurrent(
        f"the database schema ({current}) is behind this version of Caveat ({head})",
        hint="back up the database, then run `caveat db upgrade`",
    )
