"""``client.taxii``: the node's TAXII 2.1 server (``/taxii2/``) as the signed-in person,
and opening a collection (``POST /api/v1/taxii/collections``).

TAXII answers ``application/taxii+json;version=2.1``; its error messages come back as
the same typed errors as any other answer (their ``error_code`` is Caveat's code).
Envelopes, status resources and objects are returned as the JSON the server sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from caveat.client._parse import parse, parse_list

if TYPE_CHECKING:
    from caveat.client import CaveatClient

TAXII = "application/taxii+json;version=2.1"
ROOT = "/taxii2/caveat"


@dataclass(frozen=True, slots=True)
class TaxiiCollection:
    """A collection as the caller sees it."""

    id: str
    title: str
    can_read: bool
    can_write: bool
    description: str = ""
    media_types: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TaxiiStatus:
    """The status of an add request (its successes and failures as the server wrote them)."""

    id: str
    status: str
    total_count: int
    success_count: int
    failure_count: int
    pending_count: int
    request_timestamp: str | None = None
    successes: tuple[dict[str, str], ...] = ()
    failures: tuple[dict[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class TaxiiRefusal:
    """An object a poll did not ingest, and why."""

    object_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class TaxiiSubscription:
    """A subscription to a partner's collection and its status (never its credentials)."""

    id: str
    url: str
    collection_id: str
    label: str
    auth: str
    state: str
    owner: str = ""
    collection_title: str = ""
    interval_seconds: int = 0
    last_attempt_at: str | None = None
    last_success_at: str | None = None
    next_poll_at: str | None = None
    lag_seconds: int | None = None
    failures: int = 0
    last_error: str = ""
    ingested: int = 0
    refused: int = 0
    last_refusals: tuple[TaxiiRefusal, ...] = ()


@dataclass(frozen=True, slots=True)
class TaxiiPoll:
    """What one poll did."""

    subscription_id: str
    ingested: int
    held: int
    refused: int
    pages: int
    caught_up: bool
    error: str


SUBSCRIPTIONS = "/api/v1/taxii/subscriptions"


class Taxii:
    """TAXII 2.1 through the client's session (bearer token)."""

    def __init__(self, client: CaveatClient) -> None:
        self._client = client

    def _taxii(
        self,
        method: str,
        path: str,
        *,
        params: list[tuple[str, str]] | None = None,
        body: bytes | None = None,
    ) -> Any:
        headers = {"Accept": TAXII}
        if body is not None:
            headers["Content-Type"] = TAXII
        response = self._client._send(
            method, f"{ROOT}{path}", params=params, content=body, headers=headers
        )
        if response.status_code >= 400:
            raise self._client._taxii_error(response)
        return response.json() if response.content else {}

    def collections(self) -> list[TaxiiCollection]:
        """GET /taxii2/caveat/collections/: the collections of the caller's projects."""
        return parse_list(
            TaxiiCollection, self._taxii("GET", "/collections/").get("collections", [])
        )

    def create_collection(
        self,
        project: str,
        title: str,
        *,
        description: str = "",
        default_label: str | None = None,
    ) -> TaxiiCollection:
        """POST /api/v1/taxii/collections (programme managers and security officers)."""
        body = {
            "project": project,
            "title": title,
            "description": description,
            "default_label": default_label,
        }
        return parse(
            TaxiiCollection, self._client._call("POST", "/api/v1/taxii/collections", json=body)
        )

    def add(self, collection_id: str, envelope: bytes) -> TaxiiStatus:
        """POST .../objects/: the envelope's objects; the request's status."""
        answer = self._taxii("POST", f"/collections/{collection_id}/objects/", body=envelope)
        return parse(TaxiiStatus, answer)

    def status(self, status_id: str) -> TaxiiStatus:
        """GET .../status/{id}/: one of the caller's add requests."""
        return parse(TaxiiStatus, self._taxii("GET", f"/status/{status_id}/"))

    def objects(
        self,
        collection_id: str,
        *,
        object_id: str | None = None,
        added_after: str | None = None,
        types: Sequence[str] = (),
        version: str | None = None,
        limit: int | None = None,
        next_page: str | None = None,
    ) -> dict[str, Any]:
        """GET .../objects/ (or one object's versions): a TAXII envelope."""
        params: list[tuple[str, str]] = []
        for name, value in (
            ("added_after", added_after),
            ("match[version]", version),
            ("limit", None if limit is None else str(limit)),
            ("next", next_page),
        ):
            if value is not None:
                params.append((name, value))
        if types:
            params.append(("match[type]", ",".join(types)))
        path = f"/collections/{collection_id}/objects/"
        if object_id is not None:
            path += f"{object_id}/"
        envelope: dict[str, Any] = self._taxii("GET", path, params=params)
        return envelope

    # subscriptions to partners' collections

    def subscribe(
        self,
        url: str,
        collection: str,
        label: str,
        *,
        auth: str = "none",
        username: str = "",
        secret: str = "",
        interval_seconds: int = 900,
    ) -> TaxiiSubscription:
        """POST /api/v1/taxii/subscriptions: ingest the partner's collection at ``url``
        into ``collection``; unmarked objects take ``label``, wider-marked are refused."""
        body = {
            "url": url,
            "collection": collection,
            "label": label,
            "auth": auth,
            "username": username,
            "secret": secret,
            "interval_seconds": interval_seconds,
        }
        return parse(TaxiiSubscription, self._client._call("POST", SUBSCRIPTIONS, json=body))

    def subscriptions(self, *, removed: bool = False) -> list[TaxiiSubscription]:
        """GET /api/v1/taxii/subscriptions: those of the collections the caller sees."""
        params = {"removed": "true"} if removed else None
        return parse_list(
            TaxiiSubscription, self._client._call("GET", SUBSCRIPTIONS, params=params)
        )

    def subscription(self, subscription_id: str) -> TaxiiSubscription:
        """GET /api/v1/taxii/subscriptions/{id}: one, with its status."""
        return parse(
            TaxiiSubscription, self._client._call("GET", f"{SUBSCRIPTIONS}/{subscription_id}")
        )

    def poll(self, subscription_id: str) -> TaxiiPoll:
        """POST .../{id}/poll: poll now, whatever the backoff."""
        return parse(
            TaxiiPoll, self._client._call("POST", f"{SUBSCRIPTIONS}/{subscription_id}/poll")
        )

    def unsubscribe(self, subscription_id: str) -> None:
        """DELETE .../{id}: stop polling; the credentials are erased."""
        self._client._call("DELETE", f"{SUBSCRIPTIONS}/{subscription_id}")
