"""node organisation and federation fixes: the organisation that operates this node,
who proposed a peer's pending keys (beside who recorded the peer), the origin of each
received item, and sequence numbers per peer in the outbox

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _add_reference(table: str, column: str, target: str, name: str) -> None:
    """A nullable column referring to ``target``'s id. SQLite gets a plain ADD COLUMN with
    the reference inline: batch mode would copy the table, and other tables' rows refer
    to it (the copy's DROP TABLE fails their foreign keys)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} VARCHAR(36)"
            f" CONSTRAINT {name} REFERENCES {target} (id)"
        )
        return
    op.add_column(table, sa.Column(column, sa.String(36), nullable=True))
    op.create_foreign_key(name, table, target, [column], ["id"])


def upgrade() -> None:
    _add_reference(
        "node", "organisation_id", "organisations", "fk_node_organisation_id_organisations"
    )
    _add_reference(
        "federation_peers",
        "keys_proposed_by",
        "people",
        "fk_federation_peers_keys_proposed_by_people",
    )
    op.add_column(
        "federation_peers",
        sa.Column("outbox_seq", sa.BigInteger(), nullable=False, server_default="0"),
    )
    with op.batch_alter_table("federation_received") as batch:
        batch.add_column(
            sa.Column("origin_node_id", sa.String(36), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("package_uuid", sa.String(36), nullable=False, server_default="")
        )
    with op.batch_alter_table("federation_outbox") as batch:
        batch.add_column(sa.Column("peer_seq", sa.BigInteger(), nullable=True))
    _backfill(op.get_bind())
    with op.batch_alter_table("federation_outbox") as batch:
        batch.alter_column("peer_seq", existing_type=sa.BigInteger(), nullable=False)
        batch.create_unique_constraint("uq_federation_outbox_peer_seq", ["peer_id", "peer_seq"])


def _backfill(conn: sa.Connection) -> None:
    # The operating organisation is the one `caveat init` created: the organisation
    # created by the same request as the node (one transaction, one request id). Only
    # when exactly one such exists; otherwise it stays unset and the console sets it
    # (`caveat federation organisation ORG`).
    made = conn.execute(
        sa.text(
            "SELECT o.target_id FROM events o JOIN events n"
            " ON n.type = 'node.initialised' AND o.request_id = n.request_id"
            " JOIN organisations g ON g.id = o.target_id"
            " WHERE o.type = 'org.created'"
        )
    ).all()
    if len(made) == 1:
        conn.execute(sa.text("UPDATE node SET organisation_id = :o"), {"o": made[0][0]})
    # Before this revision a rotation overwrote proposed_by with who proposed the keys:
    # that person proposed the pending keys; the peering's recorder is the actor of its
    # peer.proposed event (None for the console).
    peers = conn.execute(sa.text("SELECT id, status, proposed_by FROM federation_peers")).all()
    for peer_id, status, proposed_by in peers:
        recorder = conn.execute(
            sa.text(
                "SELECT e.actor_id FROM events e JOIN people p ON p.id = e.actor_id"
                " WHERE e.type = 'peer.proposed' AND e.target_id = :p AND e.actor_kind = 'person'"
                " ORDER BY e.seq LIMIT 1"
            ),
            {"p": peer_id},
        ).scalar()
        conn.execute(
            sa.text(
                "UPDATE federation_peers SET proposed_by = :r, keys_proposed_by = :k WHERE id = :p"
            ),
            {"r": recorder, "k": proposed_by if status == "rotating" else None, "p": peer_id},
        )
    # Received items carried the package's policy uuid where the origin belongs: keep it
    # as the package's id (duplicates are found by it); the origin artifact is unknown
    # for them (empty), their origin node the peer that sent them.
    conn.execute(
        sa.text(
            "UPDATE federation_received SET package_uuid = origin_resource_id,"
            " origin_resource_id = '',"
            " origin_node_id = (SELECT node_id FROM federation_peers p"
            " WHERE p.id = federation_received.peer_id)"
        )
    )
    # Cursors peers hold are the old global numbers: keep them for the packages waiting,
    # and count on per peer from the highest (nothing is skipped or served twice).
    conn.execute(sa.text("UPDATE federation_outbox SET peer_seq = seq"))
    conn.execute(
        sa.text(
            "UPDATE federation_peers SET outbox_seq = COALESCE((SELECT MAX(seq)"
            " FROM federation_outbox o WHERE o.peer_id = federation_peers.id), 0)"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("federation_outbox") as batch:
        batch.drop_constraint("uq_federation_outbox_peer_seq", type_="unique")
        batch.drop_column("peer_seq")
    op.execute(
        "UPDATE federation_received SET origin_resource_id = package_uuid WHERE package_uuid <> ''"
    )
    with op.batch_alter_table("federation_received") as batch:
        batch.drop_column("package_uuid")
        batch.drop_column("origin_node_id")
    sqlite = op.get_bind().dialect.name == "sqlite"  # a copy drops the column's reference
    with op.batch_alter_table("federation_peers") as batch:
        if not sqlite:
            batch.drop_constraint(
                op.f("fk_federation_peers_keys_proposed_by_people"), type_="foreignkey"
            )
        batch.drop_column("outbox_seq")
        batch.drop_column("keys_proposed_by")
    with op.batch_alter_table("node") as batch:
        if not sqlite:
            batch.drop_constraint(op.f("fk_node_organisation_id_organisations"), type_="foreignkey")
        batch.drop_column("organisation_id")
