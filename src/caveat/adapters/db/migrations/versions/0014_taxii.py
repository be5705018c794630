"""taxii: TAXII 2.1 collections, the STIX object versions they hold, add-request statuses

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caveat.adapters.db.types import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "taxii_collections",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("default_label_json", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(36), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taxii_collections")),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_taxii_collections_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["people.id"], name=op.f("fk_taxii_collections_created_by_people")
        ),
    )
    op.create_index(op.f("ix_taxii_collections_project_id"), "taxii_collections", ["project_id"])
    op.create_table(
        "taxii_objects",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("collection_id", sa.String(36), nullable=False),
        sa.Column("object_id", sa.String(300), nullable=False),
        sa.Column("type", sa.String(250), nullable=False),
        sa.Column("spec_version", sa.String(8), nullable=False),
        sa.Column("version", UTCDateTime(), nullable=False),
        sa.Column("date_added", UTCDateTime(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("added_by", sa.String(36), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taxii_objects")),
        sa.ForeignKeyConstraint(
            ["id"], ["resources.id"], name=op.f("fk_taxii_objects_id_resources")
        ),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["taxii_collections.id"],
            name=op.f("fk_taxii_objects_collection_id_taxii_collections"),
        ),
        sa.ForeignKeyConstraint(
            ["added_by"], ["people.id"], name=op.f("fk_taxii_objects_added_by_people")
        ),
        sa.UniqueConstraint(
            "collection_id",
            "object_id",
            "version",
            name=op.f("uq_taxii_objects_object_version"),
        ),
        sa.UniqueConstraint(
            "collection_id", "date_added", name=op.f("uq_taxii_objects_date_added")
        ),
    )
    op.create_index(
        op.f("ix_taxii_objects_collection_type"),
        "taxii_objects",
        ["collection_id", "type", "date_added"],
    )
    op.create_table(
        "taxii_statuses",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("collection_id", sa.String(36), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("request_timestamp", UTCDateTime(), nullable=False),
        sa.Column("total_count", sa.Integer(), nullable=False),
        sa.Column("success_count", sa.Integer(), nullable=False),
        sa.Column("failure_count", sa.Integer(), nullable=False),
        sa.Column("pending_count", sa.Integer(), nullable=False),
        sa.Column("details_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taxii_statuses")),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["taxii_collections.id"],
            name=op.f("fk_taxii_statuses_collection_id_taxii_collections"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_taxii_statuses_person_id_people")
        ),
    )
    op.create_index(op.f("ix_taxii_statuses_person_id"), "taxii_statuses", ["person_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_taxii_statuses_person_id"), table_name="taxii_statuses")
    op.drop_table("taxii_statuses")
    op.drop_index(op.f("ix_taxii_objects_collection_type"), table_name="taxii_objects")
    op.drop_table("taxii_objects")
    op.drop_index(op.f("ix_taxii_collections_project_id"), table_name="taxii_collections")
    op.drop_table("taxii_collections")
