"""Giving STIX 2.1 out: labelled objects with their markings, deterministically.

Each object gets ``object_marking_refs`` naming its Caveat label marking and, when the
label has a TLP colour, the OASIS TLP 2.0 marking (never a TLP 1.0 id or a vendor
form). The marking definitions it refers to, and Caveat's extension definition, travel
with it. Everything is sorted and written as RFC 8785 canonical JSON, and every id
Caveat makes is derived from content, so the same objects give the same bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from caveat.domain.labels import TLP, SchemeRegistry
from caveat.domain.stix.errors import InvalidStix
from caveat.domain.stix.extension import (
    EXTENSION_ID,
    extension_definition,
    label_marking_definition,
)
from caveat.domain.stix.identifiers import check_id, name_based_id
from caveat.domain.stix.jsontext import canonical
from caveat.domain.stix.model import OBJECT_MARKINGS, LabelledObject
from caveat.domain.stix.tlp import tlp_marking_definition

_EARLIEST = datetime.min.replace(tzinfo=UTC)


def _one_per_version(objects: Iterable[LabelledObject]) -> list[LabelledObject]:
    kept: dict[tuple[str, datetime | None], LabelledObject] = {}
    for item in objects:
        if item.stix.type == "marking-definition" or item.stix.id == EXTENSION_ID:
            raise InvalidStix(
                f"{item.stix.id}: marking and extension definitions are written from labels",
                data={"object": item.stix.id},
            )
        prior = kept.setdefault(item.stix.version, item)
        if prior != item:
            raise InvalidStix(
                f"{item.stix.id} is given twice with the same modified and other content "
                "or another label",
                data={"object": item.stix.id},
            )
    return sorted(kept.values(), key=lambda o: (o.stix.id, o.stix.modified or _EARLIEST))


def marked_objects(
    objects: Iterable[LabelledObject], *, schemes: SchemeRegistry | None = None
) -> list[dict[str, Any]]:
    """The STIX objects to send for ``objects``: each with its markings, then the
    marking and extension definitions they need; sorted by id, then ``modified``."""
    content: list[tuple[tuple[str, datetime], dict[str, Any]]] = []
    meta: dict[str, dict[str, Any]] = {}
    for item in _one_per_version(objects):
        marking = label_marking_definition(item.label, schemes=schemes)
        meta[marking["id"]] = marking
        refs = [marking["id"]]
        for colour in sorted(item.label.values(TLP)):
            tlp = tlp_marking_definition(colour)
            meta[tlp["id"]] = tlp
            refs.append(tlp["id"])
        properties = item.stix.properties()
        properties[OBJECT_MARKINGS] = sorted(refs)
        content.append(((item.stix.id, item.stix.modified or _EARLIEST), properties))
    if content:
        definition = extension_definition()
        meta[definition["id"]] = definition
    # Versions of one object in time order; definitions have ids of their own.
    content += [((key, _EARLIEST), value) for key, value in meta.items()]
    return [value for _, value in sorted(content, key=lambda pair: pair[0])]


def export_bundle(
    objects: Iterable[LabelledObject],
    *,
    bundle_id: str | None = None,
    schemes: SchemeRegistry | None = None,
) -> bytes:
    """A STIX 2.1 bundle of ``objects`` as canonical JSON bytes.

    ``bundle_id`` defaults to one derived from the content (UUIDv5 of its SHA-256), so
    the same objects give the same bundle; pass a random one to name a delivery instead.
    """
    listed = marked_objects(objects, schemes=schemes)
    if bundle_id is None:
        digest = hashlib.sha256(canonical(listed)).hexdigest()
        bundle_id = name_based_id("bundle", f"caveat.bundle/1:{digest}")
    check_id(bundle_id, type_="bundle", where="bundle_id")
    return canonical({"type": "bundle", "id": bundle_id, "objects": listed})
