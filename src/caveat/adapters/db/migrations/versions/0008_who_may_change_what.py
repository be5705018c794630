"""who may change what: relabel requests, two-person compartment read-ons, and release
requests that carry the exact label a loosening relabel asks for

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caveat.adapters.db.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _decision_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("decided_by", sa.String(length=36), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "relabel_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("resource_id", sa.String(length=36), nullable=False),
        sa.Column("requested_by", sa.String(length=36), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("label_json", sa.Text(), nullable=False),
        sa.Column("export_json", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        *_decision_columns(),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_relabel_requests_resource_id_resources"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["people.id"], name=op.f("fk_relabel_requests_requested_by_people")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["people.id"], name=op.f("fk_relabel_requests_decided_by_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relabel_requests")),
    )
    op.create_index(
        "ix_relabel_requests_resource_status", "relabel_requests", ["resource_id", "status"]
    )
    op.create_table(
        "readon_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("caveat", sa.String(length=120), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("requested_by", sa.String(length=36), nullable=True),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        *_decision_columns(),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_readon_requests_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["people.id"], name=op.f("fk_readon_requests_requested_by_people")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["people.id"], name=op.f("fk_readon_requests_decided_by_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readon_requests")),
    )
    op.create_index("ix_readon_requests_person_status", "readon_requests", ["person_id", "status"])
    with op.batch_alter_table("release_requests") as batch:
        batch.add_column(sa.Column("label_json", sa.Text(), nullable=True))
        batch.add_column(sa.Column("export_json", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("release_requests") as batch:
        batch.drop_column("export_json")
        batch.drop_column("label_json")
    op.drop_index("ix_readon_requests_person_status", table_name="readon_requests")
    op.drop_table("readon_requests")
    op.drop_index("ix_relabel_requests_resource_status", table_name="relabel_requests")
    op.drop_table("relabel_requests")
