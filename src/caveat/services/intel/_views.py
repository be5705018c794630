"""What the TAXII service hands out: collections, pages of object versions or their
manifest, and the status of an add request. Plain data; the API writes TAXII JSON."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

MEDIA_TAXII = "application/taxii+json;version=2.1"
MEDIA_STIX = "application/stix+json;version=2.1"
API_ROOT = "caveat"  # the one API root: /taxii2/caveat/
# The largest add request this server takes (bytes), advertised as the API root's
# max_content_length and held by the HTTP edge before a body is read.
MAX_CONTENT_LENGTH = 16 * 1024 * 1024
MAX_OBJECTS = 10_000  # per add request


@dataclass(frozen=True, slots=True)
class Collection:
    """A collection as one caller sees it (TAXII 2.1 §5.2.1, with its project)."""

    id: str
    title: str
    description: str
    project_id: str
    can_read: bool
    can_write: bool
    media_types: tuple[str, ...] = (MEDIA_STIX,)


@dataclass(frozen=True, slots=True)
class Version:
    """One stored object version the caller may read, with its resource id (its
    catalogue row) and, for object pages, the STIX object with its markings."""

    resource_id: str
    object_id: str
    type: str
    spec_version: str
    version: datetime
    date_added: datetime
    stix: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """A page of versions in ``date_added`` order; ``next`` is set when more follow."""

    items: tuple[Version, ...]
    more: bool
    next: str | None

    @property
    def first_added(self) -> datetime | None:
        """X-TAXII-Date-Added-First."""
        return self.items[0].date_added if self.items else None

    @property
    def last_added(self) -> datetime | None:
        """X-TAXII-Date-Added-Last."""
        return self.items[-1].date_added if self.items else None


@dataclass(frozen=True, slots=True)
class Outcome:
    """One object of an add request: its id, version, whether it is held now, and a
    message (why it was refused, or that it was held already)."""

    id: str
    version: str
    ok: bool = True
    message: str | None = None


@dataclass(frozen=True, slots=True)
class Status:
    """An add request's status resource (TAXII 2.1 §4.3.1). Objects are stored in the
    request's own transaction, so a status is complete when it is first returned."""

    id: str
    request_timestamp: datetime
    successes: tuple[Outcome, ...]
    failures: tuple[Outcome, ...]
    pendings: tuple[Outcome, ...] = ()

    @property
    def total_count(self) -> int:
        return len(self.successes) + len(self.failures) + len(self.pendings)

    @property
    def status(self) -> str:
        return "pending" if self.pendings else "complete"
