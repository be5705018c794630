"""Artifacts made of what a partner node released here (issue 18, ADR 0019): their label
is the originator's and stays as received.

Every local write that could widen who reads a resource (a relabel, a release request or
its decision, a grant, an export record, a new content version) asks ``refuse_received``
first: for an ingested artifact it is refused, naming the originating node, whose
re-release request flow is the only way onwards. A person who may not discover the
artifact learns nothing: the caller hides it before asking, as for any resource."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from caveat.adapters.db.models.federation import PeerIngestedRow, PeerRow
from caveat.domain.errors import PermissionDenied


def received_from(session: Session, resource_id: str) -> PeerIngestedRow | None:
    """The provenance of an artifact made of a partner's release (None: a local one)."""
    return session.get(PeerIngestedRow, resource_id)


def refuse_received(session: Session, resource_id: str, doing: str) -> None:
    """Raise ``received_label_fixed`` when ``resource_id`` was received from a partner
    node: ``doing`` (e.g. "relabel") it here could widen what its originator released."""
    ingested = received_from(session, resource_id)
    if ingested is None:
        return
    origin = session.scalar(select(PeerRow.name).where(PeerRow.id == ingested.peer_id))
    raise PermissionDenied(
        f"this artifact was released to this node by {origin}; its label stays as "
        f"received, so you may not {doing} it here",
        code="received_label_fixed",
        data={"origin_node_id": ingested.origin_node_id, "action": doing},
        hint=f"to release it further, ask {origin}: `caveat federation re-release request "
        "ITEM --nation NATION --justification TEXT` (its originating node decides)",
    )
