"""channels: live channels of projects and programmes (issue 21, ADR 0025)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caveat.adapters.db.types import UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    t = "channels"
    op.create_table(
        t,
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("project_id", sa.String(36), nullable=True),
        sa.Column("programme_id", sa.String(36), nullable=True),
        sa.Column("max_messages", sa.Integer(), nullable=False),
        sa.Column("max_age_seconds", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(36), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_channels_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_channels_programme_id_programmes")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["people.id"], name=op.f("fk_channels_created_by_people")
        ),
        sa.UniqueConstraint("name", name=op.f("uq_channels_name")),
    )
    op.create_index(op.f("ix_channels_project_id"), t, ["project_id"])
    op.create_index(op.f("ix_channels_programme_id"), t, ["programme_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_channels_programme_id"), table_name="channels")
    op.drop_index(op.f("ix_channels_project_id"), table_name="channels")
    op.drop_table("channels")
