"""Federation: this node's descriptor and its partner nodes (issue 18, ADR 0019).

Thin routes: parse, call one service, render. A descriptor travels as the JSON object
operators exchange; its fields are checked by the domain, not here, so a refusal names
the field the same way as at the console.
"""

from __future__ import annotations

import json
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from caveat.api.deps import CtxDep, CurrentPrincipal, NodeDep
from caveat.api.schemas import Strict
from caveat.services.federation import (
    CheckedItem,
    LinkStatus,
    OpenedSplit,
    Peer,
    PeerHello,
    Recall,
    ReleasePreview,
    ReRelease,
    SentRelease,
)

router = APIRouter(prefix="/api/v1/federation", tags=["federation"])


class DescriptorOut(BaseModel):
    descriptor: dict[str, str]
    fingerprint: str


class FingerprintIn(Strict):
    fingerprint: str = Field(max_length=200)


class ReasonIn(Strict):
    reason: str = Field(max_length=2000)


class RecipientIn(Strict):
    organisation: str = Field(max_length=200)
    accredited: str = Field(max_length=20, description="a common level: SECRET, TOP SECRET, ...")


class ReleaseIn(Strict):
    artifact_id: str = Field(max_length=36)
    key_mode: Literal["offline", "split"] = Field(
        default="offline",
        description="offline: the package carries the whole key (partners that may be "
        "disconnected); split: this node keeps a key split the peer must obtain before its "
        "first open, and a recall destroys it (ADR 0033)",
    )


class RecallIn(Strict):
    artifact_id: str = Field(max_length=36)
    reason: str = Field(
        max_length=20, description="mis_release, agreement_ended, licence_revoked or other"
    )
    detail: str = Field(default="", max_length=500, description="why (required for other)")


class ReReleaseRequestIn(Strict):
    nation: str = Field(max_length=3, description="the third nation (ISO 3166-1 alpha-3)")
    peer: str = Field(
        default="", max_length=120, description="the third node as the originator knows it"
    )
    justification: str = Field(max_length=500)


class ReReleaseDecisionIn(Strict):
    approve: bool
    reason: str = Field(default="", max_length=500, description="why (required to refuse)")


class AgreementsIn(Strict):
    agreements: list[str] = Field(max_length=50)


class ReceivingProjectIn(Strict):
    project: str | None = Field(
        max_length=200, description="a local project (id or name); null: items stay sealed"
    )


@router.get("/descriptor", response_model=DescriptorOut)
def descriptor(
    principal: CurrentPrincipal,
    node: NodeDep,
    name: str = Query(max_length=120),
    nation: str = Query(max_length=3),
    organisation: str = Query(max_length=120),
    endpoint: str = Query(max_length=300),
) -> DescriptorOut:
    """This node's descriptor for a partner, and the fingerprint to read out to them."""
    made = node.federation.descriptor(
        principal, name=name, nation=nation, organisation=organisation, endpoint=endpoint
    )
    return DescriptorOut(descriptor=made.to_json(), fingerprint=made.fingerprint())


@router.get("/peers", response_model=list[Peer])
def peers(principal: CurrentPrincipal, node: NodeDep) -> list[Peer]:
    """Every partner node, revoked ones too."""
    return node.federation.peers(principal)


@router.get("/peers/{peer}", response_model=Peer)
def peer(peer: str, principal: CurrentPrincipal, node: NodeDep) -> Peer:
    """One partner node by id, node id or name."""
    return node.federation.peer(principal, peer)


@router.get("/peers/{peer}/hello", response_model=PeerHello)
def hello(peer: str, principal: CurrentPrincipal, node: NodeDep) -> PeerHello:
    """Ask a peer who it is over the signed protocol (and so check the peering works)."""
    return node.federation.hello(principal, peer)


@router.post("/peers", status_code=201, response_model=Peer)
def propose(body: dict[str, str], principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep) -> Peer:
    """Record a partner's descriptor (the JSON object its operator handed over)."""
    return node.federation.propose(principal, ctx, json.dumps(body))


