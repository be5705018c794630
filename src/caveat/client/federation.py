"""``client.federation``: releases to partner nodes and their recalls
(``/api/v1/federation``). Answers are the JSON the API documents."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from caveat.client import CaveatClient


class Federation:
    """Releasing to peers, recalling, and what peers released here."""

    def __init__(self, client: CaveatClient) -> None:
        self._client = client

    def release(self, peer: str, artifact_id: str) -> dict[str, Any]:
        """POST /federation/peers/{peer}/releases: package an artifact for the peer."""
        path = f"/api/v1/federation/peers/{quote(peer, safe='')}/releases"
        return dict(self._client._call("POST", path, json={"artifact_id": artifact_id}))

    def recall(
        self, peer: str, artifact_id: str, *, reason: str, detail: str = ""
    ) -> dict[str, Any]:
        """POST /federation/peers/{peer}/recalls: recall what went of an artifact to the
        peer (``reason``: mis_release, agreement_ended, licence_revoked, other)."""
        path = f"/api/v1/federation/peers/{quote(peer, safe='')}/recalls"
        body = {"artifact_id": artifact_id, "reason": reason, "detail": detail}
        return dict(self._client._call("POST", path, json=body))

    def recalls(self, *, peer: str | None = None) -> list[dict[str, Any]]:
        """GET /federation/recalls: sent and received, with their confirmation."""
        params = {"peer": peer} if peer else {}
        return list(self._client._call("GET", "/api/v1/federation/recalls", params=params))

    def received(self) -> list[dict[str, Any]]:
        """GET /federation/received: what peers released here that you may see."""
        return list(self._client._call("GET", "/api/v1/federation/received"))
