"""STIX objects as Caveat keeps them: content without data markings, and its label.

An object's markings are not part of what Caveat stores: on the way in they are read
into one Caveat label (object and granular markings rolled up, TLP folded in), and on
the way out the label is written back as markings. Keeping them apart means a stored
object can never carry a marking that disagrees with the label the policy reads.
Language markings (granular ``lang``) are content, not data markings, and stay.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from caveat.domain.labels import Label
from caveat.domain.stix.errors import InvalidStix
from caveat.domain.stix.identifiers import check_id, parse_timestamp
from caveat.domain.stix.jsontext import canonical

OBJECT_MARKINGS = "object_marking_refs"
GRANULAR_MARKINGS = "granular_markings"


@dataclass(frozen=True, slots=True)
class Limits:
    """How much one bundle may hold; checked before parsing (bytes) and before reading
    any object (count)."""

    max_bytes: int = 16 * 1024 * 1024
    max_objects: int = 10_000


@dataclass(frozen=True, slots=True)
class StixObject:
    """One STIX 2.1 object without data markings, as RFC 8785 canonical JSON.

    ``(id, modified)`` names the version (``modified`` is None for objects that have
    none, such as cyber-observables). Build it with :func:`stix_object`.
    """

    id: str
    type: str
    modified: datetime | None
    content: bytes

    @property
    def version(self) -> tuple[str, datetime | None]:
        """The object's version key: its id and ``modified``."""
        return (self.id, self.modified)

    def properties(self) -> dict[str, Any]:
        """The object's JSON members (a fresh dict each call)."""
        value: dict[str, Any] = json.loads(self.content)
        return value


@dataclass(frozen=True, slots=True)
class LabelledObject:
    """A STIX object and the Caveat label that governs who may see it."""

    stix: StixObject
    label: Label


def _is_data_marking(entry: object) -> bool:
    return isinstance(entry, Mapping) and "marking_ref" in entry


def stix_object(properties: Mapping[str, Any]) -> StixObject:
    """A StixObject from an object's JSON members, which must carry no data markings
    (``object_marking_refs``, or granular markings with a ``marking_ref``)."""
    type_ = properties.get("type")
    where = str(properties.get("id"))
    if not isinstance(type_, str):
        raise InvalidStix(f"{where}: an object has a type", field="type")
    check_id(properties.get("id"), type_=type_, where=where)
    if OBJECT_MARKINGS in properties or any(
        _is_data_marking(g) for g in properties.get(GRANULAR_MARKINGS) or ()
    ):
        raise InvalidStix(
            f"{where}: markings belong in the label, not in the stored object",
            field=OBJECT_MARKINGS,
            data={"object": where},
        )
    modified = properties.get("modified")
    return StixObject(
        id=str(properties["id"]),
        type=type_,
        modified=None if modified is None else parse_timestamp(modified, where=where),
        content=canonical(dict(properties)),
    )
