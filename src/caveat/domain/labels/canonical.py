"""The canonical JSON form of a label (RFC 8785 JCS), the bytes that get signed.

The form starts with a version marker so the encoding can change later. Parsing
accepts only canonical bytes: re-encoding the parsed label must give the same
bytes, so a signature always covers exactly one label. Parsing is bounded in size and
ends in the same label validator as the banner parser, so JSON cannot carry a label
its own banner could not.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from caveat.domain.canonical_json import canonical_json
from caveat.domain.groups import GroupDirectory
from caveat.domain.labels.errors import InvalidLabel
from caveat.domain.labels.model import Category, CategoryType, Label, Originator
from caveat.domain.labels.schemes import SchemeRegistry, builtin_schemes
from caveat.domain.labels.validation import validate_label

LABEL_VERSION = "caveat.label/1"
# A label with SCI, four controls, a six-code REL TO list and alternatives under all
# twelve shipped schemes is about 2.3 KiB; the bound refuses hostile input before any
# parsing (only a REL TO list of some 190 nations, repeated under every scheme, reaches it).
MAX_CANONICAL_BYTES = 16 * 1024
_TOP_KEYS = {
    "version", "policy", "classification", "categories", "privacy_mark",
    "originator", "created", "alternatives",
}  # fmt: skip
_ALT_KEYS = _TOP_KEYS - {"version", "alternatives"}


def _time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _body(label: Label) -> dict[str, Any]:
    return {
        "policy": label.policy,
        "classification": label.classification,
        "categories": [
            {"tag": c.tag, "type": c.type.value, "values": sorted(c.values)}
            for c in label.categories
        ],
        "privacy_mark": label.privacy_mark,
        "originator": None
        if label.originator is None
        else {"organisation": label.originator.organisation, "nation": label.originator.nation},
        "created": None if label.created_at is None else _time(label.created_at),
    }


def label_to_json_object(label: Label) -> dict[str, Any]:
    """The label as a JSON-ready dict (the structure the canonical bytes encode)."""
    return {
        "version": LABEL_VERSION,
        **_body(label),
        "alternatives": [_body(a) for a in label.alternatives],
    }


def label_to_canonical_json(label: Label) -> bytes:
    """The RFC 8785 canonical bytes of ``label``."""
    return canonical_json(label_to_json_object(label))


def _fail(why: str) -> InvalidLabel:
    return InvalidLabel(f"canonical label: {why}", hint=f"expected a {LABEL_VERSION} object")


def _keys(raw: Any, allowed: set[str], where: str) -> dict[str, Any]:
    if not isinstance(raw, dict) or set(raw) != allowed:
        raise _fail(f"{where} must have exactly the keys {sorted(allowed)}")
    return raw


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise _fail(f"{where} must be a string")
    return value


def _category(raw: Any) -> Category:
    item = _keys(raw, {"tag", "type", "values"}, "a category")
    try:
        kind = CategoryType(item["type"])
    except ValueError:
        raise _fail(f"unknown category type {item['type']!r}") from None
    values = item["values"]
    if not isinstance(values, list) or len(set(map(str, values))) != len(values):
        raise _fail("category values must be a list without repeats")
    return Category(
        _string(item["tag"], "tag"), kind, frozenset(_string(v, "value") for v in values)
    )


def _label(raw: dict[str, Any], registry: SchemeRegistry) -> Label:
    classification = raw["classification"]
    if not isinstance(classification, int) or isinstance(classification, bool):
        raise _fail("classification must be an integer")
    policy = _string(raw["policy"], "policy")
    registry.get(policy).level(classification)  # unknown scheme or level: fail closed
    originator = raw["originator"]
    created = raw["created"]
    if not isinstance(raw["categories"], list):
        raise _fail("categories must be a list")
    return Label(
        policy=policy,
        classification=classification,
        categories=tuple(_category(c) for c in raw["categories"]),
        privacy_mark=None if raw["privacy_mark"] is None else _string(raw["privacy_mark"], "mark"),
        originator=None
        if originator is None
        else Originator(
            organisation=_string(
                _keys(originator, {"organisation", "nation"}, "originator")["organisation"],
                "organisation",
            ),
            nation=_string(originator["nation"], "nation"),
        ),
        created_at=None if created is None else _parse_time(_string(created, "created")),
    )


def _parse_time(text: str) -> datetime:
    if not text.endswith("Z"):
        raise _fail("created must be UTC and end in Z")
    try:
        return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
    except ValueError:
        raise _fail("created is not an RFC 3339 time") from None


def label_from_canonical_json(
    data: bytes,
    *,
    schemes: SchemeRegistry | None = None,
    groups: GroupDirectory | None = None,
    check_rules: bool = True,
) -> Label:
    """Parse canonical label bytes; non-canonical or unknown input is an error, and so is
    a label that breaks a marking rule (LabelRuleError, see ``validation``).

    ``groups`` (the node's directory) lets REL TO group codes be checked as the banner
    parser checks them; without it a well-formed group code is let through.

    ``check_rules=False`` is for labels read back from the node's own rows: they were
    checked when they came in and are bound to their content by the node's signature,
    and a rule added later must not make stored information unreadable (a listing page
    would fail on one old row). Input from anyone is always checked.
    """
    if len(data) > MAX_CANONICAL_BYTES:
        raise InvalidLabel(
            f"a canonical label is at most {MAX_CANONICAL_BYTES} bytes; this one has {len(data)}",
            code="label_too_large",
            field="label",
            hint="a label names a level, a few controls and a REL TO list: this is not one",
        )
    registry = schemes or builtin_schemes()
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _fail("not UTF-8 JSON") from None
    top = _keys(raw, _TOP_KEYS, "the label")
    if top["version"] != LABEL_VERSION:
        raise _fail(f"unsupported version {top['version']!r}")
    if not isinstance(top["alternatives"], list):
        raise _fail("alternatives must be a list")
    alternatives = tuple(
        _label(_keys(a, _ALT_KEYS, "an alternative"), registry) for a in top["alternatives"]
    )
    label = replace(_label(top, registry), alternatives=alternatives)
    if label_to_canonical_json(label) != data:
        raise _fail("bytes are not in RFC 8785 canonical form")
    # Canonical bytes sort categories and values as the label does, so the error's JSON
    # path points into exactly the bytes given.
    return validate_label(label, schemes=registry, groups=groups) if check_rules else label
