"""federation nonces: the signed requests a peer has already made, until they expire

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caveat.adapters.db.types import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "federation_nonces",
        sa.Column("peer_id", sa.String(36), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("peer_id", "nonce", name=op.f("pk_federation_nonces")),
        sa.ForeignKeyConstraint(
            ["peer_id"],
            ["federation_peers.id"],
            name=op.f("fk_federation_nonces_peer_id_federation_peers"),
        ),
    )
    op.create_index(op.f("ix_federation_nonces_expires_at"), "federation_nonces", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_federation_nonces_expires_at"), table_name="federation_nonces")
    op.drop_table("federation_nonces")
