"""Foundation tables: the node, registry, identity, credentials and the event log."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caveat.adapters.db.models.base import Base, BigId
from caveat.adapters.db.types import UTCDateTime


class NodeRow(Base):
    """This installation: one row."""

    __tablename__ = "node"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    signing_public_key: Mapped[str] = mapped_column(String(100))  # base64 Ed25519
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The organisation that operates this node (made by `caveat init`; migration 0016):
    # its officers decide who receives what goes to a peer, and its nation is the one a
    # received package must be releasable to. None until recorded (fail closed).
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"))


class OrganisationRow(Base):
    __tablename__ = "organisations"
    # Short names are looked up like names, so two organisations never share one (many
    # organisations have none: NULLs do not clash).
    __table_args__ = (Index("uq_organisations_short_name", "short_name", unique=True),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    short_name: Mapped[str | None] = mapped_column(String(40))
    nation: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GroupRow(Base):
    """A custom group; built-in groups are package data and never stored here."""

    __tablename__ = "groups"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    members: Mapped[list[GroupMemberRow]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="GroupMemberRow.nation"
    )


class GroupMemberRow(Base):
    __tablename__ = "group_members"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    group_code: Mapped[str] = mapped_column(ForeignKey("groups.code"), index=True)
    nation: Mapped[str] = mapped_column(String(3))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class PersonRow(Base):
    __tablename__ = "people"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    must_change_password: Mapped[bool] = mapped_column(default=False)
    totp_secret: Mapped[str] = mapped_column(String(200))  # sealed with the node's secret key
    totp_last_step: Mapped[int] = mapped_column(BigInteger, default=0)
    mfa_enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hard_locked: Mapped[bool] = mapped_column(default=False)
    clearance_level: Mapped[int | None] = mapped_column(Integer)
    clearance_name: Mapped[str | None] = mapped_column(String(80))
    clearance_nation: Mapped[str | None] = mapped_column(String(3))
    clearance_expires: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    nations: Mapped[list[PersonNationRow]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="PersonNationRow.nation"
    )
    roles: Mapped[list[PersonRoleRow]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="PersonRoleRow.role"
    )
    organisation: Mapped[OrganisationRow] = relationship(lazy="joined")


class PersonNationRow(Base):
    """A citizenship or a permanent residency: a person has all of them, never one."""

    __tablename__ = "person_nations"
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), primary_key=True)
    nation: Mapped[str] = mapped_column(String(3), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)  # citizen | resident


class PersonRoleRow(Base):
    __tablename__ = "person_roles"
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True)


class RecoveryCodeRow(Base):
    __tablename__ = "recovery_codes"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SessionRow(Base):
    __tablename__ = "sessions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    mfa_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    client_address: Mapped[str | None] = mapped_column(String(64))


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    scopes: Mapped[str] = mapped_column(String(500))  # space-separated, sorted
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AddressThrottleRow(Base):
    __tablename__ = "address_throttle"
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LoginNameThrottleRow(Base):
    """Failed sign-ins under a username no account has, counted exactly as an account's
    are, so a lockout answers alike for real and unknown names. Keyed by a keyed hash
    of the name: what people type there (sometimes a password) is never stored."""

    __tablename__ = "login_name_throttle"
    name_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hard_locked: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EventRow(Base):
    """The event log: the ledger's input.

    ``seq`` orders events as they were written (it may have gaps where a transaction
    rolled back on PostgreSQL). ``leaf_index`` is assigned later by the one ledger
    sequencer, gap-free, and ``body`` holds the exact canonical bytes that become the
    Merkle leaf, so the ledger never has to re-serialise an event.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_target", "target_type", "target_id"),
        Index("ix_events_actor", "actor_id"),
        UniqueConstraint("leaf_index", name="uq_events_leaf_index"),
    )
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    type: Mapped[str] = mapped_column(String(64), index=True)
    type_version: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(36))
    actor_name: Mapped[str | None] = mapped_column(String(200))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str | None] = mapped_column(String(64))
    node_id: Mapped[str] = mapped_column(String(36))
    body: Mapped[str] = mapped_column(Text)
    leaf_index: Mapped[int | None] = mapped_column(BigInteger)
