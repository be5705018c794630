"""An object's label is the roll-up of every marking that applies to it, object and
granular: it is handed out whole, so it is protected as its most protected part.

Expected labels are written as banners and read with the label package's parser, from
the CAPCO roll-up rules (DOMAIN.md: highest level, REL TO lists intersect, any NOFORN
portion makes the whole NOFORN), not computed with the code under test.
"""

from __future__ import annotations

from typing import Any

import pytest

from caveat.domain.errors import InvalidInput
from caveat.domain.labels import TLP, Label
from caveat.domain.stix import (
    InvalidStix,
    UnmarkedObject,
    import_bundle,
    label_marking_definition,
)
from tests.domain.stix.support import UNCLASSIFIED, banner, bundle, data, indicator, rules


def _import_one(object_label: Label | None, parts: dict[str, Label], **rule: Any) -> Label:
    markings = {label: label_marking_definition(label) for label in [*parts.values()]}
    if object_label is not None:
        markings[object_label] = label_marking_definition(object_label)
    value = indicator(
        object_marking_refs=None if object_label is None else [markings[object_label]["id"]],
        granular_markings=[
            {"marking_ref": markings[label]["id"], "selectors": [selector]}
            for selector, label in parts.items()
        ],
    )
    (labelled,) = import_bundle(bundle(value, *markings.values()), rules(**rule)).objects
    assert "granular_markings" not in labelled.stix.properties()
    assert "object_marking_refs" not in labelled.stix.properties()
    return labelled.label


@pytest.mark.parametrize(
    ("whole", "parts", "expected"),
    [
        (
            "SECRET//REL TO USA, CAN, GBR",
            {"description": "SECRET//REL TO USA, GBR"},
            "SECRET//REL TO USA, GBR",
        ),
        (
            "CONFIDENTIAL//REL TO USA, GBR",
            {"description": "SECRET//REL TO USA, GBR", "name": "CONFIDENTIAL//REL TO USA, GBR"},
            "SECRET//REL TO USA, GBR",
        ),
        ("SECRET//REL TO USA, GBR", {"pattern": "SECRET//NOFORN"}, "SECRET//NOFORN"),
        (
            "SECRET//REL TO USA, FVEY",
            {"name": "SECRET//ORCON/REL TO USA, FVEY"},
            "SECRET//ORCON/REL TO USA, FVEY",
        ),
    ],
)
def test_granular_labels_roll_up_into_the_objects(
    whole: str, parts: dict[str, str], expected: str
) -> None:
    found = _import_one(banner(whole), {k: banner(v) for k, v in parts.items()})
    assert found == banner(expected)


def test_a_granular_tlp_raises_the_objects_tlp() -> None:
    label = banner("SECRET//REL TO USA, GBR", tlp="GREEN")
    marking = label_marking_definition(label)
    value = indicator(
        object_marking_refs=[marking["id"]],
        granular_markings=[
            {
                "marking_ref": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
                "selectors": ["description"],
            }
        ],
    )
    (labelled,) = import_bundle(bundle(value, marking), rules()).objects
    assert labelled.label == banner("SECRET//REL TO USA, GBR", tlp="RED")


def test_a_granular_label_alone_does_not_label_the_object() -> None:
    with pytest.raises(UnmarkedObject):
        _import_one(None, {"description": banner("SECRET//REL TO USA, GBR")})
    found = _import_one(
        None,
        {"description": banner("SECRET//REL TO USA, GBR")},
        default_label=banner("CONFIDENTIAL//REL TO USA, CAN, GBR"),
    )
    assert found == banner("SECRET//REL TO USA, GBR")


def test_labels_of_several_schemes_need_the_scheme_of_the_roll_up() -> None:
    parts = {"description": banner("//GBR SECRET//REL TO USA, GBR")}
    with pytest.raises(InvalidInput) as caught:
        _import_one(banner("SECRET//REL TO USA, GBR"), parts)
    assert caught.value.code == "invalid_label"
    assert caught.value.data["object"].startswith("indicator--")
    found = _import_one(banner("SECRET//REL TO USA, GBR"), parts, policy="NATO")
    assert found.policy == "NATO"
    assert found.releasable_to == frozenset({"USA", "GBR"})


def test_language_markings_are_content_and_stay() -> None:
    marking = label_marking_definition(banner("SECRET"))
    lang = {"lang": "fr", "selectors": ["description"]}
    value = indicator(object_marking_refs=[marking["id"]], granular_markings=[lang])
    (labelled,) = import_bundle(bundle(value, marking), rules()).objects
    assert labelled.stix.properties()["granular_markings"] == [lang]


@pytest.mark.parametrize(
    "granular",
    [
        [
            {
                "marking_ref": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
                "selectors": ["nope"],
            }
        ],
        [
            {
                "marking_ref": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
                "selectors": ["indicator_types.[5]"],
            }
        ],
        [{"marking_ref": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"}],
        [
            {
                "lang": "fr",
                "marking_ref": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
                "selectors": ["name"],
            }
        ],
        [{"lang": "fr", "selectors": ["object_marking_refs.[0]"]}],
    ],
)
def test_bad_granular_markings_are_refused(granular: list[dict[str, Any]]) -> None:
    marking = label_marking_definition(banner("SECRET"))
    value = indicator(object_marking_refs=[marking["id"]], granular_markings=granular)
    with pytest.raises(InvalidStix):
        import_bundle(bundle(value, marking), rules())


def test_the_oasis_granular_markings_example() -> None:
    """OASIS cti-documentation's "using granular markings" example (STIX 2.1): the
    indicator's description is TLP:RED, one indicator type AMBER, the rest GREEN, so the
    indicator as a whole is RED; the threat actor and the relationship are RED objects;
    the identity carries no marking. None carries a Caveat label, so the default stands."""
    found = {
        o.stix.id.split("--")[0]: o
        for o in import_bundle(
            data("using-granular-markings.json"), rules(default_label=UNCLASSIFIED)
        ).objects
    }
    assert {t: o.label.values(TLP) for t, o in found.items()} == {
        "identity": frozenset(),
        "indicator": {"RED"},
        "threat-actor": {"RED"},
        "relationship": {"RED"},
    }
    assert all(o.label.without_alternatives().policy == "USA" for o in found.values())
    assert "granular_markings" not in found["indicator"].stix.properties()
    relationship = found["relationship"].stix.properties()
    assert relationship["source_ref"] == found["indicator"].stix.id
    assert relationship["target_ref"] == found["threat-actor"].stix.id
