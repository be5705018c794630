"""Live channels (issue 21, ADR 0025): open, list and publish at ``/api/v1/channels``, and
follow one as server-sent events at ``/api/v1/channels/{id}/events`` or over a WebSocket
at ``/api/v1/channels/{id}/ws``.

The event stream honours ``Last-Event-ID`` (or ``?after=``): it replays what the broker
keeps after that id, then goes on live, so a client that reconnects with its last id
misses nothing and sees nothing twice. Each ``message`` event's ``id`` is the message's
event id: opaque (the same for every reader, and saying nothing of the messages withheld
from a reader between two it received), valid only on its channel; ``lagging`` (the
reader fell too far behind) and ``reconnect`` (the broker feed broke) end the stream
with the id to resume from, ``trimmed`` says retention dropped messages after the resume
point. The credential is checked again at every refresh of the reader's facts, so a
revoked session or clearance stops delivery within seconds.

The WebSocket carries the same stream, decided by the same service per message and per
reader: each text frame is ``{"event", "id", "data"}`` like one server-sent event. The
resume point is the ``last_event_id`` (or ``after``) query parameter, or else the
client's first message, ``{"last_event_id": "…"}`` (``{}`` for all that is kept), within
``HELLO_SECONDS``. The handshake authenticates like the other routes (a bearer header,
or the session cookie); one naming another Origin is refused, as is a cookie without
one. A refused handshake gets HTTP 403 and nothing else, whatever the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, FastAPI, Header, Query, Request, WebSocket
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.websockets import WebSocketState

from caveat.api.deps import CtxDep, CurrentPrincipal, NodeDep, bearer_token, websocket_token
from caveat.api.schemas import Strict
from caveat.bootstrap.container import Node
from caveat.domain.channels import (
    MAX_AGE,
    MAX_BODY_CHARS,
    MAX_RETAINED,
    Retention,
    check_event_id,
)
from caveat.domain.errors import CaveatError, InvalidInput, PermissionDenied
from caveat.services.channels import Channel, Delivery, Item, Notice
from caveat.services.kernel.principal import Principal, Scope
from caveat.services.kernel.uow import CallContext

PING_SECONDS = 15  # a comment line keeps proxies from closing a quiet stream
SEND_TIMEOUT_SECONDS = 30  # a client that takes nothing for this long is let go
HELLO_SECONDS = 10  # a WebSocket client without a resume parameter says where, this soon
SSE_SEPARATOR = "\r\n"  # each message is encoded once, so the response must use this
POLICY_VIOLATION = 1008  # the WebSocket close code of a refused handshake or hello


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    node = app.state.node
    node.channel_worker.start()
    try:
        yield
    finally:
        node.channel_worker.stop()
        node.channels.ledger.flush()
        await node.channels.broker.close()


router = APIRouter(prefix="/api/v1/channels", tags=["channels"], lifespan=_lifespan)


class ChannelIn(Strict):
    name: str = Field(min_length=1, max_length=200, examples=["Range telemetry"])
    project: str | None = Field(default=None, description="project id or name")
    programme: str | None = Field(default=None, description="programme id or name")
    description: str = Field(default="", max_length=4000)
    max_messages: int | None = Field(default=None, ge=1, le=MAX_RETAINED)
    max_age_seconds: int | None = Field(default=None, ge=1, le=int(MAX_AGE.total_seconds()))


class ChannelOut(BaseModel):
    id: str
    name: str
    description: str
    project_id: str | None
    programme_id: str | None
    max_messages: int
    max_age_seconds: int
    created_at: datetime
    can_publish: bool


class MessageIn(Strict):
    label: str = Field(min_length=1, max_length=4000, examples=["SECRET//REL TO USA, GBR"])
    body: str = Field(max_length=MAX_BODY_CHARS)


class PublishedOut(BaseModel):
    channel_id: str
    id: str = Field(description="the message's event id in the channel (opaque)")
    message_id: str
    label: str


def _out(channel: Channel) -> ChannelOut:
    return ChannelOut(
        id=channel.id,
        name=channel.name,
        description=channel.description,
        project_id=channel.project_id,
        programme_id=channel.programme_id,
        max_messages=channel.max_messages,
        max_age_seconds=channel.max_age_seconds,
        created_at=channel.created_at,
        can_publish=channel.can_publish,
    )


@router.post("", response_model=ChannelOut, status_code=201)
def create_channel(
    body: ChannelIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> ChannelOut:
    """Open a channel of a project or a programme (programme managers, security officers)."""
    made = node.channels.create(
        principal,
        ctx,
        name=body.name,
        project=body.project,
        programme=body.programme,
        description=body.description,
        retention=Retention.of(body.max_messages, body.max_age_seconds),
    )
    return _out(made)


@router.get("", response_model=list[ChannelOut])
def list_channels(principal: CurrentPrincipal, node: NodeDep) -> list[ChannelOut]:
    """The channels the caller may read."""
    return [_out(c) for c in node.channels.channels(principal)]


@router.get("/{channel_id}", response_model=ChannelOut)
def get_channel(channel_id: str, principal: CurrentPrincipal, node: NodeDep) -> ChannelOut:
    """One channel, if the caller may read it."""
    return _out(node.channels.channel(principal, channel_id))


@router.post("/{channel_id}/messages", response_model=PublishedOut, status_code=201)
async def publish(
    channel_id: str, body: MessageIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> PublishedOut:
    """Publish a message under its own label (never above what the publisher may read)."""
    done = await node.channels.publish(principal, ctx, channel_id, label=body.label, body=body.body)
    return PublishedOut(
        channel_id=done.channel_id, id=done.id, message_id=done.message_id, label=done.banner
    )


def _fields(item: Item) -> tuple[str, str | None, dict[str, object]]:
    """An item's event name, event id and JSON document. A message's id is its event id;
    a notice's is where a reconnecting client resumes (none for ``trimmed``)."""
    if isinstance(item, Delivery):
        return "message", item.id, item.document()
    assert isinstance(item, Notice)
    return item.kind, None if item.kind == "trimmed" else item.last_id, item.document()


