"""Tables of the legal frame: programmes, agreements, export authorizations, screening,
embargoes, release requests and export records (issue 6, ADR 0008).

Lists of values that are only ever read whole (technology areas, IP terms, recipients
of a release) are canonical JSON text; everything the policy queries per subject
(parties, coverage, control entries, recipients of an authorization, open hits,
embargoed nations) is a row with an index.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from caveat.adapters.db.models.base import Base, BigId
from caveat.adapters.db.types import UTCDateTime

# programmes


class ProgrammeRow(Base):
    """A joint programme grouping projects."""

    __tablename__ = "programmes"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProgrammeProjectRow(Base):
    """A project belonging to a programme (a project belongs to at most one)."""

    __tablename__ = "programme_projects"
    programme_id: Mapped[str] = mapped_column(ForeignKey("programmes.id"), primary_key=True)
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id"), primary_key=True, unique=True
    )


class ProgrammeParticipantRow(Base):
    """A participating organisation and its role (lead, partner, industry/academic partner)."""

    __tablename__ = "programme_participants"
    programme_id: Mapped[str] = mapped_column(ForeignKey("programmes.id"), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    work_share_bp: Mapped[int | None] = mapped_column(Integer)  # basis points of the work


class FundingEntryRow(Base):
    """A commitment or a contribution of one partner to a programme, in one currency."""

    __tablename__ = "funding_entries"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    programme_id: Mapped[str] = mapped_column(ForeignKey("programmes.id"), index=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    kind: Mapped[str] = mapped_column(String(12))  # commitment | contribution
    amount_minor: Mapped[int] = mapped_column(BigId)  # in the currency's minor unit (cents)
    currency: Mapped[str] = mapped_column(String(3))
    entry_date: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CapacityActivityRow(Base):
    """A training course or an exchange placement of a person at a host organisation."""

    __tablename__ = "capacity_activities"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    programme_id: Mapped[str] = mapped_column(ForeignKey("programmes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # course | placement
    title: Mapped[str] = mapped_column(String(200))
    person_id: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    host_org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    location: Mapped[str] = mapped_column(String(200), default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class VisitRequestRow(Base):
    """A foreign national's visit to a host lab: approved by the host's security officer."""

    __tablename__ = "visit_requests"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    host_org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    purpose: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12))  # pending | approved | denied
    requested_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text, default="")


# agreements


class AgreementRow(Base):
    """An agreement's current version; earlier versions are in ``agreement_versions``."""

    __tablename__ = "agreements"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(12))  # draft|in_force|suspended|terminated
    version: Mapped[int] = mapped_column(Integer)
    effective_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    max_common_level: Mapped[int] = mapped_column(Integer)
    releasability_json: Mapped[str] = mapped_column(Text)  # ceiling: codes, canonical JSON
    technology_areas_json: Mapped[str] = mapped_column(Text)
    scoped: Mapped[bool] = mapped_column(Boolean)  # False: no export-control scope limit
    ip_terms_json: Mapped[str] = mapped_column(Text)
    disputes_json: Mapped[str] = mapped_column(Text)
    text_resource_id: Mapped[str | None] = mapped_column(ForeignKey("resources.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AgreementPartyRow(Base):
    """A party: ``kind`` nation (code) or organisation (id)."""

    __tablename__ = "agreement_parties"
    __table_args__ = (Index("ix_agreement_parties_party", "party", "agreement_id"),)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    party: Mapped[str] = mapped_column(String(36), primary_key=True)


class AgreementCoverageRow(Base):
    """A programme or project the agreement covers."""

    __tablename__ = "agreement_coverage"
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)  # programme | project
    ref_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class AgreementControlRow(Base):
    """A control entry in the agreement's export scope."""

    __tablename__ = "agreement_controls"
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), primary_key=True)
    entry: Mapped[str] = mapped_column(String(80), primary_key=True)


class AgreementVersionRow(Base):
    """One version of an agreement (amendments are versions), its full terms as JSON."""

    __tablename__ = "agreement_versions"
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    terms_json: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# export authorizations


class AuthorizationRow(Base):
    """An export authorization (licence, agreement, exception) of one jurisdiction."""

    __tablename__ = "export_authorizations"
    __table_args__ = (
        UniqueConstraint("jurisdiction", "number", name="uq_export_authorizations_number"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(30))
    jurisdiction: Mapped[str] = mapped_column(String(3))
    number: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(12))  # active | suspended | revoked
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    max_common_level: Mapped[int | None] = mapped_column(Integer)  # proviso
    no_retransfer: Mapped[bool] = mapped_column(Boolean)  # proviso
    provisos: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuthorizationEntryRow(Base):
    """A control entry an authorization covers."""

    __tablename__ = "authorization_entries"
    authorization_id: Mapped[str] = mapped_column(
        ForeignKey("export_authorizations.id"), primary_key=True
    )
    entry: Mapped[str] = mapped_column(String(80), primary_key=True)


