"""Hypothesis strategies for sets of labelled STIX objects: indicators, reports that
name them, relationships between them and sightings of them, some in several versions,
each with a label from the label package's own strategy (TLP and provenance included).

Objects are drawn in the stix2 library's own form (millisecond ``created`` and
``modified``, ``pattern_version``), the form import keeps, so a round trip can be
compared member for member.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from caveat.domain.stix import LabelledObject, stix_object
from tests.domain.labels.label_strategies import labels

_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
    min_size=1,
    max_size=30,
)
_TIMES = st.datetimes(
    min_value=datetime(2015, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)


def stamp(value: datetime) -> str:
    """A STIX timestamp to the millisecond, as the stix2 library writes created/modified."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def seconds(value: str) -> str:
    """``value`` to the second, as the library writes other timestamps without a fraction."""
    return value[: len("YYYY-MM-DDThh:mm:ss")] + "Z"


@st.composite
def _common(draw: st.DrawFn, type_: str) -> dict[str, Any]:
    created = draw(_TIMES)
    return {
        "type": type_,
        "spec_version": "2.1",
        "id": f"{type_}--{draw(st.uuids(version=4))}",
        "created": stamp(created),
        "modified": stamp(created),
    }


@st.composite
def _indicator(draw: st.DrawFn) -> dict[str, Any]:
    value = draw(_common("indicator"))
    return {
        **value,
        "name": draw(_TEXT),
        "description": draw(_TEXT),
        "indicator_types": ["malicious-activity"],
        "pattern": f"[ipv4-addr:value = '198.51.100.{draw(st.integers(1, 254))}']",
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": seconds(value["created"]),
    }


def _later(value: dict[str, Any], seconds: int, description: str) -> dict[str, Any]:
    """A later version of ``value``: same id, a later ``modified``, another description."""
    modified = datetime.strptime(value["modified"], "%Y-%m-%dT%H:%M:%S.%fZ")
    later = modified.replace(tzinfo=UTC) + timedelta(seconds=seconds)
    return {**value, "modified": stamp(later), "description": description}


@st.composite
def labelled_sets(draw: st.DrawFn) -> list[LabelledObject]:
    """One to three indicators (some with a second version), and reports, relationships
    and sightings over them; every object and version with its own drawn label."""
    indicators = draw(st.lists(_indicator(), min_size=1, max_size=3, unique_by=lambda o: o["id"]))
    ids = [o["id"] for o in indicators]
    objects = list(indicators)
    for value in indicators:
        if draw(st.booleans()):
            objects.append(_later(value, draw(st.integers(1, 10**6)), draw(_TEXT)))
    for _ in range(draw(st.integers(0, 2))):
        report = draw(_common("report"))
        refs = draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
        objects.append(
            {
                **report,
                "name": draw(_TEXT),
                "description": draw(_TEXT),
                "report_types": ["threat-report"],
                "published": seconds(report["created"]),
                "object_refs": refs,
            }
        )
    for _ in range(draw(st.integers(0, 2))):
        source, target = draw(st.sampled_from(ids)), draw(st.sampled_from(ids))
        relationship = draw(_common("relationship"))
        objects.append(
            {
                **relationship,
                "relationship_type": "related-to",
                "source_ref": source,
                "target_ref": target,
            }
        )
    for _ in range(draw(st.integers(0, 2))):
        sighting = draw(_common("sighting"))
        objects.append(
            {
                **sighting,
                "sighting_of_ref": draw(st.sampled_from(ids)),
                "count": draw(st.integers(1, 1000)),
            }
        )
    return [
        LabelledObject(stix_object(value), draw(labels(informative=True, provenance=True)))
        for value in objects
    ]
