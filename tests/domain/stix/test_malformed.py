"""Malformed input is refused with the right typed error, before anything is taken in,
and no input makes the importer fail with anything but a Caveat error."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caveat.domain.errors import CaveatError, ErrorKind
from caveat.domain.stix import (
    EXTENSION_ID,
    InvalidStix,
    Limits,
    StixTooLarge,
    extension_definition,
    import_bundle,
    import_objects,
    label_marking_definition,
    stix_object,
)
from tests.domain.stix.support import BUNDLE_ID, UNCLASSIFIED, banner, bundle, indicator, rules

_SECRET = label_marking_definition(banner("SECRET"))

MALFORMED: list[tuple[str, bytes]] = [
    ("not JSON", b"{"),
    ("not UTF-8", b'{"type": "bundle", "id": "\xff"}'),
    ("a byte order mark", b"\xef\xbb\xbf" + bundle()),
    (
        "a duplicate member",
        b'{"type": "bundle", "type": "bundle", "id": "' + BUNDLE_ID.encode() + b'"}',
    ),
    ("NaN", b'{"type": "bundle", "id": "' + BUNDLE_ID.encode() + b'", "objects": [NaN]}'),
    ("nested too deeply", b"[" * 100_000 + b"]" * 100_000),
    ("not a bundle", json.dumps({"type": "report"}).encode()),
    ("a list", b"[]"),
    ("a STIX 2.0 bundle", bundle(spec_version="2.0")),
    ("an extra bundle member", bundle(x_source="misp")),
    ("a bundle id of another type", bundle(id="report--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061")),
    ("an uppercase id", bundle(id=BUNDLE_ID.upper().replace("BUNDLE", "bundle"))),
    ("a bundle id that is no UUID", bundle(id="bundle--1234")),
    ("objects not a list", bundle(objects={"a": 1})),
    ("an object not an object", bundle("indicator")),
    ("a type that is no STIX type", bundle(indicator(type="Indicator"))),
    ("an id of another type", bundle(indicator(id="report--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"))),
    ("no spec_version", bundle(indicator(spec_version=None))),
    ("spec_version 2.0", bundle(indicator(spec_version="2.0"))),
    ("a bundle in a bundle", bundle({"type": "bundle", "spec_version": "2.1", "id": BUNDLE_ID})),
    ("a required property missing", bundle(indicator(pattern=None))),
    ("a bad pattern", bundle(indicator(pattern="[ipv4-addr:value = "))),
    ("a bad timestamp", bundle(indicator(created="2022-101-27T13:49:54.326Z"))),
    ("a timestamp past microseconds", bundle(indicator(modified="2024-01-01T00:00:00.1234567Z"))),
    ("modified before created", bundle(indicator(modified="2023-12-31T23:59:59.999Z"))),
    ("an integer JCS cannot write", bundle(indicator(x_size=2**60))),
    (
        "deprecated observed-data objects",
        bundle(
            {
                "type": "observed-data",
                "spec_version": "2.1",
                "id": "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf",
                "created": "2016-04-06T19:58:16.000Z",
                "modified": "2016-04-06T19:58:16.000Z",
                "first_observed": "2015-12-21T19:00:00Z",
                "last_observed": "2015-12-21T19:00:00Z",
                "number_observed": 1,
                "objects": {"0": {"type": "ipv4-addr", "value": "198.51.100.3"}},
            }
        ),
    ),
    (
        "a marking definition twice with two contents",
        bundle(
            indicator(object_marking_refs=[_SECRET["id"]]),
            _SECRET,
            {**_SECRET, "name": "SECRET (again)"},
        ),
    ),
    (
        "a marking definition without spec_version",
        bundle({k: v for k, v in _SECRET.items() if k != "spec_version"}),
    ),
    ("an altered Caveat extension definition", bundle({**extension_definition(), "version": "9"})),
    (
        "a Caveat label inside content",
        bundle(indicator(extensions=label_marking_definition(banner("SECRET"))["extensions"])),
    ),
]


@pytest.mark.parametrize(("why", "data"), MALFORMED, ids=[why for why, _ in MALFORMED])
def test_malformed_input_is_refused_as_invalid_stix(why: str, data: bytes) -> None:
    with pytest.raises(InvalidStix) as caught:
        import_bundle(
            data, rules(default_label=UNCLASSIFIED, allow_custom=why.startswith("an integer"))
        )
    assert caught.value.kind is ErrorKind.INVALID
    assert caught.value.code == "invalid_stix"


def test_too_many_bytes_is_refused_before_parsing() -> None:
    limits = Limits(max_bytes=100, max_objects=10)
    with pytest.raises(StixTooLarge) as caught:
        import_bundle(b"{" * 101, rules(limits=limits))
    assert caught.value.kind is ErrorKind.TOO_LARGE
    assert caught.value.code == "stix_too_large"


def test_too_many_objects_is_refused_before_reading_them() -> None:
    limits = Limits(max_objects=2)
    with pytest.raises(StixTooLarge):
        import_bundle(bundle("not", "read", "at all"), rules(limits=limits))
    assert (
        len(
            import_bundle(
                bundle(indicator(), indicator(2)), rules(limits=limits, default_label=UNCLASSIFIED)
            ).objects
        )
        == 2
    )


def test_the_known_extension_definitions_are_metadata() -> None:
    tlp2 = {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d",
        "created": "2022-10-01T00:00:00.000Z",
        "modified": "2022-10-01T00:00:00.000Z",
        "created_by_ref": "identity--b3bca3c2-1f3d-4b54-b44f-dac42c3a8f01",
        "name": "TLP 2.0",
        "schema": "https://github.com/oasis-open/cti-stix-common-objects",
        "version": "1.0.0",
        "extension_types": ["property-extension"],
    }
    assert import_bundle(bundle(extension_definition(), tlp2), rules()).objects == ()
    assert extension_definition()["id"] == EXTENSION_ID


def test_a_stored_object_carries_no_markings() -> None:
    with pytest.raises(InvalidStix):
        stix_object(indicator(object_marking_refs=[_SECRET["id"]]))
    with pytest.raises(InvalidStix):
        stix_object(
            indicator(granular_markings=[{"marking_ref": _SECRET["id"], "selectors": ["name"]}])
        )
    stix_object(indicator(granular_markings=[{"lang": "fr", "selectors": ["name"]}]))


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
_KEYS = st.sampled_from(
    [
        "type", "id", "spec_version", "created", "modified", "object_marking_refs",
        "granular_markings", "pattern", "labels", "extensions", "definition_type",
        "definition", "name",
    ]
)  # fmt: skip


@st.composite
def _mangled(draw: st.DrawFn) -> list[Any]:
    """Well-formed objects with some members replaced by arbitrary JSON."""
    objects: list[Any] = [indicator(object_marking_refs=[_SECRET["id"]]), dict(_SECRET)]
    for _ in range(draw(st.integers(1, 4))):
        target = objects[draw(st.integers(0, len(objects) - 1))]
        target[draw(_KEYS)] = draw(_JSON)
    if draw(st.booleans()):
        objects.append(draw(_JSON))
    return objects


@settings(max_examples=300)
@given(_mangled(), st.booleans())
def test_any_input_is_taken_in_or_refused_with_a_caveat_error(
    objects: list[Any], custom: bool
) -> None:
    with contextlib.suppress(CaveatError):
        import_objects(objects, rules(default_label=UNCLASSIFIED, allow_custom=custom))


_CUSTOM = {
    "type": "x-feed-item",
    "spec_version": "2.1",
    "id": "x-feed-item--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061",
    "created": "2024-01-01T00:00:00.000Z",
    "modified": "2024-01-01T00:00:00.000Z",
}


@settings(max_examples=300)
@given(st.dictionaries(_KEYS, _JSON, max_size=4))
def test_a_custom_type_the_library_does_not_check_is_still_checked(
    members: dict[str, Any],
) -> None:
    with contextlib.suppress(CaveatError):
        import_objects(
            [{**_CUSTOM, **members}], rules(default_label=UNCLASSIFIED, allow_custom=True)
        )