def _sse(item: Item) -> bytes:
    event, event_id, document = _fields(item)
    data = json.dumps(document)
    return ServerSentEvent(data=data, event=event, id=event_id, sep=SSE_SEPARATOR).encode()


def _frame(item: Item) -> str:
    event, event_id, document = _fields(item)
    return json.dumps({"event": event, "id": event_id, "data": document})


def event_of(item: Item) -> bytes:
    """One server-sent event, encoded (a message once for every connection it goes to)."""
    return item.encoded("sse", _sse) if isinstance(item, Delivery) else _sse(item)


def frame_of(item: Item) -> str:
    """One WebSocket text frame: the server-sent event's fields as a JSON object (a
    message encoded once for every connection it goes to)."""
    return item.encoded("ws", _frame) if isinstance(item, Delivery) else _frame(item)


@router.get(
    "/{channel_id}/events",
    response_class=EventSourceResponse,
    responses={
        200: {
            # Each event: `id` (the channel's event id), `event: message`, `data` a JSON message.
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "server-sent events",
        }
    },
)
async def follow(
    channel_id: str,
    request: Request,
    principal: CurrentPrincipal,
    node: NodeDep,
    ctx: CtxDep,
    last_event_id: Annotated[str | None, Header()] = None,
    after: Annotated[str | None, Query(description="resume after this event id")] = None,
) -> EventSourceResponse:
    """The channel's messages the caller may read, live, as server-sent events."""
    start = check_event_id(last_event_id if last_event_id else after)
    token = bearer_token(request)

    def reauthenticate() -> Principal:
        again = node.auth.authenticate(ctx, token)
        again.require_scope(Scope.READ)
        return again

    stream = await node.channels.subscribe(
        principal, ctx, channel_id, after=start, reauthenticate=reauthenticate
    )

    async def events() -> AsyncIterator[bytes]:
        try:
            async for item in stream:
                yield event_of(item)
        finally:
            await stream.aclose()  # type: ignore[attr-defined]

    return EventSourceResponse(
        events(), ping=PING_SECONDS, send_timeout=SEND_TIMEOUT_SECONDS, sep=SSE_SEPARATOR
    )


