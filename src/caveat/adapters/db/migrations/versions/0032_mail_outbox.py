"""mail_outbox and notification_preferences: notifications mailed after commit, and a
person's choice to have none mailed (ADR 0030)

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caveat.adapters.db.types import UTCDateTime

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    t = "mail_outbox"
    op.create_table(
        t,
        sa.Column("notification_id", sa.String(36), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("notification_id", name=op.f(f"pk_{t}")),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f(f"fk_{t}_notification_id_notifications"),
        ),
    )
    op.create_index("ix_mail_outbox_state_next", t, ["state", "next_attempt_at"])
    t = "notification_preferences"
    op.create_table(
        t,
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name=op.f(f"pk_{t}")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f(f"fk_{t}_person_id_people")
        ),
    )


def downgrade() -> None:
    op.drop_table("notification_preferences")
    op.drop_index("ix_mail_outbox_state_next", table_name="mail_outbox")
    op.drop_table("mail_outbox")
