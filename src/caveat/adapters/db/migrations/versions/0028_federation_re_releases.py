"""federation re-release requests: asked of the originating node, decided there; outbox
entry kinds up to 32 characters (re_release_decision)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caveat.adapters.db.types import UTCDateTime

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("federation_outbox") as batch:
        batch.alter_column(
            "kind",
            existing_type=sa.String(16),
            type_=sa.String(32),
            existing_nullable=False,
            existing_server_default="package",
        )
    t = "federation_re_releases"
    op.create_table(
        t,
        sa.Column("peer_id", sa.String(36), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("resource_id", sa.String(36), nullable=False),
        sa.Column("received_id", sa.String(36), nullable=True),
        sa.Column("nation", sa.String(3), nullable=False),
        sa.Column("to_peer", sa.String(120), nullable=False, server_default=""),
        sa.Column("justification", sa.String(500), nullable=False),
        sa.Column("requested_by", sa.String(36), nullable=True),
        sa.Column("requester_name", sa.String(200), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False, server_default=""),
        sa.Column("decided_by", sa.String(36), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("released_to", sa.String(120), nullable=False, server_default=""),
        sa.Column("release_seq", sa.BigInteger(), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("peer_id", "direction", "id", name=op.f(f"pk_{t}")),
        sa.ForeignKeyConstraint(
            ["peer_id"], ["federation_peers.id"], name=op.f(f"fk_{t}_peer_id_federation_peers")
        ),
    )
    op.create_index("ix_federation_re_releases_status", t, ["direction", "status"])


def downgrade() -> None:
    op.drop_index("ix_federation_re_releases_status", table_name="federation_re_releases")
    op.drop_table("federation_re_releases")
    op.execute("DELETE FROM federation_outbox WHERE kind = 're_release_decision'")
    with op.batch_alter_table("federation_outbox") as batch:
        batch.alter_column(
            "kind",
            existing_type=sa.String(32),
            type_=sa.String(16),
            existing_nullable=False,
            existing_server_default="package",
        )
