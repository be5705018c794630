"""federation recalls: outbox entries of kind recall, the recalls a node sent and received,
and received items marked recalled

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caveat.adapters.db.types import UTCDateTime

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("federation_outbox") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="package"))
    with op.batch_alter_table("federation_received") as batch:
        batch.add_column(sa.Column("recalled_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("recall_id", sa.String(36), nullable=True))
    t = "federation_recalls"
    op.create_table(
        t,
        sa.Column("peer_id", sa.String(36), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("resource_id", sa.String(36), nullable=False),
        sa.Column("peer_seq", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("detail", sa.String(500), nullable=False, server_default=""),
        sa.Column("recalled_by", sa.String(36), nullable=True),
        sa.Column("recalled_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False, server_default=""),
        sa.Column("hidden", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("confirmed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("peer_id", "direction", "id", name=op.f(f"pk_{t}")),
        sa.ForeignKeyConstraint(
            ["peer_id"], ["federation_peers.id"], name=op.f(f"fk_{t}_peer_id_federation_peers")
        ),
    )
    op.create_index("ix_federation_recalls_resource", t, ["peer_id", "resource_id"])


def downgrade() -> None:
    op.drop_index("ix_federation_recalls_resource", table_name="federation_recalls")
    op.drop_table("federation_recalls")
    with op.batch_alter_table("federation_received") as batch:
        batch.drop_column("recall_id")
        batch.drop_column("recalled_at")
    with op.batch_alter_table("federation_outbox") as batch:
        batch.drop_column("kind")
