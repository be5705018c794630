"""Giving bundles out: every export passes OASIS's stix2-validator with no error, reads
back as what went out, and the same objects always give the same bytes."""

from __future__ import annotations

import json
import random
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caveat.domain.labels import TLP
from caveat.domain.stix import (
    EXTENSION_ID,
    TLP2_IDS,
    InvalidStix,
    LabelledObject,
    export_bundle,
    extension_definition,
    import_bundle,
    label_marking_id,
    marked_objects,
    stix_object,
)
from tests.domain.stix.stix_strategies import labelled_sets
from tests.domain.stix.support import UNCLASSIFIED, banner, data, indicator, rules
from tests.domain.stix.validation import NAME_BASED_IDS, validate_bundle

_VALIDATED = settings(max_examples=60, deadline=None)


def _versions(objects: list[LabelledObject]) -> list[LabelledObject]:
    return sorted(objects, key=lambda o: (o.stix.id, o.stix.modified))


@_VALIDATED
@given(labelled_sets())
def test_every_export_passes_the_stix_validator(objects: list[LabelledObject]) -> None:
    findings = validate_bundle(export_bundle(objects))
    assert findings.errors == []
    assert findings.warning_codes() <= NAME_BASED_IDS


@_VALIDATED
@given(labelled_sets(), st.uuids(version=4))
def test_with_a_random_bundle_id_only_marking_ids_are_warned_about(
    objects: list[LabelledObject], bundle_uuid: uuid.UUID
) -> None:
    findings = validate_bundle(export_bundle(objects, bundle_id=f"bundle--{bundle_uuid}"))
    assert findings.errors == []
    assert findings.warning_codes() <= {("marking-definition", "103")}


@_VALIDATED
@given(labelled_sets())
def test_an_export_reads_back_as_what_went_out(objects: list[LabelledObject]) -> None:
    back = import_bundle(export_bundle(objects), rules()).objects
    assert list(back) == _versions(objects)


@_VALIDATED
@given(labelled_sets(), st.randoms(use_true_random=False))
def test_the_same_objects_give_the_same_bytes(
    objects: list[LabelledObject], shuffle: random.Random
) -> None:
    first = export_bundle(objects)
    again = list(objects)
    shuffle.shuffle(again)
    assert export_bundle(again) == first
    assert export_bundle(objects + again) == first  # the same version twice is one


@_VALIDATED
@given(labelled_sets())
def test_each_object_names_its_label_and_tlp_markings(objects: list[LabelledObject]) -> None:
    listed = marked_objects(objects)
    by_version = {(o["id"], o.get("modified")): o for o in listed}
    ids = {o["id"] for o in listed}
    for item in objects:
        out = by_version[(item.stix.id, item.stix.properties()["modified"])]
        expected = {label_marking_id(item.label)} | {TLP2_IDS[c] for c in item.label.values(TLP)}
        assert set(out["object_marking_refs"]) == expected
        assert expected <= ids  # every definition travels with the objects
    assert extension_definition() in listed


def test_a_published_report_round_trips_and_validates() -> None:
    """OASIS's APT1 threat report (76 objects: a report, indicators, malware, tools,
    relationships), taken in under a default label and given out again."""
    found = import_bundle(data("apt1.json"), rules(default_label=UNCLASSIFIED)).objects
    assert len(found) == 76
    out = export_bundle(found)
    findings = validate_bundle(out)
    assert findings.errors == []
    assert import_bundle(out, rules()).objects == found
    assert export_bundle(reversed(found)) == out


def test_a_label_without_tlp_gets_no_tlp_marking() -> None:
    item = LabelledObject(stix_object(indicator()), banner("SECRET"))
    (content,) = [o for o in marked_objects([item]) if o["type"] == "indicator"]
    assert content["object_marking_refs"] == [label_marking_id(banner("SECRET"))]


def test_nothing_to_export_is_an_empty_bundle() -> None:
    document = json.loads(export_bundle([]))
    assert document["objects"] == []
    assert validate_bundle(export_bundle([])).errors == []


def test_marking_and_extension_definitions_are_not_content() -> None:
    definition = LabelledObject(stix_object(extension_definition()), banner("SECRET"))
    with pytest.raises(InvalidStix):
        export_bundle([definition])
    assert extension_definition()["id"] == EXTENSION_ID


def test_one_version_with_two_labels_is_refused() -> None:
    item = stix_object(indicator())
    with pytest.raises(InvalidStix):
        export_bundle([LabelledObject(item, banner("SECRET")), LabelledObject(item, UNCLASSIFIED)])


def test_a_bad_bundle_id_is_refused() -> None:
    with pytest.raises(InvalidStix):
        export_bundle([], bundle_id="report--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061")
