"""project plans: work packages, tasks, milestones and deliverables, each labelled

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

from caveat.adapters.db.types import UTCDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    other = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{table}_{column}_{other}"))


def _common(t: str) -> list[SchemaItem]:
    """The columns and keys every plan table has (label, who wrote it, when)."""
    return [
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("label_json", sa.Text(), nullable=False),
        sa.Column("originator_org_id", sa.String(36), nullable=False),
        sa.Column("created_by", sa.String(36), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        _fk(t, "project_id", "projects.id"),
        _fk(t, "originator_org_id", "organisations.id"),
        _fk(t, "created_by", "people.id"),
    ]


def upgrade() -> None:
    t = "work_packages"
    op.create_table(
        t,
        *_common(t),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("lead_org_id", sa.String(36), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("effort_json", sa.Text(), nullable=False),
        sa.Column("exceeds_agreement", sa.Boolean(), nullable=False),
        _fk(t, "lead_org_id", "organisations.id"),
        sa.UniqueConstraint("project_id", "number", name=op.f("uq_work_packages_number")),
    )
    op.create_index(op.f(f"ix_{t}_project_id"), t, ["project_id"])

    t = "work_tasks"
    op.create_table(
        t,
        *_common(t),
        sa.Column("work_package_id", sa.String(36), nullable=False),
        sa.Column("assignee_id", sa.String(36), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        _fk(t, "work_package_id", "work_packages.id"),
        _fk(t, "assignee_id", "people.id"),
    )
    for column in ("project_id", "work_package_id", "assignee_id"):
        op.create_index(op.f(f"ix_{t}_{column}"), t, [column])

    t = "milestones"
    op.create_table(
        t,
        *_common(t),
        sa.Column("work_package_id", sa.String(36), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("achieved_on", sa.Date(), nullable=True),
        _fk(t, "work_package_id", "work_packages.id"),
    )
    for column in ("project_id", "work_package_id"):
        op.create_index(op.f(f"ix_{t}_{column}"), t, [column])

    t = "deliverables"
    op.create_table(
        t,
        *_common(t),
        sa.Column("work_package_id", sa.String(36), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("artifact_id", sa.String(36), nullable=True),
        sa.Column("delivered_on", sa.Date(), nullable=True),
        _fk(t, "work_package_id", "work_packages.id"),
        _fk(t, "artifact_id", "resources.id"),
    )
    for column in ("project_id", "work_package_id"):
        op.create_index(op.f(f"ix_{t}_{column}"), t, [column])


def downgrade() -> None:
    for t, columns in (
        ("deliverables", ("project_id", "work_package_id")),
        ("milestones", ("project_id", "work_package_id")),
        ("work_tasks", ("project_id", "work_package_id", "assignee_id")),
        ("work_packages", ("project_id",)),
    ):
        for column in columns:
            op.drop_index(op.f(f"ix_{t}_{column}"), table_name=t)
        op.drop_table(t)
