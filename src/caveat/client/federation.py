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

    def set_receiving_project(self, peer: str, project: str | None) -> dict[str, Any]:
        """PUT /federation/peers/{peer}/receiving-project: the local project the peer's
        releases become artifacts of (None: they stay sealed, listed to officers)."""
        path = f"/api/v1/federation/peers/{quote(peer, safe='')}/receiving-project"
        return dict(self._client._call("PUT", path, json={"project": project}))

    def release(self, peer: str, artifact_id: str, *, key_mode: str = "offline") -> dict[str, Any]:
        """POST /federation/peers/{peer}/releases: package an artifact for the peer
        (``key_mode``: offline, or split: the peer must obtain this node's key split
        before its first open, and a recall destroys it)."""
        path = f"/api/v1/federation/peers/{quote(peer, safe='')}/releases"
        body = {"artifact_id": artifact_id, "key_mode": key_mode}
        return dict(self._client._call("POST", path, json=body))

    def open_split(self, item_id: str) -> dict[str, Any]:
        """POST /federation/received/{item}/open: the first open of a split-mode item
        (its originating node's key split obtained, or its refusal in words)."""
        path = f"/api/v1/federation/received/{quote(item_id, safe='')}/open"
        return dict(self._client._call("POST", path))

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

    def re_release(
        self, item_id: str, *, nation: str, justification: str, peer: str = ""
    ) -> dict[str, Any]:
        """POST /federation/received/{item}/re-release-requests: ask the item's originating
        node to release it to a third nation (optionally the peer it knows by ``peer``)."""
        path = f"/api/v1/federation/received/{quote(item_id, safe='')}/re-release-requests"
        body = {"nation": nation, "peer": peer, "justification": justification}
        return dict(self._client._call("POST", path, json=body))

    def re_releases(self, *, status: str | None = None) -> list[dict[str, Any]]:
        """GET /federation/re-release-requests: sent and received (``status``: pending,
        approved, refused, rejected)."""
        params = {"status": status} if status else {}
        path = "/api/v1/federation/re-release-requests"
        return list(self._client._call("GET", path, params=params))

    def decide_re_release(
        self, request_id: str, *, approve: bool, reason: str = ""
    ) -> dict[str, Any]:
        """POST /federation/re-release-requests/{id}/decision: approve (this node releases
        the item to the third node, the policy deciding) or refuse with a reason."""
        path = f"/api/v1/federation/re-release-requests/{quote(request_id, safe='')}/decision"
        return dict(self._client._call("POST", path, json={"approve": approve, "reason": reason}))

    def received(self) -> list[dict[str, Any]]:
        """GET /federation/received: what peers released here that you may see."""
        return list(self._client._call("GET", "/api/v1/federation/received"))
