"""proficiency: homogeneity and stability checks of a round's items (ISO 13528 Annex B)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caveat.adapters.db.types import UTCDateTime

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    other = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{table}_{column}_{other}"))


def upgrade() -> None:
    t = "proficiency_item_checks"
    op.create_table(
        t,
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("round_id", sa.String(36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("measurements_json", sa.Text(), nullable=False),
        sa.Column("sigma_pt", sa.Float(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("outcome_json", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(36), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        _fk(t, "round_id", "proficiency_rounds.id"),
        _fk(t, "item_id", "proficiency_round_items.id"),
        _fk(t, "recorded_by", "people.id"),
        sa.UniqueConstraint("round_id", "number", name=op.f("uq_proficiency_item_checks")),
    )
    op.create_index(op.f(f"ix_{t}_round_id"), t, ["round_id"])


def downgrade() -> None:
    op.drop_table("proficiency_item_checks")