@router.post("/peers/{peer}/accept", response_model=Peer)
def accept(
    peer: str, body: FingerprintIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> Peer:
    """Accept a proposed peer by the fingerprint compared with its operator."""
    return node.federation.accept(principal, ctx, peer, body.fingerprint)


@router.post("/peers/{peer}/rotate", response_model=Peer)
def rotate(
    peer: str, body: dict[str, str], principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> Peer:
    """Record a peer's new descriptor; the old one stays in use until confirmed."""
    return node.federation.rotate_keys(principal, ctx, peer, json.dumps(body))


@router.post("/peers/{peer}/accept-keys", response_model=Peer)
def accept_keys(
    peer: str, body: FingerprintIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> Peer:
    """Confirm a peer's new descriptor by its fingerprint."""
    return node.federation.accept_keys(principal, ctx, peer, body.fingerprint)


@router.post("/peers/{peer}/discard-keys", response_model=Peer)
def discard_keys(
    peer: str, body: ReasonIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> Peer:
    """Drop a peer's proposed descriptor."""
    return node.federation.discard_keys(principal, ctx, peer, reason=body.reason)


@router.post("/peers/{peer}/revoke", response_model=Peer)
def revoke(
    peer: str, body: ReasonIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> Peer:
    """End a peering for good."""
    return node.federation.revoke(principal, ctx, peer, reason=body.reason)


@router.put("/peers/{peer}/agreements", response_model=Peer)
def set_agreements(
    peer: str, body: AgreementsIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> Peer:
    """The agreements (in force, with the peer's nation a party) exchange happens under."""
    return node.federation.set_agreements(principal, ctx, peer, body.agreements)


@router.put("/peers/{peer}/receiving-project", response_model=Peer)
def set_receiving_project(
    peer: str, body: ReceivingProjectIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> Peer:
    """The local project what the peer releases here becomes artifacts of (a security
    officer of the operating organisation who did not record the peer)."""
    return node.federation.set_receiving_project(principal, ctx, peer, body.project)


@router.put("/peers/{peer}/recipient", response_model=Peer)
def set_recipient(
    peer: str, body: RecipientIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> Peer:
    """Which organisation receives what is released to the peer, and to which level the
    node is accredited (a security officer who did not record the peer)."""
    return node.federation.set_recipient(
        principal, ctx, peer, organisation=body.organisation, accredited=body.accredited
    )


@router.get("/peers/{peer}/preview", response_model=ReleasePreview)
def preview(
    peer: str,
    principal: CurrentPrincipal,
    node: NodeDep,
    after: str | None = Query(default=None, max_length=36),
    limit: int = Query(default=200, ge=1, le=500),
) -> ReleasePreview:
    """What the peer would receive of what you may see, and why not the rest (a dry run:
    nothing is sent)."""
    return node.federation.preview(principal, peer, after=after, limit=limit)


@router.get("/links", response_model=list[LinkStatus])
def links(principal: CurrentPrincipal, node: NodeDep) -> list[LinkStatus]:
    """How the link to each peer is doing: last sync, failures and why, next attempt."""
    return node.federation_sync.links(principal)


@router.post("/peers/{peer}/sync", response_model=LinkStatus)
def sync(peer: str, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep) -> LinkStatus:
    """Sync with a peer now (a signed hello, then its cosignature of our checkpoint)."""
    return node.federation_sync.sync_now(principal, ctx, peer)


@router.post("/peers/{peer}/releases", status_code=201, response_model=SentRelease)
def release(
    peer: str, body: ReleaseIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> SentRelease:
    """Release an artifact to a peer (the originating organisation's security officer;
    the policy must permit it for the node). It waits in the outbox until the peer pulls."""
    return node.federation_releases.send(
        principal, ctx, peer, body.artifact_id, key_mode=body.key_mode
    )


@router.post("/received/{item_id}/open", response_model=OpenedSplit)
def open_split(
    item_id: str, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> OpenedSplit:
    """The first open of a split-mode item a peer released here: obtain its originating
    node's key split (a signed request), open and verify it, and make it an artifact of
    the peering's receiving project. Refused (403, ``split_refused``, the originator's
    reason in words) if the release was recalled or may no longer go."""
    return node.federation_releases.open_split(principal, ctx, item_id)


@router.get("/received", response_model=list[CheckedItem])
def received(principal: CurrentPrincipal, node: NodeDep) -> list[CheckedItem]:
    """What peers released to this node, verified, with provenance (newest first), and
    where each item's release proof stands: ``proved`` (at a checkpoint of the originator's
    log this node cosigned), ``pending`` or ``refused`` (hidden: listed to the console and
    security officers only, with the reason)."""
    return node.federation_received.list(principal)


@router.post("/peers/{peer}/recalls", status_code=201, response_model=Recall)
def recall(
    peer: str, body: RecallIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> Recall:
    """Recall what was released of an artifact to a peer (the originating organisation's
    security officer, or this node's): the peer hides it on its next pull and confirms."""
    return node.federation_releases.recalls.recall(
        principal, ctx, peer, body.artifact_id, reason=body.reason, detail=body.detail
    )


@router.get("/recalls", response_model=list[Recall])
def recalls(
    principal: CurrentPrincipal,
    node: NodeDep,
    peer: str | None = Query(default=None, max_length=120),
) -> list[Recall]:
    """Recalls this node sent and received, newest first, with their confirmation."""
    return node.federation_releases.recalls.recalls(principal, peer=peer)


@router.post("/received/{item_id}/re-release-requests", status_code=201, response_model=ReRelease)
def request_re_release(
    item_id: str,
    body: ReReleaseRequestIn,
    principal: CurrentPrincipal,
    node: NodeDep,
    ctx: CtxDep,
) -> ReRelease:
    """Ask a received item's originating node to release it to a third nation (a security
    officer of the organisation receiving its releases). It is sent at once, or on the
    next sync when the originator cannot be reached."""
    return node.federation_releases.re_releases.request(
        principal,
        ctx,
        item_id,
        nation=body.nation,
        peer=body.peer,
        justification=body.justification,
    )


@router.get("/re-release-requests", response_model=list[ReRelease])
def re_release_requests(
    principal: CurrentPrincipal,
    node: NodeDep,
    status: str | None = Query(default=None, max_length=16),
) -> list[ReRelease]:
    """Re-release requests sent and received, newest first (only those about what you
    may see); a received request's asker is as the asking node states it."""
    return node.federation_releases.re_releases.requests(principal, status=status)


@router.post("/re-release-requests/{request_id}/decision", response_model=ReRelease)
def decide_re_release(
    request_id: str,
    body: ReReleaseDecisionIn,
    principal: CurrentPrincipal,
    node: NodeDep,
    ctx: CtxDep,
) -> ReRelease:
    """Decide a peer's re-release request (the originating organisation's security
    officer): approving releases the item to the third node if the policy permits it
    (else the policy's reasons, and the request stays pending); refusing says why."""
    return node.federation_releases.re_releases.decide(
        principal, ctx, request_id, approve=body.approve, reason=body.reason
    )
