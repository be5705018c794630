"""STIX identifiers and timestamps, read strictly (STIX 2.1 §2.9, §3.1, §3.2).

Identifiers are ``<type>--<UUID>``. Caveat accepts only the lowercase form of the UUID:
STIX compares ids as strings, so an uppercase twin would be a second object with the
same meaning. Timestamps are RFC 3339 in UTC (``Z``) and are kept to the microsecond,
as TAXII 2.1 keeps ``date_added``.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from caveat.domain.stix.errors import InvalidStix

# §3.1: a-z, 0-9 and single hyphens, 3 to 250 characters.
_TYPE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
# RFC 4122 (variant bits 10xx), versions 1-8, lowercase only.
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
_ID = re.compile(rf"^(?P<type>[a-z0-9-]+)--(?P<uuid>{_UUID})$")
_TIMESTAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$")

# The namespace of Caveat's name-based (UUIDv5) STIX ids: a marking definition's id is
# derived from the canonical label it carries, so one label has one id everywhere.
CAVEAT_STIX_NAMESPACE = uuid.UUID("cd4286bf-3a0a-4427-a567-d46cd1a3155c")


def check_type(value: object, *, where: str) -> str:
    """``value`` when it is a STIX type name (§3.1), else InvalidStix."""
    if not isinstance(value, str) or not 3 <= len(value) <= 250 or not _TYPE.match(value):
        raise InvalidStix(f"{where}: {value!r} is not a STIX type name", field="type")
    return value


def check_id(value: object, *, type_: str | None = None, where: str) -> str:
    """``value`` when it is a well-formed STIX id (of ``type_`` if given), else InvalidStix."""
    found = _ID.match(value) if isinstance(value, str) else None
    if found is None:
        raise InvalidStix(
            f"{where}: {value!r} is not a STIX identifier",
            field="id",
            hint="<type>--<RFC 4122 UUID in lowercase>",
        )
    check_type(found["type"], where=where)
    if type_ is not None and found["type"] != type_:
        raise InvalidStix(f"{where}: {value} is not an identifier of type {type_}", field="id")
    return found["type"]


def id_type(value: str) -> str:
    """The type part of an id already checked by :func:`check_id`."""
    return value.split("--", 1)[0]


def parse_timestamp(value: object, *, where: str) -> datetime:
    """A STIX timestamp as an aware UTC datetime. Digits past the microsecond must be
    zero: two versions that differ only there would otherwise become one."""
    found = _TIMESTAMP.match(value) if isinstance(value, str) else None
    if found is None:
        raise InvalidStix(
            f"{where}: {value!r} is not a STIX timestamp", hint="YYYY-MM-DDThh:mm:ss[.s]Z"
        )
    fraction = found[7] or ""
    if fraction[6:].strip("0"):
        raise InvalidStix(f"{where}: {value} is finer than a microsecond")
    year, month, day, hour, minute, second = (int(found[i]) for i in range(1, 7))
    micro = int(fraction[:6].ljust(6, "0"))
    try:
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
    except ValueError:
        raise InvalidStix(f"{where}: {value} is not a date and time") from None


def name_based_id(type_: str, name: str) -> str:
    """The UUIDv5 id of ``name`` in Caveat's namespace, for objects Caveat derives from
    content (marking definitions, default bundle ids)."""
    return f"{type_}--{uuid.uuid5(CAVEAT_STIX_NAMESPACE, name)}"
