"""``client.work`` and ``client.notifications``: the signed-in person's work queue
(``/api/v1/work``) and notifications (``/api/v1/notifications``). Answers are the JSON
the API documents; everything in them is the caller's own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from caveat.client import CaveatClient


class Work:
    """The work queue through the client."""

    def __init__(self, client: CaveatClient) -> None:
        self._client = client

    def queue(self, *, today: str | None = None) -> dict[str, Any]:
        """GET /work: what waits for your act, with counts per kind (``today`` YYYY-MM-DD)."""
        params = {"today": today} if today else {}
        return dict(self._client._call("GET", "/api/v1/work", params=params))


class Notifications:
    """Notifications through the client."""

    def __init__(self, client: CaveatClient) -> None:
        self._client = client

    def list(self, *, unread: bool = False, limit: int = 50) -> dict[str, Any]:
        """GET /notifications: yours, newest first, and how many are unread."""
        params = {"unread": str(unread).lower(), "limit": limit}
        return dict(self._client._call("GET", "/api/v1/notifications", params=params))

    def mark_read(self, notification_id: str) -> dict[str, Any]:
        """POST /notifications/{id}/read."""
        path = f"/api/v1/notifications/{quote(notification_id, safe='')}/read"
        return dict(self._client._call("POST", path))

    def email(self) -> dict[str, Any]:
        """GET /notifications/email: whether yours are mailed, and whether the node mails."""
        return dict(self._client._call("GET", "/api/v1/notifications/email"))

    def set_email(self, on: bool) -> dict[str, Any]:
        """PUT /notifications/email: turn the mailing of yours on or off."""
        return dict(self._client._call("PUT", "/api/v1/notifications/email", json={"email": on}))
