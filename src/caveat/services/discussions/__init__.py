"""Discussions: labelled messages per project and per artifact (issue 21, ADR 0026).

Every title and message carries its own label; each reader reads only what the policy's
``decide()`` lets them read, and what they may not read looks exactly like what does not
exist. Edits keep every version and never loosen a label; mentions name only people who
may read the message.

The entry point of the feature: other features, the API, the web app and the CLI import
from here only (an import-linter contract keeps the modules beside it private)."""

from __future__ import annotations

from caveat.services.discussions._service import DiscussionService
from caveat.services.discussions._views import (
    Discussion,
    DiscussionSummary,
    Mention,
    Message,
    MessageHistory,
    MessageVersion,
)

__all__ = [
    "Discussion",
    "DiscussionService",
    "DiscussionSummary",
    "Mention",
    "Message",
    "MessageHistory",
    "MessageVersion",
]
