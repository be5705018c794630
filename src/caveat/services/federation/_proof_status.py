"""Where each received item's release proof stands, shown with the item, and what a
refused proof hides (issue 18, ADR 0022 addendum "Proof status").

A received item is kept on its own checks and its release proof follows (``_proofs``):
until then it is ``pending``; ``proved`` names the leaf and the size of the originator's
tree this node cosigned; ``refused`` says why. A refused proof means the originator's
log does not hold the release (or holds another), so the item is hidden, fail closed:
the artifact made of it loses its catalogue label in the refusal's transaction (as a
recall does: unlabelled, it is listed to no one and opened by no one), and the received
list leaves it out for everyone but the console and security officers, who see it with
the reason beside the critical alert."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import select

from caveat.adapters.db.models.federation import PeerIngestedRow, PeerReleaseProofRow
from caveat.adapters.db.models.policy import ResourceRow
from caveat.domain.permissions import Act
from caveat.services.federation._releasing import PeerReleases, ReceivedItem
from caveat.services.kernel.authorize import allowed
from caveat.services.kernel.principal import Acting
from caveat.services.kernel.uow import UnitOfWork, UnitOfWorkFactory

PROVED, PENDING, REFUSED = "proved", "pending", "refused"


@dataclass(frozen=True, slots=True)
class ProofStatus:
    """A received item's release proof: ``proved`` (leaf ``leaf_index`` of the
    originator's tree of ``tree_size`` leaves, a checkpoint this node cosigned, checked at
    ``checked_at``), ``pending`` (none yet) or ``refused`` (``reason``; the item hidden)."""

    state: str
    tree_size: int | None = None
    leaf_index: int | None = None
    checked_at: datetime | None = None
    reason: str = ""


AWAITED = ProofStatus(PENDING)


@dataclass(frozen=True, slots=True)
class CheckedItem(ReceivedItem):
    """A received item with where its release proof stands."""

    proof: ProofStatus = AWAITED


def proof_statuses(uow: UnitOfWorkFactory, ids: list[str]) -> dict[str, ProofStatus]:
    """The proof status of each of ``ids`` that has a verdict (the rest are pending)."""
    if not ids:
        return {}
    with uow.read() as session:
        rows = session.scalars(
            select(PeerReleaseProofRow).where(PeerReleaseProofRow.received_id.in_(ids))
        ).all()
        return {r.received_id: _status_of(r) for r in rows}


def _status_of(row: PeerReleaseProofRow) -> ProofStatus:
    if row.status != "verified":
        return ProofStatus(REFUSED, checked_at=row.checked_at, reason=row.reason)
    return ProofStatus(
        PROVED,
        tree_size=None if row.tree_size is None else int(row.tree_size),
        leaf_index=None if row.leaf_index is None else int(row.leaf_index),
        checked_at=row.checked_at,
    )


def withhold_refused(uow: UnitOfWork, received_id: str) -> list[str]:
    """A received item's proof was refused: withdraw the catalogue label of the artifact
    made of it, in the refusal's unit of work (listed to no one, opened by no one; its
    label history and content stay for the record). The artifact ids."""
    session = uow.session
    rows = session.scalars(
        select(PeerIngestedRow).where(PeerIngestedRow.received_id == received_id).with_for_update()
    ).all()
    for row in rows:
        resource = session.get(ResourceRow, row.artifact_id, with_for_update=True)
        if resource is not None:
            resource.label_json = None
    return sorted(r.artifact_id for r in rows)


class ReceivedItems:
    """What peers released to this node, each with its proof status."""

    def __init__(self, *, uow: UnitOfWorkFactory, releases: PeerReleases) -> None:
        self._uow = uow
        self._releases = releases

    def list(self, by: Acting) -> list[CheckedItem]:
        """The received items ``by`` may read (``PeerReleases.received``), newest first,
        each with its proof; one whose proof was refused only to the console and security
        officers (``peer.proof_refused_read``): to everyone else it is not there."""
        found = self._releases.received(by)
        statuses = proof_statuses(self._uow, [i.id for i in found])
        sees_refused = allowed(by, Act.PEER_PROOF_REFUSED_READ)
        checked = []
        for item in found:
            proof = statuses.get(item.id, AWAITED)
            if proof.state == REFUSED and not sees_refused:
                continue  # fail closed: an item its originator's log does not prove
            values = {f.name: getattr(item, f.name) for f in fields(item)}
            checked.append(CheckedItem(**values, proof=proof))
        return checked
