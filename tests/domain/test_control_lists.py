"""The control-list catalogue: sourced structure, known headings, entries it refuses."""

from __future__ import annotations

import pytest

from caveat.domain.control_lists import control_lists, describe_entry
from caveat.domain.export_control import ControlEntryError, parse_control_entry


def test_every_regime_names_its_source_and_edition() -> None:
    rows = control_lists().rows()
    assert {r["regime"] for r in rows} == {"ITAR", "EAR", "WA", "MTCR", "EU"}
    for row in rows:
        assert row["source"]
        assert row["as_of"][:2] == "20"
        assert row["name"]


def test_the_lists_have_their_published_shape() -> None:
    lists = control_lists()
    assert len(lists.regime("ITAR")["categories"]) == 21
    assert [m["code"] for m in lists.regime("WA")["munitions"]] == [f"ML{n}" for n in range(1, 23)]
    assert [c["code"] for c in lists.regime("WA")["categories"]] == list("123456789")
    assert [c["code"] for c in lists.regime("EAR")["categories"]] == list("0123456789")
    items = lists.regime("MTCR")["items"]
    assert [i["item"] for i in items] == list(range(1, 21))
    assert [i["item"] for i in items if i["category"] == 1] == [1, 2]
    assert [i["item"] for i in items if i["reserved"]] == [5, 7, 8]


@pytest.mark.parametrize(
    ("text", "headings"),
    [
        ("ITAR:USML-XI(c)(1)", ["Military electronics"]),
        ("ITAR:USML-XV(a)", ["Spacecraft and related articles"]),
        ("WA:ML4", ["Bombs, torpedoes, rockets, missiles"]),
        ("WA:ML22", ["Technology"]),
        ("WA:3A001.a", ["Electronics", "Systems", "Wassenaar Arrangement"]),
        ("EAR:3A001.a.1", ["Electronics", "Systems", "National security"]),
        ("EAR:9A610.x", ["Aerospace", "Systems", "600 series", "Aircraft, lighter than air"]),
        ("EAR:9A515.a", ["Aerospace", "Systems", "500 series"]),
        ("EAR:5A992.c", ["Telecommunications", "Systems", "Unilateral controls"]),
        ("EAR:EAR99", ["Subject to the EAR but not listed"]),
        ("EU:1C350", ["Special materials", "Materials", "Australia Group"]),
        ("EU:0A001", ["Nuclear", "Systems", "Nuclear Suppliers Group"]),
        ("MTCR:2.A.1", ["Complete subsystems", "Equipment, assemblies"]),
    ],
)
def test_entries_are_described_from_the_top_of_their_list(text: str, headings: list[str]) -> None:
    entry = parse_control_entry(text)
    described = describe_entry(entry.regime.value, entry.code)
    assert len(described.headings) == len(headings)
    for heading, start in zip(described.headings, headings, strict=True):
        assert heading.title.startswith(start), (heading, start)


def test_mtcr_items_carry_their_category() -> None:
    assert describe_entry("MTCR", "1.A.1").mtcr_category == 1
    category_two = describe_entry("MTCR", "9.A.3")
    assert category_two.mtcr_category == 2
    assert "case-by-case" in category_two.note


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("MTCR:5.A.1", "reserved"),
        ("MTCR:7.B.1", "reserved"),
        ("MTCR:8.C.2", "reserved"),
        ("WA:1A101", "third digit 1"),
        ("WA:9E201", "third digit 2"),
        ("EAR:3A701", "third digit 7"),
        ("EAR:1C450", "third digit 4"),
        ("EAR:9A630", "600-series"),
        ("EAR:0A600", "600-series"),
        ("EU:1C950", "third digit 9"),
    ],
)
def test_well_formed_entries_that_are_not_on_their_list_are_refused(text: str, why: str) -> None:
    with pytest.raises(ControlEntryError, match=why) as caught:
        parse_control_entry(text)
    assert caught.value.code == "invalid_control_entry"
    assert caught.value.hint is not None
    assert caught.value.hint.endswith("see `caveat control-list`")
