"""Taking a STIX 2.1 bundle in: strict parsing, markings read into labels, versions kept.

In order, each step refusing with a typed error and nothing taken in on any refusal:
size, then JSON (strict), then the bundle's shape, then the object count, then every
object's type, id and spec version (2.1 only), then every marking definition (each must
mean a Caveat label or a TLP colour), then each object through the stix2 library with
its label resolved. Relationships, sightings and any other object are kept alike; every
version of an object (``id`` and ``modified``) is kept, and one version given twice must
be the same object both times.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from caveat.domain.groups import GroupDirectory
from caveat.domain.labels import Label, SchemeRegistry
from caveat.domain.stix.errors import InvalidStix, StixTooLarge
from caveat.domain.stix.extension import EXTENSION_ID, extension_definition
from caveat.domain.stix.identifiers import check_id, check_type, parse_timestamp
from caveat.domain.stix.jsontext import parse_json
from caveat.domain.stix.labelling import object_label, tag_colours
from caveat.domain.stix.library import library_form
from caveat.domain.stix.markings import Meaning, read_markings, resolve
from caveat.domain.stix.model import (
    GRANULAR_MARKINGS,
    OBJECT_MARKINGS,
    LabelledObject,
    Limits,
    stix_object,
)
from caveat.domain.stix.tlp import TLP2_EXTENSION_ID

# STIX 2.1 §6: the cyber-observable types, whose spec_version is optional.
OBSERVABLE_TYPES = frozenset(
    {
        "artifact", "autonomous-system", "directory", "domain-name", "email-addr",
        "email-message", "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex",
        "network-traffic", "process", "software", "url", "user-account",
        "windows-registry-key", "x509-certificate",
    }
)  # fmt: skip
_BUNDLE_KEYS = frozenset({"type", "id", "objects"})
_EARLIEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ImportRules:
    """How objects are taken in.

    ``default_label`` labels objects that carry no Caveat label; None (the default)
    refuses them. ``policy`` is the scheme an object's label is rolled up under when its
    labels are under several schemes. ``groups`` and ``on`` check REL TO codes and
    expand groups in roll-ups; ``on`` is the day of the import (no clock is read here).
    ``allow_custom`` lets custom properties and object types through the stix2 library.
    """

    groups: GroupDirectory
    on: date
    default_label: Label | None = None
    policy: str | None = None
    schemes: SchemeRegistry | None = None
    limits: Limits = field(default_factory=Limits)
    allow_custom: bool = False


@dataclass(frozen=True, slots=True)
class ImportedBundle:
    """A bundle's id and its objects, each with its label, sorted by id and version."""

    bundle_id: str
    objects: tuple[LabelledObject, ...]


def _check_spec_version(item: Mapping[str, Any], type_: str, where: str) -> None:
    version = item.get("spec_version")
    if version is None and type_ in OBSERVABLE_TYPES:
        return
    if version != "2.1":
        raise InvalidStix(
            f"{where}: spec_version is {version!r}; Caveat reads STIX 2.1",
            field="spec_version",
            data={"object": where},
        )


def _known_extension(item: Mapping[str, Any], where: str) -> bool:
    """Whether ``item`` is a published extension definition that is metadata, not content."""
    if item["id"] == TLP2_EXTENSION_ID:
        return True
    if item["id"] != EXTENSION_ID:
        return False
    if dict(item) != extension_definition():
        raise InvalidStix(
            f"{where} is not the Caveat extension definition this node knows",
            data={"object": where},
            hint="the sending node runs another version of the label extension",
        )
    return True


def _check_times(body: Mapping[str, Any], where: str) -> None:
    if "created" in body and "modified" in body:
        created = parse_timestamp(body["created"], where=where)
        if parse_timestamp(body["modified"], where=where) < created:
            raise InvalidStix(
                f"{where}: modified is before created", field="modified", data={"object": where}
            )


def _check_markings(body: Mapping[str, Any], where: str) -> None:
    """The marking members' shape (the library checks it for the types it knows, not for
    custom ones), and no granular marking that selects a marking."""
    refs = body.get(OBJECT_MARKINGS, [])
    granular = body.get(GRANULAR_MARKINGS, [])
    if not isinstance(refs, list) or not isinstance(granular, list):
        raise InvalidStix(f"{where}: markings are lists", data={"object": where})
    for entry in granular:
        selectors = entry.get("selectors") if isinstance(entry, dict) else None
        if not isinstance(selectors, list) or not selectors:
            raise InvalidStix(
                f"{where}: a granular marking has selectors",
                field=GRANULAR_MARKINGS,
                data={"object": where},
            )
        for selector in selectors:
            if str(selector).split(".", 1)[0] in (OBJECT_MARKINGS, GRANULAR_MARKINGS):
                raise InvalidStix(
                    f"{where}: a granular marking selects {selector}, a marking",
                    field=GRANULAR_MARKINGS,
                    data={"object": where},
                )


