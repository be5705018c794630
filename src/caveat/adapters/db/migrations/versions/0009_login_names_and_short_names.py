"""failed sign-ins under unknown usernames, counted like an account's, so that a
lockout does not tell which usernames exist; organisation short names unique

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caveat.adapters.db.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_name_throttle",
        sa.Column("name_hash", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.Column("hard_locked", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name_hash", name=op.f("pk_login_name_throttle")),
    )
    duplicates = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT short_name FROM organisations WHERE short_name IS NOT NULL "
                "GROUP BY short_name HAVING COUNT(*) > 1"
            )
        )
        .scalars()
        .all()
    )
    if duplicates:
        shared = ", ".join(repr(d) for d in duplicates)
        raise RuntimeError(
            f"organisations share the short names {shared}: give each its own short name "
            "and upgrade again"
        )
    op.create_index("uq_organisations_short_name", "organisations", ["short_name"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_organisations_short_name", table_name="organisations")
    op.drop_table("login_name_throttle")
