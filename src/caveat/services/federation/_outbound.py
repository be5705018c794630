"""Requests this node makes to its peers: signed for exactly one peer, sent once, and
their answers checked before anything is believed (issue 18, ADR 0019)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from caveat.adapters.federation_signatures import sign_request
from caveat.domain.errors import Conflict, IntegrityError, InvalidInput, ServiceUnavailable
from caveat.domain.ledger import (
    CheckpointError,
    NoteVerificationError,
    open_note,
    parse_checkpoint,
    verifier_from_vkey,
)

PROTOCOL_ROOT = "/federation/v1"
HELLO_BYTES = 64 << 10  # a hello answer is a few hundred bytes and a checkpoint


@dataclass(frozen=True, slots=True)
class PeerHello:
    """A peer's answer to ``hello``: who answered and its latest signed checkpoint."""

    node_id: str
    name: str
    you_are: str  # the name the peer knows this node by
    checkpoint: str  # its ledger's latest checkpoint (a C2SP note signed by its log key)
    checkpoint_size: int


@dataclass(frozen=True, slots=True)
class Outbound:
    """What signing a request for a peer needs: this node's id and key, and the time."""

    node_id: str
    key: Ed25519PrivateKey
    now: datetime

    def headers(self, method: str, url: str, body: bytes, *, to: str) -> dict[str, str]:
        """Signed headers for one request to the node ``to`` (a fresh 192-bit nonce)."""
        return sign_request(
            method,
            url,
            body,
            key_id=self.node_id,
            key=self.key,
            audience=to,
            created=self.now,
            nonce=secrets.token_urlsafe(24),
        )


def kas_url(node_id: str) -> str:
    """The key access URL a package names: the receiving node (or, for a key split, the
    originating node), by its id (both sides know it, whatever addresses and proxies are
    in between)."""
    return f"caveat:node:{node_id}"


def url_of(endpoint: str, path: str) -> str:
    """The URL of a protocol path on a peer's endpoint."""
    return f"{endpoint.rstrip('/')}{PROTOCOL_ROOT}{path}"


def answer_json(peer: str, status: int, body: bytes) -> dict[str, Any]:
    """A peer's JSON answer, or the error that says what went wrong with it."""
    if status == 401:
        raise Conflict(
            f"peer {peer} refused this node's request",
            code="peer_refused_request",
            hint="its operators see why in their ledger (a key not yet accepted there, a "
            "clock more than 30 s off, a revoked peering)",
        )
    if status != 200:
        raise ServiceUnavailable(f"peer {peer} answered HTTP {status}", code="peer_unavailable")
    try:
        value = json.loads(body)
    except (ValueError, RecursionError) as exc:  # nesting too deep is a hostile answer too
        raise IntegrityError(f"peer {peer} answered no JSON", code="peer_answer_invalid") from exc
    if not isinstance(value, dict):
        raise IntegrityError(f"peer {peer} answered no object", code="peer_answer_invalid")
    return value


def hello_of(peer: str, node_id: str, log_key: str, value: dict[str, Any]) -> PeerHello:
    """The ``hello`` answer, checked: it must come from the node the peering names, and
    its checkpoint must be signed by that node's log key."""
    fields = {k: value.get(k) for k in ("node_id", "name", "you_are")}
    if not all(isinstance(v, str) for v in fields.values()):
        raise IntegrityError(f"peer {peer} answered a malformed hello", code="peer_answer_invalid")
    if fields["node_id"] != node_id:
        raise IntegrityError(
            f"the node at peer {peer}'s endpoint is {fields['node_id']}, not {node_id}",
            code="peer_answer_invalid",
            hint="another node answers at that address; check the endpoint with its operators",
        )
    checkpoint = value.get("checkpoint")
    if not isinstance(checkpoint, str):
        raise IntegrityError(f"peer {peer} answered no checkpoint", code="peer_answer_invalid")
    try:
        size = parse_checkpoint(open_note(checkpoint, [verifier_from_vkey(log_key)]).text).size
    except (NoteVerificationError, InvalidInput, CheckpointError) as exc:
        raise IntegrityError(
            f"peer {peer}'s checkpoint is not signed by its log key", code="peer_answer_invalid"
        ) from exc
    return PeerHello(
        node_id=node_id,
        name=str(fields["name"]),
        you_are=str(fields["you_are"]),
        checkpoint=checkpoint,
        checkpoint_size=size,
    )
