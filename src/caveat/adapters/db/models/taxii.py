"""Tables of the TAXII 2.1 server (issue 20, ADR 0023): collections, the STIX object
versions they hold, and the status of each add request.

Every object version is a catalogue resource: its row shares its id with a ``resources``
row (kind ``threat_intelligence``, the collection's project), which holds its label and
the facts the policy's listing filters on. The label is kept there only, so a relabel in
the catalogue is what every TAXII answer carries from then on.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from caveat.adapters.db.models.base import Base
from caveat.adapters.db.types import UTCDateTime


class TaxiiCollectionRow(Base):
    """A TAXII collection: a project's threat-intelligence feed. Who may read or write it
    is computed per caller (project membership, the permission table), never stored."""

    __tablename__ = "taxii_collections"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    # The label (canonical JSON) of objects posted without a Caveat label; NULL refuses them.
    default_label_json: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))  # None: console
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TaxiiObjectRow(Base):
    """One version of a STIX object in a collection, without data markings.

    ``version`` is the object's ``modified``, else its ``created``, else its
    ``date_added`` (TAXII 2.1 §3.6); ``date_added`` is unique to the microsecond in its
    collection, so it orders the collection and pages through it (``added_after`` and
    ``next`` are strictly after)."""

    __tablename__ = "taxii_objects"
    __table_args__ = (
        UniqueConstraint(
            "collection_id", "object_id", "version", name="uq_taxii_objects_object_version"
        ),
        UniqueConstraint("collection_id", "date_added", name="uq_taxii_objects_date_added"),
        Index("ix_taxii_objects_collection_type", "collection_id", "type", "date_added"),
    )
    id: Mapped[str] = mapped_column(ForeignKey("resources.id"), primary_key=True)
    collection_id: Mapped[str] = mapped_column(ForeignKey("taxii_collections.id"))
    object_id: Mapped[str] = mapped_column(String(300))
    type: Mapped[str] = mapped_column(String(250))
    spec_version: Mapped[str] = mapped_column(String(8))
    version: Mapped[datetime] = mapped_column(UTCDateTime())
    date_added: Mapped[datetime] = mapped_column(UTCDateTime())
    content: Mapped[str] = mapped_column(Text)  # RFC 8785 JSON, no data markings
    added_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    # Provenance of an ingested version: the subscription it came through (its URL is
    # the source); None for versions posted to this node.
    subscription_id: Mapped[str | None] = mapped_column(
        ForeignKey("taxii_subscriptions.id"), index=True
    )


class TaxiiStatusRow(Base):
    """The outcome of one add request (TAXII 2.1 §4.3.1): counts, and per object its
    id, version and, for a failure, why (``details_json``: successes, failures, pendings).
    Only the person who made the request may read it."""

    __tablename__ = "taxii_statuses"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    collection_id: Mapped[str] = mapped_column(ForeignKey("taxii_collections.id"))
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    request_timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    total_count: Mapped[int] = mapped_column(Integer)
    success_count: Mapped[int] = mapped_column(Integer)
    failure_count: Mapped[int] = mapped_column(Integer)
    pending_count: Mapped[int] = mapped_column(Integer)
    details_json: Mapped[str] = mapped_column(Text)


class TaxiiSubscriptionRow(Base):
    """A subscription to a partner's TAXII 2.1 collection, ingested into one of this
    node's collections on behalf of its owner, and how its polls are going.

    The credentials are sealed with the node's secret key, bound to the row's id
    (``domain.sealing``); nothing reads them but the poller. A removed subscription
    keeps its row (the provenance of what it ingested) without its credentials."""

    __tablename__ = "taxii_subscriptions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    url: Mapped[str] = mapped_column(String(500))  # the partner's collection
    collection_id: Mapped[str] = mapped_column(ForeignKey("taxii_collections.id"), index=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    owner_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    label_json: Mapped[str] = mapped_column(Text)  # canonical JSON: unmarked objects' label
    auth: Mapped[str] = mapped_column(String(16))  # basic | bearer | none
    credentials_sealed: Mapped[str | None] = mapped_column(Text)
    interval_seconds: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The partner's X-TAXII-Date-Added-Last of the last page ingested: the next poll's
    # added_after.
    cursor: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())  # a poll runs
    lease_token: Mapped[str | None] = mapped_column(String(36))  # whose poll it is
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    caught_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # read to the end
    failures: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str] = mapped_column(String(500), server_default="")
    ingested: Mapped[int] = mapped_column(Integer, server_default="0")
    refused: Mapped[int] = mapped_column(Integer, server_default="0")
    # The last refusals (JSON list of {"id", "reason"}), newest last, at most 20.
    last_refusals: Mapped[str] = mapped_column(Text, server_default="[]")
