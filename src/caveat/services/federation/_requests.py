"""Signed requests between nodes: who a partner's request comes from, or why it is
refused (issue 18, ADR 0019).

A request is a peer's when the key id it names is an active peer's node id, its RFC 9421
signature verifies with that peer's key, it was signed for this node (``Caveat-To``), its
body matches the signed digest, it is inside its validity window by this node's clock
and its nonce is new. Anything else is refused with one answer for every reason (the
caller learns only "refused"), while this node's ledger keeps the reason. A refusal after
the peer's signature verified raises an alert: a replay, a request signed for another
node or a body changed under a partner's own signature is what a compromised partner
looks like. Before it verifies, the caller is a stranger (node ids are public).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError as RowExists

from caveat.adapters.db.models.federation import PeerNonceRow, PeerRow
from caveat.adapters.federation_signatures import (
    SignatureParams,
    SignatureRefused,
    signature_params,
    verify_request,
)
from caveat.domain.errors import AuthenticationFailed
from caveat.domain.events import Actor, Outcome
from caveat.domain.federation import PeerStatus
from caveat.domain.federation_requests import (
    AUDIENCE_HEADER,
    CLOCK_SKEW,
    Refusal,
    digest_matches,
    window_refusal,
)
from caveat.domain.throttle import DenialFolding
from caveat.services.kernel.uow import CallContext, UnitOfWork, UnitOfWorkFactory
from caveat.services.ledger import MonitoringService

_SPEAKING = (PeerStatus.ACTIVE.value, PeerStatus.ROTATING.value)  # rotating: old keys in use
REFUSALS_RECORDED_PER_MINUTE = 10  # per peer, and for all unknown callers together
_UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """A request as it arrived: method, the URL it was sent to, its header lines, body."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True, slots=True)
class PeerCaller:
    """The partner node a request verifiably came from."""

    peer_id: str
    node_id: str
    name: str
    nation: str
    organisation: str

    def actor(self) -> Actor:
        """The peer as the actor of events its requests cause."""
        return Actor.system(f"peer:{self.name}")


class _Refused(Exception):
    def __init__(self, refusal: Refusal, detail: str, peer: PeerRow | None) -> None:
        super().__init__(detail)
        self.refusal, self.detail = refusal, detail
        self.peer_id = None if peer is None else peer.id
        self.peer_name = None if peer is None else peer.name


class PeerRequests:
    """Authenticates requests from partner nodes."""

    def __init__(self, *, uow: UnitOfWorkFactory, monitoring: MonitoringService) -> None:
        self._uow = uow
        self._monitoring = monitoring
        # Anyone can send refused requests: past a budget they are counted, not written.
        self._denials = DenialFolding(per_minute=REFUSALS_RECORDED_PER_MINUTE)

    def authenticate(self, ctx: CallContext, request: SignedRequest) -> PeerCaller:
        """The peer ``request`` is from, its nonce spent; else AuthenticationFailed."""
        claimed = "?"
        try:
            params = signature_params(request.headers)
            claimed = params.key_id
            with self._uow(ctx) as uow:
                row = self._check(uow, request, params)
                return PeerCaller(row.id, row.node_id, row.name, row.nation, row.organisation)
        except SignatureRefused as exc:
            refused = _Refused(exc.refusal, str(exc), None)
        except _Refused as exc:
            refused = exc
        self._record(ctx, request, claimed, refused)
        raise AuthenticationFailed("the request was refused", code="peer_request_refused") from None

    def _check(self, uow: UnitOfWork, request: SignedRequest, params: SignatureParams) -> PeerRow:
        session = uow.session
        row = session.scalar(select(PeerRow).where(PeerRow.node_id == params.key_id))
        if row is None:
            raise _Refused(Refusal.UNKNOWN_PEER, "no peer has this node id", None)
        # Until the signature verifies, the caller is a stranger using a peer's node id
        # (node ids are in descriptors): its refusals spend the strangers' budget and
        # raise no alert naming the peer, so nobody can drown a partner's real refusals.
        if row.status not in _SPEAKING:
            raise _Refused(Refusal.PEER_NOT_ACTIVE, f"the peering is {row.status}", None)
        try:
            signed = verify_request(
                request.method,
                request.url,
                request.headers,
                key_id=row.node_id,
                key=Ed25519PublicKey.from_public_bytes(base64.b64decode(row.signing_key)),
            )
        except SignatureRefused as exc:
            raise _Refused(exc.refusal, str(exc), None) from exc
        if signed.get(AUDIENCE_HEADER) != uow.node_id:
            raise _Refused(Refusal.WRONG_AUDIENCE, "signed for another node", row)
        if not digest_matches(signed.get("content-digest"), request.body):
            raise _Refused(Refusal.DIGEST_MISMATCH, "the body is not the one signed", row)
        late = window_refusal(params.created, params.expires, uow.now)
        if late is not None:
            raise _Refused(late, f"signed {params.created:%Y-%m-%dT%H:%M:%SZ}", row)
        self._spend(uow, row, params.nonce, params.expires)
        return row

    def _spend(self, uow: UnitOfWork, row: PeerRow, nonce: str, expires: datetime) -> None:
        """Keep the nonce until the signature could no longer be accepted anyway."""
        session = uow.session
        session.execute(
            delete(PeerNonceRow).where(
                PeerNonceRow.peer_id == row.id, PeerNonceRow.expires_at < uow.now - CLOCK_SKEW
            )
        )
        if session.get(PeerNonceRow, (row.id, nonce)) is not None:
            raise _Refused(Refusal.REPLAY, "the nonce was used before", row)
        session.add(PeerNonceRow(peer_id=row.id, nonce=nonce, expires_at=expires))
        try:
            session.flush()
        except RowExists as exc:  # the same request, at the same moment, on another worker
            raise _Refused(Refusal.REPLAY, "the nonce was used before", row) from exc

    def _record(
        self, ctx: CallContext, request: SignedRequest, claimed: str, refused: _Refused
    ) -> None:
        """The refusal in this node's ledger; a known peer's failure is also an alert."""
        folded = self._denials.admit(refused.peer_id or _UNKNOWN, self._uow.clock())
        if folded is None:
            return
        data: dict[str, str | int] = {
            "folded": folded,
            "refusal": refused.refusal.value,
            "detail": refused.detail[:200],
            "key_id": claimed[:64],
            "method": request.method[:10],
            "path": _path(request.url)[:200],
        }
        with self._uow(ctx) as uow:
            uow.record(
                "peer.request_refused",
                Actor.anonymous(),
                target_id=refused.peer_id or claimed[:64],
                outcome=Outcome.DENIED,
                data=data,
            )
            if refused.peer_id is not None:
                self._monitoring.raise_within(
                    uow,
                    rule="peer_request_refused",
                    severity="critical",
                    subject_id=refused.peer_id,
                    subject_name=refused.peer_name,
                    summary=f"a request from peer {refused.peer_name} was refused: "
                    f"{refused.refusal.value}",
                    data=data,
                )


def _path(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path


def header_lines(items: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """Header lines as a tuple (what :class:`SignedRequest` keeps)."""
    return tuple((name, value) for name, value in items)
