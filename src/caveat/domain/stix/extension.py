"""Caveat labels in STIX: one marking definition per label, through Caveat's own
property extension (STIX 2.1 §7.3, extension-definition; ADR 0021).

A label rides as a marking-definition whose ``extensions`` entry, keyed by Caveat's
extension-definition id, holds the label in its canonical JSON form
(``caveat.domain.labels.canonical``, ``caveat.label/1``) and, for people, its banner.
STIX marking definitions are never versioned, so the id is derived from the label
itself (UUIDv5 of its RFC 8785 bytes) and ``created`` is the extension's publication
time: the same label is the same marking, byte for byte, on every node and in every
export. On the way in, the label is read with the label package's own strict parser
(every marking rule, groups checked) and the id must be the one the label gives.

Partners read ``label-extension.schema.json`` beside this module (its SHA-256 is in the
extension-definition's ``schema``); the banner and name are informative, receivers
render their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from caveat.domain.errors import CaveatError, InvalidInput
from caveat.domain.groups import GroupDirectory
from caveat.domain.labels import (
    Label,
    SchemeRegistry,
    label_from_canonical_json,
    label_to_canonical_json,
    label_to_json_object,
    render_banner,
)
from caveat.domain.stix.errors import InvalidStix
from caveat.domain.stix.identifiers import name_based_id, parse_timestamp
from caveat.domain.stix.jsontext import canonical

EXTENSION_ID = "extension-definition--6599ec4f-d6a1-4db4-b264-723187bcda26"
EXTENSION_VERSION = "1.0.0"
# When version 1.0.0 of the extension was published; also every label marking's
# ``created`` (a marking definition has one content forever, so no clock reading).
EXTENSION_CREATED = "2026-12-05T00:00:00.000Z"
# The identity named as the extension's creator (required by STIX 2.1 §7.3).
CAVEAT_IDENTITY_ID = "identity--4f335d51-989f-4288-a94b-40df56027754"
SCHEMA_FILE = "label-extension.schema.json"
# SHA-256 of SCHEMA_FILE; a test holds them together, so a changed schema needs a new
# extension version (partners pin what they validated against).
SCHEMA_SHA256 = "8425dd00f54d220cf34984ed62380c80376c0842c57b41ccc6320d7dc4457754"
FALLBACK_NAME = "Caveat security label"
MAX_TEXT = 1024
_PROPERTY_EXTENSION = "property-extension"
_MARKING_KEYS = frozenset({"type", "spec_version", "id", "created", "name", "extensions"})
_REQUIRED = frozenset({"extension_type", "label"})
_ALLOWED = _REQUIRED | {"banner"}


def extension_definition() -> dict[str, Any]:
    """Caveat's extension-definition object (a fresh copy each call)."""
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": EXTENSION_ID,
        "created": EXTENSION_CREATED,
        "modified": EXTENSION_CREATED,
        "created_by_ref": CAVEAT_IDENTITY_ID,
        "name": "Caveat security label",
        "description": (
            "A security label (STANAG 4774-shaped: scheme, classification, releasability "
            "and caveats) carried by a marking-definition; the Caveat platform decides "
            "access from it. TLP travels beside it as the OASIS TLP 2.0 marking."
        ),
        "schema": (
            f"JSON Schema {SCHEMA_FILE} (draft 2020-12), published with Caveat in "
            f"caveat/domain/stix/; sha256:{SCHEMA_SHA256}"
        ),
        "version": EXTENSION_VERSION,
        "extension_types": [_PROPERTY_EXTENSION],
    }


def label_marking_id(label: Label) -> str:
    """The marking-definition id of ``label``: UUIDv5 of its canonical JSON."""
    return name_based_id("marking-definition", label_to_canonical_json(label).decode("utf-8"))


def _banner(label: Label, schemes: SchemeRegistry | None) -> str | None:
    try:
        return render_banner(label, schemes=schemes)
    except InvalidInput:  # a category CAPCO cannot write, a scheme unknown here
        return None


def label_marking_definition(
    label: Label, *, schemes: SchemeRegistry | None = None
) -> dict[str, Any]:
    """The marking-definition object that carries ``label``."""
    banner = _banner(label, schemes)
    extension: dict[str, Any] = {
        "extension_type": _PROPERTY_EXTENSION,
        "label": label_to_json_object(label),
    }
    if banner is not None:
        extension["banner"] = banner
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": label_marking_id(label),
        "created": EXTENSION_CREATED,
        "name": banner or FALLBACK_NAME,
        "extensions": {EXTENSION_ID: extension},
    }


def carries_label(definition: Mapping[str, Any]) -> bool:
    """Whether ``definition`` claims to carry a Caveat label (has Caveat's extension)."""
    extensions = definition.get("extensions")
    return isinstance(extensions, Mapping) and EXTENSION_ID in extensions


def _malformed(marking_id: str, why: str) -> InvalidStix:
    return InvalidStix(
        f"Caveat label marking {marking_id}: {why}",
        field="marking",
        data={"marking": marking_id},
        hint=f"see {SCHEMA_FILE}",
    )


def _text(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_TEXT


def read_label_marking(
    definition: Mapping[str, Any],
    *,
    groups: GroupDirectory,
    schemes: SchemeRegistry | None = None,
) -> Label:
    """The label a Caveat label marking carries, checked as strictly as any label from
    outside (every marking rule, REL TO groups against ``groups``); its id must be the
    one the label gives. Label faults keep the label package's codes, with the marking's
    id added to their data."""
    marking_id = str(definition.get("id"))
    if set(definition) != _MARKING_KEYS:
        raise _malformed(marking_id, f"has exactly the members {sorted(_MARKING_KEYS)}")
    if definition["type"] != "marking-definition" or definition["spec_version"] != "2.1":
        raise _malformed(marking_id, "is a STIX 2.1 marking-definition")
    parse_timestamp(definition["created"], where=marking_id)
    extensions = definition["extensions"]
    if not isinstance(extensions, Mapping) or set(extensions) != {EXTENSION_ID}:
        raise _malformed(marking_id, "carries Caveat's extension and no other")
    extension = extensions[EXTENSION_ID]
    if not isinstance(extension, Mapping) or not _REQUIRED <= set(extension) <= _ALLOWED:
        raise _malformed(marking_id, f"the extension has {sorted(_REQUIRED)} and maybe banner")
    if extension["extension_type"] != _PROPERTY_EXTENSION:
        raise _malformed(marking_id, f"extension_type is {_PROPERTY_EXTENSION}")
    if not _text(definition["name"]) or ("banner" in extension and not _text(extension["banner"])):
        raise _malformed(marking_id, f"name and banner are text of 1 to {MAX_TEXT} characters")
    if not isinstance(extension["label"], Mapping):
        raise _malformed(marking_id, "label is a caveat.label/1 object")
    try:
        label = label_from_canonical_json(
            canonical(extension["label"]), schemes=schemes, groups=groups
        )
    except CaveatError as exc:
        exc.data.setdefault("marking", marking_id)
        raise
    if label_marking_id(label) != marking_id:
        raise _malformed(marking_id, "its id is not the one its label gives")
    return label
