"""peer recipients, log keys, links and packages: the organisation that runs a peer
node, its accreditation, the C2SP keys of its ledger and of its cosignatures, how the
link to it is doing, the packages waiting for it and those received from it

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caveat.adapters.db.types import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("federation_peers") as batch:
        batch.add_column(sa.Column("organisation_id", sa.String(36), nullable=True))
        batch.add_column(
            sa.Column("accredited_level", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("log_key", sa.String(300), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("witness_key", sa.String(300), nullable=False, server_default="")
        )
        batch.create_foreign_key(
            op.f("fk_federation_peers_organisation_id_organisations"),
            "organisations",
            ["organisation_id"],
            ["id"],
        )

    op.create_table(
        "federation_links",
        sa.Column("peer_id", sa.String(36), nullable=False),
        sa.Column("last_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("last_success_at", UTCDateTime(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.String(500), nullable=False, server_default=""),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("peer_size", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("cosigned_size", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("pulled_seq", sa.BigInteger(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("peer_id", name=op.f("pk_federation_links")),
        sa.ForeignKeyConstraint(
            ["peer_id"],
            ["federation_peers.id"],
            name=op.f("fk_federation_links_peer_id_federation_peers"),
        ),
    )
    op.create_table(
        "federation_outbox",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("peer_id", sa.String(36), nullable=False),
        sa.Column("resource_id", sa.String(36), nullable=False),
        sa.Column("package", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_federation_outbox")),
        sa.ForeignKeyConstraint(
            ["peer_id"],
            ["federation_peers.id"],
            name=op.f("fk_federation_outbox_peer_id_federation_peers"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_federation_outbox_resource_id_resources"),
        ),
    )
    op.create_index(op.f("ix_federation_outbox_peer_id"), "federation_outbox", ["peer_id"])
    op.create_table(
        "federation_received",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("peer_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("origin_resource_id", sa.String(36), nullable=False),
        sa.Column("banner", sa.String(500), nullable=False),
        sa.Column("label_json", sa.Text(), nullable=False),
        sa.Column("export_json", sa.Text(), nullable=False),
        sa.Column("media_type", sa.String(200), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("package", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_received")),
        sa.UniqueConstraint("peer_id", "seq", name="uq_federation_received_peer_seq"),
        sa.ForeignKeyConstraint(
            ["peer_id"],
            ["federation_peers.id"],
            name=op.f("fk_federation_received_peer_id_federation_peers"),
        ),
    )


def downgrade() -> None:
    op.drop_table("federation_received")
    op.drop_index(op.f("ix_federation_outbox_peer_id"), table_name="federation_outbox")
    op.drop_table("federation_outbox")
    op.drop_table("federation_links")
    with op.batch_alter_table("federation_peers") as batch:
        batch.drop_constraint(
            op.f("fk_federation_peers_organisation_id_organisations"), type_="foreignkey"
        )
        batch.drop_column("witness_key")
        batch.drop_column("log_key")
        batch.drop_column("accredited_level")
        batch.drop_column("organisation_id")
