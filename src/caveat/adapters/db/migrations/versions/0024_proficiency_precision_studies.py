"""proficiency: rounds of kind precision_study and what their close computes (ISO 5725-2)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caveat.adapters.db.types import UTCDateTime

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    other = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{table}_{column}_{other}"))


def upgrade() -> None:
    with op.batch_alter_table("proficiency_rounds") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(20), nullable=False, server_default="proficiency")
        )
    t = "proficiency_precision_results"
    op.create_table(
        t,
        sa.Column("item_id", sa.String(36), nullable=False),
        sa.Column("round_id", sa.String(36), nullable=False),
        sa.Column("laboratories", sa.Integer(), nullable=False),
        sa.Column("general_mean", sa.Float(), nullable=False),
        sa.Column("repeatability_sd", sa.Float(), nullable=False),
        sa.Column("between_laboratory_sd", sa.Float(), nullable=False),
        sa.Column("reproducibility_sd", sa.Float(), nullable=False),
        sa.Column("repeatability_limit", sa.Float(), nullable=False),
        sa.Column("reproducibility_limit", sa.Float(), nullable=False),
        sa.Column("outliers_json", sa.Text(), nullable=False),
        sa.Column("stragglers_json", sa.Text(), nullable=False),
        sa.Column("screening_json", sa.Text(), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("item_id", name=op.f(f"pk_{t}")),
        _fk(t, "item_id", "proficiency_round_items.id"),
        _fk(t, "round_id", "proficiency_rounds.id"),
    )
    op.create_index(op.f(f"ix_{t}_round_id"), t, ["round_id"])


def downgrade() -> None:
    op.drop_table("proficiency_precision_results")
    with op.batch_alter_table("proficiency_rounds") as batch:
        batch.drop_column("kind")
