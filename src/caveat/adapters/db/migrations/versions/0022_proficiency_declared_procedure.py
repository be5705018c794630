"""proficiency: the procedure version each laboratory declares it follows in a round

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caveat.adapters.db.types import UTCDateTime

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

T = "proficiency_participants"


def upgrade() -> None:
    with op.batch_alter_table(T) as batch:
        batch.add_column(sa.Column("declared_version_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("declared_by", sa.String(36), nullable=True))
        batch.add_column(sa.Column("declared_at", UTCDateTime(), nullable=True))
        batch.create_foreign_key(
            op.f(f"fk_{T}_declared_version_id_proficiency_procedure_versions"),
            "proficiency_procedure_versions",
            ["declared_version_id"],
            ["id"],
        )
        batch.create_foreign_key(
            op.f(f"fk_{T}_declared_by_people"), "people", ["declared_by"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table(T) as batch:
        batch.drop_constraint(
            op.f(f"fk_{T}_declared_version_id_proficiency_procedure_versions"),
            type_="foreignkey",
        )
        batch.drop_constraint(op.f(f"fk_{T}_declared_by_people"), type_="foreignkey")
        batch.drop_column("declared_at")
        batch.drop_column("declared_by")
        batch.drop_column("declared_version_id")
