"""federation key splits: the originator's split of each split-mode release, and a
receiver's wait for it (ADR 0033)

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caveat.adapters.db.types import UTCDateTime

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    t = "federation_key_splits"
    op.create_table(
        t,
        sa.Column("release_id", sa.String(36), nullable=False),
        sa.Column("peer_id", sa.String(36), nullable=False),
        sa.Column("peer_seq", sa.BigInteger(), nullable=False),
        sa.Column("resource_id", sa.String(36), nullable=False),
        sa.Column("sealed_split", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("granted_at", UTCDateTime(), nullable=True),
        sa.Column("grants", sa.Integer(), server_default="0", nullable=False),
        sa.Column("destroyed_at", UTCDateTime(), nullable=True),
        sa.Column("recall_id", sa.String(36), nullable=True),
        sa.PrimaryKeyConstraint("release_id", name=op.f(f"pk_{t}")),
        sa.ForeignKeyConstraint(
            ["peer_id"], ["federation_peers.id"], name=op.f(f"fk_{t}_peer_id_federation_peers")
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resources.id"], name=op.f(f"fk_{t}_resource_id_resources")
        ),
    )
    op.create_index(op.f(f"ix_{t}_peer_id"), t, ["peer_id"])
    t = "federation_received_splits"
    op.create_table(
        t,
        sa.Column("received_id", sa.String(36), nullable=False),
        sa.Column("peer_id", sa.String(36), nullable=False),
        sa.Column("release_id", sa.String(36), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("sealed_split", sa.Text(), nullable=True),
        sa.Column("refusal_code", sa.String(64), server_default="", nullable=False),
        sa.Column("refusal", sa.String(500), server_default="", nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
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
    op.drop_index(op.f("ix_federation_received_splits_peer_id"), "federation_received_splits")
    op.drop_table("federation_received_splits")
    op.drop_index(op.f("ix_federation_key_splits_peer_id"), "federation_key_splits")
    op.drop_table("federation_key_splits")
