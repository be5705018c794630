"""Tables of labelled discussions (issue 21, ADR 0026): discussions of a project or of an
artifact, their messages, every version of each message, and who each version mentions.

Labels live beside the text they mark (canonical JSON), not in the ``resources``
catalogue: a message is decided by ``decide()`` as a resource of the discussion's project
originated by its author's organisation, and a chat does not fill the catalogue's
listings. A version is never changed or deleted; an edit adds one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from caveat.adapters.db.models.base import Base
from caveat.adapters.db.types import UTCDateTime


class DiscussionRow(Base):
    """A discussion: a titled thread in a project, about the project or one artifact. The
    title carries its own label (``title_label_json``)."""

    __tablename__ = "discussions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    artifact_id: Mapped[str | None] = mapped_column(ForeignKey("resources.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    title_label_json: Mapped[str] = mapped_column(Text)
    title_salt: Mapped[str] = mapped_column(String(32))  # hex; see domain/discussions.py
    originator_org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    started_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DiscussionMessageRow(Base):
    """A message of a discussion; its text and label are in its versions. ``position``
    orders the discussion and is never shown (a gap in it would tell a hidden message)."""

    __tablename__ = "discussion_messages"
    __table_args__ = (
        UniqueConstraint("discussion_id", "position", name="uq_discussion_messages_position"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    discussion_id: Mapped[str] = mapped_column(ForeignKey("discussions.id"))
    position: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    author_org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DiscussionVersionRow(Base):
    """One version of a message: its label, its text and the salt of the text's hash in
    the ledger. Version 1 is the message as posted; each edit adds the next, whose label
    dominates this one's."""

    __tablename__ = "discussion_message_versions"
    __table_args__ = (
        UniqueConstraint("message_id", "version", name="uq_discussion_message_versions"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("discussion_messages.id"))
    version: Mapped[int] = mapped_column(Integer)
    label_json: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    text_salt: Mapped[str] = mapped_column(String(32))  # hex
    text_sha256: Mapped[str] = mapped_column(String(64))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DiscussionMentionRow(Base):
    """A person mentioned in a message version (who could read it when it was written)."""

    __tablename__ = "discussion_mentions"
    __table_args__ = (Index("ix_discussion_mentions_person_id", "person_id"),)
    version_id: Mapped[str] = mapped_column(
        ForeignKey("discussion_message_versions.id"), primary_key=True
    )
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), primary_key=True)
