"""TAXII 2.1 query parameters (§3.4-3.5): ``added_after``, ``limit``, ``next`` and the
``match[...]`` filters, read strictly into :class:`Filters`.

Each endpoint reads only the parameters the specification gives it (an object's own
endpoint has no ``match[id]``); others are ignored, as the specification asks of filters
a server does not support. A malformed value is refused (``invalid_taxii_filter``), never
guessed at. ``next`` is this server's own: the microsecond ``date_added`` of the last
item of the previous page, since ``date_added`` is unique in a collection.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from caveat.domain.errors import InvalidInput

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"^[0-9]{1,20}$")
# STIX 2.1 §3.1 type names, and identifiers with a lowercase RFC 4122 UUID (§2.9).
_TYPE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
_ID = re.compile(
    r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*--"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
)
_SPEC = re.compile(r"^[0-9]+\.[0-9]+$")
_TIMESTAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$")


class Endpoint(StrEnum):
    """The TAXII endpoints that take filters, and the ledger's name for what was read."""

    OBJECTS = "objects"
    MANIFEST = "manifest"
    OBJECT = "object"
    VERSIONS = "versions"
    DELETE = "delete"
    WEB = "web"  # the web pages (they take no TAXII parameters)


# §5.3-5.8: which parameters each endpoint supports.
_ALLOWED: dict[Endpoint, frozenset[str]] = {
    Endpoint.OBJECTS: frozenset({"added_after", "limit", "next", "id", "type", "version", "spec"}),
    Endpoint.MANIFEST: frozenset({"added_after", "limit", "next", "id", "type", "version", "spec"}),
    Endpoint.OBJECT: frozenset({"added_after", "limit", "next", "version", "spec"}),
    Endpoint.VERSIONS: frozenset({"added_after", "limit", "next", "spec"}),
    Endpoint.DELETE: frozenset({"version", "spec"}),
}
_PARAMETER = {
    "added_after": "added_after",
    "limit": "limit",
    "next": "next",
    "match[id]": "id",
    "match[type]": "type",
    "match[version]": "version",
    "match[spec_version]": "spec",
}


@dataclass(frozen=True, slots=True)
class VersionMatch:
    """``match[version]``: any of the first, the last, every version, or the versions at
    the given timestamps. The first and last are among the versions the caller may read."""

    first: bool = False
    last: bool = False
    every: bool = False
    at: tuple[datetime, ...] = ()


LAST = VersionMatch(last=True)
EVERY = VersionMatch(every=True)


@dataclass(frozen=True, slots=True)
class Filters:
    """One request's filters. ``after`` is the position ``next`` names (exclusive)."""

    added_after: datetime | None = None
    limit: int = DEFAULT_LIMIT
    after: datetime | None = None
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: VersionMatch = LAST
    spec_versions: tuple[str, ...] = ()

    @property
    def lower_bound(self) -> datetime | None:
        """Items come strictly after this ``date_added`` (``added_after`` and ``next``)."""
        bounds = [b for b in (self.added_after, self.after) if b is not None]
        return max(bounds) if bounds else None


def _invalid(field: str, why: str) -> InvalidInput:
    return InvalidInput(why, code="invalid_taxii_filter", field=field)


def parse_timestamp(value: str, field: str) -> datetime:
    """An RFC 3339 UTC timestamp (``Z``) to the microsecond, as STIX and TAXII write them."""
    found = _TIMESTAMP.match(value)
    if found is None:
        raise _invalid(field, f"{value!r} is not a timestamp such as 2026-01-31T12:00:00.000Z")
    fraction = found[7] or ""
    if fraction[6:].strip("0"):
        raise _invalid(field, f"{value} is finer than a microsecond")
    year, month, day, hour, minute, second = (int(found[i]) for i in range(1, 7))
    try:
        return datetime(
            year, month, day, hour, minute, second, int(fraction[:6].ljust(6, "0")), tzinfo=UTC
        )
    except ValueError:
        raise _invalid(field, f"{value} is not a date and time") from None


def stix_time(moment: datetime) -> str:
    """A timestamp as STIX writes it: milliseconds, or microseconds when it has them."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return (text[:-3] if text.endswith("000") else text) + "Z"


def added_time(moment: datetime) -> str:
    """A ``date_added`` as TAXII writes it: always to the microsecond."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def cursor(moment: datetime) -> str:
    """The ``next`` of a page ending at ``moment`` (a ``date_added``)."""
    return str((moment - _EPOCH) // timedelta(microseconds=1))


def _uncursor(value: str) -> datetime:
    if not _CURSOR.match(value):
        raise _invalid("next", "not a next value this server gave")
    try:
        return _EPOCH + timedelta(microseconds=int(value))
    except OverflowError:
        raise _invalid("next", "not a next value this server gave") from None


def _values(raw: Sequence[str], field: str, pattern: re.Pattern[str], what: str) -> tuple[str, ...]:
    items = [v.strip() for text in raw for v in text.split(",")]
    for item in items:
        if not pattern.match(item):
            raise _invalid(field, f"{item!r} is not {what}")
    return tuple(dict.fromkeys(items))


def _versions(raw: Sequence[str]) -> VersionMatch:
    words = [v.strip() for text in raw for v in text.split(",")]
    return VersionMatch(
        first="first" in words,
        last="last" in words,
        every="all" in words,
        at=tuple(
            parse_timestamp(w, "match[version]") for w in words if w not in ("first", "last", "all")
        ),
    )


def _limit(raw: Sequence[str]) -> int:
    value = raw[-1].strip()
    if not value.isdigit() or int(value) < 1:
        raise _invalid("limit", "limit is a positive whole number")
    return min(int(value), MAX_LIMIT)  # a server may answer with fewer (§3.4)


def read_filters(params: Iterable[tuple[str, str]], endpoint: Endpoint) -> Filters:
    """The filters of ``endpoint`` from the query's (name, value) pairs; a parameter
    given twice counts as one list (``match[type]=a&match[type]=b`` is ``a,b``)."""
    allowed = _ALLOWED[endpoint]
    given: dict[str, list[str]] = {}
    for name, value in params:
        key = _PARAMETER.get(name)
        if key is not None and key in allowed:
            given.setdefault(key, []).append(value)
    return _filters(given, endpoint)


def _filters(given: Mapping[str, list[str]], endpoint: Endpoint) -> Filters:
    added_after = given.get("added_after")
    if added_after is not None and len(added_after) > 1:
        raise _invalid("added_after", "added_after is given once")
    default = EVERY if endpoint in (Endpoint.VERSIONS, Endpoint.DELETE) else LAST
    return Filters(
        added_after=None if added_after is None else parse_timestamp(added_after[0], "added_after"),
        limit=_limit(given["limit"]) if "limit" in given else DEFAULT_LIMIT,
        after=_uncursor(given["next"][-1]) if "next" in given else None,
        ids=_values(given.get("id", []), "match[id]", _ID, "a STIX identifier"),
        types=_values(given.get("type", []), "match[type]", _TYPE, "a STIX type"),
        versions=_versions(given["version"]) if "version" in given else default,
        spec_versions=_values(given.get("spec", []), "match[spec_version]", _SPEC, "a version"),
    )
