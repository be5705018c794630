"""Export-control classification: per-regime syntax, text and canonical JSON forms, roll-up."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caveat.domain.export_control import (
    ControlEntry,
    ControlEntryError,
    ExportClassification,
    Regime,
    control_entry,
    export_from_canonical_json,
    export_to_canonical_json,
    parse_control_entry,
    parse_export_classification,
    render_control_entry,
    render_export_classification,
    union,
)


@pytest.mark.parametrize(
    ("text", "regime", "jurisdiction", "code"),
    [
        ("ITAR:USML-XI(c)(1)", Regime.ITAR, "USA", "XI(c)(1)"),
        ("ITAR:USML-XV", Regime.ITAR, "USA", "XV"),
        ("ITAR:USML-XII(d)(2)(i)", Regime.ITAR, "USA", "XII(d)(2)(i)"),
        ("ITAR:USML-XXI(a)", Regime.ITAR, "USA", "XXI(a)"),
        ("EAR:3A001.a.1", Regime.EAR, "USA", "3A001.a.1"),
        ("EAR:EAR99", Regime.EAR, "USA", "EAR99"),
        ("EAR:9A610.x", Regime.EAR, "USA", "9A610.x"),
        ("EAR:5D002", Regime.EAR, "USA", "5D002"),
        ("EAR:3A001.b.2.a", Regime.EAR, "USA", "3A001.b.2.a"),
        ("WA:ML11", Regime.WA, "*", "ML11"),
        ("WA:ML22", Regime.WA, "*", "ML22"),
        ("WA:1A001.a", Regime.WA, "*", "1A001.a"),
        ("MTCR:2.A.1", Regime.MTCR, "*", "2.A.1"),
        ("MTCR:1.A.1", Regime.MTCR, "*", "1.A.1"),
        ("MTCR:19.A.1", Regime.MTCR, "*", "19.A.1"),
        ("EU:5A002.a", Regime.EU, "EU", "5A002.a"),
        ("EU:0A001", Regime.EU, "EU", "0A001"),
    ],
)
def test_valid_entries_parse_and_render(
    text: str, regime: Regime, jurisdiction: str, code: str
) -> None:
    entry = parse_control_entry(text)
    assert entry == ControlEntry(regime, jurisdiction, code)
    assert render_control_entry(entry) == text


@pytest.mark.parametrize(
    ("text", "example"),
    [
        ("ITAR:USML-XXII", "USML-XI(c)(1)"),
        ("ITAR:USML-IIII", "USML-XI(c)(1)"),
        ("ITAR:XI(c)(1)", "USML-XI(c)(1)"),
        ("ITAR:USML-XI(C)(1)", "USML-XI(c)(1)"),
        ("ITAR:USML-xi", "USML-XI(c)(1)"),
        ("EAR:3F001", "3A001.a.1"),
        ("EAR:3A01", "3A001.a.1"),
        ("EAR:3A001.1", "3A001.a.1"),
        ("EAR:EAR-99", "3A001.a.1"),
        ("EAR:ear99", "3A001.a.1"),
        ("WA:ML23", "ML11"),
        ("WA:ML0", "ML11"),
        ("WA:0A001", "ML11"),
        ("MTCR:21.A.1", "2.A.1"),
        ("MTCR:2.F.1", "2.A.1"),
        ("MTCR:2A1", "2.A.1"),
        ("EU:EAR99", "5A002.a"),
        ("EU:5A002.A", "5A002.a"),
        ("CWC:1A001", "ITAR:USML"),
        ("itar:USML-XI", "ITAR:USML"),
        ("3A001", "ITAR:USML"),
    ],
)
def test_invalid_entries_are_rejected_with_an_example(text: str, example: str) -> None:
    with pytest.raises(ControlEntryError) as caught:
        parse_control_entry(text)
    assert caught.value.code == "invalid_control_entry"
    assert caught.value.hint is not None
    assert example in caught.value.hint


def test_jurisdiction_must_match_the_regime() -> None:
    with pytest.raises(ControlEntryError):
        ControlEntry(Regime.ITAR, "GBR", "XI")
    assert control_entry("WA", "ML4").jurisdiction == "*"


def test_mtcr_categories() -> None:
    assert parse_control_entry("MTCR:1.A.1").mtcr_category == 1
    assert parse_control_entry("MTCR:2.A.1").mtcr_category == 1
    assert parse_control_entry("MTCR:3.A.1").mtcr_category == 2
    assert parse_control_entry("EAR:EAR99").mtcr_category is None


def test_classification_is_sorted_and_unique() -> None:
    a = parse_export_classification(["WA:ML11", "EAR:3A001.a.1", "WA:ML11"])
    b = parse_export_classification(["EAR:3A001.a.1", "WA:ML11"])
    assert a == b
    assert render_export_classification(a) == ["EAR:3A001.a.1", "WA:ML11"]
    assert a.regimes() == frozenset({Regime.EAR, Regime.WA})


def test_union_rolls_up_entries_and_dual_use() -> None:
    military = parse_export_classification(["ITAR:USML-XI(c)(1)"])
    dual = parse_export_classification(["EU:5A002.a", "WA:5A002.a"], dual_use=True)
    rolled = union(military, dual)
    assert render_export_classification(rolled) == [
        "EU:5A002.a",
        "ITAR:USML-XI(c)(1)",
        "WA:5A002.a",
    ]
    assert rolled.dual_use is True
    assert union(military, military) == military
    assert union() == ExportClassification()


def test_known_canonical_bytes() -> None:
    classification = parse_export_classification(["EAR:9A610.x", "ITAR:USML-XI(c)(1)"])
    expected = (
        b'{"dual_use":false,"entries":['
        b'{"code":"9A610.x","jurisdiction":"USA","regime":"EAR"},'
        b'{"code":"XI(c)(1)","jurisdiction":"USA","regime":"ITAR"}],'
        b'"version":"caveat.export/1"}'
    )
    assert export_to_canonical_json(classification) == expected
    assert export_from_canonical_json(expected) == classification


@pytest.mark.parametrize(
    "data",
    [
        b'{"dual_use":false,"entries":[],"version":"caveat.export/0"}',
        b'{"dual_use":false, "entries":[],"version":"caveat.export/1"}',
        b'{"dual_use":0,"entries":[],"version":"caveat.export/1"}',
        b'{"entries":[],"version":"caveat.export/1"}',
        b'{"dual_use":false,"entries":[{"code":"XI","jurisdiction":"GBR","regime":"ITAR"}],'
        b'"version":"caveat.export/1"}',
        b'{"dual_use":false,"entries":[{"code":"ML99","jurisdiction":"*","regime":"WA"}],'
        b'"version":"caveat.export/1"}',
        b'{"dual_use":false,"entries":[{"code":"X","jurisdiction":"*","regime":"NSG"}],'
        b'"version":"caveat.export/1"}',
        b"not json",
    ],
)
def test_bad_canonical_input_is_rejected(data: bytes) -> None:
    with pytest.raises(ControlEntryError):
        export_from_canonical_json(data)


def _paragraphs() -> st.SearchStrategy[str]:
    letter = st.sampled_from("abcxy")
    digit = st.integers(1, 12).map(str)
    return st.one_of(
        st.just(""),
        letter.map(lambda a: f".{a}"),
        st.tuples(letter, digit).map(lambda t: f".{t[0]}.{t[1]}"),
        st.tuples(letter, digit, letter).map(lambda t: f".{t[0]}.{t[1]}.{t[2]}"),
    )


ROMAN = ["I", "II", "IV", "VIII", "IX", "XI", "XII", "XV", "XIX", "XXI"]


def _ccl(categories: str, origins: str) -> st.SearchStrategy[str]:
    """CCL-shaped numbers whose regime digit is one the list uses; 600-series numbers
    mirror ML1-ML22."""

    def build(c: str, g: str, o: str, n: int, p: str) -> str:
        return f"{c}{g}{o}{(n % 22) + 1 if o == '6' else n:02d}{p}"

    return st.builds(
        build,
        st.sampled_from(categories),
        st.sampled_from("ABCDE"),
        st.sampled_from(origins),
        st.integers(0, 99),
        _paragraphs(),
    )


ENTRY_TEXTS = st.one_of(
    st.builds(
        lambda cat, para: f"ITAR:USML-{cat}{para}",
        st.sampled_from(ROMAN),
        st.sampled_from(["", "(a)", "(c)(1)", "(d)(2)(i)", "(x)"]),
    ),
    _ccl("0123456789", "0123569").map(lambda c: f"EAR:{c}"),
    st.just("EAR:EAR99"),
    st.integers(1, 22).map(lambda n: f"WA:ML{n}"),
    _ccl("123456789", "0").map(lambda c: f"WA:{c}"),
    st.builds(
        lambda i, g, n: f"MTCR:{i}.{g}.{n}",
        st.integers(1, 20).filter(lambda i: i not in (5, 7, 8)),  # 5, 7, 8 are reserved
        st.sampled_from("ABCDE"),
        st.integers(1, 12),
    ),
    _ccl("0123456789", "01234").map(lambda c: f"EU:{c}"),
)


@given(ENTRY_TEXTS)
def test_entry_text_round_trip(text: str) -> None:
    assert render_control_entry(parse_control_entry(text)) == text


@given(st.lists(ENTRY_TEXTS, max_size=6), st.booleans())
def test_canonical_round_trip(texts: list[str], dual_use: bool) -> None:
    classification = parse_export_classification(texts, dual_use=dual_use)
    data = export_to_canonical_json(classification)
    assert export_from_canonical_json(data) == classification


@given(st.lists(ENTRY_TEXTS, max_size=4), st.lists(ENTRY_TEXTS, max_size=4), st.booleans())
def test_union_is_commutative_and_contains_both(a: list[str], b: list[str], flag: bool) -> None:
    x = parse_export_classification(a, dual_use=flag)
    y = parse_export_classification(b)
    assert union(x, y) == union(y, x)
    assert set(x.entries) | set(y.entries) == set(union(x, y).entries)


def test_catalogue_lookup_suggests_entries_by_code_or_heading_words() -> None:
    from caveat.domain.export_control import suggest_entries

    [exact] = suggest_entries("EAR:3A001.a.1")
    assert exact.entry == "EAR:3A001.a.1"
    assert exact.summary.startswith("Electronics")
    aircraft = [s.entry for s in suggest_entries("Aircraft")]
    assert aircraft == ["ITAR:USML-VIII", "WA:ML10"]
    for entry in aircraft:  # every suggestion is an entry the label accepts
        assert render_control_entry(parse_control_entry(entry)) == entry
    assert suggest_entries("ab") == []  # too short to search
    assert suggest_entries("EAR:9Z999") == []  # not on the list: nothing offered
