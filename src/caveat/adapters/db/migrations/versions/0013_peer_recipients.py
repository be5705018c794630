"""peer recipients and log keys: the organisation that runs a peer node, its
accreditation, and the C2SP keys of its ledger and of its cosignatures

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

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


def downgrade() -> None:
    with op.batch_alter_table("federation_peers") as batch:
        batch.drop_constraint(
            op.f("fk_federation_peers_organisation_id_organisations"), type_="foreignkey"
        )
        batch.drop_column("witness_key")
        batch.drop_column("log_key")
        batch.drop_column("accredited_level")
        batch.drop_column("organisation_id")