def _ws_principal(node: Node, ctx: CallContext, token: str) -> Principal:
    """The principal of a WebSocket handshake's credential, as ``principal_ready``."""
    principal = node.auth.authenticate(ctx, token)
    principal.require_scope(Scope.READ)
    if principal.must_change_password:
        raise PermissionDenied(
            "change the one-time password before doing anything else",
            code="password_change_required",
        )
    return principal


async def _hello(websocket: WebSocket) -> str | None:
    """The resume point in the client's first message (InvalidInput if none fits)."""
    try:
        text = await asyncio.wait_for(websocket.receive_text(), HELLO_SECONDS)
        hello = json.loads(text)
    except (TimeoutError, ValueError, KeyError) as exc:
        raise InvalidInput(
            'say where to resume first: {"last_event_id": "…"}', code="invalid_event_id"
        ) from exc
    if not isinstance(hello, dict):
        raise InvalidInput('the first message is {"last_event_id": "…"}', code="invalid_event_id")
    value = hello.get("last_event_id")
    if value is not None and not isinstance(value, str):
        raise InvalidInput("an event id is a string", code="invalid_event_id")
    return check_event_id(value)


@router.websocket("/{channel_id}/ws")
async def follow_ws(websocket: WebSocket, channel_id: str) -> None:
    """The channel's messages the caller may read, live, over a WebSocket."""
    node: Node = websocket.app.state.node
    client = websocket.client.host if websocket.client else None
    ctx = CallContext(request_id=str(uuid.uuid4()), client_address=client)
    query = websocket.query_params
    resume = query.get("last_event_id", query.get("after"))
    try:
        token = websocket_token(websocket)
        principal = await anyio.to_thread.run_sync(_ws_principal, node, ctx, token)
        start = check_event_id(resume)
        await anyio.to_thread.run_sync(node.channels.channel, principal, channel_id)
    except CaveatError:
        await websocket.close(code=POLICY_VIOLATION)  # before accepting: HTTP 403
        return
    await websocket.accept()

    def reauthenticate() -> Principal:
        return _ws_principal(node, ctx, token)

    try:
        if resume is None:
            start = await _hello(websocket)
        stream = await node.channels.subscribe(
            principal, ctx, channel_id, after=start, reauthenticate=reauthenticate
        )
    except CaveatError as exc:
        await websocket.close(code=POLICY_VIOLATION, reason=exc.code)
        return
    await _pump(websocket, stream)


async def _pump(websocket: WebSocket, stream: AsyncIterator[Item]) -> None:
    """Send ``stream`` to the socket until it ends, the client goes, or the client takes
    nothing for SEND_TIMEOUT_SECONDS. Only this connection waits on its socket: the
    hub hands messages to this reader's bounded queue without waiting (ADR 0025)."""

    async def send() -> None:
        async for item in stream:
            # A deadline on the send itself (no task of its own, as wait_for would make
            # one per message and connection).
            async with asyncio.timeout(SEND_TIMEOUT_SECONDS):
                await websocket.send_text(frame_of(item))

    async def listen() -> None:  # the client says nothing more; notice when it goes
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass

    sending = asyncio.ensure_future(send())
    listening = asyncio.ensure_future(listen())
    try:
        await asyncio.wait({sending, listening}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sending, listening):
            task.cancel()
        for task in (sending, listening):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await stream.aclose()  # type: ignore[attr-defined]
        if websocket.application_state == WebSocketState.CONNECTED and not listening.done():
            with contextlib.suppress(Exception):
                await websocket.close()
