"""taxii subscriptions: partners' TAXII collections polled into local ones, and provenance

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caveat.adapters.db.types import UTCDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

T = "taxii_subscriptions"


def _fk(column: str, target: str) -> sa.ForeignKeyConstraint:
    other = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{T}_{column}_{other}"))


def upgrade() -> None:
    op.create_table(
        T,
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("collection_id", sa.String(36), nullable=False),
        sa.Column("organisation_id", sa.String(36), nullable=False),
        sa.Column("owner_id", sa.String(36), nullable=False),
        sa.Column("label_json", sa.Text(), nullable=False),
        sa.Column("auth", sa.String(16), nullable=False),
        sa.Column("credentials_sealed", sa.Text(), nullable=True),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("removed_at", UTCDateTime(), nullable=True),
        sa.Column("cursor", UTCDateTime(), nullable=True),
        sa.Column("next_poll_at", UTCDateTime(), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("last_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("last_success_at", UTCDateTime(), nullable=True),
        sa.Column("caught_up_at", UTCDateTime(), nullable=True),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.String(500), server_default="", nullable=False),
        sa.Column("ingested", sa.Integer(), server_default="0", nullable=False),
        sa.Column("refused", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_refusals", sa.Text(), server_default="[]", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{T}")),
        _fk("collection_id", "taxii_collections.id"),
        _fk("organisation_id", "organisations.id"),
        _fk("owner_id", "people.id"),
    )
    op.create_index(op.f(f"ix_{T}_collection_id"), T, ["collection_id"])
    op.create_index(op.f(f"ix_{T}_next_poll_at"), T, ["next_poll_at"])
    with op.batch_alter_table("taxii_objects") as batch:
        batch.add_column(sa.Column("subscription_id", sa.String(36), nullable=True))
        batch.create_foreign_key(
            op.f("fk_taxii_objects_subscription_id_taxii_subscriptions"),
            T,
            ["subscription_id"],
            ["id"],
        )
        batch.create_index(op.f("ix_taxii_objects_subscription_id"), ["subscription_id"])


def downgrade() -> None:
    with op.batch_alter_table("taxii_objects") as batch:
        batch.drop_index(op.f("ix_taxii_objects_subscription_id"))
        batch.drop_constraint(
            op.f("fk_taxii_objects_subscription_id_taxii_subscriptions"), type_="foreignkey"
        )
        batch.drop_column("subscription_id")
    op.drop_index(op.f(f"ix_{T}_next_poll_at"), table_name=T)
    op.drop_index(op.f(f"ix_{T}_collection_id"), table_name=T)
    op.drop_table(T)
