"""Tables of federation: the partner nodes this node peers with (issue 18, ADR 0019)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from caveat.adapters.db.models.base import Base, BigId
from caveat.adapters.db.types import UTCDateTime


class PeerRow(Base):
    """A partner node: its descriptor's fields, fingerprint and the peering's status.

    New keys of an active peer wait in ``pending_descriptor`` (canonical JSON) until an
    officer confirms their fingerprint; the keys in use never change before that."""

    __tablename__ = "federation_peers"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    node_id: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    nation: Mapped[str] = mapped_column(String(3))
    organisation: Mapped[str] = mapped_column(String(120))
    endpoint: Mapped[str] = mapped_column(String(300))
    signing_key: Mapped[str] = mapped_column(String(64))
    wrapping_key: Mapped[str] = mapped_column(String(200))
    log_key: Mapped[str] = mapped_column(String(300), server_default="")
    witness_key: Mapped[str] = mapped_column(String(300), server_default="")
    fingerprint: Mapped[str] = mapped_column(String(79))
    status: Mapped[str] = mapped_column(String(16))
    pending_descriptor: Mapped[str | None] = mapped_column(Text)
    # Who recorded the peering (kept for good: the four-eyes rule of its acceptance and
    # of its recipient) and who proposed the keys waiting in ``pending_descriptor``.
    proposed_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    keys_proposed_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    # The last outbox sequence number given to a package for this peer: numbers count
    # per peer, so a peer's cursor says nothing of what others are sent.
    outbox_seq: Mapped[int] = mapped_column(BigInteger, server_default="0")
    # Who receives what is released to the node: the local organisation that runs it
    # (its agreements, authorizations and screening) and the highest common level the
    # node is accredited to hold. None / 0 until a security officer sets them.
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"))
    accredited_level: Mapped[int] = mapped_column(Integer, server_default="0")
    # The local project what the peer releases here becomes artifacts of (migration
    # 0030), and the security officer who named it (the ingested artifacts' creator).
    # None: received items stay sealed, listed to the officers only.
    receiving_project_id: Mapped[str | None] = mapped_column(ForeignKey("projects.id"))
    receiving_set_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PeerAgreementRow(Base):
    """An agreement under which this node exchanges with a peer."""

    __tablename__ = "federation_peer_agreements"
    peer_id: Mapped[str] = mapped_column(ForeignKey("federation_peers.id"), primary_key=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), primary_key=True)


class PeerNonceRow(Base):
    """A signed request a peer made, kept until its signature expires so that the same
    request (same nonce) is refused if it comes again."""

    __tablename__ = "federation_nonces"
    peer_id: Mapped[str] = mapped_column(ForeignKey("federation_peers.id"), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class PeerLinkRow(Base):
    """How the link to a peer is doing: the last sync and its outcome, consecutive
    failures with the last reason, when to try next (backing off), and the checkpoint
    sizes exchanged (the peer's latest seen; ours it last cosigned)."""

    __tablename__ = "federation_links"
    peer_id: Mapped[str] = mapped_column(ForeignKey("federation_peers.id"), primary_key=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failures: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str] = mapped_column(String(500), server_default="")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    peer_size: Mapped[int] = mapped_column(BigInteger, server_default="0")
    cosigned_size: Mapped[int] = mapped_column(BigInteger, server_default="0")
    pulled_seq: Mapped[int] = mapped_column(BigInteger, server_default="0")  # its outbox, read
    # Held by the process syncing with the peer now (one at a time); its token says whose.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_token: Mapped[str | None] = mapped_column(String(36))


class PeerOutboxRow(Base):
    """A release package waiting for a peer to pull it (in order of ``peer_seq``, the
    number the peer sees; ``seq`` is this node's own row id and never leaves it)."""

    __tablename__ = "federation_outbox"
    __table_args__ = (
        UniqueConstraint("peer_id", "peer_seq", name="uq_federation_outbox_peer_seq"),
    )
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    peer_id: Mapped[str] = mapped_column(ForeignKey("federation_peers.id"), index=True)
    peer_seq: Mapped[int] = mapped_column(BigInteger)
    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id"))
    # package: an OpenTDF package; recall: a signed recall statement (migration 0027);
    # re_release_decision: a signed decision on a peer's re-release request (0028)
    kind: Mapped[str] = mapped_column(String(32), server_default="package")
    package: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PeerReceivedRow(Base):
    """A package a peer released to this node, verified, with its provenance: who sent
    it, the label in the originator's scheme and the content's hash."""

    __tablename__ = "federation_received"
    __table_args__ = (UniqueConstraint("peer_id", "seq", name="uq_federation_received_peer_seq"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    peer_id: Mapped[str] = mapped_column(ForeignKey("federation_peers.id"))
    seq: Mapped[int] = mapped_column(BigInteger)  # in the sender's outbox
    # Where it came from, as the sender signed it (the caveat-provenance assertion): the
    # originating node and its artifact id ('' for items received before migration 0016).
    origin_node_id: Mapped[str] = mapped_column(String(36), server_default="")
    origin_resource_id: Mapped[str] = mapped_column(String(36))
    package_uuid: Mapped[str] = mapped_column(String(36), server_default="")  # its policy uuid
    banner: Mapped[str] = mapped_column(String(500))
    label_json: Mapped[str] = mapped_column(Text)
    export_json: Mapped[str] = mapped_column(Text)
    media_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger)
    content_sha256: Mapped[str] = mapped_column(String(64))
    package: Mapped[bytes] = mapped_column(LargeBinary)  # kept sealed; opened when read
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set when the originator recalled it: hidden from every reader from then on.
    recalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recall_id: Mapped[str | None] = mapped_column(String(36))


class PeerIngestedRow(Base):
    """A received item made a local artifact (migration 0031): its provenance, kept
    beside the artifact. An artifact with a row here keeps its label as received: no
    local flow relabels, releases, grants or exports it (the originating node decides);
    a recall from the originator hides it (``recalled_at``)."""

    __tablename__ = "federation_ingested"
    artifact_id: Mapped[str] = mapped_column(ForeignKey("artifacts.id"), primary_key=True)
    received_id: Mapped[str] = mapped_column(ForeignKey("federation_received.id"), unique=True)
    peer_id: Mapped[str] = mapped_column(ForeignKey("federation_peers.id"))
    origin_node_id: Mapped[str] = mapped_column(String(36))
    origin_resource_id: Mapped[str] = mapped_column(String(36))
    origin_organisation: Mapped[str] = mapped_column(String(120))  # as the peering names it
    origin_banner: Mapped[str] = mapped_column(String(500))  # in the originator's scheme
    national_banner: Mapped[str] = mapped_column(String(500))  # in this node's nation's form
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PeerRecallRow(Base):
    """A recall of a release: one this node sent a peer (``sent``, confirmed when the
    peer acknowledges it) or one a peer sent this node (``received``, acknowledged back
    once the peer took the confirmation). ``resource_id`` is the artifact on the
    originating node; ``peer_seq`` the recall's place in the originator's outbox for
    that peer (it recalls the packages of the artifact sent before it)."""

    __tablename__ = "federation_recalls"
    __table_args__ = (Index("ix_federation_recalls_resource", "peer_id", "resource_id"),)
    peer_id: Mapped[str] = mapped_column(ForeignKey("federation_peers.id"), primary_key=True)
    direction: Mapped[str] = mapped_column(String(8), primary_key=True)  # sent | received
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    resource_id: Mapped[str] = mapped_column(String(36))
    peer_seq: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(String(500), server_default="")
    recalled_by: Mapped[str | None] = mapped_column(String(36))  # a person, or None
    recalled_at: Mapped[datetime] = mapped_column(UTCDateTime())  # by the originator's clock
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())  # by this node's
    outcome: Mapped[str] = mapped_column(String(20), server_default="")
    hidden: Mapped[int] = mapped_column(Integer, server_default="0")
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PeerReReleaseRow(Base):
    """A request to release a received item to a third nation, decided by the item's
    originating node: one this node sent (``sent``: ``peer_id`` is the originator, the
    request waits for delivery until ``delivered_at``) or one a peer sent this node
    (``received``: ``peer_id`` is the node that asked). ``resource_id`` is the artifact
    on the originating node; the requester's name is as the requesting node states it."""

    __tablename__ = "federation_re_releases"
    __table_args__ = (Index("ix_federation_re_releases_status", "direction", "status"),)
    peer_id: Mapped[str] = mapped_column(ForeignKey("federation_peers.id"), primary_key=True)
    direction: Mapped[str] = mapped_column(String(8), primary_key=True)  # sent | received
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    resource_id: Mapped[str] = mapped_column(String(36))
    received_id: Mapped[str | None] = mapped_column(String(36))  # sent: the item held here
    nation: Mapped[str] = mapped_column(String(3))
    to_peer: Mapped[str] = mapped_column(String(120), server_default="")
    justification: Mapped[str] = mapped_column(String(500))
    requested_by: Mapped[str | None] = mapped_column(String(36))  # sent: the officer here
    requester_name: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())  # by the asking node
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())  # by this node's clock
    body_sha256: Mapped[str] = mapped_column(String(64))  # the request as it travels
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))  # pending|approved|refused|rejected
    reason: Mapped[str] = mapped_column(String(500), server_default="")
    decided_by: Mapped[str | None] = mapped_column(String(36))  # received: the officer here
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    released_to: Mapped[str] = mapped_column(String(120), server_default="")  # the peer
    release_seq: Mapped[int | None] = mapped_column(BigInteger)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # sent: decision in


