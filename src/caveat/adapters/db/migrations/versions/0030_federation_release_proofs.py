"""federation release proofs: what a receiving node made of the originator's inclusion
proof of each received item's release event

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caveat.adapters.db.types import UTCDateTime

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    t = "federation_release_proofs"
    op.create_table(
        t,
        sa.Column("received_id", sa.String(36), nullable=False),
        sa.Column("peer_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), nullable=True),
        sa.Column("tree_size", sa.BigInteger(), nullable=True),
        sa.Column("entry_id", sa.String(36), nullable=False, server_default=""),
        sa.Column("reason", sa.String(300), nullable=False, server_default=""),
        sa.Column("checked_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("received_id", name=op.f(f"pk_{t}")),
        sa.ForeignKeyConstraint(
            ["received_id"],
            ["federation_received.id"],
            name=op.f(f"fk_{t}_received_id_federation_received"),
        ),
        sa.ForeignKeyConstraint(
            ["peer_id"], ["federation_peers.id"], name=op.f(f"fk_{t}_peer_id_federation_peers")
        ),
    )
    op.create_index(op.f(f"ix_{t}_peer_id"), t, ["peer_id"])


def downgrade() -> None:
    t = "federation_release_proofs"
    op.drop_index(op.f(f"ix_{t}_peer_id"), table_name=t)
    op.drop_table(t)
