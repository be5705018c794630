"""Caveat labels ride in STIX as one marking definition each, through Caveat's own
property extension: every label the label package's strategies draw comes back as
itself, and the published JSON Schema agrees with what is written and refused."""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from collections.abc import Callable
from importlib import resources
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from caveat.domain.errors import CaveatError
from caveat.domain.labels import (
    Label,
    LabelRuleError,
    NoEquivalentLevel,
    label_from_canonical_json,
    label_to_canonical_json,
    with_alternatives,
)
from caveat.domain.stix import (
    EXTENSION_ID,
    SCHEMA_FILE,
    SCHEMA_SHA256,
    InvalidStix,
    extension_definition,
    label_marking_definition,
    label_marking_id,
    read_label_marking,
)
from tests.domain.labels.label_strategies import (
    GROUPS,
    SCHEMES,
    any_labels,
    broken_labels,
    labels,
)
from tests.domain.stix.support import banner
from tests.domain.stix.validation import validate_object

SCHEMA_BYTES = resources.files("caveat.domain.stix").joinpath(SCHEMA_FILE).read_bytes()
SCHEMA = jsonschema.Draft202012Validator(json.loads(SCHEMA_BYTES))
# ADR 0021: marking ids are UUIDv5 of the canonical label in this namespace.
NAMESPACE = uuid.UUID("cd4286bf-3a0a-4427-a567-d46cd1a3155c")


@st.composite
def labels_with_alternatives(draw: st.DrawFn) -> Label:
    """A label from the label package's strategy, sometimes with alternatives."""
    label = draw(labels(informative=True, provenance=True))
    targets = draw(st.sets(st.sampled_from([s.code for s in SCHEMES.all()]), max_size=3))
    try:
        return with_alternatives(label, targets, schemes=SCHEMES)
    except NoEquivalentLevel:
        assume(False)
        raise


def _read(definition: dict[str, Any]) -> Label:
    return read_label_marking(definition, groups=GROUPS, schemes=SCHEMES)


@given(labels_with_alternatives())
def test_every_label_round_trips_through_its_marking(label: Label) -> None:
    definition = label_marking_definition(label, schemes=SCHEMES)
    assert _read(definition) == label
    assert _read(json.loads(json.dumps(definition))) == label
    assert list(SCHEMA.iter_errors(definition)) == []
    canonical = label_to_canonical_json(label).decode()
    assert definition["id"] == f"marking-definition--{uuid.uuid5(NAMESPACE, canonical)}"
    assert label_marking_id(label) == definition["id"]


@given(labels(informative=True, provenance=True))
def test_a_label_marking_passes_the_stix_validator(label: Label) -> None:
    findings = validate_object(label_marking_definition(label, schemes=SCHEMES))
    assert findings.errors == []
    assert findings.warning_codes() <= {("marking-definition", "103")}  # UUIDv5, by design


def _outcome(read: Callable[[], Label]) -> Label | str:
    """The label read, or the code of the error that refused it."""
    try:
        return read()
    except CaveatError as exc:
        return exc.code


@given(any_labels())
def test_a_marking_is_as_strict_as_the_label_package(label: Label) -> None:
    """A label the canonical parser refuses is refused in a marking with the same code."""
    definition = label_marking_definition(label, schemes=SCHEMES)
    expected = _outcome(
        lambda: label_from_canonical_json(
            label_to_canonical_json(label), schemes=SCHEMES, groups=GROUPS
        )
    )
    assert _outcome(lambda: _read(definition)) == expected


@given(broken_labels())
def test_a_broken_label_is_refused_naming_its_rule(case: tuple[Label, str]) -> None:
    label, rule = case
    definition = label_marking_definition(label, schemes=SCHEMES)
    with pytest.raises(LabelRuleError) as caught:
        _read(definition)
    assert caught.value.rule == rule
    assert caught.value.data["marking"] == definition["id"]


SAMPLE = label_marking_definition(banner("SECRET//REL TO USA, GBR", tlp="AMBER"))


def _changed(change: str) -> dict[str, Any]:
    value = copy.deepcopy(SAMPLE)
    extension = value["extensions"][EXTENSION_ID]
    if change == "extra member":
        value["definition_type"] = "statement"
    elif change == "no name":
        del value["name"]
    elif change == "other spec_version":
        value["spec_version"] = "2.0"
    elif change == "extension_type":
        extension["extension_type"] = "toplevel-property-extension"
    elif change == "extra extension member":
        extension["tlp"] = "amber"
    elif change == "second extension":
        value["extensions"]["extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"] = {
            "extension_type": "property-extension",
            "tlp_2_0": "red",
        }
    elif change == "label not an object":
        extension["label"] = label_to_canonical_json(banner("SECRET")).decode()
    elif change == "label member missing":
        del extension["label"]["privacy_mark"]
    elif change == "empty banner":
        extension["banner"] = ""
    elif change == "created":
        value["created"] = "yesterday"
    return value


@pytest.mark.parametrize(
    "change",
    [
        "extra member",
        "no name",
        "other spec_version",
        "extension_type",
        "extra extension member",
        "second extension",
        "label not an object",
        "label member missing",
        "empty banner",
        "created",
    ],
)
def test_the_schema_and_the_reader_refuse_the_same_changes(change: str) -> None:
    value = _changed(change)
    assert list(SCHEMA.iter_errors(value)) != []
    with pytest.raises(CaveatError):
        _read(value)


def test_a_marking_whose_id_is_not_its_labels_is_refused() -> None:
    other = label_marking_id(banner("TOP SECRET"))
    with pytest.raises(InvalidStix, match="not the one its label gives"):
        _read({**SAMPLE, "id": other})


def test_a_label_in_another_order_is_refused() -> None:
    """One label has one form, so one marking id: reordered categories are not it."""
    value = copy.deepcopy(SAMPLE)
    value["extensions"][EXTENSION_ID]["label"]["categories"].reverse()
    with pytest.raises(CaveatError, match="canonical"):
        _read(value)


def test_banner_and_name_are_informative() -> None:
    value = copy.deepcopy(SAMPLE)
    value["name"] = "something else"
    value["extensions"][EXTENSION_ID]["banner"] = "TOP SECRET"
    assert _read(value) == banner("SECRET//REL TO USA, GBR", tlp="AMBER")
    assert SAMPLE["name"] == "SECRET//REL TO USA, GBR"


def test_the_extension_definition_is_valid_stix_and_names_its_schema() -> None:
    definition = extension_definition()
    findings = validate_object(definition)
    assert findings.errors == []
    assert findings.warnings == []
    assert definition["id"] == EXTENSION_ID
    assert definition["extension_types"] == ["property-extension"]
    assert SCHEMA_SHA256 in definition["schema"]
    assert hashlib.sha256(SCHEMA_BYTES).hexdigest() == SCHEMA_SHA256, (
        "the schema changed: publish it as a new extension version and update SCHEMA_SHA256"
    )


def test_the_schema_is_a_strict_draft_2020_12_schema() -> None:
    schema = json.loads(SCHEMA_BYTES)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert EXTENSION_ID in SCHEMA_BYTES.decode()

    def objects(node: Any) -> list[dict[str, Any]]:
        if isinstance(node, dict):
            own = [node] if node.get("type") == "object" else []
            return own + [o for value in node.values() for o in objects(value)]
        if isinstance(node, list):
            return [o for value in node for o in objects(value)]
        return []

    assert all(o.get("additionalProperties") is False for o in objects(schema))
