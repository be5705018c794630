"""``client.channels``: live labelled channels (``/api/v1/channels``). ``tail`` follows a
channel's server-sent events (or its WebSocket, ``transport="websocket"``) and, when the
connection drops or the server lets a lagging reader go, reconnects after the last event
id seen so nothing is missed or seen twice."""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlencode

import httpx

from caveat.domain.errors import PermissionDenied

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
        after: str | None = None,
        reconnect: bool = True,
        retry_seconds: float = 1.0,
        transport: Literal["sse", "websocket"] = "sse",
    ) -> Generator[ServerEvent]:
        """The channel's events (``message``, and notices such as ``lagging``), resuming
        after event id ``after``; reconnects with the last id seen while ``reconnect``.
        Both transports carry the same events, decided alike by the server."""
        if transport == "websocket":
            yield from self._tail_websocket(
                channel, after=after, reconnect=reconnect, retry_seconds=retry_seconds
            )
            return
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
                            last = event.id
                        yield event
            except httpx.TransportError:
                if not reconnect:
                    raise
            if not reconnect:
                return
            time.sleep(retry_seconds)

    def _tail_websocket(
        self, channel: str, *, after: str | None, reconnect: bool, retry_seconds: float
    ) -> Generator[ServerEvent]:
        """``tail`` over ``/channels/{id}/ws``: one JSON frame per event."""
        from websockets.exceptions import ConnectionClosed, InvalidStatus
        from websockets.sync.client import connect

        base = self._client._http.base_url
        secure = base.scheme == "https"
        root = base.copy_with(scheme="wss" if secure else "ws", query=None, fragment=None)
        headers = {}
        if authorization := self._client._http.headers.get("Authorization"):
            headers["Authorization"] = authorization
        last = after
        while True:
            url = str(root.join(f"{BASE}/{channel}/ws"))
            url += "?" + urlencode({"last_event_id": last or ""})
            try:
                with connect(
                    url,
                    additional_headers=headers,
                    ssl=ssl.create_default_context() if secure else None,
                    open_timeout=30,
                    max_size=2**20,
                ) as socket:
                    for frame in socket:
                        event = json.loads(frame)
                        event_id = event.get("id")
                        if event_id is not None:
                            last = str(event_id)
                        yield ServerEvent(
                            str(event["event"]),
                            None if event_id is None else str(event_id),
                            dict(event["data"]),
                        )
            except InvalidStatus as exc:
                # Refused before the handshake completed: the server says no more than
                # the status, whatever the reason (hidden channels look missing).
                raise PermissionDenied(
                    f"the server refused the channel's WebSocket ({exc.response.status_code})",
                    code="permission_denied",
                ) from exc
            except (ConnectionClosed, OSError, TimeoutError):
                if not reconnect:
                    raise
            if not reconnect:
                return
            time.sleep(retry_seconds)
