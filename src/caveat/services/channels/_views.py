"""What the channel service hands out: channels as a caller sees them, deliveries and
the notices that end or qualify a subscription."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Channel:
    """A channel as its caller sees it."""

    id: str
    name: str
    description: str
    project_id: str | None
    programme_id: str | None
    max_messages: int
    max_age_seconds: int
    created_at: datetime
    can_publish: bool


@dataclass(frozen=True, slots=True)
class Published:
    """A message accepted by the broker: its (opaque) event id and its label's banner."""

    channel_id: str
    id: str
    message_id: str
    banner: str


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message a reader may read: its opaque event id (the SSE ``id``), label and body."""

    id: str
    channel_id: str
    message_id: str
    banner: str
    label_json: str
    body: str
    publisher: str
    published_at: datetime
    portion: str = ""
    # Encodings made so far, by form: see ``encoded``.
    _encoded: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def encoded(self, form: str, encode: Callable[[Delivery], T]) -> T:
        """``encode(self)``, made once per ``form``. Every reader of a message is handed
        the same Delivery, so a transport encodes each message once for all of them
        rather than once per connection (a thousand connections, a thousand encodings)."""
        found = self._encoded.get(form)
        if found is None:
            found = self._encoded[form] = encode(self)
        return found  # type: ignore[return-value]

    def document(self) -> dict[str, object]:
        return {
            "id": self.id,
            "channel_id": self.channel_id,
            "message_id": self.message_id,
            "label": self.banner,
            "portion": self.portion,
            "label_json": self.label_json,
            "body": self.body,
            "publisher": self.publisher,
            "published_at": self.published_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Notice:
    """Not a message: ``trimmed`` (retention dropped messages after the resume point;
    ``first_id`` is the oldest kept), ``lagging`` (the reader fell too far behind and is
    dropped; resume from ``last_id``), ``reconnect`` (the broker feed broke; resume)."""

    kind: str
    last_id: str
    first_id: str | None = None

    def document(self) -> dict[str, object]:
        doc: dict[str, object] = {"last_id": self.last_id}
        if self.first_id is not None:
            doc["first_id"] = self.first_id
        return doc


@dataclass(frozen=True, slots=True)
class Window:
    """The kept messages of a channel its reader may read with event ids in
    (``after``, ``upto``]: what a page shows, and rolls up in its banner. ``complete``
    is False when the range was wider than one window (only its newest part was read;
    a banner must then not read lower than the reader's highest level)."""

    channel: Channel
    messages: tuple[Delivery, ...]
    after: str  # opaque event ids, as a reader resumes from
    upto: str
    complete: bool
