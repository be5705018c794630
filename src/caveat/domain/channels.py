"""Live channels (issue 21, ADR 0025): what a channel keeps and how its messages travel.

A channel is a project's or a programme's live feed (telemetry, trial status, a sensor).
Every message carries its own security label; who receives it is the policy's decision
per message and per reader, made by the service. This module is the pure part:

- :class:`Retention`: how many messages and for how long a channel keeps them;
- :class:`ChannelLog`: a channel's retained messages in memory with event ids that only
  grow (the in-process broker's store, and the model the NATS stream follows);
- :class:`Envelope`, :func:`seal` and :func:`open_sealed`: a message as it travels on a
  broker, authenticated with a key derived from the node's secret, so a message a third
  party injects into the broker is never delivered;
- :class:`EventIds`: the opaque event ids readers see and resume from, so that the ids
  a reader receives say nothing of the messages withheld from them between two;
- :class:`PublicationBatch`: what one ledger event says of many messages (count, ids,
  a hash over their sealed bytes), never one event per message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from caveat.domain.errors import IntegrityError, InvalidInput

# Bounds a channel's owner may choose between; the defaults suit a telemetry feed.
MAX_RETAINED = 100_000
DEFAULT_RETAINED = 1000
MAX_AGE = timedelta(days=30)
DEFAULT_AGE = timedelta(days=1)
MAX_BODY_CHARS = 16 * 1024  # a message, not a file: artifacts carry documents

SEALED_V1 = b"CVCH1"  # the format marker: a later format gets a new one
_MAC_BYTES = 32


@dataclass(frozen=True, slots=True)
class Retention:
    """A channel keeps its last ``max_messages`` messages, each for at most ``max_age``."""

    max_messages: int = DEFAULT_RETAINED
    max_age: timedelta = DEFAULT_AGE

    def __post_init__(self) -> None:
        if not 1 <= self.max_messages <= MAX_RETAINED:
            raise InvalidInput(
                f"a channel keeps between 1 and {MAX_RETAINED} messages",
                code="invalid_retention",
                field="max_messages",
            )
        if not timedelta(seconds=1) <= self.max_age <= MAX_AGE:
            raise InvalidInput(
                f"a channel keeps messages between one second and {MAX_AGE.days} days",
                code="invalid_retention",
                field="max_age_seconds",
            )

    @classmethod
    def of(cls, max_messages: int | None, max_age_seconds: int | None) -> Retention:
        """A retention from optional numbers (None: the default)."""
        return cls(
            DEFAULT_RETAINED if max_messages is None else max_messages,
            DEFAULT_AGE if max_age_seconds is None else timedelta(seconds=max_age_seconds),
        )

    @property
    def max_age_seconds(self) -> int:
        return int(self.max_age.total_seconds())


@dataclass(frozen=True, slots=True)
class Stored:
    """A message as a broker keeps it: its event id in the channel and its sealed bytes."""

    seq: int
    payload: bytes
    at: datetime


class ChannelLog:
    """One channel's retained messages: event ids start at 1 and grow by one with each
    message, never reused, whatever retention drops (a resumed reader can tell a gap)."""

    def __init__(self, retention: Retention) -> None:
        self.retention = retention
        self._items: deque[Stored] = deque()
        self._last = 0

    @property
    def last_seq(self) -> int:
        """The id of the newest message ever appended (0: none yet)."""
        return self._last

    def first_seq(self, now: datetime) -> int:
        """The id of the oldest message still kept (``last_seq + 1`` when none is)."""
        self.trim(now)
        return self._items[0].seq if self._items else self._last + 1

    def append(self, payload: bytes, now: datetime) -> int:
        """Keep ``payload`` as the next message; its event id."""
        self._last += 1
        self._items.append(Stored(self._last, payload, now))
        self.trim(now)
        return self._last

    def trim(self, now: datetime) -> None:
        """Drop what retention no longer keeps: beyond the count, or older than the age."""
        while len(self._items) > self.retention.max_messages:
            self._items.popleft()
        oldest = now - self.retention.max_age
        while self._items and self._items[0].at < oldest:
            self._items.popleft()

    def after(self, seq: int, limit: int, now: datetime) -> list[Stored]:
        """At most ``limit`` kept messages with ids above ``seq``, oldest first."""
        self.trim(now)
        if not self._items or seq >= self._last:
            return []
        start = max(0, seq + 1 - self._items[0].seq)  # ids are contiguous in the deque
        return [self._items[i] for i in range(start, min(len(self._items), start + limit))]


EVENT_ID_V1 = "1"  # the format marker of an event id; a later format gets a new one
_EVENT_ID_CHARS = len(EVENT_ID_V1) + 32  # base64url of AES-SIV's 16-byte tag and 8 bytes
_EVENT_ID_AD = b"caveat channel event id v1"
_EVENT_ID_SHAPE = re.compile(EVENT_ID_V1 + r"[A-Za-z0-9_-]{32}")
FROM_THE_START = frozenset({"", "0"})  # resume points meaning "all that is kept"


class EventIds:
    """The event ids of a node's channels as readers see them: a message's place in its
    channel encrypted with AES-SIV (RFC 5297), bound to the channel.

    Contiguous sequence numbers would tell a reader how many messages were withheld from
    them between two they received (and publishers how many others published): the
    existence and volume of traffic above their access. The deterministic encryption
    gives every reader the same id for a message, so resuming needs no state, and an id
    from another channel, another node or a forger is refused alike."""

    __slots__ = ("_siv",)

    def __init__(self, key: bytes) -> None:
        self._siv = AESSIV(key)

    def of(self, channel_id: str, seq: int) -> str:
        """The event id of the message at ``seq`` of ``channel_id``."""
        sealed = self._siv.encrypt(seq.to_bytes(8, "big"), [_EVENT_ID_AD, channel_id.encode()])
        return EVENT_ID_V1 + base64.urlsafe_b64encode(sealed).decode().rstrip("=")

    def seq(self, channel_id: str, event_id: str | None) -> int:
        """The place in ``channel_id`` that ``event_id`` names; 0 (all that is kept) for
        none. InvalidInput, the same for every cause, for anything this node did not
        give out for this channel."""
        text = (event_id or "").strip()
        if text in FROM_THE_START:
            return 0
        refused = InvalidInput(
            "not an event id of this channel", code="invalid_event_id", field="last_event_id"
        )
        if len(text) != _EVENT_ID_CHARS or not _EVENT_ID_SHAPE.fullmatch(text):
            raise refused
        try:
            sealed = base64.urlsafe_b64decode(text[len(EVENT_ID_V1) :])
            plain = self._siv.decrypt(sealed, [_EVENT_ID_AD, channel_id.encode()])
        except (binascii.Error, ValueError, InvalidTag):
            raise refused from None
        return int.from_bytes(plain, "big")


def event_id_key(node_secret: bytes) -> bytes:
    """The key of the node's event ids (AES-256-SIV, 64 bytes): HKDF-SHA256 of its secret."""
    return HKDF(
        algorithm=hashes.SHA256(), length=64, salt=None, info=b"caveat channel event ids v1"
    ).derive(node_secret)


