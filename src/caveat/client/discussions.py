"""``client.discussions``: labelled discussions of projects and artifacts
(``/api/v1/discussions``). Answers are the JSON the API documents: only what the
signed-in reader may read, with the marking rolled up for them."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from caveat.client import CaveatClient

BASE = "/api/v1/discussions"


class Discussions:
    """Discussions, messages, edits and mentions through the client's session."""

    def __init__(self, client: CaveatClient) -> None:
        self._client = client

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._client._call(method, f"{BASE}{path}", **kwargs)

    def list(
        self, *, project: str | None = None, artifact: str | None = None
    ) -> builtins.list[Any]:
        """GET /discussions: the discussions you may read (of a project or an artifact)."""
        params = {k: v for k, v in (("project", project), ("artifact", artifact)) if v}
        return list(self._call("GET", "", params=params or None))

    def start(
        self,
        *,
        title: str,
        title_label: str,
        text: str,
        label: str,
        project: str | None = None,
        artifact: str | None = None,
    ) -> dict[str, Any]:
        """POST /discussions: a discussion of a project or artifact with its first message."""
        body = {
            "title": title,
            "title_label": title_label,
            "text": text,
            "label": label,
            "project": project,
            "artifact": artifact,
        }
        return dict(self._call("POST", "", json=body))

    def get(self, discussion_id: str) -> dict[str, Any]:
        """GET /discussions/{id}: the messages you may read and their marking for you."""
        return dict(self._call("GET", f"/{discussion_id}"))

    def post(self, discussion_id: str, *, text: str, label: str) -> dict[str, Any]:
        """POST /discussions/{id}/messages: a message with its own label."""
        return dict(
            self._call("POST", f"/{discussion_id}/messages", json={"text": text, "label": label})
        )

    def edit(self, message_id: str, *, text: str, label: str) -> dict[str, Any]:
        """POST /discussions/messages/{id}/versions: a new version of your own message."""
        return dict(
            self._call(
                "POST", f"/messages/{message_id}/versions", json={"text": text, "label": label}
            )
        )

    def history(self, message_id: str) -> dict[str, Any]:
        """GET /discussions/messages/{id}/versions: the versions you may read."""
        return dict(self._call("GET", f"/messages/{message_id}/versions"))

    def mentions(self) -> builtins.list[Any]:
        """GET /discussions/mentions: messages that mention you."""
        return list(self._call("GET", "/mentions"))
