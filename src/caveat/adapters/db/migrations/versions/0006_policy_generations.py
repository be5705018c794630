"""policy generations (counters that tell cached agreement and authorization terms
apart) and project roles of members

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
SOURCES = ("agreements", "authorizations")


def upgrade() -> None:
    table = op.create_table(
        "policy_generations",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", _BIGID, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_policy_generations")),
    )
    op.bulk_insert(table, [{"name": name, "value": 0} for name in SOURCES])
    with op.batch_alter_table("project_members") as batch:
        batch.add_column(
            sa.Column("role", sa.String(length=20), server_default="member", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("project_members") as batch:
        batch.drop_column("role")
    op.drop_table("policy_generations")