def check_event_id(text: str | None) -> str | None:
    """An event id as a client gives it, checked for shape at the edge (InvalidInput);
    whether it is one of the channel's is the service's to say."""
    if text is None:
        return None
    if len(text) > 2 * _EVENT_ID_CHARS or not text.isascii() or not text.isprintable():
        raise InvalidInput(
            "not an event id of this channel", code="invalid_event_id", field="last_event_id"
        )
    return text


def check_body(body: str) -> str:
    """A message body: text of at most MAX_BODY_CHARS, without NUL characters."""
    if len(body) > MAX_BODY_CHARS:
        raise InvalidInput(
            f"a message has at most {MAX_BODY_CHARS} characters; share larger content "
            "as an artifact",
            code="message_too_large",
            field="body",
        )
    if "\x00" in body:
        raise InvalidInput("the NUL character is not allowed", code="invalid_input", field="body")
    return body


@dataclass(frozen=True, slots=True)
class Envelope:
    """A message as published: its label (canonical JSON, checked by the one label
    validator before sealing), body and publisher."""

    channel_id: str
    message_id: str
    label_json: str
    body: str
    publisher_id: str
    publisher_name: str
    publisher_org_id: str
    published_at: datetime

    def document(self) -> dict[str, str]:
        return {
            "channel": self.channel_id,
            "id": self.message_id,
            "label": self.label_json,
            "body": self.body,
            "by": self.publisher_id,
            "by_name": self.publisher_name,
            "org": self.publisher_org_id,
            "at": self.published_at.isoformat(),
        }


class TamperedMessage(IntegrityError):
    """A message on the broker whose authentication fails (injected, altered, of another
    channel, or of an unknown format): never delivered. One opaque error for every cause."""

    def __init__(self) -> None:
        super().__init__("a channel message failed authentication", code="message_tampered")


def channel_key(node_secret: bytes, channel_id: str) -> bytes:
    """The channel's message key: HKDF-SHA256 of the node's secret, bound to the channel
    so a message copied from one channel into another fails there."""
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=b"caveat channel message mac v1|" + channel_id.encode(),
    ).derive(node_secret)


def seal(envelope: Envelope, key: bytes) -> bytes:
    """``SEALED_V1 || HMAC-SHA256(key, SEALED_V1 || body) || body`` with the envelope's
    JSON as body."""
    body = json.dumps(envelope.document(), sort_keys=True, separators=(",", ":")).encode()
    mac = hmac.new(key, SEALED_V1 + body, hashlib.sha256).digest()
    return SEALED_V1 + mac + body


def open_sealed(payload: bytes, key: bytes, channel_id: str) -> Envelope:
    """The envelope in ``payload`` if it was sealed with ``key`` for ``channel_id``;
    TamperedMessage otherwise."""
    head = len(SEALED_V1)
    if len(payload) < head + _MAC_BYTES or not payload.startswith(SEALED_V1):
        raise TamperedMessage
    mac, body = payload[head : head + _MAC_BYTES], payload[head + _MAC_BYTES :]
    if not hmac.compare_digest(mac, hmac.new(key, SEALED_V1 + body, hashlib.sha256).digest()):
        raise TamperedMessage
    try:
        doc = json.loads(body)
        envelope = Envelope(
            channel_id=doc["channel"],
            message_id=doc["id"],
            label_json=doc["label"],
            body=doc["body"],
            publisher_id=doc["by"],
            publisher_name=doc["by_name"],
            publisher_org_id=doc["org"],
            published_at=datetime.fromisoformat(doc["at"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise TamperedMessage from exc
    if envelope.channel_id != channel_id:
        raise TamperedMessage
    return envelope


@dataclass(slots=True)
class PublicationBatch:
    """Messages one person published on one channel since the last ledger event: how
    many, the first and last ids, and SHA-256 over the SHA-256 of each sealed message in
    id order (anyone holding the messages can recompute it)."""

    count: int = 0
    first_seq: int = 0
    last_seq: int = 0
    _hash: hashlib._Hash = field(default_factory=hashlib.sha256, repr=False)

    def add(self, seq: int, payload: bytes) -> None:
        if not self.count:
            self.first_seq = seq
        self.count += 1
        self.last_seq = max(self.last_seq, seq)
        self._hash.update(hashlib.sha256(payload).digest())

    @property
    def digest(self) -> str:
        return self._hash.hexdigest()
