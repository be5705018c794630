"""Taking bundles in: OASIS's published examples, fail-closed labelling, relationships,
sightings and versions kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from caveat.domain.stix import (
    InvalidStix,
    UnknownMarking,
    UnmarkedObject,
    import_bundle,
    import_objects,
    label_marking_definition,
)
from tests.domain.stix.support import (
    UNCLASSIFIED,
    banner,
    bundle,
    data,
    data_json,
    indicator,
    rules,
)


def test_unmarked_objects_are_refused_without_a_default_label() -> None:
    with pytest.raises(UnmarkedObject) as caught:
        import_bundle(data("indicator-to-campaign-relationship.json"), rules())
    assert caught.value.code == "unmarked_stix_object"
    assert caught.value.data["object"].split("--")[0] in {"campaign", "indicator", "relationship"}


def test_unmarked_objects_take_the_default_label() -> None:
    default = banner("SECRET//REL TO USA, GBR", tlp="AMBER")
    found = import_bundle(
        data("indicator-to-campaign-relationship.json"), rules(default_label=default)
    )
    assert found.bundle_id == "bundle--44af6c39-c09b-49c5-9de2-394224b04982"
    assert [o.stix.type for o in found.objects] == ["campaign", "indicator", "relationship"]
    assert all(o.label == default for o in found.objects)


def test_a_labelled_object_keeps_its_label_not_the_default() -> None:
    label = banner("SECRET//NOFORN")
    marking = label_marking_definition(label)
    data_ = bundle(indicator(object_marking_refs=[marking["id"]]), marking)
    (found,) = import_bundle(data_, rules(default_label=UNCLASSIFIED)).objects
    assert found.label == label


def test_relationships_and_sightings_are_kept_with_their_references() -> None:
    published = data_json("sighting-of-an-indicator.json")
    found = import_bundle(
        data("sighting-of-an-indicator.json"), rules(default_label=UNCLASSIFIED)
    ).objects
    by_id = {o.stix.id: o.stix.properties() for o in found}
    for original in published["objects"]:
        kept = by_id[original["id"]]
        assert {k: v for k, v in original.items() if k.endswith(("_ref", "_refs"))} == {
            k: v for k, v in kept.items() if k.endswith(("_ref", "_refs"))
        }
    (sighting,) = [o for o in found if o.stix.type == "sighting"]
    assert sighting.stix.properties()["count"] == 1


def test_versions_are_kept_and_identical_copies_collapse() -> None:
    first = indicator()
    second = indicator(modified="2024-02-01T00:00:00.000Z", description="Still seen.")
    found = import_bundle(bundle(second, first, first), rules(default_label=UNCLASSIFIED)).objects
    assert [o.stix.version for o in found] == [
        (first["id"], datetime(2024, 1, 1, tzinfo=UTC)),
        (first["id"], datetime(2024, 2, 1, tzinfo=UTC)),
    ]
    assert found[1].stix.properties()["description"] == "Still seen."


def test_one_version_with_two_contents_is_refused() -> None:
    with pytest.raises(InvalidStix, match="same modified"):
        import_bundle(
            bundle(indicator(), indicator(description="changed")),
            rules(default_label=UNCLASSIFIED),
        )


def test_one_version_with_two_labels_is_refused() -> None:
    a, b = (
        label_marking_definition(banner("SECRET")),
        label_marking_definition(banner("TOP SECRET")),
    )
    with pytest.raises(InvalidStix, match="same modified"):
        import_bundle(
            bundle(
                indicator(object_marking_refs=[a["id"]]),
                indicator(object_marking_refs=[b["id"]]),
                a,
                b,
            ),
            rules(),
        )


def test_a_statement_marking_is_refused() -> None:
    """OASIS cti-documentation's "using marking definitions" example marks its indicator
    with TLP:AMBER and a copyright statement; Caveat cannot enforce free text."""
    with pytest.raises(UnknownMarking) as caught:
        import_bundle(data("using-marking-definitions.json"), rules(default_label=UNCLASSIFIED))
    assert (
        caught.value.data["marking"] == "marking-definition--d81f86b9-975b-4c0b-875e-810c5ad45a4f"
    )


def test_a_reference_to_an_undefined_marking_is_refused() -> None:
    """OASIS's interoperability test object refers to TLP:RED and to an id one digit off
    it, defined nowhere: fail closed rather than guess."""
    value = data_json("interop-objectmarking-test.json")
    with pytest.raises(UnknownMarking) as caught:
        import_objects([value], rules(default_label=UNCLASSIFIED))
    assert caught.value.data == {
        "object": value["id"],
        "marking": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ec",
    }


def test_the_oasis_tlp2_example_as_published_is_refused() -> None:
    """OASIS's "using TLP 2.0 green" example, as published, has no bundle "type" and a
    relationship created "2022-101-27..."; both are refused as malformed, whatever the
    import's default label."""
    with pytest.raises(InvalidStix, match="not a STIX bundle"):
        import_bundle(data("using-tlp2.0-green.json"), rules(default_label=UNCLASSIFIED))
    objects = data_json("using-tlp2.0-green.json")["objects"]
    with pytest.raises(InvalidStix) as caught:
        import_objects(objects, rules(default_label=UNCLASSIFIED))
    assert caught.value.data["object"] == "relationship--1621d4d4-b67d-11e3-9670-f01faf20d111"
    assert "created" in caught.value.detail


def test_marking_definitions_are_read_not_returned() -> None:
    label = banner("SECRET")
    marking = label_marking_definition(label)
    found = import_bundle(
        bundle(indicator(object_marking_refs=[marking["id"]]), marking, marking), rules()
    ).objects
    assert [o.stix.type for o in found] == ["indicator"]


def test_custom_properties_pass_only_when_allowed() -> None:
    value = indicator(x_misp_category="Network activity")
    with pytest.raises(InvalidStix) as caught:
        import_bundle(bundle(value), rules(default_label=UNCLASSIFIED))
    assert caught.value.hint is not None
    (found,) = import_bundle(
        bundle(value), rules(default_label=UNCLASSIFIED, allow_custom=True)
    ).objects
    assert found.stix.properties()["x_misp_category"] == "Network activity"


def test_an_object_of_a_custom_type_passes_only_when_allowed() -> None:
    value = {
        "type": "x-misp-object",
        "spec_version": "2.1",
        "id": "x-misp-object--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061",
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "x_misp_name": "asn",
    }
    with pytest.raises(InvalidStix):
        import_bundle(bundle(value), rules(default_label=UNCLASSIFIED))
    (found,) = import_bundle(
        bundle(value), rules(default_label=UNCLASSIFIED, allow_custom=True)
    ).objects
    assert json.loads(found.stix.content) == value


def test_an_observable_needs_no_spec_version() -> None:
    address = {
        "type": "ipv4-addr",
        "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd",
        "value": "198.51.100.3",
    }
    (found,) = import_bundle(bundle(address), rules(default_label=UNCLASSIFIED)).objects
    assert found.stix.modified is None
    assert found.stix.properties()["value"] == "198.51.100.3"
