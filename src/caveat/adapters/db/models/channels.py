"""Tables of live channels (issue 21, ADR 0025): the channels themselves. Their messages
live on the broker (in process or NATS JetStream) for the channel's retention, never in
the database; the ledger records them in batches."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from caveat.adapters.db.models.base import Base
from caveat.adapters.db.types import UTCDateTime


class ChannelRow(Base):
    """A live channel of a project or of a programme (exactly one): need-to-know to read
    it comes from that project, or from any project of that programme."""

    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("name", name="uq_channels_name"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    project_id: Mapped[str | None] = mapped_column(ForeignKey("projects.id"), index=True)
    programme_id: Mapped[str | None] = mapped_column(ForeignKey("programmes.id"), index=True)
    max_messages: Mapped[int] = mapped_column(Integer)
    max_age_seconds: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))  # None: console
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
