"""Alembic environment: the engine comes from Caveat's config, never from alembic.ini."""

from __future__ import annotations

from alembic import context

from caveat.adapters.db.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations through caveat.adapters.db.schema, which passes a connection"
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copy
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
