"""The event catalog: every state change Caveat makes is one of these, versioned.

An event's canonical bytes (RFC 8785 JSON of :meth:`Event.document`) are what the
tamper-evident ledger hashes as a leaf, so the document must be complete on its own:
who did what to which target, with what outcome, when, in which request and on which
node. Changing an event type's fields means a new ``version``, never an edit.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import rfc8785

from caveat.domain.errors import InvalidInput

EVENT_SCHEMA = "caveat.event/1"

# json's C encoder writes exactly RFC 8785's bytes for strings (the same escapes, checked
# for every code point), booleans, null, integers in the safe range, arrays, and objects
# whose keys are plain ASCII strings (so code-point and UTF-16 order agree). Anything else
# (floats, larger integers, other keys, lone surrogates) goes to the reference encoder,
# which also raises its own errors for what RFC 8785 cannot represent.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)
_SAFE_INT = 2**53 - 1
_QUOTE = json.encoder.encode_basestring  # json's own string writer (its C one if built)


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
    EventType(
        "node.organisation_set", 1, "node", "the organisation operating the node was recorded"
    ),
    EventType("org.created", 1, "organisation", "an organisation was registered"),
    EventType("group.created", 1, "group", "a custom group of nations was created"),
    EventType("person.created", 1, "person", "an account was created with MFA enrolled"),
    EventType("person.suspended", 2, "person", "an account was suspended (v2: reason)"),
    EventType(
        "person.updated", 2, "person", "roles, clearance or nationalities changed (v2: reason)"
    ),
    EventType(
        "person.reactivated", 2, "person", "a suspended account was reactivated (v2: reason)"
    ),
    EventType("person.unlocked", 2, "person", "an operator lifted a login lockout (v2: reason)"),
    EventType("person.mfa_reset", 2, "person", "an operator issued a new TOTP secret (v2: reason)"),
    EventType("person.password_changed", 1, "person", "a password was changed"),
    EventType("auth.login", 1, "person", "a sign-in attempt (success or failure)"),
    EventType("auth.locked", 1, "person", "repeated failures locked an account"),
    EventType("auth.address_locked", 1, "address", "repeated failures throttled a client"),
    EventType("auth.address_unlocked", 1, "address", "an operator lifted an address throttle"),
    EventType("auth.logout", 1, "session", "a session ended at the person's request"),
    EventType("auth.step_up", 1, "person", "a second factor proved again inside a session"),
    EventType("auth.sessions_revoked", 1, "person", "every session of a person was revoked"),
    EventType("auth.recovery_code_used", 1, "person", "a recovery code replaced a TOTP code"),
    EventType("auth.recovery_codes_issued", 1, "person", "a new set of recovery codes"),
    EventType("auth.totp_enrolled", 1, "person", "a new TOTP secret was confirmed"),
    EventType("token.created", 1, "api_token", "an API token was issued"),
    EventType("token.revoked", 1, "api_token", "an API token was revoked"),
    EventType("upload.started", 1, "upload", "an artifact upload session was opened"),
    EventType("upload.appended", 1, "upload", "an encrypted part of an upload was stored"),
    EventType("upload.aborted", 1, "upload", "an upload was abandoned and its parts removed"),
    EventType("upload.expired", 1, "upload", "an expired upload session was cleaned up"),
    EventType("artifact.created", 1, "artifact", "an artifact with its first version"),
    EventType("artifact.version_added", 1, "artifact", "a new content version was added"),
    EventType("artifact.relabelled", 2, "artifact", "a new label version was signed (v2: reason)"),
    EventType("artifact.downloaded", 1, "artifact", "content was read (or the read denied)"),
    EventType("artifact.integrity_failed", 1, "artifact", "a binding, key or blob failed a check"),
    EventType("artifact.keys_rewrapped", 1, "artifact", "data keys were rewrapped under the KEK"),
    EventType("artifact.reencrypted", 1, "artifact", "a version's content got a new data key"),
    EventType("kek.rotated", 1, "node", "a new primary key-encryption key was added"),
    EventType("kek.keys_disabled", 1, "node", "old key-encryption keys were disabled"),
    EventType(
        "project.created",
        2,
        "project",
        "a project was created (v2: no programme; see programme.project_added)",
    ),
    EventType("project.member_added", 2, "project", "a person joined a project (v2: role)"),
    EventType("project.member_updated", 1, "project", "a member's role or end date changed"),
    EventType("project.member_removed", 1, "project", "a person left a project"),
    EventType("resource.registered", 1, "resource", "a labelled resource entered the catalogue"),
    EventType("resource.relabelled", 1, "resource", "a catalogued resource got a new label"),
    EventType("resource.grant_added", 1, "resource", "an explicit access or originator grant"),
    EventType("resource.grant_revoked", 1, "resource", "an explicit grant was withdrawn"),
    EventType(
        "person.readon_requested", 1, "person", "an officer asked to read a person on to a caveat"
    ),
    EventType("person.readon_denied", 1, "person", "a second officer denied a read-on"),
    EventType(
        "person.caveat_granted",
        2,
        "person",
        "a person was read on to a caveat (v2: the approved request, who asked, reasons)",
    ),
    EventType("person.caveat_revoked", 2, "person", "a person was read off a caveat (v2: reason)"),
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
    # programmes, agreements and export-control compliance (issue 6, ADR 0008)
    EventType("programme.created", 1, "programme", "a joint programme was created"),
    EventType("programme.project_added", 1, "programme", "a project joined a programme"),
    EventType("programme.participant_set", 1, "programme", "a partner's role or work share"),
    EventType("programme.funding_recorded", 1, "programme", "a funding commitment/contribution"),
    EventType("programme.activity_added", 1, "programme", "a course or exchange placement"),
    EventType("visit.requested", 1, "visit_request", "a foreign national's visit was requested"),
    EventType("visit.decided", 1, "visit_request", "the host's security officer decided a visit"),
    EventType("agreement.created", 1, "agreement", "an agreement was recorded (draft)"),
    EventType("agreement.amended", 1, "agreement", "an agreement got a new version"),
    EventType("agreement.status_changed", 1, "agreement", "in force, suspended, terminated..."),
    EventType("authorization.created", 1, "export_authorization", "an export authorization"),
    EventType("authorization.status_changed", 1, "export_authorization", "suspended/revoked"),
    EventType("screening.list_imported", 1, "screening_list", "a denied-party list was imported"),
    EventType("screening.hit_raised", 1, "screening_hit", "a screening hit holds its subject"),
    EventType("screening.hit_resolved", 1, "screening_hit", "an officer resolved a hit"),
    EventType("embargo.recorded", 1, "embargo", "a dated embargo was recorded"),
    EventType("embargo.lifted", 1, "embargo", "an embargo was given an end date"),
    EventType(
        "release.requested",
        2,
        "release_request",
        "a release to further parties (v2: the exact label and export a loosening relabel "
        "asks for, null for a wider REL TO)",
    ),
    EventType("release.classified", 1, "release_request", "export control classified a release"),
    EventType("release.decided", 1, "release_request", "a release was approved or denied"),
    EventType("export.recorded", 1, "export_record", "an immutable export record was written"),
    EventType("relabel.requested", 1, "relabel_request", "a relabel asked of the originator"),
    EventType("relabel.decided", 1, "relabel_request", "the originator decided a relabel request"),
    EventType("peer.proposed", 1, "peer", "a partner node's descriptor was recorded"),
    EventType("peer.accepted", 1, "peer", "an officer confirmed a peer's fingerprint"),
    EventType("peer.fingerprint_refused", 1, "peer", "a fingerprint did not match the keys"),
    EventType("peer.keys_proposed", 1, "peer", "new keys of a peer wait for confirmation"),
    EventType("peer.keys_accepted", 1, "peer", "a peer's new keys were confirmed and used"),
    EventType("peer.keys_discarded", 1, "peer", "a peer's proposed keys were discarded"),
    EventType("peer.revoked", 1, "peer", "a peering was ended"),
    EventType("peer.agreements_set", 1, "peer", "the agreements a peering is under changed"),
    EventType(
        "peer.recipient_set",
        1,
        "peer",
        "the organisation receiving a peer's releases, or its accreditation, changed",
    ),
    EventType("peer.released", 1, "peer", "an officer put an item in a peer's outbox, packaged"),
    EventType("peer.received", 1, "received", "a peer's package was verified and kept"),
    EventType(
        "peer.ingested",
        1,
        "received",
        "a received item became an artifact of the peering's receiving project",
    ),
    EventType(
        "peer.ingest_failed",
        1,
        "received",
        "a received item could not become a local artifact and stays sealed",
    ),
    EventType(
        "peer.receiving_project_set",
        1,
        "peer",
        "the local project a peer's releases become artifacts of changed",
    ),
    EventType(
        "peer.package_refused", 1, "peer", "a package from a peer failed a check and was refused"
    ),
    EventType(
        "peer.release_withheld",
        1,
        "peer",
        "a queued package was taken out of the outbox: it may no longer go (why)",
    ),
    EventType(
        "peer.recalled",
        1,
        "peer",
        "a release to a peer was recalled (who or which agreement, why); the recall waits "
        "in its outbox",
    ),
    EventType(
        "peer.recall_received",
        1,
        "peer",
        "a peer recalled what it had released here: the items were hidden (or none held)",
    ),
    EventType(
        "peer.recall_confirmed", 1, "peer", "a peer confirmed it acted on a recall sent to it"
    ),
    EventType(
        "peer.split_granted",
        1,
        "peer",
        "this node gave a peer its key split of a split-mode release, on the peer's signed "
        "request (the release stood, the peering and the policy still allowed it)",
    ),
    EventType(
        "peer.split_refused",
        1,
        "peer",
        "this node refused a peer its key split of a split-mode release (recalled, not "
        "released to that peer, or the policy no longer allows it: why)",
    ),
    EventType(
        "peer.split_obtained",
        1,
        "received",
        "the originating node gave this node its split of a received package: opened",
    ),
    EventType(
        "peer.split_denied",
        1,
        "received",
        "the originating node refused its split of a received package, or its split did "
        "not open it: the package stays unopened (why)",
    ),
    EventType(
        "peer.release_proved",
        1,
        "received",
        "a received item's release event was proved in its originator's log, at a "
        "checkpoint this node cosigned",
    ),
    EventType(
        "peer.release_proof_refused",
        1,
        "received",
        "a received item's release proof did not verify, named another entry, or the "
        "originator denied the release: the item is hidden (the artifact made of it "
        "withdrawn) and alerted",
    ),
    EventType(
        "peer.re_release_requested",
        1,
        "peer",
        "an officer asked a received item's originating node to release it to a third nation",
    ),
    EventType(
        "peer.re_release_received",
        1,
        "peer",
        "a peer asked this node to re-release an item it originated to a third nation "
        "(pending; the asking officer as the peer states it)",
    ),
    EventType(
        "peer.re_release_rejected",
        1,
        "peer",
        "a peer asked to re-release an item this node did not release to it: refused",
    ),
    EventType(
        "peer.re_release_throttled",
        1,
        "peer",
        "a peer over this node's limit of re-release requests (pending or in the last hour) "
        "asked again: refused with HTTP 429 and when to ask again",
    ),
    EventType(
        "peer.re_release_decided",
        1,
        "peer",
        "an originating officer approved (released to the third node) or refused a peer's "
        "re-release request; the decision waits in its outbox",
    ),
    EventType(
        "peer.re_release_answered",
        1,
        "peer",
        "the originating node's decision on a re-release request this node made arrived",
    ),
    EventType("peer.link_down", 1, "peer", "syncs with a peer failed three times in a row"),
    EventType("peer.link_up", 1, "peer", "a peer whose link was down synced again"),
    EventType(
        "peer.request_refused",
        1,
        "peer",
        "a request on the federation protocol was refused (why; floods folded into counts)",
    ),
    EventType("taxii.collection_created", 1, "taxii_collection", "a TAXII collection was created"),
    EventType(
        "taxii.objects_added",
        1,
        "taxii_collection",
        "STIX objects were posted to a TAXII collection (the status: added and refused)",
    ),
    EventType(
        "taxii.objects_read",
        1,
        "taxii_collection",
        "a TAXII client read object versions or their manifest (one event per request)",
    ),
    EventType(
        "taxii.object_deleted", 1, "taxii_collection", "versions of a STIX object were deleted"
    ),
    EventType("channel.created", 1, "channel", "a live channel was opened"),
    EventType(
        "channel.published",
        1,
        "channel",
        "messages one person published on a channel since the last such event (count, "
        "first and last event ids, SHA-256 over the messages' hashes): never one per message",
    ),
    EventType(
        "channel.subscribed",
        1,
        "channel",
        "one reader's subscriptions to a channel since the last such event (connections, "
        "messages delivered and withheld, drops as lagging)",
    ),
    EventType(
        "channel.message_rejected",
        1,
        "channel",
        "messages on the channel's broker that failed authentication were dropped (a count)",
    ),
    EventType(
        "taxii.subscription_added",
        1,
        "taxii_subscription",
        "a collection was subscribed to a partner's TAXII collection (never its credentials)",
    ),
    EventType(
        "taxii.subscription_removed",
        1,
        "taxii_subscription",
        "a subscription to a partner's TAXII collection was removed, its credentials erased",
    ),
    EventType(
        "taxii.subscription_polled",
        1,
        "taxii_subscription",
        "a person asked for a poll of a partner's TAXII collection now (whatever its backoff)",
    ),
    EventType(
        "taxii.subscription_ingested",
        1,
        "taxii_subscription",
        "a page of a partner's collection was ingested (one event per page: added, held, refused)",
    ),
    EventType(
        "taxii.subscription_down",
        1,
        "taxii_subscription",
        "polls of a partner's TAXII collection failed three times in a row",
    ),
    EventType(
        "taxii.subscription_up",
        1,
        "taxii_subscription",
        "a partner's TAXII collection that was down was polled again",
    ),
    EventType(
        "proficiency.procedure_created", 1, "procedure", "a test procedure was created (draft v1)"
    ),
    EventType(
        "proficiency.procedure_version_added", 1, "procedure", "a new draft procedure version"
    ),
    EventType(
        "proficiency.procedure_approved",
        1,
        "procedure",
        "a procedure version was approved (the one it supersedes named)",
    ),
    EventType(
        "proficiency.round_opened",
        1,
        "proficiency_round",
        "a proficiency round was opened: laboratories, items, deadline, method choices",
    ),
    EventType(
        "proficiency.results_submitted",
        1,
        "proficiency_round",
        "a laboratory submitted results (one event per form, request or file)",
    ),
    EventType(
        "proficiency.round_closed",
        1,
        "proficiency_round",
        "a round was closed and scored: x_pt, u(x_pt), sigma_pt per item and every score",
    ),
    EventType("proficiency.round_cancelled", 1, "proficiency_round", "a round was cancelled"),
    EventType(
        "discussion.started",
        1,
        "discussion",
        "a discussion was started (project or artifact; the title's and first message's "
        "labels and text hashes, never the text)",
    ),
    EventType(
        "discussion.message_posted",
        1,
        "discussion",
        "a message was posted (its label, the hash of its text, the people it mentions)",
    ),
    EventType(
        "discussion.message_edited",
        1,
        "discussion",
        "a message was edited: a new version, its label no looser, the hash of its text",
    ),
    EventType(
        "proficiency.results_read",
        1,
        "proficiency_round",
        "someone read other laboratories' results of a round (one event per request)",
    ),
    EventType(
        "proficiency.result_replaced",
        1,
        "proficiency_round",
        "a laboratory replaced its result for an item while the round was open (the "
        "replaced revision kept as history)",
    ),
    EventType(
        "proficiency.procedure_declared",
        1,
        "proficiency_round",
        "a laboratory declared which procedure version it follows in a round (flagged when "
        "it is not the round's)",
    ),
    EventType(
        "proficiency.item_check_recorded",
        1,
        "proficiency_round",
        "the coordinator recorded a homogeneity or stability check of a round's items "
        "(ISO 13528 Annex B) and its outcome",
    ),
    EventType(
        "plan.work_package_added",
        1,
        "project",
        "a work package was added to a project's plan (its label, lead, dates, each "
        "partner's effort, and whether an excess over an agreed work share was flagged)",
    ),
    EventType("plan.task_added", 1, "project", "a task was added to a work package"),
    EventType("plan.task_moved", 1, "project", "a task moved in its lifecycle"),
    EventType("plan.milestone_added", 1, "project", "a milestone was added to a work package"),
    EventType("plan.milestone_achieved", 1, "project", "a milestone was marked achieved"),
    EventType(
        "plan.reminders_sent",
        1,
        "node",
        "assignees were told their tasks are due soon or overdue (task, person, due date "
        "and state of each reminder sent in one run)",
    ),
    EventType(
        "mail.sent",
        1,
        "node",
        "notifications were mailed (notification, recipient and kind of each mail handed to "
        "the SMTP server in one run; the mail holds only the kind and a link)",
    ),
    EventType(
        "mail.failed",
        1,
        "node",
        "a notification's mail was given up (its notification, recipient, tries and the "
        "last failure in the node's own words); the notification itself stays in the app",
    ),
    EventType(
        "notification.mail_set",
        1,
        "person",
        "a person turned the mailing of their own notifications on or off",
    ),
    EventType("plan.deliverable_added", 1, "project", "a deliverable was added to a work package"),
    EventType(
        "plan.deliverable_moved",
        1,
        "project",
        "a deliverable was delivered (by an artifact of the project) or cancelled",
    ),
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
        return self.canonical_text().encode("utf-8")

    def canonical_text(self) -> str:
        """:meth:`canonical_bytes` as text (what the events table stores)."""
        text = self._written()
        return text if text is not None else bytes(rfc8785.dumps(self.document())).decode()

    def _written(self) -> str | None:
        """The canonical text written from a template (the document's keys in RFC 8785
        order, strings quoted by json's C encoder, ``data`` by json's encoder), byte for
        byte ``rfc8785.dumps(self.document())`` at a fifth of its cost; None for values
        the template does not cover (the reference encoder then decides)."""
        actor, kind = self.actor, self.type
        fields = (
            actor.id, actor.kind.value, actor.name, self.id, self.node_id,
            self.outcome.value, self.request_id, self.target_id, kind.target_type, kind.name,
        )  # fmt: skip
        for value in fields:
            if value is not None and type(value) is not str:
                return None
        version = kind.version
        if type(version) is not int or not -_SAFE_INT <= version <= _SAFE_INT:
            return None
        data = _plain_json(self.data)
        if data is None:
            return None
        a_id, a_kind, a_name, ident, node, outcome, request, target, target_type, name = [
            "null" if value is None else _QUOTE(value) for value in fields
        ]
        when = self.occurred_at.astimezone(UTC).isoformat(timespec="microseconds")
        text = (
            f'{{"actor":{{"id":{a_id},"kind":{a_kind},"name":{a_name}}},"data":{data},'
            f'"id":{ident},"node_id":{node},"occurred_at":"{when}","outcome":{outcome},'
            f'"request_id":{request},"schema":"{EVENT_SCHEMA}",'
            f'"target":{{"id":{target},"type":{target_type}}},"type":{name},'
            f'"type_version":{version}}}'
        )
        return text if _utf8(text) else None


def _plain_json(value: Any) -> str | None:
    """The canonical text of ``value`` from json's C encoder, or None where that would
    not be RFC 8785's (see _JSON)."""
    if not _plain(value):
        return None
    text = _JSON.encode(value)
    return text if _utf8(text) else None


