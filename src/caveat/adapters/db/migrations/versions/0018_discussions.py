"""discussions: labelled discussions of projects and artifacts, message versions, mentions

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caveat.adapters.db.types import UTCDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    other = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{table}_{column}_{other}"))


def upgrade() -> None:
    t = "discussions"
    op.create_table(
        t,
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("artifact_id", sa.String(36), nullable=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("title_label_json", sa.Text(), nullable=False),
        sa.Column("title_salt", sa.String(32), nullable=False),
        sa.Column("originator_org_id", sa.String(36), nullable=False),
        sa.Column("started_by", sa.String(36), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        _fk(t, "project_id", "projects.id"),
        _fk(t, "artifact_id", "resources.id"),
        _fk(t, "originator_org_id", "organisations.id"),
        _fk(t, "started_by", "people.id"),
    )
    op.create_index(op.f(f"ix_{t}_project_id"), t, ["project_id"])
    op.create_index(op.f(f"ix_{t}_artifact_id"), t, ["artifact_id"])

    t = "discussion_messages"
    op.create_table(
        t,
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("discussion_id", sa.String(36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.String(36), nullable=False),
        sa.Column("author_org_id", sa.String(36), nullable=False),
        sa.Column("posted_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        _fk(t, "discussion_id", "discussions.id"),
        _fk(t, "author_id", "people.id"),
        _fk(t, "author_org_id", "organisations.id"),
        sa.UniqueConstraint(
            "discussion_id", "position", name=op.f("uq_discussion_messages_position")
        ),
    )

    t = "discussion_message_versions"
    op.create_table(
        t,
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("message_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("label_json", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_salt", sa.String(32), nullable=False),
        sa.Column("text_sha256", sa.String(64), nullable=False),
        sa.Column("written_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        _fk(t, "message_id", "discussion_messages.id"),
        sa.UniqueConstraint("message_id", "version", name=op.f("uq_discussion_message_versions")),
    )

    t = "discussion_mentions"
    op.create_table(
        t,
        sa.Column("version_id", sa.String(36), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("version_id", "person_id", name=op.f(f"pk_{t}")),
        _fk(t, "version_id", "discussion_message_versions.id"),
        _fk(t, "person_id", "people.id"),
    )
    op.create_index(op.f(f"ix_{t}_person_id"), t, ["person_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_discussion_mentions_person_id"), table_name="discussion_mentions")
    op.drop_table("discussion_mentions")
    op.drop_table("discussion_message_versions")
    op.drop_table("discussion_messages")
    op.drop_index(op.f("ix_discussions_artifact_id"), table_name="discussions")
    op.drop_index(op.f("ix_discussions_project_id"), table_name="discussions")
    op.drop_table("discussions")
