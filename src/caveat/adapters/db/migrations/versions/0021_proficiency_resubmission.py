"""proficiency: a laboratory replaces its result while the round is open; history kept

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caveat.adapters.db.types import UTCDateTime

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    other = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{table}_{column}_{other}"))


def upgrade() -> None:
    with op.batch_alter_table("proficiency_submissions") as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
    t = "proficiency_submission_versions"
    op.create_table(
        t,
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("submission_id", sa.String(36), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("standard_uncertainty", sa.Float(), nullable=True),
        sa.Column("coverage_factor", sa.Float(), nullable=True),
        sa.Column("replicates_json", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(60), nullable=False),
        sa.Column("reported_value", sa.Float(), nullable=False),
        sa.Column("reported_uncertainty", sa.Float(), nullable=True),
        sa.Column("reported_replicates_json", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("submitted_by", sa.String(36), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=False),
        sa.Column("replaced_by", sa.String(36), nullable=False),
        sa.Column("replaced_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        _fk(t, "submission_id", "proficiency_submissions.id"),
        _fk(t, "submitted_by", "people.id"),
        _fk(t, "replaced_by", "people.id"),
        sa.UniqueConstraint(
            "submission_id", "revision", name=op.f("uq_proficiency_submission_versions")
        ),
    )
    op.create_index(op.f(f"ix_{t}_submission_id"), t, ["submission_id"])


def downgrade() -> None:
    op.drop_table("proficiency_submission_versions")
    with op.batch_alter_table("proficiency_submissions") as batch:
        batch.drop_column("revision")
