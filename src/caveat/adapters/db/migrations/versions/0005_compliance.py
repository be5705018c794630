"""programmes, agreements, export authorizations, screening, embargoes, releases

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caveat.adapters.db.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "embargoes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("imposed_by", sa.String(length=3), nullable=False),
        sa.Column("nation", sa.String(length=3), nullable=False),
        sa.Column("regime", sa.String(length=40), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_embargoes")),
    )
    op.create_index("ix_embargoes_nation", "embargoes", ["nation", "valid_from"], unique=False)
    op.create_table(
        "export_authorizations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("jurisdiction", sa.String(length=3), nullable=False),
        sa.Column("number", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("max_common_level", sa.Integer(), nullable=True),
        sa.Column("no_retransfer", sa.Boolean(), nullable=False),
        sa.Column("provisos", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_authorizations")),
        sa.UniqueConstraint("jurisdiction", "number", name="uq_export_authorizations_number"),
    )
    op.create_table(
        "programmes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programmes")),
        sa.UniqueConstraint("name", name=op.f("uq_programmes_name")),
    )
    op.create_table(
        "screening_hits",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("subject_type", sa.String(length=12), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("screened_name", sa.String(length=200), nullable=False),
        sa.Column("list_name", sa.String(length=120), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("entry_id", sa.String(length=80), nullable=False),
        sa.Column("listed_name", sa.Text(), nullable=False),
        sa.Column("matched_name", sa.String(length=500), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_by", sa.String(length=36), nullable=True),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_hits")),
        sa.UniqueConstraint(
            "subject_id", "source", "entry_id", "matched_name", name="uq_screening_hits_match"
        ),
    )
    op.create_index(
        "ix_screening_hits_subject", "screening_hits", ["subject_id", "status"], unique=False
    )
    op.create_table(
        "screening_lists",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("format", sa.String(length=12), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_lists")),
        sa.UniqueConstraint("name", name=op.f("uq_screening_lists_name")),
    )
    op.create_table(
        "authorization_entries",
        sa.Column("authorization_id", sa.String(length=36), nullable=False),
        sa.Column("entry", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["authorization_id"],
            ["export_authorizations.id"],
            name=op.f("fk_authorization_entries_authorization_id_export_authorizations"),
        ),
        sa.PrimaryKeyConstraint("authorization_id", "entry", name=op.f("pk_authorization_entries")),
    )
    op.create_table(
        "authorization_recipients",
        sa.Column("authorization_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("ref", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["authorization_id"],
            ["export_authorizations.id"],
            name=op.f("fk_authorization_recipients_authorization_id_export_authorizations"),
        ),
        sa.PrimaryKeyConstraint(
            "authorization_id", "kind", "ref", name=op.f("pk_authorization_recipients")
        ),
    )
    op.create_index(
        "ix_authorization_recipients_ref",
        "authorization_recipients",
        ["ref", "authorization_id"],
        unique=False,
    )
    op.create_table(
        "funding_entries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("programme_id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("amount_minor", _BIGID, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_funding_entries_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_funding_entries_programme_id_programmes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_entries")),
    )
    op.create_index(
        op.f("ix_funding_entries_programme_id"), "funding_entries", ["programme_id"], unique=False
    )
    op.create_table(
        "programme_participants",
        sa.Column("programme_id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("work_share_bp", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_programme_participants_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_programme_participants_programme_id_programmes"),
        ),
        sa.PrimaryKeyConstraint(
            "programme_id", "organisation_id", name=op.f("pk_programme_participants")
        ),
    )
    op.create_table(
        "programme_projects",
        sa.Column("programme_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_programme_projects_programme_id_programmes"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_programme_projects_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("programme_id", "project_id", name=op.f("pk_programme_projects")),
        sa.UniqueConstraint("project_id", name=op.f("uq_programme_projects_project_id")),
    )
    op.create_table(
        "screening_entries",
        sa.Column("id", _BIGID, autoincrement=True, nullable=False),
        sa.Column("list_id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("entry_id", sa.String(length=80), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("aliases_json", sa.Text(), nullable=False),
        sa.Column("programs_json", sa.Text(), nullable=False),
        sa.Column("nations_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["screening_lists.id"],
            name=op.f("fk_screening_entries_list_id_screening_lists"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_entries")),
    )
    op.create_index(
        op.f("ix_screening_entries_list_id"), "screening_entries", ["list_id"], unique=False
    )
    op.create_table(
        "agreements",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("max_common_level", sa.Integer(), nullable=False),
        sa.Column("releasability_json", sa.Text(), nullable=False),
        sa.Column("technology_areas_json", sa.Text(), nullable=False),
        sa.Column("scoped", sa.Boolean(), nullable=False),
        sa.Column("ip_terms_json", sa.Text(), nullable=False),
        sa.Column("disputes_json", sa.Text(), nullable=False),
        sa.Column("text_resource_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["text_resource_id"],
            ["resources.id"],
            name=op.f("fk_agreements_text_resource_id_resources"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreements")),
        sa.UniqueConstraint("name", name=op.f("uq_agreements_name")),
    )
    op.create_table(
        "capacity_activities",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("programme_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=True),
        sa.Column("host_org_id", sa.String(length=36), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["host_org_id"],
            ["organisations.id"],
            name=op.f("fk_capacity_activities_host_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_capacity_activities_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_capacity_activities_programme_id_programmes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capacity_activities")),
    )
    op.create_index(
        op.f("ix_capacity_activities_programme_id"),
        "capacity_activities",
        ["programme_id"],
        unique=False,
    )
    op.create_table(
        "release_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("resource_id", sa.String(length=36), nullable=False),
        sa.Column("requested_by", sa.String(length=36), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("nations_json", sa.Text(), nullable=False),
        sa.Column("organisations_json", sa.Text(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("controls_json", sa.Text(), nullable=True),
        sa.Column("dual_use", sa.Boolean(), nullable=False),
        sa.Column("dual_use_review", sa.Text(), nullable=False),
        sa.Column("not_controlled_reason", sa.Text(), nullable=False),
        sa.Column("authorization_id", sa.String(length=36), nullable=True),
        sa.Column("classified_by", sa.String(length=36), nullable=True),
        sa.Column("classified_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=36), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["authorization_id"],
            ["export_authorizations.id"],
            name=op.f("fk_release_requests_authorization_id_export_authorizations"),
        ),
        sa.ForeignKeyConstraint(
            ["classified_by"], ["people.id"], name=op.f("fk_release_requests_classified_by_people")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["people.id"], name=op.f("fk_release_requests_decided_by_people")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["people.id"], name=op.f("fk_release_requests_requested_by_people")
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_release_requests_resource_id_resources"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_requests")),
    )
    op.create_index(
        op.f("ix_release_requests_resource_id"), "release_requests", ["resource_id"], unique=False
    )
    op.create_table(
        "visit_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("host_org_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("requested_by", sa.String(length=36), nullable=True),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=36), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["people.id"], name=op.f("fk_visit_requests_decided_by_people")
        ),
        sa.ForeignKeyConstraint(
            ["host_org_id"],
            ["organisations.id"],
            name=op.f("fk_visit_requests_host_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_visit_requests_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_visit_requests_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["people.id"], name=op.f("fk_visit_requests_requested_by_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_requests")),
    )
    op.create_index(
        op.f("ix_visit_requests_person_id"), "visit_requests", ["person_id"], unique=False
    )
    op.create_table(
        "agreement_controls",
        sa.Column("agreement_id", sa.String(length=36), nullable=False),
        sa.Column("entry", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_controls_agreement_id_agreements"),
        ),
        sa.PrimaryKeyConstraint("agreement_id", "entry", name=op.f("pk_agreement_controls")),
    )
    op.create_table(
        "agreement_coverage",
        sa.Column("agreement_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("ref_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_coverage_agreement_id_agreements"),
        ),
        sa.PrimaryKeyConstraint(
            "agreement_id", "kind", "ref_id", name=op.f("pk_agreement_coverage")
        ),
    )
    op.create_table(
        "agreement_parties",
        sa.Column("agreement_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("party", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_parties_agreement_id_agreements"),
        ),
        sa.PrimaryKeyConstraint("agreement_id", "kind", "party", name=op.f("pk_agreement_parties")),
    )
    op.create_index(
        "ix_agreement_parties_party", "agreement_parties", ["party", "agreement_id"], unique=False
    )
    op.create_table(
        "agreement_versions",
        sa.Column("agreement_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("terms_json", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_versions_agreement_id_agreements"),
        ),
        sa.PrimaryKeyConstraint("agreement_id", "version", name=op.f("pk_agreement_versions")),
    )
    op.create_table(
        "export_records",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("release_request_id", sa.String(length=36), nullable=False),
        sa.Column("resource_id", sa.String(length=36), nullable=False),
        sa.Column("label_sha256", sa.String(length=64), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.Column("controls_json", sa.Text(), nullable=False),
        sa.Column("recipients_json", sa.Text(), nullable=False),
        sa.Column("authorization_id", sa.String(length=36), nullable=True),
        sa.Column("authorization_number", sa.String(length=80), nullable=True),
        sa.Column("requested_by", sa.String(length=36), nullable=False),
        sa.Column("approved_by", sa.String(length=36), nullable=False),
        sa.Column("released_at", UTCDateTime(), nullable=False),
        sa.Column("retain_until", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by"], ["people.id"], name=op.f("fk_export_records_approved_by_people")
        ),
        sa.ForeignKeyConstraint(
            ["authorization_id"],
            ["export_authorizations.id"],
            name=op.f("fk_export_records_authorization_id_export_authorizations"),
        ),
        sa.ForeignKeyConstraint(
            ["release_request_id"],
            ["release_requests.id"],
            name=op.f("fk_export_records_release_request_id_release_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["people.id"], name=op.f("fk_export_records_requested_by_people")
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resources.id"], name=op.f("fk_export_records_resource_id_resources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_records")),
        sa.UniqueConstraint(
            "release_request_id", name=op.f("uq_export_records_release_request_id")
        ),
    )
    op.create_index(
        "ix_export_records_authorization",
        "export_records",
        ["authorization_id", "released_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("export_records")
    op.drop_table("agreement_versions")
    op.drop_table("agreement_parties")
    op.drop_table("agreement_coverage")
    op.drop_table("agreement_controls")
    op.drop_table("visit_requests")
    op.drop_table("release_requests")
    op.drop_table("capacity_activities")
    op.drop_table("agreements")
    op.drop_table("screening_entries")
    op.drop_table("programme_projects")
    op.drop_table("programme_participants")
    op.drop_table("funding_entries")
    op.drop_table("authorization_recipients")
    op.drop_table("authorization_entries")
    op.drop_table("screening_lists")
    op.drop_table("screening_hits")
    op.drop_table("programmes")
    op.drop_table("export_authorizations")
    op.drop_table("embargoes")
