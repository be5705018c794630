"""Shared helpers for the STIX tests: the day, groups and schemes of the label tests,
the published example bundles in ``data/``, and small object builders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from caveat.domain.labels import Label, parse_banner, parse_tlp
from caveat.domain.stix import ImportRules
from tests.domain.labels.label_strategies import GROUPS, ON, SCHEMES

DATA = Path(__file__).parent / "data"
BUNDLE_ID = "bundle--1b0c3f5e-4a50-4d8e-9d2b-5c2f61c4a7e1"


def data(name: str) -> bytes:
    """The bytes of a published example in ``data/`` (see its README)."""
    return (DATA / name).read_bytes()


def data_json(name: str) -> Any:
    """The JSON of a published example in ``data/``."""
    return json.loads(data(name))


def banner(text: str, tlp: str | None = None) -> Label:
    """A label from its banner (the label package's parser), with a TLP colour if given."""
    label = parse_banner(text, groups=GROUPS, on=ON)
    if tlp is None:
        return label
    return label.with_categories([*label.categories, parse_tlp(f"TLP:{tlp}")])


UNCLASSIFIED = banner("UNCLASSIFIED")


def rules(**changes: Any) -> ImportRules:
    """Import rules on the label tests' day, groups and schemes."""
    return ImportRules(groups=GROUPS, on=ON, schemes=SCHEMES, **changes)


def bundle(*objects: Any, **members: Any) -> bytes:
    """A bundle of ``objects`` as JSON bytes (``members`` replace or add bundle members)."""
    return json.dumps(
        {"type": "bundle", "id": BUNDLE_ID, "objects": list(objects), **members}
    ).encode()


def indicator(number: int = 1, **changes: Any) -> dict[str, Any]:
    """A STIX 2.1 indicator in the stix2 library's own form (``None`` removes a member)."""
    value: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--8e2e2d2b-17d4-4cbf-938f-{number:012x}",
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "name": "C2 address",
        "description": "Seen in the trial network.",
        "indicator_types": ["malicious-activity"],
        "pattern": f"[ipv4-addr:value = '198.51.100.{number % 250}']",
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": "2024-01-01T00:00:00Z",
    }
    value.update(changes)
    return {k: v for k, v in value.items() if v is not None}
