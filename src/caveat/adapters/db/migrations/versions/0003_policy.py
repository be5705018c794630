"""projects, memberships, grants and the labelled-resource catalogue

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caveat.adapters.db.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("programme", sa.String(length=200), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("name", name=op.f("uq_projects_name")),
    )
    op.create_table(
        "project_members",
        sa.Column("id", _BIGID, autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_project_members_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_project_members_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_members")),
        sa.UniqueConstraint("project_id", "person_id", name="uq_project_members"),
    )
    op.create_index(
        op.f("ix_project_members_person_id"), "project_members", ["person_id"], unique=False
    )
    op.create_table(
        "resources",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("label_json", sa.Text(), nullable=True),
        sa.Column("export_json", sa.Text(), nullable=False),
        sa.Column("scheme", sa.String(length=16), nullable=True),
        sa.Column("classification", sa.Integer(), nullable=True),
        sa.Column("common_level", sa.Integer(), nullable=True),
        sa.Column("rel_mode", sa.String(length=12), nullable=True),
        sa.Column("originator_nation", sa.String(length=3), nullable=True),
        sa.Column("originator_org_id", sa.String(length=36), nullable=True),
        sa.Column("originator_controlled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["originator_org_id"],
            ["organisations.id"],
            name=op.f("fk_resources_originator_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_resources_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resources")),
    )
    op.create_index("ix_resources_project_id_id", "resources", ["project_id", "id"], unique=False)
    op.create_table(
        "resource_releasability",
        sa.Column("resource_id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_resource_releasability_resource_id_resources"),
        ),
        sa.PrimaryKeyConstraint("resource_id", "code", name=op.f("pk_resource_releasability")),
    )
    op.create_table(
        "resource_caveats",
        sa.Column("resource_id", sa.String(length=36), nullable=False),
        sa.Column("caveat", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_resource_caveats_resource_id_resources"),
        ),
        sa.PrimaryKeyConstraint("resource_id", "caveat", name=op.f("pk_resource_caveats")),
    )
    op.create_table(
        "resource_controls",
        sa.Column("resource_id", sa.String(length=36), nullable=False),
        sa.Column("entry", sa.String(length=80), nullable=False),
        sa.Column("jurisdiction", sa.String(length=3), nullable=False),
        sa.Column("exempt", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_resource_controls_resource_id_resources"),
        ),
        sa.PrimaryKeyConstraint("resource_id", "entry", name=op.f("pk_resource_controls")),
    )
    op.create_table(
        "resource_grants",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("resource_id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("granted_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_resource_grants_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resources.id"], name=op.f("fk_resource_grants_resource_id_resources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_grants")),
        sa.UniqueConstraint("resource_id", "person_id", "kind", name="uq_resource_grants"),
    )
    op.create_index(
        op.f("ix_resource_grants_person_id"), "resource_grants", ["person_id"], unique=False
    )
    op.create_table(
        "caveat_holdings",
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("caveat", sa.String(length=120), nullable=False),
        sa.Column("granted_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_caveat_holdings_person_id_people")
        ),
        sa.PrimaryKeyConstraint("person_id", "caveat", name=op.f("pk_caveat_holdings")),
    )


def downgrade() -> None:
    op.drop_table("caveat_holdings")
    op.drop_index(op.f("ix_resource_grants_person_id"), table_name="resource_grants")
    op.drop_table("resource_grants")
    op.drop_table("resource_controls")
    op.drop_table("resource_caveats")
    op.drop_table("resource_releasability")
    op.drop_index("ix_resources_project_id_id", table_name="resources")
    op.drop_table("resources")
    op.drop_index(op.f("ix_project_members_person_id"), table_name="project_members")
    op.drop_table("project_members")
    op.drop_table("projects")
