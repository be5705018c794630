"""encrypted artifact repository: artifacts, versions, label versions, upload sessions

Also creates full-text search per database: an FTS5 table on SQLite (kept in step by
the artifact service) and a stored, GIN-indexed tsvector column on PostgreSQL.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caveat.adapters.db.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The document PostgreSQL indexes; the artifact service's search query uses the same text.
PG_SEARCH_DOCUMENT = "to_tsvector('simple', title || ' ' || summary || ' ' || keywords)"


def upgrade() -> None:
    op.create_table(
        "artifacts",
        # Assigned by the database: IDENTITY on PostgreSQL; on SQLite an INTEGER
        # PRIMARY KEY is the rowid (also the FTS5 rowid of the artifact's search entry).
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(),
            nullable=False,
        ),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("keywords", sa.Text(), nullable=False),
        sa.Column("originating_org_id", sa.String(length=36), nullable=False),
        sa.Column("originating_node_id", sa.String(length=36), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("label_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["people.id"], name=op.f("fk_artifacts_created_by_people")
        ),
        sa.ForeignKeyConstraint(["id"], ["resources.id"], name=op.f("fk_artifacts_id_resources")),
        sa.ForeignKeyConstraint(
            ["originating_org_id"],
            ["organisations.id"],
            name=op.f("fk_artifacts_originating_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_artifacts_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_artifacts")),
        sa.UniqueConstraint("id", name=op.f("uq_artifacts_id")),
    )
    op.create_index("ix_artifacts_created_at", "artifacts", ["created_at"], unique=False)
    op.create_index("ix_artifacts_project_id_seq", "artifacts", ["project_id", "seq"], unique=False)
    op.create_table(
        "upload_sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("artifact_id", sa.String(length=36), nullable=False),
        sa.Column("version_id", sa.String(length=36), nullable=False),
        sa.Column("new_artifact", sa.Text(), nullable=True),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("label_json", sa.Text(), nullable=False),
        sa.Column("export_json", sa.Text(), nullable=False),
        sa.Column("banner", sa.String(length=500), nullable=False),
        sa.Column("media_type", sa.String(length=130), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("expected_size", sa.BigInteger(), nullable=True),
        sa.Column("expected_sha256", sa.LargeBinary(length=32), nullable=True),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("kek_key_id", sa.BigInteger(), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.Column("part_count", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["people.id"], name=op.f("fk_upload_sessions_created_by_people")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_upload_sessions_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upload_sessions")),
        sa.UniqueConstraint("version_id", name=op.f("uq_upload_sessions_version_id")),
    )
    op.create_index(
        op.f("ix_upload_sessions_created_by"), "upload_sessions", ["created_by"], unique=False
    )
    op.create_index(
        op.f("ix_upload_sessions_expires_at"), "upload_sessions", ["expires_at"], unique=False
    )
    op.create_table(
        "artifact_ip_owners",
        sa.Column("artifact_id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["artifact_id"],
            ["artifacts.id"],
            name=op.f("fk_artifact_ip_owners_artifact_id_artifacts"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_artifact_ip_owners_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint(
            "artifact_id", "organisation_id", "kind", name=op.f("pk_artifact_ip_owners")
        ),
    )
    op.create_table(
        "artifact_labels",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("artifact_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("label_json", sa.Text(), nullable=False),
        sa.Column("export_json", sa.Text(), nullable=False),
        sa.Column("banner", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["artifact_id"], ["artifacts.id"], name=op.f("fk_artifact_labels_artifact_id_artifacts")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["people.id"], name=op.f("fk_artifact_labels_created_by_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artifact_labels")),
        sa.UniqueConstraint("artifact_id", "seq", name="uq_artifact_labels_seq"),
    )
    op.create_table(
        "artifact_versions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("artifact_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("part_count", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=130), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("kek_key_id", sa.BigInteger(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["artifact_id"],
            ["artifacts.id"],
            name=op.f("fk_artifact_versions_artifact_id_artifacts"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["people.id"], name=op.f("fk_artifact_versions_created_by_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artifact_versions")),
        sa.UniqueConstraint("artifact_id", "number", name="uq_artifact_versions_no"),
    )
    op.create_index(
        op.f("ix_artifact_versions_kek_key_id"), "artifact_versions", ["kek_key_id"], unique=False
    )
    op.create_table(
        "upload_parts",
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("idx", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("plain_size", sa.BigInteger(), nullable=False),
        sa.Column("cipher_size", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["upload_sessions.id"],
            name=op.f("fk_upload_parts_session_id_upload_sessions"),
        ),
        sa.PrimaryKeyConstraint("session_id", "idx", name=op.f("pk_upload_parts")),
    )
    op.create_table(
        "artifact_bindings",
        sa.Column("version_id", sa.String(length=36), nullable=False),
        sa.Column("label_id", sa.String(length=36), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.Column("signed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["label_id"],
            ["artifact_labels.id"],
            name=op.f("fk_artifact_bindings_label_id_artifact_labels"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["artifact_versions.id"],
            name=op.f("fk_artifact_bindings_version_id_artifact_versions"),
        ),
        sa.PrimaryKeyConstraint("version_id", "label_id", name=op.f("pk_artifact_bindings")),
    )
    op.create_table(
        "artifact_parts",
        sa.Column("version_id", sa.String(length=36), nullable=False),
        sa.Column("idx", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("plain_size", sa.BigInteger(), nullable=False),
        sa.Column("cipher_size", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["artifact_versions.id"],
            name=op.f("fk_artifact_parts_version_id_artifact_versions"),
        ),
        sa.PrimaryKeyConstraint("version_id", "idx", name=op.f("pk_artifact_parts")),
    )

    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE artifact_fts USING fts5("
            "artifact_id UNINDEXED, title, summary, keywords, "
            "tokenize = 'unicode61 remove_diacritics 2')"
        )
    else:
        # A stored tsvector: the GIN index finds candidates and rechecks stay cheap.
        op.execute(
            "ALTER TABLE artifacts ADD COLUMN search_vector tsvector "
            f"GENERATED ALWAYS AS ({PG_SEARCH_DOCUMENT}) STORED"
        )
        op.execute("CREATE INDEX ix_artifacts_search ON artifacts USING gin (search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS artifact_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_artifacts_search")
        op.execute("ALTER TABLE artifacts DROP COLUMN IF EXISTS search_vector")
    op.drop_table("artifact_parts")
    op.drop_table("artifact_bindings")
    op.drop_table("upload_parts")
    op.drop_table("artifact_versions")
    op.drop_table("artifact_labels")
    op.drop_table("artifact_ip_owners")
    op.drop_table("upload_sessions")
    op.drop_table("artifacts")
