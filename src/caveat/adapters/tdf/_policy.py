"""The policy object a package carries (spec ``schema/OpenTDF/policy.md`` and
``attributes.md``): a UUID and a body of data attributes (attribute instance URIs) and a
dissemination list. It travels base64-encoded as RFC 8785 canonical JSON and is bound to
the payload key by the key access object's policy binding."""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Iterable
from typing import Any

_ATTRIBUTE_TYPES: dict[str, type] = {
    "attribute": str,
    "displayName": str,
    "isDefault": bool,
    "pubKey": str,
    "kasURL": str,
}  # the fields platform sdk/manifest.go attributeObject writes


def policy_object(
    *, uuid: str, attributes: Iterable[str] = (), dissem: Iterable[str] = ()
) -> dict[str, Any]:
    """A policy object: ``attributes`` are attribute instance URIs
    (``{namespace}/attr/{name}/value/{value}``), ``dissem`` entity identifiers."""
    return {
        "uuid": uuid,
        "body": {
            "dataAttributes": [{"attribute": a} for a in attributes],
            "dissem": list(dissem),
        },
    }


def _attribute_problem(item: Any) -> str | None:
    if not isinstance(item, dict) or "attribute" not in item:
        return "each data attribute is an object naming its attribute"
    for name, value in item.items():
        wanted = _ATTRIBUTE_TYPES.get(name)
        if wanted is None or type(value) is not wanted:
            return f"a data attribute's {name!r} is not one of the spec's fields or types"
    return None


def policy_problem(policy: Any) -> str | None:
    """Why ``policy`` is not a policy object in the spec's shape, or None if it is."""
    if not isinstance(policy, dict) or set(policy) != {"uuid", "body"}:
        return "a policy object has exactly uuid and body"
    text = policy["uuid"]
    try:
        canonical = str(uuidlib.UUID(text)) if isinstance(text, str) else None
    except ValueError:
        canonical = None
    if canonical != text:
        return "the policy's uuid is not a UUID in its canonical lowercase form"
    body = policy["body"]
    if not isinstance(body, dict) or not {"dataAttributes"} <= set(body) <= {
        "dataAttributes",
        "dissem",
    }:
        return "a policy body has dataAttributes and maybe dissem, nothing else"
    attributes = body["dataAttributes"]
    if not isinstance(attributes, list):
        return "dataAttributes is a list"
    for item in attributes:
        problem = _attribute_problem(item)
        if problem:
            return problem
    dissem = body.get("dissem", [])
    if not isinstance(dissem, list) or not all(isinstance(d, str) for d in dissem):
        return "dissem is a list of strings"
    return None
