"""Re-release between nodes (issue 18, ADR 0019): a node never widens what it received.

Releasing a received item to a third nation is a request that travels back to the
originating node and is decided there. The request travels in a signed protocol request
(RFC 9421 over its body): what it asks is checked here. The decision travels back in the
originator's outbox as a statement signed with its federation key (RFC 8785 canonical
JSON, Ed25519), believed by the requesting node only under that key, only for a request
it made, and only if it names it as the recipient."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from caveat.domain.errors import IntegrityError, InvalidInput
from caveat.domain.signed_statements import require_addressed, seal, unseal

STATEMENT = "caveat.re-release-decision/1"
MAX_TEXT = 500  # a justification or a refusal's reason
MAX_PEER = 120  # a peer's name (as the originating node knows it)
MAX_NAME = 200  # the requesting officer's name (as the requesting node states it)
_NATION = re.compile(r"^[A-Z]{3}$")


class ReReleaseStatus(StrEnum):
    """Where a re-release request stands."""

    PENDING = "pending"  # waiting for the originating node's officer
    APPROVED = "approved"  # the originating node released the item to the third node
    REFUSED = "refused"  # its officer refused, with a reason
    REJECTED = "rejected"  # the originating node refused the request itself (not sent...)


class Decision(StrEnum):
    """What the originating node's officer decided."""

    APPROVED = "approved"
    REFUSED = "refused"


def clean_text(value: str, *, field: str, limit: int = MAX_TEXT, required: bool = True) -> str:
    """One line of text, at most ``limit`` characters (required unless said)."""
    text = " ".join(value.split())
    if len(text) > limit:
        raise InvalidInput(
            f"the {field} is at most {limit} characters",
            code="invalid_re_release_request",
            field=field,
        )
    if required and not text:
        raise InvalidInput(
            f"a re-release request's {field} is required",
            code="invalid_re_release_request",
            field=field,
        )
    return text


def require_nation(value: str) -> str:
    """A nation code (ISO 3166-1 alpha-3, upper case)."""
    nation = value.strip().upper()
    if not _NATION.match(nation):
        raise InvalidInput(
            "the third nation is an ISO 3166-1 alpha-3 code (FRA, AUS, ...)",
            code="invalid_re_release_request",
            field="nation",
        )
    return nation


@dataclass(frozen=True, slots=True)
class ReReleaseAsk:
    """What the requesting node asks the originating node (the protocol request's body)."""

    request_id: str
    resource_id: str  # the artifact on the originating node
    nation: str  # the third nation
    peer: str  # the third node's name as the originating node knows it ('' = any)
    justification: str
    requested_by: str  # the requesting officer's name, as the requesting node states it
    requested_at: datetime  # by the requesting node's clock

    def to_json(self) -> dict[str, str]:
        return {
            "request_id": self.request_id,
            "resource_id": self.resource_id,
            "nation": self.nation,
            "peer": self.peer,
            "justification": self.justification,
            "requested_by": self.requested_by,
            "requested_at": self.requested_at.isoformat(),
        }

    def to_body(self) -> bytes:
        return rfc8785.dumps(self.to_json())


def read_ask(body: bytes) -> ReReleaseAsk:
    """A request's body, checked field by field (``invalid_re_release_request``)."""
    try:
        value = json.loads(body)
        if not isinstance(value, dict) or set(value) != set(_ASK_FIELDS):
            raise ValueError("fields")
        if not all(isinstance(value[k], str) for k in _ASK_FIELDS):
            raise ValueError("types")
        requested_at = datetime.fromisoformat(value["requested_at"])
        if requested_at.tzinfo is None:
            raise ValueError("time zone")
        return ReReleaseAsk(
            request_id=str(uuid.UUID(value["request_id"])),
            resource_id=str(uuid.UUID(value["resource_id"])),
            nation=require_nation(value["nation"]),
            peer=clean_text(value["peer"], field="peer", limit=MAX_PEER, required=False),
            justification=clean_text(value["justification"], field="justification"),
            requested_by=clean_text(value["requested_by"], field="requested_by", limit=MAX_NAME),
            requested_at=requested_at,
        )
    except InvalidInput:
        raise
    except (ValueError, KeyError, TypeError, RecursionError):
        raise InvalidInput(
            "a re-release request is {request_id, resource_id, nation, peer, justification, "
            "requested_by, requested_at}",
            code="invalid_re_release_request",
        ) from None


_ASK_FIELDS = (
    "request_id",
    "resource_id",
    "nation",
    "peer",
    "justification",
    "requested_by",
    "requested_at",
)


@dataclass(frozen=True, slots=True)
class DecisionStatement:
    """What the originating node signs when it decides a re-release request."""

    request_id: str
    origin_node_id: str  # the node that decided (the item's originating node)
    to_node_id: str  # the node that asked
    resource_id: str  # the artifact on the originating node
    decision: Decision
    reason: str  # a refusal's reason ('' for an approval)
    decided_at: datetime

    def to_json(self) -> dict[str, str]:
        return {
            "statement": STATEMENT,
            "request_id": self.request_id,
            "origin_node_id": self.origin_node_id,
            "to_node_id": self.to_node_id,
            "resource_id": self.resource_id,
            "decision": self.decision.value,
            "reason": self.reason,
            "decided_at": self.decided_at.isoformat(),
        }


def sign_decision(statement: DecisionStatement, key: Ed25519PrivateKey) -> bytes:
    """The outbox entry's bytes: the statement and its signature over the canonical form."""
    return seal("decision", statement.to_json(), key)


def open_decision(data: bytes, key: Ed25519PublicKey, *, origin: str, to: str) -> DecisionStatement:
    """A decision statement, believed only if ``key`` (the sending peer's) signed it and
    it names the sending peer ``origin`` as the deciding node and this node ``to`` as the
    one that asked; ``peer_re_release_invalid`` otherwise."""
    body = unseal(
        data, key, kind="decision", statement=STATEMENT, fields=_DECISION_FIELDS, refuse=_invalid
    )
    try:
        statement = DecisionStatement(
            request_id=str(uuid.UUID(body["request_id"])),
            origin_node_id=body["origin_node_id"],
            to_node_id=body["to_node_id"],
            resource_id=str(uuid.UUID(body["resource_id"])),
            decision=Decision(body["decision"]),
            reason=body["reason"][:MAX_TEXT],
            decided_at=datetime.fromisoformat(body["decided_at"]),
        )
    except ValueError:
        raise _invalid("the decision is malformed") from None
    require_addressed(
        "decision",
        origin_role="deciding",
        named_origin=statement.origin_node_id,
        origin=origin,
        named_to=statement.to_node_id,
        to=to,
        at=statement.decided_at,
        refuse=_invalid,
    )
    return statement


_DECISION_FIELDS = (
    "statement",
    "request_id",
    "origin_node_id",
    "to_node_id",
    "resource_id",
    "decision",
    "reason",
    "decided_at",
)


def _invalid(detail: str) -> IntegrityError:
    return IntegrityError(detail, code="peer_re_release_invalid")
