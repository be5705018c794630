"""The structured label builder: it composes only labels the one validator accepts, and
says why an option cannot be added; the text it writes parses back to the same label."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.domain.labels.label_strategies import GROUPS, ON

from caveat.domain.errors import InvalidInput
from caveat.domain.groups import GroupDirectory
from caveat.domain.labels import builtin_schemes, find_violation, normalise, parse_banner
from caveat.domain.labels.builder import (
    DISSEM_CHOICES,
    SCI_CHOICES,
    Built,
    Choice,
    Option,
    build,
    choice_of,
    common_level_names,
    level_options,
    parse_level_value,
)

SCHEMES = builtin_schemes()


def _option(built: Built, value: str) -> Option:
    return next(o for o in built.dissem if o.value == value)


def test_a_british_secret_release_keeps_gbr_and_reads_back(groups: GroupDirectory) -> None:
    built = build(Choice("GBR", 2, rel_to=frozenset({"USA"})), schemes=SCHEMES, groups=groups)
    assert built.ok
    assert built.banner == "//GBR SECRET//REL TO USA, GBR"
    assert built.national == "SECRET//REL TO USA, GBR"
    assert built.portion == "(//GBR S//REL TO USA, GBR)"
    assert built.owner == "GBR"
    assert parse_banner(built.banner, groups=groups, on=ON) == built.label


def test_noforn_blocks_rel_to_and_rel_to_blocks_noforn(groups: GroupDirectory) -> None:
    noforn = build(Choice("USA", 2, dissem=frozenset({"NOFORN"})), schemes=SCHEMES, groups=groups)
    assert noforn.ok
    assert "NOFORN cannot be combined with REL TO" in noforn.rel_to.blocked
    released = build(Choice("USA", 2, rel_to=frozenset({"GBR"})), schemes=SCHEMES, groups=groups)
    assert released.ok
    assert released.banner == "SECRET//REL TO USA, GBR"
    assert "NOFORN cannot be combined" in _option(released, "NOFORN").blocked
    assert _option(released, "RELIDO").blocked == ""
    relido = build(Choice("USA", 2, dissem=frozenset({"RELIDO"})), schemes=SCHEMES, groups=groups)
    assert "NOFORN cannot be combined with RELIDO" in _option(relido, "NOFORN").blocked


def test_fouo_is_offered_on_unclassified_only(groups: GroupDirectory) -> None:
    secret = build(Choice("USA", 2), schemes=SCHEMES, groups=groups)
    assert "FOUO marks unclassified information only" in _option(secret, "FOUO").blocked
    unclassified = build(Choice("USA", 0), schemes=SCHEMES, groups=groups)
    assert _option(unclassified, "FOUO").blocked == ""
    # Chosen and then the level raised: no label, the validator's reason instead.
    raised = build(Choice("USA", 2, dissem=frozenset({"FOUO"})), schemes=SCHEMES, groups=groups)
    assert not raised.ok
    assert raised.violation is not None
    assert raised.violation.rule == "fouo_classified"


def test_rel_to_with_only_the_owner_is_explained_not_built(groups: GroupDirectory) -> None:
    built = build(Choice("GBR", 2, rel_to=frozenset()), schemes=SCHEMES, groups=groups)
    assert not built.ok
    assert built.violation is not None
    assert built.violation.rule == "rel_to_owner_alone"
    nato = build(Choice("NATO", 3, rel_to=frozenset()), schemes=SCHEMES, groups=groups)
    assert not nato.ok
    assert nato.owner is None


def test_unknown_rel_to_code_is_refused(groups: GroupDirectory) -> None:
    with pytest.raises(InvalidInput, match="neither a country code nor a known group"):
        build(Choice("USA", 2, rel_to=frozenset({"XXQ"})), schemes=SCHEMES, groups=groups)


def test_level_picker_has_each_word_once_per_scheme() -> None:
    for national in ("USA", "GBR", "FRA", "DEU", None):
        options = level_options(SCHEMES, national)
        texts = [o.text for o in options if o.scheme == (national or "NATO")]
        assert len(texts) == len(set(texts))
        assert any(o.text == "NATO SECRET" for o in options)
    assert [o.text for o in level_options(SCHEMES, "GBR") if o.scheme == "GBR"] == [
        "OFFICIAL",
        "OFFICIAL-SENSITIVE",
        "SECRET",
        "TOP SECRET",
    ]
    assert parse_level_value("GBR:1", SCHEMES) == ("GBR", 1)
    for bad in ("GBR:9", "XYZ:1", "GBR", "GBR:-1"):
        with pytest.raises(InvalidInput):
            parse_level_value(bad, SCHEMES)


@given(
    scheme=st.sampled_from(["USA", "GBR", "NATO", "FRA"]),
    level=st.integers(0, 3),
    sci=st.frozensets(st.sampled_from(SCI_CHOICES)),
    dissem=st.frozensets(st.sampled_from(DISSEM_CHOICES)),
    rel=st.one_of(st.none(), st.frozensets(st.sampled_from(["USA", "GBR", "FRA", "FVEY"]))),
)
def test_whatever_is_built_is_valid_and_reads_back(
    scheme: str,
    level: int,
    sci: frozenset[str],
    dissem: frozenset[str],
    rel: frozenset[str] | None,
) -> None:
    level = min(level, len(SCHEMES.get(scheme).levels) - 1)
    built = build(Choice(scheme, level, sci, dissem, rel), schemes=SCHEMES, groups=GROUPS)
    if built.label is None:
        assert built.violation is not None
        return
    assert find_violation(built.label, schemes=SCHEMES, groups=GROUPS) is None
    assert parse_banner(built.banner, groups=GROUPS, on=ON) == built.label
    # Adding an offered option never makes a combination the validator refuses.
    for option in built.dissem:
        if not option.chosen and not option.blocked:
            more = build(
                Choice(scheme, level, sci, dissem | {option.value}, rel),
                schemes=SCHEMES,
                groups=GROUPS,
            )
            assert more.violation is None or more.violation.rule not in {
                "noforn_with_release",
                "fouo_classified",
            }


def test_foreign_levels_without_their_leading_slashes(groups: GroupDirectory, on: date) -> None:
    assert normalise("NATO CONFIDENTIAL", groups, on) == "//NATO CONFIDENTIAL"
    assert normalise("nato secret//rel to usa, gbr", groups, on) == "//NATO SECRET//REL TO USA, GBR"
    assert normalise("OFFICIAL-SENSITIVE", groups, on, writer="GBR") == "//GBR OFFICIAL-SENSITIVE"
    assert normalise("GEHEIM", groups, on, writer="DEU") == "//DEU GEHEIM"
    # A bare US word stays the US level whoever writes it.
    assert normalise("SECRET", groups, on, writer="GBR") == "SECRET"
    with pytest.raises(InvalidInput):
        normalise("OFFICIAL-SENSITIVE", groups, on)  # no writer: no British reading


def test_common_level_pickers_name_each_step_once() -> None:
    for national in ("USA", "GBR", "FRA", "CAN", "DEU", "NATO", None):
        names = [name for _, name in common_level_names(SCHEMES, national)]
        assert len(set(names)) == len(names) == 5, names
    assert common_level_names(SCHEMES, "USA")[1:3] == [(1, "NATO RESTRICTED"), (2, "CONFIDENTIAL")]
    assert common_level_names(SCHEMES, "GBR")[2:4] == [(2, "NATO CONFIDENTIAL"), (3, "SECRET")]


@pytest.mark.parametrize(
    ("banner", "expected"),
    [
        (
            "TOP SECRET//SI/TK//NOFORN",
            Choice("USA", 3, sci=frozenset({"SI", "TK"}), dissem=frozenset({"NOFORN"})),
        ),
        ("SECRET//IMCON/NOFORN", Choice("USA", 2, dissem=frozenset({"IMCON", "NOFORN"}))),
        ("SECRET//REL TO USA, GBR", Choice("USA", 2, rel_to=frozenset({"USA", "GBR"}))),
        ("SECRET//SAR-BP//NOFORN", None),  # no box for SAP: the text field keeps it
        ("TOP SECRET//HCS-P//NOFORN", None),  # nor for an SCI compartment
    ],
)
def test_a_label_opens_in_the_builder_with_its_choices_or_in_the_text_field(
    banner: str, expected: Choice | None, groups: GroupDirectory
) -> None:
    assert choice_of(parse_banner(banner, groups=groups, on=ON)) == expected
