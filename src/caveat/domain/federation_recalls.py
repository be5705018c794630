"""Recalls between nodes (issue 18, ADR 0019): why a release is recalled, and the signed
statement that carries a recall to the receiving node.

A recall travels in the originator's outbox like a package, and like a package it is
believed only under the originator's signature: the statement (RFC 8785 canonical JSON)
names the originating node, the node it recalls from, the artifact on the originating
node and the reason, and is signed with the originator's federation key (Ed25519). The
receiver checks it names the peer it pulled it from as the originator and itself as the
recipient, so a peer can never recall what another node sent."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from caveat.domain.errors import IntegrityError, InvalidInput
from caveat.domain.signed_statements import require_addressed, seal, unseal

STATEMENT = "caveat.recall/1"
MAX_DETAIL = 500


class RecallReason(StrEnum):
    """Why a release is recalled."""

    MIS_RELEASE = "mis_release"  # it should never have gone
    AGREEMENT_ENDED = "agreement_ended"  # the agreement it went under was suspended or ended
    LICENCE_REVOKED = "licence_revoked"  # the export licence or authorization was revoked
    OTHER = "other"  # the text says why


class RecallOutcome(StrEnum):
    """What a receiving node did with a recall (what its confirmation says)."""

    HIDDEN = "hidden"  # the items it held were hidden from every reader
    NOT_HELD = "not_held"  # it held nothing of the artifact (never received, or refused)
    ALREADY_RECALLED = "already_recalled"  # what it held was hidden by an earlier recall


def require_reason(reason: str, detail: str) -> tuple[RecallReason, str]:
    """A recall's reason and its text (required for ``other``)."""
    try:
        why = RecallReason(reason.strip().lower().replace("-", "_"))
    except ValueError:
        raise InvalidInput(
            f"a recall's reason is one of {', '.join(r.value for r in RecallReason)}",
            code="invalid_recall_reason",
            field="reason",
        ) from None
    text = " ".join(detail.split())
    if len(text) > MAX_DETAIL:
        raise InvalidInput(
            f"a recall's text is at most {MAX_DETAIL} characters",
            code="invalid_recall_reason",
            field="detail",
        )
    if why is RecallReason.OTHER and not text:
        raise InvalidInput(
            "a recall for another reason says which in its text",
            code="invalid_recall_reason",
            field="detail",
        )
    return why, text


@dataclass(frozen=True, slots=True)
class RecallStatement:
    """What the originating node signs when it recalls a release."""

    recall_id: str
    origin_node_id: str  # the node that released the artifact and recalls it
    to_node_id: str  # the node it was released to
    resource_id: str  # the artifact on the originating node
    reason: RecallReason
    detail: str
    recalled_at: datetime

    def to_json(self) -> dict[str, str]:
        return {
            "statement": STATEMENT,
            "recall_id": self.recall_id,
            "origin_node_id": self.origin_node_id,
            "to_node_id": self.to_node_id,
            "resource_id": self.resource_id,
            "reason": self.reason.value,
            "detail": self.detail,
            "recalled_at": self.recalled_at.isoformat(),
        }


def sign_recall(statement: RecallStatement, key: Ed25519PrivateKey) -> bytes:
    """The outbox entry's bytes: the statement and its signature over the canonical form."""
    return seal("recall", statement.to_json(), key)


def open_recall(data: bytes, key: Ed25519PublicKey, *, origin: str, to: str) -> RecallStatement:
    """A recall statement, believed only if ``key`` (the sending peer's) signed it, it
    names the sending peer ``origin`` as the originating node and this node ``to`` as
    the recipient; ``peer_recall_invalid`` otherwise."""
    body = unseal(data, key, kind="recall", statement=STATEMENT, fields=_FIELDS, refuse=_invalid)
    try:
        statement = RecallStatement(
            recall_id=str(uuid.UUID(body["recall_id"])),
            origin_node_id=body["origin_node_id"],
            to_node_id=body["to_node_id"],
            resource_id=str(uuid.UUID(body["resource_id"])),
            reason=RecallReason(body["reason"]),
            detail=body["detail"][:MAX_DETAIL],
            recalled_at=datetime.fromisoformat(body["recalled_at"]),
        )
    except ValueError:
        raise _invalid("the recall is malformed") from None
    require_addressed(
        "recall",
        origin_role="originating",
        named_origin=statement.origin_node_id,
        origin=origin,
        named_to=statement.to_node_id,
        to=to,
        at=statement.recalled_at,
        refuse=_invalid,
    )
    return statement


_FIELDS = (
    "statement",
    "recall_id",
    "origin_node_id",
    "to_node_id",
    "resource_id",
    "reason",
    "detail",
    "recalled_at",
)


def _invalid(detail: str) -> IntegrityError:
    return IntegrityError(detail, code="peer_recall_invalid")
