"""The protocol partner nodes speak to this one (``/federation/v1``, issue 18, ADR 0019).

Nothing here takes a person's session or token: every request is signed by a peer's
federation key (RFC 9421), and the caller is the peer the signature proves. A refused
request answers 401 with one body whatever the reason; the reason is in this node's
ledger.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from caveat.api.background import while_serving
from caveat.api.deps import CtxDep, NodeDep
from caveat.domain.artifacts import ContentTooLarge
from caveat.services.federation import (
    OUTBOX_FRAMES_MEDIA_TYPE,
    OUTBOX_FRAMES_PATH,
    PROTOCOL_ROOT,
    PULL_BATCH,
    V1_PULL_BATCH,
    PeerCaller,
    SignedRequest,
    header_lines,
    outbox_body,
    outbox_frame_parts,
)

# Syncs with peers run for as long as the app serves (CAVEAT_FEDERATION_SYNC_SECONDS).
router = APIRouter(
    prefix=PROTOCOL_ROOT,
    tags=["federation protocol"],
    lifespan=while_serving(lambda app: app.state.node.federation_worker),
)


MAX_PROTOCOL_BODY = 64 << 10  # the protocol's requests carry small documents at most


async def _body(request: Request) -> bytes:
    """The body, read only for a request that carries a signature and at most
    MAX_PROTOCOL_BODY of it: nobody makes this node buffer data before it knows who
    is asking (an unsigned request is refused by the signature check, unread)."""
    if "signature-input" not in request.headers:
        return b""
    declared = request.headers.get("content-length", "0")
    if not declared.isdigit() or int(declared) > MAX_PROTOCOL_BODY:
        raise ContentTooLarge(
            f"a federation request body is at most {MAX_PROTOCOL_BODY} bytes",
            code="content_too_large",
        )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_PROTOCOL_BODY:
            raise ContentTooLarge(
                f"a federation request body is at most {MAX_PROTOCOL_BODY} bytes",
                code="content_too_large",
            )
    return bytes(body)


def signed_peer(
    request: Request, node: NodeDep, ctx: CtxDep, body: Annotated[bytes, Depends(_body)]
) -> PeerCaller:
    """The peer that signed this request (else 401, ``peer_request_refused``)."""
    signed = SignedRequest(
        method=request.method,
        url=str(request.url),
        headers=header_lines(request.headers.items()),
        body=body,
    )
    return node.federation.requests.authenticate(ctx, signed)


SignedPeer = Annotated[PeerCaller, Depends(signed_peer)]


class HelloOut(BaseModel):
    """Who answers: this node's id and name, the name it knows the caller by, and its
    ledger's latest checkpoint (a C2SP signed note)."""

    node_id: str
    name: str
    you_are: str
    checkpoint: str


@router.get("/hello")
def hello(peer: SignedPeer, node: NodeDep) -> HelloOut:
    """A peer asks who this node is (and proves the peering works both ways)."""
    return HelloOut(
        node_id=node.uow.node_id,
        name=node.identity.name,
        you_are=peer.name,
        checkpoint=node.ledger.require_checkpoint().note,  # as GET /checkpoint answers
    )


class OutboxItemOut(BaseModel):
    """A sealed package: its place in the outbox, its bytes (base64) and their SHA-256."""

    seq: int
    # or recall / re_release_decision: a statement signed by this node
    kind: str = "package"
    package: str
    sha256: str


class OutboxOut(BaseModel):
    """A batch of the outbox after the caller's cursor; ``next`` is the last seq given."""

    items: list[OutboxItemOut]
    next: int | None


@router.get("/outbox", response_model=OutboxOut)
def outbox(
    peer: SignedPeer,
    node: NodeDep,
    after: int = Query(default=0, ge=0, le=2**63 - 1),
    limit: int = Query(default=V1_PULL_BATCH, ge=1, le=PULL_BATCH),
) -> Response:
    """What waits for the calling peer after its cursor: sealed packages, in order (a
    page of up to 64; peers of the first release ask for 8). The answer is written
    once, as ``OutboxOut`` documents it: a page may carry a 64 MiB package in base64,
    which validating and serialising again would copy several times over."""
    page = outbox_body(node.federation_releases.outbox(peer, after=after, limit=limit))
    return _in_pieces([page], "application/json")


