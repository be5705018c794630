"""The label and export classification travel as assertions and come back exactly."""

from __future__ import annotations

from typing import Any

import pytest

from caveat.adapters.tdf import (
    EXPORT_ASSERTION_ID,
    LABEL_ASSERTION_ID,
    Assertion,
    Statement,
    TdfLabelInvalid,
    caveat_assertions,
    export_assertion,
    label_assertion,
    read_markings,
)
from caveat.domain.groups import builtin_directory
from caveat.domain.labels import label_to_json_object, with_alternatives
from tests.federation.tdf.support import (
    Parties,
    export,
    label,
    open_package,
    package,
)

BANNERS = [
    "SECRET//REL TO USA, GBR",
    "TOP SECRET//NOFORN",
    "CONFIDENTIAL//ORCON/REL TO USA, AUS, CAN, GBR, NZL",
    "UNCLASSIFIED",
    "//NATO SECRET",
]


@pytest.mark.parametrize("banner", BANNERS)
def test_a_label_and_its_export_classification_come_back(parties: Parties, banner: str) -> None:
    marked = label(banner)
    controls = export("EAR:3A001.a.1", "ITAR:USML-XI(c)(1)", dual_use=True)
    opened = open_package(
        package(b"x", parties, assertions=caveat_assertions(marked, controls)), parties
    )
    markings = read_markings(opened, groups=builtin_directory())
    assert markings.label == marked
    assert markings.export == controls
    assert markings.signer is not None


def test_alternative_labels_travel(parties: Parties) -> None:
    marked = with_alternatives(label(), ["GBR", "NATO"])
    opened = open_package(
        package(b"x", parties, assertions=caveat_assertions(marked, export())), parties
    )
    assert read_markings(opened).label == marked


def test_the_label_assertion_is_shaped_like_stanag_4774() -> None:
    assertion = label_assertion(label())
    assert (assertion.id, assertion.type, assertion.scope) == (
        LABEL_ASSERTION_ID,
        "handling",
        "payload",
    )
    assert assertion.applies_to_state == "encrypted"
    assert assertion.statement.format == "json-structured"
    assert assertion.statement.schema == "urn:nato:stanag:4774:confidentialitymetadatalabel:1:0"
    value = assertion.statement.value
    assert isinstance(value, dict)
    assert value["Xmlns"] == assertion.statement.schema
    assert value["CreationTime"] == "2026-02-01T09:30:00Z"
    assert value["ConfidentialityInformation"] == {
        "PolicyIdentifier": "USA",
        "Classification": "SECRET",
        "Category": [{"Type": "PERMISSIVE", "TagName": "REL TO", "GenericValues": ["GBR", "USA"]}],
    }
    assert value["CaveatLabel"] == label_to_json_object(label())


def test_the_export_assertion_names_every_entry() -> None:
    value = export_assertion(export("EAR:3A001.a.1", "ITAR:USML-XI(c)(1)")).statement.value
    assert isinstance(value, dict)
    assert [e["Entry"] for e in value["ControlEntries"]] == ["EAR:3A001.a.1", "ITAR:USML-XI(c)(1)"]
    assert value["DualUse"] is False


def test_a_package_without_markings_is_refused(parties: Parties) -> None:
    opened = open_package(package(b"x", parties, assertions=[]), parties)
    with pytest.raises(TdfLabelInvalid, match="no 'caveat-label'"):
        read_markings(opened)


def test_a_package_with_a_label_and_no_export_classification_is_refused(parties: Parties) -> None:
    opened = open_package(package(b"x", parties, assertions=[label_assertion(label())]), parties)
    with pytest.raises(TdfLabelInvalid, match="no 'caveat-export'"):
        read_markings(opened)


def _forged(value: dict[str, Any], assertion_id: str = LABEL_ASSERTION_ID) -> list[Assertion]:
    """Markings the releasing node itself signed wrongly: validly bound, not valid."""
    honest = caveat_assertions(label(), export())
    schema = honest[0].statement.schema if assertion_id == LABEL_ASSERTION_ID else None
    forged = Assertion(
        assertion_id, "handling", "payload", Statement("json-structured", value, schema)
    )
    return [forged if a.id == assertion_id else a for a in honest]


def test_a_readable_form_that_disagrees_with_the_canonical_one_is_refused(
    parties: Parties,
) -> None:
    value = label_assertion(label()).statement.value
    assert isinstance(value, dict)
    wider = {**value, "ConfidentialityInformation": {**value["ConfidentialityInformation"]}}
    wider["ConfidentialityInformation"]["Classification"] = "UNCLASSIFIED"
    opened = open_package(package(b"x", parties, assertions=_forged(wider)), parties)
    with pytest.raises(TdfLabelInvalid, match="disagree"):
        read_markings(opened)


@pytest.mark.parametrize(
    ("change", "cause"),
    [
        ({"policy": "XYZ"}, "unknown_scheme"),
        ({"classification": 9}, "unknown_level"),
        ({"version": "caveat.label/0"}, "invalid_label"),
    ],
)
def test_a_label_that_does_not_parse_is_refused(
    parties: Parties, change: dict[str, Any], cause: str
) -> None:
    value = label_assertion(label()).statement.value
    assert isinstance(value, dict)
    forged = {**value, "CaveatLabel": {**value["CaveatLabel"], **change}}
    opened = open_package(package(b"x", parties, assertions=_forged(forged)), parties)
    with pytest.raises(TdfLabelInvalid) as caught:
        read_markings(opened)
    assert caught.value.data["cause"] == cause


def test_an_export_classification_that_does_not_parse_is_refused(parties: Parties) -> None:
    value = export_assertion(export()).statement.value
    assert isinstance(value, dict)
    forged = {**value, "CaveatExport": {"version": "caveat.export/1", "entries": [], "dual_use": 1}}
    assertions = _forged(forged, EXPORT_ASSERTION_ID)
    opened = open_package(package(b"x", parties, assertions=assertions), parties)
    with pytest.raises(TdfLabelInvalid):
        read_markings(opened)