class AuthorizationRecipientRow(Base):
    """An authorized end user: ``kind`` organisation (id), nation (code) or person (id)."""

    __tablename__ = "authorization_recipients"
    __table_args__ = (Index("ix_authorization_recipients_ref", "ref", "authorization_id"),)
    authorization_id: Mapped[str] = mapped_column(
        ForeignKey("export_authorizations.id"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    ref: Mapped[str] = mapped_column(String(36), primary_key=True)


# denied-party screening


class ScreeningListRow(Base):
    """An imported list; importing a list of the same name replaces its entries."""

    __tablename__ = "screening_lists"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    format: Mapped[str] = mapped_column(String(12))  # sdn | csl | generic
    sha256: Mapped[str] = mapped_column(String(64))
    entries: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ScreeningEntryRow(Base):
    """One listed party with its aliases (JSON list)."""

    __tablename__ = "screening_entries"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    list_id: Mapped[str] = mapped_column(ForeignKey("screening_lists.id"), index=True)
    source: Mapped[str] = mapped_column(String(200))
    entry_id: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(12))
    aliases_json: Mapped[str] = mapped_column(Text)
    programs_json: Mapped[str] = mapped_column(Text)
    nations_json: Mapped[str] = mapped_column(Text)


class ScreeningHitRow(Base):
    """A candidate match of a person or organisation; open hits hold the subject."""

    __tablename__ = "screening_hits"
    __table_args__ = (
        Index("ix_screening_hits_subject", "subject_id", "status"),
        UniqueConstraint(
            "subject_id", "source", "entry_id", "matched_name", name="uq_screening_hits_match"
        ),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(12))  # person | organisation
    subject_id: Mapped[str] = mapped_column(String(36))
    screened_name: Mapped[str] = mapped_column(String(200))
    list_name: Mapped[str] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(200))
    entry_id: Mapped[str] = mapped_column(String(80))
    listed_name: Mapped[str] = mapped_column(Text)
    matched_name: Mapped[str] = mapped_column(String(500))
    score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))  # open | false_positive | true_match
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(36))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text, default="")


# embargoes


class EmbargoRow(Base):
    """An embargo by ``imposed_by`` (nation or EU) on ``nation``, dated, with its source."""

    __tablename__ = "embargoes"
    __table_args__ = (Index("ix_embargoes_nation", "nation", "valid_from"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    imposed_by: Mapped[str] = mapped_column(String(3))
    nation: Mapped[str] = mapped_column(String(3))
    regime: Mapped[str] = mapped_column(String(40), default="")
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# releases


class ReleaseRequestRow(Base):
    """A request to release a resource to further nations or organisations."""

    __tablename__ = "release_requests"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id"), index=True)
    requested_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    nations_json: Mapped[str] = mapped_column(Text)
    organisations_json: Mapped[str] = mapped_column(Text)
    justification: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))  # pending|classified|approved|denied
    controls_json: Mapped[str | None] = mapped_column(Text)  # as classified
    dual_use: Mapped[bool] = mapped_column(Boolean, default=False)
    dual_use_review: Mapped[str] = mapped_column(Text, default="")
    not_controlled_reason: Mapped[str] = mapped_column(Text, default="")
    authorization_id: Mapped[str | None] = mapped_column(ForeignKey("export_authorizations.id"))
    classified_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    classified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    # A loosening relabel asks for exactly this label (canonical JSON); None: widen REL TO.
    label_json: Mapped[str | None] = mapped_column(Text)
    export_json: Mapped[str | None] = mapped_column(Text)


class ExportRecordRow(Base):
    """Who released what to whom under which authorization: written once, never changed."""

    __tablename__ = "export_records"
    __table_args__ = (Index("ix_export_records_authorization", "authorization_id", "released_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    release_request_id: Mapped[str] = mapped_column(ForeignKey("release_requests.id"), unique=True)
    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id"))
    label_sha256: Mapped[str] = mapped_column(String(64))  # of the new canonical label
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    controls_json: Mapped[str] = mapped_column(Text)
    recipients_json: Mapped[str] = mapped_column(Text)
    authorization_id: Mapped[str | None] = mapped_column(ForeignKey("export_authorizations.id"))
    authorization_number: Mapped[str | None] = mapped_column(String(80))
    requested_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    approved_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    released_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retain_until: Mapped[date] = mapped_column(Date)


# caching


POLICY_SOURCES = ("agreements", "authorizations")  # seeded by migration 0006


class PolicyGenerationRow(Base):
    """A counter per policy source, raised in the transaction that changes the source, so
    any process can tell whether what it cached from that source is still current."""

    __tablename__ = "policy_generations"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigId, nullable=False, default=0)