@router.get(
    OUTBOX_FRAMES_PATH,
    response_class=Response,
    responses={
        200: {
            "description": "The outbox page as binary frames",
            "content": {
                OUTBOX_FRAMES_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
def outbox_in_frames(
    peer: SignedPeer,
    node: NodeDep,
    after: int = Query(default=0, ge=0, le=2**63 - 1),
    limit: int = Query(default=V1_PULL_BATCH, ge=1, le=PULL_BATCH),
) -> Response:
    """The same page as ``/outbox``, as binary frames (ADR 0019, "Outbox in binary"):
    ``caveat-outbox/2`` and a newline, then for each entry its seq (8 bytes), kind
    (1 byte: 0 package, 1 recall, 2 re_release_decision), length (8 bytes, all
    big-endian) and bytes. No base64 and no JSON around a package of up to 64 MiB."""
    page = node.federation_releases.outbox(peer, after=after, limit=limit)
    return _in_pieces(outbox_frame_parts(page), OUTBOX_FRAMES_MEDIA_TYPE)


ANSWER_PIECE = 1 << 20


def _in_pieces(parts: list[bytes], media_type: str) -> Response:
    """A page of up to 64 MiB sent a MiB at a time, with its length: handed to the
    server whole, TLS took it at half the speed (measured, ADR 0019 addendum). Its
    parts (a package's bytes, the frames around them) go into the pieces as they are:
    the page is never first joined into one more copy."""

    async def pieces() -> AsyncIterator[bytes]:
        for piece in in_pieces(parts, ANSWER_PIECE):
            yield piece

    length = sum(len(part) for part in parts)
    return StreamingResponse(
        pieces(), media_type=media_type, headers={"content-length": str(length)}
    )


def in_pieces(parts: list[bytes], size: int) -> Iterator[bytes]:
    """The bytes of ``parts`` in order, in pieces of ``size`` (the last one shorter):
    small parts gathered into a piece, a large one sliced."""
    assert size > 0
    gathered: list[memoryview] = []
    room = size
    for part in parts:
        view = memoryview(part)
        while view:
            taken = view[:room]
            gathered.append(taken)
            room -= len(taken)
            view = view[len(taken) :]
            if not room:
                yield b"".join(gathered)
                gathered, room = [], size
    if gathered:
        yield b"".join(gathered)


class RecallConfirmationsOut(BaseModel):
    """The recalls this node sent the caller that it now holds confirmed."""

    confirmed: list[str]


@router.post("/recalls/confirmations")
def confirm_recalls(
    peer: SignedPeer, node: NodeDep, ctx: CtxDep, body: Annotated[bytes, Depends(_body)]
) -> RecallConfirmationsOut:
    """The calling peer confirms it acted on recalls this node sent it (the signed body:
    ``{confirmations: [{recall_id, outcome, hidden}]}``)."""
    known = node.federation_releases.recalls.confirm(peer, ctx, body)
    return RecallConfirmationsOut(confirmed=known)


class ReReleaseTakenOut(BaseModel):
    """The re-release request this node holds under the caller's id, and where it stands."""

    request_id: str
    status: str


@router.post("/re-release-requests")
def re_release_request(
    peer: SignedPeer, node: NodeDep, ctx: CtxDep, body: Annotated[bytes, Depends(_body)]
) -> ReReleaseTakenOut:
    """The calling peer asks this node to release an artifact it originated, and released
    to the caller, to a third nation (the signed body: ``{request_id, resource_id, nation,
    peer, justification, requested_by, requested_at}``); kept pending for its officers.
    The same request again answers the same."""
    request_id, status = node.federation_releases.re_releases.receive(peer, ctx, body)
    return ReReleaseTakenOut(request_id=request_id, status=status)


class SplitOut(BaseModel):
    """This node's key split of a split-mode release (``split``: wrapped for the caller's
    key, ``ec-wrapped``), or why not (``code`` and ``reason`` in words; HTTP 403)."""

    granted: bool
    split: dict[str, str] | None = None
    code: str | None = None
    reason: str | None = None


@router.post("/splits/{release}", response_model=SplitOut, response_model_exclude_none=True)
def split(
    release: Annotated[str, Path(max_length=36)],
    peer: SignedPeer,
    node: NodeDep,
    ctx: CtxDep,
) -> Response:
    """The calling peer asks for this node's split of a split-mode release it was sent
    (``release``: the package's policy uuid), before its first open. Given only to the
    peer it was released to, while the release is not recalled, the peering is in
    force and the policy still permits it; a grant or a refusal is in both ledgers."""
    answer = node.federation_releases.splits.answer(peer, ctx, release)
    body = SplitOut.model_validate(answer.to_json()).model_dump_json(exclude_none=True)
    return Response(body, status_code=200 if answer.granted else 403, media_type="application/json")


class ReleaseProofOut(BaseModel):
    """One asked seq: ``proved`` (the release event's canonical body, its leaf index and
    inclusion path in the tree of ``size`` leaves, the caller's latest cosigned size),
    ``pending`` (not integrated or not cosigned yet) or ``unknown`` (nothing released to
    the caller at that seq)."""

    seq: int
    status: str
    entry: str | None = None
    index: int | None = None
    size: int | None = None
    proof: list[str] | None = None


class ReleaseProofsOut(BaseModel):
    proofs: list[ReleaseProofOut]


@router.post("/release-proofs", response_model_exclude_none=True)
def release_proofs(
    peer: SignedPeer, node: NodeDep, body: Annotated[bytes, Depends(_body)]
) -> ReleaseProofsOut:
    """The calling peer asks for the inclusion proofs of the release events of what this
    node released to it (the signed body: ``{seqs: [int]}``, at most 100)."""
    answers = node.federation_proofs.answer(peer, body)
    return ReleaseProofsOut.model_validate({"proofs": answers})
