"""Tables of the encrypted artifact repository: artifacts, versions, labels, uploads.

An artifact is a row of the policy's labelled-resource catalogue (``resources``: same
id) plus the metadata here. Content versions are immutable; a relabel adds a label
version and a binding (signature) per content version, and never edits a row.
Full-text search lives beside these tables, per database (migration 0004): an FTS5
table on SQLite, a stored tsvector column with a GIN index on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from caveat.adapters.db.models.base import Base
from caveat.adapters.db.types import UTCDateTime

# What full-text search keeps outside the models, per database, so that emptying the
# tables (tests) empties the index too. PostgreSQL's index is a generated column of
# ``artifacts`` and empties with it; SQLite's FTS5 table must be emptied on its own.
SEARCH_TABLES = {"sqlite": ("artifact_fts",), "postgresql": ()}

# Tables and indexes the migration creates outside the models (full-text search);
# schema comparisons skip them.
SEARCH_OBJECTS = frozenset(
    {
        "artifact_fts",
        "artifact_fts_config",
        "artifact_fts_content",
        "artifact_fts_data",
        "artifact_fts_docsize",
        "artifact_fts_idx",
        "ix_artifacts_search",
        "search_vector",  # PostgreSQL: GENERATED ALWAYS AS (to_tsvector(...)) STORED
    }
)


class ArtifactRow(Base):
    """An artifact's metadata; its label and project also live in its ``resources`` row."""

    __tablename__ = "artifacts"
    __table_args__ = (
        Index("ix_artifacts_created_at", "created_at"),
        Index("ix_artifacts_project_id_seq", "project_id", "seq"),
    )
    # Listing order and the FTS5 rowid: search walks the full-text index newest first
    # and stops at a page, instead of sorting every match. The database assigns it, so
    # concurrent completions never clash: an IDENTITY on PostgreSQL, and on SQLite an
    # INTEGER PRIMARY KEY, which is the rowid itself. The ORM identifies rows by ``id``.
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), Identity(), primary_key=True
    )
    id: Mapped[str] = mapped_column(ForeignKey("resources.id"), unique=True)
    __mapper_args__ = {"primary_key": ["id"]}
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    keywords: Mapped[str] = mapped_column(Text)  # space-separated, lower-case, sorted
    originating_org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    originating_node_id: Mapped[str] = mapped_column(String(36))
    created_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    latest_version: Mapped[int] = mapped_column(Integer)
    label_seq: Mapped[int] = mapped_column(Integer)  # the current label version


class ArtifactIpOwnerRow(Base):
    """An organisation owning background or foreground IP in an artifact."""

    __tablename__ = "artifact_ip_owners"
    artifact_id: Mapped[str] = mapped_column(ForeignKey("artifacts.id"), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # background | foreground


class ArtifactLabelRow(Base):
    """One label version: the originator's label and export classification, canonical."""

    __tablename__ = "artifact_labels"
    __table_args__ = (UniqueConstraint("artifact_id", "seq", name="uq_artifact_labels_seq"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    artifact_id: Mapped[str] = mapped_column(ForeignKey("artifacts.id"))
    seq: Mapped[int] = mapped_column(Integer)
    label_json: Mapped[str] = mapped_column(Text)
    export_json: Mapped[str] = mapped_column(Text)
    banner: Mapped[str] = mapped_column(String(500))  # as the originator wrote it
    created_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ArtifactVersionRow(Base):
    """One immutable content version: hash, size, wrapped data key and part count."""

    __tablename__ = "artifact_versions"
    __table_args__ = (UniqueConstraint("artifact_id", "number", name="uq_artifact_versions_no"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    artifact_id: Mapped[str] = mapped_column(ForeignKey("artifacts.id"))
    number: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    part_count: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(130))
    filename: Mapped[str | None] = mapped_column(String(255))
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    kek_key_id: Mapped[int] = mapped_column(BigInteger, index=True)
    generation: Mapped[int] = mapped_column(Integer)  # bumped by re-encryption
    created_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ArtifactPartRow(Base):
    """One encrypted part of a version: plaintext and ciphertext sizes."""

    __tablename__ = "artifact_parts"
    version_id: Mapped[str] = mapped_column(ForeignKey("artifact_versions.id"), primary_key=True)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    plain_size: Mapped[int] = mapped_column(BigInteger)
    cipher_size: Mapped[int] = mapped_column(BigInteger)


class ArtifactBindingRow(Base):
    """The node's Ed25519 signature over one content version under one label version."""

    __tablename__ = "artifact_bindings"
    version_id: Mapped[str] = mapped_column(ForeignKey("artifact_versions.id"), primary_key=True)
    label_id: Mapped[str] = mapped_column(ForeignKey("artifact_labels.id"), primary_key=True)
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class UploadSessionRow(Base):
    """A resumable upload: the future version, its data key and how far it has come."""

    __tablename__ = "upload_sessions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    artifact_id: Mapped[str] = mapped_column(String(36))  # new or existing artifact
    version_id: Mapped[str] = mapped_column(String(36), unique=True)
    new_artifact: Mapped[str | None] = mapped_column(Text)  # JSON metadata of a new artifact
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    label_json: Mapped[str] = mapped_column(Text)
    export_json: Mapped[str] = mapped_column(Text)
    banner: Mapped[str] = mapped_column(String(500))
    media_type: Mapped[str] = mapped_column(String(130))
    filename: Mapped[str | None] = mapped_column(String(255))
    expected_size: Mapped[int | None] = mapped_column(BigInteger)
    expected_sha256: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    kek_key_id: Mapped[int] = mapped_column(BigInteger)
    received: Mapped[int] = mapped_column(BigInteger)  # the offset the next append starts at
    part_count: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class UploadPartRow(Base):
    """A part an upload session has stored (durable: blob committed before this row)."""

    __tablename__ = "upload_parts"
    session_id: Mapped[str] = mapped_column(ForeignKey("upload_sessions.id"), primary_key=True)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    plain_size: Mapped[int] = mapped_column(BigInteger)
    cipher_size: Mapped[int] = mapped_column(BigInteger)
