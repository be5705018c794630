"""proficiency: test procedures and versions, rounds, items, laboratories, submissions, scores

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-13
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caveat.adapters.db.types import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    other = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{table}_{column}_{other}"))


def upgrade() -> None:
    t = "proficiency_procedures"
    op.create_table(
        t,
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_by", sa.String(36), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        _fk(t, "project_id", "projects.id"),
        _fk(t, "created_by", "people.id"),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_proficiency_procedures")),
    )
    op.create_index(op.f(f"ix_{t}_project_id"), t, ["project_id"])

    t = "proficiency_procedure_versions"
    op.create_table(
        t,
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("procedure_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("measurand", sa.String(300), nullable=False),
        sa.Column("unit", sa.String(60), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("equipment", sa.Text(), nullable=False),
        sa.Column("acceptance_criteria", sa.Text(), nullable=False),
        sa.Column("uncertainty_reporting", sa.Text(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("created_by", sa.String(36), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("approved_by", sa.String(36), nullable=True),
        sa.Column("approved_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        _fk(t, "id", "resources.id"),
        _fk(t, "procedure_id", "proficiency_procedures.id"),
        _fk(t, "created_by", "people.id"),
        _fk(t, "approved_by", "people.id"),
        sa.UniqueConstraint(
            "procedure_id", "version", name=op.f("uq_proficiency_procedure_versions")
        ),
    )

    t = "proficiency_rounds"
    op.create_table(
        t,
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("procedure_version_id", sa.String(36), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("coordinator_id", sa.String(36), nullable=False),
        sa.Column("deadline", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("robust_method", sa.String(20), nullable=False),
        sa.Column("assigned_method", sa.String(20), nullable=False),
        sa.Column("sigma_method", sa.String(24), nullable=False),
        sa.Column("sigma_value", sa.Float(), nullable=True),
        sa.Column("warning_limit", sa.Float(), nullable=False),
        sa.Column("action_limit", sa.Float(), nullable=False),
        sa.Column("en_limit", sa.Float(), nullable=False),
        sa.Column("en_boundary", sa.String(24), nullable=False),
        sa.Column("reveal_identities", sa.Boolean(), nullable=False),
        sa.Column("label_json", sa.Text(), nullable=False),
        sa.Column("opened_by", sa.String(36), nullable=True),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        _fk(t, "project_id", "projects.id"),
        _fk(t, "procedure_version_id", "proficiency_procedure_versions.id"),
        _fk(t, "coordinator_id", "people.id"),
        _fk(t, "opened_by", "people.id"),
    )
    op.create_index(op.f(f"ix_{t}_project_id"), t, ["project_id"])

    t = "proficiency_round_items"
    op.create_table(
        t,
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("round_id", sa.String(36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("assigned_value", sa.Float(), nullable=True),
        sa.Column("assigned_uncertainty", sa.Float(), nullable=True),
        sa.Column("assigned_coverage", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        _fk(t, "round_id", "proficiency_rounds.id"),
        sa.UniqueConstraint("round_id", "name", name=op.f("uq_proficiency_round_items")),
    )

    t = "proficiency_participants"
    op.create_table(
        t,
        sa.Column("round_id", sa.String(36), nullable=False),
        sa.Column("organisation_id", sa.String(36), nullable=False),
        sa.Column("code", sa.String(8), nullable=False),
        sa.PrimaryKeyConstraint("round_id", "organisation_id", name=op.f(f"pk_{t}")),
        _fk(t, "round_id", "proficiency_rounds.id"),
        _fk(t, "organisation_id", "organisations.id"),
        sa.UniqueConstraint("round_id", "code", name=op.f("uq_proficiency_participants")),
    )

    t = "proficiency_submissions"
    op.create_table(
        t,
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("round_id", sa.String(36), nullable=False),
        sa.Column("item_id", sa.String(36), nullable=False),
        sa.Column("organisation_id", sa.String(36), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        _fk(t, "id", "resources.id"),
        _fk(t, "round_id", "proficiency_rounds.id"),
        _fk(t, "item_id", "proficiency_round_items.id"),
        _fk(t, "organisation_id", "organisations.id"),
        _fk(t, "submitted_by", "people.id"),
        sa.UniqueConstraint(
            "round_id", "item_id", "organisation_id", name=op.f("uq_proficiency_submissions")
        ),
    )
    op.create_index(op.f(f"ix_{t}_round_id"), t, ["round_id"])

    t = "proficiency_item_results"
    op.create_table(
        t,
        sa.Column("item_id", sa.String(36), nullable=False),
        sa.Column("round_id", sa.String(36), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("assigned_value", sa.Float(), nullable=False),
        sa.Column("assigned_uncertainty", sa.Float(), nullable=False),
        sa.Column("sigma_pt", sa.Float(), nullable=False),
        sa.Column("evaluation_json", sa.Text(), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("item_id", name=op.f(f"pk_{t}")),
        _fk(t, "item_id", "proficiency_round_items.id"),
        _fk(t, "round_id", "proficiency_rounds.id"),
    )
    op.create_index(op.f(f"ix_{t}_round_id"), t, ["round_id"])

    t = "proficiency_scores"
    op.create_table(
        t,
        sa.Column("submission_id", sa.String(36), nullable=False),
        sa.Column("round_id", sa.String(36), nullable=False),
        sa.Column("z", sa.Float(), nullable=False),
        sa.Column("z_verdict", sa.String(16), nullable=False),
        sa.Column("z_prime", sa.Float(), nullable=False),
        sa.Column("z_prime_verdict", sa.String(16), nullable=False),
        sa.Column("zeta", sa.Float(), nullable=True),
        sa.Column("zeta_verdict", sa.String(16), nullable=True),
        sa.Column("en", sa.Float(), nullable=True),
        sa.Column("en_verdict", sa.String(16), nullable=True),
        sa.Column("mandel_h", sa.Float(), nullable=True),
        sa.Column("mandel_k", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("submission_id", name=op.f(f"pk_{t}")),
        _fk(t, "submission_id", "proficiency_submissions.id"),
        _fk(t, "round_id", "proficiency_rounds.id"),
    )
    op.create_index(op.f(f"ix_{t}_round_id"), t, ["round_id"])


def downgrade() -> None:
    for table in ("proficiency_scores", "proficiency_item_results", "proficiency_submissions"):
        op.drop_index(op.f(f"ix_{table}_round_id"), table_name=table)
        op.drop_table(table)
    op.drop_table("proficiency_participants")
    op.drop_table("proficiency_round_items")
    op.drop_index(op.f("ix_proficiency_rounds_project_id"), table_name="proficiency_rounds")
    op.drop_table("proficiency_rounds")
    op.drop_table("proficiency_procedure_versions")
    op.drop_index(op.f("ix_proficiency_procedures_project_id"), table_name="proficiency_procedures")
    op.drop_table("proficiency_procedures")
