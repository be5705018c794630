"""The event catalog: every state change Caveat makes is one of these, versioned.

An event's canonical bytes (RFC 8785 JSON of :meth:`Event.document`) are what the
tamper-evident ledger hashes as a leaf, so the document must be complete on its own:
who did what to which target, with what outcome, when, in which request and on which
node. Changing an event type's fields means a new ``version``, never an edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import rfc8785

from caveat.domain.errors import InvalidInput

EVENT_SCHEMA = "caveat.event/1"


class Outcome(StrEnum):
    """How the action ended: done, refused by policy, or failed (bad credentials, error)."""

    SUCCESS = "success"
    DENIED = "denied"
    FAILURE = "failure"


class ActorKind(StrEnum):
    """Who acted: a signed-in person, the node itself (CLI, migrations), or nobody yet."""

    PERSON = "person"
    SYSTEM = "system"
    ANONYMOUS = "anonymous"


@dataclass(frozen=True, slots=True)
class EventType:
    """One entry of the catalog: a dotted name, its version and what it records."""

    name: str
    version: int
    target_type: str
    description: str


_TYPES = [
    EventType("node.initialised", 1, "node", "a node was created with its signing key"),
    EventType("org.created", 1, "organisation", "an organisation was registered"),
    EventType("group.created", 1, "group", "a custom group of nations was created"),
    EventType("person.created", 1, "person", "an account was created with MFA enrolled"),
    EventType("person.suspended", 1, "person", "an account was suspended"),
    EventType("person.reactivated", 1, "person", "a suspended account was reactivated"),
    EventType("person.unlocked", 1, "person", "an operator lifted a login lockout"),
    EventType("person.mfa_reset", 1, "person", "an operator issued a new TOTP secret"),
    EventType("person.password_changed", 1, "person", "a password was changed"),
    EventType("auth.login", 1, "person", "a sign-in attempt (success or failure)"),
    EventType("auth.locked", 1, "person", "repeated failures locked an account"),
    EventType("auth.address_locked", 1, "address", "repeated failures throttled a client"),
    EventType("auth.address_unlocked", 1, "address", "an operator lifted an address throttle"),
    EventType("auth.logout", 1, "session", "a session ended at the person's request"),
    EventType("auth.sessions_revoked", 1, "person", "every session of a person was revoked"),
    EventType("auth.recovery_code_used", 1, "person", "a recovery code replaced a TOTP code"),
    EventType("auth.recovery_codes_issued", 1, "person", "a new set of recovery codes"),
    EventType("auth.totp_enrolled", 1, "person", "a new TOTP secret was confirmed"),
    EventType("token.created", 1, "api_token", "an API token was issued"),
    EventType("token.revoked", 1, "api_token", "an API token was revoked"),
    EventType("ledger.witness_added", 1, "ledger_witness", "a partner was asked to witness us"),
    EventType("ledger.log_trusted", 1, "witnessed_log", "this node agreed to witness a log"),
    EventType("ledger.cosigned", 1, "checkpoint", "a witness cosigned one of our checkpoints"),
    EventType(
        "ledger.checkpoint_witnessed",
        1,
        "witnessed_log",
        "this node cosigned (or, denied, refused) a partner log's checkpoint",
    ),
    EventType("audit.exported", 1, "audit_export", "events or the ledger were exported"),
    EventType("alert.raised", 1, "alert", "conduct monitoring raised an alert"),
    EventType("alert.acknowledged", 1, "alert", "a security officer acknowledged an alert"),
]

CATALOG: dict[str, EventType] = {t.name: t for t in _TYPES}


def event_type(name: str) -> EventType:
    """The catalog entry called ``name``; unknown names are a programming error."""
    try:
        return CATALOG[name]
    except KeyError:
        raise InvalidInput(f"unknown event type {name!r}", code="unknown_event_type") from None


@dataclass(frozen=True, slots=True)
class Actor:
    """Who performed an action."""

    kind: ActorKind
    id: str | None = None
    name: str | None = None

    @classmethod
    def system(cls, name: str = "caveat") -> Actor:
        """The node itself acting (CLI administration, initialisation)."""
        return cls(ActorKind.SYSTEM, None, name)

    @classmethod
    def anonymous(cls) -> Actor:
        """Nobody signed in yet (a login attempt)."""
        return cls(ActorKind.ANONYMOUS)


@dataclass(frozen=True, slots=True)
class Event:
    """One immutable record of an action, ready to be hashed into the ledger."""

    id: str
    type: EventType
    actor: Actor
    target_id: str | None
    outcome: Outcome
    occurred_at: datetime
    request_id: str | None
    node_id: str
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None:
            raise InvalidInput("event time must be timezone-aware", code="naive_time")

    def document(self) -> dict[str, Any]:
        """The complete JSON document of the event (what the ledger commits to)."""
        return {
            "schema": EVENT_SCHEMA,
            "id": self.id,
            "type": self.type.name,
            "type_version": self.type.version,
            "actor": {"kind": self.actor.kind.value, "id": self.actor.id, "name": self.actor.name},
            "target": {"type": self.type.target_type, "id": self.target_id},
            "outcome": self.outcome.value,
            "occurred_at": self.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "request_id": self.request_id,
            "node_id": self.node_id,
            "data": self.data,
        }

    def canonical_bytes(self) -> bytes:
        """RFC 8785 canonical JSON of :meth:`document`: the ledger leaf input."""
        return bytes(rfc8785.dumps(self.document()))
