"""federation peers: partner nodes and the agreements they are peered under

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caveat.adapters.db.types import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "federation_peers",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("node_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("nation", sa.String(3), nullable=False),
        sa.Column("organisation", sa.String(120), nullable=False),
        sa.Column("endpoint", sa.String(300), nullable=False),
        sa.Column("signing_key", sa.String(64), nullable=False),
        sa.Column("wrapping_key", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(79), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("pending_descriptor", sa.Text(), nullable=True),
        sa.Column("proposed_by", sa.String(36), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_peers")),
        sa.UniqueConstraint("node_id", name=op.f("uq_federation_peers_node_id")),
        sa.ForeignKeyConstraint(
            ["proposed_by"], ["people.id"], name=op.f("fk_federation_peers_proposed_by_people")
        ),
    )
    op.create_table(
        "federation_peer_agreements",
        sa.Column("peer_id", sa.String(36), nullable=False),
        sa.Column("agreement_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint(
            "peer_id", "agreement_id", name=op.f("pk_federation_peer_agreements")
        ),
        sa.ForeignKeyConstraint(
            ["peer_id"],
            ["federation_peers.id"],
            name=op.f("fk_federation_peer_agreements_peer_id_federation_peers"),
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_federation_peer_agreements_agreement_id_agreements"),
        ),
    )


def downgrade() -> None:
    op.drop_table("federation_peer_agreements")
    op.drop_table("federation_peers")