def _checked(item: Mapping[str, Any], rules: ImportRules) -> dict[str, Any]:
    """The object as the library reads it, with its times and selectors checked."""
    where = str(item["id"])
    body = library_form(item, allow_custom=rules.allow_custom)
    extensions = body.get("extensions")
    if isinstance(extensions, Mapping) and EXTENSION_ID in extensions:
        # A label inside content would be one the policy never reads: refuse, not ignore.
        raise InvalidStix(
            f"{where}: Caveat's label extension belongs on marking definitions only",
            field="extensions",
            data={"object": where},
        )
    _check_times(body, where)
    _check_markings(body, where)
    return body


def _labelled(
    body: dict[str, Any], table: Mapping[str, Meaning], rules: ImportRules
) -> LabelledObject:
    """The object without its data markings, and the label they give it."""
    where = str(body["id"])
    refs = body.pop(OBJECT_MARKINGS, [])
    granular = body.pop(GRANULAR_MARKINGS, [])
    languages = [g for g in granular if "marking_ref" not in g]
    if languages:
        body[GRANULAR_MARKINGS] = languages
    on_object = [resolve(table, ref, where=where) for ref in refs]
    on_parts = [
        resolve(table, g["marking_ref"], where=where) for g in granular if "marking_ref" in g
    ]
    label = object_label(
        where,
        object_labels=[m.label for m in on_object if m.label is not None],
        granular_labels=[m.label for m in on_parts if m.label is not None],
        colours=[
            *(m.colour for m in (*on_object, *on_parts) if m.colour is not None),
            *tag_colours(body.get("labels")),
        ],
        default=rules.default_label,
        groups=rules.groups,
        on=rules.on,
        schemes=rules.schemes,
        policy=rules.policy,
    )
    return LabelledObject(stix_object(body), label)


def import_objects(raw: object, rules: ImportRules) -> tuple[LabelledObject, ...]:
    """The labelled objects of a list of STIX 2.1 objects (a bundle's ``objects``, or a
    TAXII envelope's), sorted by id and version; marking and known extension
    definitions are read, not returned."""
    if not isinstance(raw, list):
        raise InvalidStix("objects must be a JSON array", field="objects")
    if len(raw) > rules.limits.max_objects:
        raise StixTooLarge(
            f"{len(raw)} objects; this node accepts at most {rules.limits.max_objects} at once",
            hint="split them into several bundles",
        )
    definitions: list[Mapping[str, Any]] = []
    content: list[Mapping[str, Any]] = []
    for item in raw:
        if not isinstance(item, dict):
            raise InvalidStix("every object is a JSON object", field="objects")
        where = str(item.get("id"))
        type_ = check_type(item.get("type"), where=where)
        check_id(item.get("id"), type_=type_, where=where)
        _check_spec_version(item, type_, where)
        if type_ == "bundle":
            raise InvalidStix(f"{where}: a bundle inside a bundle", data={"object": where})
        if type_ == "marking-definition":
            definitions.append(item)
        elif not (type_ == "extension-definition" and _known_extension(item, where)):
            content.append(item)
    # Every object is checked before any label is read: malformed input is refused as
    # malformed, whatever its markings.
    bodies = [_checked(item, rules) for item in content]
    table = read_markings(definitions, groups=rules.groups, schemes=rules.schemes)
    kept: dict[tuple[str, datetime | None], LabelledObject] = {}
    for body in bodies:
        labelled = _labelled(body, table, rules)
        prior = kept.setdefault(labelled.stix.version, labelled)
        if prior != labelled:
            raise InvalidStix(
                f"{labelled.stix.id} is given twice with the same modified and other content",
                data={"object": labelled.stix.id},
                hint="a changed object is a new version: give it a later modified",
            )
    return tuple(sorted(kept.values(), key=lambda o: (o.stix.id, o.stix.modified or _EARLIEST)))


def import_bundle(data: bytes, rules: ImportRules) -> ImportedBundle:
    """The labelled objects of a STIX 2.1 bundle given as bytes (see the module's steps)."""
    raw = parse_json(data, max_bytes=rules.limits.max_bytes)
    if not isinstance(raw, dict) or raw.get("type") != "bundle":
        raise InvalidStix("the content is not a STIX bundle", hint='{"type": "bundle", ...}')
    if "spec_version" in raw:
        raise InvalidStix(
            f"a STIX {raw['spec_version']} bundle; Caveat reads STIX 2.1",
            field="spec_version",
            hint="STIX 2.1 bundles have no spec_version; their objects have",
        )
    if not set(raw) <= _BUNDLE_KEYS:
        raise InvalidStix(f"a bundle has only {sorted(_BUNDLE_KEYS)}", field="bundle")
    check_id(raw.get("id"), type_="bundle", where="the bundle")
    return ImportedBundle(str(raw["id"]), import_objects(raw.get("objects", []), rules))
