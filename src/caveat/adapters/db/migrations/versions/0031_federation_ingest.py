"""federation ingest: the local project a peer's releases become artifacts of, and the
provenance of each received item made a local artifact

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caveat.adapters.db.types import UTCDateTime

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def _add_reference(table: str, column: str, target: str, name: str) -> None:
    """A nullable column referring to ``target``'s id (as 0016 adds them). SQLite gets a
    plain ADD COLUMN with the reference inline: batch mode would copy the table, and
    other tables' rows refer to it (the copy's DROP TABLE fails their foreign keys)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} VARCHAR(36)"
            f" CONSTRAINT {name} REFERENCES {target} (id)"
        )
        return
    op.add_column(table, sa.Column(column, sa.String(36), nullable=True))
    op.create_foreign_key(name, table, target, [column], ["id"])


def upgrade() -> None:
    _add_reference(
        "federation_peers",
        "receiving_project_id",
        "projects",
        "fk_federation_peers_receiving_project_id_projects",
    )
    _add_reference(
        "federation_peers",
        "receiving_set_by",
        "people",
        "fk_federation_peers_receiving_set_by_people",
    )
    t = "federation_ingested"
    op.create_table(
        t,
        sa.Column("artifact_id", sa.String(36), nullable=False),
        sa.Column("received_id", sa.String(36), nullable=False),
        sa.Column("peer_id", sa.String(36), nullable=False),
        sa.Column("origin_node_id", sa.String(36), nullable=False),
        sa.Column("origin_resource_id", sa.String(36), nullable=False),
        sa.Column("origin_organisation", sa.String(120), nullable=False),
        sa.Column("origin_banner", sa.String(500), nullable=False),
        sa.Column("national_banner", sa.String(500), nullable=False),
        sa.Column("ingested_at", UTCDateTime(), nullable=False),
        sa.Column("recalled_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("artifact_id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("received_id", name=op.f(f"uq_{t}_received_id")),
        sa.ForeignKeyConstraint(
            ["artifact_id"], ["artifacts.id"], name=op.f(f"fk_{t}_artifact_id_artifacts")
        ),
        sa.ForeignKeyConstraint(
            ["received_id"],
            ["federation_received.id"],
            name=op.f(f"fk_{t}_received_id_federation_received"),
        ),
        sa.ForeignKeyConstraint(
            ["peer_id"], ["federation_peers.id"], name=op.f(f"fk_{t}_peer_id_federation_peers")
        ),
    )


def downgrade() -> None:
    op.drop_table("federation_ingested")
    sqlite = op.get_bind().dialect.name == "sqlite"  # a copy drops the column's reference
    with op.batch_alter_table("federation_peers") as batch:
        if not sqlite:
            batch.drop_constraint("fk_federation_peers_receiving_set_by_people", type_="foreignkey")
            batch.drop_constraint(
                "fk_federation_peers_receiving_project_id_projects", type_="foreignkey"
            )
        batch.drop_column("receiving_set_by")
        batch.drop_column("receiving_project_id")
