"""TLP in STIX: the OASIS TLP 2.0 objects out, TLP 1.0 and vendor forms in.

Known answers come from their publishers, never from the code under test: the TLP 2.0
ids, names and values from OASIS's TLP 2.0 extension schema and example bundles
(``data/tlp-*.json``, see data/README.md), the TLP 1.0 ids from the stix2 library's
STIX 2.1 predefined objects (STIX 2.1 §7.2.1.4).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import stix2  # type: ignore[import-untyped]

from caveat.domain.labels import TLP, TLP_LEVELS
from caveat.domain.stix import (
    TLP1_IDS,
    TLP2_EXTENSION_ID,
    TLP2_IDS,
    UnknownMarking,
    UnmarkedObject,
    colour_of_tag,
    export_bundle,
    import_bundle,
    label_marking_definition,
    read_tlp,
    tlp_marking_definition,
)
from tests.domain.stix.support import UNCLASSIFIED, banner, bundle, data_json, indicator, rules
from tests.domain.stix.validation import validate_object

# Transcribed from OASIS cti-stix-common-objects, extension-definition-specifications/
# tlp-2.0/extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d.json at commit
# 24f80135d9b1fc1485d17d39aea1a38d010249cb ("definitions": id enum, name enum, tlp_2_0 enum).
OASIS_TLP2 = [
    ("marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR", "clear"),
    ("marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "TLP:GREEN", "green"),
    ("marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "TLP:AMBER", "amber"),
    (
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        "TLP:AMBER+STRICT",
        "amber+strict",
    ),
    ("marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "TLP:RED", "red"),
]
OASIS_EXAMPLES = {
    "CLEAR": "tlp-clear.json",
    "AMBER": "tlp-amber.json",
    "AMBER+STRICT": "tlp-amber+strict.json",
}
# The STIX 2.1 predefined TLP 1.0 objects (§7.2.1.4) and the TLP 2.0 colour each becomes.
STIX21_TLP1 = [
    (stix2.v21.TLP_WHITE, "CLEAR"),
    (stix2.v21.TLP_GREEN, "GREEN"),
    (stix2.v21.TLP_AMBER, "AMBER"),
    (stix2.v21.TLP_RED, "RED"),
]


def _oasis_definition(colour: str) -> dict[str, Any]:
    (only,) = data_json(OASIS_EXAMPLES[colour])["objects"]
    assert isinstance(only, dict)
    return only


def test_the_tlp2_ids_names_and_values_are_those_oasis_published() -> None:
    assert len(TLP_LEVELS) == len(OASIS_TLP2)
    for colour, (marking_id, name, value) in zip(TLP_LEVELS, OASIS_TLP2, strict=True):
        assert TLP2_IDS[colour] == marking_id
        definition = tlp_marking_definition(colour)
        assert definition["id"] == marking_id
        assert definition["name"] == name
        assert definition["extensions"][TLP2_EXTENSION_ID]["tlp_2_0"] == value
        assert definition["created"] == "2022-10-01T00:00:00.000Z"
        assert validate_object(definition).errors == []


@pytest.mark.parametrize("colour", sorted(OASIS_EXAMPLES))
def test_the_tlp2_objects_are_the_oasis_examples(colour: str) -> None:
    assert tlp_marking_definition(colour) == _oasis_definition(colour)


@pytest.mark.parametrize(("predefined", "colour"), STIX21_TLP1)
def test_tlp1_ids_are_the_stix21_predefined_ones_mapped_to_tlp2(
    predefined: Any, colour: str
) -> None:
    assert TLP1_IDS[predefined.id] == colour
    assert read_tlp(json.loads(predefined.serialize())) == colour


@pytest.mark.parametrize("colour", sorted(OASIS_EXAMPLES))
def test_the_oasis_tlp2_objects_read_as_their_colour(colour: str) -> None:
    assert read_tlp(_oasis_definition(colour)) == colour


def _vendor(**members: Any) -> dict[str, Any]:
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": "marking-definition--3f2b8c1e-7a4d-4e4f-9b1a-2c3d4e5f6a7b",
        "created": "2023-03-01T10:00:00.000Z",
        **members,
    }


# OpenCTI's own marking extension (pycti STIX_EXT_OCTI), as it sends it with a marking.
OCTI = {
    "extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba": {
        "extension_type": "property-extension",
        "order": 3,
        "color": "#ffc000",
    }
}
VENDOR_FORMS = [
    # misp-stix's marking for a tag outside stix2's four: type and definition from the tag.
    (_vendor(definition_type="tlp", definition={"tlp": "amber+strict"}), "AMBER+STRICT"),
    (_vendor(definition_type="tlp", definition={"tlp": "clear"}), "CLEAR"),
    # TLP 1.0 definitions under an id of the producer's own.
    (_vendor(definition_type="tlp", definition={"tlp": "white"}), "CLEAR"),
    # OpenCTI (older): the colour in capitals without its prefix, the tag as name.
    (
        _vendor(definition_type="tlp", definition={"tlp": "AMBER+STRICT"}, name="TLP:AMBER+STRICT"),
        "AMBER+STRICT",
    ),
    # OpenCTI (newer): definition_type TLP and the tag as name, no definition.
    (_vendor(definition_type="TLP", name="TLP:RED", extensions=OCTI), "RED"),
    (_vendor(definition_type="TLP", name="TLP:CLEAR"), "CLEAR"),
    # The tag form inside a definition.
    (_vendor(definition_type="tlp", definition={"TLP": "TLP:GREEN"}), "GREEN"),
    # A TLP 1.0 id whose body says clear: WHITE and CLEAR are the same colour.
    (
        _vendor(
            id="marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
            definition_type="TLP",
            name="TLP:CLEAR",
        ),
        "CLEAR",
    ),
]


@pytest.mark.parametrize(("definition", "colour"), VENDOR_FORMS)
def test_vendor_forms_read_as_tlp2(definition: dict[str, Any], colour: str) -> None:
    assert read_tlp(definition) == colour


REFUSED = [
    _vendor(definition_type="tlp", definition={"tlp": "purple"}),
    _vendor(definition_type="tlp", definition={"tlp": "amber", "extra": 1}),
    _vendor(definition_type="tlp", definition={"pap": "amber"}),
    _vendor(definition_type="tlp", definition="amber"),
    _vendor(definition_type="tlp"),  # no colour anywhere
    _vendor(definition_type="tlp", definition={"tlp": "green"}, name="TLP:RED"),
    # The TLP:CLEAR id with a body that says red.
    {
        **_oasis_definition("CLEAR"),
        "extensions": {
            TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": "red"}
        },
    },
    # TLP 2.0 has no white.
    _vendor(
        extensions={TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": "white"}}
    ),
    _vendor(
        extensions={TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": "AMBER"}}
    ),
    _vendor(
        extensions={
            TLP2_EXTENSION_ID: {"extension_type": "toplevel-property-extension", "tlp_2_0": "red"}
        }
    ),
    # A TLP id that claims to be a statement.
    {**_oasis_definition("AMBER"), "definition_type": "statement"},
]


@pytest.mark.parametrize("definition", REFUSED)
def test_tlp_that_cannot_be_read_as_one_colour_is_refused(definition: dict[str, Any]) -> None:
    with pytest.raises(UnknownMarking) as caught:
        read_tlp(definition)
    assert caught.value.data["marking"] == definition["id"]


@pytest.mark.parametrize(
    "definition",
    [
        _vendor(definition_type="statement", definition={"statement": "Copyright 2024"}),
        _vendor(definition_type="statement", definition={"statement": "TLP:AMBER"}, name="x"),
        _vendor(definition_type="PAP", definition={"pap": "amber"}),
        _vendor(name="TLP:AMBER"),  # a name alone claims nothing
    ],
)
def test_markings_that_are_not_tlp_read_as_none(definition: dict[str, Any]) -> None:
    assert read_tlp(definition) is None


@pytest.mark.parametrize(
    ("tag", "colour"),
    [
        ("tlp:white", "CLEAR"),
        ("TLP:WHITE", "CLEAR"),
        ("tlp:clear", "CLEAR"),
        ("TLP:AMBER", "AMBER"),
        ("tlp:amber+strict", "AMBER+STRICT"),
        ("TLP:AMBER+STRICT", "AMBER+STRICT"),
        ("tlp:red", "RED"),
        ("tlp:ex:chr", None),  # a MISP taxonomy extension, not a colour
        ("TLP: AMBER", None),
        ("tlp:amber ", None),
        ("pap:green", None),
        ("amber", None),
    ],
)
def test_tags(tag: str, colour: str | None) -> None:
    assert colour_of_tag(tag) == colour


def _exported_tlp_refs(data: bytes) -> list[str]:
    document = json.loads(data)
    (content,) = [o for o in document["objects"] if o["type"] == "indicator"]
    refs: list[str] = content["object_marking_refs"]
    return [r for r in refs if r in TLP2_IDS.values() or r in TLP1_IDS]


@pytest.mark.parametrize(("predefined", "colour"), STIX21_TLP1)
def test_tlp1_in_tlp2_out(predefined: Any, colour: str) -> None:
    # The TLP 1.0 id alone (every consumer knows it), and again with its object.
    for extra in ([], [json.loads(predefined.serialize())]):
        data = bundle(indicator(object_marking_refs=[predefined.id]), *extra)
        (labelled,) = import_bundle(data, rules(default_label=UNCLASSIFIED)).objects
        assert labelled.label.values(TLP) == {colour}
        out = export_bundle([labelled])
        assert _exported_tlp_refs(out) == [TLP2_IDS[colour]]
        assert not any(old.encode() in out for old in TLP1_IDS)
        assert tlp_marking_definition(colour) in json.loads(out)["objects"]


@pytest.mark.parametrize(("definition", "colour"), VENDOR_FORMS)
def test_vendor_forms_in_tlp2_out(definition: dict[str, Any], colour: str) -> None:
    data = bundle(indicator(object_marking_refs=[definition["id"]]), definition)
    (labelled,) = import_bundle(data, rules(default_label=UNCLASSIFIED)).objects
    assert labelled.label.values(TLP) == {colour}
    assert _exported_tlp_refs(export_bundle([labelled])) == [TLP2_IDS[colour]]


@pytest.mark.parametrize("colour", sorted(OASIS_EXAMPLES))
def test_tlp2_in_tlp2_out(colour: str) -> None:
    definition = _oasis_definition(colour)
    data = bundle(indicator(object_marking_refs=[definition["id"]]), definition)
    (labelled,) = import_bundle(data, rules(default_label=UNCLASSIFIED)).objects
    out = json.loads(export_bundle([labelled]))
    assert definition in out["objects"]
    assert _exported_tlp_refs(json.dumps(out).encode()) == [definition["id"]]


@pytest.mark.parametrize(("tag", "colour"), [("tlp:white", "CLEAR"), ("TLP:AMBER", "AMBER")])
def test_a_tlp_tag_in_labels_is_a_tlp_marking(tag: str, colour: str) -> None:
    data = bundle(indicator(labels=["phishing", tag]))
    (labelled,) = import_bundle(data, rules(default_label=UNCLASSIFIED)).objects
    assert labelled.label.values(TLP) == {colour}
    assert labelled.stix.properties()["labels"] == ["phishing", tag]  # content unchanged


def test_the_most_restrictive_tlp_wins_and_tlp_never_loosens_a_label() -> None:
    label = banner("SECRET//REL TO USA, GBR", tlp="GREEN")
    marking = tlp_marking_definition("RED")
    caveat = label_marking_definition(label)
    data = bundle(indicator(object_marking_refs=[caveat["id"], marking["id"]]), caveat, marking)
    (labelled,) = import_bundle(data, rules()).objects
    assert labelled.label == banner("SECRET//REL TO USA, GBR", tlp="RED")

    # TLP:CLEAR beside a label with TLP:RED leaves it RED; the rest of the label stands.
    red = label_marking_definition(banner("SECRET//NOFORN", tlp="RED"))
    clear = TLP2_IDS["CLEAR"]
    data = bundle(indicator(object_marking_refs=[red["id"], clear], labels=["tlp:white"]), red)
    (labelled,) = import_bundle(data, rules()).objects
    assert labelled.label == banner("SECRET//NOFORN", tlp="RED")


def test_tlp_alone_is_no_label() -> None:
    data = bundle(indicator(object_marking_refs=[TLP2_IDS["CLEAR"]]))
    with pytest.raises(UnmarkedObject):
        import_bundle(data, rules())
    (labelled,) = import_bundle(data, rules(default_label=banner("SECRET"))).objects
    assert labelled.label == banner("SECRET", tlp="CLEAR")
