"""Live channels (issue 21, ADR 0025): open, list and publish at ``/api/v1/channels``,
and follow one as server-sent events at ``/api/v1/channels/{id}/events``.

The event stream honours ``Last-Event-ID`` (or ``?after=``): it replays what the broker
keeps after that id, then goes on live, so a client that reconnects with its last id
misses nothing and sees nothing twice. Each ``message`` event's ``id`` is the channel's
event id; ``lagging`` (the reader fell too far behind) and ``reconnect`` (the broker feed
broke) end the stream with the id to resume from, ``trimmed`` says retention dropped
messages after the resume point. The credential is checked again at every refresh of
the reader's facts, so a revoked session or clearance stops delivery within seconds.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header, Query, Request
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse

from caveat.api.deps import CtxDep, CurrentPrincipal, NodeDep, bearer_token
from caveat.api.schemas import Strict
from caveat.domain.channels import MAX_AGE, MAX_BODY_CHARS, MAX_RETAINED, Retention, parse_event_id
from caveat.services.channels import Channel, Delivery, Item, Notice
from caveat.services.kernel.principal import Principal, Scope

PING_SECONDS = 15  # a comment line keeps proxies from closing a quiet stream
SEND_TIMEOUT_SECONDS = 30  # a client that takes nothing for this long is let go


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
    id: int = Field(description="the message's event id in the channel")
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


def event_of(item: Item) -> dict[str, Any]:
    """One server-sent event: a message (its id the event id) or a notice."""
    if isinstance(item, Delivery):
        return {"event": "message", "id": str(item.id), "data": json.dumps(item.document())}
    assert isinstance(item, Notice)
    event: dict[str, Any] = {"event": item.kind, "data": json.dumps(item.document())}
    if item.kind != "trimmed":
        event["id"] = str(item.last_id)  # where a reconnecting EventSource resumes
    return event


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
    start = parse_event_id(last_event_id if last_event_id else after)
    token = bearer_token(request)

    def reauthenticate() -> Principal:
        again = node.auth.authenticate(ctx, token)
        again.require_scope(Scope.READ)
        return again

    stream = await node.channels.subscribe(
        principal, ctx, channel_id, after=start, reauthenticate=reauthenticate
    )

    async def events() -> AsyncIterator[dict[str, Any]]:
        try:
            async for item in stream:
                yield event_of(item)
        finally:
            await stream.aclose()  # type: ignore[attr-defined]

    return EventSourceResponse(events(), ping=PING_SECONDS, send_timeout=SEND_TIMEOUT_SECONDS)
