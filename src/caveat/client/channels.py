"""``client.channels``: live labelled channels (``/api/v1/channels``). ``tail`` follows a
channel's server-sent events and, when the connection drops or the server lets a lagging
reader go, reconnects with ``Last-Event-ID`` so nothing is missed or seen twice."""

from __future__ import annotations

import json
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from caveat.client import CaveatClient

BASE = "/api/v1/channels"


@dataclass(frozen=True, slots=True)
class ServerEvent:
    """One server-sent event: its type, id (None if it had none) and decoded data."""

    event: str
    id: str | None
    data: dict[str, Any]


def parse_events(lines: Iterator[str]) -> Iterator[ServerEvent]:
    """Server-sent events from a stream's lines (the WHATWG event-stream format)."""
    event: str = "message"
    event_id: str | None = None
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                yield ServerEvent(event, event_id, json.loads("\n".join(data)))
            event, event_id, data = "message", None, []
            continue
        if line.startswith(":"):
            continue  # a comment: the server's keep-alive ping
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
        elif name == "id":
            event_id = value


class Channels:
    """Channels through the client's session."""

    def __init__(self, client: CaveatClient) -> None:
        self._client = client

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._client._call(method, f"{BASE}{path}", **kwargs)

    def list(self) -> list[dict[str, Any]]:
        """GET /channels: the channels you may read."""
        return list(self._call("GET", ""))

    def get(self, channel: str) -> dict[str, Any]:
        """GET /channels/{id}."""
        return dict(self._call("GET", f"/{channel}"))

    def create(self, name: str, **body: Any) -> dict[str, Any]:
        """POST /channels: name, project or programme, description, max_messages,
        max_age_seconds (programme managers and security officers)."""
        return dict(self._call("POST", "", json={"name": name, **body}))

    def publish(self, channel: str, body: str, *, label: str) -> dict[str, Any]:
        """POST /channels/{id}/messages: the message's event id and label."""
        return dict(self._call("POST", f"/{channel}/messages", json={"label": label, "body": body}))

    def tail(
        self,
        channel: str,
        *,
        after: int | None = None,
        reconnect: bool = True,
        retry_seconds: float = 1.0,
    ) -> Generator[ServerEvent]:
        """The channel's events (``message``, and notices such as ``lagging``), resuming
        after event id ``after``; reconnects with the last id seen while ``reconnect``."""
        last = after
        while True:
            headers = {"Last-Event-ID": str(last)} if last else {}
            try:
                with self._client._http.stream(
                    "GET",
                    f"{BASE}/{channel}/events",
                    headers=headers,
                    timeout=httpx.Timeout(30.0, read=None),
                ) as response:
                    if response.status_code >= 400:
                        response.read()
                        from caveat.client import _error

                        raise _error(response)
                    for event in parse_events(response.iter_lines()):
                        if event.id is not None:
                            last = int(event.id)
                        yield event
            except httpx.TransportError:
                if not reconnect:
                    raise
            if not reconnect:
                return
            time.sleep(retry_seconds)
