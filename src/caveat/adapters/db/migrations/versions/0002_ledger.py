"""tamper-evident ledger tables

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caveat.adapters.db.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ledger_nodes",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_ledger_nodes")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_checkpoints")),
        sa.UniqueConstraint("size", name=op.f("uq_ledger_checkpoints_size")),
    )
    op.create_table(
        "ledger_cosignatures",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("checkpoint_id", _BIG_ID, nullable=False),
        sa.Column("witness", sa.String(length=200), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("cosigned_at", UTCDateTime(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["ledger_checkpoints.id"],
            name=op.f("fk_ledger_cosignatures_checkpoint_id_ledger_checkpoints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_cosignatures")),
        sa.UniqueConstraint("checkpoint_id", "witness", name="uq_ledger_cosig"),
    )
    op.create_index(
        op.f("ix_ledger_cosignatures_checkpoint_id"),
        "ledger_cosignatures",
        ["checkpoint_id"],
        unique=False,
    )
    op.create_table(
        "ledger_witnesses",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("vkey", sa.String(length=300), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("last_size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_ledger_witnesses")),
    )
    op.create_table(
        "witnessed_logs",
        sa.Column("origin", sa.String(length=200), nullable=False),
        sa.Column("vkey", sa.String(length=300), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("origin", name=op.f("pk_witnessed_logs")),
    )
    op.create_table(
        "ledger_cursors",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_ledger_cursors")),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=200), nullable=True),
        sa.Column("subject_name", sa.String(length=200), nullable=True),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("first_index", sa.BigInteger(), nullable=True),
        sa.Column("last_index", sa.BigInteger(), nullable=True),
        sa.Column("raised_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=36), nullable=True),
        sa.Column("acknowledgement", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    op.create_index("ix_alerts_rule_subject", "alerts", ["rule", "subject_id"], unique=False)
    op.create_index("ix_alerts_status_raised", "alerts", ["status", "raised_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_alerts_status_raised", table_name="alerts")
    op.drop_index("ix_alerts_rule_subject", table_name="alerts")
    op.drop_table("alerts")
    op.drop_table("ledger_cursors")
    op.drop_table("witnessed_logs")
    op.drop_table("ledger_witnesses")
    op.drop_index(op.f("ix_ledger_cosignatures_checkpoint_id"), table_name="ledger_cosignatures")
    op.drop_table("ledger_cosignatures")
    op.drop_table("ledger_checkpoints")
    op.drop_table("ledger_nodes")