class PeerReleaseProofRow(Base):
    """What this node made of the originator's proof that a received item's release is in
    the originator's log (ADR 0019 addendum): ``verified`` (the leaf ``leaf_index`` of
    the tree of ``tree_size`` leaves this node cosigned is the release event
    ``entry_id``) or ``refused`` (with the reason; alerted). A received item without a
    row is still waiting for its proof."""

    __tablename__ = "federation_release_proofs"
    received_id: Mapped[str] = mapped_column(ForeignKey("federation_received.id"), primary_key=True)
    peer_id: Mapped[str] = mapped_column(ForeignKey("federation_peers.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    leaf_index: Mapped[int | None] = mapped_column(BigInteger)
    tree_size: Mapped[int | None] = mapped_column(BigInteger)
    entry_id: Mapped[str] = mapped_column(String(36), server_default="")
    reason: Mapped[str] = mapped_column(String(300), server_default="")
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PeerKeySplitRow(Base):
    """The originating node's split of a split-mode release (migration 0033, ADR 0033):
    sealed at rest under the node's secret key, given to the peer it was released to on
    its signed request while the release stands, and destroyed (``sealed_split`` NULL)
    by a recall, so a receiver that has not opened the package never can."""

    __tablename__ = "federation_key_splits"
    release_id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the policy uuid
    peer_id: Mapped[str] = mapped_column(ForeignKey("federation_peers.id"), index=True)
    peer_seq: Mapped[int] = mapped_column(BigInteger)  # the package's place in the outbox
    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id"))
    sealed_split: Mapped[str | None] = mapped_column(Text)  # domain.sealing; NULL: destroyed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    granted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the first grant
    grants: Mapped[int] = mapped_column(Integer, server_default="0")
    destroyed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recall_id: Mapped[str | None] = mapped_column(String(36))  # the recall that destroyed it


class PeerReceivedSplitRow(Base):
    """A received split-mode package's wait for its originator's split (migration 0033):
    ``awaiting`` until its first open asks the originator, then ``obtained`` (the split
    kept, sealed at rest) or ``refused`` (the originator's reason, in words)."""

    __tablename__ = "federation_received_splits"
    received_id: Mapped[str] = mapped_column(ForeignKey("federation_received.id"), primary_key=True)
    peer_id: Mapped[str] = mapped_column(ForeignKey("federation_peers.id"), index=True)
    release_id: Mapped[str] = mapped_column(String(36))
    state: Mapped[str] = mapped_column(String(16))  # awaiting | obtained | refused
    sealed_split: Mapped[str | None] = mapped_column(Text)
    refusal_code: Mapped[str] = mapped_column(String(64), server_default="")
    refusal: Mapped[str] = mapped_column(String(500), server_default="")
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
