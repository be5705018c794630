"""Tables of projects, memberships, grants and the labelled-resource catalogue the policy lists.

The catalogue keeps the originator's label as canonical JSON (the signed form) and,
beside it, the normalised facts the listing SQL filters on: common level,
releasability mode and codes, originator, caveats to hold and control entries.
Those columns are derived from the label by ``caveat.domain.policy.label_facts``
when a row is written and are never edited on their own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from caveat.adapters.db.models.base import Base, BigId
from caveat.adapters.db.types import UTCDateTime


class ProjectRow(Base):
    """A project: the unit of need-to-know. Programmes (a later issue) group projects."""

    __tablename__ = "projects"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    programme: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProjectMemberRow(Base):
    """Membership of a project (need-to-know), optionally until ``expires_at``."""

    __tablename__ = "project_members"
    __table_args__ = (UniqueConstraint("project_id", "person_id", name="uq_project_members"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    role: Mapped[str] = mapped_column(String(20), default="member", server_default="member")


class ResourceRow(Base):
    """One labelled resource in the catalogue (documents, datasets, later artifacts)."""

    __tablename__ = "resources"
    __table_args__ = (Index("ix_resources_project_id_id", "project_id", "id"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    # NULL label: registered but not yet labelled, and therefore never shown.
    label_json: Mapped[str | None] = mapped_column(Text)
    export_json: Mapped[str] = mapped_column(Text)
    scheme: Mapped[str | None] = mapped_column(String(16))
    classification: Mapped[int | None] = mapped_column(Integer)
    common_level: Mapped[int | None] = mapped_column(Integer)
    rel_mode: Mapped[str | None] = mapped_column(String(12))  # open|list|noforn|originator
    originator_nation: Mapped[str | None] = mapped_column(String(3))
    originator_org_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"))
    originator_controlled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ResourceReleaseRow(Base):
    """A REL TO code (nation or group, as written) of a resource."""

    __tablename__ = "resource_releasability"
    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(16), primary_key=True)


class ResourceCaveatRow(Base):
    """A restrictive value (``TAG:VALUE``) a subject must hold to see the resource."""

    __tablename__ = "resource_caveats"
    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id"), primary_key=True)
    caveat: Mapped[str] = mapped_column(String(120), primary_key=True)


class ResourceControlRow(Base):
    """An export-control entry of a resource with the jurisdiction that licenses it."""

    __tablename__ = "resource_controls"
    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id"), primary_key=True)
    entry: Mapped[str] = mapped_column(String(80), primary_key=True)
    jurisdiction: Mapped[str] = mapped_column(String(3))
    exempt: Mapped[bool] = mapped_column(Boolean, default=False)


class ResourceGrantRow(Base):
    """An explicit per-resource grant: need-to-know access or the originator's permission."""

    __tablename__ = "resource_grants"
    __table_args__ = (
        UniqueConstraint("resource_id", "person_id", "kind", name="uq_resource_grants"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id"))
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # access | originator
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CaveatHoldingRow(Base):
    """A person read on to a restrictive caveat (SCI compartment, SAP, other ``TAG:VALUE``)."""

    __tablename__ = "caveat_holdings"
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), primary_key=True)
    caveat: Mapped[str] = mapped_column(String(120), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RelabelRequestRow(Base):
    """Someone outside the originating organisation asks for a resource to be marked
    differently; the originator's security officer decides (a loosening is a release
    request instead). The proposed label and export classification are canonical JSON."""

    __tablename__ = "relabel_requests"
    __table_args__ = (Index("ix_relabel_requests_resource_status", "resource_id", "status"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id"))
    requested_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    label_json: Mapped[str] = mapped_column(Text)
    export_json: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))  # pending|approved|denied
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str] = mapped_column(Text, default="")


class ReadOnRequestRow(Base):
    """A request to read a person on to a compartment (``SCI:…``, ``SAP:…``): one security
    officer asks, a different one approves; both are ledger events."""

    __tablename__ = "readon_requests"
    __table_args__ = (Index("ix_readon_requests_person_status", "person_id", "status"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    caveat: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    requested_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))  # None: console
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))  # pending|approved|denied
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str] = mapped_column(Text, default="")
