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
