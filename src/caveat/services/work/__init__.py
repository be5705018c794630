"""Work queues (issues 16 and 21, ADR 0028): what waits for a person's act, by kind, with
counts, asked of the features that own each kind of work.

The entry point of the feature: the API, the web app and the CLI import from here only.
It sits above compliance, programmes and plans and imports them through their entry
points; nothing imports it but the surfaces."""

from __future__ import annotations

from caveat.services.work._service import EXPIRY_DAYS, KINDS, WorkItem, WorkQueue, WorkService

__all__ = ["EXPIRY_DAYS", "KINDS", "WorkItem", "WorkQueue", "WorkService"]
