"""plan_reminders: which due-soon and overdue reminders a task's assignee was sent

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caveat.adapters.db.types import UTCDateTime

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    t = "plan_reminders"
    op.create_table(
        t,
        sa.Column("task_id", sa.String(36), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("due", sa.String(10), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("task_id", "person_id", "due_on", "due", name=op.f(f"pk_{t}")),
        sa.ForeignKeyConstraint(
            ["task_id"], ["work_tasks.id"], name=op.f(f"fk_{t}_task_id_work_tasks")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f(f"fk_{t}_person_id_people")
        ),
    )


def downgrade() -> None:
    op.drop_table("plan_reminders")
