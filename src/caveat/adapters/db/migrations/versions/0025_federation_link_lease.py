"""leases with a token: one process syncs with a peer, or polls a subscription, at a time

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caveat.adapters.db.types import UTCDateTime

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("federation_links") as batch:
        batch.add_column(sa.Column("lease_until", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("lease_token", sa.String(36), nullable=True))
    with op.batch_alter_table("taxii_subscriptions") as batch:
        batch.add_column(sa.Column("lease_token", sa.String(36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("taxii_subscriptions") as batch:
        batch.drop_column("lease_token")
    with op.batch_alter_table("federation_links") as batch:
        batch.drop_column("lease_token")
        batch.drop_column("lease_until")
