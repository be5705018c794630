"""Tables of the tamper-evident ledger: tree nodes, checkpoints, cosignatures, alerts.

The leaves themselves are the ``events`` rows (``leaf_index`` and ``body``); these
tables hold what the sequencer derives from them and what witnesses and monitoring add.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from caveat.adapters.db.models.base import Base, BigId
from caveat.adapters.db.types import UTCDateTime


class LedgerNodeRow(Base):
    """The hash of one perfect subtree: level 0 are leaf hashes (a domain ``HashSource``).

    Covers the leaves [idx * 2**level, (idx + 1) * 2**level); written once, never updated.
    """

    __tablename__ = "ledger_nodes"
    # Clustered on the key in SQLite: one B-tree, no separate rowid index to maintain.
    __table_args__ = {"sqlite_with_rowid": False}
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerCheckpointRow(Base):
    """A signed checkpoint (C2SP tlog-checkpoint note) this node published."""

    __tablename__ = "ledger_checkpoints"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    size: Mapped[int] = mapped_column(BigInteger, unique=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LedgerCosignatureRow(Base):
    """A witness's cosignature line on one of our checkpoints, checked before storing."""

    __tablename__ = "ledger_cosignatures"
    __table_args__ = (UniqueConstraint("checkpoint_id", "witness", name="uq_ledger_cosig"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("ledger_checkpoints.id"), index=True)
    witness: Mapped[str] = mapped_column(String(200))
    line: Mapped[str] = mapped_column(Text)  # the signature line, as the witness sent it
    cosigned_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the witness's timestamp
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LedgerWitnessRow(Base):
    """A partner that witnesses our log: its cosigner key and add-checkpoint URL."""

    __tablename__ = "ledger_witnesses"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    vkey: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(500))
    last_size: Mapped[int] = mapped_column(BigInteger, default=0)  # size it last cosigned
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WitnessedLogRow(Base):
    """A partner log this node witnesses: its key and the latest checkpoint we cosigned."""

    __tablename__ = "witnessed_logs"
    origin: Mapped[str] = mapped_column(String(200), primary_key=True)
    vkey: Mapped[str] = mapped_column(String(300))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LedgerCursorRow(Base):
    """How far a consumer of the log (conduct monitoring) has read, by leaf index."""

    __tablename__ = "ledger_cursors"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)


class AlertRow(Base):
    """A conduct-monitoring alert for security officers; acknowledged, never deleted."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_rule_subject", "rule", "subject_id"),
        Index("ix_alerts_status_raised", "status", "raised_at"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    rule: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str | None] = mapped_column(String(200))
    subject_name: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500))
    data: Mapped[str] = mapped_column(Text)  # JSON: counts, window, entry indices
    first_index: Mapped[int | None] = mapped_column(BigInteger)
    last_index: Mapped[int | None] = mapped_column(BigInteger)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(36))
    acknowledgement: Mapped[str | None] = mapped_column(Text)
