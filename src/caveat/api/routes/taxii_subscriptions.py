"""Subscriptions to partners' TAXII 2.1 collections (issue 20, ADR 0023 addendum):
``/api/v1/taxii/subscriptions``. Credentials go in, never out: no answer carries them.
The poller runs for as long as the app serves (``CAVEAT_TAXII_POLL_SECONDS``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field, SecretStr

from caveat.api.background import while_serving
from caveat.api.deps import CtxDep, CurrentPrincipal, NodeDep
from caveat.api.schemas import Strict
from caveat.domain.taxii_feeds import credentials
from caveat.services.artifacts import parse_label_text
from caveat.services.intel import PollResult, Subscription

router = APIRouter(
    prefix="/api/v1/taxii/subscriptions",
    tags=["threat intelligence"],
    lifespan=while_serving(lambda app: app.state.node.taxii_worker),
)


class SubscriptionIn(Strict):
    url: str = Field(min_length=1, max_length=500, description="the partner's collection URL")
    collection: str = Field(min_length=1, max_length=200, description="the local collection")
    label: str = Field(
        min_length=1,
        max_length=4000,
        description="unmarked objects take it; objects marked wider are refused",
    )
    auth: Literal["basic", "bearer", "none"] = "none"
    username: str = Field(default="", max_length=300)
    secret: SecretStr = Field(default=SecretStr(""), description="password or token; never shown")
    interval_seconds: int = Field(default=900, ge=60, le=7 * 24 * 3600)


class RefusalOut(BaseModel):
    object_id: str
    reason: str


class SubscriptionOut(BaseModel):
    id: str
    url: str
    collection_id: str
    collection_title: str
    organisation_id: str
    owner: str
    label: str
    auth: str
    interval_seconds: int
    created_at: datetime
    state: str
    cursor: datetime | None
    next_poll_at: datetime | None
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    caught_up_at: datetime | None
    lag_seconds: int | None
    failures: int
    last_error: str
    ingested: int
    refused: int
    last_refusals: list[RefusalOut]


class PollOut(BaseModel):
    subscription_id: str
    ingested: int
    held: int
    refused: int
    pages: int
    caught_up: bool
    error: str


def subscription_out(s: Subscription) -> SubscriptionOut:
    """The API's view of a subscription (never its credentials)."""
    return SubscriptionOut(
        id=s.id,
        url=s.url,
        collection_id=s.collection_id,
        collection_title=s.collection_title,
        organisation_id=s.organisation_id,
        owner=s.owner,
        label=s.label,
        auth=s.auth,
        interval_seconds=s.interval_seconds,
        created_at=s.created_at,
        state=s.state,
        cursor=s.cursor,
        next_poll_at=s.next_poll_at,
        last_attempt_at=s.last_attempt_at,
        last_success_at=s.last_success_at,
        caught_up_at=s.caught_up_at,
        lag_seconds=s.lag_seconds,
        failures=s.failures,
        last_error=s.last_error,
        ingested=s.ingested,
        refused=s.refused,
        last_refusals=[RefusalOut(object_id=r.object_id, reason=r.reason) for r in s.last_refusals],
    )


def _poll_out(r: PollResult) -> PollOut:
    return PollOut(
        subscription_id=r.subscription_id,
        ingested=r.ingested,
        held=r.held,
        refused=r.refused,
        pages=r.pages,
        caught_up=r.caught_up,
        error=r.error,
    )


@router.post("", response_model=SubscriptionOut, status_code=201)
def subscribe(
    body: SubscriptionIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> SubscriptionOut:
    """Subscribe one of your collections to a partner's (programme managers and officers)."""
    label = parse_label_text(body.label, node.policy, node.uow.clock())
    made = node.taxii_subscriptions.subscribe(
        principal,
        ctx,
        url=body.url,
        collection=body.collection,
        label=label,
        credentials=credentials(body.auth, body.username, body.secret.get_secret_value()),
        interval_seconds=body.interval_seconds,
    )
    return subscription_out(made)


@router.get("", response_model=list[SubscriptionOut])
def list_subscriptions(
    principal: CurrentPrincipal, node: NodeDep, removed: bool = False
) -> list[SubscriptionOut]:
    """The subscriptions of the collections you may see, with their status."""
    found = node.taxii_subscriptions.subscriptions(principal, removed=removed)
    return [subscription_out(s) for s in found]


@router.get("/{subscription_id}", response_model=SubscriptionOut)
def get_subscription(
    subscription_id: str, principal: CurrentPrincipal, node: NodeDep
) -> SubscriptionOut:
    """One subscription and its status."""
    return subscription_out(node.taxii_subscriptions.subscription(principal, subscription_id))


@router.post("/{subscription_id}/poll", response_model=PollOut)
def poll(subscription_id: str, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep) -> PollOut:
    """Poll now, whatever the backoff; the answer says what came in (or the error)."""
    return _poll_out(node.taxii_subscriptions.poll_now(principal, ctx, subscription_id))


@router.delete("/{subscription_id}", status_code=204)
def remove(
    subscription_id: str, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> Response:
    """Stop polling and erase the credentials; what was ingested stays."""
    node.taxii_subscriptions.remove(principal, ctx, subscription_id)
    return Response(status_code=204)