def _utf8(text: str) -> bool:
    """False for a lone surrogate, which RFC 8785 refuses and json would write."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _plain(value: Any) -> bool:
    """Whether json's C encoder writes ``value`` exactly as RFC 8785 does. Exact types
    only (str subclasses such as StrEnum aside, written as their text by both)."""
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return True
    if kind is int:
        number: int = value
        return -_SAFE_INT <= number <= _SAFE_INT
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not key.isascii() or not _plain(item):
                return False
        return True
    if kind is list or kind is tuple:
        return all(_plain(item) for item in value)
    return isinstance(value, str)  # floats (ECMAScript number form) and the rest: no


# A ledger entry travels in tlog-tiles entry bundles with a 16-bit length prefix, so it
# can never exceed 65,535 bytes; Caveat keeps entries far below that. A field of an
# event's data larger than FIELD_BYTES (a long label, a long reason) is committed to by
# its SHA-256 instead: the value itself is in the row the event is about.
ENTRY_BYTES = 16 * 1024
FIELD_BYTES = 2 * 1024


class EventTooLarge(InvalidInput):
    """Raised when an event cannot be brought under the ledger's entry size."""

    code = "event_too_large"


def bounded(event: Event) -> tuple[Event, str]:
    """``event`` and its canonical text when that fits a ledger entry; otherwise the
    same event with each large data field replaced by ``{"sha256": ..., "bytes": ...}``
    (the hash of the field's canonical JSON), and its text."""
    text = event.canonical_text()
    # UTF-8 takes at most 4 bytes a character: short texts need no encoding to check.
    if len(text) * 4 <= ENTRY_BYTES or len(text.encode()) <= ENTRY_BYTES:
        return event, text
    data: dict[str, Any] = {}
    for key, value in event.data.items():
        raw = bytes(rfc8785.dumps(value))
        if len(raw) > FIELD_BYTES:
            data[key] = {"sha256": hashlib.sha256(raw).hexdigest(), "bytes": len(raw)}
        else:
            data[key] = value
    smaller = replace(event, data=data)
    text = smaller.canonical_text()
    if len(text.encode()) > ENTRY_BYTES:
        raise EventTooLarge(
            f"the {event.type.name} event is too large for the ledger even with its large "
            "fields stored by hash",
        )
    return smaller, text
